// Package metricstest scrapes a Prometheus endpoint over HTTP for tests and
// looks samples up by name and labels, so tests assert on what an operator's
// Prometheus would see.
package metricstest

import (
	"fmt"
	"net/http"
	"sort"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Families is one scrape: the metric families by name.
type Families map[string]*dto.MetricFamily

// Fetch GETs url and parses the text exposition format. It returns an
// error for a status other than 200 or an unparsable body.
func Fetch(url string) (Families, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	return fams, nil
}

// Scrape is Fetch that fails the test on error.
func Scrape(tb testing.TB, url string) Families {
	tb.Helper()
	f, err := Fetch(url)
	if err != nil {
		tb.Fatalf("scrape: %v", err)
	}
	return f
}

// Value returns the value of the sample of family name whose labels include
// every name/value pair of labels (given as name, value, name, value ...):
// a counter's or gauge's value, a histogram's or summary's sample count.
// It sums the matches when several label sets match, and reports false when
// none does.
func (f Families) Value(name string, labels ...string) (float64, bool) {
	fam, ok := f[name]
	if !ok {
		return 0, false
	}
	sum, found := 0.0, false
	for _, m := range fam.GetMetric() {
		if !hasLabels(m, labels) {
			continue
		}
		found = true
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Histogram != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		case m.Summary != nil:
			sum += float64(m.GetSummary().GetSampleCount())
		case m.Untyped != nil:
			sum += m.GetUntyped().GetValue()
		}
	}
	return sum, found
}

// LabelValues returns the sorted distinct values of label across the
// samples of family name.
func (f Families) LabelValues(name, label string) []string {
	seen := map[string]bool{}
	if fam, ok := f[name]; ok {
		for _, m := range fam.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == label {
					seen[lp.GetValue()] = true
				}
			}
		}
	}
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

func hasLabels(m *dto.Metric, labels []string) bool {
	for i := 0; i+1 < len(labels); i += 2 {
		ok := false
		for _, lp := range m.GetLabel() {
			if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}
