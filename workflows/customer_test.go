package workflows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/activities"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/messages"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
)

const testCustomerID = "customer-test"

var testSettings = Settings{Debounce: 2 * time.Second, IdleTimeout: 10 * time.Minute, LaneShards: 1, HandoverWait: time.Minute}.WithDefaults()

// customerHarness runs a customer workflow with a fake lane that answers
// every submission through reply.
type customerHarness struct {
	t        *testing.T
	env      *testsuite.TestWorkflowEnvironment
	requests []messages.LaneRequest
	times    []time.Time
	reply    func(req messages.LaneRequest) *messages.LaneResult
	// pressured: the Dotdigital write budget runs low, so writes go through
	// the lane (as most tests here assume); otherwise they go direct.
	pressured bool
	direct    []messages.DirectRequest
}

func newCustomerHarness(t *testing.T) *customerHarness {
	var suite testsuite.WorkflowTestSuite
	h := &customerHarness{t: t, env: suite.NewTestWorkflowEnvironment(), pressured: true}
	h.env.RegisterWorkflowWithOptions(Customer, workflowOptions(names.WorkflowCustomer))
	h.env.RegisterActivityWithOptions(func(context.Context) (bool, error) { return h.pressured, nil }, activity.RegisterOptions{Name: names.ActivityLanePressure})
	h.env.RegisterActivity(&activities.Lane{})
	h.env.OnActivity(laneActivities.WriteCustomer, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in messages.DirectRequest) (messages.LaneResult, error) {
			h.direct = append(h.direct, in)
			h.requests = append(h.requests, in.Request)
			h.times = append(h.times, h.env.Now())
			if res := h.reply(in.Request); res != nil {
				return *res, nil
			}
			return messages.LaneResult{}, errors.New("no answer")
		})
	h.env.SetStartWorkflowOptions(startOptions(testCustomerID))
	h.reply = func(req messages.LaneRequest) *messages.LaneResult {
		return &messages.LaneResult{Seq: req.Seq, Outcome: messages.OutcomeOK, AckAt: h.env.Now(), Snapshot: &customer.Snapshot{ContactExists: true, Email: req.Key}}
	}
	h.env.OnSignalExternalWorkflow(mock.Anything, LaneID(testCustomerID, 1), "", string(names.SignalLaneSubmit), mock.Anything).Return(
		func(_, _, _, _ string, arg interface{}) error {
			req := arg.(messages.LaneRequest)
			h.requests = append(h.requests, req)
			h.times = append(h.times, h.env.Now())
			if res := h.reply(req); res != nil {
				h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(string(names.SignalLaneResult), *res) }, 100*time.Millisecond)
			}
			return nil
		})
	return h
}

func (h *customerHarness) hint(after time.Duration, hint messages.Hint) {
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(string(names.SignalChange), hint) }, after)
}

func (h *customerHarness) status(after time.Duration, out *messages.CustomerStatus) {
	h.env.RegisterDelayedCallback(func() {
		v, err := h.env.QueryWorkflow(string(names.QueryState))
		require.NoError(h.t, err)
		require.NoError(h.t, v.Get(out))
	}, after)
}

// firstWriteThenOK makes the first write end with first and every later
// one succeed.
func (h *customerHarness) firstWriteThenOK(first messages.LaneResult) {
	calls := 0
	h.reply = func(req messages.LaneRequest) *messages.LaneResult {
		calls++
		if calls == 1 {
			res := first
			res.Seq = req.Seq
			return &res
		}
		return &messages.LaneResult{Seq: req.Seq, Outcome: messages.OutcomeOK, AckAt: h.env.Now()}
	}
}

// failFirstWrite makes the first write fail for good (its retries ran out).
func (h *customerHarness) failFirstWrite() {
	h.firstWriteThenOK(messages.LaneResult{Outcome: messages.OutcomeFailed, Detail: "retries exhausted"})
}

// run executes the workflow. A customer's workflow lives as long as the
// customer, so the test cancels it once the scenario is long over
// (scenarioEnd); err then reports nil for that cancellation.
func (h *customerHarness) run() {
	h.env.RegisterDelayedCallback(h.env.CancelWorkflow, scenarioEnd)
	h.env.ExecuteWorkflow(Customer, CustomerInput{Key: "jane@example.com", Settings: testSettings})
	require.True(h.t, h.env.IsWorkflowCompleted())
}

// scenarioEnd is when run cancels a customer workflow that is still open.
const scenarioEnd = 4000 * time.Hour

// err is the workflow's error, except the cancellation that ends run.
func (h *customerHarness) err() error {
	if err := h.env.GetWorkflowError(); err != nil && !temporal.IsCanceledError(err) {
		return err
	}
	return nil
}

// cancelled reports whether the workflow was still open at scenarioEnd.
func (h *customerHarness) cancelled() bool { return temporal.IsCanceledError(h.env.GetWorkflowError()) }

func profile() messages.Hint {
	return messages.Hint{Kind: messages.HintPartner, Class: customer.ClassProfile}
}
func order() messages.Hint {
	return messages.Hint{Kind: messages.HintOrder, Class: customer.ClassOrder}
}

func TestOrderHintSkipsDebounceAndCoalescesProfile(t *testing.T) {
	h := newCustomerHarness(t)
	h.hint(0, profile())
	h.hint(500*time.Millisecond, order())
	h.run()
	require.NoError(t, h.err())
	require.Len(t, h.requests, 1, "profile and order change must travel as one write")
	require.Equal(t, customer.ClassOrder, h.requests[0].Class)
	require.Less(t, h.times[0].Sub(h.env.Now().Add(-100*time.Hour)), 200*time.Hour) // sanity
}

func TestProfileHintsAreDebouncedAndCoalesced(t *testing.T) {
	h := newCustomerHarness(t)
	var start time.Time
	h.env.RegisterDelayedCallback(func() { start = h.env.Now() }, 0)
	for i := 0; i < 5; i++ {
		h.hint(time.Duration(i)*time.Second, profile())
	}
	h.run()
	require.Len(t, h.requests, 1, "five profile changes in a burst become one write")
	require.Equal(t, customer.ClassProfile, h.requests[0].Class)
	// The last hint came at 4s; the write waits a quiet window of 2s after it.
	wait := h.times[0].Sub(start)
	require.GreaterOrEqual(t, wait, 6*time.Second)
	require.Less(t, wait, 7*time.Second)
}

func TestDebounceIsCapped(t *testing.T) {
	h := newCustomerHarness(t)
	for i := 0; i < 40; i++ {
		h.hint(time.Duration(i)*time.Second, profile())
	}
	h.run()
	require.GreaterOrEqual(t, len(h.requests), 2, "a steady stream of profile changes is still written (cap of 5 windows)")
}

func TestResyncForcesFullRewrite(t *testing.T) {
	h := newCustomerHarness(t)
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(string(names.SignalResync), nil) }, 0)
	h.run()
	require.Len(t, h.requests, 1)
	require.True(t, h.requests[0].Force)
}

func TestBlockedUntilNextChange(t *testing.T) {
	h := newCustomerHarness(t)
	calls := 0
	h.reply = func(req messages.LaneRequest) *messages.LaneResult {
		calls++
		if calls == 1 {
			return &messages.LaneResult{Seq: req.Seq, Outcome: messages.OutcomeBlocked, Reason: "invalid_email", Detail: "Dotdigital: invalid email"}
		}
		return &messages.LaneResult{Seq: req.Seq, Outcome: messages.OutcomeOK, AckAt: h.env.Now(), Snapshot: &customer.Snapshot{ContactExists: true}}
	}
	h.hint(0, order())
	var blocked, cleared messages.CustomerStatus
	h.status(time.Minute, &blocked)
	h.hint(2*time.Hour, profile()) // the fix in Odoo
	h.status(2*time.Hour+time.Minute, &cleared)
	h.run()
	require.Equal(t, names.StateBlocked, blocked.State)
	require.Equal(t, "invalid_email", blocked.Blocked.Reason)
	require.NotEmpty(t, blocked.Blocked.Fix)
	require.Equal(t, names.StateOK, cleared.State)
	require.Nil(t, cleared.Blocked)
	require.Len(t, h.requests, 2)
}

func TestBlockedCustomerDoesNotCloseWhenIdle(t *testing.T) {
	h := newCustomerHarness(t)
	h.reply = func(req messages.LaneRequest) *messages.LaneResult {
		return &messages.LaneResult{Seq: req.Seq, Outcome: messages.OutcomeBlocked, Reason: "rejected_record"}
	}
	h.hint(0, order())
	var st messages.CustomerStatus
	h.status(5*testSettings.IdleTimeout, &st)
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(string(names.SignalResync), nil) }, 6*testSettings.IdleTimeout)
	h.firstWriteThenOK(messages.LaneResult{Outcome: messages.OutcomeBlocked, Reason: "rejected_record"})
	h.run()
	require.Equal(t, names.StateBlocked, st.State, "still open and blocked long after the idle timeout")
	require.Len(t, h.requests, 2)
}

// A customer's workflow outlives its idle time: a change months later is
// planned against the snapshot of what Dotdigital holds, not against
// nothing (which would never clear a field, leave a list or delete a record).
func TestIdleCustomerStaysOpenAndKeepsItsSnapshot(t *testing.T) {
	h := newCustomerHarness(t)
	h.pressured = false // direct writes carry the snapshot they plan against
	held := customer.Snapshot{ContactExists: true, ContactID: 77, Email: "jane@example.com", Lists: []string{"VIP Customers"},
		Orders: map[string]string{"1": "h1"}, PartnerIDs: []int64{7}}
	h.reply = func(req messages.LaneRequest) *messages.LaneResult {
		return &messages.LaneResult{Seq: req.Seq, Outcome: messages.OutcomeOK, AckAt: h.env.Now(), Snapshot: &held}
	}
	h.hint(0, order())
	h.hint(90*24*time.Hour, messages.Hint{Kind: messages.HintPartner, Class: customer.ClassStatus}) // the VIP tag is removed, three months on
	var st messages.CustomerStatus
	h.status(30*24*time.Hour, &st)
	h.run()
	require.NoError(t, h.err())
	require.True(t, h.cancelled(), "the workflow is still open at the end of the scenario")
	require.Equal(t, names.StateOK, st.State, "open and known a month after its last change")
	require.Len(t, h.direct, 2)
	require.Equal(t, held.ContactID, h.direct[1].Snapshot.ContactID, "the late change plans against what Dotdigital holds")
	require.Equal(t, held.Lists, h.direct[1].Snapshot.Lists)
}

// An idle run with a long history continues as new with its state, and the
// new run waits for work without a timer.
func TestIdleCustomerCompactsItsHistory(t *testing.T) {
	h := newCustomerHarness(t)
	h.env.SetCurrentHistoryLength(compactAfterEvents + 1)
	h.hint(0, order())
	h.run()
	var can *workflow.ContinueAsNewError
	require.ErrorAs(t, h.env.GetWorkflowError(), &can)
	var in CustomerInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &in))
	require.True(t, in.State.Compacted)
	require.True(t, in.State.Snapshot.ContactExists, "the snapshot travels into the next run")
	require.True(t, in.State.Pending.empty())
}

// A customer with no partner left and no contact (handed over, or never
// written) ends its workflow; the next change of its email starts a new one.
func TestGoneCustomerCloses(t *testing.T) {
	h := newCustomerHarness(t)
	h.reply = func(req messages.LaneRequest) *messages.LaneResult {
		absent := customer.Absent(req.Key)
		return &messages.LaneResult{Seq: req.Seq, Outcome: messages.OutcomeHanded, AckAt: h.env.Now(), Snapshot: &absent, Gone: true}
	}
	var start time.Time
	h.env.RegisterDelayedCallback(func() { start = h.env.Now() }, 0)
	h.hint(0, messages.Hint{Kind: messages.HintMoved, Class: customer.ClassStatus, RecordID: 7, Successor: "jane@new.example"})
	h.run()
	require.NoError(t, h.env.GetWorkflowError(), "completed, not cancelled")
	require.Less(t, h.env.Now().Sub(start), time.Minute)
	require.Equal(t, []int64{7}, h.requests[0].Moved, "the write learns which partner left")
}

func TestFailedWriteIsRetriedWithBackoff(t *testing.T) {
	h := newCustomerHarness(t)
	h.failFirstWrite()
	h.hint(0, order())
	h.run()
	require.Len(t, h.requests, 2)
	require.GreaterOrEqual(t, h.times[1].Sub(h.times[0]), 2*time.Minute)
	require.Equal(t, customer.ClassOrder, h.requests[1].Class, "the retry keeps its priority class")
}

func TestNewOrderIsNotHeldByTheBackoff(t *testing.T) {
	h := newCustomerHarness(t)
	h.failFirstWrite()
	h.hint(0, order())
	h.hint(30*time.Second, order()) // the outage is over; a new order arrives
	h.run()
	require.Len(t, h.requests, 2, "the new order's write carries the failed one's work too")
	gap := h.times[1].Sub(h.times[0])
	require.Less(t, gap, time.Minute, "written when it arrived, not after the 2 min back-off")
	require.GreaterOrEqual(t, gap, 30*time.Second)
}

func TestProfileChangeWaitsOutTheBackoff(t *testing.T) {
	h := newCustomerHarness(t)
	h.failFirstWrite()
	h.hint(0, order())
	h.hint(30*time.Second, profile())
	h.run()
	require.Len(t, h.requests, 2)
	require.GreaterOrEqual(t, h.times[1].Sub(h.times[0]), 2*time.Minute, "only orders cut the back-off short")
}

func TestStaleResultIsIgnored(t *testing.T) {
	h := newCustomerHarness(t)
	h.reply = func(req messages.LaneRequest) *messages.LaneResult {
		if req.Seq == 1 {
			h.env.RegisterDelayedCallback(func() {
				h.env.SignalWorkflow(string(names.SignalLaneResult), messages.LaneResult{Seq: 99, Outcome: messages.OutcomeBlocked, Reason: "x"})
			}, 10*time.Millisecond)
		}
		return &messages.LaneResult{Seq: req.Seq, Outcome: messages.OutcomeOK, AckAt: h.env.Now()}
	}
	h.hint(0, order())
	var st messages.CustomerStatus
	h.status(time.Minute, &st)
	h.run()
	require.Equal(t, names.StateOK, st.State)
}

func TestHandoverIsAwaitedAndAdopted(t *testing.T) {
	h := newCustomerHarness(t)
	moved := order()
	moved.MovedFrom = "customer-old"
	h.hint(0, moved)
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(string(names.SignalHandover), messages.Handover{From: "customer-old",
			Snapshot: customer.Snapshot{ContactExists: true, Email: "old@example.com", Fields: map[string]string{"FIRSTNAME": `"Jane"`}}})
	}, 10*time.Second)
	var st messages.CustomerStatus
	h.status(5*time.Second, &st)
	h.run()
	require.Equal(t, names.StatePending, st.State, "waits for the handover before writing")
	require.Len(t, h.requests, 1)
	require.GreaterOrEqual(t, h.times[0].Sub(h.env.Now().Add(-h.env.Now().Sub(h.times[0]))), time.Duration(0))
}

func TestHandoverWaitTimesOut(t *testing.T) {
	h := newCustomerHarness(t)
	var start time.Time
	h.env.RegisterDelayedCallback(func() { start = h.env.Now() }, 0)
	moved := order()
	moved.MovedFrom = "customer-old"
	h.hint(0, moved)
	h.run()
	require.Len(t, h.requests, 1)
	require.GreaterOrEqual(t, h.times[0].Sub(start), testSettings.HandoverWait)
}

func TestContinueAsNewCarriesPendingWork(t *testing.T) {
	h := newCustomerHarness(t)
	h.env.SetContinueAsNewSuggested(true)
	h.reply = func(req messages.LaneRequest) *messages.LaneResult { return nil } // no result: stays in flight
	h.hint(0, order())
	h.hint(time.Second, profile())
	h.env.ExecuteWorkflow(Customer, CustomerInput{Key: "jane@example.com", Settings: Settings{ResultTimeout: time.Minute}.WithDefaults()})
	require.True(t, h.env.IsWorkflowCompleted())
	err := h.env.GetWorkflowError()
	require.Error(t, err)
	var can interface{ Error() string }
	require.ErrorAs(t, err, &can)
	require.Contains(t, err.Error(), "continue as new")
}

func TestWithoutPressureTheCustomerWritesDirectly(t *testing.T) {
	h := newCustomerHarness(t)
	h.pressured = false
	h.hint(0, order())
	var st messages.CustomerStatus
	h.status(time.Minute, &st)
	h.run()
	require.Len(t, h.direct, 1, "the write went straight to the Dotdigital queue, not through the lane")
	require.Equal(t, customer.ClassOrder, h.direct[0].Request.Class)
	require.Equal(t, names.StateOK, st.State)
	require.True(t, st.Snapshot.ContactExists, "the direct result is applied")
}

func TestDirectWriteThatMetPressureSendsTheNextThroughTheLane(t *testing.T) {
	h := newCustomerHarness(t)
	h.pressured = false
	h.reply = func(req messages.LaneRequest) *messages.LaneResult {
		return &messages.LaneResult{Seq: req.Seq, Outcome: messages.OutcomeOK, AckAt: h.env.Now(), WritePressure: true,
			Snapshot: &customer.Snapshot{ContactExists: true}}
	}
	h.hint(0, order())
	h.hint(10*time.Second, order())
	h.run()
	require.Len(t, h.requests, 2)
	require.Len(t, h.direct, 1, "the second write went through the lane")
}

// A direct write that finds no room in the write budget writes nothing and
// says so; the same work goes through the lane at once, with its class
// and change time.
func TestRedirectedDirectWriteGoesThroughTheLane(t *testing.T) {
	h := newCustomerHarness(t)
	h.pressured = false
	h.reply = func(req messages.LaneRequest) *messages.LaneResult {
		if len(h.direct) == 1 && len(h.requests) == 1 {
			return &messages.LaneResult{Seq: req.Seq, Outcome: messages.OutcomeRedirected, WritePressure: true}
		}
		return &messages.LaneResult{Seq: req.Seq, Outcome: messages.OutcomeOK, AckAt: h.env.Now(), Snapshot: &customer.Snapshot{ContactExists: true}}
	}
	changed := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	o := order()
	o.ChangeTime = changed
	h.hint(0, o)
	var st messages.CustomerStatus
	h.status(time.Minute, &st)
	h.run()
	require.Len(t, h.direct, 1, "one direct attempt")
	require.Len(t, h.requests, 2, "then the lane")
	require.Equal(t, customer.ClassOrder, h.requests[1].Class)
	require.True(t, h.requests[1].Pressured)
	require.Equal(t, changed, h.requests[1].Since, "the lag still counts from the change")
	require.Less(t, h.times[1].Sub(h.times[0]), time.Second, "an order is not debounced on its way to the lane")
	require.Equal(t, names.StateOK, st.State)
	require.Equal(t, 1, st.Syncs, "the redirect is not a sync")
}
