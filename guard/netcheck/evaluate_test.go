package netcheck

import (
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func subnet(id, zone string, mapPublicIP bool) ec2types.Subnet {
	return ec2types.Subnet{SubnetId: aws.String(id), VpcId: aws.String("vpc-1"), AvailabilityZone: aws.String(zone), MapPublicIpOnLaunch: aws.Bool(mapPublicIP)}
}

func routeTable(main bool, subnetID string, routes ...ec2types.Route) ec2types.RouteTable {
	association := ec2types.RouteTableAssociation{Main: aws.Bool(main)}
	if subnetID != "" {
		association.SubnetId = aws.String(subnetID)
	}
	return ec2types.RouteTable{VpcId: aws.String("vpc-1"), Associations: []ec2types.RouteTableAssociation{association}, Routes: routes}
}

func toGateway(gateway string, state ec2types.RouteState) ec2types.Route {
	return ec2types.Route{DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: aws.String(gateway), State: state}
}

func egress(protocol string, from, to int32, cidr, cidr6 string) ec2types.IpPermission {
	p := ec2types.IpPermission{IpProtocol: aws.String(protocol)}
	if protocol != "-1" {
		p.FromPort, p.ToPort = aws.Int32(from), aws.Int32(to)
	}
	if cidr != "" {
		p.IpRanges = []ec2types.IpRange{{CidrIp: aws.String(cidr)}}
	}
	if cidr6 != "" {
		p.Ipv6Ranges = []ec2types.Ipv6Range{{CidrIpv6: aws.String(cidr6)}}
	}
	return p
}

func group(id string, rules ...ec2types.IpPermission) ec2types.SecurityGroup {
	return ec2types.SecurityGroup{GroupId: aws.String(id), IpPermissionsEgress: rules}
}

func codes(findings []Finding) []string {
	out := make([]string, 0, len(findings))
	for _, f := range findings {
		out = append(out, fmt.Sprintf("%s %s %s", f.Code, f.Practice, f.Resource))
	}
	slices.Sort(out)
	return out
}

func TestEvaluateFindsNetworkProblems(t *testing.T) {
	private := []ec2types.Subnet{subnet("subnet-a", "us-east-1a", false), subnet("subnet-b", "us-east-1b", false)}
	localOnly := routeTable(true, "", ec2types.Route{DestinationCidrBlock: aws.String("10.0.0.0/16"), GatewayId: aws.String("local")})
	httpsOnly := group("sg-https", egress("tcp", 443, 443, "0.0.0.0/0", ""))

	tests := []struct {
		name string
		nw   network
		want []string
	}{
		{
			name: "private subnets in two zones with narrow egress",
			nw:   network{subnets: private, routeTables: []ec2types.RouteTable{localOnly}, groups: []ec2types.SecurityGroup{httpsOnly}},
			want: []string{},
		},
		{
			name: "one zone",
			nw:   network{subnets: []ec2types.Subnet{subnet("subnet-a", "us-east-1a", false), subnet("subnet-c", "us-east-1a", false)}, routeTables: []ec2types.RouteTable{localOnly}},
			want: []string{"single-az BW402 fn"},
		},
		{
			name: "explicit route table to an internet gateway",
			nw: network{subnets: private, routeTables: []ec2types.RouteTable{
				localOnly, routeTable(false, "subnet-b", toGateway("igw-1", ec2types.RouteStateActive)),
			}},
			want: []string{"public-subnet BW403 subnet-b"},
		},
		{
			name: "main route table to an internet gateway covers unassociated subnets",
			nw: network{subnets: private, routeTables: []ec2types.RouteTable{
				routeTable(true, "", toGateway("igw-1", ec2types.RouteStateActive)),
				routeTable(false, "subnet-b", toGateway("nat-1", ec2types.RouteStateActive)),
			}},
			want: []string{"public-subnet BW403 subnet-a"},
		},
		{
			name: "blackhole route to a deleted gateway is no route",
			nw:   network{subnets: private, routeTables: []ec2types.RouteTable{routeTable(true, "", toGateway("igw-gone", ec2types.RouteStateBlackhole))}},
			want: []string{},
		},
		{
			name: "subnet mapping public IPs",
			nw:   network{subnets: []ec2types.Subnet{subnet("subnet-a", "us-east-1a", true), subnet("subnet-b", "us-east-1b", false)}, routeTables: []ec2types.RouteTable{localOnly}},
			want: []string{"public-subnet BW403 subnet-a"},
		},
		{
			name: "egress rules",
			nw: network{subnets: private, routeTables: []ec2types.RouteTable{localOnly}, groups: []ec2types.SecurityGroup{
				group("sg-all", egress("-1", 0, 0, "0.0.0.0/0", "")),
				group("sg-all6", egress("-1", 0, 0, "", "::/0")),
				group("sg-tcp", egress("tcp", 0, 65535, "0.0.0.0/0", "")),
				group("sg-udp", egress("17", 0, 65535, "", "::/0")),
				group("sg-internal", egress("-1", 0, 0, "10.0.0.0/8", "")),
				group("sg-port-range", egress("tcp", 1024, 65535, "0.0.0.0/0", "")),
				httpsOnly,
			}},
			want: []string{"open-egress BW404 sg-all", "open-egress BW404 sg-all6", "open-egress BW404 sg-tcp", "open-egress BW404 sg-udp"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := codes(evaluate("fn", tt.nw))
			if !slices.Equal(got, tt.want) {
				t.Fatalf("findings = %q, want %q", got, tt.want)
			}
		})
	}
}
