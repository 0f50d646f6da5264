package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bulwark-sec/bulwark/internal/report"
	"github.com/bulwark-sec/bulwark/scan"
)

// outputFlag collects --output FORMAT=FILE.
type outputFlag []output

type output struct{ format, path string }

func (o *outputFlag) String() string { return "" }

func (o *outputFlag) Set(v string) error {
	f, path, ok := strings.Cut(v, "=")
	if !ok || path == "" {
		return fmt.Errorf("want --output FORMAT=FILE, got %q", v)
	}
	*o = append(*o, output{format: f, path: path})
	return nil
}

func runScan(env Env, args []string) int {
	fs := newFlagSet(env, "scan", "[paths...]", "Scan SAM, CloudFormation and CDK (cdk.out) templates for violations of the practice catalog.")
	format := fs.String("format", "text", "output format: "+strings.Join(report.Formats, ", "))
	var outputs outputFlag
	fs.Var(&outputs, "output", "also write FORMAT=FILE (repeatable)")
	failOn := fs.String("fail-on", "", "exit 1 when a finding has this severity or higher: info, low, medium, high, critical (default low)")
	var only, skip listFlag
	fs.Var(&only, "rules", "run only these rule IDs (comma-separated, repeatable)")
	fs.Var(&skip, "skip-rules", "do not run these rule IDs")
	params := paramFlag{}
	fs.Var(params, "parameter", "template parameter value NAME=VALUE (repeatable)")
	var paramFiles listFlag
	fs.Var(&paramFiles, "parameter-file", "CloudFormation parameters JSON or samconfig file (repeatable)")
	configPath := fs.String("config", "", "use this config file instead of the .bulwark.yml found upward from the first path")
	noConfig := fs.Bool("no-config", false, "ignore .bulwark.yml")
	baselinePath := fs.String("baseline", "", "report findings recorded in this baseline file as suppressed")
	writeBaseline := fs.String("write-baseline", "", "write every current finding to this baseline file")
	includeFramework := fs.Bool("include-framework", false, "count findings on CDK framework-owned resources (BucketDeployment, AwsCustomResource, ...)")
	now := fs.String("now", "", "the date to judge date-aware rules by, YYYY-MM-DD (default today)")
	verbose := fs.Bool("verbose", false, "text output: also list suppressed findings")
	paths, err := parse(fs, args)
	if err != nil {
		return usageError(env, err)
	}
	if len(paths) == 0 {
		paths = []string{"."}
	}

	opts := scan.Options{Parameters: map[string]string{}, Rules: only, SkipRules: skip, IncludeFramework: *includeFramework}
	if *now != "" {
		t, err := time.Parse("2006-01-02", *now)
		if err != nil {
			return usageError(env, fmt.Errorf("--now: want YYYY-MM-DD, got %q", *now))
		}
		opts.Now = t
	}
	if !*noConfig {
		path := *configPath
		if path == "" {
			if path, err = scan.FindConfig(paths[0]); err != nil {
				return usageError(env, err)
			}
		}
		if path != "" {
			if opts.Config, err = scan.LoadConfig(path); err != nil {
				return usageError(env, err)
			}
		}
	}
	for _, pf := range paramFiles {
		values, err := readParameterFile(pf)
		if err != nil {
			return usageError(env, err)
		}
		for k, v := range values {
			opts.Parameters[k] = v
		}
	}
	for k, v := range params {
		opts.Parameters[k] = v
	}
	threshold := scan.Low
	level := *failOn
	if level == "" && opts.Config != nil {
		level = opts.Config.FailOn
	}
	if level != "" {
		if threshold, err = scan.ParseSeverity(level); err != nil {
			return usageError(env, fmt.Errorf("--fail-on: %w", err))
		}
	}
	if opts.Config != nil && opts.Config.IncludeFramework {
		opts.IncludeFramework = true
	}
	bl := *baselinePath
	if bl == "" && opts.Config != nil && opts.Config.Baseline != "" {
		bl = filepath.Join(opts.Config.Dir, opts.Config.Baseline)
		if _, err := os.Stat(bl); errors.Is(err, os.ErrNotExist) && *writeBaseline != "" {
			bl = "" // first run: the baseline is about to be written
		}
	}
	if bl != "" {
		if opts.Baseline, err = scan.LoadBaseline(bl); err != nil {
			return usageError(env, err)
		}
	}
	if !validFormat(*format) {
		return usageError(env, fmt.Errorf("--format: unknown format %q (want one of %s)", *format, strings.Join(report.Formats, ", ")))
	}
	for _, o := range outputs {
		if !validFormat(o.format) {
			return usageError(env, fmt.Errorf("--output: unknown format %q (want one of %s)", o.format, strings.Join(report.Formats, ", ")))
		}
	}

	if env.IsTerminal(env.Stderr) {
		fmt.Fprintf(env.Stderr, "bulwark: scanning %s ...\n", strings.Join(paths, " "))
	}
	res, err := scan.Run(paths, opts)
	if err != nil {
		return usageError(env, err)
	}

	ropts := report.Options{FailOn: threshold, Version: version(), Verbose: *verbose,
		Color: *format == "text" && env.IsTerminal(env.Stdout) && env.Getenv("NO_COLOR") == ""}
	if err := report.Write(env.Stdout, *format, res, ropts); err != nil {
		return usageError(env, err)
	}
	for _, o := range outputs {
		var buf bytes.Buffer
		fileOpts := ropts
		fileOpts.Color = false
		if err := report.Write(&buf, o.format, res, fileOpts); err != nil {
			return usageError(env, err)
		}
		if err := os.WriteFile(o.path, buf.Bytes(), 0o644); err != nil {
			return usageError(env, fmt.Errorf("writing %s: %w", o.path, err))
		}
	}
	if *writeBaseline != "" {
		data, err := scan.NewBaseline(res).JSON()
		if err == nil {
			err = os.WriteFile(*writeBaseline, data, 0o644)
		}
		if err != nil {
			return usageError(env, fmt.Errorf("writing baseline: %w", err))
		}
		fmt.Fprintf(env.Stderr, "bulwark: wrote %d findings to baseline %s\n", len(res.Findings)+len(res.Framework), *writeBaseline)
	}
	switch {
	case len(res.Errors) > 0:
		return ExitUsage
	case res.Count(threshold) > 0:
		return ExitFindings
	}
	return ExitClean
}

func validFormat(f string) bool {
	for _, known := range report.Formats {
		if f == known {
			return true
		}
	}
	return f == "md"
}
