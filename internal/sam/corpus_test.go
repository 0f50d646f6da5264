package sam

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/bulwark-sec/bulwark/internal/source"
)

// The SAM project's own translator tests pair each input template with the
// CloudFormation its transform produces. TestTransformMatchesSAMGoldenOutputs
// transforms every input and compares the security-relevant resources with
// the golden output; it never runs SAM itself.

const samCorpus = "../../../shared/corpus/serverless-application-model/tests/translator"

// corpusOptions are the settings SAM's test suite runs with.
var corpusOptions = Options{Partition: "aws", Parameters: map[string]string{"AWS::Region": "us-east-1"}}

// minMatchRate is the share of non-error cases that must match.
const minMatchRate = 0.97

func corpusInputs(tb testing.TB) []string {
	tb.Helper()
	if _, err := os.Stat(filepath.Join(samCorpus, "input")); err != nil {
		tb.Skipf("SAM translator corpus not found at %s (needs ../shared/corpus): %v", samCorpus, err)
	}
	inputs, err := filepath.Glob(filepath.Join(samCorpus, "input", "*.yaml"))
	if err != nil || len(inputs) == 0 {
		tb.Fatalf("no inputs in %s: %v", samCorpus, err)
	}
	sort.Strings(inputs)
	return inputs
}

func readKnownDifferences(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open("testdata/known_differences.txt")
	if err != nil {
		t.Fatalf("reading known differences: %v", err)
	}
	defer f.Close()
	known := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, reason, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(reason) == "" {
			t.Fatalf("known_differences.txt: %q needs the form 'case: reason'", line)
		}
		known[strings.TrimSpace(name)] = strings.TrimSpace(reason)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading known differences: %v", err)
	}
	return known
}

func TestTransformMatchesSAMGoldenOutputs(t *testing.T) {
	inputs := corpusInputs(t)
	known := readKnownDifferences(t)
	matched, total := 0, 0
	var unexpected, stale []string
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".yaml")
		problem := checkCorpusCase(in, name)
		_, listed := known[name]
		if !strings.HasPrefix(name, "error_") {
			total++
			if problem == "" {
				matched++
			}
		}
		switch {
		case problem != "" && !listed:
			unexpected = append(unexpected, name+": "+problem)
		case problem == "" && listed:
			stale = append(stale, name)
		}
	}
	rate := float64(matched) / float64(total)
	t.Logf("SAM golden outputs: %d of %d non-error cases match (%.1f%%); %d cases listed as known differences",
		matched, total, 100*rate, len(known))
	for _, u := range unexpected {
		t.Errorf("unlisted difference: %s", u)
	}
	for _, s := range stale {
		t.Errorf("%s now matches: remove it from testdata/known_differences.txt", s)
	}
	if rate < minMatchRate {
		t.Errorf("match rate %.1f%% is below the %.0f%% target", 100*rate, 100*minMatchRate)
	}
}

// checkCorpusCase transforms one input and returns "" when it agrees with
// SAM, or a short description of the first differences.
func checkCorpusCase(path, name string) (problem string) {
	defer func() {
		if p := recover(); p != nil {
			problem = fmt.Sprintf("panic: %v", p)
		}
	}()
	doc, err := source.ReadFile(path, source.Limits{})
	if err != nil {
		return "parse: " + err.Error()
	}
	res, err := Transform(doc.Root, corpusOptions)
	if strings.HasPrefix(name, "error_") {
		// SAM rejects these templates. The transform must say so, positioned,
		// and only fail for problems with the template as a whole.
		if err != nil {
			var se *source.Error
			if !errors.As(err, &se) || !se.Pos.IsValid() {
				return "error without a position: " + err.Error()
			}
			if !isWholeTemplateProblem(se.Msg) {
				return "failed, want warnings for a problem confined to part of the template: " + firstLine(se.Msg)
			}
			return ""
		}
		for _, w := range res.Warnings {
			if w.Pos.IsValid() {
				return ""
			}
		}
		return "SAM rejects this template; the transform accepted it without a positioned warning"
	}
	if err != nil {
		return "transform failed: " + firstLine(err.Error())
	}
	raw, err := os.ReadFile(filepath.Join(samCorpus, "output", name+".json"))
	if err != nil {
		return "no golden output: " + err.Error()
	}
	var golden any
	if err := json.Unmarshal(raw, &golden); err != nil {
		return "golden output: " + err.Error()
	}
	// SAM's own test suite compares with every list sorted, and some golden
	// files were written that way; the comparison does the same.
	want := securityView(sortLists(golden))
	got := securityView(sortLists(plain(res.Template)))
	return diffViews(want, got)
}

// isWholeTemplateProblem reports whether msg is one of the problems that
// still fail a transform (see TestWholeTemplateProblemsRemainErrors).
func isWholeTemplateProblem(msg string) bool {
	for _, m := range []string{"'Resources' section is required", "'Globals' section is invalid. It must be",
		"'Globals' section is invalid. Value of"} {
		if strings.HasPrefix(msg, m) {
			return true
		}
	}
	return false
}

// sortLists returns v with the items of every list in a canonical order.
func sortLists(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, val := range x {
			m[k] = sortLists(val)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, val := range x {
			l[i] = sortLists(val)
		}
		sort.SliceStable(l, func(i, j int) bool {
			a, _ := json.Marshal(l[i])
			b, _ := json.Marshal(l[j])
			return string(a) < string(b)
		})
		return l
	}
	return v
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// plain converts a tree to the values encoding/json produces.
func plain(n *source.Node) any {
	switch n.Kind {
	case source.Map:
		m := make(map[string]any, len(n.Fields))
		for _, f := range n.Fields {
			m[f.Key] = plain(f.Value)
		}
		return m
	case source.Seq:
		l := make([]any, len(n.Items))
		for i, it := range n.Items {
			l[i] = plain(it)
		}
		return l
	case source.Bool:
		return n.Value == "true" || n.Value == "True"
	case source.Number:
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil {
			return f
		}
		return n.Value
	case source.Null:
		return nil
	}
	return n.Value
}

// hashedTypes are resources whose logical IDs end in a content hash. The
// comparison drops the hash, here and in every reference to them.
var hashedTypes = map[string]bool{
	"AWS::Lambda::Version":        true,
	"AWS::ApiGateway::Deployment": true,
	"AWS::Lambda::LayerVersion":   true,
}

var hashSuffix = regexp.MustCompile(`[0-9a-f]{10}$`)

// view is what the comparison looks at: per resource (by normalized logical
// ID) the security-relevant values.
type view map[string]any

func securityView(tmpl any) view {
	root, _ := tmpl.(map[string]any)
	resources, _ := root["Resources"].(map[string]any)
	rename := map[string]string{}
	for id, r := range resources {
		res, _ := r.(map[string]any)
		typ, _ := res["Type"].(string)
		if hashedTypes[typ] && hashSuffix.MatchString(id) {
			rename[id] = id[:len(id)-10] + "<hash>"
		}
	}
	norm := func(v any) any { return renameRefs(v, rename) }
	out := view{}
	for id, r := range resources {
		res, _ := r.(map[string]any)
		typ, _ := res["Type"].(string)
		props, _ := res["Properties"].(map[string]any)
		key := id
		if n, ok := rename[id]; ok {
			key = n
		}
		pick := func(names ...string) map[string]any {
			m := map[string]any{}
			for _, n := range names {
				if v, ok := props[n]; ok {
					m[n] = norm(v)
				}
			}
			return m
		}
		var facts map[string]any
		switch typ {
		case "AWS::Lambda::Function":
			facts = pick("Role", "VpcConfig", "TracingConfig", "DeadLetterConfig", "KmsKeyArn", "Layers",
				"CodeSigningConfigArn", "Runtime")
			facts["EnvironmentVariables"] = envNames(props["Environment"])
		case "AWS::IAM::Role":
			facts = pick("AssumeRolePolicyDocument", "ManagedPolicyArns", "Policies", "PermissionsBoundary")
		case "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy":
			facts = pick("PolicyDocument", "Roles")
		case "AWS::Lambda::Permission":
			facts = pick("Action", "Principal", "SourceArn", "SourceAccount", "FunctionName", "FunctionUrlAuthType",
				"InvokedViaFunctionUrl", "EventSourceToken")
		case "AWS::Lambda::Url":
			facts = pick("AuthType", "TargetFunctionArn")
		case "AWS::Lambda::EventSourceMapping":
			facts = pick("FunctionName", "EventSourceArn", "SourceAccessConfigurations", "DestinationConfig",
				"SelfManagedEventSource", "FilterCriteria", "KmsKeyArn", "Enabled")
		case "AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api":
			facts = pick("BodyS3Location", "Policy", "ProtocolType")
			if body, ok := props["Body"].(map[string]any); ok {
				facts["Routes"] = norm(routes(body))
				facts["Authorizers"] = norm(securitySchemes(body))
				facts["ResourcePolicy"] = norm(body["x-amazon-apigateway-policy"])
			}
		case "AWS::ApiGateway::Stage":
			facts = pick("RestApiId", "StageName", "DeploymentId", "MethodSettings", "AccessLogSetting", "TracingEnabled")
		case "AWS::ApiGatewayV2::Stage":
			facts = pick("ApiId", "StageName", "AccessLogSettings", "DefaultRouteSettings", "RouteSettings")
		case "AWS::ApiGatewayV2::Route":
			facts = pick("RouteKey", "AuthorizationType", "AuthorizerId", "ApiKeyRequired", "Target")
		case "AWS::ApiGatewayV2::Authorizer":
			facts = pick("AuthorizerType", "AuthorizerUri", "IdentitySource", "AuthorizerCredentialsArn")
		case "AWS::SQS::QueuePolicy":
			facts = pick("PolicyDocument", "Queues")
		case "AWS::SNS::TopicPolicy":
			facts = pick("PolicyDocument", "Topics")
		case "AWS::StepFunctions::StateMachine":
			facts = pick("RoleArn")
		case "AWS::Events::Rule":
			facts = map[string]any{"Targets": norm(targets(props["Targets"]))}
		case "AWS::Scheduler::Schedule":
			facts = map[string]any{"Targets": norm(targets([]any{props["Target"]}))}
		case "AWS::SNS::Subscription":
			facts = pick("Endpoint", "Protocol", "TopicArn")
		case "AWS::AppSync::GraphQLApi":
			facts = pick("AuthenticationType", "AdditionalAuthenticationProviders", "LambdaAuthorizerConfig",
				"OpenIDConnectConfig", "UserPoolConfig", "LogConfig")
		case "AWS::AppSync::DataSource":
			facts = pick("ServiceRoleArn")
		case "AWS::ApiGateway::DomainName", "AWS::ApiGateway::DomainNameV2":
			facts = pick("SecurityPolicy", "MutualTlsAuthentication", "EndpointConfiguration")
		case "AWS::ApiGatewayV2::DomainName":
			facts = pick("DomainNameConfigurations", "MutualTlsAuthentication")
		default:
			// Every other resource is compared by presence, type and condition.
			facts = map[string]any{}
		}
		facts["Condition"] = res["Condition"]
		out[key+" ("+typ+")"] = facts
	}
	return out
}

// targets keeps what a rule or schedule target grants: what it invokes and
// with which role.
func targets(v any) any {
	list, ok := v.([]any)
	if !ok {
		return v
	}
	out := make([]any, 0, len(list))
	for _, t := range list {
		m, ok := t.(map[string]any)
		if !ok {
			out = append(out, t)
			continue
		}
		out = append(out, map[string]any{"Arn": m["Arn"], "RoleArn": m["RoleArn"]})
	}
	return out
}

func envNames(env any) any {
	m, ok := env.(map[string]any)
	if !ok {
		return env
	}
	vars, ok := m["Variables"].(map[string]any)
	if !ok {
		return m["Variables"]
	}
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// routes flattens an API definition into "path METHOD" -> the method's
// security and integration, across Fn::If branches.
func routes(body map[string]any) map[string]any {
	out := map[string]any{}
	paths, _ := body["paths"].(map[string]any)
	for path, item := range paths {
		for bi, branch := range ifBranches(item) {
			methods, _ := branch.(map[string]any)
			for method, def := range methods {
				for di, d := range ifBranches(def) {
					op, ok := d.(map[string]any)
					if !ok {
						continue
					}
					key := fmt.Sprintf("%s %s", path, method)
					if bi > 0 || di > 0 {
						key += fmt.Sprintf(" (branch %d/%d)", bi, di)
					}
					integration, _ := op["x-amazon-apigateway-integration"].(map[string]any)
					out[key] = map[string]any{
						"security":    op["security"],
						"type":        integration["type"],
						"uri":         integration["uri"],
						"credentials": integration["credentials"],
					}
				}
			}
		}
	}
	return out
}

func ifBranches(v any) []any {
	if m, ok := v.(map[string]any); ok && len(m) == 1 {
		if args, ok := m["Fn::If"].([]any); ok && len(args) == 3 {
			var out []any
			for _, b := range args[1:] {
				if r, ok := b.(map[string]any); ok && len(r) == 1 && r["Ref"] == "AWS::NoValue" {
					continue
				}
				out = append(out, b)
			}
			return out
		}
	}
	return []any{v}
}

func securitySchemes(body map[string]any) any {
	if defs, ok := body["securityDefinitions"]; ok {
		return defs
	}
	if comps, ok := body["components"].(map[string]any); ok {
		return comps["securitySchemes"]
	}
	return nil
}

// renameRefs replaces hashed logical IDs in references with their
// normalized names.
func renameRefs(v any, rename map[string]string) any {
	if len(rename) == 0 {
		return v
	}
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, val := range x {
			m[k] = renameRefs(val, rename)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, val := range x {
			l[i] = renameRefs(val, rename)
		}
		return l
	case string:
		if n, ok := rename[x]; ok {
			return n
		}
		for old, n := range rename {
			if strings.Contains(x, "${"+old) {
				x = strings.ReplaceAll(x, "${"+old, "${"+n)
			}
		}
		return x
	}
	return v
}

func diffViews(want, got view) string {
	var problems []string
	keys := map[string]bool{}
	for k := range want {
		keys[k] = true
	}
	for k := range got {
		keys[k] = true
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		w, inWant := want[k]
		g, inGot := got[k]
		switch {
		case !inGot:
			problems = append(problems, "missing "+k)
		case !inWant:
			problems = append(problems, "extra "+k)
		case !reflect.DeepEqual(w, g):
			wm, gm := w.(map[string]any), g.(map[string]any)
			for field := range union(wm, gm) {
				if !reflect.DeepEqual(wm[field], gm[field]) {
					wj, _ := json.Marshal(wm[field])
					gj, _ := json.Marshal(gm[field])
					problems = append(problems, fmt.Sprintf("%s.%s: want %s, got %s", k, field, clip(string(wj)), clip(string(gj))))
				}
			}
		}
	}
	if len(problems) == 0 {
		return ""
	}
	sort.Strings(problems)
	if len(problems) > 4 {
		problems = append(problems[:4], fmt.Sprintf("(%d more)", len(problems)-4))
	}
	return strings.Join(problems, "; ")
}

func union(a, b map[string]any) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

func clip(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}
