package seclog

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"strings"
	"time"
)

// CloudWatch limits that an Embedded Metric Format document must respect;
// CloudWatch drops documents that break them, silently.
const (
	MaxMetricsPerDocument  = 100  // metric definitions in one directive
	MaxDimensionsPerSet    = 30   // dimension keys in one dimension set
	MaxNamespaceLength     = 255  // characters
	MaxMetricNameLength    = 255  // characters
	MaxDimensionNameLength = 255  // characters
	MaxDimensionValueLen   = 1024 // characters
)

// Unit is a CloudWatch metric unit.
type Unit string

// The units CloudWatch accepts.
const (
	UnitNone               Unit = "None"
	UnitCount              Unit = "Count"
	UnitPercent            Unit = "Percent"
	UnitSeconds            Unit = "Seconds"
	UnitMilliseconds       Unit = "Milliseconds"
	UnitMicroseconds       Unit = "Microseconds"
	UnitBytes              Unit = "Bytes"
	UnitKilobytes          Unit = "Kilobytes"
	UnitMegabytes          Unit = "Megabytes"
	UnitGigabytes          Unit = "Gigabytes"
	UnitTerabytes          Unit = "Terabytes"
	UnitBits               Unit = "Bits"
	UnitKilobits           Unit = "Kilobits"
	UnitMegabits           Unit = "Megabits"
	UnitGigabits           Unit = "Gigabits"
	UnitTerabits           Unit = "Terabits"
	UnitCountPerSecond     Unit = "Count/Second"
	UnitBytesPerSecond     Unit = "Bytes/Second"
	UnitKilobytesPerSecond Unit = "Kilobytes/Second"
	UnitMegabytesPerSecond Unit = "Megabytes/Second"
	UnitGigabytesPerSecond Unit = "Gigabytes/Second"
	UnitTerabytesPerSecond Unit = "Terabytes/Second"
	UnitBitsPerSecond      Unit = "Bits/Second"
	UnitKilobitsPerSecond  Unit = "Kilobits/Second"
	UnitMegabitsPerSecond  Unit = "Megabits/Second"
	UnitGigabitsPerSecond  Unit = "Gigabits/Second"
	UnitTerabitsPerSecond  Unit = "Terabits/Second"
)

var validUnits = []Unit{
	UnitNone, UnitCount, UnitPercent, UnitSeconds, UnitMilliseconds, UnitMicroseconds,
	UnitBytes, UnitKilobytes, UnitMegabytes, UnitGigabytes, UnitTerabytes,
	UnitBits, UnitKilobits, UnitMegabits, UnitGigabits, UnitTerabits,
	UnitCountPerSecond, UnitBytesPerSecond, UnitKilobytesPerSecond, UnitMegabytesPerSecond,
	UnitGigabytesPerSecond, UnitTerabytesPerSecond, UnitBitsPerSecond, UnitKilobitsPerSecond,
	UnitMegabitsPerSecond, UnitGigabitsPerSecond, UnitTerabitsPerSecond,
}

// Metric is one named value.
type Metric struct {
	Name  string
	Unit  Unit // empty means UnitNone
	Value float64
}

// Dimension is a name and value that identify a metric series.
type Dimension struct {
	Name  string
	Value string
}

// MetricSet is a group of metrics sharing a namespace and one set of
// dimensions, written as Embedded Metric Format. Sets with more metrics than
// one document may carry are split across several documents.
type MetricSet struct {
	Namespace  string
	Dimensions []Dimension
	Metrics    []Metric
}

// ErrInvalidMetrics is wrapped by every error MetricSet.Validate returns.
var ErrInvalidMetrics = errors.New("seclog: invalid EMF metrics")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidMetrics, fmt.Sprintf(format, args...))
}

// Validate checks the set against CloudWatch's rules for names, units,
// values and dimension counts.
func (s MetricSet) Validate() error {
	if err := checkName("namespace", s.Namespace, MaxNamespaceLength); err != nil {
		return err
	}
	if strings.HasPrefix(s.Namespace, "AWS/") {
		return invalid("namespace %q: the AWS/ prefix is reserved for AWS services", s.Namespace)
	}
	for _, c := range s.Namespace {
		if !isNamespaceChar(c) {
			return invalid("namespace %q: only letters, digits and . - _ / # : are allowed", s.Namespace)
		}
	}
	if len(s.Dimensions) > MaxDimensionsPerSet {
		return invalid("%d dimensions, at most %d per dimension set", len(s.Dimensions), MaxDimensionsPerSet)
	}
	members := map[string]string{"_aws": "metadata"}
	for _, d := range s.Dimensions {
		if err := checkName("dimension name", d.Name, MaxDimensionNameLength); err != nil {
			return err
		}
		if err := checkName("dimension "+d.Name+" value", d.Value, MaxDimensionValueLen); err != nil {
			return err
		}
		if other, taken := members[d.Name]; taken {
			return invalid("dimension %q clashes with a %s of the same name", d.Name, other)
		}
		members[d.Name] = "dimension"
	}
	if len(s.Metrics) == 0 {
		return invalid("no metrics")
	}
	for _, m := range s.Metrics {
		if err := checkName("metric name", m.Name, MaxMetricNameLength); err != nil {
			return err
		}
		if other, taken := members[m.Name]; taken {
			return invalid("metric %q clashes with a %s of the same name", m.Name, other)
		}
		members[m.Name] = "metric"
		if m.Unit != "" && !slices.Contains(validUnits, m.Unit) {
			return invalid("metric %q: unit %q is not a CloudWatch unit", m.Name, m.Unit)
		}
		if math.IsNaN(m.Value) || math.IsInf(m.Value, 0) {
			return invalid("metric %q: value must be finite", m.Name)
		}
	}
	return nil
}

// checkName applies CloudWatch's common rules: 1 to max characters, ASCII
// without control characters, not blank, not starting with a colon.
func checkName(what, s string, max int) error {
	switch {
	case s == "":
		return invalid("%s is empty", what)
	case len(s) > max:
		return invalid("%s is %d characters, at most %d", what, len(s), max)
	case strings.TrimSpace(s) == "":
		return invalid("%s is blank", what)
	case s[0] == ':':
		return invalid("%s %q starts with a colon", what, s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return invalid("%s %q has a non-printable or non-ASCII character", what, s)
		}
	}
	return nil
}

func isNamespaceChar(c rune) bool {
	return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') || strings.ContainsRune("._-/#:", c)
}

// emfMetadata is the "_aws" member of an EMF document.
type emfMetadata struct {
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
}

type emfDirective struct {
	Namespace  string          `json:"Namespace"`
	Dimensions [][]string      `json:"Dimensions"`
	Metrics    []emfDefinition `json:"Metrics"`
}

type emfDefinition struct {
	Name string `json:"Name"`
	Unit Unit   `json:"Unit"`
}

// documents validates the set and splits it into documents of at most
// MaxMetricsPerDocument metrics; each is a list of root members in order.
func (s MetricSet) documents(t time.Time) ([][]slog.Attr, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	names := make([]string, len(s.Dimensions))
	for i, d := range s.Dimensions {
		names[i] = d.Name
	}
	var docs [][]slog.Attr
	for chunk := range slices.Chunk(s.Metrics, MaxMetricsPerDocument) {
		directive := emfDirective{Namespace: s.Namespace, Dimensions: [][]string{names}}
		var members []slog.Attr
		for _, d := range s.Dimensions {
			members = append(members, slog.String(d.Name, d.Value))
		}
		for _, m := range chunk {
			unit := m.Unit
			if unit == "" {
				unit = UnitNone
			}
			directive.Metrics = append(directive.Metrics, emfDefinition{Name: m.Name, Unit: unit})
			members = append(members, slog.Float64(m.Name, m.Value))
		}
		members = append(members, slog.Any("_aws", emfMetadata{
			Timestamp:         t.UnixMilli(),
			CloudWatchMetrics: []emfDirective{directive},
		}))
		docs = append(docs, members)
	}
	return docs, nil
}

// LogAttrs returns the root members that turn a record written by a
// slog.JSONHandler (with no open group) into an EMF document. It fails when
// the set is invalid or needs more than one document.
func (s MetricSet) LogAttrs(t time.Time) ([]slog.Attr, error) {
	docs, err := s.documents(t)
	if err != nil {
		return nil, err
	}
	if len(docs) > 1 {
		return nil, invalid("%d metrics need %d documents; use Encode", len(s.Metrics), len(docs))
	}
	return docs[0], nil
}

// Encode writes the set to w as EMF documents, one JSON object per line,
// splitting it so no document carries more than MaxMetricsPerDocument
// metrics. In Lambda, w is os.Stdout.
func (s MetricSet) Encode(w io.Writer, t time.Time) error {
	docs, err := s.documents(t)
	if err != nil {
		return err
	}
	for _, members := range docs {
		line, err := encodeObject(members)
		if err != nil {
			return err
		}
		if _, err := w.Write(append(line, '\n')); err != nil {
			return fmt.Errorf("seclog: write EMF document: %w", err)
		}
	}
	return nil
}

// encodeObject writes members as one JSON object, in order.
func encodeObject(members []slog.Attr) ([]byte, error) {
	var b []byte
	b = append(b, '{')
	for i, a := range members {
		if i > 0 {
			b = append(b, ',')
		}
		key, err := json.Marshal(a.Key)
		if err != nil {
			return nil, err
		}
		value, err := json.Marshal(a.Value.Any())
		if err != nil {
			return nil, fmt.Errorf("seclog: encode EMF member %q: %w", a.Key, err)
		}
		b = append(b, key...)
		b = append(b, ':')
		b = append(b, value...)
	}
	return append(b, '}'), nil
}
