package main

import (
	"context"
	"fmt"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/dotdigital"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/odoo"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/dotdigital/ddemu"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/app"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/config"
)

// shopPhase is a stretch of shop traffic with every change tracked to its
// acknowledgement.
type shopPhase struct {
	tr      *tracker
	tf      *traffic
	started time.Time
	ended   time.Time // traffic stopped
	lost    []*change // not acknowledged within the drain timeout
}

// runShop drives the shop at rate actions per second for d (acting also on
// up to seeded existing customers), then waits up to drain for every change
// to be acknowledged.
func runShop(ctx context.Context, e *env, oc *odoo.Client, ddc *dotdigital.Client, seeded int, rate float64, d, drain time.Duration) (*shopPhase, error) {
	p := &shopPhase{tr: newTracker(ddc, 40, time.Second)}
	var err error
	if p.tf, err = newTraffic(ctx, oc, p.tr, uint64(e.opts.seed)); err != nil {
		return nil, err
	}
	if err := p.tf.addSeeded(ctx, seeded); err != nil {
		return nil, err
	}
	tctx, stop := context.WithCancel(ctx)
	defer stop()
	go p.tr.run(tctx)
	p.started = time.Now()
	e.progress("shop traffic: %.1f actions/s for %s", rate, d)
	p.tf.run(ctx, rate, d, 8)
	p.ended = time.Now()
	p.lost = p.tr.wait(ctx, time.Now().Add(drain))
	e.progress("traffic done: %v; %d changes tracked, %d not acknowledged", p.tf.statsCopy(), len(p.tr.all), len(p.lost))
	return p, nil
}

// lagMetrics adds the lag figures of a phase; orderTarget 0 means none.
func (p *shopPhase) lagMetrics(res *ScenarioResult, orderTarget time.Duration, targetNote string, debounce time.Duration) {
	orders := p.tr.lags(kindOrder)
	res.add(countMetric("orders confirmed (tracked)", int64(len(p.tr.changes(kindOrder))), "guest and returning checkouts"))
	res.add(durMetric("order lag p50", percentile(orders, .50), 0, "Odoo confirm returned -> Insight record created (contact written before it)"))
	m := durMetric("order lag p95", percentile(orders, .95), orderTarget, targetNote)
	res.add(m)
	res.add(durMetric("order lag p99", percentile(orders, .99), 0, fmt.Sprintf("%d samples", len(orders))))
	res.add(durMetric("order lag max", maxDur(orders), 0, ""))
	if c := p.tr.lags(kindCancel); len(c) > 0 {
		res.add(durMetric("cancellation lag p95", percentile(c, .95), 0, fmt.Sprintf("%d samples; record rewritten as cancelled", len(c))))
	}
	prof := p.tr.lags(kindProfile)
	res.add(durMetric("profile lag p95", percentile(prof, .95), 30*time.Minute,
		fmt.Sprintf("%d samples; FULLNAME; debounced %s; target = lag alert default", len(prof), debounce)))
	if st := p.tr.lags(kindStatus); len(st) > 0 {
		res.add(durMetric("status lag p95", percentile(st, .95), 0, fmt.Sprintf("%d samples; CUSTOMER_TYPE, IS_VIP", len(st))))
	}
	lost := int64(len(p.lost))
	res.add(Metric{Name: "changes not acknowledged", Value: float64(lost), Unit: "count", Display: fmt.Sprint(lost),
		Target: "0", Pass: check(lost == 0), Note: fmt.Sprintf("of %d tracked", len(p.tr.all))})
	if errs := p.tf.errors(); len(errs) > 0 {
		res.Details["trafficErrors"] = errs
	}
	res.Details["traffic"] = p.tf.statsCopy()
}

func runSteady(ctx context.Context, e *env) []*ScenarioResult {
	var out []*ScenarioResult
	for _, v := range e.opts.steadyVariants {
		if ctx.Err() == nil {
			out = append(out, steadyRun(ctx, e, v == "webhooks"))
		}
	}
	return out
}

// steadyRun is a realistic shop within the API budget: orders, returning
// customers, sign-ups, cancellations, VIP tags and profile edits at a modest
// rate, with Odoo webhooks or with polling alone.
func steadyRun(ctx context.Context, e *env, webhooks bool) *ScenarioResult {
	o := e.opts
	name, target, targetNote := "steady/polling", o.pollInterval+time.Second, "BRIEF: poll interval + 1 s with polling alone"
	if webhooks {
		name, target, targetNote = "steady/webhooks", time.Second, "BRIEF: <= 1 s with Odoo webhooks"
	}
	res := newResult(name)
	res.Params = map[string]any{"webhooks": webhooks, "rate": o.steadyRate, "duration": o.steadyDuration.String(), "existingCustomers": o.steadyBase,
		"pollInterval": o.pollInterval.String(), "debounce": o.debounce.String(), "limitsPerMinute": map[string]int{"low": o.steadyLimits.low, "medium": o.steadyLimits.medium, "high": o.steadyLimits.high},
		"odooVersion": o.odooVersion, "idleTimeout": o.steadyIdle.String(), "laterChanges": o.steadyLater}
	s, err := startStack(ctx, e, stackOptions{name: "steady", webhooks: webhooks, seedCustomers: o.steadyBase,
		dd: ddemu.Options{Window: time.Minute, Limits: map[ddemu.Tier]int{ddemu.TierLow: o.steadyLimits.low, ddemu.TierMedium: o.steadyLimits.medium, ddemu.TierHigh: o.steadyLimits.high}},
		configure: func(c *config.Config) {
			c.Sync.PollInterval, c.Sync.Debounce, c.Sync.IdleTimeout = o.pollInterval, o.debounce, o.steadyIdle
			if !webhooks {
				c.Sync.WebhookSecret = ""
			}
		}})
	if err != nil {
		res.fail("start: %v", err)
		return res
	}
	defer s.close()
	e.progress("%s: service ready (%d existing customers loaded), settled %s later", name, s.DD.Stats().Contacts, s.settledAt.Sub(s.readyAt).Round(time.Millisecond))
	before, hBefore := s.ddStats()
	pollsBefore := pollerStats(ctx, s.App.Client)
	p, err := runShop(ctx, e, s.OC, s.DDC, 500, o.steadyRate, o.steadyDuration, 2*time.Minute)
	if err != nil {
		res.fail("traffic: %v", err)
		return res
	}
	after, hAfter := s.ddStats()
	polls := pollerStats(ctx, s.App.Client)
	p.lagMetrics(res, target, targetNote, o.debounce)
	orderStages(ctx, s.App.Client, s.App.Hasher, p.tr.changes(kindOrder), 100).add(res)
	addCallMetrics(res, before, after, hAfter-hBefore, len(p.tr.all))
	actions := 0
	for k, v := range p.tf.statsCopy() {
		if k != "error" {
			actions += v
		}
	}
	n := polls.Polls - pollsBefore.Polls
	res.add(infoMetric("poller polls", float64(n), "count", fmt.Sprintf("%d (%.1f per shop action)", n, float64(n)/float64(max(actions, 1))),
		fmt.Sprintf("%d records read, %d hints routed", polls.Partners+polls.Orders+polls.Categories-pollsBefore.Partners-pollsBefore.Orders-pollsBefore.Categories, polls.Routed-pollsBefore.Routed)))
	if err := waitQuiet(ctx, s.App.Client, s.Cfg.Temporal.Namespace, s.Cfg.Dotdigital.LaneShards, p.tf.lastChange(), 3*time.Minute); err != nil {
		res.fail("%v", err)
	}
	blocked := blockedCustomers(ctx, s.App.Client, s.Cfg.Temporal.Namespace)
	res.add(countMetric("blocked customers", blocked, "customers parked on a rejection"))
	if o.steadyLater > 0 && ctx.Err() == nil {
		laterRun(ctx, e, s, p, res, blocked)
	}
	sum, verr := verifyStack(ctx, s)
	applyVerification(res, sum, verr)
	return res
}

func verifyStack(ctx context.Context, s *stack) (verifySummary, error) {
	s.DD.SetLimits(nil) // the check's listings are not part of the measurement
	return verify(ctx, s.Odoo.URL(), s.DD.URL(), app.Mapping(s.Cfg), s.dir)
}

// addCallMetrics adds the service's Dotdigital calls between two snapshots
// (the harness's own reads taken out).
func addCallMetrics(res *ScenarioResult, before, after ddemu.Stats, harness int64, changes int) {
	calls := after.Calls - before.Calls - harness
	throttled := after.Status429 - before.Status429
	res.add(countMetric("Dotdigital calls (service)", calls, fmt.Sprintf("low %d, medium %d, high %d (harness reads excluded)",
		after.CallsByTier[ddemu.TierLow]-before.CallsByTier[ddemu.TierLow], after.CallsByTier[ddemu.TierMedium]-before.CallsByTier[ddemu.TierMedium],
		after.CallsByTier[ddemu.TierHigh]-before.CallsByTier[ddemu.TierHigh]-harness)))
	if changes > 0 {
		res.add(infoMetric("Dotdigital calls per tracked change", float64(calls)/float64(changes), "ratio", fmt.Sprintf("%.2f", float64(calls)/float64(changes)), ""))
	}
	res.add(countMetric("429 answers", throttled, ""))
	routes := map[string]int64{}
	for k, v := range after.ByRoute {
		if d := v.Total - before.ByRoute[k].Total; d > 0 {
			routes[k] = d
		}
	}
	res.Details["dotdigitalRoutes"] = routes
}

// laterRun is the steady scenario's later phase (see laterPhase): its lags,
// its cost in Dotdigital calls, and the contacts it must leave behind.
func laterRun(ctx context.Context, e *env, s *stack, p *shopPhase, res *ScenarioResult, blockedBefore int64) {
	before, hBefore := s.ddStats()
	lp, err := runLater(ctx, e, p, e.opts.steadyIdle, e.opts.steadyLater, 1, 2*time.Minute)
	if err != nil {
		res.fail("later phase: %v", err)
		return
	}
	if err := waitQuiet(ctx, s.App.Client, s.Cfg.Temporal.Namespace, s.Cfg.Dotdigital.LaneShards, p.tf.lastChange(), 3*time.Minute); err != nil {
		res.fail("later phase: %v", err)
	}
	after, hAfter := s.ddStats()
	changes := 0
	for _, n := range lp.actions {
		changes += n
	}
	calls := after.Calls - before.Calls - (hAfter - hBefore)
	res.add(infoMetric("later: changes after idle", float64(changes), "count", fmt.Sprint(changes), fmt.Sprintf("%v, every customer idle > %s", lp.actions, e.opts.steadyIdle)))
	res.add(infoMetric("later: Dotdigital calls per change", float64(calls)/float64(max(changes, 1)), "ratio",
		fmt.Sprintf("%.2f", float64(calls)/float64(max(changes, 1))), fmt.Sprintf("%d calls (harness reads excluded); reads of the truth included", calls)))
	for _, k := range []changeKind{kindCancel, kindStatus} {
		if l := lp.tr.lags(k); len(l) > 0 {
			res.add(durMetric("later: "+string(k)+" lag p95", percentile(l, .95), 0, fmt.Sprintf("%d samples", len(l))))
		}
	}
	lost := int64(len(lp.lost))
	res.add(Metric{Name: "later: changes not acknowledged", Value: float64(lost), Unit: "count", Display: fmt.Sprint(lost),
		Target: "0", Pass: check(lost == 0), Note: fmt.Sprintf("of %d tracked", len(lp.tr.all))})
	orphans := blockedCustomers(ctx, s.App.Client, s.Cfg.Temporal.Namespace) - blockedBefore
	res.add(Metric{Name: "later: contacts left behind", Value: float64(orphans), Unit: "count", Display: fmt.Sprint(orphans),
		Target: fmt.Sprint(lp.orphans), Pass: check(orphans == int64(lp.orphans)), Note: "merged away or archived: emptied, kept, reported as orphan_contact"})
}
