package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// Metric is one figure of a scenario. Pass is nil for figures that carry no
// target (context for the others).
type Metric struct {
	Name    string  `json:"metric"`
	Value   float64 `json:"value"`
	Unit    string  `json:"unit"`
	Display string  `json:"display"`
	Target  string  `json:"target,omitempty"`
	Pass    *bool   `json:"pass,omitempty"`
	Note    string  `json:"note,omitempty"`
}

// ScenarioResult is what one scenario measured and whether Dotdigital
// matched Odoo at its end.
type ScenarioResult struct {
	Name     string         `json:"scenario"`
	Started  time.Time      `json:"started"`
	Seconds  float64        `json:"seconds"`
	Params   map[string]any `json:"params"`
	Metrics  []Metric       `json:"metrics"`
	Verified bool           `json:"verified"`
	// Failures are what made the scenario fail: missed targets, lost
	// changes, reconciliation differences, errors.
	Failures []string       `json:"failures,omitempty"`
	Details  map[string]any `json:"details,omitempty"`
}

func newResult(name string) *ScenarioResult {
	return &ScenarioResult{Name: name, Started: time.Now(), Params: map[string]any{}, Details: map[string]any{}}
}

// add records a figure; pass nil for an informational one.
func (r *ScenarioResult) add(m Metric) {
	if m.Pass != nil && !*m.Pass {
		r.Failures = append(r.Failures, fmt.Sprintf("%s = %s misses the target %s", m.Name, m.Display, m.Target))
	}
	r.Metrics = append(r.Metrics, m)
}

func (r *ScenarioResult) fail(format string, args ...any) {
	r.Failures = append(r.Failures, fmt.Sprintf(format, args...))
}

// ok reports whether the scenario passed: every target met and verified.
func (r *ScenarioResult) ok() bool { return r.Verified && len(r.Failures) == 0 }

func check(ok bool) *bool { return &ok }

// Figures of the common kinds.

func durMetric(name string, d time.Duration, target time.Duration, note string) Metric {
	m := Metric{Name: name, Value: d.Seconds(), Unit: "s", Display: fmtDur(d), Note: note}
	if target > 0 {
		m.Target, m.Pass = "<= "+fmtDur(target), check(d <= target)
	}
	return m
}

func infoMetric(name string, v float64, unit, display, note string) Metric {
	return Metric{Name: name, Value: v, Unit: unit, Display: display, Note: note}
}

func countMetric(name string, n int64, note string) Metric {
	return Metric{Name: name, Value: float64(n), Unit: "count", Display: fmt.Sprintf("%d", n), Note: note}
}

func mibMetric(name string, b uint64, note string) Metric {
	return Metric{Name: name, Value: mib(b), Unit: "MiB", Display: fmt.Sprintf("%.1f MiB", mib(b)), Note: note}
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

func fmtDur(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return d.Round(time.Second).String()
}

// Report is the whole run, as written to the JSON file.
type Report struct {
	StartedAt time.Time         `json:"startedAt"`
	Seconds   float64           `json:"seconds"`
	Machine   map[string]any    `json:"machine"`
	Command   string            `json:"command"`
	Scenarios []*ScenarioResult `json:"scenarios"`
}

func machineInfo() map[string]any {
	m := map[string]any{"goos": runtime.GOOS, "goarch": runtime.GOARCH, "numCPU": runtime.NumCPU(),
		"gomaxprocs": runtime.GOMAXPROCS(0), "go": runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "model name") {
				if _, v, ok := strings.Cut(line, ":"); ok {
					m["cpu"] = strings.TrimSpace(v)
					break
				}
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "MemTotal:") {
				m["memTotal"] = strings.TrimSpace(strings.TrimPrefix(line, "MemTotal:"))
			}
		}
	}
	return m
}

// writeTable prints scenario | metric | value | target | result.
func writeTable(w io.Writer, rep *Report) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tMETRIC\tVALUE\tTARGET\tRESULT\tNOTE")
	for _, s := range rep.Scenarios {
		for _, m := range s.Metrics {
			res := ""
			if m.Pass != nil {
				res = "pass"
				if !*m.Pass {
					res = "FAIL"
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, m.Name, m.Display, m.Target, res, m.Note)
		}
		verdict := "pass"
		if !s.Verified {
			verdict = "FAIL"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, "Dotdigital = Odoo (reconcile)", verifiedText(s), "exact", verdict, "")
	}
	_ = tw.Flush()
	for _, s := range rep.Scenarios {
		status := "PASS"
		if !s.ok() {
			status = "FAIL"
		}
		fmt.Fprintf(w, "\n%s: %s in %s", s.Name, status, fmtDur(time.Duration(s.Seconds*float64(time.Second))))
		for _, f := range s.Failures {
			fmt.Fprintf(w, "\n  - %s", f)
		}
	}
	fmt.Fprintln(w)
}

func verifiedText(s *ScenarioResult) string {
	if v, ok := s.Details["reconcile"].(verifySummary); ok {
		return fmt.Sprintf("%d customers, %d differences", v.Customers, v.Differences)
	}
	if s.Verified {
		return "matched"
	}
	return "not verified"
}

func writeJSON(path string, rep *Report) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
