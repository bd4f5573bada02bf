package main

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"strings"
	"testing"
)

func TestHelpDocumentsEveryFlag(t *testing.T) {
	old := os.Stderr
	r, w, _ := os.Pipe()
	os.Stderr = w
	err := run([]string{"--help"})
	w.Close()
	os.Stderr = old
	var out bytes.Buffer
	_, _ = out.ReadFrom(r)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help: %v", err)
	}
	for _, name := range []string{"addr", "db", "login", "password", "odoo-version", "seed-customers", "api-key", "seed",
		"latency", "fault-rate", "webhook-url", "webhook-timing", "login-cooldown-after", "auto-done", "slow-rate", "timeout-rate"} {
		if !strings.Contains(out.String(), "-"+name) {
			t.Errorf("--help lacks -%s", name)
		}
	}
	if err := run([]string{"--odoo-version", "15"}); err == nil || !strings.Contains(err.Error(), "unsupported version") {
		t.Fatalf("bad version: %v", err)
	}
}
