package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/bulwark-sec/bulwark/internal/cfn"
	"github.com/bulwark-sec/bulwark/internal/iam"
	"github.com/bulwark-sec/bulwark/internal/model"
	"github.com/bulwark-sec/bulwark/internal/rule"
	"github.com/bulwark-sec/bulwark/internal/source"
)

var dataRules = []*rule.Rule{DynamoDBNoCMK, S3NoEncryptionOrTLS, S3Public, SQSNoEncryption, SNSNoEncryption, LogsNoCMK, KMSNoRotation}

// DynamoDBNoCMK is BW601.
var DynamoDBNoCMK = &rule.Rule{
	ID: "BW601", Name: "dynamodb-no-cmk", Severity: rule.Low,
	Title: "a DynamoDB table is not encrypted with a customer managed KMS key",
	Rationale: "DynamoDB always encrypts tables, by default with a key AWS owns, so no key policy can limit " +
		"who reads the data and CloudTrail shows no use of the key. A customer managed key puts decryption " +
		"under a key policy you control; the guide recommends it for compliance (002).",
	Remediation: "Set SSESpecification with SSEEnabled: true, SSEType: KMS and KMSMasterKeyId naming a " +
		"customer managed key (for a global table, a KMSMasterKeyId in every replica's SSESpecification).",
	Example: `Resources:
  OrdersTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - AttributeName: id
          AttributeType: S
      KeySchema:
        - AttributeName: id
          KeyType: HASH
      SSESpecification:
        SSEEnabled: true
        SSEType: KMS
        KMSMasterKeyId: !Ref DataKey`,
	Where: "T A",
	Equivalents: rule.Equivalents{Checkov: []string{"CKV_AWS_119"}, Trivy: []string{"AVD-AWS-0025"}, CfnNag: []string{"W74"},
		KICS: []string{"c8dee387-a2e6-4a73-a942-183c975549ac", "4bd21e68-38c1-4d58-acdc-6a14b203237f"}},
	Run: runDynamoDBNoCMK,
}

// S3NoEncryptionOrTLS is BW602.
var S3NoEncryptionOrTLS = &rule.Rule{
	ID: "BW602", Name: "s3-no-encryption-or-tls", Severity: rule.Medium,
	Title: "an S3 bucket accepts requests without TLS",
	Rationale: "The guides ask to encrypt data at rest and in transit (002, 004). At rest, S3 has encrypted " +
		"every bucket, new and existing, with S3-managed keys since January 2023, and no bucket can be " +
		"without default encryption any more; a template that omits BucketEncryption is therefore not " +
		"reported for it. In transit, S3 still answers plain HTTP unless the bucket policy denies requests " +
		"where aws:SecureTransport is false: that is what this rule reports.",
	Remediation: "Add a bucket policy statement that denies s3:* to every principal when aws:SecureTransport " +
		"is false (CDK: enforceSSL: true). Set BucketEncryption to SSE-KMS with your key if you also want " +
		"key-policy control at rest.",
	Example: `Resources:
  UploadsBucketPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref UploadsBucket
      PolicyDocument:
        Statement:
          - Sid: DenyInsecureTransport
            Effect: Deny
            Principal: "*"
            Action: s3:*
            Resource:
              - !GetAtt UploadsBucket.Arn
              - !Sub ${UploadsBucket.Arn}/*
            Condition:
              Bool:
                aws:SecureTransport: false`,
	Where:       "T A",
	Equivalents: rule.Equivalents{KICS: []string{"38c64e76-c71e-4d92-a337-60174d1de1c9"}, CdkNag: []string{"AwsSolutions-S10"}},
	Run:         runS3NoEncryptionOrTLS,
}

// S3Public is BW603.
var S3Public = &rule.Rule{
	ID: "BW603", Name: "s3-public", Severity: rule.High,
	Title: "an S3 bucket is or may become public",
	Rationale: "Public buckets are the most common way data leaks from AWS. S3 Block Public Access overrides " +
		"any ACL or policy that would make a bucket public; the guide asks to protect data at rest from " +
		"exposure (004). Reported: a public ACL, a policy statement that allows any principal without a " +
		"condition restricting who, Block Public Access settings turned off, and a bucket whose template " +
		"leaves Block Public Access out (medium severity: buckets created since April 2023 get it by " +
		"default, but one created earlier has none, and the template cannot tell).",
	Remediation: "Set PublicAccessBlockConfiguration with all four settings true, remove public ACLs and " +
		"wildcard grants, and serve public content through CloudFront with origin access control.",
	Example: `Resources:
  UploadsBucket:
    Type: AWS::S3::Bucket
    Properties:
      PublicAccessBlockConfiguration:
        BlockPublicAcls: true
        BlockPublicPolicy: true
        IgnorePublicAcls: true
        RestrictPublicBuckets: true`,
	Where: "T A",
	Equivalents: rule.Equivalents{Checkov: []string{"CKV_AWS_20", "CKV_AWS_57"}, Trivy: []string{"AVD-AWS-0092"},
		CfnNag: []string{"W31", "F14", "F16"}, CdkNag: []string{"AwsSolutions-S2"},
		KICS: []string{"860ba89b-b8de-4e72-af54-d6aee4138a69", "7772bb8c-c0f3-42d4-8e4e-f1b8939ad085", "835d5497-a526-4aea-a23f-98a9afd1635f",
			"faa8fddf-c0aa-4b2d-84ff-e993e233ebe9", "f6397a20-4cf1-4540-a997-1d363c25ef58", "4ae8af91-5108-42cb-9471-3bdbe596eac9"}},
	Run: runS3Public,
}

// SQSNoEncryption is BW604.
var SQSNoEncryption = &rule.Rule{
	ID: "BW604", Name: "sqs-no-encryption", Severity: rule.Medium,
	Title: "an SQS queue has server-side encryption turned off",
	Rationale: "Messages often carry the same data as the function that reads them. The guide asks to " +
		"encrypt queues (002). New queues get SQS-managed encryption by default; the rule reports queues whose " +
		"template turns it off (SqsManagedSseEnabled: false) without naming a KMS key.",
	Remediation: "Remove SqsManagedSseEnabled: false, or set KmsMasterKeyId to a KMS key.",
	Example: `Resources:
  OrdersQueue:
    Type: AWS::SQS::Queue
    Properties:
      KmsMasterKeyId: !Ref DataKey`,
	Where: "T A",
	Equivalents: rule.Equivalents{Checkov: []string{"CKV_AWS_27"}, KICS: []string{"12726829-93ed-4d51-9cbe-13423f4299e1"},
		Trivy: []string{"AVD-AWS-0096"}, CdkNag: []string{"AwsSolutions-SQS2"}},
	Run: runSQSNoEncryption,
}

// SNSNoEncryption is BW605.
var SNSNoEncryption = &rule.Rule{
	ID: "BW605", Name: "sns-no-encryption", Severity: rule.Medium,
	Title: "an SNS topic is not encrypted with a KMS key",
	Rationale: "SNS stores messages until they are delivered, unencrypted unless the topic names a KMS key. " +
		"The guide asks to encrypt topics (002).",
	Remediation: "Set KmsMasterKeyId to a customer managed key (or alias/aws/sns).",
	Example: `Resources:
  OrderEvents:
    Type: AWS::SNS::Topic
    Properties:
      KmsMasterKeyId: !Ref DataKey`,
	Where: "T A",
	Equivalents: rule.Equivalents{Checkov: []string{"CKV_AWS_26"}, KICS: []string{"9d13b150-a2ab-42a1-b6f4-142e41f81e52"},
		Trivy: []string{"AVD-AWS-0095"}, CfnNag: []string{"W47"}, CdkNag: []string{"AwsSolutions-SNS2"}},
	Run: runSNSNoEncryption,
}

// LogsNoCMK is BW606.
var LogsNoCMK = &rule.Rule{
	ID: "BW606", Name: "logs-no-cmk", Severity: rule.Low,
	Title: "a CloudWatch Logs log group is not encrypted with a KMS key",
	Rationale: "Function logs end up holding request data, identifiers and sometimes secrets. CloudWatch " +
		"Logs encrypts them with its own key unless the log group names a KMS key, which puts reading them " +
		"under a key policy. The guide encrypts log groups with a KMS key (002).",
	Remediation: "Set KmsKeyId to a customer managed key whose policy allows the logs service principal of " +
		"the region to use it.",
	Example: `Resources:
  OrdersFunctionLogs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: /aws/lambda/orders
      RetentionInDays: 30
      KmsKeyId: !GetAtt LogsKey.Arn`,
	Where:       "T A",
	Equivalents: rule.Equivalents{Checkov: []string{"CKV_AWS_158"}, Trivy: []string{"AVD-AWS-0017"}, CfnNag: []string{"W84"}},
	Run:         runLogsNoCMK,
}

// KMSNoRotation is BW607.
var KMSNoRotation = &rule.Rule{
	ID: "BW607", Name: "kms-no-rotation", Severity: rule.Medium,
	Title: "a customer managed KMS key does not rotate",
	Rationale: "Automatic rotation replaces a key's material every year while keeping old material for " +
		"decryption, limiting how much data one compromised version protects. The guide creates keys with " +
		"rotation enabled (002). Only symmetric encryption keys with AWS-generated material can rotate " +
		"automatically; asymmetric, HMAC, imported and custom key store keys are not reported.",
	Remediation: "Set EnableKeyRotation: true.",
	Example: `Resources:
  DataKey:
    Type: AWS::KMS::Key
    Properties:
      EnableKeyRotation: true
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              AWS: !Sub arn:${AWS::Partition}:iam::${AWS::AccountId}:root
            Action: kms:*
            Resource: "*"`,
	Where: "T A",
	Equivalents: rule.Equivalents{Checkov: []string{"CKV_AWS_7"}, Trivy: []string{"AVD-AWS-0065"}, CfnNag: []string{"F19"},
		CdkNag: []string{"AwsSolutions-KMS5"},
		KICS:   []string{"235ca980-eb71-48f4-9030-df0c371029eb", "1c07bfaf-663c-4f6f-b22b-8e2d481e4df5"}},
	Run: runKMSNoRotation,
}

// resourcesOfType calls fn for every resource of the given type.
func resourcesOfType(app *model.App, typ string, fn func(*model.Resource)) {
	for _, st := range app.Stacks {
		for _, r := range st.Resources {
			if r.Type == typ {
				fn(r)
			}
		}
	}
}

// awsManagedAlias reports whether a key reference names an AWS managed key
// (alias/aws/dynamodb, arn:...:alias/aws/sns), which no key policy of
// yours governs.
func awsManagedAlias(key string) bool {
	return strings.HasPrefix(key, "alias/aws/") || strings.Contains(key, ":alias/aws/")
}

// customerKey reports whether a KMS key property names a customer managed
// key: a value that is not an AWS managed alias, or one the template does
// not fix.
func customerKey(n *source.Node) bool {
	if n == nil || n.Kind == source.Null {
		return false
	}
	s, ok := n.Str()
	return !ok || s != "" && !awsManagedAlias(s)
}

func runDynamoDBNoCMK(pass *rule.Pass) {
	resourcesOfType(pass.App, "AWS::DynamoDB::Table", func(r *model.Resource) {
		sse := r.Prop("SSESpecification")
		pos := propKeyPos(r, "SSESpecification")
		switch key := sse.Get("KMSMasterKeyId"); {
		case sse == nil:
			pass.Reportf(rule.At(r, pos), "aws-owned-key",
				"DynamoDB table %s is encrypted with the AWS owned key: no key policy of yours governs who "+
					"reads its data. Set SSESpecification with a customer managed KMSMasterKeyId", r.Origin.LogicalID)
		case writtenFalse(sse.Get("SSEEnabled")):
			pass.Reportf(rule.At(r, pos), "aws-owned-key",
				"DynamoDB table %s has SSEEnabled false, so it uses the AWS owned key. Enable SSE with a customer "+
					"managed KMSMasterKeyId", r.Origin.LogicalID)
		case !customerKey(key):
			pass.Reportf(rule.At(r, pos), "aws-managed-key",
				"DynamoDB table %s is encrypted with the AWS managed key alias/aws/dynamodb. Name a customer "+
					"managed key in KMSMasterKeyId so that its key policy decides who reads the data", r.Origin.LogicalID)
		}
	})
	resourcesOfType(pass.App, "AWS::DynamoDB::GlobalTable", func(r *model.Resource) {
		pos := propKeyPos(r, "SSESpecification")
		if t, _ := r.Prop("SSESpecification", "SSEType").Str(); !strings.EqualFold(t, "KMS") {
			pass.Reportf(rule.At(r, pos), "aws-owned-key",
				"DynamoDB global table %s is not encrypted with a KMS key of yours. Set SSESpecification.SSEType "+
					"to KMS and a KMSMasterKeyId in each replica", r.Origin.LogicalID)
			return
		}
		for _, rep := range r.Prop("Replicas").Items {
			if !customerKey(rep.Get("SSESpecification").Get("KMSMasterKeyId")) {
				region, _ := rep.Get("Region").Str()
				pass.Reportf(rule.At(r, rep.Pos), "replica:"+region,
					"replica %s of DynamoDB global table %s names no customer managed key: it uses the AWS managed "+
						"key. Set SSESpecification.KMSMasterKeyId in the replica", region, r.Origin.LogicalID)
			}
		}
	})
}

// writtenFalse reports whether a boolean property is written false.
func writtenFalse(n *source.Node) bool {
	return n != nil && (n.Kind == source.Bool || n.Kind == source.String) && strings.EqualFold(n.Value, "false")
}

// bucketPolicies returns the bucket policies of the stack that apply to the
// bucket, naming it by reference or by its BucketName.
func bucketPolicies(bucket *model.Resource) []*model.Resource {
	name, _ := bucket.Prop("BucketName").Str()
	var out []*model.Resource
	for _, r := range bucket.Stack.Resources {
		if r.Type != "AWS::S3::BucketPolicy" {
			continue
		}
		b := r.Prop("Bucket")
		if referencedResource(bucket.Stack, b, "AWS::S3::Bucket") == bucket {
			out = append(out, r)
		} else if s, ok := b.Str(); ok && name != "" && s == name {
			out = append(out, r)
		}
	}
	return out
}

func policyStatements(policy *model.Resource) []*iam.Statement {
	doc, _ := iam.ParseDocument(policy.Prop("PolicyDocument"))
	return doc.Statements
}

func runS3NoEncryptionOrTLS(pass *rule.Pass) {
	resourcesOfType(pass.App, "AWS::S3::Bucket", func(r *model.Resource) {
		policies := bucketPolicies(r)
		var related []source.Pos
		for _, p := range policies {
			related = append(related, p.Origin.Pos)
			if slices.ContainsFunc(policyStatements(p), deniesInsecureTransport) {
				return
			}
		}
		why := "has no bucket policy"
		if len(policies) > 0 {
			why = "has a bucket policy without a statement"
		}
		reportRelated(pass, rule.At(r, source.Pos{}), "no-tls-deny", related,
			"bucket %s %s denying requests where aws:SecureTransport is false: S3 serves its objects over plain "+
				"HTTP too. Add a Deny statement for s3:* on that condition", r.Origin.LogicalID, why)
	})
}

// deniesInsecureTransport reports whether a statement denies requests made
// without TLS.
func deniesInsecureTransport(s *iam.Statement) bool {
	if s.Effect != iam.Deny {
		return false
	}
	for _, c := range s.Conditions {
		if !strings.EqualFold(c.Key, "aws:SecureTransport") || !strings.HasPrefix(strings.ToLower(c.Operator), "bool") {
			continue
		}
		if slices.ContainsFunc(c.Values, func(v iam.Value) bool { return strings.EqualFold(v.Text, "false") }) {
			return true
		}
	}
	return false
}

// publicACLs are the canned ACLs that grant access beyond the account.
var publicACLs = map[string]string{
	"PublicRead":        "lets anyone list and read its objects",
	"PublicReadWrite":   "lets anyone read, write and delete its objects",
	"AuthenticatedRead": "lets any AWS account read its objects",
}

// publicAccessSettings are the four Block Public Access settings.
var publicAccessSettings = []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"}

func runS3Public(pass *rule.Pass) {
	resourcesOfType(pass.App, "AWS::S3::Bucket", func(r *model.Resource) {
		id := r.Origin.LogicalID
		switch block := r.Prop("PublicAccessBlockConfiguration"); {
		case block == nil:
			pass.Report(rule.Finding{RuleID: pass.Rule.ID, Severity: rule.Medium, Location: rule.At(r, source.Pos{}),
				Evidence: "no-public-access-block", Message: fmt.Sprintf("bucket %s does not set "+
					"PublicAccessBlockConfiguration: S3 blocks public access by default only on buckets created "+
					"since April 2023. Set all four settings to true", id)})
		default:
			var off []string
			for _, k := range publicAccessSettings {
				if v := block.Get(k); v == nil || writtenFalse(v) {
					off = append(off, k)
				}
			}
			if len(off) > 0 {
				pass.Reportf(rule.At(r, propKeyPos(r, "PublicAccessBlockConfiguration")), "block-off:"+strings.Join(off, ","),
					"bucket %s turns off S3 Block Public Access (%s not true): an ACL or policy can then make it "+
						"public. Set all four settings to true", id, strings.Join(off, ", "))
			}
		}
		acl, _ := r.Prop("AccessControl").Str()
		if what, ok := publicACLs[acl]; ok {
			pass.Reportf(rule.At(r, r.Prop("AccessControl").Pos), "acl:"+acl,
				"bucket %s has the canned ACL %s, which %s. Remove it and grant access through a policy that names "+
					"the principals", id, acl, what)
		}
		for _, p := range bucketPolicies(r) {
			reportPublicStatements(pass, p, id)
		}
	})
	// A policy on a bucket the templates do not define (an existing bucket,
	// named or imported) makes that bucket public all the same.
	resourcesOfType(pass.App, "AWS::S3::BucketPolicy", func(p *model.Resource) {
		if !policyOfTemplateBucket(p) {
			reportPublicStatements(pass, p, cfn.Text(p.Prop("Bucket")))
		}
	})
}

// reportPublicStatements reports each Allow statement of bucket policy p that
// admits anyone.
func reportPublicStatements(pass *rule.Pass, p *model.Resource, bucket string) {
	for i, s := range policyStatements(p) {
		if s.Effect == iam.Allow && admitsAnyone(s) {
			sid := s.Sid
			if sid == "" {
				sid = fmt.Sprint(i)
			}
			pass.Reportf(rule.At(p, s.Pos), "policy:"+sid,
				"bucket policy %s of bucket %s allows any principal (*) without a condition that limits who: "+
					"the statement makes the bucket public. Name the principals, or add aws:SourceArn, "+
					"aws:PrincipalOrgID or aws:SourceVpce conditions", p.Origin.LogicalID, bucket)
		}
	}
}

// policyOfTemplateBucket reports whether bucket policy p attaches to a
// bucket its stack defines (by reference or by BucketName).
func policyOfTemplateBucket(p *model.Resource) bool {
	b := p.Prop("Bucket")
	if referencedResource(p.Stack, b, "AWS::S3::Bucket") != nil {
		return true
	}
	name, ok := b.Str()
	if !ok {
		return false
	}
	for _, r := range p.Stack.Resources {
		if r.Type == "AWS::S3::Bucket" {
			if n, _ := r.Prop("BucketName").Str(); n == name {
				return true
			}
		}
	}
	return false
}

// restrictingConditions are the condition keys that limit who a wildcard
// principal can be.
var restrictingConditions = []string{
	"aws:SourceArn", "aws:SourceAccount", "aws:SourceOwner", "aws:SourceVpc", "aws:SourceVpce", "aws:SourceIp",
	"aws:VpcSourceIp", "aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:PrincipalAccount", "aws:PrincipalArn",
	"aws:PrincipalServiceName", "aws:SourceOrgID", "aws:SourceOrgPaths", "aws:userid", "aws:username",
	"s3:DataAccessPointAccount", "s3:DataAccessPointArn",
}

// admitsAnyone reports whether a statement's principal is everyone and no
// condition restricts who that can be.
func admitsAnyone(s *iam.Statement) bool {
	if s.NotPrincipal {
		return false
	}
	wildcard := slices.ContainsFunc(s.Principals, func(p iam.Principal) bool {
		return p.Type == "*" || p.Type == "AWS" && p.Value.Text == "*"
	})
	if !wildcard {
		return false
	}
	return !slices.ContainsFunc(restrictingConditions, s.HasCondition)
}

func runSQSNoEncryption(pass *rule.Pass) {
	resourcesOfType(pass.App, "AWS::SQS::Queue", func(r *model.Resource) {
		managed := r.Prop("SqsManagedSseEnabled")
		if !writtenFalse(managed) || r.Prop("KmsMasterKeyId") != nil {
			return
		}
		pass.Reportf(rule.At(r, propKeyPos(r, "SqsManagedSseEnabled")), "sse-off",
			"queue %s turns server-side encryption off (SqsManagedSseEnabled: false, no KmsMasterKeyId): its "+
				"messages are stored unencrypted. Remove the setting or name a KMS key", r.Origin.LogicalID)
	})
}

func runSNSNoEncryption(pass *rule.Pass) {
	resourcesOfType(pass.App, "AWS::SNS::Topic", func(r *model.Resource) {
		if key := r.Prop("KmsMasterKeyId"); key != nil && key.Value != "" {
			return
		}
		pass.Reportf(rule.At(r, propKeyPos(r, "KmsMasterKeyId")), "no-kms",
			"topic %s has no KmsMasterKeyId: SNS stores its messages unencrypted until delivery. Set a KMS key",
			r.Origin.LogicalID)
	})
}

func runLogsNoCMK(pass *rule.Pass) {
	resourcesOfType(pass.App, "AWS::Logs::LogGroup", func(r *model.Resource) {
		if key := r.Prop("KmsKeyId"); key != nil && key.Value != "" {
			return
		}
		name := r.Origin.LogicalID
		if n, ok := r.Prop("LogGroupName").Str(); ok {
			name += " (" + n + ")"
		}
		pass.Reportf(rule.At(r, propKeyPos(r, "KmsKeyId")), "no-kms",
			"log group %s has no KmsKeyId: anyone allowed to read the log group reads what was logged there, "+
				"with no key policy in the way. Set a customer managed key", name)
	})
}

func runKMSNoRotation(pass *rule.Pass) {
	resourcesOfType(pass.App, "AWS::KMS::Key", func(r *model.Resource) {
		if !rotatable(r) {
			return
		}
		rotation := r.Prop("EnableKeyRotation")
		if rotation.Truthy() || rotation != nil && rotation.Kind != source.Bool && rotation.Kind != source.String {
			return // on, or decided by a parameter or condition
		}
		pass.Reportf(rule.At(r, propKeyPos(r, "EnableKeyRotation")), "rotation-off",
			"KMS key %s does not rotate its key material: one compromised version protects all the data it ever "+
				"encrypted. Set EnableKeyRotation: true", r.Origin.LogicalID)
	})
}

// rotatable reports whether AWS can rotate the key automatically: a
// symmetric encryption key with AWS-generated material.
func rotatable(key *model.Resource) bool {
	if spec, ok := key.Prop("KeySpec").Str(); ok && spec != "SYMMETRIC_DEFAULT" {
		return false
	}
	if usage, ok := key.Prop("KeyUsage").Str(); ok && usage != "ENCRYPT_DECRYPT" {
		return false
	}
	if origin, ok := key.Prop("Origin").Str(); ok && origin != "AWS_KMS" {
		return false
	}
	return true
}
