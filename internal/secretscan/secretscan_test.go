package secretscan

import (
	"strings"
	"testing"
)

const (
	upper   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	lower   = "abcdefghijklmnopqrstuvwxyz"
	digits  = "0123456789"
	hexLow  = "0123456789abcdef"
	letters = upper + lower
	alnums  = letters + digits
)

// fake returns n characters of alphabet that look random and are the same on
// every run. Test vectors are assembled from pieces at run time so that this
// file holds nothing a secret scanner, ours or a code host's, would take for
// a real key.
func fake(alphabet string, n int) string {
	x := uint32(2463534242 + n*7919 + len(alphabet))
	b := make([]byte, n)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = alphabet[int(x%uint32(len(alphabet)))]
	}
	return string(b)
}

func TestValueRecognisesProviderFormats(t *testing.T) {
	privateKey := "-----BEGIN RSA " + "PRIVATE KEY-----\n" + fake(alnums+"+/", 64) + "\n" + fake(alnums+"+/", 64) + "\n-----END RSA PRIVATE KEY-----\n"
	tests := []struct {
		name, value, kind string
	}{
		{"CONFIG", "AK" + "IA" + fake(upper+"234567", 16), "aws-access-key-id"},
		{"AWS_SECRET_ACCESS_KEY", fake(alnums+"+/", 40), "aws-secret-access-key"},
		{"MAPS", "AI" + "za" + fake(alnums+"_-", 35), "gcp-api-key"},
		{"GOOGLE_CLIENT", "GOC" + "SPX-" + fake(alnums, 28), "gcp-oauth-client-secret"},
		{"STORAGE", "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=" + fake(alnums+"+/", 86) + "==;EndpointSuffix=core.windows.net", "azure-storage-account-key"},
		{"BUS", "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=" + fake(alnums+"+/", 43) + "=", "azure-shared-access-key"},
		{"AZ_APP", fake(alnums, 3) + "8Q~" + fake(alnums+"_~.-", 34), "azure-client-secret"},
		{"GH", "gh" + "p_" + fake(alnums, 36), "github-token"},
		{"GH_FINE", "github" + "_pat_" + fake(alnums, 22) + "_" + fake(alnums, 59), "github-token"},
		{"GL", "gl" + "pat-" + fake(alnums+"_-", 20), "gitlab-token"},
		{"SLACK", "xo" + "xb-" + fake(digits, 12) + "-" + fake(digits, 13) + "-" + fake(alnums, 24), "slack-token"},
		{"HOOK", "https://hooks.slack.com/services/T" + fake(upper+digits, 8) + "/B" + fake(upper+digits, 10) + "/" + fake(alnums, 24), "slack-webhook"},
		{"PAYMENTS", "sk" + "_live_" + fake(alnums, 24), "stripe-secret-key"},
		{"PAYMENTS_TEST", "rk" + "_test_" + fake(alnums, 24), "stripe-secret-key"},
		{"STRIPE_HOOK", "wh" + "sec_" + fake(alnums, 32), "stripe-webhook-secret"},
		{"TWILIO", "S" + "K" + fake(hexLow, 32), "twilio-api-key"},
		{"MAIL", "S" + "G." + fake(alnums+"_-", 22) + "." + fake(alnums+"_-", 43), "sendgrid-api-key"},
		{"NPMRC", "np" + "m_" + fake(alnums, 36), "npm-token"},
		{"PYPI", "py" + "pi-AgEIcHlwaS5vcmc" + fake(alnums+"_-", 60), "pypi-token"},
		{"LLM", "sk-" + "ant-api03-" + fake(alnums+"_-", 93), "anthropic-api-key"},
		{"LLM2", "sk-" + fake(alnums, 20) + "T3Blbk" + "FJ" + fake(alnums, 20), "openai-api-key"},
		{"LLM3", "sk-" + "proj-" + fake(alnums+"_-", 48), "openai-api-key"},
		{"HF", "h" + "f_" + fake(letters, 34), "huggingface-token"},
		{"DO", "do" + "p_v1_" + fake(hexLow, 64), "digitalocean-token"},
		{"SHOP", "shp" + "at_" + fake(hexLow, 32), "shopify-token"},
		{"BOT", fake(digits, 9) + ":A" + "A" + fake(alnums+"_-", 33), "telegram-bot-token"},
		{"CERT", privateKey, "private-key"},
		{"SESSION", "ey" + "J" + fake(alnums, 20) + ".ey" + "J" + fake(alnums, 40) + "." + fake(alnums+"_-", 43), "jwt"},
		{"DATABASE_URL", "postgres://admin:" + fake(alnums, 14) + "@db.internal:5432/orders", "url-password"},
		{"SQLSERVER", "Server=db;User Id=app;Password=" + fake(alnums, 14) + ";", "connection-string-password"},
		{"UPSTREAM_AUTH_HEADER", "Bearer " + fake(alnums, 40), "bearer-token"},
		{"SETTINGS", `{"region": "eu-west-1", "password": "` + fake(alnums, 16) + `"}`, KindPassword},
	}
	for _, tt := range tests {
		t.Run(tt.kind+"/"+tt.name, func(t *testing.T) {
			m, ok := Value(tt.name, tt.value)
			if !ok {
				t.Fatalf("Value(%q, %q) found nothing, want %s", tt.name, tt.value, tt.kind)
			}
			if m.Kind != tt.kind {
				t.Errorf("kind = %s, want %s", m.Kind, tt.kind)
			}
			if m.Start < 0 || m.End > len(tt.value) || m.Start >= m.End {
				t.Fatalf("span [%d,%d) outside the value", m.Start, m.End)
			}
		})
	}
}

func TestValueJudgesLiteralsByTheirName(t *testing.T) {
	tests := []struct {
		name, value string
		want        bool
	}{
		{"DB_PASSWORD", "hunter22", true},
		{"dbPassword", "Tr0ub4dor&3", true},
		{"ADMIN_PWD", "s3cr3t-pw", true},
		{"API_KEY", "sk-1234567890abcdef", true},
		{"STRIPE_SECRET", fake(alnums, 24), true},
		{"githubToken", fake(alnums, 30), true},
		{"SIGNING_KEY", fake(alnums+"+/", 32), true},
		{"DB_PASSWORD", "", false},
		{"DB_PASSWORD", "changeme", false},
		{"DB_PASSWORD", "TODO", false},
		{"DB_PASSWORD", "${DB_PASSWORD}", false},
		{"DB_PASSWORD", "<your password>", false},
		{"DB_PASSWORD", "abc", false},
		{"DB_PASSWORD", "/prod/db/password", false},
		{"DB_PASSWORD", "{{resolve:secretsmanager:prod/db:SecretString:password}}", false},
		{"DB_PASSWORD_ARN", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf", false},
		{"DB_SECRET_NAME", "prod/db/" + fake(alnums, 20), false},
		{"API_KEY", "prod/stripe-api-key", false},
		{"STRIPE_SECRET", "orders-service-stripe-secret", false},
		{"TOKEN_TTL", "3600", false},
		{"PASSWORD_MIN_LENGTH", "12", false},
		{"MAX_TOKENS", "4096", false},
		{"API_KEY", "short", false},
		{"TABLE_NAME", fake(alnums, 30), false},
		{"PARTITION_KEY", fake(alnums, 30), false},
		{"TOKEN_URL", "https://auth.example.com/oauth2/token", false},
		{"DATABASE_URL", "postgres://admin:${DB_PASSWORD}@db:5432/app", false},
		{"DATABASE_URL", "postgres://db.internal:5432/app", false},
		{"AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7" + "EXAMPLE", false},
		{"GIT_SHA", "3f786850e387550fdab836ed7e6dc881de23001b", false},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			m, got := Value(tt.name, tt.value)
			if got != tt.want {
				t.Errorf("Value(%q, %q) = %v (%s), want %v", tt.name, tt.value, got, m.Kind, tt.want)
			}
		})
	}
}

func TestSecretLikeName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"DB_PASSWORD", true},
		{"dbPassword", true},
		{"password", true},
		{"MYSQL_PWD", true},
		{"API_KEY", true},
		{"ApiKey", true},
		{"APIKey", true},
		{"apikey", true},
		{"STRIPE_SECRET_KEY", true},
		{"CLIENT_SECRET", true},
		{"GITHUB_TOKEN", true},
		{"slackToken", true},
		{"PRIVATE_KEY", true},
		{"AWS_SECRET_ACCESS_KEY", true},
		{"/prod/github/token", true},
		{"DB_CREDENTIALS", true},
		{"DB_SECRET_ARN", false},
		{"SECRET_NAME", false},
		{"TOKEN_TTL", false},
		{"PASSWORD_MIN_LENGTH", false},
		{"MAX_TOKENS", false},
		{"USE_TOKEN", false},
		{"PARTITION_KEY", false},
		{"S3_KEY", false},
		{"KMS_KEY_ID", false},
		{"ACCESS_KEY_ID", false},
		{"TABLE_NAME", false},
		{"TOKENIZER_MODEL", false},
		{"SECRETARY_EMAIL", false},
		{"BYPASS_CACHE", false},
	}
	for _, tt := range tests {
		if got := SecretLikeName(tt.name); got != tt.want {
			t.Errorf("SecretLikeName(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestTextFindsSecretsInCode(t *testing.T) {
	stripe := "sk" + "_live_" + fake(alnums, 24)
	password := fake(alnums, 16)
	keyID := "AK" + "IA" + fake(upper+"234567", 16)
	code := "import os\n" +
		"import stripe\n" +
		"stripe.api_key = \"" + stripe + "\"\n" +
		"DB_PASSWORD = '" + password + "'\n" +
		"config = {\"aws_access_key_id\": \"" + keyID + "\", \"region\": \"eu-west-1\"}\n" +
		"def handler(event, context):\n" +
		"    return {'statusCode': 200}\n"
	ms := Text(code)
	want := []struct{ kind, secret string }{
		{"stripe-secret-key", stripe},
		{KindPassword, password},
		{"aws-access-key-id", keyID},
	}
	if len(ms) != len(want) {
		t.Fatalf("found %d secrets, want %d: %+v", len(ms), len(want), ms)
	}
	for i, w := range want {
		if ms[i].Kind != w.kind || ms[i].Secret(code) != w.secret {
			t.Errorf("match %d = %s %q, want %s %q", i, ms[i].Kind, ms[i].Secret(code), w.kind, w.secret)
		}
	}
}

func TestTextIgnoresSecretsReadAtRuntime(t *testing.T) {
	tests := map[string]string{
		"python environment": "password = os.environ['DB_PASSWORD']\ntoken = os.environ.get(\"API_TOKEN\", \"\")\n",
		"node environment":   "const apiKey = process.env.API_KEY;\nconst secret = process.env['SECRET'] || 'changeme';\n",
		"secrets manager": "secret = client.get_secret_value(SecretId=os.environ['SECRET_ARN'])['SecretString']\n" +
			"password = json.loads(secret)[\"password\"]\n",
		"names of things":    "TABLE = 'orders'\nPASSWORD_FIELD = \"password\"\ntoken_header = 'Authorization'\n",
		"comparison to none": "if password == \"\":\n    raise ValueError('missing password')\n",
		"format strings":     "url = f\"postgres://{user}:{password}@{host}/db\"\n",
		"aws doc example":    "aws_access_key_id = 'AKIAIOSFODNN7" + "EXAMPLE'\n",
	}
	for name, code := range tests {
		t.Run(name, func(t *testing.T) {
			if ms := Text(code); len(ms) > 0 {
				t.Errorf("found %s %q in %q", ms[0].Kind, ms[0].Secret(code), code)
			}
		})
	}
}

func TestPrivateKeyNeedsKeyMaterial(t *testing.T) {
	header := "-----BEGIN " + "PRIVATE KEY-----"
	if ms := Text("The file starts with " + header + " and ends with the END line."); len(ms) != 0 {
		t.Errorf("a header in prose was taken for a key: %+v", ms)
	}
	key := header + "\n" + fake(alnums+"+/", 64) + "\n-----END PRIVATE KEY-----"
	ms := Text("key = \"\"\"" + key + "\"\"\"")
	if len(ms) != 1 || ms[0].Kind != "private-key" {
		t.Fatalf("got %+v, want one private key", ms)
	}
	if got := ms[0].End - ms[0].Start; got != len(key) {
		t.Errorf("match covers %d bytes, want the whole key block of %d", got, len(key))
	}
}

func TestIsPlaceholder(t *testing.T) {
	for _, v := range []string{"", "  ", "changeme", "CHANGE_ME", "TODO", "none", "${Password}", "{{password}}",
		"<password>", "[secret]", "%DB_PASS%", "$DB_PASS", "xxxxxxxx", "********", "your-api-key-here", "1234", "true",
		"REPLACE_WITH_TOKEN", "dummy-token"} {
		if !IsPlaceholder(v) {
			t.Errorf("IsPlaceholder(%q) = false, want true", v)
		}
	}
	for _, v := range []string{"hunter22", "$ecretP4ss!", fake(alnums, 20), "Tr0ub4dor&3"} {
		if IsPlaceholder(v) {
			t.Errorf("IsPlaceholder(%q) = true, want false", v)
		}
	}
}

func TestEntropy(t *testing.T) {
	tests := []struct {
		s        string
		min, max float64
	}{
		{"", 0, 0},
		{"aaaaaaaa", 0, 0},
		{"abababab", 1, 1},
		{"abcdefgh", 3, 3},
		{fake(alnums, 64), 5, 6},
	}
	for _, tt := range tests {
		if got := Entropy(tt.s); got < tt.min-1e-9 || got > tt.max+1e-9 {
			t.Errorf("Entropy(%q) = %.3f, want between %.1f and %.1f", tt.s, got, tt.min, tt.max)
		}
	}
}

func FuzzText(f *testing.F) {
	f.Add("password = \"" + fake(alnums, 16) + "\"")
	f.Add("postgres://u:" + fake(alnums, 12) + "@h/db")
	f.Add("-----BEGIN " + "PRIVATE KEY-----\n" + fake(alnums, 40))
	f.Add("sk" + "_live_" + fake(alnums, 24) + " AK" + "IA" + fake(upper, 16))
	f.Add(strings.Repeat("key: '", 50))
	f.Fuzz(func(t *testing.T, text string) {
		last := -1
		for _, m := range Text(text) {
			if m.Start < 0 || m.End > len(text) || m.Start >= m.End {
				t.Fatalf("match %+v outside text of %d bytes", m, len(text))
			}
			if m.Start < last {
				t.Fatalf("matches overlap or are out of order: %+v", m)
			}
			last = m.End
			if m.Kind == "" || m.Description == "" {
				t.Fatalf("match without kind or description: %+v", m)
			}
		}
	})
}

func FuzzValue(f *testing.F) {
	f.Add("DB_PASSWORD", "hunter22")
	f.Add("API_KEY", fake(alnums, 30))
	f.Add("URL", "https://u:p4ssw0rd!@example.com")
	f.Fuzz(func(t *testing.T, name, value string) {
		m, ok := Value(name, value)
		if !ok {
			return
		}
		if m.Start < 0 || m.End > len(value) || m.Start >= m.End {
			t.Fatalf("match %+v outside value of %d bytes", m, len(value))
		}
		if IsPlaceholder(m.Secret(value)) && m.Kind != "private-key" && m.Kind != "slack-webhook" {
			t.Fatalf("reported a placeholder as a %s: %q", m.Kind, m.Secret(value))
		}
	})
}

func BenchmarkText(b *testing.B) {
	var sb strings.Builder
	for i := 0; sb.Len() < 64<<10; i++ {
		sb.WriteString("def step_" + fake(lower, 6) + "(event):\n    table = boto3.resource('dynamodb').Table(os.environ['TABLE'])\n")
		sb.WriteString("    return {'statusCode': 200, 'body': json.dumps({'id': event['id']})}\n")
	}
	text := sb.String()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		Text(text)
	}
}
