package cdk

import (
	"testing"

	"github.com/bulwark-sec/bulwark/internal/source"
)

func TestFirstUserFrameSkipsLibrariesAndRuntimes(t *testing.T) {
	tests := []struct {
		name   string
		frames []string
		want   source.Pos
	}{
		{"current CDK, summarised", []string{
			"...new Function2 in aws-cdk-lib...",
			"new ShopStack (/work/app/lib/shop.js:37:20)",
			"<anonymous> (/work/app/bin/app.js:109:1)",
			"...node internals...",
		}, source.Pos{File: "/work/app/lib/shop.js", Line: 37, Column: 20}},
		{"older CDK, raw V8 frames", []string{
			"new Function (/work/app/node_modules/aws-cdk-lib/aws-lambda/lib/function.js:1:10397)",
			"Object.<anonymous> (/work/app/app.js:13:16)",
			"Module._compile (node:internal/modules/cjs/loader:1521:14)",
		}, source.Pos{File: "/work/app/app.js", Line: 13, Column: 16}},
		{"indented with at", []string{
			"    ...new Vpc2 in aws-cdk-lib...",
			"    at new ShopStack (/work/app/app.js:50:17)",
		}, source.Pos{File: "/work/app/app.js", Line: 50, Column: 17}},
		{"bare location", []string{"node:internal/main/run_main_module:28:49", "/work/app/app.js:3:1"},
			source.Pos{File: "/work/app/app.js", Line: 3, Column: 1}},
		{"ES module URL", []string{"file:///work/app/app.mjs:12:5"}, source.Pos{File: "/work/app/app.mjs", Line: 12, Column: 5}},
		{"Python through jsii, no column", []string{
			"new Function (/tmp/jsii-kernel-x/node_modules/aws-cdk-lib/aws-lambda/lib/function.js:1:1)",
			"__init__ (/venv/lib/python3.12/site-packages/aws_cdk/aws_lambda/__init__.py:20001)",
			"__init__ (/work/app/stacks/shop.py:41)",
			"<module> (/work/app/app.py:9)",
		}, source.Pos{File: "/work/app/stacks/shop.py", Line: 41}},
		{"Windows path", []string{
			`new Function (C:\app\node_modules\aws-cdk-lib\aws-lambda\lib\function.js:1:1)`,
			`new Shop (C:\app\lib\shop.js:4:9)`,
		}, source.Pos{File: `C:\app\lib\shop.js`, Line: 4, Column: 9}},
		{"path with a parenthesis", []string{"new Shop (/work/my app (copy)/shop.js:4:9)"},
			source.Pos{File: "/work/my app (copy)/shop.js", Line: 4, Column: 9}},
		{"no user code", []string{"...aws-cdk-lib...", "(no user code in 10 frames, use --stack-trace-limit to capture more)"}, source.Pos{}},
		{"summary holding a location", []string{".../x/node_modules/aws-cdk-lib/aws-ec2/lib/vpc.js:1:295 in aws-cdk-lib...", "Array.forEach (:)"}, source.Pos{}},
		{"line zero", []string{"f (/work/app/app.js:0:0)"}, source.Pos{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			trace := &source.Node{Kind: source.Seq}
			for _, f := range tt.frames {
				trace.Items = append(trace.Items, source.NewString(f, source.Pos{}))
			}
			if got := firstUserFrame(trace); got != tt.want {
				t.Errorf("firstUserFrame = %v, want %v", got, tt.want)
			}
		})
	}
	if got := firstUserFrame(nil); got != (source.Pos{}) {
		t.Errorf("firstUserFrame(nil) = %v", got)
	}
}
