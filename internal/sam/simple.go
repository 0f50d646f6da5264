package sam

import (
	"strings"

	"github.com/bulwark-sec/bulwark/internal/source"
)

// transformSimpleTable expands an AWS::Serverless::SimpleTable into a
// DynamoDB table with a single hash key (default "id", a string).
func (t *transformer) transformSimpleTable(r *resource) error {
	if err := t.checkProps(resourceWhere(r.id), r.props, resourceProps[typeSimpleTable], r.typ, "the resource"); err != nil {
		return err
	}
	props := r.props
	pos := r.keyPos
	keyName, keyType := str("id", pos), str("S", pos)
	if pk := props.Get("PrimaryKey"); truthy(pk) {
		name, typ := pk.Get("Name"), pk.Get("Type")
		if name == nil || name.Kind == source.Null {
			return t.invalid(r, pk.Pos, "Property 'PrimaryKey.Name' is required.")
		}
		if typ == nil || typ.Kind == source.Null {
			return t.invalid(r, pk.Pos, "Property 'PrimaryKey.Type' is required.")
		}
		converted, ok := map[string]string{"String": "S", "Number": "N", "Binary": "B"}[typ.Value]
		if !ok {
			return t.invalid(r, typ.Pos, "Invalid 'Type' \"%s\".", typ.Value)
		}
		keyName, keyType = name, str(converted, typ.Pos)
	}
	table := obj(props.Pos,
		"AttributeDefinitions", list(pos, obj(pos, "AttributeName", keyName, "AttributeType", keyType)),
		"KeySchema", list(pos, obj(pos, "AttributeName", keyName, "KeyType", str("HASH", pos))))
	if v := props.Get("PointInTimeRecoverySpecification"); truthy(v) {
		set(table, "PointInTimeRecoverySpecification", v)
	}
	if v := props.Get("ProvisionedThroughput"); truthy(v) {
		set(table, "ProvisionedThroughput", v)
	} else {
		set(table, "BillingMode", str("PAY_PER_REQUEST", pos))
	}
	for _, name := range []string{"SSESpecification", "TableName"} {
		if v := props.Get(name); truthy(v) {
			set(table, name, v)
		}
	}
	if tags := props.Get("Tags"); truthy(tags) {
		set(table, "Tags", tagList(tags.Pos, "", tags))
	}
	t.emit(r, r.id, resourceNode("AWS::DynamoDB::Table", r.keyPos, mainAttrs(r), table), r.keyPos)
	return nil
}

// transformLayerVersion expands an AWS::Serverless::LayerVersion. SAM gives
// the layer a logical ID that hashes its definition, so that changes publish
// a new version, and rewrites every reference to the old ID.
func (t *transformer) transformLayerVersion(r *resource) error {
	if err := t.checkProps(resourceWhere(r.id), r.props, resourceProps[typeLayerVersion], r.typ, "the resource"); err != nil {
		return err
	}
	props := shallow(r.props)
	for _, name := range []string{"LayerName", "LicenseInfo", "Description", "RetentionPolicy"} {
		v := props.Get(name)
		if v == nil {
			continue
		}
		resolved, err := t.resolveParams(v)
		if err != nil {
			return err
		}
		if resolved.Kind != source.String && isIntrinsic(v) && v != resolved {
			return t.invalid(r, v.Pos, "Could not resolve parameter for '%s' or parameter is not a String.", name)
		}
		set(props, name, resolved)
	}
	attrs := passthroughAttrs(r)
	if !hasAttr(attrs, "DeletionPolicy") {
		attrs = withAttr(attrs, "DeletionPolicy", str("Retain", r.keyPos))
	}
	if rp := props.Get("RetentionPolicy"); rp != nil && rp.Kind != source.Null {
		if isIntrinsic(rp) {
			return t.invalid(r, rp.Pos, "'RetentionPolicy' does not accept intrinsic functions, please use one of the following options: ['Retain', 'Delete']")
		}
		s, ok := stringValue(rp)
		if !ok {
			return t.invalid(r, rp.Pos, "Invalid 'RetentionPolicy' type, please use one of the following options: ['Retain', 'Delete']")
		}
		switch strings.ToLower(s) {
		case "retain":
			attrs = withAttr(attrs, "DeletionPolicy", str("Retain", rp.Pos))
		case "delete":
			attrs = withAttr(attrs, "DeletionPolicy", str("Delete", rp.Pos))
		default:
			return t.invalid(r, rp.Pos, "'RetentionPolicy' must be one of the following options: ['Retain', 'Delete'].")
		}
	}
	newID := hashID(r.id, t.layerHashInput(r, props))
	t.changedIDs[r.id] = newID

	name := props.Get("LayerName")
	if !truthy(name) {
		name = str(r.id, r.keyPos)
	}
	content := props.Get("ContentUri")
	loc, err := t.s3Location(r, content, "ContentUri", "S3Bucket", "S3Key", "S3ObjectVersion")
	if err != nil {
		return err
	}
	archs := props.Get("CompatibleArchitectures")
	if archs != nil && archs.Kind == source.Seq {
		for _, a := range itemsOf(archs) {
			if !isIntrinsic(a) && a.Value != "x86_64" && a.Value != "arm64" {
				return t.invalid(r, a.Pos, "CompatibleArchitectures needs to be a list of 'x86_64' or 'arm64'")
			}
		}
	}
	layer := obj(props.Pos, "LayerName", name, "Description", props.Get("Description"), "Content", loc,
		"CompatibleArchitectures", archs, "CompatibleRuntimes", props.Get("CompatibleRuntimes"), "LicenseInfo", props.Get("LicenseInfo"))
	main := append([]source.Field(nil), mainAttrs(r)...)
	for _, a := range attrs {
		main = withAttr(main, a.Key, a.Value)
	}
	t.emit(r, newID, resourceNode("AWS::Lambda::LayerVersion", r.keyPos, main, layer), r.keyPos)
	return nil
}

// layerHashInput is the resource dictionary SAM hashes for a layer's ID:
// type, properties and attributes, without the deletion and update policies
// and the metadata.
func (t *transformer) layerHashInput(r *resource, props *source.Node) *source.Node {
	d := obj(r.keyPos, "Type", str(typeLayerVersion, r.keyPos))
	for _, f := range r.node.Fields {
		switch f.Key {
		case "DependsOn", "Condition", "UpdatePolicy":
			set(d, f.Key, f.Value)
		}
	}
	p := obj(props.Pos)
	for _, name := range []string{"LayerName", "Description", "PublishLambdaVersion", "ContentUri", "CompatibleArchitectures",
		"CompatibleRuntimes", "LicenseInfo", "RetentionPolicy"} {
		if v := props.Get(name); v != nil && v.Kind != source.Null {
			set(p, name, v)
		}
	}
	set(d, "Properties", p)
	return obj(r.keyPos, r.id, d)
}

// transformApplication turns an AWS::Serverless::Application into the nested
// stack it deploys. The nested template is not followed: it may live in the
// Serverless Application Repository or anywhere else, so a warning records
// that its resources were not scanned.
func (t *transformer) transformApplication(r *resource) error {
	if err := t.checkProps(resourceWhere(r.id), r.props, resourceProps[typeApplication], r.typ, "the resource"); err != nil {
		return err
	}
	props := r.props
	location := props.Get("Location")
	pos := r.keyPos
	var templateURL *source.Node
	var appTags []*source.Node
	switch {
	case location.Kind == source.String:
		templateURL = location
	case location.Kind == source.Map && !isIntrinsic(location):
		appID, version := location.Get("ApplicationId"), location.Get("SemanticVersion")
		for _, v := range []*source.Node{appID, version} {
			if name, arg, ok := v.Intrinsic(); ok && name == "Fn::FindInMap" && (arg.Kind != source.Seq || len(arg.Items) != 3) {
				return t.errorAt(v.Pos, "Structure of the SAM template is invalid. Invalid FindInMap value %s. FindInMap expects an array with 3 values.", pyRepr(arg))
			}
		}
		if appID == nil || appID.Kind == source.Null {
			return t.invalid(r, location.Pos, "Property 'ApplicationId' is required.")
		}
		if version == nil || version.Kind == source.Null {
			return t.invalid(r, location.Pos, "Property 'SemanticVersion' is required.")
		}
		templateURL = str("", location.Pos)
		appTags = append(appTags, obj(location.Pos, "Key", str("serverlessrepo:applicationId", location.Pos), "Value", appID),
			obj(location.Pos, "Key", str("serverlessrepo:semanticVersion", location.Pos), "Value", version))
	default:
		templateURL = location
	}
	if url := props.Get("TemplateUrl"); truthy(url) {
		templateURL = url
	}
	tags := tagList(pos, "lambda:createdBy", props.Get("Tags"))
	tags.Items = append(tags.Items[:1], append(appTags, tags.Items[1:]...)...)
	stack := obj(props.Pos,
		"Parameters", props.Get("Parameters"),
		"NotificationARNs", props.Get("NotificationARNs"),
		"Tags", tags,
		"TimeoutInMinutes", props.Get("TimeoutInMinutes"),
		"TemplateURL", templateURL)
	attrs := passthroughAttrs(r)
	if deps := r.attr("DependsOn"); deps != nil {
		attrs = append([]source.Field{{Key: "DependsOn", KeyPos: deps.Pos, Value: deps}}, attrs...)
	}
	t.emit(r, r.id, resourceNode("AWS::CloudFormation::Stack", pos, attrs, stack), location.Pos)
	t.warn(location.Pos, "application %s is a nested stack; its template is not followed and its resources are not analyzed", r.id)
	return nil
}

// transformCapacityProvider expands an AWS::Serverless::CapacityProvider into
// AWS::Lambda::CapacityProvider and, unless OperatorRole is given, the role
// Lambda uses to manage its EC2 instances.
func (t *transformer) transformCapacityProvider(r *resource) error {
	if err := t.checkProps(resourceWhere(r.id), r.props, resourceProps[typeCapacityProvider], r.typ, "the resource"); err != nil {
		return err
	}
	props := r.props
	pos := r.keyPos
	vpc := props.Get("VpcConfig")
	if vpc.Get("SubnetIds") == nil {
		return t.invalid(r, vpc.Pos, "Property 'VpcConfig.SubnetIds' is required.")
	}
	reqs := props.Get("InstanceRequirements")
	if reqs.Get("AllowedTypes") != nil && reqs.Get("ExcludedTypes") != nil {
		return t.invalid(r, reqs.Pos, "Cannot specify 'InstanceRequirements.AllowedTypes' and 'InstanceRequirements.ExcludedTypes' together.")
	}
	tags := props.Get("Tags")
	if tags != nil && tags.Kind != source.Map {
		return t.invalid(r, tags.Pos, "Property 'Tags' should be a map.")
	}
	pass := passthroughAttrs(r)
	operator := props.Get("OperatorRole")
	if !truthy(operator) {
		b := &roleBuilder{logicalID: r.id + "OperatorRole", pos: pos, attrs: pass, assume: assumeRoleFor("lambda.amazonaws.com", pos)}
		b.addManaged(str(t.awsPolicyARN("AWSLambdaManagedEC2ResourceOperator"), pos))
		b.tags = tagList(pos, "lambda:createdBy")
		t.emit(r, b.logicalID, b.node(), pos)
		operator = getAtt(b.logicalID, "Arn", pos)
	}
	cp := obj(props.Pos)
	if v := props.Get("CapacityProviderName"); truthy(v) {
		set(cp, "CapacityProviderName", v)
	}
	set(cp, "VpcConfig", obj(vpc.Pos, "SubnetIds", vpc.Get("SubnetIds"), "SecurityGroupIds", vpc.Get("SecurityGroupIds")))
	set(cp, "PermissionsConfig", obj(pos, "CapacityProviderOperatorRoleArn", operator))
	set(cp, "Tags", tagList(pos, "lambda:createdBy", tags))
	if truthy(reqs) {
		set(cp, "InstanceRequirements", obj(reqs.Pos, "Architectures", reqs.Get("Architectures"),
			"AllowedInstanceTypes", reqs.Get("AllowedTypes"), "ExcludedInstanceTypes", reqs.Get("ExcludedTypes")))
	}
	if sc := props.Get("ScalingConfig"); truthy(sc) {
		out := obj(sc.Pos, "MaxVCpuCount", sc.Get("MaxVCpuCount"))
		if cpu := sc.Get("AverageCPUUtilization"); cpu != nil {
			set(out, "ScalingMode", str("Manual", sc.Pos))
			set(out, "ScalingPolicies", list(sc.Pos, obj(sc.Pos,
				"PredefinedMetricType", str("LambdaCapacityProviderAverageCPUUtilization", sc.Pos), "TargetValue", cpu)))
		} else {
			set(out, "ScalingMode", str("Auto", sc.Pos))
		}
		set(cp, "CapacityProviderScalingConfig", out)
	}
	if v := props.Get("KmsKeyArn"); truthy(v) {
		set(cp, "KmsKeyArn", v)
	}
	main := mainAttrs(r)
	t.emit(r, r.id, resourceNode("AWS::Lambda::CapacityProvider", pos, main, cp), pos)
	return nil
}
