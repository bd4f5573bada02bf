package workflows

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/messages"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
)

// LaneID returns the workflow ID of the lane shard that serves a customer.
func LaneID(customerID string, shards int) string {
	if shards < 1 {
		shards = 1
	}
	h := uint32(2166136261) // FNV-1a: stable across processes and versions
	for i := 0; i < len(customerID); i++ {
		h ^= uint32(customerID[i])
		h *= 16777619
	}
	return names.LaneWorkflowIDPrefix + strconv.Itoa(int(h%uint32(shards)))
}

type customerRun struct {
	key      string
	id       string
	settings Settings
	st       *CustomerState
}

// Customer is the entity workflow of one customer (one normalised email). It
// coalesces change hints, sends the customer's write to its lane shard, keeps
// what Dotdigital acknowledged, parks itself as blocked on a non-retryable
// rejection, and closes itself when idle.
func Customer(ctx workflow.Context, in CustomerInput) error {
	r := &customerRun{key: in.Key, id: workflow.GetInfo(ctx).WorkflowExecution.ID, settings: in.Settings.WithDefaults(), st: in.State}
	if r.st == nil {
		r.st = &CustomerState{}
	}
	if r.st.Awaiting == nil {
		r.st.Awaiting = map[string]time.Time{}
	}
	logger := workflow.GetLogger(ctx)
	if err := workflow.SetQueryHandler(ctx, string(names.QueryState), func() (messages.CustomerStatus, error) {
		return r.status(ctx), nil
	}); err != nil {
		return err
	}
	changeCh := workflow.GetSignalChannel(ctx, string(names.SignalChange))
	resyncCh := workflow.GetSignalChannel(ctx, string(names.SignalResync))
	resultCh := workflow.GetSignalChannel(ctx, string(names.SignalLaneResult))
	handoverCh := workflow.GetSignalChannel(ctx, string(names.SignalHandover))
	drain := func() {
		var h messages.Hint
		for changeCh.ReceiveAsync(&h) {
			r.onHint(ctx, h)
		}
		for resyncCh.ReceiveAsync(nil) {
			r.onHint(ctx, resyncHint(ctx))
		}
		var res messages.LaneResult
		for resultCh.ReceiveAsync(&res) {
			r.onResult(ctx, res)
		}
		var ho messages.Handover
		for handoverCh.ReceiveAsync(&ho) {
			r.onHandover(ctx, ho)
		}
	}
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var h messages.Hint
			changeCh.Receive(ctx, &h)
			r.onHint(ctx, h)
		}
	})
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			resyncCh.Receive(ctx, nil)
			r.onHint(ctx, resyncHint(ctx))
		}
	})
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var res messages.LaneResult
			resultCh.Receive(ctx, &res)
			r.onResult(ctx, res)
		}
	})
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var ho messages.Handover
			handoverCh.Receive(ctx, &ho)
			r.onHandover(ctx, ho)
		}
	})

	for {
		// Take every signal already delivered before deciding to wait: a
		// wait that is satisfied at once still costs a timer in history.
		drain()
		r.publish(ctx)
		if r.st.InFlight != nil {
			got, err := workflow.AwaitWithTimeout(ctx, r.settings.ResultTimeout, func() bool { return r.st.InFlight == nil })
			if err != nil {
				return err
			}
			if !got {
				logger.Warn("lane result overdue; resubmitting", "seq", r.st.InFlight.Seq)
				r.st.Pending.add(messages.Hint{Kind: messages.HintRetry, Class: r.st.InFlight.Class, ChangeTime: r.st.InFlight.Since, Force: r.st.InFlight.Force, Successor: r.st.InFlight.Successor}, workflow.Now(ctx))
				r.st.InFlight = nil
			}
			continue
		}
		if r.st.Pending.empty() {
			got, err := workflow.AwaitWithTimeout(ctx, r.settings.IdleTimeout, func() bool { return !r.st.Pending.empty() || r.historyFull(ctx) })
			if err != nil {
				return err
			}
			if !got && r.st.Blocked == nil {
				drain()
				if r.st.Pending.empty() && r.st.InFlight == nil {
					if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
						return err
					}
					return nil // idle: close; the next change starts a new run
				}
			}
			if r.historyFull(ctx) && r.st.Pending.empty() {
				return r.continueAsNew(ctx, drain)
			}
			continue
		}
		if err := r.waitUntilReady(ctx); err != nil {
			return err
		}
		r.submit(ctx)
		if r.historyFull(ctx) {
			// Wait for the in-flight result first: it is addressed to this customer's ID, not this run.
			if _, err := workflow.AwaitWithTimeout(ctx, r.settings.ResultTimeout, func() bool { return r.st.InFlight == nil }); err != nil {
				return err
			}
			return r.continueAsNew(ctx, drain)
		}
	}
}

func resyncHint(ctx workflow.Context) messages.Hint {
	return messages.Hint{Kind: messages.HintResync, Class: customer.ClassOrder, Force: true, SeenAt: workflow.Now(ctx)}
}

// waitUntilReady applies back-off after failures, waits for an expected
// handover, and debounces profile-only work.
func (r *customerRun) waitUntilReady(ctx workflow.Context) error {
	higher := func(c customer.Class) func() bool {
		return func() bool {
			return r.st.Pending.Force || (r.st.Pending.Class != customer.ClassNone && r.st.Pending.Class < c)
		}
	}
	if wait := r.st.RetryAt.Sub(workflow.Now(ctx)); wait > 0 && !r.st.Pending.Force {
		if _, err := workflow.AwaitWithTimeout(ctx, wait, func() bool { return r.st.Pending.Force }); err != nil {
			return err
		}
	}
	for len(r.st.Awaiting) > 0 {
		deadline := latest(r.st.Awaiting)
		wait := deadline.Sub(workflow.Now(ctx))
		if wait <= 0 {
			r.st.Awaiting = map[string]time.Time{}
			break
		}
		if _, err := workflow.AwaitWithTimeout(ctx, wait, func() bool { return len(r.st.Awaiting) == 0 }); err != nil {
			return err
		}
	}
	for r.st.Pending.Class == customer.ClassProfile && !r.st.Pending.Force {
		// Debounce: wait until profile hints stop for the window, but never
		// longer than five windows, and never when higher work arrives.
		quietUntil := r.st.Pending.LastHint.Add(r.settings.Debounce)
		capAt := r.st.Pending.FirstHint.Add(5 * r.settings.Debounce)
		if quietUntil.After(capAt) {
			quietUntil = capAt
		}
		wait := quietUntil.Sub(workflow.Now(ctx))
		if wait <= 0 {
			break
		}
		last := r.st.Pending.LastHint
		ok, err := workflow.AwaitWithTimeout(ctx, wait, func() bool { return higher(customer.ClassProfile)() || r.st.Pending.LastHint != last })
		if err != nil {
			return err
		}
		if !ok || higher(customer.ClassProfile)() {
			break
		}
	}
	return nil
}

func latest(m map[string]time.Time) time.Time {
	var t time.Time
	for _, k := range sortedKeys(m) {
		if m[k].After(t) {
			t = m[k]
		}
	}
	return t
}

// sortedKeys is the deterministic way to walk a map in workflow code: the
// keys are collected in random order and then sorted.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	//workflowcheck:ignore
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (r *customerRun) submit(ctx workflow.Context) {
	p := r.st.Pending
	r.st.Pending = pending{}
	r.st.Seq++
	req := messages.LaneRequest{CustomerID: r.id, Key: r.key, Seq: r.st.Seq, Class: p.Class, Since: p.Since, Force: p.Force, Successor: p.Successor}
	r.st.InFlight = &req
	r.st.InFlightAt = workflow.Now(ctx)
	if !r.lanePressured(ctx) {
		r.writeDirect(ctx, req)
		return
	}
	req.Pressured = true
	r.st.InFlight = &req
	laneID := LaneID(r.id, r.settings.LaneShards)
	err := workflow.SignalExternalWorkflow(ctx, laneID, "", string(names.SignalLaneSubmit), req).Get(ctx, nil)
	if err != nil {
		// The lane is not running (first start, or being restarted): start it
		// through an activity that uses signal-with-start, then retry.
		workflow.GetLogger(ctx).Warn("lane signal failed; starting lane", "lane", laneID, "error", err)
		actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			TaskQueue: r.settings.WorkflowQueue, StartToCloseTimeout: 30 * time.Second,
			RetryPolicy: &temporal.RetryPolicy{MaximumInterval: 30 * time.Second},
		})
		if err := workflow.ExecuteActivity(actx, routerActivities.SubmitToLane, laneID, req).Get(ctx, nil); err != nil {
			r.st.LastError = "lane unavailable: " + err.Error()
			r.st.InFlight = nil
			r.st.Pending = p
			r.st.RetryAt = workflow.Now(ctx).Add(time.Minute)
		}
	}
}

// lanePressured asks the worker whether the Dotdigital write budget runs
// low (a local activity: no task queue token). Under pressure writes go
// through the lane, which batches them; otherwise the customer writes
// directly, the shortest path. A customer whose own last write reported
// pressure keeps to the lane for a while too.
func (r *customerRun) lanePressured(ctx workflow.Context) bool {
	if workflow.Now(ctx).Before(r.st.PressureUntil) {
		return true
	}
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{ScheduleToCloseTimeout: 5 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 1}})
	var pressured bool
	if err := workflow.ExecuteLocalActivity(lctx, "LanePressure").Get(ctx, &pressured); err != nil {
		return false
	}
	return pressured
}

// writeDirect runs the customer's single write as an activity on the
// rate-limited Dotdigital queue, with the priority of its class, and feeds
// the result back as if the lane had sent it.
func (r *customerRun) writeDirect(ctx workflow.Context, req messages.LaneRequest) {
	opts := dotdigitalActivityOptions(r.settings, 5*time.Minute, priorityOf(req))
	actx := workflow.WithActivityOptions(ctx, opts)
	f := workflow.ExecuteActivity(actx, laneActivities.WriteCustomer, messages.DirectRequest{Request: req, Snapshot: r.st.Snapshot})
	workflow.Go(ctx, func(ctx workflow.Context) {
		var res messages.LaneResult
		if err := f.Get(ctx, &res); err != nil {
			res = messages.LaneResult{Seq: req.Seq, Outcome: messages.OutcomeFailed, Reason: "retries_exhausted", Detail: truncateText(err.Error(), 300)}
		}
		if res.WritePressure {
			r.st.PressureUntil = workflow.Now(ctx).Add(pressureHold)
		}
		r.onResult(ctx, res)
	})
}

func (r *customerRun) onHint(ctx workflow.Context, h messages.Hint) {
	now := workflow.Now(ctx)
	r.st.Pending.add(h, now)
	if h.Force {
		r.st.RetryAt = time.Time{}
	}
	if h.MovedFrom != "" && h.MovedFrom != r.id && !r.st.Snapshot.ContactExists {
		r.st.Awaiting[h.MovedFrom] = now.Add(r.settings.HandoverWait)
	}
}

func (r *customerRun) onHandover(ctx workflow.Context, ho messages.Handover) {
	delete(r.st.Awaiting, ho.From)
	if ho.Conflict || r.st.Snapshot.ContactExists {
		return
	}
	r.st.Snapshot = ho.Snapshot
	r.st.Snapshot.Email = r.key
}

func (r *customerRun) onResult(ctx workflow.Context, res messages.LaneResult) {
	if r.st.InFlight == nil || res.Seq != r.st.InFlight.Seq {
		return // stale (a resubmitted request answered twice)
	}
	now := workflow.Now(ctx)
	if res.Snapshot != nil {
		r.st.Snapshot = *res.Snapshot
	}
	if res.LastOrder != "" {
		r.st.LastOrder = res.LastOrder
	}
	switch res.Outcome {
	case messages.OutcomePartial:
		return // the activity keeps retrying the rest; its final result follows
	case messages.OutcomeOK, messages.OutcomeHanded:
		r.st.Blocked = nil
		r.st.LastError = ""
		r.st.Failures = 0
		r.st.RetryAt = time.Time{}
		r.st.Syncs++
		r.st.LastSyncedAt = res.AckAt
		r.st.LastClass = r.st.InFlight.Class.String()
		since := r.st.InFlight.Since
		if !since.IsZero() && !res.AckAt.IsZero() && res.AckAt.After(since) {
			r.st.LastLag = res.AckAt.Sub(since)
			workflow.GetMetricsHandler(ctx).WithTags(map[string]string{"class": r.st.InFlight.Class.String(), "path": pathTag(res.Bulk)}).
				Timer("sync_lag").Record(r.st.LastLag)
		}
	case messages.OutcomeBlocked:
		b := &messages.Blocked{Reason: res.Reason, Detail: res.Detail, Record: res.Record, Since: now, Last: now, Fix: fixFor(res.Reason)}
		if r.st.Blocked != nil && r.st.Blocked.Reason == res.Reason {
			b.Since = r.st.Blocked.Since
		}
		r.st.Blocked = b
		r.st.LastError = res.Detail
	case messages.OutcomeRedirected:
		// Nothing was written: the same work goes to the lane at once.
		in := r.st.InFlight
		r.st.PressureUntil = now.Add(pressureHold)
		r.st.Pending.add(messages.Hint{Kind: messages.HintRetry, Class: in.Class, ChangeTime: in.Since, Force: in.Force, Successor: in.Successor}, now)
	case messages.OutcomeFailed:
		r.st.Failures++
		r.st.LastError = res.Detail
		backoff := time.Duration(1<<min(r.st.Failures, 5)) * time.Minute // 2, 4 ... 32 minutes
		r.st.RetryAt = now.Add(backoff)
		r.st.Pending.add(messages.Hint{Kind: messages.HintRetry, Class: r.st.InFlight.Class, ChangeTime: r.st.InFlight.Since, Successor: r.st.InFlight.Successor}, now)
	}
	r.st.InFlight = nil
}

func pathTag(bulk bool) string {
	if bulk {
		return "bulk"
	}
	return "single"
}

// fixFor tells ops what clears a blocked reason.
func fixFor(reason string) string {
	switch reason {
	case "invalid_email":
		return "Correct the email on the Odoo partner(s); the change unblocks the customer."
	case "email_conflict":
		return "Two Dotdigital contacts exist for one person; merge or delete one in Dotdigital, then resync."
	case "orphan_contact":
		return "The Odoo partners of this email were merged away or changed; delete the old contact in Dotdigital if it is not wanted, then resync."
	case "rejected_record":
		return "Dotdigital rejected an order record; correct the order in Odoo (or the mapping) and resync."
	case "record_owned_elsewhere":
		return "An order's Insight record still belongs to another contact (the order moved between customers); resync the order's previous customer, then this one."
	case "contact_rejected":
		return "Dotdigital rejected the contact; check the data in Odoo and resync."
	}
	return "Check the detail, fix the data in Odoo or Dotdigital, then run: starter resync <email>."
}

func (r *customerRun) historyFull(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	return info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() > r.settings.HistoryLimit
}

func (r *customerRun) continueAsNew(ctx workflow.Context, drain func()) error {
	drain()
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return err
	}
	return workflow.NewContinueAsNewError(ctx, names.WorkflowCustomer, CustomerInput{Key: r.key, Settings: r.settings, State: r.st})
}

func (r *customerRun) stateName() string {
	switch {
	case r.st.Blocked != nil:
		return names.StateBlocked
	case r.st.InFlight != nil || !r.st.Pending.empty():
		return names.StatePending
	case r.st.Syncs > 0:
		return names.StateOK
	}
	return names.StateIdle
}

func (r *customerRun) status(ctx workflow.Context) messages.CustomerStatus {
	s := messages.CustomerStatus{
		Key: r.key, State: r.stateName(), PartnerIDs: r.st.Snapshot.PartnerIDs, Snapshot: r.st.Snapshot,
		InFlight: r.st.InFlight, Blocked: r.st.Blocked, LastError: r.st.LastError, LastSyncedAt: r.st.LastSyncedAt,
		LastLag: r.st.LastLag, LastOrder: r.st.LastOrder, Syncs: r.st.Syncs,
	}
	if !r.st.Pending.empty() {
		s.PendingClass, s.PendingSince = r.st.Pending.Class.String(), r.st.Pending.Since
	} else if r.st.InFlight != nil {
		s.PendingClass, s.PendingSince = r.st.InFlight.Class.String(), r.st.InFlight.Since
	}
	return s
}

// publish upserts search attributes and the UI's current details when they change.
func (r *customerRun) publish(ctx workflow.Context) {
	p := published{State: r.stateName(), Published: true, SyncedAt: r.st.LastSyncedAt, Partners: joinIDs(r.st.Snapshot.PartnerIDs),
		SyncClass: r.st.LastClass, LagMillis: r.st.LastLag.Milliseconds()}
	if r.st.Blocked != nil {
		p.Reason = r.st.Blocked.Reason
	}
	if !r.st.Pending.empty() {
		p.Class, p.Since = r.st.Pending.Class.String(), r.st.Pending.Since
	} else if r.st.InFlight != nil {
		p.Class, p.Since = r.st.InFlight.Class.String(), r.st.InFlight.Since
	}
	if p == r.st.Published {
		return
	}
	var updates []temporal.SearchAttributeUpdate
	updates = append(updates, names.SASyncState.ValueSet(p.State))
	if p.Reason != "" {
		updates = append(updates, names.SABlockedReason.ValueSet(p.Reason))
	} else {
		updates = append(updates, names.SABlockedReason.ValueUnset())
	}
	if p.Class != "" {
		updates = append(updates, names.SAPendingClass.ValueSet(p.Class), names.SAOldestPendingAt.ValueSet(p.Since))
	} else {
		updates = append(updates, names.SAPendingClass.ValueUnset(), names.SAOldestPendingAt.ValueUnset())
	}
	if !p.SyncedAt.IsZero() {
		updates = append(updates, names.SALastSyncedAt.ValueSet(p.SyncedAt), names.SALastLagSeconds.ValueSet(float64(p.LagMillis)/1000))
	}
	if p.SyncClass != "" {
		updates = append(updates, names.SALastSyncClass.ValueSet(p.SyncClass))
	}
	if len(r.st.Snapshot.PartnerIDs) > 0 {
		ids := make([]string, len(r.st.Snapshot.PartnerIDs))
		for i, id := range r.st.Snapshot.PartnerIDs {
			ids[i] = strconv.FormatInt(id, 10)
		}
		updates = append(updates, names.SAOdooPartnerIDs.ValueSet(ids))
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		workflow.GetLogger(ctx).Warn("search attribute upsert failed", "error", err)
		return
	}
	r.st.Published = p
	workflow.SetCurrentDetails(ctx, r.details(p))
}

func (r *customerRun) details(p published) string {
	// String concatenation, not fmt: the determinism checker cannot see
	// through fmt's reflection.
	var b strings.Builder
	b.WriteString("**State:** " + p.State + "\n\n**Odoo partners:** " + orNone(p.Partners) + "\n\n")
	if !p.SyncedAt.IsZero() {
		b.WriteString("**Last synced:** " + p.SyncedAt.UTC().Format(time.RFC3339) + " (lag " + r.st.LastLag.Round(time.Millisecond).String() + ")\n\n")
	}
	if p.Class != "" {
		b.WriteString("**Pending:** " + p.Class + " work since " + p.Since.UTC().Format(time.RFC3339) + "\n\n")
	}
	if r.st.Blocked != nil {
		b.WriteString("**Blocked:** " + r.st.Blocked.Reason + ": " + r.st.Blocked.Detail + "\n\n**Fix:** " + r.st.Blocked.Fix + "\n")
	}
	return b.String()
}

func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
