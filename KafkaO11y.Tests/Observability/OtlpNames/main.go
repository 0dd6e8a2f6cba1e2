// Prints the names Prometheus's OTLP receiver gives OpenTelemetry metrics, computed by the
// receiver's own translation library, github.com/prometheus/otlptranslator (v1.0.0 is the
// version prom/prometheus v3.14.0 builds with; see its go.mod). The test that runs this program
// compares them with the names Prometheus stores when it scrapes the services instead.
//
// Input (stdin), one JSON object:
//   {"metrics": [{"name": "messaging.process.duration", "unit": "s", "type": "histogram"}, ...],
//    "labels": ["service.name", ...]}
// type is what the OTLP exporter sends: "monotonic_sum", "non_monotonic_sum", "gauge" or "histogram".
// Output (stdout), one JSON object: {"metrics": {"<name>": ["<series name>", ...]}, "labels": {"<attribute>": "<label>"}}.
//
// Settings as Prometheus v3.14.0 makes them from prometheus.yml's otlp block (translation_strategy
// UnderscoreEscapingWithSuffixes, the label options left at config.DefaultOTLPConfig's values) in
// storage/remote/otlptranslator/prometheusremotewrite/metrics_to_prw.go (FromMetrics, setResourceContext).
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/prometheus/otlptranslator"
)

type metric struct {
	Name string `json:"name"`
	Unit string `json:"unit"`
	Type string `json:"type"`
}

type input struct {
	Metrics []metric `json:"metrics"`
	Labels  []string `json:"labels"`
}

type output struct {
	Metrics map[string][]string `json:"metrics"`
	Labels  map[string]string   `json:"labels"`
}

func main() {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fail("reading the input: %v", err)
	}

	strategy := otlptranslator.UnderscoreEscapingWithSuffixes
	metricNamer := otlptranslator.MetricNamer{WithMetricSuffixes: strategy.ShouldAddSuffixes(), UTF8Allowed: !strategy.ShouldEscape()}
	labelNamer := otlptranslator.LabelNamer{
		UTF8Allowed:                 !strategy.ShouldEscape(),
		UnderscoreLabelSanitization: true,
		PreserveMultipleUnderscores: true,
	}

	out := output{Metrics: map[string][]string{}, Labels: map[string]string{}}
	for _, m := range in.Metrics {
		translated := otlptranslator.Metric{Name: m.Name, Unit: m.Unit, Type: typeOf(m.Type)}
		name, err := metricNamer.Build(translated)
		if err != nil {
			fail("%s: %v", m.Name, err)
		}
		if translated.Type == otlptranslator.MetricTypeHistogram {
			// A classic histogram's series, as prometheusremotewrite/helper.go appends them.
			out.Metrics[m.Name] = []string{name + "_bucket", name + "_sum", name + "_count"}
		} else {
			out.Metrics[m.Name] = []string{name}
		}
	}
	for _, attribute := range in.Labels {
		label, err := labelNamer.Build(attribute)
		if err != nil {
			fail("%s: %v", attribute, err)
		}
		out.Labels[attribute] = label
	}

	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fail("writing the output: %v", err)
	}
}

func typeOf(kind string) otlptranslator.MetricType {
	switch kind {
	case "monotonic_sum":
		return otlptranslator.MetricTypeMonotonicCounter
	case "non_monotonic_sum":
		return otlptranslator.MetricTypeNonMonotonicCounter
	case "gauge":
		return otlptranslator.MetricTypeGauge
	case "histogram":
		return otlptranslator.MetricTypeHistogram
	}
	fail("unknown metric type %q", kind)
	return otlptranslator.MetricTypeUnknown
}

func fail(format string, arguments ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", arguments...)
	os.Exit(1)
}
