package rules

import (
	"testing"
)

// Network fragments: a VPC with two private subnets in different zones, a
// function security group that allows only HTTPS to the VPC, and a
// function placed in them (fnInVPC takes the VpcConfig lines).
const (
	netVPC = `
  Vpc:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: 10.0.0.0/16
  SubnetA:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref Vpc
      CidrBlock: 10.0.1.0/24
      AvailabilityZone: !Select [0, !GetAZs ""]
  SubnetB:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref Vpc
      CidrBlock: 10.0.2.0/24
      AvailabilityZone: !Select [1, !GetAZs ""]
  FnSG:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: function
      VpcId: !Ref Vpc
      SecurityGroupEgress:
        - IpProtocol: tcp
          FromPort: 443
          ToPort: 443
          CidrIp: 10.0.0.0/16
  FlowLog:
    Type: AWS::EC2::FlowLog
    Properties:
      ResourceId: !Ref Vpc
      ResourceType: VPC
      TrafficType: ALL
      LogDestinationType: s3
      LogDestination: arn:aws:s3:::flow-logs
`
	netFnHead = `
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.13
      Handler: app.handler
      Role: arn:aws:iam::123456789012:role/app
      Code:
        ZipFile: "def handler(event, context): return {}"
`
	netPlaced = `      VpcConfig:
        SubnetIds: [!Ref SubnetA, !Ref SubnetB]
        SecurityGroupIds: [!Ref FnSG]
`
)

func TestVPCMissingForPrivateResourceNeedsEvidenceOfAConnection(t *testing.T) {
	db := `
  Db:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: postgres
      DBInstanceClass: db.t4g.micro
`
	runMarkedCases(t, VPCMissingForPrivateResource, []markedCase{
		{name: "endpoint in an environment variable", text: "connects to RDS DB instance Db", src: "Resources:" + db + `
  Fn: # want
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.13
      Handler: app.handler
      Role: arn:aws:iam::123456789012:role/app
      Code:
        ZipFile: "def handler(event, context): return {}"
      Environment:
        Variables:
          DB_HOST: !GetAtt Db.Endpoint.Address
`},
		{name: "address built with Sub", text: "ElastiCache cluster Cache", src: `Resources:
  Cache:
    Type: AWS::ElastiCache::CacheCluster
    Properties:
      Engine: redis
      CacheNodeType: cache.t4g.micro
      NumCacheNodes: 1
  Fn: # want
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.13
      Handler: app.handler
      Role: arn:aws:iam::123456789012:role/app
      Code:
        ZipFile: "def handler(event, context): return {}"
      Environment:
        Variables:
          REDIS_URL: !Sub redis://${Cache.RedisEndpoint.Address}:6379
`},
		{name: "IAM database authentication", text: "rds-db:connect", src: "Resources:" + db + `
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: db
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: rds-db:connect
                Resource: !Sub arn:aws:rds-db:${AWS::Region}:${AWS::AccountId}:dbuser:${Db.DbiResourceId}/app
  Fn: # want
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.13
      Handler: app.handler
      Role: !GetAtt Role.Arn
      Code:
        ZipFile: "def handler(event, context): return {}"
`},
		{name: "in a VPC", src: "Resources:" + db + netVPC + netFnHead + netPlaced + `      Environment:
        Variables:
          DB_HOST: !GetAtt Db.Endpoint.Address
`},
		{name: "identifier for API calls", src: "Resources:" + db + netFnHead + `      Environment:
        Variables:
          DB_INSTANCE_ID: !Ref Db
`},
		{name: "publicly accessible database", src: `Resources:
  Db:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: postgres
      DBInstanceClass: db.t4g.micro
      PubliclyAccessible: true
` + netFnHead + `      Environment:
        Variables:
          DB_HOST: !GetAtt Db.Endpoint.Address
`},
		{name: "Aurora through the Data API", src: `Resources:
  Cluster:
    Type: AWS::RDS::DBCluster
    Properties:
      Engine: aurora-postgresql
      EnableHttpEndpoint: true
` + netFnHead + `      Environment:
        Variables:
          CLUSTER_ARN: !GetAtt Cluster.DBClusterArn
`},
		{name: "internet-facing load balancer", src: `Resources:
  Alb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties:
      Scheme: internet-facing
` + netFnHead + `      Environment:
        Variables:
          UPSTREAM: !GetAtt Alb.DNSName
`},
		{name: "internal load balancer", text: "internal load balancer Alb", src: `Resources:
  Alb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties:
      Scheme: internal
  Fn: # want
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.13
      Handler: app.handler
      Role: arn:aws:iam::123456789012:role/app
      Code:
        ZipFile: "def handler(event, context): return {}"
      Environment:
        Variables:
          UPSTREAM: !GetAtt Alb.DNSName
`},
	})
}

func TestVPCSingleSubnetNeedsTwoZones(t *testing.T) {
	runMarkedCases(t, VPCSingleSubnet, []markedCase{
		{name: "one subnet", text: "single subnet", src: "Resources:" + netVPC + netFnHead + `      VpcConfig:
        SubnetIds: [!Ref SubnetA] # want
        SecurityGroupIds: [!Ref FnSG]
`},
		{name: "the same subnet twice", src: "Resources:" + netVPC + netFnHead + `      VpcConfig:
        SubnetIds: [!Ref SubnetA, !Ref SubnetA] # want
        SecurityGroupIds: [!Ref FnSG]
`},
		{name: "two subnets in one zone", text: "same Availability Zone (eu-west-1a)", src: `Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: 10.0.0.0/16
  SubnetA:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref Vpc
      CidrBlock: 10.0.1.0/24
      AvailabilityZone: eu-west-1a
  SubnetB:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref Vpc
      CidrBlock: 10.0.2.0/24
      AvailabilityZone: eu-west-1a
` + netFnHead + `      VpcConfig:
        SubnetIds: # want
          - !Ref SubnetA
          - !Ref SubnetB
`},
		{name: "two subnets picked by the same Select", src: `Resources:
  SubnetA:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: vpc-123
      CidrBlock: 10.0.1.0/24
      AvailabilityZone: !Select [0, !GetAZs ""]
  SubnetB:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: vpc-123
      CidrBlock: 10.0.2.0/24
      AvailabilityZone: !Select [0, !GetAZs ""]
` + netFnHead + `      VpcConfig:
        SubnetIds: [!Ref SubnetA, !Ref SubnetB] # want
`},
		{name: "two zones", src: "Resources:" + netVPC + netFnHead + netPlaced},
		{name: "subnet IDs written literally", src: "Resources:" + netFnHead + `      VpcConfig:
        SubnetIds: [subnet-0a1b, subnet-2c3d]
`},
		{name: "subnets from a list parameter", src: `Parameters:
  Subnets:
    Type: List<AWS::EC2::Subnet::Id>
Resources:` + netFnHead + `      VpcConfig:
        SubnetIds: !Ref Subnets
`},
		{name: "not in a VPC", src: "Resources:" + netFnHead},
	})
}

func TestVPCPublicSubnetFollowsRouteTables(t *testing.T) {
	public := `
  Igw:
    Type: AWS::EC2::InternetGateway
  PublicRoutes:
    Type: AWS::EC2::RouteTable
    Properties:
      VpcId: !Ref Vpc
  DefaultRoute:
    Type: AWS::EC2::Route
    Properties:
      RouteTableId: !Ref PublicRoutes
      DestinationCidrBlock: 0.0.0.0/0
      GatewayId: !Ref Igw
  PrivateRoutes:
    Type: AWS::EC2::RouteTable
    Properties:
      VpcId: !Ref Vpc
  NatRoute:
    Type: AWS::EC2::Route
    Properties:
      RouteTableId: !Ref PrivateRoutes
      DestinationCidrBlock: 0.0.0.0/0
      NatGatewayId: nat-0123
  SubnetARoutes:
    Type: AWS::EC2::SubnetRouteTableAssociation
    Properties:
      SubnetId: !Ref SubnetA
      RouteTableId: !Ref PublicRoutes
  SubnetBRoutes:
    Type: AWS::EC2::SubnetRouteTableAssociation
    Properties:
      SubnetId: !Ref SubnetB
      RouteTableId: !Ref PrivateRoutes
`
	runMarkedCases(t, VPCPublicSubnet, []markedCase{
		{name: "route to an internet gateway", text: "internet gateway Igw", src: "Resources:" + netVPC + public + netFnHead + `      VpcConfig:
        SubnetIds:
          - !Ref SubnetA # want
          - !Ref SubnetB
`},
		{name: "public IPs on launch", text: "MapPublicIpOnLaunch", src: `Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: 10.0.0.0/16
  SubnetA:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref Vpc
      CidrBlock: 10.0.1.0/24
      MapPublicIpOnLaunch: true
` + netFnHead + `      VpcConfig:
        SubnetIds:
          - !Ref SubnetA # want
          - subnet-0123
`},
		{name: "private subnets behind NAT", src: "Resources:" + netVPC + public + netFnHead + `      VpcConfig:
        SubnetIds: [!Ref SubnetB]
`},
		{name: "subnets from parameters", src: `Parameters:
  Subnets:
    Type: List<AWS::EC2::Subnet::Id>
Resources:` + netFnHead + `      VpcConfig:
        SubnetIds: !Ref Subnets
`},
	})
}

func TestSGOpenEgressIncludesTheDefaultRule(t *testing.T) {
	withGroup := func(group string) string {
		return "Resources:" + netFnHead + `      VpcConfig:
        SubnetIds: [subnet-1, subnet-2]
        SecurityGroupIds: [!Ref Group]
` + group
	}
	runMarkedCases(t, SGOpenEgress, []markedCase{
		{name: "all protocols", text: "allows all traffic", src: withGroup(`
  Group:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: fn
      VpcId: vpc-1
      SecurityGroupEgress:
        - IpProtocol: "-1" # want
          CidrIp: 0.0.0.0/0
        - IpProtocol: tcp
          FromPort: 443
          ToPort: 443
          CidrIp: 0.0.0.0/0
`)},
		{name: "all ports over IPv6", text: "every TCP port out to ::/0", src: withGroup(`
  Group:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: fn
      VpcId: vpc-1
      SecurityGroupEgress:
        - IpProtocol: tcp # want
          FromPort: 0
          ToPort: 65535
          CidrIpv6: ::/0
`)},
		{name: "no egress rules", text: "default rule", src: withGroup(`
  Group: # want
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: fn
      VpcId: vpc-1
`)},
		{name: "empty egress list", text: "default rule", src: withGroup(`
  Group:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: fn
      VpcId: vpc-1
      SecurityGroupEgress: [] # want
`)},
		{name: "standalone egress resource", src: withGroup(`
  Group:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: fn
      VpcId: vpc-1
  OpenEgress: # want
    Type: AWS::EC2::SecurityGroupEgress
    Properties:
      GroupId: !Ref Group
      IpProtocol: "-1"
      CidrIp: 0.0.0.0/0
`)},
		{name: "standalone narrow egress replaces the default", src: withGroup(`
  Group:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: fn
      VpcId: vpc-1
  HttpsOut:
    Type: AWS::EC2::SecurityGroupEgress
    Properties:
      GroupId: !Ref Group
      IpProtocol: tcp
      FromPort: 443
      ToPort: 443
      CidrIp: 0.0.0.0/0
`)},
		{name: "lock-down rule", src: withGroup(`
  Group:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: fn
      VpcId: vpc-1
      SecurityGroupEgress:
        - IpProtocol: "-1"
          CidrIp: 127.0.0.1/32
`)},
		{name: "group not used by a function", src: "Resources:" + netFnHead + `
  Other:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: web servers
      VpcId: vpc-1
`},
		{name: "group from a parameter", src: `Parameters:
  Group:
    Type: AWS::EC2::SecurityGroup::Id
Resources:` + netFnHead + `      VpcConfig:
        SubnetIds: [subnet-1, subnet-2]
        SecurityGroupIds: [!Ref Group]
`},
	})
}

func TestSGIngressOnFunctionOnlyJudgesFunctionOnlyGroups(t *testing.T) {
	withGroup := func(rest string) string {
		return "Resources:" + netFnHead + `      VpcConfig:
        SubnetIds: [subnet-1, subnet-2]
        SecurityGroupIds: [!Ref Group]
  Group:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: fn
      VpcId: vpc-1
` + rest
	}
	runMarkedCases(t, SGIngressOnFunction, []markedCase{
		{name: "inline rules", text: "2 inbound rules", src: withGroup(`      SecurityGroupIngress:
        - IpProtocol: tcp # want
          FromPort: 443
          ToPort: 443
          CidrIp: 10.0.0.0/16
        - IpProtocol: tcp
          FromPort: 22
          ToPort: 22
          CidrIp: 10.0.0.0/16
`)},
		{name: "standalone rule", src: withGroup(`
  SshIn: # want
    Type: AWS::EC2::SecurityGroupIngress
    Properties:
      GroupId: !Ref Group
      IpProtocol: tcp
      FromPort: 22
      ToPort: 22
      CidrIp: 10.0.0.0/8
`)},
		{name: "group shared with a database", src: withGroup(`      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: 5432
          ToPort: 5432
          SourceSecurityGroupId: !Ref Group
  Db:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: postgres
      DBInstanceClass: db.t4g.micro
      VPCSecurityGroups: [!Ref Group]
`)},
		{name: "the group is a peer in another group's rule", src: withGroup(`
  DbIn:
    Type: AWS::EC2::SecurityGroupIngress
    Properties:
      GroupId: sg-database
      IpProtocol: tcp
      FromPort: 5432
      ToPort: 5432
      SourceSecurityGroupId: !Ref Group
`)},
		{name: "no inbound rules", src: withGroup("      SecurityGroupIngress: []\n")},
	})
}

func TestVPCNoFlowLogsJudgesVPCsThatHostFunctions(t *testing.T) {
	vpcNoLog := `
  Vpc: # want
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: 10.0.0.0/16
  SubnetA:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref Vpc
      CidrBlock: 10.0.1.0/24
`
	runMarkedCases(t, VPCNoFlowLogs, []markedCase{
		{name: "no flow log", text: "hosts function Fn", src: "Resources:" + vpcNoLog + netFnHead + `      VpcConfig:
        SubnetIds: [!Ref SubnetA]
`},
		{name: "flow log on the VPC", src: "Resources:" + netVPC + netFnHead + netPlaced},
		{name: "flow log on the function's subnet", src: `Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: 10.0.0.0/16
  SubnetA:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref Vpc
      CidrBlock: 10.0.1.0/24
  SubnetLog:
    Type: AWS::EC2::FlowLog
    Properties:
      ResourceId: !Ref SubnetA
      ResourceType: Subnet
      TrafficType: REJECT
      LogDestinationType: s3
      LogDestination: arn:aws:s3:::flow-logs
` + netFnHead + `      VpcConfig:
        SubnetIds: [!Ref SubnetA]
`},
		{name: "VPC without functions", src: `Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: 10.0.0.0/16
` + netFnHead},
	})
}

func TestVPCNoEndpointsLooksAtRoleAndEnvironment(t *testing.T) {
	role := `
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: data
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: [s3:GetObject]
                Resource: arn:aws:s3:::uploads/*
  Token:
    Type: AWS::SecretsManager::Secret
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.13
      Handler: app.handler
      Role: !GetAtt Role.Arn
      Code:
        ZipFile: "def handler(event, context): return {}"
      Environment:
        Variables:
          TOKEN_SECRET: !Ref Token
`
	runMarkedCases(t, VPCNoEndpoints, []markedCase{
		{name: "no endpoints", sev: 0, src: "Resources:" + netVPC + role + `      VpcConfig: # want 2
        SubnetIds: [!Ref SubnetA, !Ref SubnetB]
        SecurityGroupIds: [!Ref FnSG]
`},
		{name: "S3 endpoint present", text: "Secrets Manager", src: "Resources:" + netVPC + role + `      VpcConfig: # want
        SubnetIds: [!Ref SubnetA, !Ref SubnetB]
        SecurityGroupIds: [!Ref FnSG]
  S3Endpoint:
    Type: AWS::EC2::VPCEndpoint
    Properties:
      VpcId: !Ref Vpc
      ServiceName: !Sub com.amazonaws.${AWS::Region}.s3
`},
		{name: "VPC defined elsewhere", src: "Parameters:\n  Subnets:\n    Type: List<AWS::EC2::Subnet::Id>\nResources:" + role + `      VpcConfig:
        SubnetIds: !Ref Subnets
`},
		{name: "not in a VPC", src: "Resources:" + role},
	})
}

func TestNetworkRulesInSAM(t *testing.T) {
	samVPCFn := func(vpcConfig, extra string) string {
		return samHead + netVPC + `
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.13
      Handler: app.handler
      CodeUri: src/
` + vpcConfig + extra
	}
	t.Run("BW401", func(t *testing.T) {
		db := `
  Db:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: postgres
      DBInstanceClass: db.t4g.micro
`
		runMarkedCases(t, VPCMissingForPrivateResource, []markedCase{
			{name: "outside the VPC", src: samHead + db + `
  Fn: # want
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.13
      Handler: app.handler
      CodeUri: src/
      Environment:
        Variables:
          DB_HOST: !GetAtt Db.Endpoint.Address
`},
			{name: "inside the VPC", src: samVPCFn(netPlaced, `      Environment:
        Variables:
          DB_HOST: !GetAtt Db.Endpoint.Address
`+db)},
		})
	})
	t.Run("BW402", func(t *testing.T) {
		runMarkedCases(t, VPCSingleSubnet, []markedCase{
			{name: "one subnet", src: samVPCFn(`      VpcConfig:
        SubnetIds: [!Ref SubnetA] # want
        SecurityGroupIds: [!Ref FnSG]
`, "")},
			{name: "two zones", src: samVPCFn(netPlaced, "")},
		})
	})
	t.Run("BW403", func(t *testing.T) {
		runMarkedCases(t, VPCPublicSubnet, []markedCase{
			{name: "public subnet", src: samVPCFn(`      VpcConfig:
        SubnetIds:
          - !Ref SubnetA
          - !Ref PublicSubnet # want
        SecurityGroupIds: [!Ref FnSG]
`, `
  PublicSubnet:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref Vpc
      CidrBlock: 10.0.9.0/24
      MapPublicIpOnLaunch: true
`)},
			{name: "private subnets", src: samVPCFn(netPlaced, "")},
		})
	})
	t.Run("BW404", func(t *testing.T) {
		runMarkedCases(t, SGOpenEgress, []markedCase{
			{name: "default egress", src: samVPCFn(`      VpcConfig:
        SubnetIds: [!Ref SubnetA, !Ref SubnetB]
        SecurityGroupIds: [!Ref OpenSG]
`, `
  OpenSG: # want
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: function
      VpcId: !Ref Vpc
`)},
			{name: "restricted egress", src: samVPCFn(netPlaced, "")},
		})
	})
	t.Run("BW405", func(t *testing.T) {
		runMarkedCases(t, SGIngressOnFunction, []markedCase{
			{name: "inbound rule", src: samVPCFn(netPlaced, `
  HttpsIn: # want
    Type: AWS::EC2::SecurityGroupIngress
    Properties:
      GroupId: !Ref FnSG
      IpProtocol: tcp
      FromPort: 443
      ToPort: 443
      CidrIp: 10.0.0.0/16
`)},
			{name: "no inbound rule", src: samVPCFn(netPlaced, "")},
		})
	})
	t.Run("BW406", func(t *testing.T) {
		runMarkedCases(t, VPCNoFlowLogs, []markedCase{
			{name: "no flow log", src: samHead + `
  Vpc: # want
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: 10.0.0.0/16
  SubnetA:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref Vpc
      CidrBlock: 10.0.1.0/24
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.13
      Handler: app.handler
      CodeUri: src/
      VpcConfig:
        SubnetIds: [!Ref SubnetA]
`},
			{name: "flow log", src: samVPCFn(netPlaced, "")},
		})
	})
	t.Run("BW407", func(t *testing.T) {
		policies := `      Policies:
        - S3ReadPolicy:
            BucketName: uploads
`
		runMarkedCases(t, VPCNoEndpoints, []markedCase{
			{name: "policy template without endpoint", text: "uses S3", src: samVPCFn(`      VpcConfig: # want
        SubnetIds: [!Ref SubnetA, !Ref SubnetB]
        SecurityGroupIds: [!Ref FnSG]
`, policies)},
			{name: "with endpoint", src: samVPCFn(netPlaced, policies+`
  S3Endpoint:
    Type: AWS::EC2::VPCEndpoint
    Properties:
      VpcId: !Ref Vpc
      ServiceName: !Sub com.amazonaws.${AWS::Region}.s3
`)},
		})
	})
}
