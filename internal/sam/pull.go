package sam

import (
	"strings"

	"github.com/bulwark-sec/bulwark/internal/source"
)

// esmProps are the event properties copied to AWS::Lambda::EventSourceMapping,
// in SAM's order.
var esmProps = []string{"StartingPosition", "StartingPositionTimestamp", "BatchSize", "Enabled",
	"MaximumBatchingWindowInSeconds", "MaximumRetryAttempts", "BisectBatchOnFunctionError",
	"MaximumRecordAgeInSeconds", "ParallelizationFactor", "Topics", "Queues", "SourceAccessConfigurations",
	"TumblingWindowInSeconds", "FunctionResponseTypes", "FilterCriteria", "KmsKeyArn", "ScalingConfig",
	"ProvisionedPollerConfig", "MetricsConfig", "LoggingConfig"}

var eventFilteringTypes = []string{"DocumentDB", "DynamoDB", "Kinesis", "MQ", "MSK", "SelfManagedKafka", "SQS"}

// pullEvent builds the event source mapping for a polled source (SQS,
// Kinesis, DynamoDB, MSK, MQ, self-managed Kafka, DocumentDB) and gives the
// function's generated role what it needs to poll: the managed policy for
// the service, or inline statements for secrets, brokers and destinations.
func (t *transformer) pullEvent(b *functionBuild, ev *event, logicalID string, pass []source.Field) (string, error) {
	r := b.r
	esm := obj(ev.keyPos, "FunctionName", b.target.name(ev.keyPos))
	switch ev.typ {
	case "Kinesis", "DynamoDB", "MSK":
		set(esm, "EventSourceArn", ev.prop("Stream"))
	case "SQS":
		set(esm, "EventSourceArn", ev.prop("Queue"))
	case "MQ":
		set(esm, "EventSourceArn", ev.prop("Broker"))
	case "DocumentDB":
		set(esm, "EventSourceArn", ev.prop("Cluster"))
	}
	for _, name := range esmProps {
		if v := ev.prop(name); v != nil && v.Kind != source.Null {
			set(esm, name, v)
		}
	}
	if fc := ev.prop("FilterCriteria"); truthy(fc) && !isIntrinsic(fc) {
		if !contains(eventFilteringTypes, ev.typ) {
			return "", t.invalidEvent(r, ev, fc.Pos, "FilterCriteria is only available for %s events.", strings.Join(eventFilteringTypes, ", "))
		}
		if fc.Kind != source.Map || !(len(fc.Fields) == 0 || (len(fc.Fields) == 1 && fc.Fields[0].Key == "Filters")) {
			return "", t.invalidEvent(r, ev, fc.Pos, "FilterCriteria field has a wrong format")
		}
	}
	if servers := ev.prop("KafkaBootstrapServers"); truthy(servers) {
		set(esm, "SelfManagedEventSource", obj(servers.Pos, "Endpoints", obj(servers.Pos, "KafkaBootstrapServers", servers)))
	}
	if group := ev.prop("ConsumerGroupId"); truthy(group) {
		switch ev.typ {
		case "MSK":
			set(esm, "AmazonManagedKafkaEventSourceConfig", obj(group.Pos, "ConsumerGroupId", group))
		case "SelfManagedKafka":
			set(esm, "SelfManagedKafkaEventSourceConfig", obj(group.Pos, "ConsumerGroupId", group))
		default:
			return "", t.invalidEvent(r, ev, group.Pos, "Property ConsumerGroupId not defined for resource of type %s.", ev.typ)
		}
	}
	if reg := ev.prop("SchemaRegistryConfig"); truthy(reg) {
		key := ""
		switch ev.typ {
		case "MSK":
			key = "AmazonManagedKafkaEventSourceConfig"
		case "SelfManagedKafka":
			key = "SelfManagedKafkaEventSourceConfig"
		}
		if key != "" {
			cfg := esm.Get(key)
			if cfg == nil {
				cfg = obj(reg.Pos)
				set(esm, key, cfg)
			}
			set(cfg, "SchemaRegistryConfig", reg)
		}
	}
	var destinationPolicyNode *source.Node
	if dc := ev.prop("DestinationConfig"); truthy(dc) {
		onFailure := dc.Get("OnFailure")
		if onFailure == nil || onFailure.Kind != source.Map {
			return "", t.invalidEvent(r, ev, posOr(onFailure, dc.Pos), "Property 'DestinationConfig.OnFailure' should be a map.")
		}
		if typ := onFailure.Get("Type"); typ != nil {
			s, _ := stringValue(typ)
			switch s {
			case "SQS", "SNS", "S3":
				destinationPolicyNode = destinationPolicy(s, logicalID, onFailure.Get("Destination"), typ.Pos)
			case "Kafka":
			default:
				return "", t.invalidEvent(r, ev, typ.Pos, "The only valid values for 'Type' are 'SQS', 'SNS', 'S3', and 'Kafka'")
			}
			// SAM removes Type: the mapping's DestinationConfig has no such key.
			of := shallow(onFailure)
			of.Delete("Type")
			d := shallow(dc)
			set(d, "OnFailure", of)
			dc = d
		}
		set(esm, "DestinationConfig", dc)
	}
	if ev.typ == "DocumentDB" {
		cfg := obj(ev.keyPos, "DatabaseName", ev.prop("DatabaseName"))
		if v := ev.prop("CollectionName"); truthy(v) {
			set(cfg, "CollectionName", v)
		}
		if v := ev.prop("FullDocument"); truthy(v) {
			set(cfg, "FullDocument", v)
		}
		set(esm, "DocumentDBEventSourceConfig", cfg)
	}
	t.emit(r, logicalID, resourceNode("AWS::Lambda::EventSourceMapping", ev.keyPos, pass, esm), ev.keyPos)

	managed, policies, err := t.pullPolicies(r, ev, logicalID)
	if err != nil {
		return "", err
	}
	if role := b.role; role != nil {
		if managed != "" {
			role.addManaged(str(t.awsPolicyARN(managed), ev.keyPos))
		}
		for _, p := range policies {
			role.addPolicyUnlessPresent(p)
		}
		if destinationPolicyNode != nil {
			role.addPolicyUnlessPresent(destinationPolicyNode)
		}
	}
	return logicalID, nil
}

// pullPolicies returns what the role of a polling function needs.
func (t *transformer) pullPolicies(r *resource, ev *event, logicalID string) (string, []*source.Node, error) {
	pos := ev.keyPos
	switch ev.typ {
	case "Kinesis":
		return "service-role/AWSLambdaKinesisExecutionRole", nil, nil
	case "DynamoDB":
		return "service-role/AWSLambdaDynamoDBExecutionRole", nil, nil
	case "SQS":
		return "service-role/AWSLambdaSQSQueueExecutionRole", nil, nil
	case "MSK":
		statements, err := t.schemaRegistryStatements(r, ev)
		if err != nil {
			return "", nil, err
		}
		for _, c := range itemsOf(ev.prop("SourceAccessConfigurations")) {
			if typ, _ := stringValue(c.Get("Type")); typ == "CLIENT_CERTIFICATE_TLS_AUTH" && truthy(c.Get("URI")) {
				statements = append(statements, allow(c.Pos, strList(c.Pos, "secretsmanager:GetSecretValue"), c.Get("URI")))
			}
		}
		var policies []*source.Node
		if len(statements) > 0 {
			policies = append(policies, namedPolicy("MSKExecutionRolePolicy", obj(pos, "Statement", list(pos, statements...)), pos))
		}
		return "service-role/AWSLambdaMSKExecutionRole", policies, nil
	case "MQ":
		uri, err := t.sourceAccessURI(r, ev, []string{"BASIC_AUTH", "VIRTUAL_HOST"}, "BASIC_AUTH")
		if err != nil {
			return "", nil, err
		}
		statements := []*source.Node{
			allow(uri.Pos, strList(uri.Pos, "secretsmanager:GetSecretValue"), uri),
			allow(pos, strList(pos, "mq:DescribeBroker"), ev.prop("Broker")),
		}
		if kms := ev.prop("SecretsManagerKmsKeyId"); truthy(kms) {
			st, err := t.kmsDecrypt(r, ev, kms, false)
			if err != nil {
				return "", nil, err
			}
			statements = append(statements, st)
		}
		name := "SamAutoGeneratedAMQPolicy"
		if isTrue(ev.prop("DynamicPolicyName")) {
			name = logicalID + "AMQPolicy"
		}
		return "", []*source.Node{namedPolicy(name, obj(pos, "Statement", list(pos, statements...)), pos)}, nil
	case "SelfManagedKafka":
		return t.selfManagedKafkaPolicy(r, ev)
	case "DocumentDB":
		uri, err := t.sourceAccessURI(r, ev, []string{"BASIC_AUTH"}, "BASIC_AUTH")
		if err != nil {
			return "", nil, err
		}
		statements := []*source.Node{
			allow(uri.Pos, strList(uri.Pos, "secretsmanager:GetSecretValue"), uri),
			allow(pos, strList(pos, "rds:DescribeDBClusterParameters"), fnSub("arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:cluster-pg:*", pos)),
			allow(pos, strList(pos, "rds:DescribeDBSubnetGroups"), fnSub("arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:subgrp:*", pos)),
			allow(pos, strList(pos, "rds:DescribeDBClusters"), ev.prop("Cluster")),
			allow(pos, strList(pos, vpcActions...), str("*", pos)),
		}
		if kms := ev.prop("SecretsManagerKmsKeyId"); truthy(kms) {
			st, err := t.kmsDecrypt(r, ev, kms, true)
			if err != nil {
				return "", nil, err
			}
			statements = append(statements, st)
		}
		return "", []*source.Node{namedPolicy("SamAutoGeneratedDocumentDBPolicy", obj(pos, "Statement", list(pos, statements...)), pos)}, nil
	}
	return "", nil, nil
}

var vpcActions = []string{"ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface",
	"ec2:DescribeVpcs", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups"}

func (t *transformer) kmsDecrypt(r *resource, ev *event, kms *source.Node, asList bool) (*source.Node, error) {
	id, ok := stringValue(kms)
	if !ok {
		return nil, t.invalidEvent(r, ev, kms.Pos, "Property 'SecretsManagerKmsKeyId' should be a string.")
	}
	action := str("kms:Decrypt", kms.Pos)
	if asList {
		action = strList(kms.Pos, "kms:Decrypt")
	}
	return allow(kms.Pos, action, fnSub("arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/"+id, kms.Pos)), nil
}

// sourceAccessURI checks SourceAccessConfigurations and returns the URI of
// the required entry (the broker or cluster secret).
func (t *transformer) sourceAccessURI(r *resource, ev *event, supported []string, required string) (*source.Node, error) {
	sac := ev.prop("SourceAccessConfigurations")
	if !truthy(sac) {
		return nil, t.invalidEvent(r, ev, ev.keyPos, "No SourceAccessConfigurations for Amazon %s event provided.", ev.typ)
	}
	if sac.Kind != source.Seq {
		return nil, t.invalidEvent(r, ev, sac.Pos, "Provided SourceAccessConfigurations cannot be parsed into a list.")
	}
	var uri *source.Node
	for i, c := range itemsOf(sac) {
		if c.Kind != source.Map {
			return nil, t.invalidEvent(r, ev, c.Pos, "Property 'SourceAccessConfigurations[%d]' should be a map.", i)
		}
		typ, ok := stringValue(c.Get("Type"))
		if !ok {
			return nil, t.invalidEvent(r, ev, c.Pos, "Property 'SourceAccessConfigurations[%d].Type' should be a string.", i)
		}
		if !contains(supported, typ) {
			return nil, t.invalidEvent(r, ev, c.Pos, "Invalid property Type specified in SourceAccessConfigurations. The supported values are: ['%s'].", strings.Join(supported, "', '"))
		}
		if typ != required {
			continue
		}
		if uri != nil {
			return nil, t.invalidEvent(r, ev, c.Pos, "Multiple %s properties specified in SourceAccessConfigurations.", required)
		}
		uri = c.Get("URI")
		if !truthy(uri) {
			return nil, t.invalidEvent(r, ev, c.Pos, "No %s URI property specified in SourceAccessConfigurations.", required)
		}
	}
	if uri == nil {
		return nil, t.invalidEvent(r, ev, sac.Pos, "No %s property specified in SourceAccessConfigurations.", required)
	}
	return uri, nil
}

var kafkaAuth = []string{"SASL_SCRAM_256_AUTH", "SASL_SCRAM_512_AUTH", "BASIC_AUTH", "CLIENT_CERTIFICATE_TLS_AUTH"}

func (t *transformer) selfManagedKafkaPolicy(r *resource, ev *event) (string, []*source.Node, error) {
	pos := ev.keyPos
	if !truthy(ev.prop("KafkaBootstrapServers")) {
		return "", nil, t.invalidEvent(r, ev, pos, "No KafkaBootstrapServers provided for self managed kafka as an event source")
	}
	topics := ev.prop("Topics")
	if !truthy(topics) {
		return "", nil, t.invalidEvent(r, ev, pos, "No Topics provided for self managed kafka as an event source")
	}
	if topics.Kind != source.Seq || len(topics.Items) != 1 {
		return "", nil, t.invalidEvent(r, ev, topics.Pos, "Topics for self managed kafka only supports single configuration entry.")
	}
	sac := ev.prop("SourceAccessConfigurations")
	if !truthy(sac) {
		return "", nil, t.invalidEvent(r, ev, pos, "No SourceAccessConfigurations for self managed kafka event provided.")
	}
	if sac.Kind != source.Seq {
		return "", nil, t.invalidEvent(r, ev, sac.Pos, "SourceAccessConfigurations for self managed kafka event should be a list.")
	}
	var authURI, caURI *source.Node
	subnet, group := false, false
	checkURI := func(c *source.Node, what string) (*source.Node, error) {
		u := c.Get("URI")
		if !truthy(u) {
			return nil, t.invalidEvent(r, ev, c.Pos, "No %s URI property specified in SourceAccessConfigurations for self managed kafka event.", what)
		}
		if u.Kind != source.String && !isIntrinsic(u) {
			return nil, t.invalidEvent(r, ev, u.Pos, "Wrong Type for %s URI property specified in SourceAccessConfigurations for self managed kafka event.", what)
		}
		return u, nil
	}
	for _, c := range itemsOf(sac) {
		if c.Kind != source.Map {
			return "", nil, t.invalidEvent(r, ev, c.Pos, "Property 'SourceAccessConfigurations' should be a map.")
		}
		typ, _ := stringValue(c.Get("Type"))
		var err error
		switch {
		case typ == "VPC_SUBNET":
			_, err = checkURI(c, "VPC_SUBNET")
			subnet = true
		case typ == "VPC_SECURITY_GROUP":
			_, err = checkURI(c, "VPC_SECURITY_GROUP")
			group = true
		case contains(kafkaAuth, typ):
			if authURI != nil {
				return "", nil, t.invalidEvent(r, ev, c.Pos, "Multiple auth mechanism properties specified in SourceAccessConfigurations for self managed kafka event.")
			}
			authURI, err = checkURI(c, "auth mechanism")
		case typ == "SERVER_ROOT_CA_CERTIFICATE":
			caURI, err = checkURI(c, "SERVER_ROOT_CA_CERTIFICATE")
		default:
			return "", nil, t.invalidEvent(r, ev, c.Pos, "Invalid SourceAccessConfigurations Type provided for self managed kafka event.")
		}
		if err != nil {
			return "", nil, err
		}
	}
	if subnet != group {
		return "", nil, t.invalidEvent(r, ev, sac.Pos, "VPC_SUBNET and VPC_SECURITY_GROUP in SourceAccessConfigurations for SelfManagedKafka must be both provided.")
	}
	var statements []*source.Node
	if authURI != nil {
		statements = append(statements, allow(authURI.Pos, strList(authURI.Pos, "secretsmanager:GetSecretValue"), authURI))
	}
	if caURI != nil {
		// SAM grants the authentication secret again here, not the CA
		// certificate's; the output follows SAM.
		statements = append(statements, allow(caURI.Pos, strList(caURI.Pos, "secretsmanager:GetSecretValue"), authURI))
	}
	if subnet && group {
		statements = append(statements, allow(sac.Pos, strList(sac.Pos, vpcActions...), str("*", sac.Pos)))
	}
	if kms := ev.prop("SecretsManagerKmsKeyId"); truthy(kms) {
		st, err := t.kmsDecrypt(r, ev, kms, true)
		if err != nil {
			return "", nil, err
		}
		statements = append(statements, st)
	}
	reg, err := t.schemaRegistryStatements(r, ev)
	if err != nil {
		return "", nil, err
	}
	statements = append(statements, reg...)
	doc := obj(pos, "Statement", list(pos, statements...), "Version", str("2012-10-17", pos))
	return "", []*source.Node{namedPolicy("SelfManagedKafkaExecutionRolePolicy", doc, pos)}, nil
}

// schemaRegistryStatements returns the statements a Kafka source needs to
// read its schema registry and the registry's secrets.
func (t *transformer) schemaRegistryStatements(r *resource, ev *event) ([]*source.Node, error) {
	reg := ev.prop("SchemaRegistryConfig")
	if !truthy(reg) {
		return nil, nil
	}
	if reg.Kind != source.Map {
		return nil, t.invalidEvent(r, ev, reg.Pos, "Property 'SchemaRegistryConfig' should be a map.")
	}
	for _, field := range []string{"SchemaRegistryURI", "EventRecordFormat", "SchemaValidationConfigs"} {
		if reg.Get(field) == nil {
			return nil, t.invalidEvent(r, ev, reg.Pos, "Missing required field %s in SchemaRegistryConfig", field)
		}
	}
	if f, _ := stringValue(reg.Get("EventRecordFormat")); f != "JSON" && f != "SOURCE" {
		return nil, t.invalidEvent(r, ev, reg.Get("EventRecordFormat").Pos, "EventRecordFormat in SchemaRegistryConfig must be either 'JSON' or 'SOURCE'")
	}
	if reg.Get("SchemaValidationConfigs").Kind != source.Seq {
		return nil, t.invalidEvent(r, ev, reg.Get("SchemaValidationConfigs").Pos, "SchemaValidationConfigs must be a list")
	}
	var statements []*source.Node
	access := reg.Get("AccessConfigs")
	if truthy(access) {
		if access.Kind != source.Seq {
			return nil, t.invalidEvent(r, ev, access.Pos, "AccessConfigs in SchemaRegistryConfig must be a list")
		}
		for _, c := range itemsOf(access) {
			if c.Kind != source.Map || c.Get("Type") == nil || c.Get("URI") == nil {
				return nil, t.invalidEvent(r, ev, c.Pos, "Each AccessConfig must be a dict with 'Type' and 'URI' fields")
			}
			statements = append(statements, allow(c.Pos, strList(c.Pos, "secretsmanager:GetSecretValue"), c.Get("URI")))
		}
	}
	uri := reg.Get("SchemaRegistryURI")
	var arn string
	if s, ok := stringValue(uri); ok {
		arn = s
	} else if uri.Kind == source.Map {
		resolved, err := t.resolveParams(uri)
		if err != nil {
			return nil, err
		}
		arn, _ = stringValue(resolved.Get("Fn::Sub"))
	}
	if name, ok := registryName(arn); ok {
		statements = append(statements, allow(uri.Pos, strList(uri.Pos, "glue:GetRegistry"), uri))
		statements = append(statements, allow(uri.Pos, strList(uri.Pos, "glue:GetSchemaVersion"),
			list(uri.Pos, fnSub("arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:schema/"+name+"/*", uri.Pos))))
	}
	return statements, nil
}

// registryName returns the registry name of a Glue registry ARN. The ARN
// may hold Sub placeholders such as ${AWS::Partition}, whose colons make
// splitting on ":" useless, so the name is what follows ":registry/".
func registryName(arn string) (string, bool) {
	if !strings.HasPrefix(arn, "arn") || !strings.Contains(arn, ":glue:") {
		return "", false
	}
	i := strings.LastIndex(arn, ":registry/")
	if i < 0 {
		return "", false
	}
	name := arn[i+len(":registry/"):]
	return name, name != "" && !strings.Contains(name, "/")
}
