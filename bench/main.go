// Command bench measures the service against its service levels
// (../shared/BRIEF.md, docs/performance.md): it runs the real service (the
// embedded Temporal server on a SQLite file, the workers, both emulators)
// through named scenarios, one after the other in one run, prints a table of
// figures against the targets and writes them as JSON. Every scenario ends
// by reconciling Odoo against Dotdigital through both APIs and fails on any
// difference.
//
//	go run ./bench                                   # all scenarios, default sizes (a few minutes)
//	go run ./bench --scenario steady,peak            # some of them
//	go run ./bench --customers 100000                # full-size backfill and memory runs
//	go run ./bench --help                            # every flag
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
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"
)

// Scenario names, in run order.
const (
	scSteady   = "steady"
	scPeak     = "peak"
	scBackfill = "backfill"
	scMemory   = "memory"
	scCeiling  = "ceiling"
)

var allScenarios = []string{scSteady, scPeak, scBackfill, scMemory, scCeiling}

type options struct {
	scenarios   map[string]bool
	jsonPath    string
	cpuProfile  string
	verbose     bool
	odooVersion int
	seed        int64
	importDelay time.Duration
	workDir     string
	freshTags   bool

	// steady
	steadyDuration time.Duration
	steadyRate     float64
	steadyBase     int
	pollInterval   time.Duration
	debounce       time.Duration
	steadyLimits   tierLimits
	steadyVariants []string
	steadyIdle     time.Duration
	steadyLater    int

	// peak
	peakDuration time.Duration
	peakFactor   float64
	peakProfiles int
	peakEdits    int
	peakWindow   time.Duration
	peakLow      int
	peakMedium   int
	peakWebhooks bool

	// backfill and memory
	customers        int
	memoryDuration   time.Duration
	memoryRate       float64
	backfillParallel int

	// engine ceiling
	ceilingChanges int
	ceilingWriters int
}

// tierLimits are the Dotdigital emulator's calls per window for the steady scenario.
type tierLimits struct{ low, medium, high int }

func main() {
	if os.Getenv(childEnv) != "" {
		os.Exit(runWorkerChild())
	}
	opts, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := run(ctx, opts, os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	for _, s := range rep.Scenarios {
		if !s.ok() {
			os.Exit(1)
		}
	}
}

func parseFlags(args []string, out io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintln(out, `usage: go run ./bench [flags]

Runs the service (embedded Temporal server, workers, both emulators) through
the scenarios and prints scenario | metric | value | target | result.
Scenarios: steady, peak, backfill, memory, ceiling (see docs/performance.md).
The exit status is 1 when a target is missed or Dotdigital does not match Odoo.

Flags:`)
		fs.PrintDefaults()
	}
	scenarios := fs.String("scenario", "all", "comma-separated scenarios to run: "+strings.Join(allScenarios, ",")+" or all")
	fs.StringVar(&o.jsonPath, "json", filepath.Join(os.TempDir(), "odoo-dotdigital-sync-bench.json"), "where to write the results as JSON (\"\" for none)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of this process to the file; backfill/memory also profile the worker process to <file>.worker-<customers>")
	fs.BoolVar(&o.verbose, "verbose", false, "show the service's warnings and the emulators' logs on stderr")
	fs.IntVar(&o.odooVersion, "odoo-version", 17, "Odoo version the emulator speaks (16, 17, 18; 17 sends webhooks before commit)")
	fs.Int64Var(&o.seed, "seed", 1, "seed of the generated data and traffic")
	fs.DurationVar(&o.importDelay, "import-delay", 500*time.Millisecond, "Dotdigital emulator's processing time of one import (its default)")
	fs.BoolVar(&o.freshTags, "fresh-tags", false, "leave the Odoo tags as the emulator creates them, all at once: the poller's first poll re-reads the five minutes before the newest tag change and resyncs every tagged customer live (see docs/performance.md); by default a newer tag that nobody carries is added first")
	fs.StringVar(&o.workDir, "work-dir", "", "directory for the Temporal SQLite files and spill files (default: a temporary directory, removed afterwards)")

	fs.DurationVar(&o.steadyDuration, "steady-duration", 30*time.Second, "steady: traffic duration of each of the two runs (webhooks, polling only)")
	fs.Float64Var(&o.steadyRate, "steady-rate", 3, "steady: shop actions per second")
	fs.IntVar(&o.steadyBase, "steady-customers", 2000, "steady: existing (seeded) customers the shop also acts on")
	fs.DurationVar(&o.pollInterval, "poll-interval", 5*time.Second, "SYNC_POLL_INTERVAL of the service (its default)")
	fs.DurationVar(&o.debounce, "debounce", 2*time.Second, "SYNC_DEBOUNCE of the service (its default)")
	fs.DurationVar(&o.steadyIdle, "steady-idle", 20*time.Second, "steady: SYNC_IDLE_TIMEOUT of the service, short so that the later phase meets idle customers")
	fs.IntVar(&o.steadyLater, "steady-later", 45, "steady: changes made after every customer went idle (email changes, merges, archives, cancellations, tags); 0 skips the later phase")
	variants := fs.String("steady-variants", "webhooks,polling", "steady: which runs: webhooks (Odoo webhooks poke the poller) and/or polling (polling alone)")
	steadyLimits := fs.String("steady-limits", "low=150,medium=900,high=60000", "steady: Dotdigital calls per minute per tier")

	fs.DurationVar(&o.peakDuration, "peak-duration", 30*time.Second, "peak: how long orders and profile changes pour in")
	fs.Float64Var(&o.peakFactor, "peak-factor", 10, "peak: orders per second as a multiple of what single calls could carry")
	fs.IntVar(&o.peakProfiles, "peak-profiles", 300, "peak: existing customers whose profiles change during the peak")
	fs.IntVar(&o.peakEdits, "peak-edits", 3, "peak: profile edits per such customer")
	fs.DurationVar(&o.peakWindow, "peak-window", 10*time.Second, "peak: the emulator's rate-limit window")
	fs.IntVar(&o.peakLow, "peak-limit-low", 10, "peak: low-tier calls (imports) per window")
	fs.IntVar(&o.peakMedium, "peak-limit-medium", 20, "peak: medium-tier calls (single writes) per window: the single-call budget")
	fs.BoolVar(&o.peakWebhooks, "peak-webhooks", true, "peak: Odoo sends webhooks")

	fs.IntVar(&o.customers, "customers", 20000, "backfill and memory: customers seeded in Odoo (about 1.5 partners and 3 orders each); memory also runs a tenth of it")
	fs.DurationVar(&o.memoryDuration, "memory-duration", 30*time.Second, "memory: steady traffic duration at each size")
	fs.Float64Var(&o.memoryRate, "memory-rate", 3, "memory: shop actions per second")
	fs.IntVar(&o.backfillParallel, "backfill-parallel", 0, "backfill: pages in flight (0: the service's default)")

	fs.IntVar(&o.ceilingChanges, "ceiling-changes", 1000, "ceiling: confirmed orders of new customers pushed through")
	fs.IntVar(&o.ceilingWriters, "ceiling-writers", 4, "ceiling: goroutines creating them in Odoo")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (see --help)", fs.Arg(0))
	}
	o.scenarios = map[string]bool{}
	for _, s := range strings.Split(*scenarios, ",") {
		s = strings.TrimSpace(s)
		switch {
		case s == "all":
			for _, n := range allScenarios {
				o.scenarios[n] = true
			}
		case contains(allScenarios, s):
			o.scenarios[s] = true
		case s != "":
			return nil, fmt.Errorf("unknown scenario %q (want %s or all)", s, strings.Join(allScenarios, ", "))
		}
	}
	var err error
	if o.steadyLimits, err = parseLimits(*steadyLimits); err != nil {
		return nil, err
	}
	for _, v := range strings.Split(*variants, ",") {
		switch v = strings.TrimSpace(v); v {
		case "webhooks", "polling":
			o.steadyVariants = append(o.steadyVariants, v)
		case "":
		default:
			return nil, fmt.Errorf("--steady-variants: %q is not webhooks or polling", v)
		}
	}
	switch {
	case len(o.scenarios) == 0:
		return nil, errors.New("no scenario selected")
	case o.steadyRate <= 0 || o.memoryRate <= 0 || o.peakFactor <= 0:
		return nil, errors.New("rates and factors must be positive")
	case o.customers < 100:
		return nil, errors.New("--customers must be at least 100")
	case o.peakLow < 1 || o.peakMedium < 2 || o.peakWindow < time.Second:
		return nil, errors.New("peak limits: at least 1 low and 2 medium calls per window of at least 1s")
	case o.ceilingChanges < 1 || o.ceilingWriters < 1:
		return nil, errors.New("--ceiling-changes and --ceiling-writers must be positive")
	}
	return o, nil
}

func parseLimits(s string) (tierLimits, error) {
	var l tierLimits
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		var n int
		if _, err := fmt.Sscan(v, &n); !ok || err != nil || n < 0 {
			return l, fmt.Errorf("--steady-limits: %q is not TIER=N", part)
		}
		switch k {
		case "low":
			l.low = n
		case "medium":
			l.medium = n
		case "high":
			l.high = n
		default:
			return l, fmt.Errorf("--steady-limits: unknown tier %q", k)
		}
	}
	return l, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// run executes the selected scenarios one after the other and reports.
func run(ctx context.Context, o *options, stdout, stderr io.Writer) (*Report, error) {
	dir := o.workDir
	if dir == "" {
		d, err := os.MkdirTemp("", "sync-bench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		dir = d
	} else if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	logger := slog.New(slog.DiscardHandler)
	if o.verbose {
		level := slog.LevelWarn
		if os.Getenv("BENCH_DEBUG") != "" {
			level = slog.LevelDebug // the service's debug log, e.g. each bulk sync's stages
		}
		logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	}
	start := time.Now()
	e := &env{opts: o, logger: logger, dir: dir, progress: func(format string, args ...any) {
		fmt.Fprintf(stderr, "%s [%6.1fs] %s\n", time.Now().Format("15:04:05"), time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
		defer func() { pprof.StopCPUProfile(); _ = f.Close() }()
	}
	rep := &Report{StartedAt: start, Machine: machineInfo(), Command: strings.Join(os.Args, " ")}
	type step struct {
		name string
		run  func(context.Context, *env) []*ScenarioResult
	}
	steps := []step{
		{scSteady, runSteady},
		{scPeak, func(ctx context.Context, e *env) []*ScenarioResult { return []*ScenarioResult{runPeak(ctx, e)} }},
		{scBackfill + "+" + scMemory, runLoad},
		{scCeiling, func(ctx context.Context, e *env) []*ScenarioResult { return []*ScenarioResult{runCeiling(ctx, e)} }},
	}
	for _, st := range steps {
		selected := false
		for _, n := range strings.Split(st.name, "+") {
			selected = selected || o.scenarios[n]
		}
		if !selected || ctx.Err() != nil {
			continue
		}
		e.progress("=== %s", st.name)
		for _, r := range st.run(ctx, e) {
			r.Seconds = time.Since(r.Started).Seconds()
			rep.Scenarios = append(rep.Scenarios, r)
			e.progress("%s: %d figures, %d failures", r.Name, len(r.Metrics), len(r.Failures))
		}
	}
	rep.Seconds = time.Since(start).Seconds()
	writeTable(stdout, rep)
	if o.jsonPath != "" {
		if err := writeJSON(o.jsonPath, rep); err != nil {
			return rep, err
		}
		fmt.Fprintf(stdout, "results written to %s\n", o.jsonPath)
	}
	return rep, ctx.Err()
}
