package seclog_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-sec/bulwark/guard/seclog"
)

func dims(n int) []seclog.Dimension {
	out := make([]seclog.Dimension, n)
	for i := range out {
		out[i] = seclog.Dimension{Name: fmt.Sprintf("d%d", i), Value: "v"}
	}
	return out
}

func metrics(n int) []seclog.Metric {
	out := make([]seclog.Metric, n)
	for i := range out {
		out[i] = seclog.Metric{Name: fmt.Sprintf("m%d", i), Unit: seclog.UnitCount, Value: float64(i)}
	}
	return out
}

func TestMetricSetValidateEnforcesCloudWatchLimits(t *testing.T) {
	valid := func(edit func(*seclog.MetricSet)) seclog.MetricSet {
		s := seclog.MetricSet{Namespace: "App/Security", Dimensions: dims(1), Metrics: metrics(1)}
		edit(&s)
		return s
	}
	tests := []struct {
		name  string
		set   seclog.MetricSet
		valid bool
	}{
		{"typical", valid(func(*seclog.MetricSet) {}), true},
		{"no dimensions", valid(func(s *seclog.MetricSet) { s.Dimensions = nil }), true},
		{"30 dimensions", valid(func(s *seclog.MetricSet) { s.Dimensions = dims(30) }), true},
		{"31 dimensions", valid(func(s *seclog.MetricSet) { s.Dimensions = dims(31) }), false},
		{"255-character namespace", valid(func(s *seclog.MetricSet) { s.Namespace = strings.Repeat("n", 255) }), true},
		{"256-character namespace", valid(func(s *seclog.MetricSet) { s.Namespace = strings.Repeat("n", 256) }), false},
		{"empty namespace", valid(func(s *seclog.MetricSet) { s.Namespace = "" }), false},
		{"namespace with a space", valid(func(s *seclog.MetricSet) { s.Namespace = "My App" }), false},
		{"namespace reserved for AWS", valid(func(s *seclog.MetricSet) { s.Namespace = "AWS/Lambda" }), false},
		{"namespace starting with a colon", valid(func(s *seclog.MetricSet) { s.Namespace = ":app" }), false},
		{"namespace with all allowed punctuation", valid(func(s *seclog.MetricSet) { s.Namespace = "a.b-c_d/e#f:g" }), true},
		{"255-character metric name", valid(func(s *seclog.MetricSet) { s.Metrics[0].Name = strings.Repeat("m", 255) }), true},
		{"256-character metric name", valid(func(s *seclog.MetricSet) { s.Metrics[0].Name = strings.Repeat("m", 256) }), false},
		{"blank metric name", valid(func(s *seclog.MetricSet) { s.Metrics[0].Name = "  " }), false},
		{"non-ASCII metric name", valid(func(s *seclog.MetricSet) { s.Metrics[0].Name = "durée" }), false},
		{"control character in a metric name", valid(func(s *seclog.MetricSet) { s.Metrics[0].Name = "a\nb" }), false},
		{"1024-character dimension value", valid(func(s *seclog.MetricSet) { s.Dimensions[0].Value = strings.Repeat("v", 1024) }), true},
		{"1025-character dimension value", valid(func(s *seclog.MetricSet) { s.Dimensions[0].Value = strings.Repeat("v", 1025) }), false},
		{"empty dimension value", valid(func(s *seclog.MetricSet) { s.Dimensions[0].Value = "" }), false},
		{"256-character dimension name", valid(func(s *seclog.MetricSet) { s.Dimensions[0].Name = strings.Repeat("d", 256) }), false},
		{"dimension name starting with a colon", valid(func(s *seclog.MetricSet) { s.Dimensions[0].Name = ":d" }), false},
		{"every CloudWatch unit", valid(func(s *seclog.MetricSet) {
			s.Metrics = nil
			for i, u := range []seclog.Unit{"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes",
				"Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
				"Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second",
				"Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None", ""} {
				s.Metrics = append(s.Metrics, seclog.Metric{Name: fmt.Sprint("m", i), Unit: u})
			}
		}), true},
		{"unknown unit", valid(func(s *seclog.MetricSet) { s.Metrics[0].Unit = "Requests" }), false},
		{"unit in the wrong case", valid(func(s *seclog.MetricSet) { s.Metrics[0].Unit = "count" }), false},
		{"NaN value", valid(func(s *seclog.MetricSet) { s.Metrics[0].Value = math.NaN() }), false},
		{"infinite value", valid(func(s *seclog.MetricSet) { s.Metrics[0].Value = math.Inf(1) }), false},
		{"no metrics", valid(func(s *seclog.MetricSet) { s.Metrics = nil }), false},
		{"duplicate metric", valid(func(s *seclog.MetricSet) { s.Metrics = append(s.Metrics, s.Metrics[0]) }), false},
		{"metric named like a dimension", valid(func(s *seclog.MetricSet) { s.Metrics[0].Name = s.Dimensions[0].Name }), false},
		{"member named _aws", valid(func(s *seclog.MetricSet) { s.Dimensions[0].Name = "_aws" }), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.set.Validate()
			if tt.valid && err != nil {
				t.Fatalf("Validate = %v, want nil", err)
			}
			if !tt.valid && !errors.Is(err, seclog.ErrInvalidMetrics) {
				t.Fatalf("Validate = %v, want ErrInvalidMetrics", err)
			}
		})
	}
}

// emfDoc is the part of an EMF document the tests read.
type emfDoc struct {
	AWS struct {
		Timestamp         int64
		CloudWatchMetrics []struct {
			Namespace  string
			Dimensions [][]string
			Metrics    []struct{ Name, Unit string }
		}
	} `json:"_aws"`
}

// checkEMF decodes one document and checks that every name its directive
// references is a member of the root, as CloudWatch requires.
func checkEMF(t *testing.T, line []byte) (emfDoc, map[string]any) {
	t.Helper()
	var doc emfDoc
	var root map[string]any
	if err := json.Unmarshal(line, &doc); err != nil {
		t.Fatalf("not JSON: %v: %s", err, line)
	}
	json.Unmarshal(line, &root)
	if len(doc.AWS.CloudWatchMetrics) != 1 {
		t.Fatalf("want one directive: %s", line)
	}
	d := doc.AWS.CloudWatchMetrics[0]
	if len(d.Metrics) > seclog.MaxMetricsPerDocument {
		t.Fatalf("%d metrics in one document", len(d.Metrics))
	}
	for _, set := range d.Dimensions {
		for _, name := range set {
			if _, ok := root[name].(string); !ok {
				t.Fatalf("dimension %q is not a string member of the root: %s", name, line)
			}
		}
	}
	for _, m := range d.Metrics {
		if _, ok := root[m.Name].(float64); !ok {
			t.Fatalf("metric %q is not a number member of the root: %s", m.Name, line)
		}
	}
	return doc, root
}

func TestMetricSetEncodeSplitsAtOneHundredMetrics(t *testing.T) {
	set := seclog.MetricSet{Namespace: "App", Dimensions: dims(2), Metrics: metrics(250)}
	var buf bytes.Buffer
	if err := set.Encode(&buf, time.UnixMilli(1700000000123)); err != nil {
		t.Fatal(err)
	}
	var sizes []int
	seen := map[string]bool{}
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		doc, _ := checkEMF(t, sc.Bytes())
		d := doc.AWS.CloudWatchMetrics[0]
		if doc.AWS.Timestamp != 1700000000123 || d.Namespace != "App" || fmt.Sprint(d.Dimensions) != "[[d0 d1]]" {
			t.Fatalf("document header wrong: %s", sc.Bytes())
		}
		for _, m := range d.Metrics {
			seen[m.Name] = true
		}
		sizes = append(sizes, len(d.Metrics))
	}
	if fmt.Sprint(sizes) != "[100 100 50]" || len(seen) != 250 {
		t.Fatalf("documents of %v metrics covering %d names, want [100 100 50] covering 250", sizes, len(seen))
	}
}

func TestMetricSetEncodeRefusesInvalidSets(t *testing.T) {
	var buf bytes.Buffer
	err := seclog.MetricSet{Namespace: "App", Dimensions: dims(31), Metrics: metrics(1)}.Encode(&buf, time.Now())
	if !errors.Is(err, seclog.ErrInvalidMetrics) || buf.Len() != 0 {
		t.Fatalf("Encode = %v with %d bytes written, want ErrInvalidMetrics and nothing", err, buf.Len())
	}
}

func TestMetricSetEncodeDefaultsUnitToNone(t *testing.T) {
	var buf bytes.Buffer
	if err := (seclog.MetricSet{Namespace: "App", Metrics: []seclog.Metric{{Name: "latency", Value: 1.5}}}).Encode(&buf, time.UnixMilli(0)); err != nil {
		t.Fatal(err)
	}
	want := `{"latency":1.5,"_aws":{"Timestamp":0,"CloudWatchMetrics":[{"Namespace":"App","Dimensions":[[]],"Metrics":[{"Name":"latency","Unit":"None"}]}]}}` + "\n"
	if buf.String() != want {
		t.Fatalf("got  %s\nwant %s", buf.String(), want)
	}
}

func TestMetricSetLogAttrsNeedsASingleDocument(t *testing.T) {
	if _, err := (seclog.MetricSet{Namespace: "App", Metrics: metrics(100)}).LogAttrs(time.Now()); err != nil {
		t.Fatalf("100 metrics: %v", err)
	}
	if _, err := (seclog.MetricSet{Namespace: "App", Metrics: metrics(101)}).LogAttrs(time.Now()); !errors.Is(err, seclog.ErrInvalidMetrics) {
		t.Fatalf("101 metrics: %v, want ErrInvalidMetrics", err)
	}
}
