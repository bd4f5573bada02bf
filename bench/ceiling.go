package main

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/dotdigital/ddemu"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/odoo/odooemu"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/config"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
)

// runCeiling measures changes per second through the whole path (Odoo
// change -> poller -> customer workflow -> Dotdigital acknowledgement) with
// no API limit, next to a bare Temporal baseline on the same server and
// client: signal-with-start of a workflow that runs one no-op activity.
func runCeiling(ctx context.Context, e *env) *ScenarioResult {
	o := e.opts
	res := newResult(scCeiling)
	n := o.ceilingChanges
	// Polling alone, every second: webhooks would add three HTTP posts and
	// signals per change to the input side; the poller pages through a
	// backlog without waiting (More) anyway.
	poll := time.Second
	res.Params = map[string]any{"changes": n, "writers": o.ceilingWriters, "pollInterval": poll.String(), "webhooks": false, "rateLimits": "none", "tasksPerSecond": "unlimited"}
	s, err := startStack(ctx, e, stackOptions{name: "ceiling", dd: ddemu.Options{}, configure: func(c *config.Config) {
		c.Dotdigital.TasksPerSecond = 100000 // no API budget to keep to
		c.Sync.PollInterval, c.Sync.Debounce, c.Sync.WebhookSecret = poll, o.debounce, ""
	}})
	if err != nil {
		res.fail("start: %v", err)
		return res
	}
	defer s.close()

	// The changes: confirmed orders of n distinct new customers, created as
	// fast as the emulator takes them (in-process calls, no XML-RPC).
	e.progress("ceiling: pushing %d confirmed orders of new customers", n)
	start := time.Now()
	made, createdIn, err := pushOrders(ctx, s.Odoo, n, o.ceilingWriters)
	if err != nil {
		res.fail("create changes: %v", err)
		return res
	}
	deadline := time.Now().Add(10 * time.Minute)
	for s.DD.Stats().InsightRecords < n && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
	}
	// Acknowledgement times are Dotdigital's own: read them once at the end.
	created := map[string]time.Time{}
	for r, err := range s.DDC.AllCollectionRecords(ctx, customer.OrdersCollection, 5000) {
		if err != nil {
			res.fail("list records: %v", err)
			return res
		}
		created[r.Key] = r.Created
	}
	var last time.Time
	var lags []time.Duration
	missing := 0
	for key, at := range made {
		c, ok := created[key]
		if !ok {
			missing++
			continue
		}
		lags = append(lags, c.Sub(at))
		if c.After(last) {
			last = c
		}
	}
	took := last.Sub(start)
	syncRate := float64(n-missing) / took.Seconds()
	res.add(infoMetric("changes created in Odoo", float64(n)/createdIn.Seconds(), "/s", fmt.Sprintf("%.0f/s (%d in %s)", float64(n)/createdIn.Seconds(), n, fmtDur(createdIn)), "input rate, far above the sync's"))
	res.add(infoMetric("sync throughput", syncRate, "/s", fmt.Sprintf("%.1f changes/s", syncRate), fmt.Sprintf("first change -> last acknowledgement: %s", fmtDur(took))))
	res.add(durMetric("order lag p50 under saturation", percentile(lags, .5), 0, ""))
	res.add(durMetric("order lag max under saturation", maxDur(lags), 0, ""))
	res.add(Metric{Name: "lost changes", Value: float64(missing), Unit: "count", Display: fmt.Sprint(missing), Target: "0", Pass: check(missing == 0)})
	if err := waitQuiet(ctx, s.App.Client, s.Cfg.Temporal.Namespace, s.Cfg.Dotdigital.LaneShards, start.Add(createdIn), 3*time.Minute); err != nil {
		res.fail("%v", err)
	}

	e.progress("ceiling: Temporal baseline, %d signal-with-starts of a one-activity workflow", n)
	baseRate, baseTook, err := temporalBaseline(ctx, s.App.Client, n)
	if err != nil {
		res.fail("baseline: %v", err)
	} else {
		res.add(infoMetric("Temporal baseline", baseRate, "/s", fmt.Sprintf("%.1f workflows/s", baseRate), fmt.Sprintf("same server and client; %d in %s", n, fmtDur(baseTook))))
		ratio := syncRate / baseRate
		res.add(infoMetric("sync / baseline", ratio, "ratio", fmt.Sprintf("%.2f", ratio), "share of the bare engine's rate the whole path reaches"))
	}
	sum, verr := verifyStack(ctx, s)
	applyVerification(res, sum, verr)
	return res
}

// pushOrders creates n partners, each with a confirmed order, in batches
// of 50 per call (partners, orders, confirmation) from writers goroutines,
// and returns when each order's confirmation returned (by Insight record
// key). Batches keep the input rate far above what the sync can take.
func pushOrders(ctx context.Context, em *odooemu.Emulator, n, writers int) (map[string]time.Time, time.Duration, error) {
	companies, err := em.Call(ctx, "res.company", "search", []any{[]any{}}, nil)
	if err != nil {
		return nil, 0, err
	}
	products, err := em.Call(ctx, "product.product", "search", []any{[]any{}}, map[string]any{"limit": 10})
	if err != nil {
		return nil, 0, err
	}
	company, product := firstID(companies), firstID(products)
	const batch = 50
	var mu sync.Mutex
	made := make(map[string]time.Time, n)
	var next atomic.Int64
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				from := int(next.Add(batch)) - batch
				if from >= n || ctx.Err() != nil {
					return
				}
				oids, err := pushBatch(ctx, em, from, min(from+batch, n), company, product)
				at := time.Now()
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				for _, oid := range oids {
					made[customer.RecordKey(oid)] = at
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return made, time.Since(start), firstErr
}

// pushBatch creates the customers [from, to) and confirms their orders.
func pushBatch(ctx context.Context, em *odooemu.Emulator, from, to int, company, product int64) ([]int64, error) {
	partners := make([]any, 0, to-from)
	for i := from; i < to; i++ {
		partners = append(partners, map[string]any{"name": "Cy Ceiling" + strconv.Itoa(i), "email": "ceiling." + strconv.Itoa(i) + "@example.com", "company_id": company})
	}
	v, err := em.Call(ctx, "res.partner", "create", []any{partners}, nil)
	if err != nil {
		return nil, err
	}
	pids, _ := v.([]any)
	orders := make([]any, 0, len(pids))
	for _, p := range pids {
		orders = append(orders, map[string]any{"partner_id": asID(p), "company_id": company,
			"order_line": []any{[]any{0, 0, map[string]any{"product_id": product, "product_uom_qty": 1.0}}}})
	}
	if v, err = em.Call(ctx, "sale.order", "create", []any{orders}, nil); err != nil {
		return nil, err
	}
	list, _ := v.([]any)
	oids := make([]int64, 0, len(list))
	ids := make([]any, 0, len(list))
	for _, o := range list {
		oids = append(oids, asID(o))
		ids = append(ids, asID(o))
	}
	if len(oids) != to-from {
		return nil, fmt.Errorf("created %d orders for %d partners", len(oids), to-from)
	}
	if _, err := em.Call(ctx, "sale.order", "action_confirm", []any{ids}, nil); err != nil {
		return nil, err
	}
	return oids, nil
}

// baselineQueue is the task queue of the bare Temporal baseline.
const baselineQueue = "bench-baseline"

// baselineWorkflow waits for its start signal and runs one no-op activity.
func baselineWorkflow(ctx workflow.Context) error {
	workflow.GetSignalChannel(ctx, "go").Receive(ctx, nil)
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	return workflow.ExecuteActivity(ctx, "BenchNoop").Get(ctx, nil)
}

// temporalBaseline signal-with-starts n baseline workflows (8 at a time,
// as the poller routes hints) on a worker configured like the service's
// workflow worker, and measures from the first signal to the last no-op
// activity.
func temporalBaseline(ctx context.Context, c client.Client, n int) (float64, time.Duration, error) {
	var mu sync.Mutex
	var last time.Time
	var done atomic.Int64
	w := worker.New(c, baselineQueue, worker.Options{MaxConcurrentWorkflowTaskPollers: 8, MaxConcurrentActivityTaskPollers: 4})
	w.RegisterWorkflowWithOptions(baselineWorkflow, workflow.RegisterOptions{Name: "BenchBaseline"})
	w.RegisterActivityWithOptions(func(context.Context) error {
		now := time.Now()
		mu.Lock()
		if now.After(last) {
			last = now
		}
		mu.Unlock()
		done.Add(1)
		return nil
	}, activity.RegisterOptions{Name: "BenchNoop"})
	if err := w.Start(); err != nil {
		return 0, 0, err
	}
	defer w.Stop()
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(n) || ctx.Err() != nil {
					return
				}
				id := "bench-baseline-" + strconv.FormatInt(i, 10) + "-" + strconv.FormatInt(start.UnixNano(), 36)
				if _, err := c.SignalWithStartWorkflow(ctx, id, "go", nil, client.StartWorkflowOptions{ID: id, TaskQueue: baselineQueue}, "BenchBaseline"); err != nil {
					select {
					case errs <- err:
					default:
					}
					return
				}
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		return 0, 0, err
	default:
	}
	deadline := time.Now().Add(10 * time.Minute)
	for done.Load() < int64(n) && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	if done.Load() < int64(n) {
		return 0, 0, fmt.Errorf("%d of %d baseline workflows ran their activity", done.Load(), n)
	}
	mu.Lock()
	took := last.Sub(start)
	mu.Unlock()
	return float64(n) / took.Seconds(), took, nil
}
