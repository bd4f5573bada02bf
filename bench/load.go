package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/dotdigital/ddemu"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/app"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/backfill"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/workflows"
)

// loadOutcome is one run of the worker process over a seeded customer base:
// the initial load (backfill), then, for the memory scenario, steady shop
// traffic with the worker's memory measured.
type loadOutcome struct {
	customers int
	partners  int
	orders    int
	started   time.Time

	wall       time.Duration
	result     backfill.Result
	loadCalls  ddemu.Stats // Dotdigital counters at the end of the backfill
	loadMemory memStats    // worker from its start to the end of the backfill
	loadErr    error
	// liveCustomers: customer workflows that ran during the initial load
	// (work the poller routed live); settle: quiet after the backfill.
	liveCustomers int64
	settle        time.Duration

	steady       bool
	steadyMemory memStats // worker during the steady phase only
	phase        *shopPhase

	verify    verifySummary
	verifyErr error
	failures  []string
}

// runLoad runs the backfill and memory scenarios: the worker process over
// --customers seeded customers (backfill figures), and for memory also over
// a tenth of them first, both followed by the same steady traffic.
func runLoad(ctx context.Context, e *env) []*ScenarioResult {
	o := e.opts
	var small, large *loadOutcome
	if o.scenarios[scMemory] {
		small = loadRun(ctx, e, max(o.customers/10, 50), true)
	}
	if ctx.Err() == nil {
		large = loadRun(ctx, e, o.customers, o.scenarios[scMemory])
	}
	var out []*ScenarioResult
	if o.scenarios[scBackfill] && large != nil {
		out = append(out, backfillResult(large))
	}
	if o.scenarios[scMemory] && small != nil && large != nil {
		out = append(out, memoryResult(e, small, large))
	}
	return out
}

func loadRun(ctx context.Context, e *env, customers int, steady bool) *loadOutcome {
	o := e.opts
	lo := &loadOutcome{customers: customers, steady: steady, started: time.Now()}
	name := "load-" + strconv.Itoa(customers)
	r, err := startRig(ctx, e, name, customers)
	if err != nil {
		lo.failures = append(lo.failures, "start: "+err.Error())
		return lo
	}
	defer r.close()
	lo.partners, lo.orders = r.Odoo.RecordCount("res.partner"), r.Odoo.RecordCount("sale.order")
	profile := ""
	if o.cpuProfile != "" {
		profile = o.cpuProfile + ".worker-" + strconv.Itoa(customers)
	}
	if err := r.startWorker(e, profile); err != nil {
		lo.failures = append(lo.failures, err.Error())
		return lo
	}
	e.progress("%s: worker process running; initial load", name)
	lo.wall, lo.result, lo.loadErr = runBackfill(ctx, e, r)
	if lo.loadErr != nil {
		lo.failures = append(lo.failures, "backfill: "+lo.loadErr.Error())
		return lo
	}
	lo.loadCalls = r.DD.Stats()
	if lo.loadMemory, err = r.worker.stats(ctx); err != nil {
		lo.failures = append(lo.failures, "worker stats: "+err.Error())
	}
	lo.liveCustomers = countCustomers(ctx, r.Client, r.Cfg.Temporal.Namespace)
	e.progress("%s: backfill done in %s: %s; %d customer workflows ran meanwhile", name, lo.wall.Round(100*time.Millisecond),
		lo.result.Progress.Summary(time.Now()), lo.liveCustomers)
	// What the first polls routed live must be done before the steady phase.
	settle := time.Now()
	if err := waitQuiet(ctx, r.Client, r.Cfg.Temporal.Namespace, r.Cfg.Dotdigital.LaneShards, settle, 10*time.Minute); err != nil {
		lo.failures = append(lo.failures, err.Error())
		return lo
	}
	lo.settle = time.Since(settle)
	lastChange := time.Now()
	if steady {
		// The same traffic at every size; memory from here on only.
		if err := r.worker.reset(ctx); err != nil {
			lo.failures = append(lo.failures, "worker reset: "+err.Error())
		}
		lo.phase, err = runShop(ctx, e, r.OC, r.DDC, 500, o.memoryRate, o.memoryDuration, 2*time.Minute)
		if err != nil {
			lo.failures = append(lo.failures, "traffic: "+err.Error())
			return lo
		}
		if lo.steadyMemory, err = r.worker.stats(ctx); err != nil {
			lo.failures = append(lo.failures, "worker stats: "+err.Error())
		}
		lastChange = lo.phase.tf.lastChange()
		e.progress("%s: steady phase: peak heap %.1f MiB, live heap p50 %.1f MiB, peak RSS %.1f MiB", name,
			mib(lo.steadyMemory.PeakHeap), mib(lo.steadyMemory.LiveHeapP50), mib(lo.steadyMemory.PeakRSS))
	}
	if err := waitQuiet(ctx, r.Client, r.Cfg.Temporal.Namespace, r.Cfg.Dotdigital.LaneShards, lastChange, 5*time.Minute); err != nil {
		lo.failures = append(lo.failures, err.Error())
	}
	e.progress("%s: reconciling Odoo against Dotdigital", name)
	lo.verify, lo.verifyErr = verify(ctx, r.Odoo.URL(), r.DD.URL(), app.Mapping(r.Cfg), r.dir)
	return lo
}

// runBackfill starts the Backfill workflow as `starter backfill` does (or
// attaches to the one the service started on its fresh deployment), and
// follows it to the end. The wall time runs from the workflow's start.
func runBackfill(ctx context.Context, e *env, r *rig) (time.Duration, backfill.Result, error) {
	var res backfill.Result
	called := time.Now()
	run, err := r.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: names.BackfillWorkflowID, TaskQueue: r.Cfg.Temporal.Queues.Workflows,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}, names.WorkflowBackfill, workflows.BackfillInput{Settings: app.SettingsFrom(r.Cfg), Options: backfill.Options{Parallel: e.opts.backfillParallel}})
	if err != nil {
		return 0, res, err
	}
	start := called
	if d, err := r.Client.DescribeWorkflowExecution(ctx, names.BackfillWorkflowID, run.GetRunID()); err == nil {
		if t := d.GetWorkflowExecutionInfo().GetStartTime().AsTime(); t.Before(start) {
			start = t // the service started it itself on its fresh deployment
		}
	}
	done := make(chan error, 1)
	go func() { done <- run.Get(ctx, &res) }()
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			return time.Since(start), res, err
		case <-tick.C:
			qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			if v, err := r.Client.QueryWorkflow(qctx, names.BackfillWorkflowID, "", string(names.QueryProgress)); err == nil {
				var p backfill.Progress
				if v.Get(&p) == nil {
					e.progress("backfill %s", p.Summary(time.Now()))
				}
			}
			cancel()
		}
	}
}

// countCustomers counts customer workflows, running or closed.
func countCustomers(ctx context.Context, c client.Client, namespace string) int64 {
	n, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: namespace, Query: "WorkflowType = '" + names.WorkflowCustomer + "'"})
	if err != nil {
		return -1
	}
	return n.GetCount()
}

func backfillResult(lo *loadOutcome) *ScenarioResult {
	res := newResult(scBackfill)
	res.Started = lo.started
	res.Params = map[string]any{"customers": lo.customers, "partners": lo.partners, "orders": lo.orders, "workerProcess": true, "rateLimits": "none (emulator default)"}
	res.Failures = append(res.Failures, lo.failures...)
	if lo.loadErr != nil || lo.wall == 0 {
		return res
	}
	p := lo.result.Progress
	target := time.Duration(float64(5*time.Minute) * float64(lo.customers) / 100000)
	note := "BRIEF: 100k customers and 300k orders in <= 5 min on 2 cores"
	if lo.customers != 100000 {
		note = fmt.Sprintf("5 min for 100k, prorated to %d customers", lo.customers)
	}
	res.add(durMetric("wall time", lo.wall, target, note))
	res.add(countMetric("customers sent", p.Customers, fmt.Sprintf("%.0f/s; %d partners read in %d pages", float64(p.Customers)/lo.wall.Seconds(), p.Partners, p.Pages)))
	res.add(countMetric("contacts imported", p.ContactsImported(), ""))
	res.add(countMetric("orders imported", p.OrdersImported, fmt.Sprintf("Insight records (confirmed and cancelled) of %d orders in Odoo", lo.orders)))
	res.add(countMetric("customers rejected", p.FailedCustomers, fmt.Sprintf("%v", p.Failures)))
	st := lo.loadCalls
	res.add(countMetric("Dotdigital API calls", st.Calls, fmt.Sprintf("low %d, medium %d, high %d; %d contact and %d Insight imports",
		st.CallsByTier[ddemu.TierLow], st.CallsByTier[ddemu.TierMedium], st.CallsByTier[ddemu.TierHigh], st.ContactImportsRun, st.InsightImportsRun)))
	res.add(countMetric("429 answers", st.Status429, ""))
	res.add(countMetric("customers synced live meanwhile", lo.liveCustomers, "customer workflows the poller started during the initial load (its first polls)"))
	res.add(durMetric("settled after the backfill", lo.settle, 0, "until no customer or lane has work left"))
	res.add(mibMetric("worker peak heap", lo.loadMemory.PeakHeap, "Go heap, worker process, start to end of backfill"))
	res.add(mibMetric("worker peak RSS", lo.loadMemory.PeakRSS, "VmHWM of the worker process"))
	res.Details["progress"] = p
	if len(lo.result.Rejected) > 0 {
		res.Details["rejected"] = lo.result.Rejected
	}
	applyVerification(res, lo.verify, lo.verifyErr)
	return res
}

func memoryResult(e *env, small, large *loadOutcome) *ScenarioResult {
	res := newResult(scMemory)
	res.Started = small.started
	res.Params = map[string]any{"small": small.customers, "large": large.customers, "duration": e.opts.memoryDuration.String(), "rate": e.opts.memoryRate,
		"measured": "worker process only (Temporal server and emulators in the parent), during the steady phase after the initial load, reset after a GC"}
	res.Failures = append(res.Failures, small.failures...)
	res.Failures = append(res.Failures, large.failures...)
	if small.phase == nil || large.phase == nil {
		return res
	}
	sm, lg := small.steadyMemory, large.steadyMemory
	label := func(n int) string { return strconv.Itoa(n/1000) + "k" }
	if small.customers < 1000 {
		label = func(n int) string { return strconv.Itoa(n) }
	}
	for _, x := range []struct {
		what    string
		s, l    uint64
		target  bool
		explain string
	}{
		{"peak heap", sm.PeakHeap, lg.PeakHeap, true, "largest Go heap sampled every 50 ms"},
		{"live heap p50", sm.LiveHeapP50, lg.LiveHeapP50, false, "heap live after each GC, median"},
		{"live heap max", sm.LiveHeapMax, lg.LiveHeapMax, false, ""},
		{"heap after final GC", sm.HeapAfterGC, lg.HeapAfterGC, false, "at the end of the phase"},
		{"peak RSS", sm.PeakRSS, lg.PeakRSS, true, "VmHWM, reset before the phase"},
	} {
		res.add(mibMetric(x.what+" @"+label(small.customers), x.s, x.explain))
		res.add(mibMetric(x.what+" @"+label(large.customers), x.l, ""))
		ratio := float64(x.l) / float64(max(x.s, 1))
		m := Metric{Name: x.what + " ratio", Value: ratio, Unit: "ratio", Display: fmt.Sprintf("%.2f", ratio)}
		if x.target {
			m.Target, m.Pass, m.Note = "<= 1.50", check(ratio <= 1.5), "BRIEF: worker memory at 10x the customers within 1.5x"
		}
		res.add(m)
	}
	for _, lo := range []*loadOutcome{small, large} {
		lags := lo.phase.tr.lags(kindOrder)
		res.add(durMetric("order lag p95 @"+label(lo.customers), percentile(lags, .95), 0, fmt.Sprintf("%d orders; polling every %s", len(lags), e.opts.pollInterval)))
		lost := int64(len(lo.phase.lost))
		res.add(Metric{Name: "changes not acknowledged @" + label(lo.customers), Value: float64(lost), Unit: "count", Display: fmt.Sprint(lost), Target: "0", Pass: check(lost == 0)})
	}
	res.Details["memory"] = map[string]memStats{label(small.customers): sm, label(large.customers): lg}
	res.Details["initialLoadMemory"] = map[string]memStats{label(small.customers): small.loadMemory, label(large.customers): large.loadMemory}
	// Verified only when both sizes reconcile.
	verified := true
	for _, lo := range []*loadOutcome{small, large} {
		if lo.verifyErr != nil {
			res.fail("verification at %d customers failed to run: %v", lo.customers, lo.verifyErr)
			verified = false
			continue
		}
		if lo.verify.Differences > 0 {
			verified = false
			res.fail("Dotdigital differs from Odoo at %d customers: %v %v", lo.customers, lo.verify.Counts, lo.verify.Items)
		}
	}
	res.Verified = verified
	res.Details["reconcile"] = verifySummary{Customers: small.verify.Customers + large.verify.Customers,
		Differences: small.verify.Differences + large.verify.Differences, Counts: large.verify.Counts}
	return res
}
