package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bulwark-sec/bulwark/internal/inventory"
	"github.com/bulwark-sec/bulwark/internal/load"
	"github.com/bulwark-sec/bulwark/internal/ruledoc"
	"github.com/bulwark-sec/bulwark/internal/rules"
)

func runInventory(env Env, args []string) int {
	fs := newFlagSet(env, "inventory", "[paths...]", "Print each function with its role and policy statements, the routes and event sources that reach it, its environment variable names and network placement.")
	format := fs.String("format", "text", "output format: text or json")
	showValues := fs.Bool("show-values", false, "print environment variable values (redacted by default)")
	params := paramFlag{}
	fs.Var(params, "parameter", "template parameter value NAME=VALUE (repeatable)")
	var paramFiles listFlag
	fs.Var(&paramFiles, "parameter-file", "CloudFormation parameters JSON or samconfig file (repeatable)")
	paths, err := parse(fs, args)
	if err != nil {
		return usageError(env, err)
	}
	if *format != "text" && *format != "json" {
		return usageError(env, fmt.Errorf("--format: want text or json, got %q", *format))
	}
	if len(paths) == 0 {
		paths = []string{"."}
	}
	values := map[string]string{}
	for _, pf := range paramFiles {
		v, err := readParameterFile(pf)
		if err != nil {
			return usageError(env, err)
		}
		for k, val := range v {
			values[k] = val
		}
	}
	for k, v := range params {
		values[k] = v
	}
	res, err := load.Paths(paths, load.Options{Parameters: values})
	if err != nil {
		return usageError(env, err)
	}
	for _, e := range res.Errors {
		fmt.Fprintf(env.Stderr, "error: %v\n", e)
	}
	inv := inventory.Build(res.App, inventory.Options{ShowValues: *showValues})
	if *format == "json" {
		data, err := inv.JSON()
		if err != nil {
			return usageError(env, err)
		}
		env.Stdout.Write(data)
	} else {
		for _, w := range res.Warnings {
			fmt.Fprintf(env.Stderr, "warning: %v\n", w)
		}
		if err := inv.WriteText(env.Stdout); err != nil {
			return usageError(env, err)
		}
	}
	if len(res.Errors) > 0 {
		return ExitUsage
	}
	return ExitClean
}

func runRules(env Env, args []string) int {
	fs := newFlagSet(env, "rules", "", "List every rule with its ID, default severity and what it flags.")
	if _, err := parse(fs, args); err != nil {
		return usageError(env, err)
	}
	for _, r := range rules.All() {
		fmt.Fprintf(env.Stdout, "%s  %-8s  %-34s %s\n", r.ID, r.Severity, r.Name, r.Title)
	}
	return ExitClean
}

func runExplain(env Env, args []string) int {
	fs := newFlagSet(env, "explain", "RULE", "Print a rule's documentation: why it matters, how to fix it, a fixed example.")
	ids, err := parse(fs, args)
	if err != nil {
		return usageError(env, err)
	}
	if len(ids) != 1 {
		return usageError(env, fmt.Errorf("explain takes one rule ID, such as BW101"))
	}
	r := rules.ByID(ids[0])
	if r == nil {
		return usageError(env, fmt.Errorf("unknown rule %q (see `bulwark rules`)", ids[0]))
	}
	fmt.Fprint(env.Stdout, ruledoc.Markdown(r))
	return ExitClean
}

func runDocs(env Env, args []string) int {
	fs := newFlagSet(env, "docs", "DIR", "Write the rule reference (one Markdown file per rule and an index) into DIR, removing stale files.")
	dirs, err := parse(fs, args)
	if err != nil {
		return usageError(env, err)
	}
	if len(dirs) != 1 {
		return usageError(env, fmt.Errorf("docs takes one folder, such as docs/rules"))
	}
	dir := dirs[0]
	files := ruledoc.Files(rules.All())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return usageError(env, err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if _, keep := files[e.Name()]; !keep && strings.HasSuffix(e.Name(), ".md") {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(files[n]), 0o644); err != nil {
			return usageError(env, err)
		}
	}
	fmt.Fprintf(env.Stderr, "bulwark: wrote %d files to %s\n", len(names), dir)
	return ExitClean
}
