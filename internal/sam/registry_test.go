package sam

import "testing"

func TestRegistryNameReadsARNsWithPlaceholders(t *testing.T) {
	tests := []struct {
		arn, want string
		ok        bool
	}{
		{"arn:aws:glue:us-east-1:123456789012:registry/orders", "orders", true},
		{"arn:${AWS::Partition}:glue:${AWS::Region}:012345678901:registry/registry1", "registry1", true},
		{"arn:aws:glue:us-east-1:123456789012:schema/orders/s1", "", false},
		{"https://schema-registry.example.com", "", false},
		{"arn:aws:secretsmanager:us-east-1:1:secret:registry/x", "", false},
	}
	for _, tt := range tests {
		got, ok := registryName(tt.arn)
		if got != tt.want || ok != tt.ok {
			t.Errorf("registryName(%q) = %q, %v; want %q, %v", tt.arn, got, ok, tt.want, tt.ok)
		}
	}
}
