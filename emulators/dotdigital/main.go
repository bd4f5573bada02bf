// Command dotdigital runs the Dotdigital API emulator on its own:
//
//	go run ./emulators/dotdigital --addr 127.0.0.1:8090 --api-user demo@apiconnector.com --api-password demo
//
// It serves /v2/..., /contacts/v3/... and /insightData/v3/... with Basic
// auth, call-rate limits and optional fault injection, plus a read-only
// inspection page at / (and /_emulator/stats.json). Targeted faults are armed
// with --fault or at run time through /_emulator/faults. SIGINT/SIGTERM stop it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/dotdigital/ddemu"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "dotdigital emulator:", err)
		os.Exit(2)
	}
}

// config is what the flags produce.
type config struct {
	addr     string
	opts     ddemu.Options
	lists    []string
	suppress []string
	faults   faultFlags
	level    slog.Level
}

// faultFlags collects the repeatable --fault flag.
type faultFlags []ddemu.TargetedFault

func (f *faultFlags) String() string { return fmt.Sprint(len(*f), " targeted faults") }

// Set parses one --fault value; the route is checked later, by InjectFault.
func (f *faultFlags) Set(s string) error {
	tf, err := ddemu.ParseTargetedFault(s)
	if err != nil {
		return err
	}
	*f = append(*f, tf)
	return nil
}

func parseFlags(args []string, out io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("dotdigital", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: go run ./emulators/dotdigital [flags]\n\nDotdigital REST API emulator (v2, contacts v3, insightData v3). Flags:\n")
		fs.PrintDefaults()
	}
	var (
		low, medium, high  int
		resetFormat        string
		lists, suppress    string
		logLevel           string
		seed               uint64
		fault5xx, timeout  float64
		slow, applied5xx   float64
		skipSuppressed     bool
		window, flatWindow time.Duration
	)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8090", "listen address (host:port; port 0 picks a free one)")
	fs.StringVar(&c.opts.APIUser, "api-user", "demo@apiconnector.com", "API user name for Basic auth")
	fs.StringVar(&c.opts.APIPassword, "api-password", "demo", "API user password for Basic auth")
	fs.IntVar(&low, "limit-low", 0, "calls per window for low-tier endpoints (bulk imports, listings); 0 = unlimited")
	fs.IntVar(&medium, "limit-medium", 0, "calls per window for medium-tier endpoints (single contact/record writes); 0 = unlimited")
	fs.IntVar(&high, "limit-high", 0, "calls per window for high-tier endpoints (single reads, job status, account info); 0 = unlimited")
	fs.DurationVar(&window, "window", time.Minute, "tiered rate-limit window")
	fs.IntVar(&c.opts.FlatHourly, "flat-hourly", 0, "switch to the legacy flat scheme: at most N calls per rolling --flat-window, then 400 ERROR_APIUSAGE_EXCEEDED (0 = tiered scheme)")
	fs.DurationVar(&flatWindow, "flat-window", time.Hour, "rolling window of the flat scheme")
	fs.StringVar(&resetFormat, "reset-format", "delta", "X-RateLimit-Reset format: delta (seconds until reset) or epoch (Unix seconds)")
	fs.DurationVar(&c.opts.ImportDelay, "import-delay", 500*time.Millisecond, "processing delay of asynchronous jobs (imports, bulk deletes)")
	fs.DurationVar(&c.opts.ImportDelayPerRecord, "import-delay-per-record", 0, "extra processing time per submitted import row")
	fs.BoolVar(&skipSuppressed, "import-skips-suppressed", false, "contact imports leave globally suppressed contacts untouched (failure globallySuppressed)")
	fs.Float64Var(&fault5xx, "fault-5xx", 0, "fraction of calls answered 500/503 before taking effect")
	fs.Float64Var(&timeout, "fault-timeout", 0, "fraction of calls that hang until the client gives up or --timeout-delay passes, then 504")
	fs.Float64Var(&slow, "slow", 0, "fraction of calls delayed by --slow-delay")
	fs.Float64Var(&applied5xx, "fault-applied-5xx", 0, "fraction of calls that take effect but are answered 500/503")
	fs.DurationVar(&c.opts.SlowDelay, "slow-delay", 2*time.Second, "delay of slow calls")
	fs.DurationVar(&c.opts.TimeoutDelay, "timeout-delay", 130*time.Second, "how long a timed-out call hangs before its 504")
	fs.Var(&c.faults, "fault", "targeted fault, repeatable: KIND:ROUTE[:PATHCONTAINS[:COUNT[:SKIP]]] or a JSON object; "+
		"KIND applied5xx|fail5xx|timeout, ROUTE as on the inspection page, e.g. 'applied5xx:PATCH /contacts/v3/{identifier}/{value}:/contactId/:1'")
	fs.Uint64Var(&seed, "seed", 0, "seed of the fault dice (0 = time-based)")
	fs.StringVar(&c.opts.PublicURL, "public-url", "", "base URL reported in account-info and paging links (default: from the request's Host)")
	fs.Int64Var(&c.opts.ContactIDBase, "contact-id-base", 0, "first contactId minus one (e.g. 3000000000 to exercise int64 ids)")
	fs.StringVar(&lists, "lists", "", "comma-separated list (address book) names to create at start")
	fs.StringVar(&suppress, "suppress", "", "comma-separated emails to put on the suppression list at start")
	fs.StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn, error")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if err := c.level.UnmarshalText([]byte(logLevel)); err != nil {
		return c, fmt.Errorf("--log-level: %w", err)
	}
	c.opts.Limits = map[ddemu.Tier]int{ddemu.TierLow: low, ddemu.TierMedium: medium, ddemu.TierHigh: high}
	c.opts.Window, c.opts.FlatWindow = window, flatWindow
	c.opts.ResetFormat = ddemu.ResetFormat(resetFormat)
	c.opts.Fault5xxRate, c.opts.TimeoutRate, c.opts.SlowRate, c.opts.Applied5xxRate = fault5xx, timeout, slow, applied5xx
	c.opts.Seed = seed
	c.opts.ImportSkipsSuppressed = skipSuppressed
	c.lists, c.suppress = splitList(lists), splitList(suppress)
	return c, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func run(args []string, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.level}))
	cfg.opts.Logger = logger
	emu, err := ddemu.New(cfg.opts)
	if err != nil {
		return err
	}
	defer emu.Close()
	for _, f := range cfg.faults {
		if err := emu.InjectFault(f); err != nil {
			return fmt.Errorf("--fault: %w", err)
		}
	}
	for _, name := range cfg.lists {
		id, err := emu.CreateList(name)
		if err != nil {
			return fmt.Errorf("--lists %q: %w", name, err)
		}
		logger.Info("list ready", "name", name, "id", id)
	}
	for _, email := range cfg.suppress {
		if err := emu.Suppress(email); err != nil {
			return fmt.Errorf("--suppress: %w", err)
		}
	}
	if len(cfg.suppress) > 0 {
		logger.Info("suppressed contacts seeded", "count", len(cfg.suppress))
	}
	// Catch signals before serving, so that a signal never finds the process unprepared.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := emu.Start(cfg.addr); err != nil {
		return err
	}
	<-ctx.Done()
	logger.Info("shutting down")
	return emu.Close()
}
