package workflows

import (
	"sort"
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
	return names.LaneWorkflowID(int(h % uint32(shards)))
}

type customerRun struct {
	key      string
	id       string
	settings Settings
	st       *CustomerState
	// durable: the run lives as long as the customer (compacts its history
	// when idle instead of closing) and follows the durable identity rules.
	// Runs started by an earlier release replay with the earlier behaviour.
	durable bool
}

// versionDurableIdentity marks runs that live as long as their customer.
const versionDurableIdentity = "durable-identity"

// Customer is the entity workflow of one customer (one normalised email). It
// lives as long as the customer: it coalesces change hints, sends the
// customer's write to its lane shard (or writes directly), keeps what
// Dotdigital holds, parks itself as blocked on a non-retryable rejection,
// and, when idle, compacts its history (continue-as-new) rather than close,
// so that what it knows survives months without changes. It ends only when
// the customer is gone: no partner in Odoo, and no contact (handed over to
// another email, or never written).
func Customer(ctx workflow.Context, in CustomerInput) error {
	r := &customerRun{key: in.Key, id: workflow.GetInfo(ctx).WorkflowExecution.ID, settings: in.Settings.WithDefaults(), st: in.State}
	r.durable = workflow.GetVersion(ctx, versionDurableIdentity, workflow.DefaultVersion, 1) >= 1
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
			if r.durable && !r.st.InFlight.Pressured {
				// A direct write: its activity's future resolves (at the
				// latest at its schedule-to-close), so no second attempt
				// is ever started beside it.
				if err := workflow.Await(ctx, func() bool { return r.st.InFlight == nil }); err != nil {
					return err
				}
				continue
			}
			got, err := workflow.AwaitWithTimeout(ctx, r.settings.ResultTimeout, func() bool { return r.st.InFlight == nil })
			if err != nil {
				return err
			}
			if !got {
				logger.Warn("lane result overdue; resubmitting", "seq", r.st.InFlight.Seq)
				r.resubmitOverdue(ctx)
			}
			continue
		}
		if r.durable && r.gone() {
			if closed, err := r.close(ctx, drain); closed || err != nil {
				return err // nil: the customer is gone, the run completes
			}
			continue
		}
		if r.durable && r.st.Pending.empty() {
			if err := r.idle(ctx, drain); err != nil {
				return err
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

// resubmitOverdue gives up waiting for a lane result (the lane lost the
// request: e.g. it was terminated) and tries again. A durable run resubmits
// to the lane only, which never runs two writes of one customer at once,
// and forgets what it believed Dotdigital holds: the overdue attempt may
// still land, so the next write plans against the truth.
func (r *customerRun) resubmitOverdue(ctx workflow.Context) {
	in := r.st.InFlight
	r.st.Pending.add(messages.Hint{Kind: messages.HintRetry, Class: in.Class, ChangeTime: in.Since, Force: in.Force, Successor: in.Successor}, workflow.Now(ctx))
	r.st.InFlight = nil
	if r.durable {
		r.st.Pending.LaneOnly = true
		r.st.Pending.Moved = uniqIDs(append(r.st.Pending.Moved, in.Moved...))
		r.st.Snapshot = customer.Snapshot{PartnerIDs: r.st.Snapshot.PartnerIDs}
	}
}

// idle waits for work. After SYNC_IDLE_TIMEOUT without any, a run with a
// long history continues as new with its state (the old history is
// dropped after the namespace's retention); either way it then waits
// without a timer, so an idle customer costs nothing until its next change.
func (r *customerRun) idle(ctx workflow.Context, drain func()) error {
	work := func() bool { return !r.st.Pending.empty() || r.historyFull(ctx) }
	if r.st.Compacted {
		if err := workflow.Await(ctx, work); err != nil {
			return err
		}
	} else {
		got, err := workflow.AwaitWithTimeout(ctx, r.settings.IdleTimeout, work)
		if err != nil {
			return err
		}
		if !got {
			r.st.Compacted = true
			if workflow.GetInfo(ctx).GetCurrentHistoryLength() > compactAfterEvents {
				return r.continueAsNew(ctx, drain)
			}
		}
	}
	if r.historyFull(ctx) && r.st.Pending.empty() {
		return r.continueAsNew(ctx, drain)
	}
	return nil
}

// compactAfterEvents: an idle run with a longer history continues as new;
// a shorter one just waits without a timer.
const compactAfterEvents = 100

// gone: the customer has no partner in Odoo and no contact in Dotdigital
// any more, and nothing is left to do.
func (r *customerRun) gone() bool {
	return r.st.Gone && r.st.Pending.empty() && r.st.InFlight == nil && r.st.Blocked == nil && len(r.st.Awaiting) == 0
}

// close reports whether the run of a customer that is gone may end (a
// later change of its email starts a new one); work that arrived meanwhile
// keeps it going.
func (r *customerRun) close(ctx workflow.Context, drain func()) (bool, error) {
	drain()
	if !r.gone() {
		return false, nil
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return false, err
	}
	return r.gone(), nil
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
		// A handover that released what the retry waits for clears RetryAt.
		if _, err := workflow.AwaitWithTimeout(ctx, wait, func() bool { return r.st.Pending.Force || r.st.RetryAt.IsZero() }); err != nil {
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
	req := messages.LaneRequest{CustomerID: r.id, Key: r.key, Seq: r.st.Seq, Class: p.Class, Since: p.Since, Force: p.Force, Successor: p.Successor, Moved: p.Moved}
	r.st.InFlight = &req
	r.st.InFlightAt = workflow.Now(ctx)
	if !(r.durable && p.LaneOnly) && !r.lanePressured(ctx) {
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
	if err := workflow.ExecuteLocalActivity(lctx, names.ActivityLanePressure).Get(ctx, &pressured); err != nil {
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
