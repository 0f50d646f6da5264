package sam

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/bulwark-sec/bulwark/internal/source"
)

// kind is the set of value shapes a SAM property accepts, following the
// property types the SAM specification declares for each resource and event.
type kind uint8

const (
	kStr kind = 1 << iota
	kMap
	kList
	kBool
	kInt
	// kNoIntrinsic marks properties SAM reads itself and that therefore
	// cannot be intrinsic functions.
	kNoIntrinsic

	kAny kind = 0
)

// propSpec describes one property: the shapes it accepts and whether SAM
// requires it.
type propSpec struct {
	kind     kind
	required bool
}

func p(k kind) propSpec   { return propSpec{kind: k} }
func req(k kind) propSpec { return propSpec{kind: k, required: true} }

var resourceProps = map[string]map[string]propSpec{
	typeFunction: {
		"FunctionName": p(kStr | kMap), "Handler": p(kAny), "Runtime": p(kAny), "CodeUri": p(kAny),
		"ImageUri": p(kAny), "PackageType": p(kAny), "InlineCode": p(kAny), "DeadLetterQueue": p(kMap),
		"Description": p(kAny), "MemorySize": p(kAny), "Timeout": p(kAny), "VpcConfig": p(kAny),
		"Role": p(kStr), "AssumeRolePolicyDocument": p(kMap), "Policies": p(kStr | kMap | kList),
		"RolePath": p(kAny), "PermissionsBoundary": p(kStr), "Environment": p(kMap), "Events": p(kMap),
		"Tags": p(kMap), "PropagateTags": p(kBool), "Tracing": p(kStr | kMap), "KmsKeyArn": p(kAny),
		"DeploymentPreference": p(kMap), "ReservedConcurrentExecutions": p(kAny), "Layers": p(kList),
		"EventInvokeConfig": p(kMap), "EphemeralStorage": p(kAny), "AutoPublishAlias": p(kStr),
		"AutoPublishCodeSha256": p(kStr), "AutoPublishAliasAllProperties": p(kBool | kNoIntrinsic),
		"VersionDescription": p(kAny), "ProvisionedConcurrencyConfig": p(kAny), "FileSystemConfigs": p(kAny),
		"ImageConfig": p(kAny), "CodeSigningConfigArn": p(kAny), "Architectures": p(kAny), "SnapStart": p(kMap),
		"FunctionUrlConfig": p(kMap), "RuntimeManagementConfig": p(kAny), "LoggingConfig": p(kAny),
		"RecursiveLoop": p(kAny), "SourceKMSKeyArn": p(kAny), "CapacityProviderConfig": p(kMap),
		"FunctionScalingConfig": p(kMap), "VersionDeletionPolicy": p(kStr), "PublishToLatestPublished": p(kAny),
		"TenancyConfig": p(kAny), "DurableConfig": p(kMap),
	},
	typeAPI: {
		"Name": p(kStr | kMap), "StageName": req(kStr | kMap), "Tags": p(kMap), "PropagateTags": p(kBool),
		"DefinitionBody": p(kMap), "DefinitionUri": p(kStr | kMap), "MergeDefinitions": p(kBool | kNoIntrinsic),
		"CacheClusterEnabled": p(kBool), "CacheClusterSize": p(kStr), "Variables": p(kMap),
		"EndpointConfiguration": p(kStr | kMap), "MethodSettings": p(kList), "BinaryMediaTypes": p(kList),
		"MinimumCompressionSize": p(kInt), "Cors": p(kStr | kMap), "Auth": p(kMap), "GatewayResponses": p(kMap),
		"AccessLogSetting": p(kMap), "CanarySetting": p(kMap), "TracingEnabled": p(kBool),
		"OpenApiVersion": p(kStr), "Models": p(kMap), "Domain": p(kMap), "FailOnWarnings": p(kBool),
		"Description": p(kStr), "Mode": p(kStr), "DisableExecuteApiEndpoint": p(kBool),
		"ApiKeySourceType": p(kStr), "AlwaysDeploy": p(kBool | kNoIntrinsic), "Policy": p(kStr | kMap),
		"SecurityPolicy": p(kStr), "EndpointAccessMode": p(kStr),
	},
	typeHTTPAPI: {
		"Name": p(kAny), "StageName": p(kStr | kMap), "Tags": p(kMap), "PropagateTags": p(kBool),
		"DefinitionBody": p(kMap), "DefinitionUri": p(kStr | kMap), "StageVariables": p(kMap),
		"CorsConfiguration": p(kMap | kBool), "AccessLogSettings": p(kMap), "DefaultRouteSettings": p(kMap),
		"Auth": p(kMap), "RouteSettings": p(kMap), "Domain": p(kMap), "FailOnWarnings": p(kBool),
		"Description": p(kStr), "DisableExecuteApiEndpoint": p(kBool),
	},
	typeWebSocketAPI: {
		"ApiKeySelectionExpression": p(kStr), "AccessLogSettings": p(kMap), "Auth": p(kMap),
		"DefaultRouteSettings": p(kMap), "Description": p(kStr), "DisableExecuteApiEndpoint": p(kBool),
		"Domain": p(kMap), "DisableSchemaValidation": p(kBool), "FailOnWarnings": p(kBool),
		"IpAddressType": p(kStr), "Name": p(kStr), "PropagateTags": p(kBool), "Routes": req(kMap),
		"RouteSettings": p(kMap), "RouteSelectionExpression": req(kStr), "StageName": p(kStr | kMap),
		"StageVariables": p(kMap), "Tags": p(kMap),
	},
	typeStateMachine: {
		"Definition": p(kMap), "DefinitionUri": p(kStr | kMap), "Logging": p(kMap), "Role": p(kStr),
		"RolePath": p(kAny), "DefinitionSubstitutions": p(kMap), "Events": p(kMap), "Name": p(kStr),
		"Type": p(kStr), "Tags": p(kMap), "PropagateTags": p(kBool), "Policies": p(kStr | kList),
		"Tracing": p(kMap), "PermissionsBoundary": p(kStr), "AutoPublishAlias": p(kAny),
		"DeploymentPreference": p(kAny), "UseAliasAsEventTarget": p(kBool | kNoIntrinsic),
	},
	typeSimpleTable: {
		"PointInTimeRecoverySpecification": p(kAny), "PrimaryKey": p(kMap), "ProvisionedThroughput": p(kMap),
		"TableName": p(kStr | kMap), "Tags": p(kMap), "SSESpecification": p(kMap),
	},
	typeLayerVersion: {
		"LayerName": p(kStr | kMap), "Description": p(kStr), "PublishLambdaVersion": p(kBool),
		"ContentUri": req(kStr | kMap), "CompatibleArchitectures": p(kList), "CompatibleRuntimes": p(kList),
		"LicenseInfo": p(kStr), "RetentionPolicy": p(kStr),
	},
	typeApplication: {
		"Location": req(kStr | kMap), "TemplateUrl": p(kStr), "Parameters": p(kMap),
		"NotificationARNs": p(kList), "Tags": p(kMap), "TimeoutInMinutes": p(kInt),
	},
	typeConnector: {
		"Source": req(kMap), "Destination": req(kMap | kList), "Permissions": req(kList),
	},
	typeCapacityProvider: {
		"CapacityProviderName": p(kStr | kMap | kNoIntrinsic), "VpcConfig": req(kMap | kNoIntrinsic),
		"OperatorRole": p(kStr | kMap | kNoIntrinsic), "Tags": p(kMap | kNoIntrinsic),
		"PropagateTags": p(kBool | kNoIntrinsic), "InstanceRequirements": p(kMap | kNoIntrinsic),
		"ScalingConfig": p(kMap | kNoIntrinsic), "KmsKeyArn": p(kStr | kMap | kNoIntrinsic),
	},
	typeGraphQLAPI: {
		"Name": p(kAny), "Tags": p(kMap | kNoIntrinsic), "XrayEnabled": p(kAny), "Auth": req(kMap | kNoIntrinsic),
		"SchemaInline": p(kStr | kNoIntrinsic), "SchemaUri": p(kStr | kNoIntrinsic),
		"Logging": p(kMap | kBool | kNoIntrinsic), "DataSources": p(kMap | kNoIntrinsic),
		"Functions": p(kMap | kNoIntrinsic), "Resolvers": p(kMap | kNoIntrinsic), "ApiKeys": p(kMap | kNoIntrinsic),
		"DomainName": p(kMap | kNoIntrinsic), "Cache": p(kMap | kNoIntrinsic), "Visibility": p(kAny),
		"OwnerContact": p(kAny), "IntrospectionConfig": p(kAny), "QueryDepthLimit": p(kAny),
		"ResolverCountLimit": p(kAny),
	},
}

var pullEventProps = map[string]propSpec{
	"BatchSize": p(kInt), "StartingPosition": p(kAny), "StartingPositionTimestamp": p(kAny), "Enabled": p(kBool),
	"MaximumBatchingWindowInSeconds": p(kInt), "MaximumRetryAttempts": p(kInt),
	"BisectBatchOnFunctionError": p(kBool), "MaximumRecordAgeInSeconds": p(kInt), "DestinationConfig": p(kMap),
	"ParallelizationFactor": p(kInt), "Topics": p(kList), "Queues": p(kList),
	"SourceAccessConfigurations": p(kList), "SecretsManagerKmsKeyId": p(kStr),
	"TumblingWindowInSeconds": p(kInt), "FunctionResponseTypes": p(kList), "KafkaBootstrapServers": p(kList),
	"FilterCriteria": p(kMap), "KmsKeyArn": p(kAny), "ConsumerGroupId": p(kStr), "ScalingConfig": p(kMap),
	"ProvisionedPollerConfig": p(kMap), "SchemaRegistryConfig": p(kMap), "MetricsConfig": p(kMap),
	"LoggingConfig": p(kMap),
}

func withPull(extra map[string]propSpec) map[string]propSpec {
	m := make(map[string]propSpec, len(pullEventProps)+len(extra))
	for k, v := range pullEventProps {
		m[k] = v
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

var ruleEventProps = map[string]propSpec{
	"EventBusName": p(kStr), "RuleName": p(kStr), "Pattern": p(kMap), "DeadLetterConfig": p(kMap),
	"RetryPolicy": p(kMap), "Input": p(kStr), "InputPath": p(kStr), "Target": p(kMap), "Enabled": p(kBool),
	"State": p(kStr), "InputTransformer": p(kMap),
}

var scheduleV2Props = map[string]propSpec{
	"PermissionsBoundary": p(kStr), "ScheduleExpression": req(kStr), "FlexibleTimeWindow": p(kMap),
	"Name": p(kStr), "State": p(kStr), "Description": p(kStr), "StartDate": p(kStr), "EndDate": p(kStr),
	"ScheduleExpressionTimezone": p(kStr), "GroupName": p(kStr), "KmsKeyArn": p(kStr), "Input": p(kStr),
	"RoleArn": p(kStr), "DeadLetterConfig": p(kMap), "RetryPolicy": p(kMap), "OmitName": p(kBool | kNoIntrinsic),
}

// functionEventProps lists the event types a function accepts and their properties.
var functionEventProps = map[string]map[string]propSpec{
	"S3":  {"Bucket": req(kStr), "Events": req(kStr | kList | kNoIntrinsic), "Filter": p(kMap)},
	"SNS": {"Topic": req(kStr), "Region": p(kStr), "FilterPolicy": p(kAny), "FilterPolicyScope": p(kAny), "SqsSubscription": p(kMap | kBool), "RedrivePolicy": p(kMap)},
	"Api": {"Path": req(kStr), "Method": req(kStr), "RestApiId": req(kStr), "Stage": p(kStr), "Auth": p(kMap),
		"RequestModel": p(kMap), "RequestParameters": p(kList), "TimeoutInMillis": p(kInt), "ResponseTransferMode": p(kStr)},
	"HttpApi": {"Path": p(kStr), "Method": p(kStr), "ApiId": p(kStr), "Stage": p(kStr), "Auth": p(kMap),
		"TimeoutInMillis": p(kInt), "RouteSettings": p(kMap), "PayloadFormatVersion": p(kStr)},
	"Schedule": {"Schedule": req(kStr), "RuleName": p(kStr), "Input": p(kStr), "Enabled": p(kBool), "State": p(kStr),
		"Name": p(kStr), "Description": p(kStr), "DeadLetterConfig": p(kMap), "RetryPolicy": p(kMap)},
	"ScheduleV2":       scheduleV2Props,
	"CloudWatchEvent":  ruleEventProps,
	"EventBridgeRule":  ruleEventProps,
	"CloudWatchLogs":   {"LogGroupName": req(kStr), "FilterPattern": req(kStr)},
	"IoTRule":          {"Sql": req(kStr), "AwsIotSqlVersion": p(kStr)},
	"AlexaSkill":       {"SkillId": p(kStr)},
	"Cognito":          {"UserPool": req(kStr), "Trigger": req(kStr | kList | kNoIntrinsic)},
	"Kinesis":          withPull(map[string]propSpec{"Stream": req(kAny), "StartingPosition": req(kAny)}),
	"DynamoDB":         withPull(map[string]propSpec{"Stream": req(kAny), "StartingPosition": req(kAny)}),
	"SQS":              withPull(map[string]propSpec{"Queue": req(kAny)}),
	"MSK":              withPull(map[string]propSpec{"Stream": req(kAny), "StartingPosition": req(kAny)}),
	"MQ":               withPull(map[string]propSpec{"Broker": req(kAny), "DynamicPolicyName": p(kBool | kNoIntrinsic)}),
	"SelfManagedKafka": withPull(nil),
	"DocumentDB": withPull(map[string]propSpec{"Cluster": req(kAny), "DatabaseName": req(kAny),
		"CollectionName": p(kAny), "FullDocument": p(kAny)}),
}

var stateMachineEventProps = map[string]map[string]propSpec{
	"Schedule": {"Schedule": req(kStr), "Input": p(kStr), "Enabled": p(kBool), "State": p(kStr), "Name": p(kStr),
		"Description": p(kStr), "DeadLetterConfig": p(kMap), "RetryPolicy": p(kMap), "Target": p(kMap | kNoIntrinsic),
		"RoleArn": p(kStr | kNoIntrinsic)},
	"ScheduleV2": scheduleV2Props,
	"CloudWatchEvent": {"EventBusName": p(kStr), "RuleName": p(kStr), "Pattern": p(kMap), "Input": p(kStr),
		"InputPath": p(kStr), "DeadLetterConfig": p(kMap), "RetryPolicy": p(kMap), "State": p(kStr),
		"Target": p(kMap | kNoIntrinsic), "InputTransformer": p(kMap)},
	"Api": {"Path": req(kStr), "Method": req(kStr), "RestApiId": req(kStr), "Stage": p(kStr), "Auth": p(kMap),
		"UnescapeMappingTemplate": p(kBool | kNoIntrinsic)},
}

func init() {
	stateMachineEventProps["EventBridgeRule"] = stateMachineEventProps["CloudWatchEvent"]
}

// fits reports whether v has one of the shapes in k. Like SAM, a map with a
// single key counts as an intrinsic function and fits any property that
// accepts intrinsics.
func (k kind) fits(v *source.Node) bool {
	if k&^kNoIntrinsic == kAny {
		return true
	}
	if k&kNoIntrinsic == 0 && v.Kind == source.Map && len(v.Fields) == 1 {
		return true
	}
	switch v.Kind {
	case source.String:
		return k&kStr != 0
	case source.Map:
		return k&kMap != 0
	case source.Seq:
		return k&kList != 0
	case source.Bool:
		return k&kBool != 0
	case source.Number:
		return k&kInt != 0
	}
	return false
}

func (k kind) String() string {
	var names []string
	for _, n := range []struct {
		bit  kind
		name string
	}{{kStr, "a string"}, {kMap, "a map"}, {kList, "a list"}, {kBool, "a boolean"}, {kInt, "an integer"}} {
		if k&n.bit != 0 {
			names = append(names, n.name)
		}
	}
	switch len(names) {
	case 0:
		return "any value"
	case 1:
		return names[0]
	}
	out := names[0]
	for _, n := range names[1 : len(names)-1] {
		out += ", " + n
	}
	return out + " or " + names[len(names)-1]
}

// undroppable lists the properties that are not dropped when written with
// the wrong shape; that is an error for the resource (or event) instead.
// Most restrict who can reach a resource: without them it would look more
// exposed than the user meant. RestApiId and ApiId name the API an event
// attaches to: without them it would attach to the implicit API.
var undroppable = []string{"ApiId", "Auth", "DisableExecuteApiEndpoint", "EndpointConfiguration",
	"PermissionsBoundary", "Policy", "RestApiId"}

// checkProps validates a property map against specs. Unknown properties
// pass through with a warning, so a newer SAM feature still reaches the
// scanner. A value of the wrong shape is dropped with a warning that says
// owner ("the resource", "the event") is analyzed without it. A required
// property that is missing or of the wrong shape is an error, as in SAM.
func (t *transformer) checkProps(where string, props *source.Node, specs map[string]propSpec, what, owner string) error {
	var misshapen []string
	for _, f := range fieldsOf(props) {
		spec, ok := specs[f.Key]
		if !ok {
			if f.Key != "__MANAGE_SWAGGER" {
				t.warn(f.KeyPos, "%s: property %s is not defined for %s (SAM rejects it); passed through unchanged",
					strings.TrimSuffix(strings.TrimSuffix(where, " is invalid. "), "."), f.Key, what)
			}
			continue
		}
		if f.Value.Kind == source.Null || spec.kind.fits(f.Value) {
			continue
		}
		wrong := t.errorAt(f.Value.Pos, "%sProperty '%s' should be %s.", where, f.Key, spec.kind)
		if spec.required || slices.Contains(undroppable, f.Key) {
			return wrong
		}
		t.tolerate(wrong, owner+" is analyzed without its "+f.Key)
		misshapen = append(misshapen, f.Key)
	}
	for _, name := range misshapen {
		props.Delete(name)
	}
	return t.missingRequired(where, props, specs)
}

// missingRequired returns SAM's error for the first required property (in
// name order) that props lacks.
func (t *transformer) missingRequired(where string, props *source.Node, specs map[string]propSpec) error {
	var required []string
	for name, spec := range specs {
		if spec.required {
			required = append(required, name)
		}
	}
	sort.Strings(required)
	for _, name := range required {
		if v := props.Get(name); v == nil || v.Kind == source.Null {
			return t.errorAt(props.Pos, "%sMissing required property '%s'.", where, name)
		}
	}
	return nil
}

func eventWhere(resourceID, eventID string) string {
	return fmt.Sprintf("Resource with id [%s] is invalid. Event with id [%s] is invalid. ", resourceID, eventID)
}

func resourceWhere(resourceID string) string {
	return fmt.Sprintf("Resource with id [%s] is invalid. ", resourceID)
}
