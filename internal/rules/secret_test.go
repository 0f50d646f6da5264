package rules

import (
	"strings"
	"testing"
)

// Secrets for the test templates are assembled at run time, so that this
// file holds nothing that a secret scanner would take for a real key.
var (
	testStripeKey = "sk" + "_live_" + "51Hq8ZkP2vN7xR4tW9yB3mC6"
	testAWSKeyID  = "AK" + "IA" + "Q3EGRIJ5NBTXHV6K"
	testGitHubPAT = "gh" + "p_" + "R8mK2xQ7vN4pL9wT3yB6cF1hJ5sD0gA2eZ8u"
)

// secretFn is a function whose environment variables follow.
const secretFn = `
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.13
      Handler: app.handler
      Role: arn:aws:iam::123456789012:role/app
      Code:
        ZipFile: "def handler(event, context): return {}"
      Environment:
        Variables:
`

func TestEnvPlaintextSecretReportsLiteralSecrets(t *testing.T) {
	runMarkedCases(t, EnvPlaintextSecret, []markedCase{
		{name: "literals", text: "function Fn: environment variable", src: "Resources:" + secretFn + `          DB_PASSWORD: "Tr0ub4dor&3" # want
          STRIPE_KEY: ` + testStripeKey + ` # want
          DATABASE_URL: postgres://admin:Kq8vN2xR7m@db.internal:5432/app # want
          LEGACY_CREDENTIALS: ` + testAWSKeyID + ` # want
          TABLE_NAME: orders
          LOG_LEVEL: debug
`},
		{name: "literal part of a Sub", text: "password in a URL", src: `Resources:
  Db:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: postgres
      DBInstanceClass: db.t4g.micro
` + secretFn + `          DATABASE_URL: !Sub postgres://admin:Kq8vN2xR7m@${Db.Endpoint.Address}/app # want
          SAFE_URL: !Sub postgres://admin:${Password}@${Db.Endpoint.Address}/app
`},
		{name: "from a mapping", src: `Mappings:
  Keys:
    prod:
      Stripe: ` + testStripeKey + `
Resources:` + secretFn + `          STRIPE_KEY: !FindInMap [Keys, prod, Stripe] # want
`},
		{name: "either branch of an undecided condition", src: `Parameters:
  Stage:
    Type: String
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Resources:` + secretFn + `          API_TOKEN: !If [IsProd, "{{resolve:secretsmanager:prod/token}}", ` + testGitHubPAT + `] # want
`},
		{name: "references and placeholders", src: `Parameters:
  DbPassword:
    Type: String
    NoEcho: true
    Default: Tr0ub4dor&3
  ApiKey:
    Type: String
    Default: ` + testStripeKey + `
Resources:
  Secret:
    Type: AWS::SecretsManager::Secret
` + secretFn + `          DB_PASSWORD: !Ref DbPassword
          API_KEY: !Ref ApiKey
          SECRET_ARN: !Ref Secret
          TOKEN_PARAM: /prod/github/token
          DB_SECRET: "{{resolve:secretsmanager:prod/db:SecretString:password}}"
          ADMIN_PASSWORD: changeme
          SIGNING_KEY_ARN: arn:aws:kms:eu-west-1:123456789012:key/0f1e2d3c
          API_KEY_NAME: prod/stripe-api-key
`},
	})
}

func TestEnvSecretFromParameterFollowsParameters(t *testing.T) {
	runMarkedCases(t, EnvSecretFromParameter, []markedCase{
		{name: "parameter without NoEcho", text: "is not NoEcho", src: `Parameters:
  DbPassword:
    Type: String
Resources:` + secretFn + `          DB_PASSWORD: !Ref DbPassword # want
`},
		{name: "NoEcho parameter with a default", text: "has a default value", src: `Parameters:
  Token:
    Type: String
    NoEcho: true
    Default: abc123
Resources:` + secretFn + `          GITHUB_TOKEN: !Ref Token # want
`},
		{name: "secret-like parameter name in a Sub", src: `Parameters:
  ApiKey:
    Type: String
Resources:` + secretFn + `          UPSTREAM_AUTH: !Sub "key=${ApiKey}" # want
`},
		{name: "plain SSM String parameter", text: "AWS::SSM::Parameter::Value<String>", src: `Parameters:
  DbPassword:
    Type: AWS::SSM::Parameter::Value<String>
    Default: /prod/db/password
Resources:` + secretFn + `          DB_PASSWORD: !Ref DbPassword # want
`},
		{name: "plain SSM dynamic reference", text: "{{resolve:ssm:/prod/db/password}}", src: "Resources:" + secretFn + `          DB_PASSWORD: "{{resolve:ssm:/prod/db/password}}" # want
          TABLE: "{{resolve:ssm:/prod/orders/table}}"
          API_KEY: "{{resolve:secretsmanager:prod/api:SecretString:key}}"
`},
		{name: "NoEcho parameter without default", src: `Parameters:
  DbPassword:
    Type: String
    NoEcho: true
Resources:` + secretFn + `          DB_PASSWORD: !Ref DbPassword
`},
		{name: "ordinary parameters", src: `Parameters:
  Stage:
    Type: String
    Default: prod
  AmiId:
    Type: AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>
  TableName:
    Type: AWS::SSM::Parameter::Value<String>
Resources:` + secretFn + `          STAGE: !Ref Stage
          AMI: !Ref AmiId
          TABLE_NAME: !Ref TableName
          KEYS_BY_STAGE: !FindInMap [Keys, !Ref Stage, Api]
Mappings:
  Keys:
    prod:
      Api: none
`},
	})
}

func TestEnvNoCMKNeedsEnvironmentVariables(t *testing.T) {
	fn := func(extra string) string {
		return `Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.13
      Handler: app.handler
      Role: arn:aws:iam::123456789012:role/app
      Code:
        ZipFile: "def handler(event, context): return {}"
` + extra
	}
	runMarkedCases(t, EnvNoCMK, []markedCase{
		{name: "no key", text: "has no KmsKeyArn", src: fn(`      Environment: # want
        Variables:
          TABLE: orders
`)},
		{name: "AWS managed key", text: "alias/aws/lambda", src: fn(`      KmsKeyArn: arn:aws:kms:eu-west-1:123456789012:alias/aws/lambda
      Environment: # want
        Variables:
          TABLE: orders
`)},
		{name: "customer managed key", src: fn(`      KmsKeyArn: !GetAtt Key.Arn
      Environment:
        Variables:
          TABLE: orders
  Key:
    Type: AWS::KMS::Key
    Properties:
      EnableKeyRotation: true
`)},
		{name: "no environment", src: fn("")},
	})
}

func TestSecretInInlineCodePointsAtTheLine(t *testing.T) {
	code := func(body string) string {
		return `Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.13
      Handler: index.handler
      Role: arn:aws:iam::123456789012:role/app
      Code:
        ZipFile: |
` + body
	}
	runMarkedCases(t, SecretInInlineCode, []markedCase{
		{name: "keys and passwords", src: code(`          import os, stripe
          stripe.api_key = "` + testStripeKey + `" # want
          DB_PASSWORD = 'Tr0ub4dor&3' # want
          AGAIN = "` + testStripeKey + `"
          def handler(event, context):
              return {"statusCode": 200}
`)},
		{name: "secrets read at run time", src: code(`          import os, boto3
          secrets = boto3.client("secretsmanager")
          def handler(event, context):
              token = secrets.get_secret_value(SecretId=os.environ["TOKEN_ARN"])["SecretString"]
              password = os.environ.get("DB_PASSWORD", "")
              return {"statusCode": 200}
`)},
	})
}

func TestSecretInInlineCodeInJSONTemplates(t *testing.T) {
	src := `{
  "Resources": {
    "Fn": {
      "Type": "AWS::Lambda::Function",
      "Properties": {
        "Runtime": "nodejs20.x",
        "Handler": "index.handler",
        "Role": "arn:aws:iam::123456789012:role/app",
        "Code": {
          "ZipFile": "const token = '` + testGitHubPAT + `';\nexports.handler = async () => ({statusCode: 200});"
        }
      }
    }
  }
}`
	got := runRule(t, SecretInInlineCode, map[string]string{"template.json": src})
	if len(got) != 1 || got[0].Location.Pos.Line != 10 {
		t.Fatalf("got %v, want one finding on line 10", lines(got))
	}
	if !strings.Contains(got[0].Message, "GitHub token") || strings.Contains(got[0].Message, testGitHubPAT) {
		t.Errorf("message %q should name the kind of secret and not reveal it", got[0].Message)
	}
	if strings.Contains(got[0].Evidence, testGitHubPAT) {
		t.Errorf("evidence %q reveals the secret", got[0].Evidence)
	}
}

func TestSecretNoRotationLooksForASchedule(t *testing.T) {
	runMarkedCases(t, SecretNoRotation, []markedCase{
		{name: "no schedule", text: "secret ApiToken has no rotation schedule", src: `Resources:
  ApiToken: # want
    Type: AWS::SecretsManager::Secret
    Properties:
      Name: prod/api-token
`},
		{name: "schedule by reference", src: `Resources:
  DbSecret:
    Type: AWS::SecretsManager::Secret
    Properties:
      GenerateSecretString:
        SecretStringTemplate: '{"username": "app"}'
        GenerateStringKey: password
  DbSecretRotation:
    Type: AWS::SecretsManager::RotationSchedule
    Properties:
      SecretId: !Ref DbSecret
      HostedRotationLambda:
        RotationType: PostgreSQLSingleUser
      RotationRules:
        ScheduleExpression: rate(30 days)
`},
		{name: "schedule by name", src: `Resources:
  DbSecret:
    Type: AWS::SecretsManager::Secret
    Properties:
      Name: prod/db
  DbSecretRotation:
    Type: AWS::SecretsManager::RotationSchedule
    Properties:
      SecretId: prod/db
      RotationLambdaARN: arn:aws:lambda:eu-west-1:123456789012:function:rotate
      RotationRules:
        AutomaticallyAfterDays: 30
`},
	})
}

// samHead starts a SAM template; samFn is a function whose properties follow.
const (
	samHead = "Transform: AWS::Serverless-2016-10-31\nResources:"
	samFn   = `
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.13
      Handler: app.handler
      CodeUri: src/
`
)

func TestSecretRulesInSAM(t *testing.T) {
	t.Run("BW301", func(t *testing.T) {
		runMarkedCases(t, EnvPlaintextSecret, []markedCase{
			{name: "function and globals", src: `Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Environment:
      Variables:
        SLACK_TOKEN: "xo` + `xb-284910473621-5829104736211-Hq8ZkP2vN7xR4tW9yB3mC6dF" # want 2
Resources:` + samFn + `      Environment:
        Variables:
          DB_PASSWORD: "Tr0ub4dor&3" # want
  Other:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.13
      Handler: app.handler
      CodeUri: src/
`},
			{name: "secret ARN", src: samHead + samFn + `      Environment:
        Variables:
          DB_SECRET_ARN: !Ref DbSecret
  DbSecret:
    Type: AWS::SecretsManager::Secret
`},
		})
	})
	t.Run("BW302", func(t *testing.T) {
		runMarkedCases(t, EnvSecretFromParameter, []markedCase{
			{name: "parameter with default", src: `Transform: AWS::Serverless-2016-10-31
Parameters:
  ApiToken:
    Type: String
    Default: not-a-real-token
Resources:` + samFn + `      Environment:
        Variables:
          API_TOKEN: !Ref ApiToken # want
`},
			{name: "NoEcho parameter", src: `Transform: AWS::Serverless-2016-10-31
Parameters:
  ApiToken:
    Type: String
    NoEcho: true
Resources:` + samFn + `      Environment:
        Variables:
          API_TOKEN: !Ref ApiToken
`},
		})
	})
	t.Run("BW303", func(t *testing.T) {
		runMarkedCases(t, EnvNoCMK, []markedCase{
			{name: "no key", src: samHead + samFn + `      Environment: # want
        Variables:
          TABLE: orders
`},
			{name: "key", src: samHead + samFn + `      KmsKeyArn: arn:aws:kms:eu-west-1:123456789012:key/0f1e2d3c
      Environment:
        Variables:
          TABLE: orders
`},
		})
	})
	t.Run("BW304", func(t *testing.T) {
		runMarkedCases(t, SecretInInlineCode, []markedCase{
			{name: "inline code", src: samHead + `
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.13
      Handler: index.handler
      InlineCode: |
        import stripe
        stripe.api_key = "` + testStripeKey + `" # want
        def handler(event, context):
            return {}
`},
			{name: "code from a folder", src: samHead + samFn},
		})
	})
	t.Run("BW305", func(t *testing.T) {
		runMarkedCases(t, SecretNoRotation, []markedCase{
			{name: "secret without rotation", src: samHead + samFn + `
  Token: # want
    Type: AWS::SecretsManager::Secret
`},
			{name: "rotated secret", src: samHead + samFn + `
  Token:
    Type: AWS::SecretsManager::Secret
  TokenRotation:
    Type: AWS::SecretsManager::RotationSchedule
    Properties:
      SecretId: !Ref Token
      RotationLambdaARN: !GetAtt Fn.Arn
      RotationRules:
        AutomaticallyAfterDays: 30
`},
		})
	})
}
