package netcheck

import (
	"archive/zip"
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/bulwark-sec/bulwark/internal/mototest"
)

func TestMain(m *testing.M) { mototest.Main(m) }

// motoNetwork is a VPC on moto with private and public subnets and
// security groups of both kinds.
type motoNetwork struct {
	privateA, privateB    string // private subnets in two zones
	publicRoute, publicIP string // a subnet routing to the IGW, one mapping public IPs
	narrowSG, openSG      string
	open6SG               string
}

func newMotoNetwork(t *testing.T, client *ec2.Client) motoNetwork {
	t.Helper()
	ctx := context.Background()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	vpc, err := client.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.20.0.0/16")})
	must("create VPC", err)
	vpcID := vpc.Vpc.VpcId

	newSubnet := func(cidr, zone string) string {
		out, err := client.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpcID, CidrBlock: aws.String(cidr), AvailabilityZone: aws.String(zone)})
		must("create subnet", err)
		return aws.ToString(out.Subnet.SubnetId)
	}
	n := motoNetwork{
		privateA:    newSubnet("10.20.1.0/24", "us-east-1a"),
		privateB:    newSubnet("10.20.2.0/24", "us-east-1b"),
		publicRoute: newSubnet("10.20.3.0/24", "us-east-1a"),
		publicIP:    newSubnet("10.20.4.0/24", "us-east-1b"),
	}
	_, err = client.ModifySubnetAttribute(ctx, &ec2.ModifySubnetAttributeInput{
		SubnetId: aws.String(n.publicIP), MapPublicIpOnLaunch: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)},
	})
	must("map public IPs", err)

	igw, err := client.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{})
	must("create internet gateway", err)
	_, err = client.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: igw.InternetGateway.InternetGatewayId, VpcId: vpcID})
	must("attach internet gateway", err)
	table, err := client.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: vpcID})
	must("create route table", err)
	_, err = client.CreateRoute(ctx, &ec2.CreateRouteInput{
		RouteTableId: table.RouteTable.RouteTableId, DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: igw.InternetGateway.InternetGatewayId,
	})
	must("route to internet gateway", err)
	_, err = client.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: table.RouteTable.RouteTableId, SubnetId: aws.String(n.publicRoute)})
	must("associate route table", err)

	newGroup := func(name string, rules ...ec2types.IpPermission) string {
		out, err := client.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
			GroupName: aws.String(mototest.Name(t, name)), Description: aws.String(name), VpcId: vpcID,
		})
		must("create security group", err)
		id := out.GroupId
		// New groups allow all egress; replace that with the rules asked for.
		_, err = client.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{
			GroupId: id, IpPermissions: []ec2types.IpPermission{egress("-1", 0, 0, "0.0.0.0/0", "")},
		})
		must("revoke default egress", err)
		if len(rules) > 0 {
			_, err = client.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: id, IpPermissions: rules})
			must("authorize egress", err)
		}
		return aws.ToString(id)
	}
	n.narrowSG = newGroup("narrow", egress("tcp", 443, 443, "10.0.0.0/8", ""))
	n.openSG = newGroup("open", egress("-1", 0, 0, "0.0.0.0/0", ""))
	n.open6SG = newGroup("open6", egress("-1", 0, 0, "", "::/0"))
	return n
}

// newMotoFunction creates a Lambda function on moto, in the given subnets
// and security groups, or outside any VPC when subnets is empty.
func newMotoFunction(t *testing.T, client *lambda.Client, role string, subnets, groups []string) string {
	t.Helper()
	var code bytes.Buffer
	zw := zip.NewWriter(&code)
	w, err := zw.Create("bootstrap")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("#!/bin/sh\n")); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	name := mototest.Name(t, "fn")
	in := &lambda.CreateFunctionInput{
		FunctionName: aws.String(name),
		Role:         aws.String(role),
		Runtime:      lambdatypes.RuntimeProvidedal2023,
		Handler:      aws.String("bootstrap"),
		Code:         &lambdatypes.FunctionCode{ZipFile: code.Bytes()},
	}
	if len(subnets) > 0 {
		in.VpcConfig = &lambdatypes.VpcConfig{SubnetIds: subnets, SecurityGroupIds: groups}
	}
	if _, err := client.CreateFunction(context.Background(), in); err != nil {
		t.Fatalf("create function: %v", err)
	}
	return name
}

func newMotoRole(t *testing.T, client *iam.Client) string {
	t.Helper()
	out, err := client.CreateRole(context.Background(), &iam.CreateRoleInput{
		RoleName: aws.String(mototest.Name(t, "role")),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` +
			`"Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
	})
	if err != nil {
		t.Fatalf("create role: %v", err)
	}
	return aws.ToString(out.Role.Arn)
}

func TestCheckReportsNetworkPlacementOnMoto(t *testing.T) {
	cfg := mototest.Config(t)
	ec2Client, lambdaClient := ec2.NewFromConfig(cfg), lambda.NewFromConfig(cfg)
	n := newMotoNetwork(t, ec2Client)
	role := newMotoRole(t, iam.NewFromConfig(cfg))

	tests := []struct {
		name    string
		subnets []string
		groups  []string
		want    []string
	}{
		{name: "not in a VPC", want: []string{"not-in-vpc  FN"}},
		{name: "private in two zones with narrow egress", subnets: []string{n.privateA, n.privateB}, groups: []string{n.narrowSG}, want: []string{}},
		{name: "one subnet", subnets: []string{n.privateA}, groups: []string{n.narrowSG}, want: []string{"single-az BW402 FN"}},
		{
			name: "public subnets and open egress", subnets: []string{n.publicRoute, n.publicIP}, groups: []string{n.narrowSG, n.openSG},
			want: []string{"open-egress BW404 " + n.openSG, "public-subnet BW403 " + n.publicIP, "public-subnet BW403 " + n.publicRoute},
		},
		{name: "open IPv6 egress", subnets: []string{n.privateA, n.privateB}, groups: []string{n.open6SG}, want: []string{"open-egress BW404 " + n.open6SG}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn := newMotoFunction(t, lambdaClient, role, tt.subnets, tt.groups)
			report, err := Checker{Lambda: lambdaClient, EC2: ec2Client, FunctionName: fn}.Check(context.Background())
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			want := slices.Clone(tt.want)
			for i := range want {
				want[i] = strings.ReplaceAll(want[i], "FN", fn)
			}
			slices.Sort(want)
			if got := codes(report.Findings); !slices.Equal(got, want) {
				t.Fatalf("findings = %q, want %q\n%+v", got, want, report.Findings)
			}
			if !slices.Equal(report.SubnetIDs, tt.subnets) || !slices.Equal(report.SecurityGroupIDs, tt.groups) {
				t.Fatalf("report placement = %v %v, want %v %v", report.SubnetIDs, report.SecurityGroupIDs, tt.subnets, tt.groups)
			}
		})
	}
}

func TestCheckFindsTheRunningFunctionOnMoto(t *testing.T) {
	cfg := mototest.Config(t)
	n := newMotoNetwork(t, ec2.NewFromConfig(cfg))
	fn := newMotoFunction(t, lambda.NewFromConfig(cfg), newMotoRole(t, iam.NewFromConfig(cfg)), []string{n.privateA, n.privateB}, []string{n.openSG})
	t.Setenv("AWS_LAMBDA_FUNCTION_NAME", fn)
	t.Setenv("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")

	report, err := Check(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if report.FunctionName != fn || !report.Has(OpenEgress) || report.Has(SingleAZ) || report.VPCID == "" {
		t.Fatalf("report = %+v, want function %s with open egress only", report, fn)
	}
}

func TestCheckNeedsAFunctionName(t *testing.T) {
	t.Setenv("AWS_LAMBDA_FUNCTION_NAME", "")
	if _, err := (Checker{}).Check(context.Background()); err == nil {
		t.Fatal("Check without a function name succeeded")
	}
}
