package sam

import (
	"crypto/sha1"
	"encoding/hex"
	"strings"

	"github.com/bulwark-sec/bulwark/internal/source"
)

func sha1Hex(s string) string {
	sum := sha1.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

var usagePlanKeys = []string{"CreateUsagePlan", "Description", "Quota", "Tags", "Throttle", "UsagePlanName"}

// usagePlan adds the usage plan, API key and their link that Auth.UsagePlan
// asks for, per API or shared by all APIs of the template.
func (t *transformer) usagePlan(r *resource, auth *source.Node, stageID string, pass []source.Field) error {
	up := auth.Get("UsagePlan")
	if up == nil || up.Kind == source.Null {
		return nil
	}
	if up.Kind != source.Map {
		return t.invalid(r, up.Pos, "'UsagePlan' must be a dictionary")
	}
	for _, f := range fieldsOf(up) {
		if !contains(usagePlanKeys, f.Key) {
			return t.invalid(r, f.KeyPos, "Invalid property for 'UsagePlan'")
		}
	}
	create := up.Get("CreateUsagePlan")
	if create == nil || create.Kind == source.Null {
		return t.invalid(r, up.Pos, "'CreateUsagePlan' is a required field for UsagePlan.")
	}
	mode, _ := stringValue(create)
	switch mode {
	case "NONE":
		return nil
	case "PER_API", "SHARED":
	default:
		return t.invalid(r, create.Pos, "'CreateUsagePlan' accepts one of ['SHARED', 'PER_API', 'NONE'].")
	}
	pos := up.Pos
	planID, keyID, linkID := r.id+"UsagePlan", r.id+"ApiKey", r.id+"UsagePlanKey"
	stage := obj(pos, "ApiId", ref(r.id, pos), "Stage", ref(stageID, pos))
	stageKey := obj(pos, "RestApiId", ref(r.id, pos), "StageName", ref(stageID, pos))
	planDeps := strList(pos, r.id)
	attrs := pass
	var stages, stageKeys *source.Node
	if mode == "SHARED" {
		planID, keyID, linkID = "ServerlessUsagePlan", "ServerlessApiKey", "ServerlessUsagePlanKey"
		if t.sharedPlan == nil {
			t.sharedPlan = &sharedUsagePlan{stages: list(pos), keys: list(pos), deps: list(pos)}
		}
		sp := t.sharedPlan
		if !containsValue(sp.deps, r.id) {
			sp.deps.Items = append(sp.deps.Items, str(r.id, pos))
		}
		if !containsNode(sp.stages, stage) {
			sp.stages.Items = append(sp.stages.Items, stage)
		}
		if !containsNode(sp.keys, stageKey) {
			sp.keys.Items = append(sp.keys.Items, stageKey)
		}
		stages, stageKeys, planDeps = sp.stages, sp.keys, sp.deps
		attrs = t.sharedPlanAttrs(r)
	} else {
		stages, stageKeys = list(pos, stage), list(pos, stageKey)
	}
	plan := obj(pos, "ApiStages", stages)
	for _, name := range []string{"Description", "Quota", "Tags", "Throttle", "UsagePlanName"} {
		if v := up.Get(name); truthy(v) {
			set(plan, name, v)
		}
	}
	withDeps := func(deps *source.Node) []source.Field {
		return append([]source.Field{{Key: "DependsOn", KeyPos: pos, Value: deps}}, attrs...)
	}
	t.emit(r, planID, resourceNode("AWS::ApiGateway::UsagePlan", pos, withDeps(planDeps), plan), pos)
	t.emit(r, keyID, resourceNode("AWS::ApiGateway::ApiKey", pos, withDeps(strList(pos, planID)), obj(pos,
		"Enabled", boolean(true, pos), "StageKeys", stageKeys)), pos)
	t.emit(r, linkID, resourceNode("AWS::ApiGateway::UsagePlanKey", pos, withDeps(strList(pos, keyID)), obj(pos,
		"KeyId", ref(keyID, pos), "KeyType", str("API_KEY", pos), "UsagePlanId", ref(planID, pos))), pos)
	t.addDerivedRef(r.id, "UsagePlan", planID)
	t.addDerivedRef(r.id, "ApiKey", keyID)
	t.addDerivedRef(r.id, "UsagePlanKey", linkID)
	return nil
}

// sharedUsagePlan accumulates the APIs that share ServerlessUsagePlan.
type sharedUsagePlan struct {
	stages, keys, deps *source.Node
	deletion, replace  string
	conditions         []string
	unconditional      bool
}

// sharedPlanAttrs combines the attributes of every API sharing the plan: the
// strongest deletion policies, and a condition only if every API has one.
func (t *transformer) sharedPlanAttrs(r *resource) []source.Field {
	sp := t.sharedPlan
	pos := r.keyPos
	if d, _ := stringValue(r.attr("DeletionPolicy")); d != "" && (sp.deletion == "" || d == "Retain") {
		sp.deletion = d
	}
	if u, _ := stringValue(r.attr("UpdateReplacePolicy")); u != "" {
		if sp.replace == "" || u == "Retain" || (u == "Snapshot" && sp.replace == "Delete") {
			sp.replace = u
		}
	}
	const name = "SharedUsagePlanCondition"
	cond := r.condition()
	switch {
	case sp.unconditional:
	case cond == "":
		sp.unconditional = true
		t.removeCondition(name)
	case !contains(sp.conditions, cond):
		sp.conditions = append(sp.conditions, cond)
		if len(sp.conditions) == 1 {
			t.addCondition(name, str(cond, pos))
		} else {
			t.addCondition(name, orOf(sp.conditions, pos))
		}
	}
	var attrs []source.Field
	if sp.deletion != "" {
		attrs = append(attrs, source.Field{Key: "DeletionPolicy", KeyPos: pos, Value: str(sp.deletion, pos)})
	}
	if sp.replace != "" {
		attrs = append(attrs, source.Field{Key: "UpdateReplacePolicy", KeyPos: pos, Value: str(sp.replace, pos)})
	}
	if len(sp.conditions) > 0 && !sp.unconditional {
		attrs = append(attrs, source.Field{Key: "Condition", KeyPos: pos, Value: str(name, pos)})
	}
	return attrs
}

func containsValue(l *source.Node, s string) bool {
	for _, it := range itemsOf(l) {
		if it.Value == s {
			return true
		}
	}
	return false
}

func containsNode(l, n *source.Node) bool {
	for _, it := range itemsOf(l) {
		if equal(it, n) {
			return true
		}
	}
	return false
}

// restDomain adds the custom domain of a REST API and its base path
// mappings. Route 53 records are not generated (they carry no security
// setting); a warning says so.
func (t *transformer) restDomain(r *resource, pass []source.Field) error {
	domain, err := t.resolveParams(r.props.Get("Domain"))
	if err != nil || domain == nil || domain.Kind == source.Null {
		return err
	}
	if domain.Kind != source.Map {
		return t.invalid(r, domain.Pos, "Property 'Domain' should be a map.")
	}
	name, cert, err := t.domainBasics(r, domain)
	if err != nil {
		return err
	}
	pos := domain.Pos
	endpoint, _ := stringValue(domain.Get("EndpointConfiguration"))
	if domain.Get("EndpointConfiguration") == nil {
		endpoint = "REGIONAL"
	} else if endpoint != "EDGE" && endpoint != "REGIONAL" && endpoint != "PRIVATE" {
		return t.invalid(r, domain.Get("EndpointConfiguration").Pos, "EndpointConfiguration for Custom Domains must be one of ['EDGE', 'REGIONAL', 'PRIVATE'].")
	}
	private := endpoint == "PRIVATE"
	domainID := "ApiGatewayDomainName" + hashOf(name, 10)
	if private {
		domainID = "ApiGatewayDomainNameV2" + hashOf(name, 10)
	}
	props := obj(pos, "DomainName", name)
	if endpoint == "REGIONAL" {
		set(props, "RegionalCertificateArn", cert)
	} else {
		set(props, "CertificateArn", cert)
	}
	ec := obj(pos, "Types", strList(pos, endpoint))
	if v := domain.Get("IpAddressType"); truthy(v) {
		set(ec, "IpAddressType", v)
	}
	set(props, "EndpointConfiguration", ec)
	if mtls := domain.Get("MutualTlsAuthentication"); truthy(mtls) && !private {
		if mtls.Kind != source.Map {
			return t.invalid(r, mtls.Pos, "Property 'Domain.MutualTlsAuthentication' should be a map.")
		}
		for _, f := range fieldsOf(mtls) {
			if f.Key != "TruststoreUri" && f.Key != "TruststoreVersion" {
				return t.invalid(r, f.KeyPos, "Available Domain.MutualTlsAuthentication fields are ['TruststoreUri', 'TruststoreVersion'].")
			}
		}
		m := obj(mtls.Pos)
		for _, k := range []string{"TruststoreUri", "TruststoreVersion"} {
			if v := mtls.Get(k); truthy(v) {
				set(m, k, v)
			}
		}
		set(props, "MutualTlsAuthentication", m)
	}
	for _, k := range []string{"SecurityPolicy", "EndpointAccessMode", "Policy", "OwnershipVerificationCertificateArn"} {
		if v := domain.Get(k); truthy(v) {
			set(props, k, v)
		}
	}
	domainType := "AWS::ApiGateway::DomainName"
	mappingType := "AWS::ApiGateway::BasePathMapping"
	if private {
		domainType, mappingType = "AWS::ApiGateway::DomainNameV2", "AWS::ApiGateway::BasePathMappingV2"
	}
	t.emit(r, domainID, resourceNode(domainType, pos, pass, props), pos)
	if private {
		t.addDerivedRef(r.id, "DomainNameV2", domainID)
	} else {
		t.addDerivedRef(r.id, "DomainName", domainID)
	}
	mapping := func(id string, basePath *source.Node) {
		p := obj(pos)
		if private {
			set(p, "DomainNameArn", ref(domainID, pos))
		} else {
			set(p, "DomainName", ref(domainID, pos))
		}
		set(p, "RestApiId", ref(r.id, pos))
		set(p, "Stage", ref(r.id+".Stage", pos))
		if basePath != nil {
			set(p, "BasePath", basePath)
		}
		t.emit(r, id, resourceNode(mappingType, pos, pass, p), pos)
	}
	basePaths := domain.Get("BasePath")
	if !truthy(basePaths) || (basePaths.Kind != source.String && basePaths.Kind != source.Seq) {
		mapping(r.id+"BasePathMapping", nil)
	} else {
		items := []*source.Node{basePaths}
		if basePaths.Kind == source.Seq {
			items = basePaths.Items
		}
		normalize := true
		if v := domain.Get("NormalizeBasePath"); v != nil {
			normalize = truthy(v)
		}
		for _, bp := range items {
			s, ok := stringValue(bp)
			if !ok {
				return t.invalid(r, bp.Pos, "Property 'Domain.BasePath' should be a list of strings.")
			}
			path := alnumOnly(s)
			value := str(path, bp.Pos)
			if !normalize {
				value = bp
			}
			mapping(r.id+path+"BasePathMapping", value)
		}
	}
	if private {
		if aa := domain.Get("AccessAssociation"); aa != nil && aa.Kind == source.Map {
			vpce := aa.Get("VpcEndpointId")
			data := list(pos, vpce, str(domainID, pos))
			t.emit(r, hashID("DomainNameAccessAssociation", data), resourceNode("AWS::ApiGateway::DomainNameAccessAssociation", pos, pass, obj(pos,
				"DomainNameArn", ref(domainID, pos),
				"AccessAssociationSourceType", str("VPCE", pos),
				"AccessAssociationSource", vpce)), pos)
		}
	}
	return t.route53(r, domain, domainID, endpoint, pass, true)
}

func (t *transformer) domainBasics(r *resource, domain *source.Node) (name, cert *source.Node, err error) {
	name, cert = domain.Get("DomainName"), domain.Get("CertificateArn")
	if name == nil || name.Kind == source.Null {
		return nil, nil, t.invalid(r, domain.Pos, "Property 'Domain.DomainName' is required.")
	}
	if cert == nil || cert.Kind == source.Null {
		return nil, nil, t.invalid(r, domain.Pos, "Property 'Domain.CertificateArn' is required.")
	}
	return name, cert, nil
}

// route53 adds the DNS records for a custom domain. Domains that share a
// hosted zone share one AWS::Route53::RecordSetGroup, unless the domain asks
// for a separate group.
func (t *transformer) route53(r *resource, domain *source.Node, domainID, endpoint string, pass []source.Field, rest bool) error {
	route53 := domain.Get("Route53")
	if route53 == nil || route53.Kind == source.Null {
		return nil
	}
	if route53.Kind != source.Map {
		return t.invalid(r, route53.Pos, "Property 'Domain.Route53' should be a map.")
	}
	zoneID, zoneName := route53.Get("HostedZoneId"), route53.Get("HostedZoneName")
	if zoneID == nil && zoneName == nil {
		return t.invalid(r, route53.Pos, "HostedZoneId or HostedZoneName is required to enable Route53 support on Custom Domains.")
	}
	pos := route53.Pos
	zone := zoneID
	if !truthy(zone) {
		zone = zoneName
	}
	var target *source.Node
	switch {
	case endpoint == "REGIONAL":
		target = obj(pos, "HostedZoneId", getAtt(domainID, "RegionalHostedZoneId", pos), "DNSName", getAtt(domainID, "RegionalDomainName", pos))
	case !rest:
		return t.invalid(r, pos, "Only REGIONAL endpoint is supported on HTTP APIs.")
	case endpoint == "EDGE":
		dns := route53.Get("DistributionDomainName")
		if dns == nil {
			dns = getAtt(domainID, "DistributionDomainName", pos)
		}
		target = obj(pos, "HostedZoneId", str("Z2FDTNDATAQYW2", pos), "DNSName", dns)
	default:
		target = obj(pos, "HostedZoneId", route53.Get("VpcEndpointHostedZoneId"), "DNSName", route53.Get("VpcEndpointDomainName"))
	}
	if v := route53.Get("EvaluateTargetHealth"); v != nil {
		target = obj(pos, append([]any{"EvaluateTargetHealth", v}, flatten(target)...)...)
	}
	record := func(typ string) *source.Node {
		rec := obj(pos, "Name", domain.Get("DomainName"), "Type", str(typ, pos), "AliasTarget", target)
		set(rec, "Region", route53.Get("Region"))
		set(rec, "SetIdentifier", route53.Get("SetIdentifier"))
		return rec
	}
	records := []*source.Node{record("A")}
	if isTrue(route53.Get("IpV6")) {
		records = append(records, record("AAAA"))
	}
	groupProps := func() *source.Node {
		p := obj(pos)
		if zoneID != nil {
			set(p, "HostedZoneId", zoneID)
		} else {
			set(p, "HostedZoneName", zoneName)
		}
		return p
	}
	if rest && truthy(route53.Get("SeparateRecordSetGroup")) {
		if route53.Get("SeparateRecordSetGroup").Kind != source.Bool {
			return t.invalid(r, route53.Get("SeparateRecordSetGroup").Pos, "Property 'Domain.Route53.SeparateRecordSetGroup' should be a boolean.")
		}
		props := groupProps()
		if zoneID != nil && zoneName != nil {
			set(props, "HostedZoneName", zoneName)
		}
		set(props, "RecordSets", list(pos, records...))
		id := hashID("RecordSetGroup", list(pos, zone, domain.Get("DomainName")))
		t.emit(r, id, resourceNode("AWS::Route53::RecordSetGroup", pos, pass, props), pos)
		return nil
	}
	id := "RecordSetGroup" + hashOf(zone, 10)
	if i, ok := t.genIndex[id]; ok {
		sets := t.generated[i].node.Get("Properties").Get("RecordSets")
		sets.Items = append(sets.Items, records...)
		return nil
	}
	props := groupProps()
	if rest && zoneID != nil && zoneName != nil {
		set(props, "HostedZoneName", zoneName)
	}
	set(props, "RecordSets", list(pos, records...))
	t.emit(r, id, resourceNode("AWS::Route53::RecordSetGroup", pos, pass, props), pos)
	return nil
}

// httpDomain adds the custom domain of an HTTP or WebSocket API and its API
// mappings.
func (t *transformer) httpDomain(r *resource, domain *source.Node, stageRef *source.Node, pass []source.Field, tags *source.Node) error {
	if domain == nil || domain.Kind == source.Null {
		return nil
	}
	if domain.Kind != source.Map {
		return t.invalid(r, domain.Pos, "Property 'Domain' should be a map.")
	}
	name, cert, err := t.domainBasics(r, domain)
	if err != nil {
		return err
	}
	pos := domain.Pos
	endpoint, _ := stringValue(domain.Get("EndpointConfiguration"))
	if domain.Get("EndpointConfiguration") == nil {
		endpoint = "REGIONAL"
	} else if endpoint != "REGIONAL" {
		return t.invalid(r, domain.Get("EndpointConfiguration").Pos, "EndpointConfiguration for Custom Domains must be one of ['REGIONAL'].")
	}
	domainID := "ApiGatewayDomainNameV2" + hashOf(name, 10)
	cfg := obj(pos, "CertificateArn", cert, "EndpointType", str(endpoint, pos))
	for _, k := range []string{"SecurityPolicy", "OwnershipVerificationCertificateArn", "IpAddressType"} {
		if v := domain.Get(k); truthy(v) {
			set(cfg, k, v)
		}
	}
	props := obj(pos, "DomainName", name, "DomainNameConfigurations", list(pos, cfg))
	if mtls := domain.Get("MutualTlsAuthentication"); truthy(mtls) {
		if mtls.Kind != source.Map {
			return t.invalid(r, mtls.Pos, "MutualTlsAuthentication must be a map with at least one of the following fields ['TruststoreUri', 'TruststoreVersion'].")
		}
		m := obj(mtls.Pos)
		for _, f := range fieldsOf(mtls) {
			if f.Key != "TruststoreUri" && f.Key != "TruststoreVersion" {
				return t.invalid(r, f.KeyPos, "Available MutualTlsAuthentication fields are ['TruststoreUri', 'TruststoreVersion'].")
			}
			if truthy(f.Value) {
				set(m, f.Key, f.Value)
			}
		}
		set(props, "MutualTlsAuthentication", m)
	}
	if truthy(tags) {
		set(props, "Tags", tags)
	}
	t.emit(r, domainID, resourceNode("AWS::ApiGatewayV2::DomainName", pos, pass, props), pos)
	t.addDerivedRef(r.id, "DomainName", domainID)
	basePaths := domain.Get("BasePath")
	mapping := func(id string, key *source.Node) {
		t.emit(r, id, resourceNode("AWS::ApiGatewayV2::ApiMapping", pos, pass, obj(pos,
			"ApiMappingKey", key, "DomainName", ref(domainID, pos), "ApiId", ref(r.id, pos), "Stage", stageRef)), pos)
	}
	if !truthy(basePaths) {
		mapping(r.id+"ApiMapping", nil)
	} else {
		items := []*source.Node{basePaths}
		if basePaths.Kind == source.Seq {
			items = basePaths.Items
		}
		for _, bp := range items {
			s, ok := stringValue(bp)
			if !ok {
				return t.invalid(r, bp.Pos, "Property 'Domain.BasePath' should be a list of strings.")
			}
			key := strings.Trim(s, "/")
			mapping(r.id+alnumOnly(s)+"ApiMapping", str(key, bp.Pos))
		}
	}
	return t.route53(r, domain, domainID, endpoint, pass, false)
}
