package inventory_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/bulwark-sec/bulwark/internal/inventory"
	"github.com/bulwark-sec/bulwark/internal/load"
)

const translatorDir = "../../../shared/corpus/serverless-application-model/tests/translator"

// securityView is what the SAM oracle compares: the security-relevant fields
// of each function, without positions (which differ by design: the input
// inventory points at the SAM lines, the output one at generated JSON).
type securityView struct {
	RoleStatements  []string
	ManagedPolicies []string
	Boundary        string
	Routes          []string
	URLAuth         []string
	Permissions     []string
	Environment     []string
	VPC             string
	Tracing         string
	DeadLetter      string
}

func view(inv *inventory.Inventory) map[string]securityView {
	out := map[string]securityView{}
	for _, f := range inv.Functions {
		var v securityView
		if r := f.Role; r != nil {
			for _, p := range r.Policies {
				for _, s := range p.Statements {
					v.RoleStatements = append(v.RoleStatements, canonical(s))
				}
			}
			v.ManagedPolicies = slices.Clone(r.ManagedPolicies)
			v.Boundary = r.PermissionsBoundary
		}
		for _, r := range f.Routes {
			v.Routes = append(v.Routes, fmt.Sprintf("%s %s %s %s auth=%s key=%v", r.API, r.Kind, r.Method, r.Path, r.Auth, r.APIKeyRequired))
		}
		for _, u := range f.URLs {
			v.URLAuth = append(v.URLAuth, u.AuthType)
		}
		for _, p := range f.Permissions {
			v.Permissions = append(v.Permissions, p.Principal+" "+p.Action+" "+p.SourceArn+" "+p.SourceAccount)
		}
		for _, e := range f.Environment {
			v.Environment = append(v.Environment, e.Name)
		}
		if f.VPC != nil {
			v.VPC = strings.Join(f.VPC.Subnets, ",") + "|" + strings.Join(f.VPC.SecurityGroups, ",")
		}
		v.Tracing, v.DeadLetter = f.Tracing, f.DeadLetter
		for _, l := range [][]string{v.RoleStatements, v.ManagedPolicies, v.Routes, v.URLAuth, v.Permissions, v.Environment} {
			sort.Strings(l)
		}
		out[f.Name] = v
	}
	return out
}

// unsorted returns a copy of a golden output file with the argument order of
// Fn::Sub and Fn::GetAtt restored. Some golden files are stored with every
// list sorted (SAM's own test harness compares sorted lists), which puts the
// Sub variables before the string and the GetAtt attribute before the
// resource; CloudFormation reads neither. Other list orders do not change
// meaning and are compared order-insensitively (see canonical).
func unsorted(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	resources := map[string]bool{}
	if m, ok := doc.(map[string]any); ok {
		if rs, ok := m["Resources"].(map[string]any); ok {
			for id := range rs {
				resources[id] = true
			}
		}
	}
	var fix func(v any)
	fix = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if args, ok := v["Fn::Sub"].([]any); ok && len(args) == 2 {
				if _, isMap := args[0].(map[string]any); isMap {
					args[0], args[1] = args[1], args[0]
				}
			}
			if args, ok := v["Fn::GetAtt"].([]any); ok && len(args) == 2 {
				a, _ := args[0].(string)
				b, _ := args[1].(string)
				if !resources[a] && resources[b] {
					args[0], args[1] = args[1], args[0]
				}
			}
			for _, x := range v {
				fix(x)
			}
		case []any:
			for _, x := range v {
				fix(x)
			}
		}
	}
	fix(doc)
	out := filepath.Join(t.TempDir(), filepath.Base(path))
	fixed, _ := json.Marshal(doc)
	if err := os.WriteFile(out, fixed, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// canonical renders a policy statement with its lists sorted: the order of
// actions, resources and principals carries no meaning in IAM.
func canonical(v any) string {
	var sortLists func(v any) any
	sortLists = func(v any) any {
		switch v := v.(type) {
		case map[string]any:
			out := make(map[string]any, len(v))
			for k, x := range v {
				out[k] = sortLists(x)
			}
			return out
		case []any:
			items := make([]string, len(v))
			for i, x := range v {
				b, _ := json.Marshal(sortLists(x))
				items[i] = string(b)
			}
			sort.Strings(items)
			out := make([]any, len(items))
			for i, it := range items {
				out[i] = json.RawMessage(it)
			}
			return out
		}
		return v
	}
	b, _ := json.Marshal(sortLists(v))
	return string(b)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func inventoryOf(t *testing.T, path string) (*inventory.Inventory, []string) {
	res, err := load.Paths([]string{path}, load.Options{})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var errs []string
	for _, e := range res.Errors {
		errs = append(errs, e.Error())
	}
	return inventory.Build(res.App, inventory.Options{}), errs
}

// diff describes how two views differ, field by field.
func diff(in, out map[string]securityView) string {
	var b strings.Builder
	names := map[string]bool{}
	for n := range in {
		names[n] = true
	}
	for n := range out {
		names[n] = true
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	for _, n := range sorted {
		a, okA := in[n]
		c, okC := out[n]
		if !okA || !okC {
			fmt.Fprintf(&b, "  function %s: in input=%v, in output=%v\n", n, okA, okC)
			continue
		}
		var fa, fc map[string]any
		ja, _ := json.Marshal(a)
		jc, _ := json.Marshal(c)
		json.Unmarshal(ja, &fa)
		json.Unmarshal(jc, &fc)
		for _, field := range sortedKeys(fa) {
			x, _ := json.Marshal(fa[field])
			y, _ := json.Marshal(fc[field])
			if string(x) != string(y) {
				fmt.Fprintf(&b, "  function %s, %s:\n    from SAM input:  %s\n    from AWS output: %s\n", n, field, x, y)
			}
		}
	}
	return b.String()
}

func knownDifferences(t *testing.T) map[string]string {
	f, err := os.Open(filepath.Join("testdata", "sam_oracle_known_differences.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	known := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, reason, _ := strings.Cut(line, " ")
		if strings.TrimSpace(reason) == "" {
			t.Errorf("known difference %s gives no reason", name)
		}
		known[name] = reason
	}
	return known
}

// TestSAMOracle checks the offline SAM transform against SAM's own golden
// translator tests: for every non-error case, the inventory of the SAM input
// must equal the inventory of AWS's CloudFormation output on the
// security-relevant fields.
func TestSAMOracle(t *testing.T) {
	inputs, _ := filepath.Glob(filepath.Join(translatorDir, "input", "*.yaml"))
	if len(inputs) == 0 {
		t.Skipf("SAM translator tests not found under %s: the oracle needs ../shared/corpus", translatorDir)
	}
	known := knownDifferences(t)
	var total, matched int
	var unexpected []string
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".yaml")
		out := filepath.Join(translatorDir, "output", name+".json")
		if strings.HasPrefix(name, "error_") {
			continue
		}
		if _, err := os.Stat(out); err != nil {
			continue
		}
		total++
		invIn, errsIn := inventoryOf(t, in)
		invOut, errsOut := inventoryOf(t, unsorted(t, out))
		d := diff(view(invIn), view(invOut))
		if len(errsIn) > 0 || len(errsOut) > 0 {
			d += fmt.Sprintf("  errors: input %v output %v\n", errsIn, errsOut)
		}
		_, isKnown := known[name]
		switch {
		case d == "":
			matched++
			if isKnown {
				unexpected = append(unexpected, name+": listed as a known difference but now matches; remove it from the list")
			}
		case !isKnown:
			unexpected = append(unexpected, name+":\n"+d)
		}
	}
	rate := 100 * float64(matched) / float64(total)
	t.Logf("SAM oracle: %d of %d non-error cases match (%.1f%%); %d known differences listed", matched, total, rate, len(known))
	for _, u := range unexpected {
		t.Error(u)
	}
	if rate < 97 {
		t.Errorf("match rate %.1f%% is below the 97%% target", rate)
	}
}

// TestSAMErrorCasesFailCleanly loads every error_ case: each must give a
// positioned error or warning, and none may crash.
func TestSAMErrorCasesFailCleanly(t *testing.T) {
	inputs, _ := filepath.Glob(filepath.Join(translatorDir, "input", "error_*.yaml"))
	if len(inputs) == 0 {
		t.Skipf("SAM translator tests not found under %s", translatorDir)
	}
	var silent []string
	for _, in := range inputs {
		res, err := load.Paths([]string{in}, load.Options{})
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		// The warning about a missing Transform line says nothing about the
		// error the case is about.
		n := len(res.Errors)
		for _, w := range res.Warnings {
			if !strings.Contains(w.Msg, "does not declare Transform") {
				n++
			}
		}
		if n == 0 {
			silent = append(silent, filepath.Base(in))
		}
	}
	t.Logf("%d error cases; %d loaded without any error or warning", len(inputs), len(silent))
	for _, s := range silent {
		t.Errorf("%s: SAM rejects this template, but loading it gave no error or warning", s)
	}
}
