package cdk

import (
	"strings"

	"github.com/bulwark-sec/bulwark/internal/source"
)

// Names of the CDK helpers that Resource.Framework reports. The resources of
// a helper are written by the CDK, not by the user: a rule that flags one
// should say so, and point at the user's construct (Resource.Origin) when it
// flags a setting the user chose, such as an AwsCustomResource policy.
const (
	// BucketDeployment is aws-s3-deployment's BucketDeployment: its
	// singleton copy function, role, policy and AWS CLI layer, and the
	// Custom::CDKBucketDeployment resources it serves.
	BucketDeployment = "BucketDeployment"
	// AwsCustomResource is custom-resources' AwsCustomResource: its
	// singleton SDK-call function and role, the Custom::AWS resources and
	// the policies the user grants them.
	AwsCustomResource = "AwsCustomResource"
	// LogRetention is aws-logs' LogRetention, which a function's
	// logRetention setting adds: its singleton function, role and policy,
	// and the Custom::LogRetention resources.
	LogRetention = "LogRetention"
	// ProviderFramework is custom-resources' Provider: its framework-onEvent,
	// framework-isComplete and framework-onTimeout functions, their roles,
	// and the waiter state machine. The user's onEvent and isComplete
	// handlers, and the custom resources the provider serves, are the user's.
	ProviderFramework = "ProviderFramework"
	// BucketNotifications is aws-s3's bucket notifications handler: its
	// singleton function, role and policies, and the
	// Custom::S3BucketNotifications resources.
	BucketNotifications = "BucketNotifications"
	// S3AutoDeleteObjects is aws-s3's autoDeleteObjects: its
	// CustomResourceProvider singleton and the Custom::S3AutoDeleteObjects
	// resources.
	S3AutoDeleteObjects = "S3AutoDeleteObjects"
	// CustomResourceProvider is any other core CustomResourceProvider
	// singleton ("Custom::<Name>CustomResourceProvider", such as the one
	// behind a VPC's restrictDefaultSecurityGroup) and the custom resources
	// it serves.
	CustomResourceProvider = "CustomResourceProvider"
	// CDKHandler is any other function that the CDK marks, in the construct
	// metadata of assemblies from recent versions, as a handler it generated
	// for itself (for example the function behind an events-targets AwsApi).
	CDKHandler = "CDKHandler"
)

// How the helpers are recognised. Each fact is fixed in the CDK's own source
// and chosen not to collide with IDs a user would write: most singleton IDs
// carry a UUID. They hold in every CDK v2 release.
//
//	helper                  singleton construct ID (a construct path segment)           custom resource type
//	BucketDeployment        Custom::CDKBucketDeployment<UUID>[<options>]                Custom::CDKBucketDeployment
//	AwsCustomResource       AWS679f53fac002430cb0da5b7982bd2287                         Custom::AWS
//	LogRetention            LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a                Custom::LogRetention
//	BucketNotifications     BucketNotificationsHandler050a0587b7544547bf325f094a3db834  Custom::S3BucketNotifications
//	S3AutoDeleteObjects     Custom::S3AutoDeleteObjectsCustomResourceProvider           Custom::S3AutoDeleteObjects
//	CustomResourceProvider  Custom::<Name>CustomResourceProvider                        (by its ServiceToken)
//	ProviderFramework       framework-onEvent, framework-isComplete, framework-onTimeout and
//	                        waiter-state-machine, under a construct that has a framework-onEvent child
//	CDKHandler              a construct with aws:cdk:is-custom-resource-handler-* metadata
//
// Every resource at or under a helper's construct belongs to the helper.
// Resources elsewhere are given to a helper by what they point at:
//   - a custom resource whose ServiceToken is a helper's function (except the
//     Provider framework's, whose custom resources are the user's);
//   - an IAM policy attached only to roles of one helper (the
//     AwsCustomResource policy and the bucket notifications policy live
//     under the user's construct but grant the helper's role);
//   - a Lambda permission on a helper's function;
//   - a layer used only by functions of one helper (BucketDeployment's AWS
//     CLI layer).
var singletonHelpers = [...]struct {
	id       string
	isPrefix bool // id is followed by a UUID or options
	helper   string
}{
	{"Custom::CDKBucketDeployment", true, BucketDeployment},
	{"AWS679f53fac002430cb0da5b7982bd2287", false, AwsCustomResource},
	{"LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a", false, LogRetention},
	{"BucketNotificationsHandler050a0587b7544547bf325f094a3db834", false, BucketNotifications},
	{"Custom::S3AutoDeleteObjectsCustomResourceProvider", false, S3AutoDeleteObjects},
}

var customResourceTypes = map[string]string{
	"Custom::CDKBucketDeployment":   BucketDeployment,
	"Custom::AWS":                   AwsCustomResource,
	"Custom::LogRetention":          LogRetention,
	"Custom::S3BucketNotifications": BucketNotifications,
	"Custom::S3AutoDeleteObjects":   S3AutoDeleteObjects,
}

// providerParts are the constructs a custom-resources Provider creates
// under itself.
var providerParts = map[string]bool{
	"framework-onEvent":    true,
	"framework-isComplete": true,
	"framework-onTimeout":  true,
	"waiter-state-machine": true,
}

// classify sets Framework on the resources of one template.
func classify(resources map[string]Resource, meta *constructMetadata) {
	providers := providerScopes(resources)
	for id, r := range resources {
		r.Framework = helperOfPath(r.CDKPath, providers)
		if r.Framework == "" {
			r.Framework = customResourceTypes[r.Type]
		}
		if r.Framework == "" && r.CDKPath != "" && meta.handlerScope(r.CDKPath) {
			r.Framework = CDKHandler
		}
		resources[id] = r
	}

	// Then what points at a helper's resources. Only resources of the first
	// pass are pointed at (roles, functions), so one more pass suffices.
	layers := layerHelpers(resources)
	found := make(map[string]string)
	for id, r := range resources {
		if r.Framework != "" {
			continue
		}
		props := r.Node.Get("Properties")
		var helper string
		switch {
		case r.Type == "AWS::CloudFormation::CustomResource" || strings.HasPrefix(r.Type, "Custom::"):
			if h := resources[refTarget(props.Get("ServiceToken"))].Framework; h != ProviderFramework {
				helper = h
			}
		case r.Type == "AWS::IAM::Policy" || r.Type == "AWS::IAM::ManagedPolicy":
			if props.Get("Users") == nil && props.Get("Groups") == nil {
				helper = commonHelper(resources, props.Get("Roles"))
			}
		case r.Type == "AWS::Lambda::Permission":
			helper = resources[refTarget(props.Get("FunctionName"))].Framework
		case r.Type == "AWS::Lambda::LayerVersion":
			helper = layers[id]
		}
		if helper != "" {
			found[id] = helper
		}
	}
	for id, helper := range found {
		r := resources[id]
		r.Framework = helper
		resources[id] = r
	}
}

// helperOfPath recognises a helper by the segments of a construct path.
func helperOfPath(cdkPath string, providers map[string]bool) string {
	if cdkPath == "" {
		return ""
	}
	segments := strings.Split(cdkPath, "/")
	for i, seg := range segments {
		for _, s := range singletonHelpers {
			if seg == s.id || (s.isPrefix && strings.HasPrefix(seg, s.id)) {
				return s.helper
			}
		}
		if strings.HasPrefix(seg, "Custom::") && strings.HasSuffix(seg, "CustomResourceProvider") {
			return CustomResourceProvider
		}
		if providerParts[seg] && providers[strings.Join(segments[:i], "/")] {
			return ProviderFramework
		}
	}
	return ""
}

// providerScopes returns the construct paths of the custom-resources
// Providers in a template: the parents of framework-onEvent constructs.
func providerScopes(resources map[string]Resource) map[string]bool {
	scopes := make(map[string]bool)
	for _, r := range resources {
		before, _, found := strings.Cut(r.CDKPath, "/framework-onEvent/")
		if found {
			scopes[before] = true
		}
	}
	return scopes
}

// commonHelper returns the helper that owns every role in roles, or "".
func commonHelper(resources map[string]Resource, roles *source.Node) string {
	if roles == nil || roles.Kind != source.Seq || len(roles.Items) == 0 {
		return ""
	}
	var helper string
	for i, role := range roles.Items {
		h := resources[refTarget(role)].Framework
		if h == "" || (i > 0 && h != helper) {
			return ""
		}
		helper = h
	}
	return helper
}

// layerHelpers maps each layer used only by the functions of one helper to
// that helper.
func layerHelpers(resources map[string]Resource) map[string]string {
	users := make(map[string]string) // layer → helper of its users, or "" once a user function uses it
	for _, r := range resources {
		if r.Type != "AWS::Lambda::Function" {
			continue
		}
		layers := r.Node.Get("Properties").Get("Layers")
		if layers == nil {
			continue
		}
		for _, l := range layers.Items {
			id := refTarget(l)
			if id == "" {
				continue
			}
			if h, seen := users[id]; seen && h != r.Framework {
				users[id] = ""
				continue
			}
			users[id] = r.Framework
		}
	}
	return users
}

// refTarget returns the logical ID that a Ref or Fn::GetAtt names, or "".
func refTarget(n *source.Node) string {
	name, arg, ok := n.Intrinsic()
	if !ok {
		return ""
	}
	switch name {
	case "Ref":
		id, _ := arg.Str()
		return id
	case "Fn::GetAtt":
		if arg.Kind == source.Seq && len(arg.Items) > 0 {
			id, _ := arg.Items[0].Str()
			return id
		}
		if s, ok := arg.Str(); ok {
			id, _, _ := strings.Cut(s, ".")
			return id
		}
	}
	return ""
}
