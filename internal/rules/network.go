package rules

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/bulwark-sec/bulwark/internal/cfn"
	"github.com/bulwark-sec/bulwark/internal/iam"
	"github.com/bulwark-sec/bulwark/internal/iamdata"
	"github.com/bulwark-sec/bulwark/internal/model"
	"github.com/bulwark-sec/bulwark/internal/rule"
	"github.com/bulwark-sec/bulwark/internal/source"
)

// The network rules judge only what the template shows: a subnet, security
// group or VPC passed in as a parameter or imported is unknown, never a
// violation.
var networkRules = []*rule.Rule{
	VPCMissingForPrivateResource, VPCSingleSubnet, VPCPublicSubnet, SGOpenEgress, SGIngressOnFunction,
	VPCNoFlowLogs, VPCNoEndpoints,
}

// VPCMissingForPrivateResource is BW401.
var VPCMissingForPrivateResource = &rule.Rule{
	ID: "BW401", Name: "vpc-missing-for-private-resource", Severity: rule.Medium,
	Title: "a function connects to a resource that only answers inside a VPC, but is not in a VPC",
	Rationale: "Databases, caches and internal load balancers listen on private addresses. A function outside " +
		"the VPC cannot reach them, and the usual workaround, making the database public, exposes it to the " +
		"internet. The guides ask to run functions that access private resources such as RDS, ElastiCache or " +
		"internal services on EC2 inside the VPC (000, 001, 002). The rule fires only on evidence that the " +
		"function connects: an environment variable carrying the resource's endpoint or private address, or a " +
		"role that may open IAM-authenticated connections to it (rds-db:connect, elasticache:Connect, " +
		"memorydb:Connect, es:ESHttp*). Calling a service's API (RDS Data API, Redshift Data API, " +
		"ec2:StartInstances) and event source mappings, whose pollers Lambda places in the resource's VPC " +
		"itself, need no VPC and are not reported.",
	Remediation: "Add VpcConfig with private subnets in at least two Availability Zones and a security group " +
		"that the resource's security group admits on its port.",
	Example: `Resources:
  OrdersFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: src/
      Environment:
        Variables:
          DB_HOST: !GetAtt OrdersDb.Endpoint.Address
      VpcConfig:
        SubnetIds: [!Ref PrivateSubnetA, !Ref PrivateSubnetB]
        SecurityGroupIds: [!Ref OrdersFunctionSG]`,
	Where:       "T A",
	Equivalents: rule.Equivalents{Checkov: []string{"CKV_AWS_117"}, CfnNag: []string{"W89"}},
	Run:         runVPCMissingForPrivateResource,
}

// VPCSingleSubnet is BW402.
var VPCSingleSubnet = &rule.Rule{
	ID: "BW402", Name: "vpc-single-subnet", Severity: rule.Medium,
	Title: "a function in a VPC has fewer than two subnets, or all its subnets are in one Availability Zone",
	Rationale: "Lambda places a function's network interfaces in the subnets of its VpcConfig. With one subnet, " +
		"or several in the same Availability Zone, an outage of that zone stops the function. The guide asks " +
		"for at least two subnets for high availability (000).",
	Remediation: "List private subnets in at least two Availability Zones in VpcConfig.SubnetIds.",
	Example: `Resources:
  PrivateSubnetA:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref Vpc
      CidrBlock: 10.0.1.0/24
      AvailabilityZone: !Select [0, !GetAZs ""]
  PrivateSubnetB:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref Vpc
      CidrBlock: 10.0.2.0/24
      AvailabilityZone: !Select [1, !GetAZs ""]
  OrdersFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: src/
      VpcConfig:
        SubnetIds: [!Ref PrivateSubnetA, !Ref PrivateSubnetB]
        SecurityGroupIds: [!Ref OrdersFunctionSG]`,
	Where: "T A",
	Run:   runVPCSingleSubnet,
}

// VPCPublicSubnet is BW403.
var VPCPublicSubnet = &rule.Rule{
	ID: "BW403", Name: "vpc-public-subnet", Severity: rule.High,
	Title: "a function is placed in a public subnet",
	Rationale: "A subnet whose route table sends 0.0.0.0/0 to an internet gateway, or that gives instances " +
		"public IP addresses, is a public subnet. Lambda never gives a function's network interface a public " +
		"address, so the function gets no internet access there, while it shares the subnet with everything " +
		"the internet can reach. The guides ask to place functions in private subnets and reach the internet " +
		"through a NAT gateway (000, 002).",
	Remediation: "Move the function to private subnets: subnets whose default route points at a NAT gateway " +
		"(or that have no default route and use VPC endpoints), with MapPublicIpOnLaunch false.",
	Example: `Resources:
  PrivateRoute:
    Type: AWS::EC2::Route
    Properties:
      RouteTableId: !Ref PrivateRouteTable
      DestinationCidrBlock: 0.0.0.0/0
      NatGatewayId: !Ref NatGateway
  PrivateSubnetARoutes:
    Type: AWS::EC2::SubnetRouteTableAssociation
    Properties:
      SubnetId: !Ref PrivateSubnetA
      RouteTableId: !Ref PrivateRouteTable`,
	Where:       "T A",
	Equivalents: rule.Equivalents{KICS: []string{"b3de4e4c-14be-4159-b99d-9ad194365e4c"}, Trivy: []string{"AVD-AWS-0164"}, CfnNag: []string{"W33"}},
	Run:         runVPCPublicSubnet,
}

// SGOpenEgress is BW404.
var SGOpenEgress = &rule.Rule{
	ID: "BW404", Name: "sg-open-egress", Severity: rule.Medium,
	Title: "a function's security group allows all outbound traffic to the internet",
	Rationale: "Outbound rules are what stops a compromised function from sending data to an attacker's " +
		"server. A rule allowing every protocol, or every port, to 0.0.0.0/0 or ::/0 stops nothing. A security " +
		"group without any egress rule is as open: AWS then adds its default rule allowing all outbound " +
		"traffic. The guides ask to allow only necessary outbound traffic (000, 001, 002).",
	Remediation: "Replace the open rule with rules for what the function needs: HTTPS (443) to the VPC " +
		"endpoints' or the proxy's security group, the database's port to the database's security group.",
	Example: `Resources:
  OrdersFunctionSG:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: Orders function
      VpcId: !Ref Vpc
      SecurityGroupEgress:
        - IpProtocol: tcp
          FromPort: 443
          ToPort: 443
          DestinationSecurityGroupId: !Ref EndpointsSG
        - IpProtocol: tcp
          FromPort: 5432
          ToPort: 5432
          DestinationSecurityGroupId: !Ref DatabaseSG`,
	Where:       "T A",
	Equivalents: rule.Equivalents{Checkov: []string{"CKV_AWS_382"}, CfnNag: []string{"W40", "F1000"}},
	Run:         runSGOpenEgress,
}

// SGIngressOnFunction is BW405.
var SGIngressOnFunction = &rule.Rule{
	ID: "BW405", Name: "sg-ingress-on-function", Severity: rule.Low,
	Title: "a security group used only by functions has inbound rules",
	Rationale: "Nothing connects to a Lambda function's network interface: invocations arrive through the " +
		"Lambda service, and responses to the function's own connections are allowed by the security group " +
		"being stateful. An inbound rule on a security group that only functions use opens a path nothing " +
		"needs. The guide's function security group has no inbound rules (000).",
	Remediation: "Remove the inbound rules. If other resources need them, give those resources their own " +
		"security group.",
	Example: `Resources:
  OrdersFunctionSG:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: Orders function
      VpcId: !Ref Vpc
      SecurityGroupIngress: []  # functions need no inbound rules
      SecurityGroupEgress:
        - IpProtocol: tcp
          FromPort: 5432
          ToPort: 5432
          DestinationSecurityGroupId: !Ref DatabaseSG`,
	Where: "T A",
	Run:   runSGIngressOnFunction,
}

// VPCNoFlowLogs is BW406.
var VPCNoFlowLogs = &rule.Rule{
	ID: "BW406", Name: "vpc-no-flow-logs", Severity: rule.Low,
	Title: "a VPC that hosts functions has no flow logs",
	Rationale: "Flow logs record the connections made in the VPC: the evidence of what a compromised " +
		"function talked to. The guide asks to enable VPC Flow Logs for traffic monitoring and security " +
		"analysis (000).",
	Remediation: "Add an AWS::EC2::FlowLog for the VPC (or for each subnet the functions use).",
	Example: `Resources:
  VpcFlowLog:
    Type: AWS::EC2::FlowLog
    Properties:
      ResourceId: !Ref Vpc
      ResourceType: VPC
      TrafficType: ALL
      LogDestinationType: cloud-watch-logs
      LogGroupName: /vpc/flow-logs
      DeliverLogsPermissionArn: !GetAtt FlowLogsRole.Arn`,
	Where: "T A",
	Equivalents: rule.Equivalents{KICS: []string{"f6d299d2-21eb-41cc-b1e1-fe12d857500b"}, Trivy: []string{"AVD-AWS-0178"},
		CfnNag: []string{"W60"}, CdkNag: []string{"AwsSolutions-VPC7"}},
	Run: runVPCNoFlowLogs,
}

// VPCNoEndpoints is BW407.
var VPCNoEndpoints = &rule.Rule{
	ID: "BW407", Name: "vpc-no-endpoints", Severity: rule.Info,
	Title: "a function in a VPC uses S3, DynamoDB, Secrets Manager or SSM without a VPC endpoint for it",
	Rationale: "Without an endpoint, calls from a VPC to an AWS service leave through a NAT gateway and the " +
		"internet path, need outbound internet access in the function's security group, and cannot be " +
		"limited by an endpoint policy. The guides ask to use VPC endpoints (PrivateLink) for AWS services " +
		"(000, 002). The rule looks at the function's role (statements naming the service's actions) and its " +
		"environment (references to the service's resources), and only at VPCs defined in the template: " +
		"endpoints of a VPC defined elsewhere are not visible.",
	Remediation: "Add an AWS::EC2::VPCEndpoint for the service: a gateway endpoint for S3 and DynamoDB (free), " +
		"an interface endpoint with private DNS for Secrets Manager and SSM.",
	Example: `Resources:
  S3Endpoint:
    Type: AWS::EC2::VPCEndpoint
    Properties:
      VpcId: !Ref Vpc
      ServiceName: !Sub com.amazonaws.${AWS::Region}.s3
      VpcEndpointType: Gateway
      RouteTableIds: [!Ref PrivateRouteTable]
  SecretsManagerEndpoint:
    Type: AWS::EC2::VPCEndpoint
    Properties:
      VpcId: !Ref Vpc
      ServiceName: !Sub com.amazonaws.${AWS::Region}.secretsmanager
      VpcEndpointType: Interface
      PrivateDnsEnabled: true
      SubnetIds: [!Ref PrivateSubnetA, !Ref PrivateSubnetB]
      SecurityGroupIds: [!Ref EndpointsSG]`,
	Where: "T A",
	Run:   runVPCNoEndpoints,
}

// placement is where a function's VpcConfig puts it: its subnets and
// security groups, resolved to the stack's resources where the template
// defines them.
type placement struct {
	fn         *model.Function
	subnetList *source.Node // the evaluated SubnetIds
	subnets    []placed
	groups     []placed
}

// placed is one entry of SubnetIds or SecurityGroupIds: the value the user
// wrote and, when the stack defines it, the resource.
type placed struct {
	node *source.Node
	res  *model.Resource
}

// placementOf returns where f runs, or nil when it is not in a VPC.
func placementOf(f *model.Function) *placement {
	if f.VPC == nil {
		return nil
	}
	st := f.Resource.Stack
	p := &placement{fn: f, subnetList: f.Resource.Prop("VpcConfig", "SubnetIds")}
	for _, n := range f.VPC.Subnets {
		p.subnets = append(p.subnets, placed{n, referencedResource(st, n, "AWS::EC2::Subnet")})
	}
	for _, n := range f.VPC.SecurityGroups {
		p.groups = append(p.groups, placed{n, referencedResource(st, n, "AWS::EC2::SecurityGroup")})
	}
	if len(p.subnets) == 0 {
		return nil // an empty VpcConfig detaches the function from any VPC
	}
	return p
}

// vpcs returns the VPCs of the stack that the function's subnets and
// security groups belong to.
func (p *placement) vpcs() []*model.Resource {
	var out []*model.Resource
	for _, it := range slices.Concat(p.subnets, p.groups) {
		if it.res == nil {
			continue
		}
		if v := referencedResource(it.res.Stack, it.res.Prop("VpcId"), "AWS::EC2::VPC"); v != nil && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// vpcOnlyAddress says whether attribute attr of r is an address that only
// answers inside a VPC, and names r's kind. attr "*" asks about the
// resource itself (an IAM-authenticated connection to it).
func vpcOnlyAddress(r *model.Resource, attr string) (kind string, ok bool) {
	if r == nil {
		return "", false
	}
	addr := func(attrs ...string) bool {
		return attr == "*" || slices.ContainsFunc(attrs, func(a string) bool { return strings.EqualFold(a, attr) })
	}
	public := r.Prop("PubliclyAccessible").Truthy()
	switch r.Type {
	case "AWS::RDS::DBInstance":
		return "RDS DB instance", !public && addr("Endpoint.Address", "Endpoint.Port")
	case "AWS::RDS::DBCluster":
		return "RDS DB cluster", addr("Endpoint.Address", "Endpoint.Port", "ReadEndpoint.Address")
	case "AWS::RDS::DBProxy", "AWS::RDS::DBProxyEndpoint":
		return "RDS proxy", addr("Endpoint")
	case "AWS::ElastiCache::CacheCluster":
		return "ElastiCache cluster", addr("RedisEndpoint.Address", "RedisEndpoint.Port", "ConfigurationEndpoint.Address", "ConfigurationEndpoint.Port")
	case "AWS::ElastiCache::ReplicationGroup":
		return "ElastiCache replication group", addr("PrimaryEndPoint.Address", "PrimaryEndPoint.Port", "ReaderEndPoint.Address",
			"ReaderEndPoint.Port", "ConfigurationEndPoint.Address", "ConfigurationEndPoint.Port", "ReadEndPoint.Addresses")
	case "AWS::ElastiCache::ServerlessCache":
		return "ElastiCache serverless cache", addr("Endpoint.Address", "Endpoint.Port", "ReaderEndpoint.Address", "ReaderEndpoint.Port")
	case "AWS::MemoryDB::Cluster":
		return "MemoryDB cluster", addr("ClusterEndpoint.Address", "ClusterEndpoint.Port")
	case "AWS::Redshift::Cluster":
		return "Redshift cluster", !public && addr("Endpoint.Address", "Endpoint.Port")
	case "AWS::RedshiftServerless::Workgroup":
		return "Redshift Serverless workgroup", !r.Prop("PubliclyAccessible").Truthy() && addr("Workgroup.Endpoint.Address", "Workgroup.Endpoint.Port")
	case "AWS::EC2::Instance":
		return "EC2 instance", addr("PrivateIp", "PrivateDnsName")
	case "AWS::ElasticLoadBalancingV2::LoadBalancer":
		internal, _ := r.Prop("Scheme").Str()
		return "internal load balancer", internal == "internal" && addr("DNSName")
	case "AWS::OpenSearchService::Domain", "AWS::Elasticsearch::Domain":
		return "OpenSearch domain in a VPC", r.Prop("VPCOptions") != nil && addr("DomainEndpoint", "DomainEndpoints", "DomainEndpointV2", "DomainEndpointsV2")
	case "AWS::DocDB::DBCluster":
		return "DocumentDB cluster", addr("Endpoint", "ReadEndpoint", "Port")
	case "AWS::DocDB::DBInstance":
		return "DocumentDB instance", addr("Endpoint", "Port")
	case "AWS::DocDBElastic::Cluster":
		return "DocumentDB elastic cluster", addr("ClusterEndpoint")
	case "AWS::Neptune::DBCluster":
		return "Neptune cluster", addr("Endpoint", "ReadEndpoint", "Port")
	case "AWS::Neptune::DBInstance":
		return "Neptune instance", addr("Endpoint", "Port")
	case "AWS::AmazonMQ::Broker":
		return "Amazon MQ broker", !public && addr("AmqpEndpoints", "OpenWireEndpoints", "MqttEndpoints", "StompEndpoints", "WssEndpoints", "IpAddresses")
	}
	return "", false
}

// connectActions are the actions that open an IAM-authenticated network
// connection to a resource, rather than call a service API.
var connectActions = []string{"rds-db:connect", "elasticache:Connect", "memorydb:Connect",
	"es:ESHttpGet", "es:ESHttpPost", "es:ESHttpPut", "es:ESHttpDelete", "es:ESHttpHead", "es:ESHttpPatch"}

// privateReach is one piece of evidence that a function connects to a
// private resource.
type privateReach struct {
	res  *model.Resource
	kind string
	how  string
	pos  source.Pos
}

func runVPCMissingForPrivateResource(pass *rule.Pass) {
	analysis := iam.For(pass.App)
	for _, f := range pass.App.Functions {
		if placementOf(f) != nil {
			continue
		}
		reaches := privateReaches(f, analysis.Function(f))
		if len(reaches) == 0 {
			continue
		}
		var ids []string
		var pos []source.Pos
		for _, r := range reaches {
			if !slices.Contains(ids, r.res.Origin.LogicalID) {
				ids = append(ids, r.res.Origin.LogicalID)
			}
			pos = append(pos, r.pos)
		}
		slices.Sort(ids)
		first := reaches[0]
		more := ""
		if len(ids) > 1 {
			more = fmt.Sprintf(" (and %s)", strings.Join(slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id == first.res.Origin.LogicalID }), ", "))
		}
		reportRelated(pass, rule.AtFunction(f, source.Pos{}), strings.Join(ids, ","), pos,
			"function %s connects to %s %s%s (%s) but has no VpcConfig: it can reach the resource only if the "+
				"resource is made public. Put the function in private subnets of the resource's VPC, with a "+
				"security group the resource admits",
			f.Name, first.kind, first.res.Origin.LogicalID, more, first.how)
	}
}

// privateReaches collects the evidence that f connects to private resources
// of its stack: environment variables holding their addresses, and
// connect permissions on them.
func privateReaches(f *model.Function, perms *iam.Permissions) []privateReach {
	st := f.Resource.Stack
	var out []privateReach
	for _, v := range f.Env {
		for _, u := range resourceUses(v.Raw) {
			r := st.Resource(u.id)
			if kind, ok := vpcOnlyAddress(r, u.attr); ok && u.attr != "" {
				out = append(out, privateReach{r, kind, "environment variable " + v.Name + " holds its " + u.attr, v.Pos})
			}
		}
	}
	if perms == nil {
		return out
	}
	for _, g := range perms.Grants() {
		action := grantedConnectAction(g)
		if action == "" {
			continue
		}
		for _, res := range g.Statement.Resources {
			for _, id := range res.Refs {
				r := st.Resource(id)
				if kind, ok := vpcOnlyAddress(r, "*"); ok {
					out = append(out, privateReach{r, kind, "its role grants " + action + " on it", g.Pos()})
				}
			}
		}
	}
	return out
}

// grantedConnectAction returns the first connect action the grant allows.
func grantedConnectAction(g iam.Grant) string {
	for _, name := range connectActions {
		if a, ok := iamdata.Lookup(name); ok && g.Actions.Has(a.ID) {
			return name
		}
	}
	return ""
}

// resourceUse is one Ref or GetAtt in an expression as written.
type resourceUse struct {
	id, attr string // attr is empty for a Ref
}

// resourceUses returns the resources and attributes an expression names
// through Ref, Fn::GetAtt and Fn::Sub, as written (before evaluation, which
// keeps only the logical IDs).
func resourceUses(n *source.Node) []resourceUse {
	var out []resourceUse
	var walk func(*source.Node)
	walk = func(n *source.Node) {
		if n == nil {
			return
		}
		if name, arg, ok := n.Intrinsic(); ok {
			switch name {
			case "Ref":
				if s, ok := arg.Str(); ok {
					out = append(out, resourceUse{id: s})
				}
				return
			case "Fn::GetAtt":
				if s, ok := arg.Str(); ok {
					id, attr, _ := strings.Cut(s, ".")
					out = append(out, resourceUse{id, attr})
				} else if arg != nil && arg.Kind == source.Seq && len(arg.Items) == 2 {
					id, _ := arg.Items[0].Str()
					attr, _ := arg.Items[1].Str()
					out = append(out, resourceUse{id, attr})
				}
				return
			case "Fn::Sub":
				tmpl, vars := subParts(arg)
				for _, name := range subVariables(tmpl) {
					if _, local := vars[name]; local {
						continue
					}
					id, attr, _ := strings.Cut(name, ".")
					out = append(out, resourceUse{id, attr})
				}
				for _, v := range vars {
					walk(v)
				}
				return
			}
		}
		for _, it := range n.Items {
			walk(it)
		}
		for _, fl := range n.Fields {
			walk(fl.Value)
		}
	}
	walk(n)
	return out
}

// subParts splits the argument of Fn::Sub into its template and variables.
func subParts(arg *source.Node) (string, map[string]*source.Node) {
	if s, ok := arg.Str(); ok {
		return s, nil
	}
	if arg == nil || arg.Kind != source.Seq || len(arg.Items) != 2 {
		return "", nil
	}
	s, _ := arg.Items[0].Str()
	vars := map[string]*source.Node{}
	for _, f := range arg.Items[1].Fields {
		vars[f.Key] = f.Value
	}
	return s, vars
}

// subVariables returns the ${Name} references of a Fn::Sub template,
// without the ${!Literal} escapes.
func subVariables(tmpl string) []string {
	var out []string
	for {
		i := strings.Index(tmpl, "${")
		if i < 0 {
			return out
		}
		rest := tmpl[i+2:]
		j := strings.IndexByte(rest, '}')
		if j < 0 {
			return out
		}
		if name := rest[:j]; !strings.HasPrefix(name, "!") {
			out = append(out, name)
		}
		tmpl = rest[j+1:]
	}
}

func runVPCSingleSubnet(pass *rule.Pass) {
	for _, f := range pass.App.Functions {
		p := placementOf(f)
		if p == nil || p.subnetList == nil || p.subnetList.Kind != source.Seq {
			continue // a list from a parameter or an import: its length is unknown
		}
		pos := propKeyPos(f.Resource, "VpcConfig", "SubnetIds")
		distinct := map[string]bool{}
		for _, it := range p.subnets {
			distinct[it.node.Value] = true
		}
		if len(distinct) < 2 {
			pass.Reportf(rule.AtFunction(f, pos), "one-subnet",
				"function %s runs in a single subnet: an outage of its Availability Zone stops the function. "+
					"List private subnets in at least two Availability Zones", f.Name)
			continue
		}
		if az, ok := sharedZone(p.subnets); ok {
			pass.Reportf(rule.AtFunction(f, pos), "one-zone",
				"function %s runs in %d subnets that are all in the same Availability Zone (%s): an outage of "+
					"that zone stops the function. Use subnets in at least two zones", f.Name, len(distinct), az)
		}
	}
}

// sharedZone reports whether every subnet is a resource of the stack placed
// in the same Availability Zone, written the same way (a zone name, a zone
// ID, or the same !Select over !GetAZs), and names that zone.
func sharedZone(subnets []placed) (string, bool) {
	zone := ""
	for i, it := range subnets {
		if it.res == nil {
			return "", false
		}
		z, ok := zoneOf(it.res)
		if !ok || (i > 0 && z != zone) {
			return "", false
		}
		zone = z
	}
	return zone, true
}

// zoneOf returns a subnet's Availability Zone: its name or ID when written
// literally, or the expression that picks it.
func zoneOf(subnet *model.Resource) (string, bool) {
	for _, key := range []string{"AvailabilityZone", "AvailabilityZoneId"} {
		if s, ok := subnet.Prop(key).Str(); ok {
			return s, true
		}
		if raw := subnet.Raw.Properties.Get(key); raw != nil {
			b, err := json.Marshal(cfn.ToGo(raw))
			return string(b), err == nil
		}
	}
	return "", false // AWS picks a zone for each subnet: unknown
}

func runVPCPublicSubnet(pass *rule.Pass) {
	for _, f := range pass.App.Functions {
		p := placementOf(f)
		if p == nil {
			continue
		}
		seen := map[*model.Resource]bool{}
		for _, it := range p.subnets {
			if it.res == nil || seen[it.res] {
				continue
			}
			seen[it.res] = true
			why, related := publicSubnet(it.res)
			if why == "" {
				continue
			}
			reportRelated(pass, rule.AtFunction(f, it.node.Pos), it.res.Origin.LogicalID, related,
				"function %s is placed in public subnet %s (%s). Lambda gives functions no public address, so "+
					"this brings no internet access, only a neighbourhood the internet can reach: use private "+
					"subnets that reach the internet through a NAT gateway", f.Name, it.res.Origin.LogicalID, why)
		}
	}
}

// publicSubnet says why a subnet is public, if it is: a default route to an
// internet gateway, or public IPs on launch.
func publicSubnet(subnet *model.Resource) (why string, related []source.Pos) {
	st := subnet.Stack
	var reasons []string
	for _, assoc := range st.Resources {
		if assoc.Type != "AWS::EC2::SubnetRouteTableAssociation" || referencedResource(st, assoc.Prop("SubnetId"), "AWS::EC2::Subnet") != subnet {
			continue
		}
		table := referencedResource(st, assoc.Prop("RouteTableId"), "AWS::EC2::RouteTable")
		if table == nil {
			continue
		}
		for _, route := range st.Resources {
			if route.Type != "AWS::EC2::Route" || referencedResource(st, route.Prop("RouteTableId"), "AWS::EC2::RouteTable") != table {
				continue
			}
			if igw := internetGateway(route); igw != "" {
				reasons = append(reasons, fmt.Sprintf("route table %s sends %s to internet gateway %s",
					table.Origin.LogicalID, routeDestination(route), igw))
				related = append(related, route.Origin.Pos)
			}
		}
	}
	if v := subnet.Prop("MapPublicIpOnLaunch"); v.Truthy() {
		reasons = append(reasons, "MapPublicIpOnLaunch is true")
		related = append(related, v.Pos)
	}
	return strings.Join(reasons, "; "), related
}

// internetGateway returns the internet gateway a default route points at,
// or "" when the route is not a default route to one.
func internetGateway(route *model.Resource) string {
	if routeDestination(route) == "" {
		return ""
	}
	gw := route.Prop("GatewayId")
	if r := referencedResource(route.Stack, gw, "AWS::EC2::InternetGateway"); r != nil {
		return r.Origin.LogicalID
	}
	if s, ok := gw.Str(); ok && strings.HasPrefix(s, "igw-") {
		return s
	}
	return ""
}

// routeDestination returns the default destination a route covers, or "".
func routeDestination(route *model.Resource) string {
	if s, _ := route.Prop("DestinationCidrBlock").Str(); s == "0.0.0.0/0" {
		return s
	}
	if s, _ := route.Prop("DestinationIpv6CidrBlock").Str(); s == "::/0" {
		return s
	}
	return ""
}

// functionGroups returns the stack's security groups that functions use,
// with the functions using each, in the order functions name them.
func functionGroups(app *model.App) ([]*model.Resource, map[*model.Resource][]*model.Function) {
	var order []*model.Resource
	users := map[*model.Resource][]*model.Function{}
	for _, f := range app.Functions {
		p := placementOf(f)
		if p == nil {
			continue
		}
		for _, g := range p.groups {
			if g.res == nil || slices.Contains(users[g.res], f) {
				continue
			}
			if users[g.res] == nil {
				order = append(order, g.res)
			}
			users[g.res] = append(users[g.res], f)
		}
	}
	return order, users
}

// sgRule is one ingress or egress rule of a security group, written inline
// or as its own resource.
type sgRule struct {
	node *source.Node    // the rule's properties
	res  *model.Resource // the standalone rule resource; nil for an inline rule
	pos  source.Pos      // where the rule is written
}

// groupRules returns the egress (or ingress) rules of a security group.
func groupRules(sg *model.Resource, egress bool) (rules []sgRule, inlineKey source.Pos) {
	prop, standalone := "SecurityGroupIngress", "AWS::EC2::SecurityGroupIngress"
	if egress {
		prop, standalone = "SecurityGroupEgress", "AWS::EC2::SecurityGroupEgress"
	}
	inlineKey = propKeyPos(sg, prop)
	for _, n := range listOf(sg.Prop(prop)) {
		rules = append(rules, sgRule{node: n, pos: n.Pos})
	}
	for _, r := range sg.Stack.Resources {
		if r.Type == standalone && referencedResource(sg.Stack, r.Prop("GroupId"), "AWS::EC2::SecurityGroup") == sg {
			rules = append(rules, sgRule{node: r.Props, res: r, pos: r.Origin.Pos})
		}
	}
	return rules, inlineKey
}

// openToInternet says what an egress rule opens to the whole internet: all
// protocols, or all ports of one protocol. It returns "" for narrower rules.
func openToInternet(n *source.Node) (what, cidr string) {
	cidr, _ = n.Get("CidrIp").Str()
	if cidr != "0.0.0.0/0" {
		if cidr, _ = n.Get("CidrIpv6").Str(); cidr != "::/0" {
			return "", ""
		}
	}
	proto, _ := n.Get("IpProtocol").Str()
	switch strings.ToLower(proto) {
	case "-1", "all":
		return "all traffic (every protocol and port)", cidr
	case "tcp", "6", "udp", "17":
		from, _ := n.Get("FromPort").Str()
		to, _ := n.Get("ToPort").Str()
		if (from == "0" || from == "1" || from == "-1") && (to == "65535" || to == "-1") {
			return "every " + strings.ToUpper(protocolName(proto)) + " port", cidr
		}
	}
	return "", ""
}

func protocolName(p string) string {
	switch p {
	case "6":
		return "tcp"
	case "17":
		return "udp"
	}
	return strings.ToLower(p)
}

func runSGOpenEgress(pass *rule.Pass) {
	groups, users := functionGroups(pass.App)
	for _, sg := range groups {
		fns := users[sg]
		rules, key := groupRules(sg, true)
		// AWS adds a default allow-all egress rule only to a group with no
		// egress rules; CloudFormation strips it when one is added, inline or
		// as a separate AWS::EC2::SecurityGroupEgress (aws-cdk#987).
		if len(rules) == 0 {
			pass.Reportf(groupLocation(sg, fns, key), "default-egress",
				"security group %s of %s has no egress rules, so AWS gives it the default rule allowing all "+
					"outbound traffic to 0.0.0.0/0: a compromised function can send data anywhere. Add egress "+
					"rules for only what the function needs", sg.Origin.LogicalID, functionNames(fns))
			continue
		}
		for _, r := range rules {
			what, cidr := openToInternet(r.node)
			if what == "" {
				continue
			}
			at := groupLocation(sg, fns, r.pos)
			if r.res != nil {
				at = rule.At(r.res, r.pos)
			}
			pass.Reportf(at, "egress:"+cidr+":"+what,
				"security group %s of %s allows %s out to %s: a compromised function can send data anywhere. "+
					"Allow only the ports and destinations the function needs", sg.Origin.LogicalID, functionNames(fns), what, cidr)
		}
	}
}

func runSGIngressOnFunction(pass *rule.Pass) {
	groups, users := functionGroups(pass.App)
	for _, sg := range groups {
		if usedBeyondFunctions(sg) {
			continue
		}
		fns := users[sg]
		rules, _ := groupRules(sg, false)
		inline := 0
		for _, r := range rules {
			if r.res != nil {
				pass.Reportf(rule.At(r.res, r.pos), "ingress",
					"%s adds an inbound rule to security group %s, which only %s use: functions accept no "+
						"inbound connections. Remove the rule", r.res.Origin.LogicalID, sg.Origin.LogicalID, functionNames(fns))
				continue
			}
			if inline++; inline == 1 {
				n := 0
				for _, r := range rules {
					if r.res == nil {
						n++
					}
				}
				pass.Reportf(groupLocation(sg, fns, r.pos), "ingress",
					"security group %s is used only by %s but has %s: functions accept no inbound "+
						"connections. Remove them", sg.Origin.LogicalID, functionNames(fns), plural(n, "inbound rule"))
			}
		}
	}
}

// usedBeyondFunctions reports whether any resource of the stack other than
// functions and security group rules names the security group: an
// instance, a database, a VPC endpoint, an event source mapping.
func usedBeyondFunctions(sg *model.Resource) bool {
	for _, r := range sg.Stack.Resources {
		switch r.Type {
		case "AWS::Lambda::Function", "AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress":
			continue // functions, and rules that name the group as a peer
		}
		if slices.Contains(refsIn(r.Props), sg.LogicalID) {
			return true
		}
	}
	return false
}

// groupLocation is the location of a finding on a security group: the
// function is named when only one uses the group.
func groupLocation(sg *model.Resource, fns []*model.Function, pos source.Pos) rule.Location {
	at := rule.At(sg, pos)
	if len(fns) == 1 {
		at.Function = fns[0].Name
	}
	return at
}

func runVPCNoFlowLogs(pass *rule.Pass) {
	var vpcs []*model.Resource
	hosted := map[*model.Resource][]*model.Function{}
	subnets := map[*model.Resource][]*model.Resource{}
	for _, f := range pass.App.Functions {
		p := placementOf(f)
		if p == nil {
			continue
		}
		for _, v := range p.vpcs() {
			if hosted[v] == nil {
				vpcs = append(vpcs, v)
			}
			if !slices.Contains(hosted[v], f) {
				hosted[v] = append(hosted[v], f)
			}
			for _, s := range p.subnets {
				if s.res != nil && !slices.Contains(subnets[v], s.res) {
					subnets[v] = append(subnets[v], s.res)
				}
			}
		}
	}
	for _, v := range vpcs {
		if flowLogged(v, subnets[v]) {
			continue
		}
		at := rule.At(v, source.Pos{})
		if fns := hosted[v]; len(fns) == 1 {
			at.Function = fns[0].Name
		}
		pass.Reportf(at, "no-flow-log",
			"VPC %s hosts %s but has no flow log: the connections a compromised function makes leave no trace. "+
				"Add an AWS::EC2::FlowLog for the VPC", v.Origin.LogicalID, functionNames(hosted[v]))
	}
}

// flowLogged reports whether a flow log of the stack covers the VPC, or
// every one of the function subnets in it.
func flowLogged(vpc *model.Resource, subnets []*model.Resource) bool {
	covered := map[*model.Resource]bool{}
	for _, r := range vpc.Stack.Resources {
		if r.Type != "AWS::EC2::FlowLog" {
			continue
		}
		ids := append(listOf(r.Prop("ResourceId")), listOf(r.Prop("ResourceIds"))...)
		for _, id := range ids {
			if referencedResource(vpc.Stack, id, "AWS::EC2::VPC") == vpc {
				return true
			}
			if s := referencedResource(vpc.Stack, id, "AWS::EC2::Subnet"); s != nil {
				covered[s] = true
			}
		}
	}
	if len(subnets) == 0 {
		return false
	}
	for _, s := range subnets {
		if !covered[s] {
			return false
		}
	}
	return true
}

// endpointServices are the services BW407 looks for, by endpoint service
// name suffix, with the resource types that show a function uses them.
var endpointServices = []struct {
	service, name string
	types         []string
}{
	{"s3", "S3", []string{"AWS::S3::Bucket"}},
	{"dynamodb", "DynamoDB", []string{"AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable"}},
	{"secretsmanager", "Secrets Manager", []string{"AWS::SecretsManager::Secret"}},
	{"ssm", "SSM Parameter Store", []string{"AWS::SSM::Parameter"}},
}

func runVPCNoEndpoints(pass *rule.Pass) {
	analysis := iam.For(pass.App)
	for _, f := range pass.App.Functions {
		p := placementOf(f)
		if p == nil || f.FrameworkOwned() {
			continue
		}
		vpcs := p.vpcs()
		if len(vpcs) == 0 {
			continue // the VPC is defined elsewhere, with endpoints we cannot see
		}
		for _, svc := range endpointServices {
			how := serviceUse(f, analysis.Function(f), svc.service, svc.types)
			if how == "" || hasEndpoint(f.Resource.Stack, svc.service, vpcs) {
				continue
			}
			pass.Reportf(rule.AtFunction(f, propKeyPos(f.Resource, "VpcConfig")), svc.service,
				"function %s runs in VPC %s and uses %s (%s), but the template has no VPC endpoint for it: the "+
					"calls leave through a NAT gateway and need open outbound access. Add %s endpoint",
				f.Name, vpcs[0].Origin.LogicalID, svc.name, how, vpcEndpointType(svc.service))
		}
	}
}

func vpcEndpointType(service string) string {
	if service == "s3" || service == "dynamodb" {
		return "a gateway"
	}
	return "an interface"
}

// serviceUse says how f shows it uses a service: a statement of its role
// naming the service's actions, or an environment variable referencing one
// of its resources. Statements that grant every service ("*") say nothing
// about what the function uses.
func serviceUse(f *model.Function, perms *iam.Permissions, service string, types []string) string {
	if perms != nil {
		for _, g := range perms.Grants() {
			for _, a := range g.Statement.Actions {
				if !g.Statement.NotAction && strings.HasPrefix(strings.ToLower(a.Text), service+":") {
					return "its role grants " + a.Text
				}
			}
		}
	}
	for _, v := range f.Env {
		for _, id := range refsIn(v.Value) {
			if r := f.Resource.Stack.Resource(id); r != nil && slices.Contains(types, r.Type) {
				return "environment variable " + v.Name + " names " + r.Origin.LogicalID
			}
		}
	}
	return ""
}

// hasEndpoint reports whether the stack has a VPC endpoint for the service
// in one of the VPCs (or in a VPC it does not name).
func hasEndpoint(st *model.Stack, service string, vpcs []*model.Resource) bool {
	for _, r := range st.Resources {
		if r.Type != "AWS::EC2::VPCEndpoint" {
			continue
		}
		name := r.Prop("ServiceName").Value
		if i := strings.LastIndexByte(name, '.'); i < 0 || !strings.EqualFold(name[i+1:], service) {
			continue
		}
		v := referencedResource(st, r.Prop("VpcId"), "AWS::EC2::VPC")
		if v == nil || slices.Contains(vpcs, v) {
			return true
		}
	}
	return false
}

// Template helpers shared by the network, secret, exposure and data rules.

// refsIn returns every logical ID, parameter and pseudo parameter that an
// evaluated value depends on, in order of appearance.
func refsIn(n *source.Node) []string {
	var out []string
	var walk func(*source.Node)
	walk = func(n *source.Node) {
		if n == nil {
			return
		}
		for _, r := range n.Refs {
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
		for _, it := range n.Items {
			walk(it)
		}
		for _, f := range n.Fields {
			walk(f.Value)
		}
	}
	walk(n)
	return out
}

// referencedResource returns the first resource of the stack, of one of
// the given types, that the evaluated value n refers to.
func referencedResource(st *model.Stack, n *source.Node, types ...string) *model.Resource {
	if n == nil {
		return nil
	}
	for _, id := range n.Refs {
		if r := st.Resource(id); r != nil && (len(types) == 0 || slices.Contains(types, r.Type)) {
			return r
		}
	}
	return nil
}

// listOf returns the items of a list value; a single value is a list of one.
func listOf(n *source.Node) []*source.Node {
	switch {
	case n == nil || n.Kind == source.Null:
		return nil
	case n.Kind == source.Seq:
		return n.Items
	}
	return []*source.Node{n}
}

// propKeyPos returns where the key of the property at path is written, or
// the zero Pos when the property is absent (findings then fall back to the
// resource). It looks first at the resource as the user wrote it, since a
// transform (SAM) rebuilds the maps it expands and positions their keys at
// their values.
func propKeyPos(r *model.Resource, path ...string) source.Pos {
	if r.Stack != nil && r.Stack.Doc != nil {
		written := r.Stack.Doc.Root.Get("Resources").Get(r.Origin.LogicalID).Get("Properties")
		if p := keyPosIn(written, path); p.IsValid() {
			return p
		}
	}
	return keyPosIn(r.Props, path)
}

func keyPosIn(n *source.Node, path []string) source.Pos {
	for i, key := range path {
		f, ok := n.Field(key)
		if !ok {
			return source.Pos{}
		}
		if i == len(path)-1 {
			if f.KeyPos.IsValid() {
				return f.KeyPos
			}
			return f.Value.Pos
		}
		n = f.Value
	}
	return source.Pos{}
}

// reportRelated reports a finding with the rule's default severity and
// other places that explain it.
func reportRelated(pass *rule.Pass, at rule.Location, evidence string, related []source.Pos, format string, args ...any) {
	var rel []source.Pos
	for _, p := range related {
		if p.IsValid() && p != at.Pos && !slices.Contains(rel, p) {
			rel = append(rel, p)
		}
	}
	pass.Report(rule.Finding{RuleID: pass.Rule.ID, Severity: pass.Rule.Severity, Message: fmt.Sprintf(format, args...),
		Location: at, Evidence: evidence, Related: rel})
}

// functionNames names functions for a message: "function A", "functions A and B".
func functionNames(fns []*model.Function) string {
	names := make([]string, len(fns))
	for i, f := range fns {
		names[i] = f.Name
	}
	switch len(names) {
	case 0:
		return "no function"
	case 1:
		return "function " + names[0]
	}
	return "functions " + strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
