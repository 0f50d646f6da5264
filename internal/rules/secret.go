package rules

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/bulwark-sec/bulwark/internal/cfn"
	"github.com/bulwark-sec/bulwark/internal/model"
	"github.com/bulwark-sec/bulwark/internal/rule"
	"github.com/bulwark-sec/bulwark/internal/secretscan"
	"github.com/bulwark-sec/bulwark/internal/source"
)

var secretRules = []*rule.Rule{EnvPlaintextSecret, EnvSecretFromParameter, EnvNoCMK, SecretInInlineCode, SecretNoRotation}

// EnvPlaintextSecret is BW301.
var EnvPlaintextSecret = &rule.Rule{
	ID: "BW301", Name: "env-plaintext-secret", Severity: rule.Critical,
	Title: "a function's environment variable holds a secret in plain text",
	Rationale: "Environment variables are part of the function's configuration: anyone who can read the " +
		"template, the repository, the CloudFormation stack or the function configuration sees them. Every " +
		"guide says not to store plaintext secrets or API keys in Lambda environment variables (000-004). " +
		"Bulwark recognises key formats (AWS, Google Cloud, Azure, GitHub, GitLab, Slack, Stripe, Twilio, " +
		"SendGrid, npm, PyPI, OpenAI, Anthropic and more), private keys, JSON web tokens, URLs and connection " +
		"strings with a password, and literals that a secret-like name (PASSWORD, TOKEN, API_KEY...) gives a " +
		"random-looking value. Placeholders, ARNs, SSM paths, dynamic references and values that come from " +
		"parameters (see BW302) are not reported.",
	Remediation: "Store the secret in AWS Secrets Manager (or an SSM SecureString parameter), pass its ARN or " +
		"name in the environment, grant the function read access to that one secret, and read it at run time " +
		"(with caching, e.g. the guard/secrets package or the Parameters and Secrets extension). Rotate the " +
		"exposed value: it is in the template's history.",
	Example: `Resources:
  PaymentsFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: src/
      Environment:
        Variables:
          STRIPE_SECRET_ARN: !Ref StripeSecret
      Policies:
        - AWSSecretsManagerGetSecretValuePolicy:
            SecretArn: !Ref StripeSecret`,
	Where:       "T A",
	Equivalents: rule.Equivalents{Checkov: []string{"CKV_AWS_45"}, KICS: []string{"a88baa34-e2ad-44ea-ad6f-8cac87bc7c71"}},
	Run:         runEnvPlaintextSecret,
}

// EnvSecretFromParameter is BW302.
var EnvSecretFromParameter = &rule.Rule{
	ID: "BW302", Name: "env-secret-from-parameter", Severity: rule.High,
	Title: "a secret reaches an environment variable through a parameter that exposes it",
	Rationale: "A parameter without NoEcho is shown in clear in the CloudFormation console and API; a " +
		"default value writes the secret into the template itself. An AWS::SSM::Parameter::Value<String> " +
		"parameter or a {{resolve:ssm:...}} reference reads a plain, unencrypted String parameter. The guides " +
		"ask to keep secrets in Secrets Manager or encrypted Parameter Store entries, not in the configuration " +
		"(002, 004). Only variables or parameters with secret-like names are judged.",
	Remediation: "Keep the secret in Secrets Manager and pass its ARN (or an SSM SecureString name) to the " +
		"function, which reads it at run time. If a parameter must carry it, declare it NoEcho: true without " +
		"a Default.",
	Example: `Parameters:
  StripeSecretArn:
    Type: String
    Description: ARN of the Secrets Manager secret holding the Stripe key
Resources:
  PaymentsFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: src/
      Environment:
        Variables:
          STRIPE_SECRET_ARN: !Ref StripeSecretArn`,
	Where: "T",
	Run:   runEnvSecretFromParameter,
}

// EnvNoCMK is BW303.
var EnvNoCMK = &rule.Rule{
	ID: "BW303", Name: "env-no-cmk", Severity: rule.Low,
	Title: "a function's environment variables are not encrypted with a customer managed key",
	Rationale: "Without KmsKeyArn, Lambda encrypts environment variables with an AWS managed key that every " +
		"principal allowed to read the function's configuration can use through Lambda. A customer managed " +
		"key lets the key policy decide who may decrypt them, and CloudTrail record each use. The guides ask " +
		"to encrypt environment variables with KMS (003, 004).",
	Remediation: "Create an AWS::KMS::Key with rotation enabled, set the function's KmsKeyArn to it, and allow " +
		"kms:Decrypt only to the function's role and the people who must read the configuration.",
	Example: `Resources:
  OrdersFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: src/
      KmsKeyArn: !GetAtt ConfigKey.Arn
      Environment:
        Variables:
          TABLE_NAME: !Ref OrdersTable`,
	Where: "T A",
	Equivalents: rule.Equivalents{Checkov: []string{"CKV_AWS_173"},
		KICS: []string{"a7f8ac28-eed1-483d-87c8-4c325f022572"}},
	Run: runEnvNoCMK,
}

// SecretInInlineCode is BW304.
var SecretInInlineCode = &rule.Rule{
	ID: "BW304", Name: "secret-in-inline-code", Severity: rule.Critical,
	Title: "a function's inline code contains a secret",
	Rationale: "Inline code (Code.ZipFile, SAM InlineCode) is part of the template: the secret is stored in " +
		"the repository, the CloudFormation stack and the function package, and anyone who can read any of " +
		"them has it. The guide asks never to embed secrets in function code (004). The same detector as " +
		"BW301 looks for key formats, private keys, tokens, URLs with passwords and quoted literals assigned " +
		"to secret-like names.",
	Remediation: "Move the secret to Secrets Manager, pass its ARN in an environment variable and read it at " +
		"run time. Rotate the exposed value.",
	Example: `Resources:
  NotifyFunction:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: !GetAtt NotifyRole.Arn
      Environment:
        Variables:
          SLACK_TOKEN_ARN: !Ref SlackTokenSecret
      Code:
        ZipFile: |
          import os, boto3
          secrets = boto3.client("secretsmanager")
          def handler(event, context):
              token = secrets.get_secret_value(SecretId=os.environ["SLACK_TOKEN_ARN"])["SecretString"]`,
	Where: "T A",
	Run:   runSecretInInlineCode,
}

// SecretNoRotation is BW305.
var SecretNoRotation = &rule.Rule{
	ID: "BW305", Name: "secret-no-rotation", Severity: rule.Medium,
	Title: "a Secrets Manager secret has no rotation schedule",
	Rationale: "A secret that never changes stays useful to whoever copied it, for as long as it exists. " +
		"The guide asks to rotate secrets regularly (002).",
	Remediation: "Add an AWS::SecretsManager::RotationSchedule for the secret: a hosted rotation function for " +
		"RDS, Redshift and DocumentDB credentials, your own rotation function for other secrets.",
	Example: `Resources:
  DbSecret:
    Type: AWS::SecretsManager::Secret
    Properties:
      GenerateSecretString:
        SecretStringTemplate: '{"username": "app"}'
        GenerateStringKey: password
        ExcludeCharacters: '"@/\'
  DbSecretRotation:
    Type: AWS::SecretsManager::RotationSchedule
    Properties:
      SecretId: !Ref DbSecret
      HostedRotationLambda:
        RotationType: PostgreSQLSingleUser
      RotationRules:
        ScheduleExpression: rate(30 days)`,
	Where:       "T A",
	Equivalents: rule.Equivalents{CdkNag: []string{"AwsSolutions-SMG4"}},
	Run:         runSecretNoRotation,
}

func runEnvPlaintextSecret(pass *rule.Pass) {
	for _, f := range pass.App.Functions {
		for _, v := range f.Env {
			m, text, ok := envSecret(v)
			if !ok || fromParameter(f.Resource.Stack.Template, v.Raw, m.Secret(text)) {
				continue
			}
			pass.Reportf(rule.AtFunction(f, v.Pos), v.Name,
				"function %s: environment variable %s holds a %s in plain text, readable by anyone who can read "+
					"the template or the function configuration. Store it in Secrets Manager, pass the secret's "+
					"ARN and read it at run time; rotate the exposed value", f.Name, v.Name, m.Description)
		}
	}
}

// envSecret looks for a secret in an environment variable's value. A value
// known in full is judged with its name; a value with unknown parts (a
// Sub over resource attributes) only by the formats its literal parts show.
// Both branches of an undecided Fn::If are looked at.
func envSecret(v model.EnvVar) (secretscan.Match, string, bool) {
	for _, n := range possibleLiterals(v.Value) {
		if n.Kind == source.String {
			if m, ok := secretscan.Value(v.Name, n.Value); ok {
				return m, n.Value, true
			}
			continue
		}
		for _, m := range secretscan.Text(n.Value) {
			if !insidePlaceholder(n.Value, m) {
				return m, n.Value, true
			}
		}
	}
	return secretscan.Match{}, "", false
}

// possibleLiterals returns the strings and partly known strings (symbols)
// an evaluated value may take, looking into both branches of an undecided
// Fn::If.
func possibleLiterals(n *source.Node) []*source.Node {
	if n == nil {
		return nil
	}
	switch n.Kind {
	case source.String, source.Symbol:
		return []*source.Node{n}
	case source.Map:
		if name, arg, ok := n.Intrinsic(); ok && name == "Fn::If" && arg.Kind == source.Seq && len(arg.Items) == 3 {
			return append(possibleLiterals(arg.Items[1]), possibleLiterals(arg.Items[2])...)
		}
	}
	return nil
}

// insidePlaceholder reports whether a match in a symbol's text touches one
// of its ${...} placeholders, i.e. is not entirely a literal part.
func insidePlaceholder(text string, m secretscan.Match) bool {
	for rest, off := text, 0; ; {
		i := strings.Index(rest, "${")
		if i < 0 {
			return false
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return false
		}
		start, end := off+i, off+i+j+1
		if m.Start < end && start < m.End {
			return true
		}
		rest, off = rest[i+j+1:], end
	}
}

// fromParameter reports whether the secret found in a value came from a
// template parameter (its default, or a value given at deploy or scan
// time) rather than from the text of the expression itself. BW302 judges
// parameters.
func fromParameter(t *cfn.Template, raw *source.Node, secret string) bool {
	if literalContains(raw, secret) {
		return false
	}
	for _, p := range feedingParameters(t, raw) {
		if p.Default == nil || strings.Contains(parameterText(p), secret) {
			return true
		}
	}
	return false
}

// literalContains reports whether a string written in the expression (a
// plain value, a Sub template, a Join part) contains s.
func literalContains(n *source.Node, s string) bool {
	if n == nil {
		return false
	}
	if n.Kind == source.String && strings.Contains(n.Value, s) {
		return true
	}
	if name, _, ok := n.Intrinsic(); ok && (name == "Ref" || name == "Fn::FindInMap" || name == "Fn::GetAtt") {
		return false // names, not values
	}
	for _, it := range n.Items {
		if literalContains(it, s) {
			return true
		}
	}
	for _, f := range n.Fields {
		if literalContains(f.Value, s) {
			return true
		}
	}
	return false
}

func parameterText(p *cfn.Parameter) string {
	if p.Default == nil {
		return ""
	}
	if p.Default.Kind == source.Seq {
		parts := make([]string, 0, len(p.Default.Items))
		for _, it := range p.Default.Items {
			parts = append(parts, it.Value)
		}
		return strings.Join(parts, ",")
	}
	return p.Default.Value
}

// feedingParameters returns the template parameters whose value flows into
// an expression as written: by Ref, by ${Name} in Fn::Sub, through Join,
// Select, Split, If and Base64. The keys of a Fn::FindInMap select a value
// without being it, so they are not followed.
func feedingParameters(t *cfn.Template, raw *source.Node) []*cfn.Parameter {
	if t == nil {
		return nil
	}
	var out []*cfn.Parameter
	add := func(name string) {
		if p := t.Parameters[name]; p != nil {
			for _, q := range out {
				if q == p {
					return
				}
			}
			out = append(out, p)
		}
	}
	var walk func(*source.Node)
	walk = func(n *source.Node) {
		if n == nil {
			return
		}
		name, arg, ok := n.Intrinsic()
		if !ok {
			for _, it := range n.Items {
				walk(it)
			}
			for _, f := range n.Fields {
				walk(f.Value)
			}
			return
		}
		switch name {
		case "Ref":
			if s, ok := arg.Str(); ok {
				add(s)
			}
		case "Fn::Sub":
			tmpl, vars := subParts(arg)
			for _, v := range subVariables(tmpl) {
				if local, ok := vars[v]; ok {
					walk(local)
				} else {
					add(v)
				}
			}
		case "Fn::Join", "Fn::Select", "Fn::Split", "Fn::If", "Fn::Base64", "Fn::ToJsonString":
			walk(arg)
		}
	}
	walk(raw)
	return out
}

// ssmStringParameter is the parameter type that reads a plain String from
// Parameter Store at deploy time.
const ssmStringParameter = "AWS::SSM::Parameter::Value<String>"

func runEnvSecretFromParameter(pass *rule.Pass) {
	for _, f := range pass.App.Functions {
		t := f.Resource.Stack.Template
		for _, v := range f.Env {
			secretVar := secretscan.SecretLikeName(v.Name)
			for _, p := range feedingParameters(t, v.Raw) {
				related := []source.Pos{parameterPos(t, p)}
				switch {
				case p.Type == ssmStringParameter:
					if secretVar || secretscan.SecretLikeName(p.Name) || secretscan.SecretLikeName(parameterText(p)) {
						reportRelated(pass, rule.AtFunction(f, v.Pos), v.Name+"<"+p.Name, related,
							"function %s: environment variable %s takes parameter %s of type %s, which reads a plain, "+
								"unencrypted SSM String and copies it into the function configuration. Keep the "+
								"secret in Secrets Manager (or a SecureString read at run time) and pass its name",
							f.Name, v.Name, p.Name, ssmStringParameter)
					}
				case strings.HasPrefix(p.Type, "AWS::SSM::Parameter::Value<"):
					// Lists and AWS-specific values (AMI IDs, subnets): not secrets.
				case !p.NoEcho || p.Default != nil:
					if secretVar || secretscan.SecretLikeName(p.Name) {
						reportRelated(pass, rule.AtFunction(f, v.Pos), v.Name+"<"+p.Name, related,
							"function %s: environment variable %s takes parameter %s, which %s. Keep the secret in "+
								"Secrets Manager and pass its ARN, or declare the parameter NoEcho: true without a "+
								"Default", f.Name, v.Name, p.Name, parameterExposure(p))
					}
				}
			}
			for _, d := range dynamicRefsIn(v.Value) {
				if d.Service == "ssm" && (secretVar || secretscan.SecretLikeName(d.Reference)) {
					pass.Reportf(rule.AtFunction(f, v.Pos), v.Name+"<ssm:"+d.Reference,
						"function %s: environment variable %s resolves {{resolve:ssm:%s}}, a plain, unencrypted SSM "+
							"String parameter, into the function configuration. Keep the secret in Secrets Manager "+
							"or a SecureString and read it at run time", f.Name, v.Name, d.Reference)
				}
			}
		}
	}
}

// parameterExposure says how a parameter exposes its value.
func parameterExposure(p *cfn.Parameter) string {
	switch {
	case !p.NoEcho && p.Default != nil:
		return "has a default value written in the template and is not NoEcho, so the console shows it"
	case p.Default != nil:
		return "has a default value: the secret is written in the template"
	}
	return "is not NoEcho, so the CloudFormation console and API show its value"
}

// parameterPos returns where a parameter is declared.
func parameterPos(t *cfn.Template, p *cfn.Parameter) source.Pos {
	if f, ok := t.Root.Get("Parameters").Field(p.Name); ok {
		return f.KeyPos
	}
	return p.Node.Pos
}

// dynamicRefsIn returns the dynamic references in the strings a value may
// take.
func dynamicRefsIn(n *source.Node) []cfn.DynamicRef {
	var out []cfn.DynamicRef
	for _, s := range possibleLiterals(n) {
		out = append(out, cfn.DynamicRefs(s.Value)...)
	}
	return out
}

// awsManagedLambdaKey is the alias of the key Lambda uses when a function
// names none.
const awsManagedLambdaKey = "alias/aws/lambda"

func runEnvNoCMK(pass *rule.Pass) {
	for _, f := range pass.App.Functions {
		if len(f.Env) == 0 || f.FrameworkOwned() {
			continue
		}
		key, _ := f.KMSKey.Str()
		switch {
		case f.KMSKey == nil:
		case f.KMSKey.Kind != source.String:
			continue // a reference or a condition: the user picked a key
		case key != "" && !strings.HasSuffix(key, awsManagedLambdaKey):
			continue
		}
		what := "has no KmsKeyArn"
		if key != "" {
			what = "uses the AWS managed key " + awsManagedLambdaKey
		}
		pass.Reportf(rule.AtFunction(f, propKeyPos(f.Resource, "Environment")), "KmsKeyArn",
			"function %s sets environment variables but %s: any principal allowed to read the function "+
				"configuration can read their values. Set KmsKeyArn to a customer managed key whose policy "+
				"limits kms:Decrypt", f.Name, what)
	}
}

func runSecretInInlineCode(pass *rule.Pass) {
	for _, f := range pass.App.Functions {
		code := f.InlineCode
		if code == nil || (code.Kind != source.String && code.Kind != source.Symbol) {
			continue
		}
		raw := f.Resource.Raw.Properties.Get("Code").Get("ZipFile")
		seen := map[string]bool{}
		for _, m := range secretscan.Text(code.Value) {
			secret := m.Secret(code.Value)
			if seen[secret] || code.Kind == source.Symbol && insidePlaceholder(code.Value, m) ||
				fromParameter(f.Resource.Stack.Template, raw, secret) {
				continue
			}
			seen[secret] = true
			name := ""
			if m.Name != "" {
				name = " assigned to " + m.Name
			}
			pass.Reportf(rule.AtFunction(f, codeLine(f.Resource.Stack, code, secret)), m.Kind+":"+fingerprint(secret),
				"function %s: its inline code contains a %s%s, stored in the template and the function package. "+
					"Move it to Secrets Manager and read it at run time; rotate the exposed value",
				f.Name, m.Description, name)
		}
	}
}

// codeLine returns where a secret is written inside inline code: the first
// line at or after the code's position whose source text contains the
// secret's first line. It falls back to the code's position, e.g. when a
// JSON string escapes the secret.
func codeLine(st *model.Stack, code *source.Node, secret string) source.Pos {
	if st.Doc == nil || code.Pos.File != st.Doc.Path || !code.Pos.IsValid() {
		return code.Pos
	}
	needle, _, _ := strings.Cut(secret, "\n")
	last := code.Pos.Line + strings.Count(code.Value, "\n") + 2
	for line := code.Pos.Line; line <= last; line++ {
		text := st.Doc.Line(line)
		if i := strings.Index(text, needle); i >= 0 {
			return source.Pos{File: code.Pos.File, Line: line, Column: i + 1}
		}
	}
	return code.Pos
}

// fingerprint identifies a secret in finding evidence without revealing it.
func fingerprint(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:6])
}

func runSecretNoRotation(pass *rule.Pass) {
	for _, st := range pass.App.Stacks {
		for _, r := range st.Resources {
			if r.Type != "AWS::SecretsManager::Secret" || rotated(r) {
				continue
			}
			pass.Reportf(rule.At(r, source.Pos{}), "rotation",
				"secret %s has no rotation schedule: a leaked value stays valid until someone changes it by hand. "+
					"Add an AWS::SecretsManager::RotationSchedule for it", r.Origin.LogicalID)
		}
	}
}

// rotated reports whether a rotation schedule of the stack names the
// secret, by reference or by its name.
func rotated(secret *model.Resource) bool {
	name, _ := secret.Prop("Name").Str()
	for _, r := range secret.Stack.Resources {
		if r.Type != "AWS::SecretsManager::RotationSchedule" {
			continue
		}
		id := r.Prop("SecretId")
		if referencedResource(secret.Stack, id, "AWS::SecretsManager::Secret") == secret {
			return true
		}
		if s, ok := id.Str(); ok && name != "" && (s == name || strings.Contains(s, ":secret:"+name)) {
			return true
		}
	}
	return false
}
