package rules

import "testing"

// lambdaPermissionTemplate is a function with one AWS::Lambda::Permission whose
// properties (after FunctionName, at 6 spaces) start at line 14.
func lambdaPermissionTemplate(props string) map[string]string {
	return template(`AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: "x"}
      Role: arn:aws:iam::123456789012:role/fn
  Invoke:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !GetAtt Fn.Arn
` + props)
}

func TestLambdaPublicInvoke(t *testing.T) {
	runIAMCases(t, ruleLambdaPublicInvoke, []iamCase{
		{name: "star principal", files: lambdaPermissionTemplate(`      Action: lambda:InvokeFunction
      Principal: "*"
`), wantLines: []int{15}, wantText: []string{"permission Invoke", "any AWS account", "function Fn"}},
		{name: "star principal with IAM-authenticated URL", files: lambdaPermissionTemplate(`      Action: lambda:InvokeFunctionUrl
      Principal: "*"
      FunctionUrlAuthType: AWS_IAM
`), wantLines: []int{15}},
		{name: "organization only", files: lambdaPermissionTemplate(`      Action: lambda:InvokeFunction
      Principal: "*"
      PrincipalOrgID: o-abc123
`)},
		{name: "source account", files: lambdaPermissionTemplate(`      Action: lambda:InvokeFunction
      Principal: "*"
      SourceAccount: !Ref AWS::AccountId
`)},
		{name: "public URL is BW203's", files: lambdaPermissionTemplate(`      Action: lambda:InvokeFunctionUrl
      Principal: "*"
      FunctionUrlAuthType: NONE
`)},
		{name: "one account", files: lambdaPermissionTemplate(`      Action: lambda:InvokeFunction
      Principal: "111122223333"
`)},
		{name: "invoke permission of a public URL is BW203's", files: lambdaPermissionTemplate(`      Action: lambda:InvokeFunction
      Principal: "*"
      InvokedViaFunctionUrl: true
`)},
	})
}

func TestLambdaConfusedDeputy(t *testing.T) {
	runIAMCases(t, ruleLambdaConfusedDeputy, []iamCase{
		{name: "S3 without source", files: lambdaPermissionTemplate(`      Action: lambda:InvokeFunction
      Principal: s3.amazonaws.com
`), wantLines: []int{15}, wantText: []string{"s3.amazonaws.com", "any account's resources"}},
		{name: "S3 with source ARN", files: lambdaPermissionTemplate(`      Action: lambda:InvokeFunction
      Principal: s3.amazonaws.com
      SourceArn: arn:aws:s3:::uploads
`)},
		{name: "events with source account", files: lambdaPermissionTemplate(`      Action: lambda:InvokeFunction
      Principal: events.amazonaws.com
      SourceAccount: "123456789012"
`)},
		{name: "Alexa with skill token", files: lambdaPermissionTemplate(`      Action: lambda:InvokeFunction
      Principal: alexa-appkit.amazon.com
      EventSourceToken: amzn1.ask.skill.1234
`)},
		{name: "an account is not a service", files: lambdaPermissionTemplate(`      Action: lambda:InvokeFunction
      Principal: "111122223333"
`)},
	})
}

func TestLambdaPermissionBroadAction(t *testing.T) {
	runIAMCases(t, ruleLambdaPermissionBroadAction, []iamCase{
		{name: "lambda star", files: lambdaPermissionTemplate(`      Action: lambda:*
      Principal: "111122223333"
`), wantLines: []int{14}, wantText: []string{"111122223333 lambda:*", "more than invoking"}},
		{name: "update code", files: lambdaPermissionTemplate(`      Action: lambda:UpdateFunctionCode
      Principal: "111122223333"
`), wantLines: []int{14}},
		{name: "invoke, any case", files: lambdaPermissionTemplate(`      Action: Lambda:invokeFunction
      Principal: "111122223333"
`)},
		{name: "invoke URL", files: lambdaPermissionTemplate(`      Action: lambda:InvokeFunctionUrl
      Principal: "111122223333"
      FunctionUrlAuthType: AWS_IAM
`)},
	})
}

// kmsKeyTemplate is a KMS key whose key policy statements (list items at 10
// spaces) start at line 8.
func kmsKeyTemplate(statements string) map[string]string {
	return template(`AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Key:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Statement:
` + statements)
}

func TestKMSWildcardPrincipal(t *testing.T) {
	runIAMCases(t, ruleKMSWildcardPrincipal, []iamCase{
		{name: "star principal", files: kmsKeyTemplate(`          - Effect: Allow
            Principal: "*"
            Action: kms:*
            Resource: "*"
`), wantLines: []int{8}, wantText: []string{"key Key", "any principal", "kms:*"}},
		{name: "AWS star in a list, second statement", files: kmsKeyTemplate(`          - Effect: Allow
            Principal: {AWS: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
            Action: kms:*
            Resource: "*"
          - Effect: Allow
            Principal: {AWS: ["*"]}
            Action: [kms:Decrypt]
            Resource: "*"
`), wantLines: []int{12}, wantText: []string{"kms:Decrypt"}},
		{name: "star with a caller-account condition", files: kmsKeyTemplate(`          - Effect: Allow
            Principal: {AWS: "*"}
            Action: kms:Decrypt
            Resource: "*"
            Condition: {StringEquals: {kms:CallerAccount: "123456789012"}}
`)},
		{name: "deny star is a guardrail", files: kmsKeyTemplate(`          - Effect: Deny
            Principal: "*"
            Action: kms:ScheduleKeyDeletion
            Resource: "*"
`)},
		{name: "account root", files: kmsKeyTemplate(`          - Effect: Allow
            Principal: {AWS: arn:aws:iam::123456789012:root}
            Action: kms:*
            Resource: "*"
`)},
	})
}
