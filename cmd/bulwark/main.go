// Command bulwark secures AWS Lambda applications: it scans SAM,
// CloudFormation and CDK templates for violations of the practice catalog.
// See README.md and `bulwark -h`.
package main

import (
	"os"

	"github.com/bulwark-sec/bulwark/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.OSEnv()))
}
