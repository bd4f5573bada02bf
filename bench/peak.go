package main

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/dotdigital/ddemu"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/odoo/odooemu"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/config"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/identity"
)

// runPeak pours orders at peakFactor times what single calls could carry,
// and a flood of profile changes of existing customers, against a tight
// rate limit (as e2e/lane_test.go's runPeak, sized up): orders must stay
// fast, profile changes drain close to what the limits allow, 429s stay
// rare and nothing is lost.
func runPeak(ctx context.Context, e *env) *ScenarioResult {
	o := e.opts
	res := newResult(scPeak)
	// An order of a new customer takes two single calls (contact, record).
	singleOrdersPerSec := float64(o.peakMedium) / o.peakWindow.Seconds() / 2
	orderRate := o.peakFactor * singleOrdersPerSec
	// DOTDIGITAL_TASKS_PER_SECOND as docs/operations.md advises: three
	// times the calls per second of the two tiers (tasks are not calls; the
	// pacer keeps the calls within the limits).
	tasksPerSec := 3 * float64(o.peakLow+o.peakMedium) / o.peakWindow.Seconds()
	res.Params = map[string]any{"duration": o.peakDuration.String(), "window": o.peakWindow.String(), "limitLow": o.peakLow, "limitMedium": o.peakMedium,
		"ordersPerSecond": orderRate, "singleCallOrdersPerSecond": singleOrdersPerSec, "profileCustomers": o.peakProfiles, "editsPerCustomer": o.peakEdits,
		"tasksPerSecond": tasksPerSec, "webhooks": o.peakWebhooks, "debounce": o.debounce.String(), "pollInterval": o.pollInterval.String(), "importDelay": o.importDelay.String()}
	var profiles []*shopper
	s, err := startStack(ctx, e, stackOptions{name: "peak", webhooks: o.peakWebhooks,
		dd: ddemu.Options{Window: o.peakWindow, Limits: map[ddemu.Tier]int{ddemu.TierLow: o.peakLow, ddemu.TierMedium: o.peakMedium, ddemu.TierHigh: 1_000_000}},
		prepare: func(em *odooemu.Emulator) error {
			var err error
			profiles, err = makeCustomers(ctx, em, o.peakProfiles, "pat")
			return err
		},
		configure: func(c *config.Config) {
			// The fleet-wide task rate (DOTDIGITAL_TASKS_PER_SECOND), set as advised.
			c.Dotdigital.TasksPerSecond = tasksPerSec
			c.Sync.PollInterval, c.Sync.Debounce = o.pollInterval, o.debounce
			if !o.peakWebhooks {
				c.Sync.WebhookSecret = ""
			}
		}})
	if err != nil {
		res.fail("start: %v", err)
		return res
	}
	defer s.close()
	if n := s.DD.Stats().Contacts; n < len(profiles) {
		res.fail("the initial load brought %d of %d existing customers", n, len(profiles))
		return res
	}
	e.progress("peak: %d existing customers loaded; waiting for a fresh rate window", len(profiles))
	time.Sleep(o.peakWindow + time.Second)

	tr := newTracker(s.DDC, 2, 5*time.Second)
	tf, err := newTraffic(ctx, s.OC, tr, uint64(o.seed))
	if err != nil {
		res.fail("traffic: %v", err)
		return res
	}
	tctx, stopTracker := context.WithCancel(ctx)
	defer stopTracker()
	go tr.run(tctx)
	before, hBefore := s.ddStats()
	start := time.Now()
	edits := o.peakProfiles * o.peakEdits
	e.progress("peak: %.1f orders/s (%.0fx the %.1f/s single calls carry) and %d profile edits of %d customers over %s",
		orderRate, o.peakFactor, singleOrdersPerSec, edits, len(profiles), o.peakDuration)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // orders of new guests
		defer wg.Done()
		n := int(orderRate * o.peakDuration.Seconds())
		paced(ctx, start, n, o.peakDuration, 16, func(int) error { _, err := tf.guestCheckout(ctx); tf.note(actGuest, err); return err })
	}()
	go func() { // the profile flood: each customer's edits spread over the peak
		defer wg.Done()
		paced(ctx, start, edits, o.peakDuration, 16, func(i int) error {
			p := profiles[i%len(profiles)]
			err := tf.editProfile(ctx, p, fmt.Sprintf("Pat Renamed%d-%d", i%len(profiles), i/len(profiles)))
			tf.note(actProfile, err)
			return err
		})
	}()
	wg.Wait()
	made := time.Since(start)
	e.progress("peak: changes made in %s (%v); waiting for Dotdigital", made.Round(time.Millisecond), tf.statsCopy())
	lost := tr.wait(ctx, time.Now().Add(5*time.Minute+o.peakDuration))
	after, hAfter := s.ddStats()

	orders, profileChanges := tr.changes(kindOrder), tr.changes(kindProfile)
	orderLags := tr.lags(kindOrder)
	res.add(countMetric("orders (new customers)", int64(len(orders)), fmt.Sprintf("%.1f/s for %s", orderRate, o.peakDuration)))
	res.add(countMetric("profile changes", int64(len(profileChanges)), fmt.Sprintf("%d customers x %d edits", len(profiles), o.peakEdits)))
	res.add(durMetric("order lag p50", percentile(orderLags, .5), 0, ""))
	res.add(durMetric("order lag p95", percentile(orderLags, .95), time.Minute, "BRIEF: <= 60 s at 10x the single-call budget"))
	res.add(durMetric("order lag max", maxDur(orderLags), 0, ""))

	var lastMade, lastAck time.Time
	for _, c := range profileChanges {
		if c.at.After(lastMade) {
			lastMade = c.at
		}
		if c.done && c.ack.After(lastAck) {
			lastAck = c.ack
		}
	}
	drain := lastAck.Sub(start)
	minDrain, formula := minProfileDrain(len(profiles), len(orders), lastMade.Sub(start), s.Cfg.Dotdigital.ContactBatch, s.Cfg.Dotdigital.OrderBatch, o)
	res.add(durMetric("profile drain time", drain, 0, "burst start -> last profile change acknowledged"))
	res.add(durMetric("profile drain minimum", minDrain, 0, formula))
	ratio := drain.Seconds() / minDrain.Seconds()
	res.add(Metric{Name: "profile drain / minimum", Value: ratio, Unit: "ratio", Display: fmt.Sprintf("%.2f", ratio), Target: "<= 1.20",
		Pass: check(len(lost) == 0 && ratio <= 1.2), Note: "BRIEF: profile changes drained in at most 1.2x the minimum the limits allow"})
	res.add(durMetric("profile lag p95", percentile(tr.lags(kindProfile), .95), 0, "per change; coalesced edits count from their own time"))

	orderStages(ctx, s.App.Client, s.App.Hasher, orders, len(orders)).add(res)
	calls := after.Calls - before.Calls - (hAfter - hBefore)
	throttled := after.Status429 - before.Status429
	synced := len(orders) + len(profileChanges)
	perChange := float64(calls) / float64(max(synced, 1))
	res.add(infoMetric("API calls per synced change", perChange, "ratio", fmt.Sprintf("%.3f", perChange),
		fmt.Sprintf("%d service calls for %d changes (harness reads excluded)", calls, synced)))
	share := float64(throttled) / float64(max(calls, 1))
	res.add(Metric{Name: "429 share", Value: share * 100, Unit: "%", Display: fmt.Sprintf("%.2f%% (%d)", share*100, throttled),
		Target: "< 1%", Pass: check(share < 0.01), Note: "BRIEF: under 1% of calls answered 429"})
	res.add(Metric{Name: "lost changes", Value: float64(len(lost)), Unit: "count", Display: fmt.Sprint(len(lost)), Target: "0", Pass: check(len(lost) == 0),
		Note: "every order's record and every customer's last profile value checked"})
	route := func(r string) int64 { return after.ByRoute[r].Total - before.ByRoute[r].Total }
	res.add(countMetric("contact single writes", route("PATCH /contacts/v3/{identifier}/{value}"), "PATCH /contacts/v3 (coalescing: fewer than the changes)"))
	res.add(countMetric("contact imports", route("PUT /contacts/v3/import"), "low tier"))
	res.add(countMetric("Insight imports", route("PUT /insightData/v3/import"), "low tier"))
	res.add(countMetric("Insight single writes", route("PUT /insightData/v3/contacts/{identifier}/{value}/{collection}/{recordId}"), "medium tier"))
	routes := map[string]int64{}
	for k, v := range after.ByRoute {
		if d := v.Total - before.ByRoute[k].Total; d > 0 {
			routes[k] = d
		}
	}
	res.Details["dotdigitalRoutes"] = routes
	res.Details["callsByTier"] = map[string]int64{"low": after.CallsByTier[ddemu.TierLow] - before.CallsByTier[ddemu.TierLow],
		"medium": after.CallsByTier[ddemu.TierMedium] - before.CallsByTier[ddemu.TierMedium], "high (incl. harness)": after.CallsByTier[ddemu.TierHigh] - before.CallsByTier[ddemu.TierHigh]}
	if errs := tf.errors(); len(errs) > 0 {
		res.Details["trafficErrors"] = errs
	}
	if len(lost) > 0 {
		var l []string
		for _, c := range lost[:min(len(lost), 20)] {
			l = append(l, fmt.Sprintf("%s %s order=%d want=%q", c.kind, c.key, c.order, c.want))
		}
		res.Details["lost"] = l
	}
	if err := waitQuiet(ctx, s.App.Client, s.Cfg.Temporal.Namespace, s.Cfg.Dotdigital.LaneShards, tf.lastChange(), 3*time.Minute); err != nil {
		res.fail("%v", err)
	}
	sum, verr := verifyStack(ctx, s)
	applyVerification(res, sum, verr)
	return res
}

// minProfileDrain is the earliest the rate limits let the profile flood be
// acknowledged, counted from the start of the burst:
//
//	max(T_made, T_rate) + T_import
//
// T_made: when the last profile change was made in Odoo (nothing can be sent
// before it exists). T_rate: the window in which the last low-tier call the
// whole burst needs at best can be made, W x floor((n-1)/L_low), with
// n = ceil(P/contactBatch) contact imports for the P customers whose profile
// changed, plus ceil(O/contactBatch) contact and ceil(O/orderBatch) Insight
// imports for the O orders (sent by bulk import, as the single-call budget
// cannot carry them); single calls are not needed at best (0 medium-tier
// calls). T_import: the emulator's processing time of the last import.
func minProfileDrain(profiles, orders int, made time.Duration, contactBatch, orderBatch int, o *options) (time.Duration, string) {
	ceil := func(a, b int) int { return int(math.Ceil(float64(a) / float64(b))) }
	n := ceil(profiles, contactBatch) + ceil(orders, contactBatch) + ceil(orders, orderBatch)
	rate := time.Duration((n-1)/o.peakLow) * o.peakWindow
	lower := max(made, rate) + o.importDelay
	return lower, fmt.Sprintf("max(made %s, rate %s: %d imports at %d per %s) + import %s", fmtDur(made), fmtDur(rate), n, o.peakLow, o.peakWindow, o.importDelay)
}

// paced calls fn(i) for i in [0,n) evenly spread over d from start, each
// in its own goroutine (at most workers at once).
func paced(ctx context.Context, start time.Time, n int, d time.Duration, workers int, fn func(int) error) {
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for i := 0; i < n && ctx.Err() == nil; i++ {
		at := start.Add(time.Duration(float64(d) * float64(i) / float64(n)))
		if wait := time.Until(at); wait > 0 {
			time.Sleep(wait)
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			_ = fn(i)
		}(i)
	}
	wg.Wait()
}

// makeCustomers creates n customers (a partner with one confirmed order
// each) directly in the emulator, before the service starts (while the
// emulator's clock is still in the past: they are existing data).
func makeCustomers(ctx context.Context, em *odooemu.Emulator, n int, prefix string) ([]*shopper, error) {
	companies, err := em.Call(ctx, "res.company", "search", []any{[]any{}}, nil)
	if err != nil {
		return nil, err
	}
	products, err := em.Call(ctx, "product.product", "search", []any{[]any{}}, map[string]any{"limit": 10})
	if err != nil {
		return nil, err
	}
	company, product := firstID(companies), firstID(products)
	out := make([]*shopper, 0, n)
	for i := 0; i < n; i++ {
		name, email := fmt.Sprintf("Pat Profile%d", i), fmt.Sprintf("%s.%d@example.net", prefix, i)
		v, err := em.Call(ctx, "res.partner", "create", []any{map[string]any{"name": name, "email": email, "company_id": company}}, nil)
		if err != nil {
			return nil, err
		}
		pid := asID(v)
		v, err = em.Call(ctx, "sale.order", "create", []any{map[string]any{"partner_id": pid, "company_id": company,
			"order_line": []any{[]any{0, 0, map[string]any{"product_id": product, "product_uom_qty": 1.0}}}}}, nil)
		if err != nil {
			return nil, err
		}
		if _, err := em.Call(ctx, "sale.order", "action_confirm", []any{[]any{asID(v)}}, nil); err != nil {
			return nil, err
		}
		key, _ := identity.Key("", email)
		out = append(out, &shopper{key: key, email: email, name: name, partners: []int64{pid}, known: true, single: true, vip: map[int64]bool{}})
	}
	return out, nil
}

func firstID(v any) int64 {
	if l, ok := v.([]any); ok && len(l) > 0 {
		return asID(l[0])
	}
	return 0
}

func asID(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int:
		return int64(x)
	case float64:
		return int64(x)
	case []any:
		return firstID(x)
	}
	return 0
}
