package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary serve as the worker child process too.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(runWorkerChild())
	}
	os.Exit(m.Run())
}

// TestSmoke runs every scenario at tiny sizes, so that CI exercises the
// harness end to end: the service starts, traffic is tracked to its
// acknowledgement, the worker child process reports its memory, and
// Dotdigital reconciles with Odoo. Targets are not asserted at these sizes
// (a few samples on a busy CI machine say nothing); the run must complete,
// lose nothing and verify.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the service several times")
	}
	opts, err := parseFlags([]string{"--scenario", "all", "--json", "", "--customers", "300",
		"--steady-duration", "3s", "--steady-rate", "3", "--steady-customers", "100", "--steady-variants", "webhooks", "--steady-idle", "5s", "--steady-later", "9", "--poll-interval", "1s", "--debounce", "500ms",
		"--peak-duration", "2s", "--peak-profiles", "10", "--peak-edits", "2", "--peak-window", "2s", "--peak-limit-low", "20", "--peak-limit-medium", "10",
		"--memory-duration", "2s", "--ceiling-changes", "40", "--import-delay", "100ms"}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var out bytes.Buffer
	rep, err := run(ctx, opts, &out, os.Stderr)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]*ScenarioResult{}
	for _, s := range rep.Scenarios {
		names[s.Name] = s
	}
	for _, want := range []string{"steady/webhooks", scPeak, scBackfill, scMemory, scCeiling} {
		s := names[want]
		if s == nil {
			t.Errorf("scenario %s did not report", want)
			continue
		}
		if !s.Verified {
			t.Errorf("%s: Dotdigital does not match Odoo: %v", want, s.Failures)
		}
		for _, m := range s.Metrics {
			if (strings.Contains(m.Name, "lost") || strings.Contains(m.Name, "not acknowledged")) && m.Value != 0 {
				t.Errorf("%s: %s = %s", want, m.Name, m.Display)
			}
		}
	}
	if !strings.Contains(out.String(), "SCENARIO") {
		t.Error("no table printed")
	}
}
