package sam

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/bulwark-sec/bulwark/internal/source"
)

// lambdaFunctionProps are the AWS::Serverless::Function properties copied
// as they are to AWS::Lambda::Function, in SAM's order.
var lambdaFunctionProps = []string{"Handler", "Runtime", "Description", "MemorySize", "Timeout", "VpcConfig",
	"Role", "Environment"}

var lambdaFunctionPropsAfterCode = []string{"KmsKeyArn", "ReservedConcurrentExecutions"}

var lambdaFunctionPropsAfterTags = []string{"Layers", "FileSystemConfigs", "ImageConfig", "PackageType",
	"Architectures", "SnapStart", "EphemeralStorage"}

var lambdaFunctionPropsLast = []string{"CodeSigningConfigArn", "RuntimeManagementConfig", "LoggingConfig",
	"TenancyConfig", "RecursiveLoop", "DurableConfig"}

// functionTarget is what an event source points at: the function, or the
// alias that AutoPublishAlias created.
type functionTarget struct {
	logicalID string
	isAlias   bool
	pos       source.Pos
}

// name is the value SAM uses for FunctionName: Ref to the function or alias.
func (f functionTarget) name(p source.Pos) *source.Node { return ref(f.logicalID, p) }

// arn is the function's or alias's ARN: GetAtt F.Arn, or Ref to the alias.
func (f functionTarget) arn(p source.Pos) *source.Node {
	if f.isAlias {
		return ref(f.logicalID, p)
	}
	return getAtt(f.logicalID, "Arn", p)
}

type functionBuild struct {
	r         *resource
	fn        *source.Node // AWS::Lambda::Function properties
	role      *roleBuilder
	target    functionTarget
	alias     string // alias logical ID, if any
	aliasName string
}

// transformFunction expands an AWS::Serverless::Function: the Lambda function,
// its execution role, version and alias, URL, asynchronous invocation config
// and the resources of each event.
func (t *transformer) transformFunction(r *resource) error {
	t.expandPolicyTemplates(r)
	if err := t.checkProps(resourceWhere(r.id), r.props, resourceProps[typeFunction], r.typ, "the resource"); err != nil {
		return err
	}
	props := r.props
	if dlq := props.Get("DeadLetterQueue"); truthy(dlq) {
		if err := t.validateDLQ(r, dlq); err != nil {
			t.tolerate(err, "the resource is analyzed without its DeadLetterQueue")
			props.Delete("DeadLetterQueue")
		}
	}
	if err := t.validateTenancy(r); err != nil {
		t.tolerate(err, "the function is analyzed as written")
	}
	if pc := props.Get("ProvisionedConcurrencyConfig"); truthy(pc) && !truthy(props.Get("AutoPublishAlias")) {
		t.tolerate(t.invalid(r, pc.Pos, "To set ProvisionedConcurrencyConfig AutoPublishALias must be defined on the function"),
			"the setting is ignored, as there is no alias to apply it to")
		props.Delete("ProvisionedConcurrencyConfig")
	}
	if v := props.Get("VersionDeletionPolicy"); v != nil && !isIntrinsic(v) {
		if s, _ := stringValue(v); s != "Delete" && s != "Retain" {
			t.tolerate(t.invalid(r, v.Pos, "Property 'VersionDeletionPolicy' should be a one of the strings: 'Delete' or 'Retain'."),
				"the default policy is used")
			props.Delete("VersionDeletionPolicy")
		}
	}
	fn, err := t.lambdaFunction(r)
	if err != nil {
		return err
	}
	b := &functionBuild{r: r, fn: fn, target: functionTarget{logicalID: r.id, pos: r.keyPos}}
	pass := passthroughAttrs(r)

	if alias := props.Get("AutoPublishAlias"); truthy(alias) {
		if err := t.publishAlias(b, alias); err != nil {
			return err
		}
	}
	if cfg := props.Get("FunctionUrlConfig"); truthy(cfg) {
		if err := t.functionURL(b, cfg); err != nil {
			return err
		}
	}
	if err := t.registerDeploymentPreference(b); err != nil {
		return err
	}
	var invokePolicies []*source.Node
	if cfg := props.Get("EventInvokeConfig"); truthy(cfg) {
		if invokePolicies, err = t.eventInvokeConfig(b, cfg); err != nil {
			return err
		}
	}

	role, err := t.functionRole(r, invokePolicies)
	if err != nil {
		return err
	}
	b.role = role
	roleArn := getAtt(role.logicalID, "Arn", r.keyPos)
	emitRole := false
	switch userRole := props.Get("Role"); {
	case userRole == nil:
		set(fn, "Role", roleArn)
		emitRole = true
	case intrinsicName(userRole) == "Fn::If":
		resolved, err := t.resolveParams(userRole)
		if err != nil {
			return err
		}
		cond, then, els, ok := ifParts(resolved)
		if !ok {
			return t.invalid(r, userRole.Pos, "Malformed 'Role' property: Fn::If requires 3 arguments.")
		}
		switch {
		case isNoValue(then) && isNoValue(els):
			set(fn, "Role", roleArn)
			emitRole = true
		case isNoValue(then):
			set(fn, "Role", fnIf(cond, roleArn, els, userRole.Pos))
			role.attrs = withAttr(role.attrs, "Condition", str(cond, userRole.Pos))
			emitRole = true
		case isNoValue(els):
			set(fn, "Role", fnIf(cond, then, roleArn, userRole.Pos))
			role.attrs = withAttr(role.attrs, "Condition", str("NOT"+cond, userRole.Pos))
			t.addCondition("NOT"+cond, obj(userRole.Pos, "Fn::Not", list(userRole.Pos, obj(userRole.Pos, "Condition", str(cond, userRole.Pos)))))
			emitRole = true
		}
	}
	t.emit(r, r.id, resourceNode("AWS::Lambda::Function", r.keyPos, mainAttrs(r), fn), r.keyPos)

	if err := t.functionEvents(b, pass); err != nil {
		return err
	}
	if emitRole {
		t.emit(r, role.logicalID, role.node(), r.keyPos)
	}
	t.propagateTags(r, props.Get("Tags"), props.Get("PropagateTags"))
	return nil
}

// lambdaFunction builds the AWS::Lambda::Function properties.
func (t *transformer) lambdaFunction(r *resource) (*source.Node, error) {
	props := r.props
	fn := obj(props.Pos)
	if v := props.Get("FunctionName"); truthy(v) {
		set(fn, "FunctionName", v)
	}
	copyProps(fn, props, lambdaFunctionProps)
	packageType, code := t.codeDict(r)
	set(fn, "Code", code)
	copyProps(fn, props, lambdaFunctionPropsAfterCode)
	tags := t.withoutReservedTag(r, props.Get("Tags"), "lambda:createdBy")
	set(fn, "Tags", tagList(r.keyPos, "lambda:createdBy", tags))
	copyProps(fn, props, lambdaFunctionPropsAfterTags)
	if tracing := props.Get("Tracing"); truthy(tracing) {
		if resolved, _ := t.resolvedString(tracing); resolved != "Disabled" {
			set(fn, "TracingConfig", obj(tracing.Pos, "Mode", tracing))
		}
	}
	if dlq := props.Get("DeadLetterQueue"); truthy(dlq) {
		set(fn, "DeadLetterConfig", obj(dlq.Pos, "TargetArn", dlq.Get("TargetArn")))
	}
	copyProps(fn, props, lambdaFunctionPropsLast)
	if cfg := props.Get("CapacityProviderConfig"); truthy(cfg) {
		set(fn, "CapacityProviderConfig", capacityProviderConfig(cfg))
	}
	if v := props.Get("FunctionScalingConfig"); truthy(v) {
		set(fn, "FunctionScalingConfig", v)
	}
	if v := props.Get("PublishToLatestPublished"); v != nil && v.Kind != source.Null {
		set(fn, "PublishToLatestPublished", v)
	}
	// Properties SAM does not know pass through so a scanner still sees them.
	for _, f := range fieldsOf(props) {
		if _, known := resourceProps[typeFunction][f.Key]; !known && f.Key != "__MANAGE_SWAGGER" {
			set(fn, f.Key, f.Value)
		}
	}
	t.checkPackageType(r, packageType, fn)
	return fn, nil
}

func copyProps(dst, src *source.Node, names []string) {
	for _, name := range names {
		if v := src.Get(name); v != nil && v.Kind != source.Null {
			dst.Fields = append(dst.Fields, source.Field{Key: name, KeyPos: v.Pos, Value: v})
		}
	}
}

func capacityProviderConfig(cfg *source.Node) *source.Node {
	if cfg.Kind != source.Map {
		return cfg
	}
	inner := obj(cfg.Pos, "CapacityProviderArn", cfg.Get("Arn"),
		"PerExecutionEnvironmentMaxConcurrency", cfg.Get("PerExecutionEnvironmentMaxConcurrency"),
		"ExecutionEnvironmentMemoryGiBPerVCpu", cfg.Get("ExecutionEnvironmentMemoryGiBPerVCpu"))
	return obj(cfg.Pos, "LambdaManagedInstancesCapacityProviderConfig", inner)
}

// codeDict builds the Code property from InlineCode, CodeUri or ImageUri,
// and returns the package type it read. Like SAM it prefers InlineCode when
// both InlineCode and CodeUri are set. Where SAM rejects the code settings
// (none given, a CodeUri that is not an S3 location, an Image function
// without ImageUri, an unknown PackageType) it warns and returns no Code:
// the function is still expanded, with its role, events and permissions.
// Templates written for `sam build` often leave CodeUri or ImageUri out,
// because the SAM CLI fills them in.
func (t *transformer) codeDict(r *resource) (string, *source.Node) {
	props := r.props
	packageType := "Zip"
	if v := props.Get("PackageType"); v != nil && v.Kind != source.Null {
		if s, ok := stringValue(v); ok {
			packageType = s
		} else {
			// SAM reads PackageType itself: an intrinsic is invalid.
			var b strings.Builder
			writePyJSON(&b, v)
			packageType = b.String()
		}
	}
	nonNull := func(name string) *source.Node {
		if v := props.Get(name); v != nil && v.Kind != source.Null {
			return v
		}
		return nil
	}
	const without = "the function is analyzed without a code location"
	var code *source.Node
	switch packageType {
	case "Zip":
		inline, uri := nonNull("InlineCode"), nonNull("CodeUri")
		switch {
		case inline != nil:
			code = obj(inline.Pos, "ZipFile", inline)
		case uri != nil:
			c, err := t.s3Location(r, uri, "CodeUri", "S3Bucket", "S3Key", "S3ObjectVersion")
			if err != nil {
				t.tolerate(err, without)
				return packageType, nil
			}
			code = c
		default:
			t.tolerate(t.invalid(r, r.keyPos, "Only one of 'InlineCode' or 'CodeUri' can be set."),
				"neither is, so "+without+" (sam build would package the template's directory)")
			return packageType, nil
		}
		if kms := props.Get("SourceKMSKeyArn"); truthy(kms) {
			code = shallow(code)
			set(code, "SourceKMSKeyArn", kms)
		}
	case "Image":
		const withoutImage = "the function is analyzed without an image (sam build fills it in from the function's Metadata)"
		uri := nonNull("ImageUri")
		if uri == nil {
			t.tolerate(t.invalid(r, r.keyPos, "'ImageUri' must be set."), withoutImage)
			return packageType, nil
		}
		if !truthy(uri) {
			t.tolerate(t.invalid(r, uri.Pos, "'ImageUri' requires that a image hosted at a registry be specified."), withoutImage)
			return packageType, nil
		}
		code = obj(uri.Pos, "ImageUri", uri)
	default:
		t.tolerate(t.invalid(r, props.Get("PackageType").Pos, "invalid 'PackageType' : %s", packageType), without)
	}
	return packageType, code
}

var dynamicRefInURI = regexp.MustCompile(`\{\{resolve:(ssm|ssm-secure|secretsmanager):[a-zA-Z0-9_.\-/]+(:\d+)?\}\}`)

// s3Location turns a CodeUri/ContentUri/DefinitionUri (s3://bucket/key?versionId=v
// or a Bucket/Key/Version map) into an S3 location with the given keys.
func (t *transformer) s3Location(r *resource, uri *source.Node, prop, bucketKey, keyKey, versionKey string) (*source.Node, error) {
	switch uri.Kind {
	case source.Map:
		if !truthy(uri.Get("Bucket")) || !truthy(uri.Get("Key")) {
			return nil, t.invalid(r, uri.Pos, "'%s' requires Bucket and Key properties to be specified.", prop)
		}
		return obj(uri.Pos, bucketKey, uri.Get("Bucket"), keyKey, uri.Get("Key"), versionKey, uri.Get("Version")), nil
	case source.String:
		if m := dynamicRefInURI.FindString(uri.Value); m != "" && strings.Contains(m, "/") {
			return nil, t.invalid(r, uri.Pos, "Unsupported dynamic reference detected in '%s'. Please consider using alternative 'FunctionCode' object format.", prop)
		}
		bucket, key, version, ok := parseS3URI(uri.Value)
		if !ok {
			if strings.Contains(uri.Value, "://") {
				return nil, t.invalid(r, uri.Pos, "'%s' is not a valid S3 Uri of the form 's3://bucket/key' with optional versionId query parameter.", prop)
			}
			return t.localArtifact(r, uri, prop, bucketKey, keyKey), nil
		}
		loc := obj(uri.Pos, bucketKey, str(bucket, uri.Pos), keyKey, str(key, uri.Pos))
		if version != "" {
			set(loc, versionKey, str(version, uri.Pos))
		}
		return loc, nil
	}
	return nil, t.invalid(r, uri.Pos, "'%s' must be of type dict or string.", prop)
}

// localArtifact stands for a local path (CodeUri: src/) that `sam package`
// uploads before deployment. SAM's transform only accepts S3 locations, so
// the SAM CLI substitutes one; the offline transform keeps the path as the
// key, with the bucket as an unresolved value, so the source stays findable.
func (t *transformer) localArtifact(r *resource, path *source.Node, prop, bucketKey, keyKey string) *source.Node {
	if prop == "DefinitionUri" {
		t.warn(path.Pos, "%s of %s is the local file %s, which sam package uploads; the transform does not read it, so what it defines is not analyzed",
			prop, r.id, path.Value)
	}
	bucket := &source.Node{Kind: source.Symbol, Value: "${sam package artifact bucket}", Pos: path.Pos}
	return obj(path.Pos, bucketKey, bucket, keyKey, path)
}

func parseS3URI(s string) (bucket, key, version string, ok bool) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "s3" || u.Host == "" || u.Path == "" {
		return "", "", "", false
	}
	if v := u.Query()["versionId"]; len(v) == 1 {
		version = v[0]
	}
	return u.Host, strings.TrimLeft(u.Path, "/"), version, true
}

// checkPackageType warns about the settings SAM rejects for the function's
// package type. None of them changes what the function may do, so the
// function is analyzed as written.
func (t *transformer) checkPackageType(r *resource, packageType string, fn *source.Node) {
	const asWritten = "the function is analyzed as written"
	switch packageType {
	case "Zip":
		if !truthy(fn.Get("Runtime")) || !truthy(fn.Get("Handler")) {
			t.tolerate(t.invalid(r, r.keyPos, "Runtime and Handler needs to be present when PackageType is of type `Zip`"), asWritten)
		}
		if truthy(fn.Get("Code").Get("ImageUri")) || truthy(fn.Get("ImageConfig")) {
			t.tolerate(t.invalid(r, r.keyPos, "ImageUri or ImageConfig cannot be present when PackageType is of type `Zip`"), asWritten)
		}
	case "Image":
		if truthy(fn.Get("Handler")) || truthy(fn.Get("Runtime")) || truthy(fn.Get("Layers")) {
			t.tolerate(t.invalid(r, r.keyPos, "Runtime, Handler, Layers cannot be present when PackageType is of type `Image`"), asWritten)
		}
	}
	// Any other package type was reported with the code settings.
}

func (t *transformer) validateDLQ(r *resource, dlq *source.Node) error {
	if dlq.Kind != source.Map {
		return t.invalid(r, dlq.Pos, "Property 'DeadLetterQueue' should be a map.")
	}
	typ := dlq.Get("Type")
	if !truthy(typ) || !truthy(dlq.Get("TargetArn")) {
		return t.invalid(r, dlq.Pos, "'DeadLetterQueue' requires Type and TargetArn properties to be specified.")
	}
	s, ok := stringValue(typ)
	if !ok {
		return t.invalid(r, typ.Pos, "Property 'DeadLetterQueue.Type' should be a string.")
	}
	if s != "SQS" && s != "SNS" {
		return t.invalid(r, typ.Pos, "'DeadLetterQueue' requires Type of ['SQS', 'SNS']")
	}
	return nil
}

func (t *transformer) validateTenancy(r *resource) error {
	props := r.props
	if !truthy(props.Get("TenancyConfig")) {
		return nil
	}
	switch {
	case truthy(props.Get("ProvisionedConcurrencyConfig")):
		return t.invalid(r, props.Get("ProvisionedConcurrencyConfig").Pos, "Provisioned concurrency is not supported for functions enabled with tenancy configuration.")
	case truthy(props.Get("FunctionUrlConfig")):
		return t.invalid(r, props.Get("FunctionUrlConfig").Pos, "Function URL is not supported for functions enabled with tenancy configuration.")
	case truthy(props.Get("SnapStart")):
		return t.invalid(r, props.Get("SnapStart").Pos, "SnapStart is not supported for functions enabled with tenancy configuration.")
	}
	for _, f := range fieldsOf(props.Get("Events")) {
		typ, _ := f.Value.Get("Type").Str()
		if typ != "Api" && typ != "HttpApi" {
			return t.invalid(r, f.KeyPos, "Event source '%s' is not supported for functions enabled with tenancy configuration. Only Api and HttpApi event sources are supported.", typ)
		}
	}
	return nil
}

// functionRole builds the execution role SAM generates for a function: the
// basic (or durable) execution policy, X-Ray and VPC access when the function
// uses them, the dead-letter queue and destination policies, and the
// Policies property.
func (t *transformer) functionRole(r *resource, invokePolicies []*source.Node) (*roleBuilder, error) {
	props := r.props
	b := &roleBuilder{logicalID: r.id + "Role", pos: r.keyPos, attrs: passthroughAttrs(r)}
	if v := props.Get("AssumeRolePolicyDocument"); v != nil && v.Kind != source.Null {
		b.assume = v
	} else {
		b.assume = assumeRoleFor("lambda.amazonaws.com", r.keyPos)
	}
	if d := props.Get("DurableConfig"); truthy(d) {
		b.addManaged(str(t.awsPolicyARN("service-role/AWSLambdaBasicDurableExecutionRolePolicy"), d.Pos))
	} else {
		b.addManaged(str(t.awsPolicyARN("service-role/AWSLambdaBasicExecutionRole"), r.keyPos))
	}
	if tracing := props.Get("Tracing"); truthy(tracing) {
		if resolved, _ := t.resolvedString(tracing); resolved != "Disabled" {
			b.addManaged(str(t.awsPolicyARN(t.xrayPolicyName()), tracing.Pos))
		}
	}
	if vpc := props.Get("VpcConfig"); truthy(vpc) {
		b.addManaged(str(t.awsPolicyARN("service-role/AWSLambdaVPCAccessExecutionRole"), vpc.Pos))
	}
	if dlq := props.Get("DeadLetterQueue"); truthy(dlq) {
		action := "sqs:SendMessage"
		if typ, _ := stringValue(dlq.Get("Type")); typ == "SNS" {
			action = "sns:Publish"
		}
		b.policies = append(b.policies, namedPolicy("DeadLetterQueuePolicy", obj(dlq.Pos,
			"Version", str("2012-10-17", dlq.Pos),
			"Statement", list(dlq.Pos, obj(dlq.Pos, "Action", str(action, dlq.Pos), "Resource", dlq.Get("TargetArn"),
				"Effect", str("Allow", dlq.Pos)))), dlq.Pos))
	}
	b.policies = append(b.policies, invokePolicies...)
	t.addPolicies(r, b, props.Get("Policies"))
	b.path = props.Get("RolePath")
	b.boundary = props.Get("PermissionsBoundary")
	b.tags = tagList(r.keyPos, "lambda:createdBy", props.Get("Tags"))
	return b, nil
}

func (t *transformer) xrayPolicyName() string {
	if t.partition == "aws" {
		return "AWSXrayWriteOnlyAccess"
	}
	return "AWSXRayDaemonWriteAccess"
}

var aliasNamePattern = regexp.MustCompile(`^[a-zA-Z0-9\-_]+$`)
var digitsOnly = regexp.MustCompile(`^[0-9]+$`)

// publishAlias adds the Version and Alias that AutoPublishAlias asks for;
// event sources, URLs and permissions then target the alias.
func (t *transformer) publishAlias(b *functionBuild, alias *source.Node) error {
	r, props := b.r, b.r.props
	name, ok := t.resolvedString(alias)
	if !ok {
		return t.invalid(r, alias.Pos, "'AutoPublishAlias' must be a string or a Ref to a template parameter")
	}
	var codeSha string
	if sha := props.Get("AutoPublishCodeSha256"); truthy(sha) {
		s, ok := t.resolvedString(sha)
		if !ok {
			return t.invalid(r, sha.Pos, "AutoPublishCodeSha256 must be a string")
		}
		codeSha = s
		desc, _ := t.resolveParams(props.Get("Description"))
		switch {
		case !truthy(desc):
			set(b.fn, "Description", str(codeSha, sha.Pos))
		case desc.Kind == source.String:
			set(b.fn, "Description", str(desc.Value+" "+codeSha, sha.Pos))
		default:
			set(b.fn, "Description", obj(sha.Pos, "Fn::Join", list(sha.Pos, str(" ", sha.Pos), list(sha.Pos, desc, str(codeSha, sha.Pos)))))
		}
	}
	versionID, err := t.versionLogicalID(b, codeSha)
	if err != nil {
		return err
	}
	attrs := passthroughAttrs(r)
	if !hasAttr(attrs, "DeletionPolicy") {
		policy := "Retain"
		if v := props.Get("VersionDeletionPolicy"); v != nil {
			policy, _ = v.Str()
		} else if props.Get("CapacityProviderConfig") != nil {
			policy = "Delete"
		}
		attrs = withAttr(attrs, "DeletionPolicy", str(policy, alias.Pos))
	}
	var scaling *source.Node
	if props.Get("CapacityProviderConfig") != nil {
		scaling = props.Get("FunctionScalingConfig")
	}
	version := resourceNode("AWS::Lambda::Version", alias.Pos, attrs, obj(alias.Pos,
		"Description", props.Get("VersionDescription"),
		"FunctionName", ref(r.id, alias.Pos),
		"FunctionScalingConfig", scaling))
	t.emit(r, versionID, version, alias.Pos)

	if name == "" {
		return t.invalid(r, alias.Pos, "Alias name is required to create an alias")
	}
	if !aliasNamePattern.MatchString(name) || digitsOnly.MatchString(name) {
		return t.invalid(r, alias.Pos, "AutoPublishAlias name ('%s') must contain only alphanumeric characters, hyphens, or underscores matching (?!^[0-9]+$)([a-zA-Z0-9-_]+) pattern.", name)
	}
	aliasID := r.id + "Alias" + strings.NewReplacer("-", "D", "_", "U").Replace(name)
	aliasNode := resourceNode("AWS::Lambda::Alias", alias.Pos, passthroughAttrs(r), obj(alias.Pos,
		"Name", str(name, alias.Pos),
		"FunctionName", ref(r.id, alias.Pos),
		"FunctionVersion", getAtt(versionID, "Version", alias.Pos),
		"ProvisionedConcurrencyConfig", props.Get("ProvisionedConcurrencyConfig")))
	t.emit(r, aliasID, aliasNode, alias.Pos)
	b.alias, b.aliasName = aliasID, name
	b.target = functionTarget{logicalID: aliasID, isAlias: true, pos: alias.Pos}
	t.addDerivedRef(r.id, "Alias", aliasID)
	t.addDerivedRef(r.id, "Version", versionID)
	return nil
}

// versionLogicalID reproduces SAM's Version logical ID: a hash of the code
// location (with parameters resolved), environment, memory and SnapStart, or
// of every function property when AutoPublishAliasAllProperties is set.
func (t *transformer) versionLogicalID(b *functionBuild, codeSha string) (string, error) {
	prefix := b.r.id + "Version"
	if codeSha != "" {
		return prefix + codeSha[:min(10, len(codeSha))], nil
	}
	if isTrue(b.r.props.Get("AutoPublishAliasAllProperties")) {
		return hashID(prefix, t.allPropertiesForVersion(b)), nil
	}
	code, err := t.resolveParams(b.fn.Get("Code"))
	if err != nil {
		return "", err
	}
	if code == nil {
		code = obj(b.r.keyPos) // no code location SAM could read; see codeDict
	}
	dict := shallow(code)
	if env := b.fn.Get("Environment"); truthy(env) && env.Kind == source.Map {
		for _, f := range fieldsOf(env) {
			set(dict, f.Key, f.Value)
		}
	}
	if mem := b.fn.Get("MemorySize"); truthy(mem) {
		set(dict, "MemorySize", mem)
	}
	if snap := b.fn.Get("SnapStart"); truthy(snap) {
		if apply, _ := snap.Get("ApplyOn").Str(); snap.Get("ApplyOn") != nil && apply != "None" {
			set(dict, "SnapStart", snap)
		}
	}
	return hashID(prefix, dict), nil
}

func (t *transformer) allPropertiesForVersion(b *functionBuild) *source.Node {
	props := shallow(b.fn)
	for _, layer := range itemsOf(b.fn.Get("Layers")) {
		id := logicalIDOf(layer)
		lr := t.byID[id]
		if id == "" || lr == nil || lr.typ != typeLayerVersion {
			continue
		}
		if isTrue(lr.props.Get("PublishLambdaVersion")) {
			set(props, id, lr.props)
		}
	}
	return props
}

func (t *transformer) addDerivedRef(samID, property, generatedID string) {
	m := t.derivedRefs[samID]
	if m == nil {
		m = map[string]string{}
		t.derivedRefs[samID] = m
	}
	if _, ok := m[property]; !ok {
		m[property] = generatedID
	}
}

// functionURL adds the AWS::Lambda::Url and, for AuthType NONE, the two
// public permissions SAM creates.
func (t *transformer) functionURL(b *functionBuild, cfg *source.Node) error {
	r := b.r
	if cfg.Kind != source.Map {
		return t.invalid(r, cfg.Pos, "Property 'FunctionUrlConfig' should be a map.")
	}
	intrinsicCfg := isIntrinsic(cfg)
	authType := cfg.Get("AuthType")
	if !intrinsicCfg && !isIntrinsic(authType) {
		s, _ := stringValue(authType)
		if s != "AWS_IAM" && s != "NONE" {
			return t.invalid(r, posOr(authType, cfg.Pos), "AuthType is required to configure function property `FunctionUrlConfig`. Please provide either AWS_IAM or NONE.")
		}
	}
	if cors := cfg.Get("Cors"); !intrinsicCfg && truthy(cors) && !isIntrinsic(cors) {
		if err := t.validateURLCors(r, cors); err != nil {
			return err
		}
	}
	var cors *source.Node
	if c := cfg.Get("Cors"); truthy(c) {
		cors = c
	}
	target := b.target.name(cfg.Pos)
	t.emit(r, r.id+"Url", resourceNode("AWS::Lambda::Url", cfg.Pos, passthroughAttrs(r), obj(cfg.Pos,
		"Cors", cors,
		"AuthType", authType,
		"TargetFunctionArn", target,
		"InvokeMode", cfg.Get("InvokeMode"))), cfg.Pos)
	if s, _ := stringValue(authType); s != "NONE" || intrinsicCfg {
		return nil
	}
	pos := authType.Pos
	t.emit(r, r.id+"UrlPublicPermissions", resourceNode("AWS::Lambda::Permission", pos, passthroughAttrs(r), obj(pos,
		"Action", str("lambda:InvokeFunctionUrl", pos),
		"FunctionName", b.target.name(pos),
		"Principal", str("*", pos),
		"FunctionUrlAuthType", authType)), pos)
	t.emit(r, r.id+"URLInvokeAllowPublicAccess", resourceNode("AWS::Lambda::Permission", pos, passthroughAttrs(r), obj(pos,
		"Action", str("lambda:InvokeFunction", pos),
		"FunctionName", b.target.name(pos),
		"Principal", str("*", pos),
		"InvokedViaFunctionUrl", boolean(true, pos))), pos)
	return nil
}

func posOr(n *source.Node, p source.Pos) source.Pos {
	if n != nil {
		return n.Pos
	}
	return p
}

func (t *transformer) validateURLCors(r *resource, cors *source.Node) error {
	if cors.Kind != source.Map {
		return t.invalid(r, cors.Pos, "Property 'FunctionUrlConfig.Cors' should be a map.")
	}
	want := map[string]source.Kind{"AllowOrigins": source.Seq, "AllowMethods": source.Seq, "AllowCredentials": source.Bool,
		"AllowHeaders": source.Seq, "ExposeHeaders": source.Seq, "MaxAge": source.Number}
	names := map[source.Kind]string{source.Seq: "list", source.Bool: "bool", source.Number: "int"}
	for _, f := range fieldsOf(cors) {
		k, ok := want[f.Key]
		if !ok {
			return t.invalid(r, f.KeyPos, "%s is not a valid property for configuring Cors.", f.Key)
		}
		if !isIntrinsic(f.Value) && f.Value.Kind != k {
			return t.invalid(r, f.Value.Pos, "%s must be of type %s.", f.Key, names[k])
		}
	}
	return nil
}

// eventInvokeConfig builds AWS::Lambda::EventInvokeConfig and returns the
// role policies its destinations need; destinations of type SQS or SNS
// without an ARN get a queue or topic of their own.
func (t *transformer) eventInvokeConfig(b *functionBuild, raw *source.Node) ([]*source.Node, error) {
	r := b.r
	cfg, err := t.resolveParams(raw)
	if err != nil {
		return nil, err
	}
	if cfg.Kind != source.Map {
		return nil, t.invalid(r, cfg.Pos, "Property 'EventInvokeConfig' should be a map.")
	}
	logicalID := r.id + "EventInvokeConfig"
	var policies []*source.Node
	dest := obj(cfg.Pos)
	if in := cfg.Get("DestinationConfig"); truthy(in) {
		if in.Kind != source.Map {
			return nil, t.invalid(r, in.Pos, "Property 'EventInvokeConfig.DestinationConfig' should be a map.")
		}
		for _, which := range []string{"OnSuccess", "OnFailure"} {
			d := in.Get(which)
			if d == nil || d.Kind == source.Null {
				continue
			}
			if d.Kind != source.Map {
				return nil, t.invalid(r, d.Pos, "Property 'EventInvokeConfig.DestinationConfig.%s' should be a map.", which)
			}
			arn, policy, err := t.invokeDestination(b, d, which, logicalID)
			if err != nil {
				return nil, err
			}
			set(dest, which, obj(d.Pos, "Destination", arn))
			if policy != nil {
				policies = append(policies, policy)
			}
		}
	}
	attrs := mainAttrs(r)
	attrs = dropAttr(attrs, "DependsOn")
	if b.alias != "" {
		attrs = append([]source.Field{{Key: "DependsOn", KeyPos: cfg.Pos, Value: strList(cfg.Pos, b.alias)}}, attrs...)
	}
	qualifier := "$LATEST"
	if b.aliasName != "" {
		qualifier = b.aliasName
	}
	t.emit(r, logicalID, resourceNode("AWS::Lambda::EventInvokeConfig", raw.Pos, attrs, obj(raw.Pos,
		"FunctionName", ref(r.id, raw.Pos),
		"Qualifier", str(qualifier, raw.Pos),
		"DestinationConfig", dest,
		"MaximumEventAgeInSeconds", cfg.Get("MaximumEventAgeInSeconds"),
		"MaximumRetryAttempts", cfg.Get("MaximumRetryAttempts"))), raw.Pos)
	return policies, nil
}

func dropAttr(attrs []source.Field, key string) []source.Field {
	out := attrs[:0:0]
	for _, f := range attrs {
		if f.Key != key {
			out = append(out, f)
		}
	}
	return out
}

func (t *transformer) invokeDestination(b *functionBuild, d *source.Node, which, logicalID string) (*source.Node, *source.Node, error) {
	r := b.r
	typ, _ := stringValue(d.Get("Type"))
	switch typ {
	case "SQS", "SNS", "EventBridge", "Lambda", "S3Bucket":
	default:
		shown := "None"
		if d.Get("Type") != nil {
			shown, _ = d.Get("Type").Str()
		}
		return nil, nil, t.invalid(r, posOr(d.Get("Type"), d.Pos), "'Type: %s' must be one of ['SQS', 'SNS', 'EventBridge', 'Lambda', 'S3Bucket']", shown)
	}
	resourceID := logicalID + which
	destination := d.Get("Destination")
	propCond, altArn := "", (*source.Node)(nil)
	if cond, then, els, ok := ifParts(destination); ok {
		switch {
		case isNoValue(then) && isNoValue(els):
		case isNoValue(then):
			propCond, altArn = cond, els
		case isNoValue(els):
			propCond = "NOT" + cond + hashString("", logicalID)
			t.addCondition(propCond, obj(destination.Pos, "Fn::Not", list(destination.Pos, obj(destination.Pos, "Condition", str(cond, destination.Pos)))))
			altArn = then
		}
	}
	if destination == nil || propCond != "" {
		if typ != "SQS" && typ != "SNS" {
			return nil, nil, t.invalid(r, d.Pos, "Destination is required if Type is not ['SQS', 'SNS']")
		}
		combined := t.andConditions(r, r.condition(), propCond)
		attrs := passthroughAttrs(r)
		if combined != "" {
			attrs = withAttr(attrs, "Condition", str(combined, d.Pos))
		}
		var created *source.Node
		var createdID string
		if typ == "SQS" {
			createdID = resourceID + "Queue"
			created = getAtt(createdID, "Arn", d.Pos)
			t.emit(r, createdID, resourceNode("AWS::SQS::Queue", d.Pos, attrs, nil), d.Pos)
			t.addDerivedRef(r.id, "DestinationQueue", createdID)
		} else {
			createdID = resourceID + "Topic"
			created = ref(createdID, d.Pos)
			t.emit(r, createdID, resourceNode("AWS::SNS::Topic", d.Pos, attrs, nil), d.Pos)
			t.addDerivedRef(r.id, "DestinationTopic", createdID)
		}
		arn := created
		if propCond != "" {
			arn = fnIf(propCond, created, altArn, d.Pos)
		}
		return arn, destinationPolicy(typ, resourceID, arn, d.Pos), nil
	}
	return destination, destinationPolicy(typ, resourceID, destination, d.Pos), nil
}

// andConditions returns a condition true when both are, adding it to the
// template when both are set.
func (t *transformer) andConditions(r *resource, a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	name := a + "AND" + b + hashString("", r.id)
	if len(name) > 255 {
		name = name[:255]
	}
	t.addCondition(name, obj(r.keyPos, "Fn::And", list(r.keyPos, obj(r.keyPos, "Condition", str(a, r.keyPos)), obj(r.keyPos, "Condition", str(b, r.keyPos)))))
	return name
}

// destinationPolicy is the role policy that lets a function deliver to an
// asynchronous-invocation or event-source-mapping destination.
func destinationPolicy(typ, logicalID string, arn *source.Node, pos source.Pos) *source.Node {
	switch typ {
	case "SQS":
		return statementPolicy(logicalID+"SQSPolicy", pos, allow(pos, str("sqs:SendMessage", pos), arn))
	case "SNS":
		return statementPolicy(logicalID+"SNSPolicy", pos, allow(pos, str("sns:publish", pos), arn))
	case "EventBridge":
		return statementPolicy(logicalID+"EventBridgePolicy", pos, allow(pos, str("events:PutEvents", pos), arn))
	case "Lambda":
		return statementPolicy(logicalID+"LambdaPolicy", pos, allow(pos, str("lambda:InvokeFunction", pos), arn))
	case "S3Bucket", "S3":
		withWildcard := obj(pos, "Fn::Join", list(pos, str("/", pos), list(pos, arn, str("*", pos))))
		return statementPolicy(logicalID+"S3Policy", pos,
			allow(pos, str("s3:PutObject", pos), withWildcard),
			allow(pos, str("s3:ListBucket", pos), arn))
	}
	return nil
}

// propagateTags gives generated resources the SAM resource's tags when
// PropagateTags is true.
func (t *transformer) propagateTags(r *resource, tags, propagate *source.Node) {
	if !isTrue(propagate) || !truthy(tags) || tags.Kind != source.Map {
		return
	}
	for _, g := range t.generated {
		if t.origins[g.id].LogicalID != r.id || g.id == r.id {
			continue
		}
		typ, _ := stringValue(g.node.Get("Type"))
		if !taggable[typ] {
			continue
		}
		props := g.node.Get("Properties")
		if props == nil {
			continue
		}
		set(props, "Tags", tagList(tags.Pos, "", tags))
	}
}

// taggable lists generated types whose Tags property is a [{Key, Value}] list.
var taggable = map[string]bool{
	"AWS::IAM::Role": true, "AWS::SQS::Queue": true, "AWS::SNS::Topic": true,
	"AWS::ApiGateway::Stage": true, "AWS::ApiGateway::DomainName": true, "AWS::ApiGateway::UsagePlan": true,
	"AWS::ApiGateway::ApiKey": true, "AWS::Lambda::EventSourceMapping": true, "AWS::CodeDeploy::Application": true,
	"AWS::DynamoDB::Table": true,
}
