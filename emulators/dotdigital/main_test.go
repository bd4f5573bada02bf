package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/dotdigital/ddemu"
)

func TestParseFlagsDocumentedCommandLine(t *testing.T) {
	cfg, err := parseFlags(strings.Fields("--addr 127.0.0.1:8090 --api-user demo@apiconnector.com --api-password demo"), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.addr != "127.0.0.1:8090" || cfg.opts.APIUser != "demo@apiconnector.com" || cfg.opts.APIPassword != "demo" {
		t.Fatalf("config: %+v", cfg)
	}
	cfg, err = parseFlags(strings.Fields("--limit-low 5 --limit-medium 6 --limit-high 7 --window 2s --flat-hourly 100 "+
		"--reset-format epoch --import-delay 1s --fault-5xx 0.1 --fault-timeout 0.2 --slow 0.3 --fault-applied-5xx 0.05 "+
		"--lists Customers,VIP --suppress a@example.com"), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	o := cfg.opts
	if o.Limits[ddemu.TierLow] != 5 || o.Limits[ddemu.TierMedium] != 6 || o.Limits[ddemu.TierHigh] != 7 || o.Window != 2*time.Second ||
		o.FlatHourly != 100 || o.ResetFormat != ddemu.ResetEpoch || o.ImportDelay != time.Second || o.Fault5xxRate != 0.1 ||
		o.TimeoutRate != 0.2 || o.SlowRate != 0.3 || o.Applied5xxRate != 0.05 || len(cfg.lists) != 2 || cfg.suppress[0] != "a@example.com" {
		t.Fatalf("options: %+v", cfg)
	}
	var help bytes.Buffer
	if _, err := parseFlags([]string{"--help"}, &help); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help: %v", err)
	}
	for _, name := range []string{"addr", "api-user", "api-password", "limit-low", "limit-medium", "limit-high", "window",
		"flat-hourly", "reset-format", "import-delay", "fault-5xx", "fault-timeout", "slow"} {
		if !strings.Contains(help.String(), "-"+name) {
			t.Fatalf("--help does not document --%s", name)
		}
	}
	if _, err := parseFlags([]string{"--reset-format", "weekly"}, &bytes.Buffer{}); err != nil {
		t.Fatalf("format is validated by ddemu.New, not the flag parser: %v", err)
	}
	if err := run([]string{"--reset-format", "weekly"}, &bytes.Buffer{}); err == nil {
		t.Fatal("bad reset format accepted")
	}
}

func TestParseFlagsTargetedFaults(t *testing.T) {
	cfg, err := parseFlags([]string{
		"--fault", "applied5xx:PATCH /contacts/v3/{identifier}/{value}:/contactId/:1",
		"--fault", `{"kind":"timeout","route":"PUT /contacts/v3/import","skip":2}`,
	}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	want := faultFlags{
		{Kind: ddemu.FaultApplied5xx, Route: "PATCH /contacts/v3/{identifier}/{value}", PathContains: "/contactId/", Count: 1},
		{Kind: ddemu.FaultTimeout, Route: "PUT /contacts/v3/import", Skip: 2},
	}
	if fmt.Sprint(cfg.faults) != fmt.Sprint(want) {
		t.Fatalf("faults %+v, want %+v", cfg.faults, want)
	}
	if _, err := parseFlags([]string{"--fault", "applied5xx"}, &bytes.Buffer{}); err == nil {
		t.Fatal("a fault without route accepted")
	}
	// Routes are checked against the emulator's, when it is built.
	if err := run([]string{"--fault", "fail5xx:GET /v2/nowhere"}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "--fault") {
		t.Fatalf("unknown route: %v", err)
	}
	var help bytes.Buffer
	_, _ = parseFlags([]string{"--help"}, &help)
	if !strings.Contains(help.String(), "-fault") {
		t.Fatal("--help does not document --fault")
	}
}

// TestRunServesAndStopsOnSignal runs the command in-process and stops it with SIGTERM.
func TestRunServesAndStopsOnSignal(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	done := make(chan error, 1)
	var logs syncBuffer
	go func() {
		done <- run([]string{"--addr", addr, "--api-user", "u@example.com", "--api-password", "pw", "--lists", "Customers",
			"--fault", "fail5xx:GET /v2/server-time"}, &logs)
	}()

	var res *http.Response
	deadline := time.Now().Add(10 * time.Second)
	for {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/v2/address-books", nil)
		req.SetBasicAuth("u@example.com", "pw")
		res, err = http.DefaultClient.Do(req)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("emulator never answered: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var body bytes.Buffer
	_, _ = body.ReadFrom(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(body.String(), `"name":"Customers"`) {
		t.Fatalf("address books: %d %s", res.StatusCode, body.String())
	}
	// the --fault is armed and visible to tools outside the process
	res, err = http.Get("http://" + addr + "/_emulator/faults")
	if err != nil {
		t.Fatal(err)
	}
	body.Reset()
	_, _ = body.ReadFrom(res.Body)
	res.Body.Close()
	if !strings.Contains(body.String(), `"route":"GET /v2/server-time","kind":"fail5xx","count":1`) {
		t.Fatalf("pending faults: %s", body.String())
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop on SIGTERM")
	}
	if strings.Contains(logs.String(), "pw") {
		t.Fatal("password logged")
	}
	if _, err := http.Get(fmt.Sprintf("http://%s/", addr)); err == nil {
		t.Fatal("still serving after shutdown")
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
