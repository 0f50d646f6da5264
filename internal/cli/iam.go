package cli

import (
	"fmt"

	"github.com/bulwark-sec/bulwark/internal/iam"
	"github.com/bulwark-sec/bulwark/internal/load"
)

func runIAM(env Env, args []string) int {
	fs := newFlagSet(env, "iam", "[paths...]", "Show each function's effective permissions (its blast radius): actions grouped by service and access level, on which resources, and where each was granted.")
	format := fs.String("format", "text", "output format: text or json")
	function := fs.String("function", "", "show only the function with this logical ID")
	params := paramFlag{}
	fs.Var(params, "parameter", "template parameter value NAME=VALUE (repeatable)")
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
	res, err := load.Paths(paths, load.Options{Parameters: params})
	if err != nil {
		return usageError(env, err)
	}
	for _, e := range res.Errors {
		fmt.Fprintf(env.Stderr, "error: %v\n", e)
	}
	view := iam.Report(res.App, iam.ReportOptions{Function: *function})
	if *function != "" && len(view.Functions) == 0 {
		return usageError(env, fmt.Errorf("no function %q in %v", *function, paths))
	}
	if *format == "json" {
		data, err := view.JSON()
		if err != nil {
			return usageError(env, err)
		}
		env.Stdout.Write(data)
	} else if err := view.WriteText(env.Stdout); err != nil {
		return usageError(env, err)
	}
	if len(res.Errors) > 0 {
		return ExitUsage
	}
	return ExitClean
}
