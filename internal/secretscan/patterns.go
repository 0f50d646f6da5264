package secretscan

import (
	"cmp"
	"regexp"
	"slices"
	"strings"
)

// pattern is one recognisable credential format.
type pattern struct {
	kind, desc string
	// hints are lowercase fragments one of which the text must contain for
	// the pattern to be tried: a cheap filter before the regular expression.
	hints []string
	re    *regexp.Regexp
	group int // the submatch that is the secret; 0 is the whole match
	// edge lists the characters that may not touch the secret on either
	// side: a key format matched inside a longer run of the same alphabet
	// is not that key.
	edge  string
	valid func(secret string) bool
}

// Alphabets for pattern edges.
const (
	alnum       = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	tokenChars  = alnum + "_-"
	base64Chars = alnum + "+/="
)

// patterns are the formats Value and Text recognise, most specific first:
// when two overlap, the earlier one names the secret.
var patterns = []pattern{
	{kind: "aws-access-key-id", desc: "AWS access key ID", hints: []string{"akia", "asia", "abia", "acca"},
		re: regexp.MustCompile(`(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}`), edge: alnum, valid: notExample},
	{kind: "aws-secret-access-key", desc: "AWS secret access key", hints: []string{"secret"},
		re:    regexp.MustCompile(`(?i)secret_?access_?key["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})`),
		group: 1, edge: base64Chars, valid: func(s string) bool { return mixedCase(s) && notExample(s) }},
	{kind: "gcp-api-key", desc: "Google API key", hints: []string{"aiza"},
		re: regexp.MustCompile(`AIza[0-9A-Za-z_-]{35}`), edge: tokenChars},
	{kind: "gcp-oauth-client-secret", desc: "Google OAuth client secret", hints: []string{"gocspx-"},
		re: regexp.MustCompile(`GOCSPX-[0-9A-Za-z_-]{28}`), edge: tokenChars},
	{kind: "azure-storage-account-key", desc: "Azure storage account key", hints: []string{"accountkey="},
		re: regexp.MustCompile(`AccountKey=([A-Za-z0-9+/]{86}==)`), group: 1, edge: base64Chars},
	{kind: "azure-shared-access-key", desc: "Azure shared access key", hints: []string{"sharedaccesskey="},
		re: regexp.MustCompile(`SharedAccessKey=([A-Za-z0-9+/]{42,43}=)`), group: 1, edge: base64Chars},
	{kind: "azure-client-secret", desc: "Azure AD client secret", hints: []string{"q~"},
		re: regexp.MustCompile(`[A-Za-z0-9_~.-]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}`), edge: tokenChars + "~."},
	{kind: "github-token", desc: "GitHub token", hints: []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_"},
		re: regexp.MustCompile(`gh[pousr]_[A-Za-z0-9]{36,251}`), edge: alnum + "_"},
	{kind: "github-token", desc: "GitHub fine-grained token", hints: []string{"github_pat_"},
		re: regexp.MustCompile(`github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}`), edge: alnum + "_"},
	{kind: "gitlab-token", desc: "GitLab token", hints: []string{"gl"},
		re: regexp.MustCompile(`gl(?:pat|dt|ptt|rt|cbt|oas|soat|ft|imt)-[A-Za-z0-9_-]{20,}`), edge: tokenChars},
	{kind: "slack-token", desc: "Slack token", hints: []string{"xox"},
		re: regexp.MustCompile(`xox[abposre]-[0-9]{6,}-[A-Za-z0-9-]{10,}`), edge: tokenChars},
	{kind: "slack-token", desc: "Slack app token", hints: []string{"xapp-"},
		re: regexp.MustCompile(`xapp-[0-9]-[A-Z0-9]{8,}-[0-9]{6,}-[a-f0-9]{32,}`), edge: tokenChars},
	{kind: "slack-webhook", desc: "Slack webhook URL", hints: []string{"hooks.slack.com"},
		re: regexp.MustCompile(`https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/+-]{20,}`), edge: tokenChars + "/+"},
	{kind: "stripe-secret-key", desc: "Stripe secret key", hints: []string{"sk_live_", "sk_test_", "rk_live_", "rk_test_"},
		re: regexp.MustCompile(`(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}`), edge: tokenChars},
	{kind: "stripe-webhook-secret", desc: "Stripe webhook signing secret", hints: []string{"whsec_"},
		re: regexp.MustCompile(`whsec_[A-Za-z0-9+/]{32,}`), edge: tokenChars},
	{kind: "twilio-api-key", desc: "Twilio API key", hints: []string{"sk"},
		re: regexp.MustCompile(`SK[0-9a-f]{32}`), edge: alnum},
	{kind: "sendgrid-api-key", desc: "SendGrid API key", hints: []string{"sg."},
		re: regexp.MustCompile(`SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}`), edge: tokenChars},
	{kind: "npm-token", desc: "npm access token", hints: []string{"npm_"},
		re: regexp.MustCompile(`npm_[A-Za-z0-9]{36}`), edge: alnum + "_"},
	{kind: "pypi-token", desc: "PyPI upload token", hints: []string{"pypi-"},
		re: regexp.MustCompile(`pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}`), edge: tokenChars},
	{kind: "anthropic-api-key", desc: "Anthropic API key", hints: []string{"sk-ant-"},
		re: regexp.MustCompile(`sk-ant-(?:api|admin)[0-9]{2}-[A-Za-z0-9_-]{80,}`), edge: tokenChars},
	{kind: "openai-api-key", desc: "OpenAI API key", hints: []string{"t3blbkfj"},
		re: regexp.MustCompile(`sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{16,}T3BlbkFJ[A-Za-z0-9_-]{16,}`), edge: tokenChars},
	{kind: "openai-api-key", desc: "OpenAI API key", hints: []string{"sk-proj-", "sk-svcacct-", "sk-admin-"},
		re: regexp.MustCompile(`sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}`), edge: tokenChars},
	{kind: "huggingface-token", desc: "Hugging Face token", hints: []string{"hf_"},
		re: regexp.MustCompile(`hf_[A-Za-z]{34}`), edge: alnum + "_"},
	{kind: "digitalocean-token", desc: "DigitalOcean token", hints: []string{"_v1_"},
		re: regexp.MustCompile(`do[opr]_v1_[a-f0-9]{64}`), edge: alnum + "_"},
	{kind: "shopify-token", desc: "Shopify access token", hints: []string{"shpat_", "shpca_", "shppa_", "shpss_"},
		re: regexp.MustCompile(`shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}`), edge: alnum + "_"},
	{kind: "telegram-bot-token", desc: "Telegram bot token", hints: []string{":aa"},
		re: regexp.MustCompile(`[0-9]{8,10}:AA[0-9A-Za-z_-]{33}`), edge: tokenChars},
	{kind: "private-key", desc: "private key", hints: []string{"private key"},
		re: regexp.MustCompile(`-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----`)},
	{kind: "jwt", desc: "JSON web token", hints: []string{"eyj"},
		re: regexp.MustCompile(`eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{16,}`), edge: tokenChars + "."},
	{kind: "url-password", desc: "password in a URL", hints: []string{"://"},
		re:    regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]{1,19}://[^\s:/?#@'"]{1,128}:([^\s/?#@'"]{1,128})@[A-Za-z0-9.$\[-]`),
		group: 1, valid: usablePassword},
	{kind: "connection-string-password", desc: "password in a connection string", hints: []string{"password=", "pwd="},
		re:    regexp.MustCompile(`(?i)(?:^|[;"'])\s*(?:password|pwd)=([^;'"\s]{3,})`),
		group: 1, valid: usablePassword},
	{kind: "bearer-token", desc: "bearer token", hints: []string{"bearer"},
		re:    regexp.MustCompile(`(?i)bearer\s+([A-Za-z0-9._~+/-]{20,}=*)`),
		group: 1, edge: tokenChars + "._~+/", valid: func(s string) bool { return !IsPlaceholder(s) && Entropy(s) >= 3.5 }},
}

// patternMatches returns the non-overlapping provider-format matches in
// text, in text order.
func patternMatches(text string) []Match {
	if len(text) < 8 {
		return nil
	}
	lower := strings.ToLower(text)
	type found struct {
		Match
		rank int
	}
	var all []found
	for rank, p := range patterns {
		if !slices.ContainsFunc(p.hints, func(h string) bool { return strings.Contains(lower, h) }) {
			continue
		}
		for _, loc := range p.re.FindAllStringSubmatchIndex(text, -1) {
			start, end := loc[2*p.group], loc[2*p.group+1]
			if start < 0 || !p.bounded(text, start, end) {
				continue
			}
			if p.kind == "private-key" {
				end = privateKeyEnd(text, end)
				if end < 0 {
					continue
				}
			}
			if p.valid != nil && !p.valid(text[start:end]) {
				continue
			}
			all = append(all, found{Match{Kind: p.kind, Description: p.desc, Start: start, End: end}, rank})
		}
	}
	slices.SortFunc(all, func(a, b found) int {
		return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(a.rank, b.rank), cmp.Compare(b.End, a.End))
	})
	var out []Match
	for _, f := range all {
		if !overlapsAny(out, f.Start, f.End) {
			out = append(out, f.Match)
		}
	}
	return out
}

// bounded reports whether the secret at text[start:end] is not part of a
// longer run of its own alphabet. A secret taken from a submatch follows its
// own label (AccountKey=...), so only its end is checked.
func (p *pattern) bounded(text string, start, end int) bool {
	if p.edge == "" {
		return true
	}
	if p.group == 0 && start > 0 && strings.IndexByte(p.edge, text[start-1]) >= 0 {
		return false
	}
	return end >= len(text) || strings.IndexByte(p.edge, text[end]) < 0
}

// privateKeyEnd returns where the private key whose header ends at
// headerEnd ends: after its END line when there is one. A header followed by
// no key material (documentation, a truncated example) returns -1.
func privateKeyEnd(text string, headerEnd int) int {
	rest := text[headerEnd:]
	var body string
	var end int
	if i := strings.Index(rest, "-----END "); i >= 0 {
		body = rest[:i]
		if j := strings.Index(rest[i+len("-----END "):], "-----"); j >= 0 {
			end = headerEnd + i + len("-----END ") + j + len("-----")
		} else {
			end = headerEnd + i
		}
	} else {
		end = headerEnd + min(len(rest), 64)
		body = text[headerEnd:end]
	}
	material := 0
	for i := 0; i < len(body); i++ {
		if strings.IndexByte(base64Chars, body[i]) >= 0 {
			material++
		}
	}
	if material < 32 {
		return -1
	}
	return end
}

// notExample rejects the example keys of AWS documentation
// (AKIAIOSFODNN7EXAMPLE, wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY).
func notExample(s string) bool { return !strings.Contains(s, "EXAMPLE") }

// mixedCase reports whether s has uppercase letters, lowercase letters and
// digits, as generated keys do and words and hex digests do not.
func mixedCase(s string) bool {
	var up, low, dig bool
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isUpper(c):
			up = true
		case isLower(c):
			low = true
		case isDigit(c):
			dig = true
		}
	}
	return up && low && dig
}

// usablePassword rejects the password part of a URL or connection string
// when it is a placeholder or a template variable (${DB_PASS}, {password},
// %s) rather than a password.
func usablePassword(s string) bool {
	return len(s) >= 3 && !IsPlaceholder(s) && !strings.ContainsAny(s, "{}<>") &&
		!strings.Contains(s, "%s") && !strings.Contains(s, "%v") && !strings.HasPrefix(s, "$")
}

// awsSecretKeyByName recognises an AWS secret access key by its name
// (AWS_SECRET_ACCESS_KEY, awsSecretKey) and its shape: 40 characters of
// base64 with mixed case and digits.
func awsSecretKeyByName(name, value string) (Match, bool) {
	words := splitWords(name)
	if !slices.Contains(words, "secret") || !(slices.Contains(words, "aws") || slices.Contains(words, "access")) {
		return Match{}, false
	}
	start, end := trimSpan(value)
	v := value[start:end]
	if len(v) != 40 || strings.Trim(v, base64Chars) != "" || strings.HasSuffix(v, "=") || !mixedCase(v) || !notExample(v) {
		return Match{}, false
	}
	return Match{Kind: "aws-secret-access-key", Description: "AWS secret access key", Name: name, Start: start, End: end}, true
}

// assignmentPattern finds quoted literals assigned to a name in source code
// and configuration: name = "v", name: 'v', "name": "v", name := "v",
// name => "v", name == "v".
var assignmentPattern = regexp.MustCompile(`([A-Za-z_$][A-Za-z0-9_.$-]{0,80})["']?\s*(?:==|:=|=>|[:=])\s*[rbuRB]{0,2}(["'` + "`" + `])([^"'` + "`" + `\r\n\\]{1,400})(["'` + "`" + `])`)

// assignmentsIn returns the quoted literals assigned to names in text, as
// matches that carry the name and the literal's span. It looks line by line,
// and only at lines that mention a secret-like word, since most assignments
// in code have nothing to do with secrets.
func assignmentsIn(text string) []Match {
	var out []Match
	for start := 0; start < len(text); {
		end := strings.IndexByte(text[start:], '\n')
		if end < 0 {
			end = len(text)
		} else {
			end += start
		}
		line := text[start:end]
		if strings.ContainsAny(line, `"'`+"`") && mentionsSecret(line) {
			for _, loc := range assignmentPattern.FindAllStringSubmatchIndex(line, -1) {
				if line[loc[4]:loc[5]] != line[loc[8]:loc[9]] { // the literal must close with the quote it opened with
					continue
				}
				out = append(out, Match{Name: line[loc[2]:loc[3]], Start: start + loc[6], End: start + loc[7]})
			}
		}
		start = end + 1
	}
	return out
}

// secretFragments are the pieces of every secret-like name (see nameClass),
// for a quick test of whether a line can hold an assignment to one.
var secretFragments = []string{"pass", "pwd", "pw", "secret", "token", "key", "cred", "auth", "bearer"}

func mentionsSecret(line string) bool {
	lower := strings.ToLower(line)
	for _, f := range secretFragments {
		if strings.Contains(lower, f) {
			return true
		}
	}
	return false
}
