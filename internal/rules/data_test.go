package rules

import (
	"testing"

	"github.com/bulwark-sec/bulwark/internal/rule"
)

func TestDynamoDBNoCMKWantsACustomerKey(t *testing.T) {
	table := func(id, extra string) string {
		return "\n  " + id + `
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
` + extra
	}
	runMarkedCases(t, DynamoDBNoCMK, []markedCase{
		{name: "AWS owned key", text: "AWS owned key", src: "Resources:" + table("Orders: # want", "")},
		{name: "AWS managed key", text: "alias/aws/dynamodb", src: "Resources:" + table("Orders:", `      SSESpecification: # want
        SSEEnabled: true
`)},
		{name: "encryption off", text: "SSEEnabled false", src: "Resources:" + table("Orders:", `      SSESpecification: # want
        SSEEnabled: false
`)},
		{name: "customer key", src: "Resources:" + table("Orders:", `      SSESpecification:
        SSEEnabled: true
        SSEType: KMS
        KMSMasterKeyId: !Ref Key
`)},
		{name: "global table replica without key", text: "replica eu-west-1", src: `Resources:
  Orders:
    Type: AWS::DynamoDB::GlobalTable
    Properties:
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      SSESpecification:
        SSEEnabled: true
        SSEType: KMS
      Replicas:
        - Region: eu-west-1 # want
        - Region: us-east-1
          SSESpecification:
            KMSMasterKeyId: arn:aws:kms:us-east-1:123456789012:key/abc
`},
	})
}

const bucket = `
  Uploads:
    Type: AWS::S3::Bucket
    Properties:
      PublicAccessBlockConfiguration:
        BlockPublicAcls: true
        BlockPublicPolicy: true
        IgnorePublicAcls: true
        RestrictPublicBuckets: true
`

func TestS3NoEncryptionOrTLSWantsATLSDeny(t *testing.T) {
	tlsDeny := `
  UploadsPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Uploads
      PolicyDocument:
        Statement:
          - Effect: Deny
            Principal: "*"
            Action: s3:*
            Resource: [!GetAtt Uploads.Arn, !Sub "${Uploads.Arn}/*"]
            Condition:
              Bool:
                aws:SecureTransport: false
`
	runMarkedCases(t, S3NoEncryptionOrTLS, []markedCase{
		{name: "no policy", text: "has no bucket policy", src: `Resources:
  Uploads: # want
    Type: AWS::S3::Bucket
`},
		{name: "policy without the deny", text: "without a statement", src: `Resources:
  Uploads: # want
    Type: AWS::S3::Bucket
  UploadsPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Uploads
      PolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {AWS: arn:aws:iam::123456789012:root}
            Action: s3:GetObject
            Resource: !Sub "${Uploads.Arn}/*"
`},
		{name: "TLS deny", src: "Resources:" + bucket + tlsDeny},
		{name: "TLS deny naming the bucket", src: `Resources:
  Uploads:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: acme-uploads
  UploadsPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: acme-uploads
      PolicyDocument:
        Statement:
          - Effect: Deny
            Principal: "*"
            Action: s3:*
            Resource: arn:aws:s3:::acme-uploads/*
            Condition:
              Bool:
                aws:SecureTransport: "false"
`},
	})
}

func TestS3PublicReportsEachWayABucketOpens(t *testing.T) {
	runMarkedCases(t, S3Public, []markedCase{
		{name: "block public access left to defaults", sev: rule.Medium, text: "April 2023", src: `Resources:
  Uploads: # want
    Type: AWS::S3::Bucket
`},
		{name: "block public access partly off", sev: rule.High, text: "BlockPublicPolicy, RestrictPublicBuckets", src: `Resources:
  Uploads:
    Type: AWS::S3::Bucket
    Properties:
      PublicAccessBlockConfiguration: # want
        BlockPublicAcls: true
        BlockPublicPolicy: false
        IgnorePublicAcls: true
`},
		{name: "public ACL", text: "PublicRead", src: `Resources:
  Site:
    Type: AWS::S3::Bucket
    Properties:
      AccessControl: PublicRead # want
      PublicAccessBlockConfiguration:
        BlockPublicAcls: true
        BlockPublicPolicy: true
        IgnorePublicAcls: true
        RestrictPublicBuckets: true
`},
		{name: "policy open to anyone", text: "allows any principal", src: "Resources:" + bucket + `
  UploadsPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Uploads
      PolicyDocument:
        Statement:
          - Effect: Allow # want
            Principal: "*"
            Action: s3:GetObject
            Resource: !Sub "${Uploads.Arn}/*"
          - Effect: Allow
            Principal: {AWS: "*"}
            Action: s3:GetObject
            Resource: !Sub "${Uploads.Arn}/*"
            Condition:
              StringEquals:
                aws:SourceVpce: vpce-0123
`},
		{name: "fully blocked", src: "Resources:" + bucket},
		{name: "policy on a bucket outside the template", text: "of bucket existing-uploads allows any principal", src: `Resources:
  ExistingPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: existing-uploads
      PolicyDocument:
        Statement:
          - Effect: Allow # want
            Principal: "*"
            Action: s3:ListBucket
            Resource: arn:aws:s3:::existing-uploads
            Condition:
              StringLike:
                aws:Referer: ["https://www.example.com/*"]
`},
		{name: "restricted policy on a bucket outside the template", src: `Resources:
  ExistingPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: existing-uploads
      PolicyDocument:
        Statement:
          - Effect: Allow
            Principal: "*"
            Action: s3:GetObject
            Resource: arn:aws:s3:::existing-uploads/*
            Condition:
              StringEquals:
                aws:PrincipalOrgID: o-abc123
`},
	})
}

func TestSQSNoEncryptionOnlyWhenTurnedOff(t *testing.T) {
	runMarkedCases(t, SQSNoEncryption, []markedCase{
		{name: "turned off", src: `Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      SqsManagedSseEnabled: false # want
`},
		{name: "default encryption", src: `Resources:
  Queue:
    Type: AWS::SQS::Queue
`},
		{name: "KMS key", src: `Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      SqsManagedSseEnabled: false
      KmsMasterKeyId: alias/aws/sqs
`},
	})
}

func TestSNSNoEncryptionWantsAKey(t *testing.T) {
	runMarkedCases(t, SNSNoEncryption, []markedCase{
		{name: "no key", src: "Resources:\n  Topic: # want\n    Type: AWS::SNS::Topic\n"},
		{name: "key", src: "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n    Properties:\n      KmsMasterKeyId: alias/aws/sns\n"},
	})
}

func TestLogsNoCMKWantsAKey(t *testing.T) {
	runMarkedCases(t, LogsNoCMK, []markedCase{
		{name: "no key", text: "/aws/lambda/orders", src: `Resources:
  Logs: # want
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: /aws/lambda/orders
`},
		{name: "key", src: `Resources:
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      KmsKeyId: !GetAtt Key.Arn
  Key:
    Type: AWS::KMS::Key
`},
	})
}

func TestKMSNoRotationOnlyJudgesRotatableKeys(t *testing.T) {
	runMarkedCases(t, KMSNoRotation, []markedCase{
		{name: "rotation absent", src: "Resources:\n  Key: # want\n    Type: AWS::KMS::Key\n"},
		{name: "rotation off", src: "Resources:\n  Key:\n    Type: AWS::KMS::Key\n    Properties:\n      EnableKeyRotation: false # want\n"},
		{name: "rotation on", src: "Resources:\n  Key:\n    Type: AWS::KMS::Key\n    Properties:\n      EnableKeyRotation: true\n"},
		{name: "asymmetric", src: "Resources:\n  Key:\n    Type: AWS::KMS::Key\n    Properties:\n      KeySpec: RSA_2048\n      KeyUsage: SIGN_VERIFY\n"},
		{name: "HMAC", src: "Resources:\n  Key:\n    Type: AWS::KMS::Key\n    Properties:\n      KeySpec: HMAC_256\n      KeyUsage: GENERATE_VERIFY_MAC\n"},
		{name: "imported material", src: "Resources:\n  Key:\n    Type: AWS::KMS::Key\n    Properties:\n      Origin: EXTERNAL\n"},
	})
}

// The data rules read plain CloudFormation resources, which SAM templates
// hold too; SimpleTable is the one SAM resource among them.
func TestDataRulesInSAM(t *testing.T) {
	cases := []struct {
		r         *rule.Rule
		bad, good string
	}{
		{DynamoDBNoCMK, `
  Orders: # want
    Type: AWS::Serverless::SimpleTable
`, `
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      SSESpecification: {SSEEnabled: true, SSEType: KMS, KMSMasterKeyId: alias/orders}
`},
		{S3NoEncryptionOrTLS, `
  Uploads: # want
    Type: AWS::S3::Bucket
`, bucket + `
  UploadsPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Uploads
      PolicyDocument:
        Statement:
          - {Effect: Deny, Principal: "*", Action: "s3:*", Resource: "*", Condition: {Bool: {aws:SecureTransport: false}}}
`},
		{S3Public, `
  Uploads:
    Type: AWS::S3::Bucket
    Properties:
      AccessControl: PublicReadWrite # want
      PublicAccessBlockConfiguration: {BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true}
`, bucket},
		{SQSNoEncryption, `
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      SqsManagedSseEnabled: false # want
`, `
  Queue:
    Type: AWS::SQS::Queue
`},
		{SNSNoEncryption, `
  Topic: # want
    Type: AWS::SNS::Topic
`, `
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      KmsMasterKeyId: alias/events
`},
		{LogsNoCMK, `
  FnLogs: # want
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub /aws/lambda/${Fn}
`, `
  FnLogs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub /aws/lambda/${Fn}
      KmsKeyId: arn:aws:kms:eu-west-1:123456789012:key/0f1e2d3c
`},
		{KMSNoRotation, `
  Key: # want
    Type: AWS::KMS::Key
`, `
  Key:
    Type: AWS::KMS::Key
    Properties:
      EnableKeyRotation: true
`},
	}
	for _, c := range cases {
		t.Run(c.r.ID, func(t *testing.T) {
			runMarkedCases(t, c.r, []markedCase{
				{name: "reported", src: samHead + samFn + c.bad},
				{name: "fixed", src: samHead + samFn + c.good},
			})
		})
	}
}
