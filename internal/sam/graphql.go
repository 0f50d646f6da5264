package sam

import (
	"strconv"
	"strings"

	"github.com/bulwark-sec/bulwark/internal/source"
)

const appsyncPipelineCode = `
export function request(ctx) {
    return {};
}

export function response(ctx) {
    return ctx.prev.result;
}
`

// transformGraphQLAPI expands an AWS::Serverless::GraphQLApi into AppSync
// resources: the API with its authentication providers, the schema, the
// logging role, API keys, cache, domain, data sources with their service
// roles and policies, functions and pipeline resolvers.
func (t *transformer) transformGraphQLAPI(r *resource) error {
	if err := t.checkProps(resourceWhere(r.id), r.props, resourceProps[typeGraphQLAPI], r.typ, "the resource"); err != nil {
		return err
	}
	props := r.props
	pos := r.keyPos
	attrs := mainAttrs(r)
	apiID := getAtt(r.id, "ApiId", pos)
	api := obj(props.Pos)
	name := props.Get("Name")
	if !truthy(name) {
		name = str(r.id, pos)
	}
	set(api, "Name", name)
	for _, k := range []string{"Visibility", "OwnerContact"} {
		if v := props.Get(k); truthy(v) {
			set(api, k, v)
		}
	}
	if v := props.Get("XrayEnabled"); v != nil {
		set(api, "XrayEnabled", v)
	}
	for _, k := range []string{"IntrospectionConfig", "QueryDepthLimit", "ResolverCountLimit"} {
		if v := props.Get(k); truthy(v) {
			set(api, k, v)
		}
	}
	lambdaAuth, err := t.graphQLAuth(r, api, props.Get("Auth"))
	if err != nil {
		return err
	}
	tags := obj(pos)
	if v := props.Get("Tags"); v != nil && v.Kind == source.Map {
		tags = shallow(v)
	}
	set(tags, "graphqlapi:createdBy", str("SAM", pos))
	set(api, "Tags", tagList(pos, "", tags))
	var cloudWatchRole *source.Node
	logging := props.Get("Logging")
	if !(logging != nil && logging.Kind == source.Bool && !truthy(logging)) {
		config := obj(posOr(logging, pos))
		roleArn := (*source.Node)(nil)
		if logging != nil && logging.Kind == source.Map {
			if v := logging.Get("ExcludeVerboseContent"); truthy(v) {
				set(config, "ExcludeVerboseContent", v)
			}
			level := logging.Get("FieldLogLevel")
			if !truthy(level) {
				level = str("ALL", logging.Pos)
			}
			set(config, "FieldLogLevel", level)
			roleArn = logging.Get("CloudWatchLogsRoleArn")
		} else {
			set(config, "FieldLogLevel", str("ALL", pos))
		}
		if truthy(roleArn) {
			set(config, "CloudWatchLogsRoleArn", roleArn)
		} else {
			roleID := r.id + "CloudWatchRole"
			b := &roleBuilder{logicalID: roleID, pos: posOr(logging, pos), attrs: attrs,
				assume: assumeRoleFor("appsync.amazonaws.com", posOr(logging, pos))}
			b.addManaged(fnSub("arn:${AWS::Partition}:iam::aws:policy/service-role/AWSAppSyncPushToCloudWatchLogs", posOr(logging, pos)))
			cloudWatchRole = b.node()
			cloudWatchRole.Get("Properties").Delete("Policies")
			set(config, "CloudWatchLogsRoleArn", getAtt(roleID, "Arn", posOr(logging, pos)))
		}
		set(api, "LogConfig", config)
	}
	t.emit(r, r.id, resourceNode("AWS::AppSync::GraphQLApi", pos, attrs, api), pos)

	inline, uri := props.Get("SchemaInline"), props.Get("SchemaUri")
	switch {
	case !truthy(inline) && !truthy(uri):
		return t.invalid(r, pos, "One of 'SchemaInline' or 'SchemaUri' must be set.")
	case truthy(inline) && truthy(uri):
		return t.invalid(r, uri.Pos, "Both 'SchemaInline' and 'SchemaUri' cannot be defined at the same time.")
	}
	schemaID := r.id + "Schema"
	t.emit(r, schemaID, resourceNode("AWS::AppSync::GraphQLSchema", pos, attrs, obj(pos,
		"ApiId", apiID, "Definition", inline, "DefinitionS3Location", uri)), pos)
	for i, arn := range lambdaAuth {
		connector := t.syntheticConnector(r, r.id+"ToLambdaAuthConnector"+strconv.Itoa(i+1))
		p := posOr(arn, pos)
		src := &connectorEnd{typ: "AWS::AppSync::GraphQLApi", arn: ref(r.id, p), resourceID: getAtt(r.id, "ApiId", p)}
		dst := &connectorEnd{typ: "AWS::Lambda::Function", arn: arn}
		if _, err := t.connectorResources(connector, src, dst, []string{"Write"}, 0, false); err != nil {
			return err
		}
	}
	if cloudWatchRole != nil {
		t.emit(r, r.id+"CloudWatchRole", cloudWatchRole, posOr(logging, pos))
	}
	for _, f := range fieldsOf(props.Get("ApiKeys")) {
		k := f.Value
		t.emit(r, r.id+f.Key, resourceNode("AWS::AppSync::ApiKey", f.KeyPos, attrs, obj(f.KeyPos,
			"ApiId", apiID, "ApiKeyId", k.Get("ApiKeyId"), "Description", k.Get("Description"), "Expires", k.Get("ExpiresOn"))), f.KeyPos)
	}
	if cache := props.Get("Cache"); truthy(cache) {
		t.emit(r, r.id+"ApiCache", resourceNode("AWS::AppSync::ApiCache", cache.Pos, attrs, obj(cache.Pos,
			"ApiId", apiID, "ApiCachingBehavior", cache.Get("ApiCachingBehavior"), "Type", cache.Get("Type"), "Ttl", cache.Get("Ttl"),
			"AtRestEncryptionEnabled", cache.Get("AtRestEncryptionEnabled"), "TransitEncryptionEnabled", cache.Get("TransitEncryptionEnabled"))), cache.Pos)
	}
	dataSourceNames := map[string]*source.Node{}
	if ds := props.Get("DataSources"); truthy(ds) {
		if err := t.graphQLDataSources(r, ds, apiID, attrs, dataSourceNames); err != nil {
			return err
		}
	}
	if dn := props.Get("DomainName"); truthy(dn) {
		t.emit(r, r.id+"DomainName", resourceNode("AWS::AppSync::DomainName", dn.Pos, attrs, obj(dn.Pos,
			"CertificateArn", dn.Get("CertificateArn"), "DomainName", dn.Get("DomainName"), "Description", dn.Get("Description"))), dn.Pos)
		t.emit(r, r.id+"DomainNameApiAssociation", resourceNode("AWS::AppSync::DomainNameApiAssociation", dn.Pos, attrs, obj(dn.Pos,
			"ApiId", apiID, "DomainName", getAtt(r.id+"DomainName", "DomainName", dn.Pos))), dn.Pos)
	}
	functionIDs := map[string]*source.Node{}
	var noneDataSource bool
	noneName := func(p source.Pos) *source.Node {
		noneDataSource = true
		return getAtt(r.id+"NoneDataSource", "Name", p)
	}
	for _, f := range fieldsOf(props.Get("Functions")) {
		fn := f.Value
		if id := fn.Get("Id"); id != nil {
			if len(fn.Fields) != 1 {
				return t.errorAt(f.KeyPos, "Resource with id [%s] is invalid. 'Id' cannot be defined with other properties in Function.", f.Key)
			}
			functionIDs[f.Key] = id
			continue
		}
		code, codeURI := fn.Get("InlineCode"), fn.Get("CodeUri")
		switch {
		case truthy(code) && truthy(codeURI):
			return t.errorAt(f.KeyPos, "Resource with id [%s] is invalid. Both 'InlineCode' and 'CodeUri' cannot be defined at the same time.", f.Key)
		case !truthy(code) && !truthy(codeURI):
			return t.errorAt(f.KeyPos, "Resource with id [%s] is invalid. One of 'InlineCode' or 'CodeUri' must be set.", f.Key)
		}
		dsName, err := t.graphQLDataSourceName(f.Key, f.KeyPos, fn.Get("DataSource"), dataSourceNames, noneName)
		if err != nil {
			return err
		}
		runtime := fn.Get("Runtime")
		if !truthy(runtime) {
			return t.errorAt(f.KeyPos, "Resource with id [%s] is invalid. 'Runtime' must be defined as a property in %s.", f.Key, f.Key)
		}
		name := fn.Get("Name")
		if !truthy(name) {
			name = str(f.Key, f.KeyPos)
		}
		var sync *source.Node
		if s := fn.Get("Sync"); truthy(s) {
			sync = s
		}
		t.emit(r, r.id+f.Key, resourceNode("AWS::AppSync::FunctionConfiguration", f.KeyPos, attrs, obj(f.KeyPos,
			"ApiId", apiID, "Name", name, "Code", code, "CodeS3Location", codeURI, "DataSourceName", dsName,
			"MaxBatchSize", fn.Get("MaxBatchSize"), "Description", fn.Get("Description"),
			"Runtime", obj(runtime.Pos, "Name", runtime.Get("Name"), "RuntimeVersion", runtime.Get("Version")),
			"SyncConfig", sync)), f.KeyPos)
		functionIDs[f.Key] = getAtt(r.id+f.Key, "FunctionId", f.KeyPos)
	}
	for _, typeField := range fieldsOf(props.Get("Resolvers")) {
		for _, f := range typeField.Value.Fields {
			res := f.Value
			code, codeURI := res.Get("InlineCode"), res.Get("CodeUri")
			if truthy(code) && truthy(codeURI) {
				return t.errorAt(f.KeyPos, "Resource with id [%s] is invalid. Both 'InlineCode' and 'CodeUri' cannot be defined at the same time.", f.Key)
			}
			var runtime *source.Node
			if !truthy(code) && !truthy(codeURI) {
				code = str(appsyncPipelineCode, f.KeyPos)
				runtime = obj(f.KeyPos, "Name", str("APPSYNC_JS", f.KeyPos), "RuntimeVersion", str("1.0.0", f.KeyPos))
			} else {
				rt := res.Get("Runtime")
				if !truthy(rt) {
					return t.errorAt(f.KeyPos, "Resource with id [%s] is invalid. 'Runtime' must be defined as a property in %s.", f.Key, f.Key)
				}
				runtime = obj(rt.Pos, "Name", rt.Get("Name"), "RuntimeVersion", rt.Get("Version"))
			}
			pipeline := res.Get("Pipeline")
			if !truthy(pipeline) {
				return t.errorAt(f.KeyPos, "Resource with id [%s] is invalid. Resolver '%s' must have Pipeline defined. Unit resolvers are not supported. If you need a Unit resolver you can use AppSync resource.", f.Key, f.Key)
			}
			fns := list(pipeline.Pos)
			for _, p := range itemsOf(pipeline) {
				id, ok := functionIDs[p.Value]
				if !ok {
					return t.errorAt(p.Pos, "Resource with id [%s] is invalid. Function '%s' does not exist.", f.Key, p.Value)
				}
				fns.Items = append(fns.Items, id)
			}
			field := res.Get("FieldName")
			if !truthy(field) {
				field = str(f.Key, f.KeyPos)
			}
			resolverAttrs := append([]source.Field{{Key: "DependsOn", KeyPos: f.KeyPos, Value: strList(f.KeyPos, schemaID)}}, dropAttr(attrs, "DependsOn")...)
			rp := obj(f.KeyPos, "Code", code, "CodeS3Location", codeURI, "Runtime", runtime, "ApiId", apiID,
				"FieldName", field, "TypeName", str(typeField.Key, typeField.KeyPos), "Kind", str("PIPELINE", f.KeyPos),
				"PipelineConfig", obj(f.KeyPos, "Functions", fns))
			if c := res.Get("Caching"); truthy(c) {
				set(rp, "CachingConfig", c)
			}
			if v := res.Get("MaxBatchSize"); truthy(v) {
				set(rp, "MaxBatchSize", v)
			}
			t.emit(r, r.id+typeField.Key+f.Key, resourceNode("AWS::AppSync::Resolver", f.KeyPos, resolverAttrs, rp), f.KeyPos)
		}
	}
	if noneDataSource {
		id := r.id + "NoneDataSource"
		t.emit(r, id, resourceNode("AWS::AppSync::DataSource", pos, attrs, obj(pos, "ApiId", apiID, "Name", str(id, pos), "Type", str("NONE", pos))), pos)
	}
	return nil
}

// syntheticConnector is a connector SAM creates on behalf of another
// resource; what it generates is attributed to that resource.
func (t *transformer) syntheticConnector(owner *resource, id string) *resource {
	return &resource{id: id, keyPos: owner.keyPos, node: obj(owner.keyPos), typ: typeConnector, parent: owner}
}

func (t *transformer) graphQLDataSourceName(id string, pos source.Pos, ds *source.Node, names map[string]*source.Node, none func(source.Pos) *source.Node) (*source.Node, error) {
	if !truthy(ds) {
		return nil, t.errorAt(pos, "Resource with id [%s] is invalid. 'DataSource' must be set.", id)
	}
	if s, ok := stringValue(ds); ok {
		if strings.ToLower(s) == "none" {
			return none(ds.Pos), nil
		}
		if n, ok := names[s]; ok {
			return n, nil
		}
		return nil, t.errorAt(ds.Pos, "Resource with id [%s] is invalid. Either define DataSource '%s' in 'DataSources' or use intrinsic function like GetAtt, ImportValue, Sub or another one to reference a DataSource defined outside of this GraphQLApi resource.", id, s)
	}
	return ds, nil
}

// graphQLAuth sets the API's authentication type and providers and returns
// the ARNs of Lambda authorizers, which need permissions.
func (t *transformer) graphQLAuth(r *resource, api, auth *source.Node) ([]*source.Node, error) {
	var lambdaArns []*source.Node
	provider := func(a *source.Node, key string, additional bool) (string, *source.Node, error) {
		typ, _ := stringValue(a.Get("Type"))
		configs := 0
		for _, f := range fieldsOf(a) {
			if f.Key != "Type" && f.Key != "Additional" && f.Value.Kind != source.Null {
				configs++
			}
		}
		if configs > 1 {
			return "", nil, t.invalid(r, a.Pos, "%s has more than one authentication configuration defined.", key)
		}
		switch typ {
		case "AWS_LAMBDA":
			v := a.Get("LambdaAuthorizer")
			if v == nil {
				return "", nil, t.invalid(r, a.Pos, "'LambdaAuthorizer' must be defined if type is 'AWS_LAMBDA'.")
			}
			lambdaArns = append(lambdaArns, v.Get("AuthorizerUri"))
			return "LambdaAuthorizerConfig", v, nil
		case "OPENID_CONNECT":
			v := a.Get("OpenIDConnect")
			if v == nil {
				return "", nil, t.invalid(r, a.Pos, "'OpenIDConnect' must be defined if type is 'OPENID_CONNECT'.")
			}
			return "OpenIDConnectConfig", v, nil
		case "AMAZON_COGNITO_USER_POOLS":
			v := a.Get("UserPool")
			if v == nil {
				return "", nil, t.invalid(r, a.Pos, "'UserPool' must be defined if type is 'AMAZON_COGNITO_USER_POOLS'.")
			}
			if additional && v.Get("DefaultAction") != nil {
				v = shallow(v)
				v.Delete("DefaultAction")
			}
			return "UserPoolConfig", v, nil
		case "AWS_IAM", "API_KEY":
			return "", nil, nil
		}
		return "", nil, t.invalid(r, posOr(a.Get("Type"), a.Pos), "Property 'Auth.Type' is invalid.")
	}
	name, cfg, err := provider(auth, "'Auth'", false)
	if err != nil {
		return nil, err
	}
	set(api, "AuthenticationType", auth.Get("Type"))
	if cfg != nil {
		set(api, name, cfg)
	}
	if additional := auth.Get("Additional"); truthy(additional) {
		out := list(additional.Pos)
		for i, a := range itemsOf(additional) {
			name, cfg, err := provider(a, "'Auth.Additional."+strconv.Itoa(i)+"'", true)
			if err != nil {
				return nil, err
			}
			entry := obj(a.Pos, "AuthenticationType", a.Get("Type"))
			if cfg != nil {
				set(entry, name, cfg)
			}
			out.Items = append(out.Items, entry)
		}
		set(api, "AdditionalAuthenticationProviders", out)
	}
	return lambdaArns, nil
}

func (t *transformer) graphQLDataSources(r *resource, ds, apiID *source.Node, attrs []source.Field, names map[string]*source.Node) error {
	for _, f := range fieldsOf(ds.Get("DynamoDb")) {
		d := f.Value
		id := r.id + f.Key + "DynamoDBDataSource"
		name := d.Get("Name")
		if !truthy(name) {
			name = str(f.Key, f.KeyPos)
		}
		region := d.Get("Region")
		if !truthy(region) {
			region = ref("AWS::Region", f.KeyPos)
		}
		config := obj(d.Pos, "AwsRegion", region, "TableName", d.Get("TableName"))
		for _, k := range []string{"UseCallerCredentials", "Versioned"} {
			if v := d.Get(k); truthy(v) {
				set(config, k, v)
			}
		}
		if v := d.Get("DeltaSync"); truthy(v) {
			set(config, "DeltaSyncConfig", v)
		}
		roleArn := d.Get("ServiceRoleArn")
		var role *roleBuilder
		if !truthy(roleArn) {
			role = &roleBuilder{logicalID: id + "Role", pos: f.KeyPos, attrs: attrs, assume: assumeRoleFor("appsync.amazonaws.com", f.KeyPos)}
			roleArn = getAtt(role.logicalID, "Arn", f.KeyPos)
		}
		t.emit(r, id, resourceNode("AWS::AppSync::DataSource", f.KeyPos, attrs, obj(f.KeyPos,
			"Name", name, "Type", str("AMAZON_DYNAMODB", f.KeyPos), "ApiId", apiID, "Description", d.Get("Description"),
			"DynamoDBConfig", config, "ServiceRoleArn", roleArn)), f.KeyPos)
		if role != nil {
			t.emitPolicyLessRole(r, role)
			tableArn := d.Get("TableArn")
			if !truthy(tableArn) {
				tableArn = fnSubVars("arn:${AWS::Partition}:dynamodb:${__Region__}:${AWS::AccountId}:table/${__TableName__}", f.KeyPos,
					"__TableName__", d.Get("TableName"), "__Region__", region)
			}
			perms := []string{"Read", "Write"}
			if p := d.Get("Permissions"); truthy(p) {
				perms = nil
				for _, it := range itemsOf(p) {
					perms = append(perms, it.Value)
				}
			}
			connector := t.syntheticConnector(r, id+"ToTableConnector")
			src := &connectorEnd{typ: "AWS::AppSync::DataSource", arn: getAtt(id, "DataSourceArn", f.KeyPos), roleName: ref(role.logicalID, f.KeyPos)}
			dst := &connectorEnd{typ: "AWS::DynamoDB::Table", arn: tableArn}
			if _, err := t.connectorResources(connector, src, dst, perms, 0, false); err != nil {
				return err
			}
		}
		names[f.Key] = getAtt(id, "Name", f.KeyPos)
	}
	for _, f := range fieldsOf(ds.Get("Lambda")) {
		d := f.Value
		id := r.id + f.Key + "LambdaDataSource"
		name := d.Get("Name")
		if !truthy(name) {
			name = str(f.Key, f.KeyPos)
		}
		roleArn := d.Get("ServiceRoleArn")
		var role *roleBuilder
		if !truthy(roleArn) {
			role = &roleBuilder{logicalID: id + "Role", pos: f.KeyPos, attrs: attrs, assume: assumeRoleFor("appsync.amazonaws.com", f.KeyPos)}
			roleArn = getAtt(role.logicalID, "Arn", f.KeyPos)
		}
		t.emit(r, id, resourceNode("AWS::AppSync::DataSource", f.KeyPos, attrs, obj(f.KeyPos,
			"Name", name, "Type", str("AWS_LAMBDA", f.KeyPos), "ApiId", apiID, "Description", d.Get("Description"),
			"LambdaConfig", obj(f.KeyPos, "LambdaFunctionArn", d.Get("FunctionArn")), "ServiceRoleArn", roleArn)), f.KeyPos)
		if role != nil {
			t.emitPolicyLessRole(r, role)
			connector := t.syntheticConnector(r, id+"ToLambdaConnector")
			src := &connectorEnd{typ: "AWS::AppSync::DataSource", arn: getAtt(id, "DataSourceArn", f.KeyPos), roleName: ref(role.logicalID, f.KeyPos)}
			dst := &connectorEnd{typ: "AWS::Lambda::Function", arn: d.Get("FunctionArn")}
			if _, err := t.connectorResources(connector, src, dst, []string{"Write"}, 0, false); err != nil {
				return err
			}
		}
		names[f.Key] = getAtt(id, "Name", f.KeyPos)
	}
	return nil
}

// emitPolicyLessRole emits a role with only a trust policy; connectors add
// its permissions as managed policies.
func (t *transformer) emitPolicyLessRole(r *resource, b *roleBuilder) {
	node := b.node()
	props := node.Get("Properties")
	props.Delete("ManagedPolicyArns")
	t.emit(r, b.logicalID, node, b.pos)
}
