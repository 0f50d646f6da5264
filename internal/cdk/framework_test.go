package cdk

import (
	"slices"
	"strings"
	"testing"
)

func TestFrameworkHelpersAreRecognised(t *testing.T) {
	modern := []string{"full", "bare"} // bare has no aws:cdk:path: paths come from the construct metadata
	all := []string{"full", "bare", "legacy"}
	tests := []struct {
		fixtures  []string
		stack, id string
		want      string
	}{
		// BucketDeployment: singleton function, its role and policy, its layer, the custom resource.
		{modern, "ShopStack", "CustomCDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C81C01536", BucketDeployment},
		{modern, "ShopStack", "CustomCDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756CServiceRole89A01265", BucketDeployment},
		{modern, "ShopStack", "CustomCDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756CServiceRoleDefaultPolicy88902FDF", BucketDeployment},
		{modern, "ShopStack", "DeploySiteAwsCliLayer88B0EBE2", BucketDeployment},
		{modern, "ShopStack", "DeploySiteCustomResourceE47C9748", BucketDeployment},
		// AwsCustomResource: singleton, role, the Custom::AWS resource and the policy the user granted it.
		{all, "*", "AWS679f53fac002430cb0da5b7982bd22872D164C4C", AwsCustomResource},
		{all, "*", "AWS679f53fac002430cb0da5b7982bd2287ServiceRoleC1EA0FF2", AwsCustomResource},
		{modern, "ShopStack", "ReadParamACC0D090", AwsCustomResource},
		{modern, "ShopStack", "ReadParamCustomResourcePolicyCD17C26E", AwsCustomResource},
		{[]string{"legacy"}, "LegacyStack", "LookupC0159C21", AwsCustomResource},
		{[]string{"legacy"}, "LegacyStack", "LookupCustomResourcePolicyA46372C7", AwsCustomResource},
		// LogRetention: singleton, role, policy, and the Custom::LogRetention under the user's function.
		{all, "*", "LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8aFD4BFC8A", LogRetention},
		{all, "*", "LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8aServiceRole9741ECFB", LogRetention},
		{all, "*", "LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8aServiceRoleDefaultPolicyADDA7DEB", LogRetention},
		{modern, "ShopStack", "PublicLogRetentionC264D6E6", LogRetention},
		{[]string{"legacy"}, "LegacyStack", "WorkerLogRetention45F80F1E", LogRetention},
		// Provider framework: its functions, roles, policies and waiter.
		{modern, "ShopStack", "SeedProviderframeworkonEventFE12DE57", ProviderFramework},
		{modern, "ShopStack", "SeedProviderframeworkonEventServiceRole07E63B2F", ProviderFramework},
		{modern, "ShopStack", "SeedProviderframeworkonEventServiceRoleDefaultPolicyD811E81C", ProviderFramework},
		{modern, "ShopStack", "SeedProviderframeworkisComplete679D8B86", ProviderFramework},
		{modern, "ShopStack", "SeedProviderframeworkonTimeoutDF2681B3", ProviderFramework},
		{modern, "ShopStack", "SeedProviderwaiterstatemachineAD0549F7", ProviderFramework},
		{modern, "ShopStack", "SeedProviderwaiterstatemachineRole9C0013BD", ProviderFramework},
		// ... but the user's handlers and the custom resource they serve are the user's.
		{modern, "ShopStack", "SeedOnEvent1842C250", ""},
		{modern, "ShopStack", "SeedOnEventServiceRole15900161", ""},
		{modern, "ShopStack", "SeedIsComplete81634CDD", ""},
		{modern, "ShopStack", "Seed", ""},
		// S3 bucket notifications: singleton, role, the policy under the user's bucket, the custom resource.
		{modern, "ShopStack", "BucketNotificationsHandler050a0587b7544547bf325f094a3db8347ECC3691", BucketNotifications},
		{modern, "ShopStack", "BucketNotificationsHandler050a0587b7544547bf325f094a3db834RoleB6FB88EC", BucketNotifications},
		{modern, "ShopStack", "SiteNotificationsHandlerPolicy7C86D323", BucketNotifications},
		{modern, "ShopStack", "SiteNotifications840DBEFE", BucketNotifications},
		{modern, "ShopStack", "SiteAllowBucketNotificationsToShopStackOrders3BAD3C452D300576", ""}, // lets S3 invoke the user's function
		// Auto-delete objects provider.
		{modern, "ShopStack", "CustomS3AutoDeleteObjectsCustomResourceProviderHandler9D90184F", S3AutoDeleteObjects},
		{modern, "ShopStack", "CustomS3AutoDeleteObjectsCustomResourceProviderRole3B1BD092", S3AutoDeleteObjects},
		{modern, "ShopStack", "SiteAutoDeleteObjectsCustomResourceBFAA9B42", S3AutoDeleteObjects},
		// Another CustomResourceProvider singleton, and its custom resource found through the ServiceToken.
		{modern, "ShopStack", "CustomVpcRestrictDefaultSGCustomResourceProviderHandlerDC833E5E", CustomResourceProvider},
		{modern, "ShopStack", "CustomVpcRestrictDefaultSGCustomResourceProviderRole26592FE0", CustomResourceProvider},
		{modern, "ShopStack", "VpcRestrictDefaultSecurityGroupCustomResourceC73DA2BE", CustomResourceProvider},
		// A handler only the construct metadata marks as CDK's, and the permission to invoke it.
		{modern, "ShopStack", "AWSb4cf1abd4e4f4bc699441af7ccd9ec371511E620", CDKHandler},
		{modern, "ShopStack", "AWSb4cf1abd4e4f4bc699441af7ccd9ec37ServiceRoleDefaultPolicy4D43A7C1", CDKHandler},
		{modern, "ShopStack", "NightlyAllowEventRuleShopStackNightlyNightlyTarget0Handler6C38500A760017DB", CDKHandler},
		{modern, "ShopStack", "NightlyC44EE0A7", ""},
		// User functions and their roles and policies.
		{modern, "ShopStack", "OrdersA9B65338", ""},
		{modern, "ShopStack", "OrdersServiceRoleDefaultPolicy973CB326", ""},
		{modern, "ShopStack", "PublicD0AE4A11", ""},
		{modern, "ShopStack", "InVpc4A51725D", ""},
		{modern, "ShopStack/Storage", "OrdersA9B65338", ""},
		{modern, "Prod-Edge", "Handler886CB40B", ""},
		{[]string{"legacy"}, "LegacyStack", "Worker11F36D0F", ""},
		{[]string{"legacy"}, "LegacyStack", "WorkerServiceRoleDefaultPolicyAE71B5FA", ""},
	}
	for _, tt := range tests {
		for _, fixture := range tt.fixtures {
			stack := tt.stack
			if stack == "*" {
				stack = map[string]string{"full": "ShopStack", "bare": "ShopStack", "legacy": "LegacyStack"}[fixture]
			}
			t.Run(fixture+"/"+tt.id, func(t *testing.T) {
				r, ok := stackNamed(t, loadFixture(t, fixture), stack).Resources[tt.id]
				if !ok {
					t.Fatalf("no resource %s in %s", tt.id, stack)
				}
				if r.Framework != tt.want {
					t.Errorf("Framework = %q, want %q (path %s)", r.Framework, tt.want, r.CDKPath)
				}
			})
		}
	}
}

// Every resource of the real app that no helper table names must be the
// user's: this catches a helper claiming too much as well as too little.
func TestOnlyTheUsersResourcesAreLeftUnowned(t *testing.T) {
	want := []string{
		"ApiAccountA18C9B29", "ApiCloudWatchRole73EC6FC4", "ApiDeploymentB17BE62D…",
		"ApiDeploymentStageprod3EB9684E", "ApiF70053CD", "Apiorders33D48F48", "ApiordersGET54B35769",
		"ApiordersGETApiPermissionShopStackApi5DDE6CB2GETordersD21FEAB2",
		"ApiordersGETApiPermissionTestShopStackApi5DDE6CB2GETordersF97E29FC",
		"InVpc4A51725D", "InVpcSecurityGroup340DF72F", "InVpcServiceRoleC0592F51",
		"NightlyC44EE0A7",
		"OrdersA9B65338", "OrdersServiceRoleDefaultPolicy973CB326", "OrdersServiceRoleF2087E22",
		"PublicD0AE4A11", "PublicFunctionUrl6FA255D0", "PublicServiceRole7D22920E",
		"Publicinvokefunction1DD147B5", "Publicinvokefunctionurl91EA661E",
		"Seed", "SeedIsComplete81634CDD", "SeedIsCompleteServiceRole921B24E3", "SeedOnEvent1842C250", "SeedOnEventServiceRole15900161",
		"SiteAllowBucketNotificationsToShopStackOrders3BAD3C452D300576", "SiteE53D7754", "SitePolicyC4000D7D",
		"StorageNestedStackStorageNestedStackResource9807768E",
		"Vpc8378EB38", "VpcisolatedSubnet1RouteTableAssociationD259E31A", "VpcisolatedSubnet1RouteTableE442650B",
		"VpcisolatedSubnet1SubnetE62B1B9B",
	}
	for _, fixture := range []string{"full", "bare"} {
		var got []string
		for id, r := range stackNamed(t, loadFixture(t, fixture), "ShopStack").Resources {
			if r.Framework == "" {
				if strings.HasPrefix(id, "ApiDeploymentB17BE62D") {
					id = "ApiDeploymentB17BE62D…" // the rest hashes the API's template, metadata included
				}
				got = append(got, id)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: user resources\n got %s\nwant %s", fixture, strings.Join(got, " "), strings.Join(want, " "))
		}
	}
}

func TestHelperOfPath(t *testing.T) {
	providers := map[string]bool{"App/Seed": true}
	tests := []struct {
		path, want string
	}{
		{"App/Custom::CDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C1024MiB/Resource", BucketDeployment},
		{"Stage/App/AWS679f53fac002430cb0da5b7982bd2287/ServiceRole/Resource", AwsCustomResource},
		{"App/Custom::CrossRegionExportWriterCustomResourceProvider/Handler", CustomResourceProvider},
		{"App/Seed/framework-onEvent/Resource", ProviderFramework},
		{"App/Seed/waiter-state-machine/Resource", ProviderFramework},
		// The same IDs without a Provider around them are the user's own.
		{"App/Other/waiter-state-machine/Resource", ""},
		{"App/Custom::Thing/Resource", ""},
		{"App/AWS679f53fac002430cb0da5b7982bd2287Copy/Resource", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := helperOfPath(tt.path, providers); got != tt.want {
			t.Errorf("helperOfPath(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}
