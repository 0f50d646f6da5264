// Package cli implements the bulwark command line: flag parsing, the
// subcommands, output destinations and exit codes. cmd/bulwark only calls
// Main.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
)

// Exit codes.
const (
	ExitClean    = 0 // no findings at or above the threshold
	ExitFindings = 1 // findings at or above the threshold
	ExitUsage    = 2 // bad usage or input that could not be read
)

// Version is the tool version, set at build time with -ldflags or taken from
// the module build info.
var Version = ""

func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// Env is what a command may touch of the outside world.
type Env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	IsTerminal     func(w io.Writer) bool
}

// OSEnv is the real process environment.
func OSEnv() Env {
	return Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, IsTerminal: isTerminal}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

type command struct {
	name, args, summary string
	run                 func(env Env, args []string) int
}

func commands() []command {
	return []command{
		{"scan", "[paths...]", "report violations of the practice catalog", runScan},
		{"inventory", "[paths...]", "print the function-centric model", runInventory},
		{"iam", "[paths...]", "show what each function may do and where it was granted", runIAM},
		{"rules", "", "list the rules", runRules},
		{"explain", "RULE", "print a rule's documentation", runExplain},
		{"docs", "DIR", "write the rule reference (docs/rules) from the rule definitions", runDocs},
		{"version", "", "print the version", func(env Env, _ []string) int { fmt.Fprintln(env.Stdout, "bulwark", version()); return 0 }},
	}
}

// Main runs the command line and returns the exit code. No panic escapes:
// an internal error is reported with exit code 2.
func Main(args []string, env Env) (code int) {
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(env.Stderr, "bulwark: internal error: %v\nplease report this with the input that caused it\n%s", p, debug.Stack())
			code = ExitUsage
		}
	}()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.Stderr)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitClean
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(env, args[1:])
		}
	}
	fmt.Fprintf(env.Stderr, "bulwark: unknown command %q\n\n", args[0])
	usage(env.Stderr)
	return ExitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Bulwark secures AWS Lambda applications from template to runtime.")
	fmt.Fprintln(w, "\nUsage: bulwark <command> [flags] [arguments]")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %-12s %s\n", c.name, c.args, c.summary)
	}
	fmt.Fprintln(w, "\nRun `bulwark <command> -h` for a command's flags.")
	fmt.Fprintln(w, "Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage or input error.")
}

// parse parses flags that may appear before, between or after positional
// arguments, as users type them: `bulwark scan app/ --format json`.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// newFlagSet returns a flag set that reports errors instead of exiting.
func newFlagSet(env Env, name, args, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: bulwark %s [flags] %s\n\n%s\n\nFlags:\n", name, args, summary)
		fs.PrintDefaults()
	}
	return fs
}

// usageError prints err and returns the usage exit code; -h is not an error.
func usageError(env Env, err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return ExitClean
	}
	fmt.Fprintf(env.Stderr, "bulwark: %v\n", err)
	return ExitUsage
}

// listFlag collects a repeatable, comma-separable flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*l = append(*l, part)
		}
	}
	return nil
}

// paramFlag collects --parameter K=V.
type paramFlag map[string]string

func (p paramFlag) String() string { return "" }

func (p paramFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || strings.TrimSpace(k) == "" {
		return fmt.Errorf("want --parameter NAME=VALUE, got %q", v)
	}
	p[strings.TrimSpace(k)] = val
	return nil
}
