// Package netcheck lets a Lambda function check its own network placement:
// it reads the function's configuration and the subnets, route tables and
// security groups it runs in, and reports what the serverless security
// guides warn about. Run it once at start-up and log the Report.
//
// The function's role needs lambda:GetFunctionConfiguration on itself and
// ec2:DescribeSubnets, ec2:DescribeRouteTables and
// ec2:DescribeSecurityGroups.
package netcheck

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// Code identifies a kind of finding. Codes never change meaning.
type Code string

const (
	// NotInVPC: the function is not attached to a VPC, so no security group
	// or network ACL governs its traffic and it cannot reach VPC-only
	// resources. Fine for many functions; a finding for those that handle
	// private data.
	NotInVPC Code = "not-in-vpc"
	// SingleAZ: the function's subnets lie in fewer than two Availability
	// Zones, so one zone's outage stops it.
	SingleAZ Code = "single-az"
	// PublicSubnet: a subnet of the function routes to an internet gateway
	// or gives instances public IPs. Lambda never gives its network
	// interfaces public IPs, so a public subnet gives the function no
	// internet access yet places it beside internet-facing resources;
	// functions belong in private subnets, reaching out through NAT or VPC
	// endpoints.
	PublicSubnet Code = "public-subnet"
	// OpenEgress: a security group of the function lets it send anything,
	// or anything over TCP or UDP, anywhere (0.0.0.0/0 or ::/0), which is
	// what data exfiltration needs.
	OpenEgress Code = "open-egress"
)

// practices maps codes to the Bulwark practice catalog (docs/practices.md).
var practices = map[Code]string{
	SingleAZ:     "BW402",
	PublicSubnet: "BW403",
	OpenEgress:   "BW404",
}

// Finding is one problem with the function's network placement.
type Finding struct {
	Code Code
	// Practice is the Bulwark practice ID the finding corresponds to, such
	// as BW403, or empty when there is none.
	Practice string
	// Resource is the function, subnet or security group concerned.
	Resource string
	Message  string
}

// Report describes where the function runs and what is wrong with it.
type Report struct {
	FunctionName     string
	VPCID            string
	SubnetIDs        []string
	SecurityGroupIDs []string
	Findings         []Finding
}

// Has reports whether the report holds a finding with code.
func (r Report) Has(code Code) bool {
	return slices.ContainsFunc(r.Findings, func(f Finding) bool { return f.Code == code })
}

// LambdaClient is the part of *lambda.Client that Checker uses.
type LambdaClient interface {
	GetFunctionConfiguration(ctx context.Context, in *lambda.GetFunctionConfigurationInput, optFns ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error)
}

// EC2Client is the part of *ec2.Client that Checker uses.
type EC2Client interface {
	ec2.DescribeSubnetsAPIClient
	ec2.DescribeRouteTablesAPIClient
	ec2.DescribeSecurityGroupsAPIClient
}

// Checker inspects one function's network placement.
type Checker struct {
	Lambda LambdaClient
	EC2    EC2Client
	// FunctionName names the function to inspect. Empty means the running
	// function, from the environment variable AWS_LAMBDA_FUNCTION_NAME.
	FunctionName string
	// Qualifier selects a version or alias. When both it and FunctionName
	// are empty, the running version is checked, from
	// AWS_LAMBDA_FUNCTION_VERSION: each published version keeps the network
	// configuration it was published with.
	Qualifier string
}

// Check inspects the running function with clients made from cfg.
func Check(ctx context.Context, cfg aws.Config) (Report, error) {
	return Checker{Lambda: lambda.NewFromConfig(cfg), EC2: ec2.NewFromConfig(cfg)}.Check(ctx)
}

// Check reads the function's configuration and network and reports findings.
// An error means the check could not be completed, not that a problem was found.
func (c Checker) Check(ctx context.Context) (Report, error) {
	name := c.FunctionName
	if name == "" {
		name = os.Getenv("AWS_LAMBDA_FUNCTION_NAME")
	}
	if name == "" {
		return Report{}, errors.New("netcheck: no function name: set Checker.FunctionName or run inside Lambda")
	}
	qualifier := c.Qualifier
	if qualifier == "" && c.FunctionName == "" {
		qualifier = os.Getenv("AWS_LAMBDA_FUNCTION_VERSION")
	}
	in := &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name)}
	if qualifier != "" {
		in.Qualifier = aws.String(qualifier)
	}
	fn, err := c.Lambda.GetFunctionConfiguration(ctx, in)
	if err != nil {
		return Report{}, fmt.Errorf("netcheck: read configuration of %s: %w", name, err)
	}

	report := Report{FunctionName: name}
	if fn.VpcConfig == nil || len(fn.VpcConfig.SubnetIds) == 0 {
		report.Findings = append(report.Findings, finding(NotInVPC, name, "the function is not attached to a VPC"))
		return report, nil
	}
	report.SubnetIDs = fn.VpcConfig.SubnetIds
	report.SecurityGroupIDs = fn.VpcConfig.SecurityGroupIds

	nw, err := c.describe(ctx, report.SubnetIDs, report.SecurityGroupIDs)
	if err != nil {
		return Report{}, fmt.Errorf("netcheck: %s: %w", name, err)
	}
	if len(nw.subnets) > 0 {
		report.VPCID = aws.ToString(nw.subnets[0].VpcId)
	}
	report.Findings = evaluate(name, nw)
	return report, nil
}

// network is what the checks look at.
type network struct {
	subnets     []ec2types.Subnet
	routeTables []ec2types.RouteTable // the explicit ones of the subnets, and their VPCs' main ones
	groups      []ec2types.SecurityGroup
}

func (c Checker) describe(ctx context.Context, subnetIDs, groupIDs []string) (network, error) {
	var nw network
	subnets := ec2.NewDescribeSubnetsPaginator(c.EC2, &ec2.DescribeSubnetsInput{SubnetIds: subnetIDs})
	for subnets.HasMorePages() {
		page, err := subnets.NextPage(ctx)
		if err != nil {
			return network{}, fmt.Errorf("describe subnets: %w", err)
		}
		nw.subnets = append(nw.subnets, page.Subnets...)
	}

	var vpcIDs []string
	for _, s := range nw.subnets {
		if id := aws.ToString(s.VpcId); !slices.Contains(vpcIDs, id) {
			vpcIDs = append(vpcIDs, id)
		}
	}
	// A subnet without a route table of its own uses its VPC's main one.
	for _, filters := range [][]ec2types.Filter{
		{{Name: aws.String("association.subnet-id"), Values: subnetIDs}},
		{{Name: aws.String("vpc-id"), Values: vpcIDs}, {Name: aws.String("association.main"), Values: []string{"true"}}},
	} {
		tables := ec2.NewDescribeRouteTablesPaginator(c.EC2, &ec2.DescribeRouteTablesInput{Filters: filters})
		for tables.HasMorePages() {
			page, err := tables.NextPage(ctx)
			if err != nil {
				return network{}, fmt.Errorf("describe route tables: %w", err)
			}
			nw.routeTables = append(nw.routeTables, page.RouteTables...)
		}
	}

	if len(groupIDs) > 0 {
		groups := ec2.NewDescribeSecurityGroupsPaginator(c.EC2, &ec2.DescribeSecurityGroupsInput{GroupIds: groupIDs})
		for groups.HasMorePages() {
			page, err := groups.NextPage(ctx)
			if err != nil {
				return network{}, fmt.Errorf("describe security groups: %w", err)
			}
			nw.groups = append(nw.groups, page.SecurityGroups...)
		}
	}
	return nw, nil
}

// evaluate applies the checks to the function's network.
func evaluate(function string, nw network) []Finding {
	var findings []Finding

	var zones []string
	for _, s := range nw.subnets {
		if z := aws.ToString(s.AvailabilityZone); !slices.Contains(zones, z) {
			zones = append(zones, z)
		}
	}
	if len(zones) < 2 {
		findings = append(findings, finding(SingleAZ, function,
			fmt.Sprintf("the function's subnets are in %d Availability Zone(s) (%s); use subnets in at least two", len(zones), strings.Join(zones, ", "))))
	}

	for _, s := range nw.subnets {
		var reasons []string
		if igw := internetGateway(routeTableOf(s, nw.routeTables)); igw != "" {
			reasons = append(reasons, "routes to internet gateway "+igw)
		}
		if aws.ToBool(s.MapPublicIpOnLaunch) {
			reasons = append(reasons, "assigns public IPs on launch")
		}
		if len(reasons) > 0 {
			findings = append(findings, finding(PublicSubnet, aws.ToString(s.SubnetId),
				"subnet "+strings.Join(reasons, " and ")+"; put the function in private subnets"))
		}
	}

	for _, g := range nw.groups {
		if rule := openEgressRule(g.IpPermissionsEgress); rule != "" {
			findings = append(findings, finding(OpenEgress, aws.ToString(g.GroupId),
				"security group allows "+rule+"; allow only the destinations and ports the function needs"))
		}
	}
	return findings
}

func finding(code Code, resource, message string) Finding {
	return Finding{Code: code, Practice: practices[code], Resource: resource, Message: message}
}

// routeTableOf returns the route table explicitly associated with s, or else
// the main route table of its VPC.
func routeTableOf(s ec2types.Subnet, tables []ec2types.RouteTable) *ec2types.RouteTable {
	var main *ec2types.RouteTable
	for i, t := range tables {
		for _, a := range t.Associations {
			if aws.ToString(a.SubnetId) == aws.ToString(s.SubnetId) {
				return &tables[i]
			}
			if aws.ToBool(a.Main) && aws.ToString(t.VpcId) == aws.ToString(s.VpcId) {
				main = &tables[i]
			}
		}
	}
	return main
}

// internetGateway returns the internet gateway t routes to, if any.
func internetGateway(t *ec2types.RouteTable) string {
	if t == nil {
		return ""
	}
	for _, r := range t.Routes {
		if gw := aws.ToString(r.GatewayId); strings.HasPrefix(gw, "igw-") && r.State != ec2types.RouteStateBlackhole {
			return gw
		}
	}
	return ""
}

// openEgressRule describes the first egress rule that sends all traffic, or
// all TCP or UDP ports, to any address; it returns "" if there is none.
func openEgressRule(rules []ec2types.IpPermission) string {
	for _, r := range rules {
		var what string
		switch protocol := aws.ToString(r.IpProtocol); {
		case protocol == "-1":
			what = "all traffic"
		case allPorts(r) && (protocol == "tcp" || protocol == "6"):
			what = "all TCP ports"
		case allPorts(r) && (protocol == "udp" || protocol == "17"):
			what = "all UDP ports"
		default:
			continue
		}
		for _, ip := range r.IpRanges {
			if aws.ToString(ip.CidrIp) == "0.0.0.0/0" {
				return what + " to 0.0.0.0/0"
			}
		}
		for _, ip := range r.Ipv6Ranges {
			if aws.ToString(ip.CidrIpv6) == "::/0" {
				return what + " to ::/0"
			}
		}
	}
	return ""
}

func allPorts(r ec2types.IpPermission) bool {
	return aws.ToInt32(r.FromPort) <= 0 && aws.ToInt32(r.ToPort) >= 65535
}
