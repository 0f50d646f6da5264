package source

import "testing"

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"Resources:\n  A:\n    Type: AWS::Serverless::Function\n    Properties: {Role: !GetAtt R.Arn, Env: !Sub '${X}'}\n",
		`{"Resources": {"A": {"Type": "AWS::SNS::Topic", "Properties": {"T": {"Ref": "P"}}}}}`,
		"a: &a [1, 2]\nb: *a\nc:\n  <<: {x: 1}\n  y: !If [C, !Ref A, !Ref AWS::NoValue]\n",
		"a: 1\na: 2\n",
		"{\"a\": \"\\ud83d\\ude00\\n\", \"b\": [1e5, -0.5, true, null]}",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := Parse("fuzz", data, Limits{MaxNodes: 200_000})
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error is not positioned: %T %v", err, err)
			}
			return
		}
		if doc.Root == nil {
			t.Fatal("nil root without error")
		}
	})
}
