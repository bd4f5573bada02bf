package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/dotdigital"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/odoo"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/dotdigital/ddemu"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/odoo/odooemu"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/app"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/backfill"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/config"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/devserver"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/identity"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/workflows"
)

// The backfill tests run the emulators and the Temporal server in this
// process and the worker in a child process (this test binary again, running
// TestBackfillWorkerProcess), so that a crash is what it is in production:
// SIGKILL of the worker, with its activity and workflow task abandoned and
// noticed by the server only through timeouts. Stopping an in-process app
// would be a graceful shutdown instead (workers finish their activities).

const workerProcessEnv = "BACKFILL_WORKER_PROCESS"

// backfillRig is everything but the worker.
type backfillRig struct {
	t      *testing.T
	ctx    context.Context
	odoo   *odooemu.Emulator
	dd     *ddemu.Emulator
	server *devserver.Server
	client client.Client
	oc     *odoo.Client
	ddc    *dotdigital.Client
	cfg    *config.Config
	env    []string // the worker's environment
	dir    string
}

func newBackfillRig(t *testing.T, customers int, importDelay time.Duration) *backfillRig {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	r := &backfillRig{t: t, ctx: ctx, dir: t.TempDir()}
	seedStart := time.Now()
	var err error
	r.odoo, err = odooemu.New(odooemu.Options{DB: "odoo", Login: "admin", Password: "admin", Version: 17, SeedCustomers: customers, Seed: 5, Logger: testLogger()})
	require.NoError(t, err)
	require.NoError(t, r.odoo.Start("127.0.0.1:0"))
	t.Cleanup(func() { _ = r.odoo.Close() })
	t.Logf("Odoo emulator seeded with %d customers in %s", customers, time.Since(seedStart).Round(time.Millisecond))
	repairSeedUTF8(t, r.odoo)
	r.dd, err = ddemu.New(ddemu.Options{APIUser: "demo@apiconnector.com", APIPassword: "demo", ImportDelay: importDelay, Logger: testLogger()})
	require.NoError(t, err)
	require.NoError(t, r.dd.Start("127.0.0.1:0"))
	t.Cleanup(func() { _ = r.dd.Close() })
	r.server, err = devserver.Start(ctx, devserver.Options{Namespace: "default", FrontendPort: 0, UIPort: -1, SearchAttributes: app.SearchAttributeTypes()})
	require.NoError(t, err)
	t.Cleanup(r.server.Stop)

	vars := map[string]string{
		"ODOO_URL": r.odoo.URL(), "ODOO_DB": "odoo", "ODOO_LOGIN": "admin", "ODOO_API_KEY": "admin",
		"DOTDIGITAL_API_USER": "demo@apiconnector.com", "DOTDIGITAL_API_PASSWORD": "demo", "DOTDIGITAL_ENDPOINT": r.dd.URL(),
		"TEMPORAL_ADDRESS": r.server.FrontendAddress(), "SYNC_ID_SECRET": "e2e-backfill", "SYNC_HTTP_ADDR": "127.0.0.1:0",
		"DOTDIGITAL_TASKS_PER_SECOND": "200", "SYNC_LOG_LEVEL": "warn",
	}
	for k, v := range vars {
		r.env = append(r.env, k+"="+v)
	}
	r.cfg, err = config.Load(nil, func(k string) string { return vars[k] })
	require.NoError(t, err)
	r.client, err = app.Dial(ctx, r.cfg, r.server.FrontendAddress(), nil, testLogger())
	require.NoError(t, err)
	t.Cleanup(r.client.Close)
	r.oc, err = odoo.New(odoo.Config{URL: r.odoo.URL(), DB: "odoo", Login: "admin", APIKey: "admin"})
	require.NoError(t, err)
	r.ddc, err = dotdigital.New(dotdigital.Config{APIUser: "demo@apiconnector.com", APIPassword: "demo", Endpoint: r.dd.URL()})
	require.NoError(t, err)
	return r
}

// repairSeedUTF8 works around a bug of the emulator's seed generator: its
// email variants upper-case the first byte of "Name <addr>, addr2" emails,
// which splits a multi-byte first letter (Łukasz) into invalid UTF-8 that
// no XML-RPC client can decode (real Odoo always answers valid UTF-8). The
// rows are rewritten through the ORM with the broken bytes dropped.
func repairSeedUTF8(t *testing.T, e *odooemu.Emulator) {
	t.Helper()
	rows, err := e.Call(context.Background(), "res.partner", "search_read", []any{[]any{}},
		map[string]any{"fields": []any{"name", "email"}, "context": map[string]any{"active_test": false}})
	require.NoError(t, err)
	list, ok := rows.([]any)
	require.True(t, ok, "search_read answers a list, got %T", rows)
	repaired := 0
	for _, row := range list {
		rec, _ := row.(map[string]any)
		for _, f := range []string{"name", "email"} {
			v, _ := rec[f].(string)
			if v != "" && !utf8.ValidString(v) {
				_, err := e.Call(context.Background(), "res.partner", "write", []any{[]any{rec["id"]}, map[string]any{f: strings.ToValidUTF8(v, "")}}, nil)
				require.NoError(t, err)
				repaired++
			}
		}
	}
	e.ResetCalls()
	if repaired > 0 {
		t.Logf("repaired %d seeded partner fields holding invalid UTF-8 (emulator seed bug)", repaired)
	}
}

// workerProc is a worker child process.
type workerProc struct {
	cmd       *exec.Cmd
	statsFile string
	stdin     interface{ Close() error }
}

// startWorker runs a worker in a child process; it lives until killed,
// stopped, or this process ends (its stdin closes).
func (r *backfillRig) startWorker(name string, extraEnv ...string) *workerProc {
	r.t.Helper()
	w := &workerProc{statsFile: filepath.Join(r.dir, name+".stats")}
	w.cmd = exec.Command(os.Args[0], "-test.run=^TestBackfillWorkerProcess$", "-test.timeout=0")
	w.cmd.Env = append(append(append(os.Environ(), r.env...), workerProcessEnv+"=1", "BACKFILL_WORKER_STATS="+w.statsFile), extraEnv...)
	stdin, err := w.cmd.StdinPipe()
	require.NoError(r.t, err)
	w.stdin = stdin
	stdout, err := w.cmd.StdoutPipe()
	require.NoError(r.t, err)
	w.cmd.Stderr = os.Stderr
	require.NoError(r.t, w.cmd.Start())
	r.t.Cleanup(func() { _ = w.cmd.Process.Kill(); _ = w.cmd.Wait() })
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, "WORKER READY") || strings.HasPrefix(line, "WORKER FAILED") {
				ready <- line
			}
		}
	}()
	select {
	case line := <-ready:
		require.True(r.t, strings.HasPrefix(line, "WORKER READY"), line)
	case <-time.After(60 * time.Second):
		r.t.Fatal("worker process did not start")
	}
	return w
}

// kill ends the worker as a crash does.
func (w *workerProc) kill(t *testing.T) {
	require.NoError(t, w.cmd.Process.Signal(syscall.SIGKILL))
	_ = w.cmd.Wait()
}

// stop ends the worker gracefully (it writes its final stats).
func (w *workerProc) stop(t *testing.T) {
	require.NoError(t, w.cmd.Process.Signal(syscall.SIGTERM))
	_ = w.cmd.Wait()
}

// peakRSS reads the worker's peak resident set (VmHWM) while it runs.
func (w *workerProc) peakRSS() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", w.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			kb, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// workerStats is what the worker process reports about its Go heap.
type workerStats struct {
	PeakHeapAlloc uint64 `json:"peakHeapAlloc"`
	PeakHeapInuse uint64 `json:"peakHeapInuse"`
	NumGC         uint32 `json:"numGC"`
}

func (w *workerProc) stats(t *testing.T) workerStats {
	var s workerStats
	b, err := os.ReadFile(w.statsFile)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &s))
	return s
}

// TestBackfillWorkerProcess is the worker child process of the backfill
// tests; it does nothing in a normal test run.
func TestBackfillWorkerProcess(t *testing.T) {
	if os.Getenv(workerProcessEnv) == "" {
		t.Skip("helper process of the backfill tests")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() { // the parent went away: its pipe closes
		_, _ = bufio.NewReader(os.Stdin).ReadString(0)
		stop()
	}()
	if path := os.Getenv("BACKFILL_WORKER_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		require.NoError(t, err)
		require.NoError(t, pprof.StartCPUProfile(f))
		defer func() { pprof.StopCPUProfile(); _ = f.Close() }()
	}
	var peakAlloc, peakInuse atomic.Uint64
	writeStats := func() {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b, _ := json.Marshal(workerStats{PeakHeapAlloc: peakAlloc.Load(), PeakHeapInuse: peakInuse.Load(), NumGC: ms.NumGC})
		_ = os.WriteFile(os.Getenv("BACKFILL_WORKER_STATS"), b, 0o644)
	}
	go func() { // sample the heap often enough to see its peaks
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		last := time.Now()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peakAlloc.Load() {
				peakAlloc.Store(ms.HeapAlloc)
			}
			if ms.HeapInuse > peakInuse.Load() {
				peakInuse.Store(ms.HeapInuse)
			}
			if time.Since(last) > time.Second {
				writeStats()
				last = time.Now()
			}
		}
	}()
	cfg, err := config.Load(nil, os.Getenv)
	if err == nil {
		err = cfg.Validate()
	}
	var a *app.App
	if err == nil {
		a, err = app.Start(ctx, cfg, testLogger(), app.Options{SkipSingletons: true})
	}
	if err != nil {
		fmt.Println("WORKER FAILED", err)
		t.Fatal(err)
	}
	fmt.Println("WORKER READY")
	<-ctx.Done()
	a.Stop(context.Background())
	writeStats()
}

// startBackfill starts the workflow as `starter backfill` does.
func (r *backfillRig) startBackfill(opts backfill.Options) client.WorkflowRun {
	run, err := r.client.ExecuteWorkflow(r.ctx, client.StartWorkflowOptions{ID: names.BackfillWorkflowID, TaskQueue: r.cfg.Temporal.Queues.Workflows},
		names.WorkflowBackfill, workflows.BackfillInput{Settings: app.SettingsFrom(r.cfg), Options: opts})
	require.NoError(r.t, err)
	return run
}

func (r *backfillRig) progress() (backfill.Progress, error) {
	var p backfill.Progress
	ctx, cancel := context.WithTimeout(r.ctx, 5*time.Second)
	defer cancel()
	v, err := r.client.QueryWorkflow(ctx, names.BackfillWorkflowID, "", string(names.QueryProgress))
	if err != nil {
		return p, err
	}
	return p, v.Get(&p)
}

func (r *backfillRig) wait(run client.WorkflowRun, timeout time.Duration) backfill.Result {
	ctx, cancel := context.WithTimeout(r.ctx, timeout)
	defer cancel()
	var res backfill.Result
	require.NoError(r.t, run.Get(ctx, &res), "backfill did not finish within %s", timeout)
	return res
}

// odooTruth is what Odoo says each customer should be, computed here from
// raw XML-RPC reads, independently of the sync's code: the key of every
// partner that is a customer (valid email; active; not a company's own
// partner nor an internal user), its partner ids, its confirmed order count and the ids
// of its orders that have an Insight record (confirmed or cancelled).
type odooTruth struct {
	partners  int
	customers map[string]*truthCustomer
}

type truthCustomer struct {
	partnerIDs []int64
	confirmed  int
	recorded   map[string]bool
}

func (r *backfillRig) truth() odooTruth {
	r.t.Helper()
	archived := odoo.ReadOptions{Context: map[string]any{"active_test": false}}
	notCustomers := map[int64]bool{}
	companies, err := r.oc.SearchRead(r.ctx, "res.company", nil, []string{"partner_id"}, odoo.ReadOptions{})
	require.NoError(r.t, err)
	for _, c := range companies {
		notCustomers[c.Many2One("partner_id").ID] = true
	}
	internal, err := r.oc.Search(r.ctx, "res.partner", odoo.Term("partner_share", "=", false), archived)
	require.NoError(r.t, err)
	for _, id := range internal {
		notCustomers[id] = true
	}
	out := odooTruth{customers: map[string]*truthCustomer{}}
	keyOf := map[int64]string{}
	require.NoError(r.t, r.oc.ScanIDs(r.ctx, "res.partner", nil, 0, 20000, func(ids []int64) error {
		recs, err := r.oc.Read(r.ctx, "res.partner", ids, []string{"email", "email_normalized", "active"})
		if err != nil {
			return err
		}
		for _, rec := range recs {
			out.partners++
			k, _ := identity.Key(rec.String("email_normalized"), rec.String("email"))
			// Archived partners leave their customer, and their orders
			// with them (BRIEF: identity rules).
			if k == "" || notCustomers[rec.ID()] || !rec.Bool("active") {
				continue
			}
			c := out.customers[k]
			if c == nil {
				c = &truthCustomer{recorded: map[string]bool{}}
				out.customers[k] = c
			}
			c.partnerIDs = append(c.partnerIDs, rec.ID())
			keyOf[rec.ID()] = k
		}
		return nil
	}))
	require.NoError(r.t, r.oc.ScanIDs(r.ctx, "sale.order", nil, 0, 20000, func(ids []int64) error {
		recs, err := r.oc.Read(r.ctx, "sale.order", ids, []string{"partner_id", "state"})
		if err != nil {
			return err
		}
		for _, rec := range recs {
			c := out.customers[keyOf[rec.Many2One("partner_id").ID]]
			if c == nil {
				continue
			}
			switch rec.String("state") {
			case "sale", "done":
				c.confirmed++
				c.recorded[strconv.FormatInt(rec.ID(), 10)] = true
			case "cancel":
				c.recorded[strconv.FormatInt(rec.ID(), 10)] = true
			}
		}
		return nil
	}))
	return out
}

// checkDotdigital compares Dotdigital, read through its REST API, with the
// truth: every customer exactly once, with its partner ids, ORDER_COUNT and
// one Insight record per confirmed or cancelled order, and nothing else.
// It returns the number of customers checked.
func (r *backfillRig) checkDotdigital(truth odooTruth, rejected map[string]bool) int {
	r.t.Helper()
	byID := map[int64]string{}
	seen := map[string]dotdigital.Contact{}
	for c, err := range r.ddc.AllContacts(r.ctx, dotdigital.ContactFilter{Limit: 5000, DataFields: []string{"ORDER_COUNT", "ODOO_PARTNER_IDS"}}) {
		require.NoError(r.t, err)
		key := strings.ToLower(strings.TrimSpace(c.Email))
		_, dup := seen[key]
		require.False(r.t, dup, "a second contact for %s", key)
		seen[key] = c
		byID[c.ContactID] = key
	}
	records := map[string]map[string]bool{}
	for rec, err := range r.ddc.AllCollectionRecords(r.ctx, "Orders", 5000) {
		require.NoError(r.t, err)
		key := byID[rec.OwnerContactID]
		if records[key] == nil {
			records[key] = map[string]bool{}
		}
		records[key][rec.Key] = true
	}
	checked := 0
	for key, want := range truth.customers {
		c, ok := seen[key]
		if rejected[key] {
			continue
		}
		require.True(r.t, ok, "no contact for customer %s", key)
		delete(seen, key)
		sort.Slice(want.partnerIDs, func(i, j int) bool { return want.partnerIDs[i] < want.partnerIDs[j] })
		ids := make([]string, len(want.partnerIDs))
		for i, id := range want.partnerIDs {
			ids[i] = strconv.FormatInt(id, 10)
		}
		require.Equal(r.t, strings.Join(ids, ","), fmt.Sprint(field(c, "ODOO_PARTNER_IDS")), "partners of %s", key)
		require.InDelta(r.t, float64(want.confirmed), num(field(c, "ORDER_COUNT")), 0.001, "ORDER_COUNT of %s", key)
		require.Equal(r.t, len(want.recorded), len(records[key]), "Insight records of %s", key)
		for k := range want.recorded {
			require.True(r.t, records[key][k], "record %s of %s", k, key)
		}
		checked++
	}
	require.Empty(r.t, seen, "contacts that are no Odoo customer")
	return checked
}

func TestBackfillSurvivesAWorkerCrash(t *testing.T) {
	const customers = 4000
	r := newBackfillRig(t, customers, 100*time.Millisecond)
	truth := r.truth()
	t.Logf("Odoo: %d partners, %d customers", truth.partners, len(truth.customers))
	opts := backfill.Options{PagePartners: 300, Parallel: 2, HeartbeatTimeout: 2 * time.Second, RetryDelay: time.Second}
	pages := int(math.Ceil(float64(truth.partners) / 300))

	first := r.startWorker("first")
	start := time.Now()
	run := r.startBackfill(opts)
	var before backfill.Progress
	deadline := time.Now().Add(30 * time.Second)
	for before.Pages < 4 {
		require.True(t, time.Now().Before(deadline), "no progress: %+v", before)
		time.Sleep(20 * time.Millisecond)
		if p, err := r.progress(); err == nil {
			before = p
		}
	}
	first.kill(t) // mid-page: its activities and workflow task are abandoned
	importsAtKill := r.dd.Stats().ContactImportsRun
	require.Less(t, before.Pages, pages, "killed mid-way")
	t.Logf("worker killed after %d of %d pages (%s)", before.Pages, pages, time.Since(start).Round(time.Millisecond))

	second := r.startWorker("second")
	res := r.wait(run, 60*time.Second)
	t.Logf("finished %s after the start: %s", time.Since(start).Round(time.Millisecond), res.Progress.Summary(time.Now()))
	second.stop(t)

	p := res.Progress
	require.True(t, p.Done)
	require.Equal(t, int64(truth.partners), p.Partners, "every partner read once")
	require.Equal(t, pages, p.Pages, "every page counted once")
	require.Equal(t, int64(len(truth.customers)), p.Customers, "every customer sent once")
	require.Equal(t, 1, p.Runs)
	require.Zero(t, p.FailedCustomers, "%+v", p.Recent)
	require.Empty(t, res.Rejected)
	require.GreaterOrEqual(t, p.AfterID, int64(truth.partners))

	// Resumed, not restarted: the imports of pages finished before the
	// crash were not repeated; at most the pages in flight were.
	st := r.dd.Stats()
	require.GreaterOrEqual(t, importsAtKill, int64(before.Pages))
	require.LessOrEqual(t, st.ContactImportsRun, int64(pages+opts.Parallel), "contact imports: %d for %d pages", st.ContactImportsRun, pages)
	require.Zero(t, st.ChannelStatusWrites)

	checked := r.checkDotdigital(truth, nil)
	require.Equal(t, len(truth.customers), checked)
}

// TestBackfillBenchmark measures the initial load (BRIEF: 100k customers and
// 300k orders in at most 5 minutes on 2 cores). It runs only when
// BACKFILL_BENCH holds the number of customers, e.g.
//
//	BACKFILL_BENCH=100000 go test ./e2e/ -run TestBackfillBenchmark -v -timeout 30m
//
// BACKFILL_BENCH_PARALLEL, BACKFILL_BENCH_PAGE, BACKFILL_BENCH_IMPORT_DELAY
// and BACKFILL_BENCH_CHECK=0 (skip the full check) vary the run;
// BACKFILL_WORKER_CPUPROFILE=file profiles the worker process.
func TestBackfillBenchmark(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("BACKFILL_BENCH"))
	if n <= 0 {
		t.Skip("set BACKFILL_BENCH=<customers> to run the initial-load benchmark")
	}
	envInt := func(name string, def int) int {
		if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
			return v
		}
		return def
	}
	delay := 500 * time.Millisecond // the emulator's default processing delay of an import
	if d, err := time.ParseDuration(os.Getenv("BACKFILL_BENCH_IMPORT_DELAY")); err == nil {
		delay = d
	}
	opts := backfill.Options{Parallel: envInt("BACKFILL_BENCH_PARALLEL", 0), PagePartners: envInt("BACKFILL_BENCH_PAGE", 0)}
	r := newBackfillRig(t, n, delay)
	var extra []string
	if p := os.Getenv("BACKFILL_WORKER_CPUPROFILE"); p != "" {
		extra = append(extra, "BACKFILL_WORKER_CPUPROFILE="+p)
	}
	w := r.startWorker("bench", extra...)
	r.dd.Stats() // warm
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	start := time.Now()
	run := r.startBackfill(opts)
	done := make(chan struct{})
	var peakParent atomic.Uint64
	go func() {
		tick := time.NewTicker(10 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				if ms.HeapAlloc > peakParent.Load() {
					peakParent.Store(ms.HeapAlloc)
				}
				if p, err := r.progress(); err == nil {
					t.Logf("%6.1fs %s", time.Since(start).Seconds(), p.Summary(time.Now()))
				}
			}
		}
	}()
	res := r.wait(run, 25*time.Minute)
	wall := time.Since(start)
	close(done)
	rss := w.peakRSS()
	w.stop(t)
	ws := w.stats(t)
	st := r.dd.Stats()
	p := res.Progress

	t.Logf("BACKFILL BENCHMARK: %d customers seeded, Dotdigital import delay %s, GOMAXPROCS %d, options %+v", n, delay, runtime.GOMAXPROCS(0), backfill.Options{}.WithDefaults(r.cfg.Dotdigital.ContactBatch))
	t.Logf("  wall time          %s (target 5m0s)", wall.Round(100*time.Millisecond))
	t.Logf("  partners read      %d in %d pages; customers sent %d (%.0f/s); contacts imported %d; orders imported %d of %d",
		p.Partners, p.Pages, p.Customers, float64(p.Customers)/wall.Seconds(), p.ContactsImported(), p.OrdersImported, p.OrdersSent)
	t.Logf("  failed customers   %d %v; skipped partners %v", p.FailedCustomers, p.Failures, p.Skipped)
	t.Logf("  page time (summed) read Odoo %.1fs, contact imports %.1fs, Insight imports %.1fs", p.ReadSeconds, p.ContactSeconds, p.InsightSeconds)
	t.Logf("  Dotdigital API     %d calls (%v by tier), %d contact imports, %d Insight imports, %d answered 429", st.Calls, st.CallsByTier,
		st.ContactImportsRun, st.InsightImportsRun, st.Status429)
	routes := make([]string, 0, len(st.ByRoute))
	for route := range st.ByRoute {
		routes = append(routes, route)
	}
	sort.Strings(routes)
	for _, route := range routes {
		t.Logf("    %-55s %d", route, st.ByRoute[route].Total)
	}
	odooCalls := int64(0)
	for _, c := range r.odoo.Calls() {
		odooCalls += c
	}
	t.Logf("  Odoo XML-RPC       %d calls %v", odooCalls, r.odoo.Calls())
	t.Logf("  worker process     peak heap %.1f MiB (in use %.1f MiB), peak RSS %.1f MiB, %d GCs", mib(ws.PeakHeapAlloc), mib(ws.PeakHeapInuse), mib(uint64(rss)), ws.NumGC)
	t.Logf("  test process       (emulators + Temporal server) peak heap %.1f MiB", mib(peakParent.Load()))

	require.True(t, p.Done)
	require.Zero(t, st.Status429)
	if os.Getenv("BACKFILL_BENCH_CHECK") != "0" {
		checkStart := time.Now()
		truth := r.truth()
		rejected := map[string]bool{}
		for _, k := range res.Rejected {
			rejected[k] = true
		}
		checked := r.checkDotdigital(truth, rejected)
		require.Equal(t, int64(len(truth.customers)), p.Customers)
		t.Logf("  check              %d customers match Odoo (%d rejected) in %s", checked, len(rejected), time.Since(checkStart).Round(time.Second))
	}
	if wall > 5*time.Minute {
		t.Errorf("initial load took %s, over the 5-minute target", wall.Round(time.Second))
	}
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }
