package iam_test

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/bulwark-sec/bulwark/internal/iam"
	"github.com/bulwark-sec/bulwark/internal/iamdata"
	"github.com/bulwark-sec/bulwark/internal/load"
	"github.com/bulwark-sec/bulwark/internal/model"
	"github.com/bulwark-sec/bulwark/internal/source"
)

// corpora are the template sets the analysis is measured on: the
// serverless-patterns templates (mostly SAM), and the SAM project's own
// translator outputs (plain CloudFormation that real SAM wrote, with its
// generated roles and expanded policy templates).
var corpora = []struct{ name, dir string }{
	{"serverless-patterns", "../../../shared/corpus/serverless-patterns"},
	{"sam-translator-output", "../../../shared/corpus/serverless-application-model/tests/translator/output"},
}

// forEachCorpus runs fn as a sub-benchmark per corpus found.
func forEachCorpus(b *testing.B, fn func(b *testing.B, dir string)) {
	for _, c := range corpora {
		b.Run(c.name, func(b *testing.B) {
			if _, err := os.Stat(c.dir); err != nil {
				b.Skipf("corpus not found at %s: these benchmarks need ../shared/corpus beside the repository", c.dir)
			}
			dir, err := filepath.Abs(c.dir)
			if err != nil {
				b.Fatal(err)
			}
			fn(b, dir)
		})
	}
}

func loadCorpus(b *testing.B, dir string) *model.App {
	res, err := load.Paths([]string{dir}, load.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return res.App
}

// BenchmarkLoadCorpus is the baseline: loading the templates (parse, SAM
// transform, evaluation, model).
func BenchmarkLoadCorpus(b *testing.B) {
	forEachCorpus(b, func(b *testing.B, dir string) {
		for b.Loop() {
			loadCorpus(b, dir)
		}
	})
}

// BenchmarkAnalyzeCorpus is the IAM analysis of the same templates: every
// role's policies parsed and expanded, AWS managed policies included, and
// the escalation and admin checks of every function. The budget is
// at most 30% of BenchmarkLoadCorpus.
func BenchmarkAnalyzeCorpus(b *testing.B) {
	forEachCorpus(b, func(b *testing.B, dir string) {
		app := loadCorpus(b, dir)
		iam.Analyze(app) // start-up: decode the embedded data, warm the managed policy cache
		b.ReportMetric(float64(len(app.Functions)), "functions")
		b.ResetTimer()
		for b.Loop() {
			a := iam.Analyze(app)
			for _, f := range app.Functions {
				if p := a.Function(f); p != nil {
					p.Escalations()
					p.Admin()
				}
			}
		}
		runtime.KeepAlive(app)
	})
}

// BenchmarkReportCorpus builds the `bulwark iam` view of every function,
// as JSON.
func BenchmarkReportCorpus(b *testing.B) {
	forEachCorpus(b, func(b *testing.B, dir string) {
		app := loadCorpus(b, dir)
		iam.Report(app, iam.ReportOptions{})
		b.ResetTimer()
		for b.Loop() {
			v := iam.Report(app, iam.ReportOptions{})
			if _, err := v.JSON(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkExpandStar(b *testing.B) {
	iamdata.Expand("*")
	b.ReportAllocs()
	for b.Loop() {
		iamdata.Expand("*")
	}
}

func BenchmarkExpandS3Star(b *testing.B) {
	iamdata.Expand("*")
	b.ReportAllocs()
	for b.Loop() {
		iamdata.Expand("s3:*")
	}
}

func BenchmarkDecide(b *testing.B) {
	p := iam.NewPermissions([]*iam.Policy{managedPolicy(b, "ReadOnlyAccess")}, nil)
	b.ReportAllocs()
	for b.Loop() {
		p.Decide("s3:GetObject", "arn:aws:s3:::bucket/key")
	}
}

func managedPolicy(b *testing.B, name string) *iam.Policy {
	mp, ok := iamdata.ManagedPolicy(name)
	if !ok {
		b.Fatalf("no managed policy %s", name)
	}
	doc, _ := iam.ParseDocument(source.NewString(mp.Document, source.Pos{}))
	return &iam.Policy{Name: name, Kind: iam.KindAWSManaged, Document: doc}
}
