package workflows

import (
	"sort"
	"strconv"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/messages"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
)

// LaneInput starts (or continues) one lane shard.
type LaneInput struct {
	Shard    int                    `json:"shard"`
	Settings Settings               `json:"settings"`
	Pending  []messages.LaneRequest `json:"pending,omitempty"` // carried over by continue-as-new
	Stats    LaneStats              `json:"stats"`
}

// LaneStats are cumulative counters of a shard, shown by the lane query.
type LaneStats struct {
	Requests  int `json:"requests"`
	Coalesced int `json:"coalesced"`
	Singles   int `json:"singles"`
	Bulks     int `json:"bulks"`
	BulkItems int `json:"bulkItems"`
	Failures  int `json:"failures"`
	// Deferred counts batches handed back for want of import budget.
	Deferred int `json:"deferred"`
	// PressureReports counts activity results that reported a low budget.
	PressureReports int `json:"pressureReports"`
}

// LaneStatus is what the lane query returns.
type LaneStatus struct {
	Shard           int                  `json:"shard"`
	Pressured       bool                 `json:"pressured"`
	PendingByClass  map[string]int       `json:"pendingByClass"`
	OldestByClass   map[string]time.Time `json:"oldestByClass"`
	SinglesInFlight int                  `json:"singlesInFlight"`
	BulkInFlight    int                  `json:"bulkInFlight"`
	Stats           LaneStats            `json:"stats"`
}

type lane struct {
	in       LaneInput
	settings Settings
	pending  map[string]messages.LaneRequest
	singles  int
	bulks    int
	// profileBulks are profile-only imports in flight: they have a slot of
	// their own, so that one waiting for its share of the import budget
	// (the pacer holds profile work back for orders) never keeps an order
	// batch of the shard from starting.
	profileBulks int
	// A slot whose batch was deferred (no import budget for its class yet)
	// starts no new batch before this time: requests gather meanwhile.
	bulkNotBefore, profileNotBefore time.Time
	// While the budget of single writes runs low, singles would only queue
	// up inside activities: the lane sends everything by bulk import (a
	// different tier), orders first. While the import budget runs low it
	// keeps to single writes.
	writePressureUntil  time.Time
	importPressureUntil time.Time
	now                 func() time.Time
	// serial: a customer's request waits while an earlier one of the same
	// customer is still being written, so that an older write can never
	// land after a newer one (runs of an earlier release replay without).
	serial  bool
	running map[string]int // customer ID -> activities in flight
}

// versionLanePerCustomer marks lane runs that serialise each customer's writes.
const versionLanePerCustomer = "lane-per-customer"

// ready: the request may start now (no write of its customer in flight).
func (l *lane) ready(r messages.LaneRequest) bool {
	return !l.serial || l.running[r.CustomerID] == 0
}

func (l *lane) started(reqs []messages.LaneRequest) {
	for _, r := range reqs {
		l.running[r.CustomerID]++
	}
}

func (l *lane) finished(reqs []messages.LaneRequest) {
	for _, r := range reqs {
		if l.running[r.CustomerID]--; l.running[r.CustomerID] <= 0 {
			delete(l.running, r.CustomerID)
		}
	}
}

// pressureHold is how long one report of a low budget keeps the lane in bulk mode.
const pressureHold = 30 * time.Second

func (l *lane) writePressured() bool  { return l.now().Before(l.writePressureUntil) }
func (l *lane) importPressured() bool { return l.now().Before(l.importPressureUntil) }

// pressured is for display: some budget runs low.
func (l *lane) pressured() bool { return l.writePressured() || l.importPressured() }

// maxSingles: under write pressure a single write spends a scarce call on
// one customer where an import carries thousands, so only the requests
// that need single calls (a contact handed over to another key) take
// them, one at a time.
func (l *lane) maxSingles() int {
	if l.writePressured() {
		return 1
	}
	return l.settings.LaneMaxSingles
}

// nextSingle returns the request a single write should serve next, if any.
func (l *lane) nextSingle() (messages.LaneRequest, bool) {
	if len(l.pending) == 0 || l.singles >= l.maxSingles() {
		return messages.LaneRequest{}, false
	}
	for _, r := range l.ordered(len(l.pending)) {
		if (!l.writePressured() || r.Successor != "") && l.ready(r) {
			return r, true
		}
	}
	return messages.LaneRequest{}, false
}

func (l *lane) bulkThreshold() int {
	if l.writePressured() {
		return 0 // any waiting request goes by bulk import
	}
	return l.settings.LaneBulkThreshold
}

func (l *lane) report(ctx workflow.Context, sum messages.SyncSummary) {
	if sum.WritePressure {
		l.writePressureUntil = workflow.Now(ctx).Add(pressureHold)
		l.in.Stats.PressureReports++
	}
	if sum.ImportPressure {
		l.importPressureUntil = workflow.Now(ctx).Add(pressureHold)
		l.in.Stats.PressureReports++
	}
}

// Lane is one shard of the Dotdigital lane. Customers hand it their pending
// write; it coalesces requests per customer, serves order work first, sends
// single writes while it keeps up (lowest latency) and gathers bulk imports
// when a backlog builds. All its activities run on the rate-limited
// Dotdigital task queue with a priority key per class.
func Lane(ctx workflow.Context, in LaneInput) error {
	l := &lane{in: in, settings: in.Settings.WithDefaults(), pending: map[string]messages.LaneRequest{}, running: map[string]int{}}
	l.now = func() time.Time { return workflow.Now(ctx) }
	l.serial = workflow.GetVersion(ctx, versionLanePerCustomer, workflow.DefaultVersion, 1) >= 1
	for _, r := range in.Pending {
		l.pending[r.CustomerID] = r
	}
	if err := workflow.SetQueryHandler(ctx, string(names.QueryLane), func() (LaneStatus, error) { return l.status(), nil }); err != nil {
		return err
	}
	submitCh := workflow.GetSignalChannel(ctx, string(names.SignalLaneSubmit))
	accept := func(r messages.LaneRequest) {
		l.in.Stats.Requests++
		if r.Pressured {
			l.writePressureUntil = workflow.Now(ctx).Add(pressureHold)
		}
		if old, ok := l.pending[r.CustomerID]; ok {
			l.in.Stats.Coalesced++
			r = coalesce(old, r)
		}
		l.pending[r.CustomerID] = r
	}
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var r messages.LaneRequest
			submitCh.Receive(ctx, &r)
			accept(r)
		}
	})
	for {
		l.exportBacklog(ctx)
		if err := workflow.Await(ctx, func() bool {
			return l.historyFull(ctx) || l.canSingle() || l.canBulk()
		}); err != nil {
			return err
		}
		if l.historyFull(ctx) {
			// Running activities cannot move to the next run: let them finish.
			if err := workflow.Await(ctx, func() bool { return l.singles == 0 && l.bulks == 0 && l.profileBulks == 0 }); err != nil {
				return err
			}
			var r messages.LaneRequest
			for submitCh.ReceiveAsync(&r) {
				accept(r)
			}
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
				return err
			}
			l.in.Pending = l.ordered(len(l.pending))
			return workflow.NewContinueAsNewError(ctx, names.WorkflowLane, l.in)
		}
		l.dispatch(ctx)
	}
}

// coalesce merges two requests of one customer: the newest sequence number,
// the highest priority class, the oldest change time.
func coalesce(old, r messages.LaneRequest) messages.LaneRequest {
	if old.Class != customer.ClassNone && (r.Class == customer.ClassNone || old.Class < r.Class) {
		r.Class = old.Class
	}
	if !old.Since.IsZero() && (r.Since.IsZero() || old.Since.Before(r.Since)) {
		r.Since = old.Since
	}
	r.Force = r.Force || old.Force
	if r.Successor == "" {
		r.Successor = old.Successor
	}
	return r
}

func (l *lane) canSingle() bool {
	_, ok := l.nextSingle()
	return ok
}

// canBulk: a backlog exists (more requests that a bulk import can carry
// are waiting than the threshold) and a bulk slot is free for it. Below the
// threshold, single writes drain the queue at the lowest latency.
func (l *lane) canBulk() bool {
	return l.bulkable(false) || l.bulkable(true)
}

// bulkable: a batch could start in the order slots (profileOnly false:
// started by orders, status changes or resyncs waiting) or in the profile
// slot (by ordinary profile changes): a profile import waiting for its
// share of the budget never holds up an order.
func (l *lane) bulkable(profileOnly bool) bool {
	if profileOnly && l.profileBulks >= 1 || !profileOnly && l.bulks >= l.settings.LaneMaxBulk {
		return false
	}
	if notBefore := l.notBefore(profileOnly); l.now().Before(*notBefore) {
		return false
	}
	threshold := l.bulkThreshold()
	n := 0
	for _, id := range sortedKeys(l.pending) {
		if r := l.pending[id]; r.Successor == "" && profileOnly == profileSlot(r) && l.ready(r) {
			if n++; n > threshold {
				return true
			}
		}
	}
	return false
}

func (l *lane) notBefore(profileOnly bool) *time.Time {
	if profileOnly {
		return &l.profileNotBefore
	}
	return &l.bulkNotBefore
}

// requeue takes a deferred batch back; a newer request of the same customer
// that arrived meanwhile is merged with it.
func (l *lane) requeue(batch []messages.LaneRequest) {
	for _, r := range batch {
		if newer, ok := l.pending[r.CustomerID]; ok {
			r = coalesce(r, newer)
		}
		l.pending[r.CustomerID] = r
	}
}

// profileSlot: requests that the profile slot's imports may carry: profile
// changes only (no Insight records, so that the account's five concurrent
// Insight imports are never exceeded) and not resyncs (the lowest
// priority work waits for the order slots).
func profileSlot(r messages.LaneRequest) bool {
	return r.Class == customer.ClassProfile && !r.Force
}

// dispatch decides between single writes and bulk imports. The order slots
// go first: they take the most urgent work.
func (l *lane) dispatch(ctx workflow.Context) {
	if l.bulkable(false) {
		l.startBulk(ctx, l.takeBulk(l.settings.ContactBatch, func(messages.LaneRequest) bool { return true }), false)
	}
	if l.bulkable(true) {
		l.startBulk(ctx, l.takeBulk(l.settings.ContactBatch, profileSlot), true)
	}
	for {
		r, ok := l.nextSingle()
		if !ok {
			return
		}
		delete(l.pending, r.CustomerID)
		l.startSingle(ctx, r)
	}
}

// ordered returns up to n pending requests, highest priority and oldest first.
func (l *lane) ordered(n int) []messages.LaneRequest {
	all := make([]messages.LaneRequest, 0, len(l.pending))
	for _, id := range sortedKeys(l.pending) {
		all = append(all, l.pending[id])
	}
	sort.SliceStable(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if a.Force != b.Force {
			return !a.Force // resyncs go last: they are the lowest priority work
		}
		if a.Class != b.Class {
			return a.Class < b.Class
		}
		return a.Since.Before(b.Since)
	})
	if n < len(all) {
		all = all[:n]
	}
	return all
}

// takeBulk removes up to n requests that a bulk import can serve, most
// urgent first: an order batch fills its spare room with the profile
// changes waiting behind it (they ride in the same contact import at no
// extra call, instead of waiting for budget the orders leave over).
// Requests that hand a contact over to another key need single calls.
func (l *lane) takeBulk(n int, eligible func(messages.LaneRequest) bool) []messages.LaneRequest {
	var out []messages.LaneRequest
	for _, r := range l.ordered(len(l.pending)) {
		if len(out) == n {
			break
		}
		if r.Successor != "" || !eligible(r) || !l.ready(r) {
			continue
		}
		delete(l.pending, r.CustomerID)
		out = append(out, r)
	}
	return out
}

func priorityOf(r messages.LaneRequest) int {
	if r.Force {
		return PriorityBulk
	}
	switch r.Class {
	case customer.ClassOrder:
		return PriorityOrder
	case customer.ClassStatus:
		return PriorityStatus
	}
	return PriorityProfile
}

func (l *lane) startSingle(ctx workflow.Context, r messages.LaneRequest) {
	l.singles++
	l.in.Stats.Singles++
	l.started([]messages.LaneRequest{r})
	actx := workflow.WithActivityOptions(ctx, dotdigitalActivityOptions(l.settings, 5*time.Minute, priorityOf(r)))
	workflow.Go(ctx, func(ctx workflow.Context) {
		var sum messages.SyncSummary
		err := workflow.ExecuteActivity(actx, laneActivities.SyncCustomer, r).Get(ctx, &sum)
		l.singles--
		l.finished([]messages.LaneRequest{r})
		l.report(ctx, sum)
		if err != nil {
			l.fail(ctx, []messages.LaneRequest{r}, err)
		}
	})
}

func (l *lane) startBulk(ctx workflow.Context, batch []messages.LaneRequest, profileOnly bool) {
	slot := &l.bulks
	if profileOnly {
		slot = &l.profileBulks
	}
	*slot++
	l.started(batch)
	// A bulk import serves its most urgent member's class; resync-only batches go last.
	prio := PriorityBulk
	for _, r := range batch {
		if p := priorityOf(r); p < prio {
			prio = p
		}
	}
	actx := workflow.WithActivityOptions(ctx, dotdigitalActivityOptions(l.settings, 30*time.Minute, prio))
	workflow.Go(ctx, func(ctx workflow.Context) {
		var sum messages.SyncSummary
		err := workflow.ExecuteActivity(actx, laneActivities.SyncBatch, batch).Get(ctx, &sum)
		*slot--
		l.finished(batch)
		l.report(ctx, sum)
		switch {
		case err != nil:
			l.fail(ctx, batch, err)
		case sum.Deferred:
			l.in.Stats.Deferred++
			l.requeue(batch)
			*l.notBefore(profileOnly) = workflow.Now(ctx).Add(sum.RetryAfter)
			// The timer wakes the lane's loop when the slot opens again.
			_ = workflow.Sleep(ctx, sum.RetryAfter)
		default:
			l.in.Stats.Bulks++
			l.in.Stats.BulkItems += len(batch)
		}
	})
}

// fail tells customers that their write ran out of retries; each retries on
// its own schedule, so one bad batch cannot wedge the lane.
func (l *lane) fail(ctx workflow.Context, reqs []messages.LaneRequest, err error) {
	l.in.Stats.Failures += len(reqs)
	workflow.GetLogger(ctx).Warn("lane write failed after retries", "customers", len(reqs), "error", err)
	for _, r := range reqs {
		res := messages.LaneResult{Seq: r.Seq, Outcome: messages.OutcomeFailed, Reason: "retries_exhausted", Detail: truncateText(err.Error(), 300)}
		_ = workflow.SignalExternalWorkflow(ctx, r.CustomerID, "", string(names.SignalLaneResult), res).Get(ctx, nil)
	}
}

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func (l *lane) historyFull(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	return info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() > 4*l.settings.HistoryLimit
}

func (l *lane) status() LaneStatus {
	s := LaneStatus{Shard: l.in.Shard, Pressured: l.pressured(), PendingByClass: map[string]int{}, OldestByClass: map[string]time.Time{},
		SinglesInFlight: l.singles, BulkInFlight: l.bulks + l.profileBulks, Stats: l.in.Stats}
	for _, id := range sortedKeys(l.pending) {
		r := l.pending[id]
		c := r.Class.String()
		s.PendingByClass[c]++
		if o, ok := s.OldestByClass[c]; !ok || (!r.Since.IsZero() && r.Since.Before(o)) {
			s.OldestByClass[c] = r.Since
		}
	}
	return s
}

// exportBacklog publishes the backlog per class as a gauge (replay-safe SDK metrics).
func (l *lane) exportBacklog(ctx workflow.Context) {
	counts := map[customer.Class]int{customer.ClassOrder: 0, customer.ClassStatus: 0, customer.ClassProfile: 0}
	for _, id := range sortedKeys(l.pending) {
		counts[l.pending[id].Class]++
	}
	m := workflow.GetMetricsHandler(ctx)
	for _, c := range []customer.Class{customer.ClassOrder, customer.ClassStatus, customer.ClassProfile} {
		m.WithTags(map[string]string{"class": c.String(), "shard": strconv.Itoa(l.in.Shard)}).Gauge("sync_lane_backlog").Update(float64(counts[c]))
	}
	m.WithTags(map[string]string{"shard": strconv.Itoa(l.in.Shard)}).Gauge("sync_lane_inflight").Update(float64(l.singles + l.bulks + l.profileBulks))
}
