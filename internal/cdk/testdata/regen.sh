#!/bin/sh
# Regenerates the real cloud assemblies in this folder with the real AWS CDK.
# Needs node and npm with access to the npm registry. Run from anywhere:
#
#	sh internal/cdk/testdata/regen.sh
#
# Each app is synthesised by running it with node, as the cdk CLI does. The
# CLI context below is what `cdk synth --no-version-reporting` passes; the
# "bare" fixture leaves it out, as when an app is run without the CLI. Only
# the JSON files the loader reads are kept: asset folders (bundled handler
# code), tree.json and the validation report are dropped.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cli_context='{"aws:cdk:enable-path-metadata":true,"aws:cdk:enable-asset-metadata":true,"aws:cdk:version-reporting":false,"aws:cdk:bundling-stacks":[]}'

install() { # install DIR AWS_CDK_LIB_VERSION
	mkdir -p "$1"
	(cd "$1" && npm init -y >/dev/null && npm install --no-audit --no-fund "aws-cdk-lib@$2" constructs@10 >/dev/null)
}

synth() { # synth NAME NODE_MODULES CONTEXT_JSON [ENV=VALUE...]
	name=$1 modules=$2 context=$3
	shift 3
	out="$work/out-$name"
	rm -rf "$out"
	(cd "$here/$name" && env NODE_PATH="$modules" CDK_OUTDIR="$out" CDK_CONTEXT_JSON="$context" "$@" node app.js >/dev/null 2>&1)
	rm -rf "$here/$name/cdk.out"
	(cd "$out" && find . -type f \( -name '*.json' -o -name cdk.out \) \
		! -name tree.json ! -name validation-report.json ! -path '*/asset.*' |
		while read -r f; do
			mkdir -p "$here/$name/cdk.out/$(dirname "$f")"
			cp "$f" "$here/$name/cdk.out/$f"
		done)
}

install "$work/current" 2.276.0
install "$work/legacy" 2.100.0

synth full "$work/current/node_modules" "$cli_context"
synth bare "$work/current/node_modules" '{}'
synth legacy "$work/legacy/node_modules" "$cli_context" CDK_DEBUG=true
