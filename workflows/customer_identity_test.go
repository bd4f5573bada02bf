package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/activities"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/messages"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
)

func (h *customerHarness) handover(after time.Duration, ho messages.Handover) {
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(string(names.SignalHandover), ho) }, after)
}

// A customer whose partner came from another customer, and that has no
// contact, waits for that customer's handover, and writes as soon as it
// arrives (not at the end of the wait) with the contact it was given.
func TestAwaitingCustomerWritesOnTheHandover(t *testing.T) {
	h := newCustomerHarness(t)
	h.pressured = false
	handed := customer.Snapshot{ContactExists: true, ContactID: 41, Email: "old@example.com", PartnerIDs: []int64{7}}
	h.reply = func(req messages.LaneRequest) *messages.LaneResult {
		if req.Seq == 1 {
			absent := customer.Absent(req.Key)
			return &messages.LaneResult{Seq: 1, Outcome: messages.OutcomeAwaiting, Awaiting: []string{"customer-old"}, Snapshot: &absent}
		}
		return &messages.LaneResult{Seq: req.Seq, Outcome: messages.OutcomeOK, AckAt: h.env.Now(), Snapshot: &handed}
	}
	h.hint(0, order())
	h.handover(10*time.Second, messages.Handover{From: "customer-old", Snapshot: handed})
	h.run()
	require.NoError(t, h.err())
	require.Len(t, h.direct, 2)
	require.Less(t, h.times[1].Sub(h.times[0]), 15*time.Second, "written on the handover, not after the wait")
	require.Equal(t, int64(41), h.direct[1].Snapshot.ContactID, "the handed-over contact is adopted")
	require.Equal(t, "jane@example.com", h.direct[1].Snapshot.Email)
}

// A handover that arrived before the write learnt it must wait for it is
// not waited for again.
func TestAwaitingSkipsAHandoverAlreadyReceived(t *testing.T) {
	h := newCustomerHarness(t)
	h.reply = func(req messages.LaneRequest) *messages.LaneResult {
		if req.Seq == 2 {
			absent := customer.Absent(req.Key)
			return &messages.LaneResult{Seq: 2, Outcome: messages.OutcomeAwaiting, Awaiting: []string{"customer-old"}, Snapshot: &absent}
		}
		return &messages.LaneResult{Seq: req.Seq, Outcome: messages.OutcomeOK, AckAt: h.env.Now()}
	}
	h.handover(0, messages.Handover{From: "customer-old", Released: true}) // a handover also starts a write (seq 1)
	h.hint(time.Minute, order())
	h.run()
	require.Len(t, h.requests, 3)
	require.Less(t, h.times[2].Sub(h.times[1]), time.Minute, "no wait for a handover that already came")
}

// A write refused because an order's record is still held by the contact
// the order came from is not left blocked: it is retried on its own, and at
// once when the holder says it released the record.
func TestHeldRecordIsRetriedWhenReleased(t *testing.T) {
	h := newCustomerHarness(t)
	h.reply = func(req messages.LaneRequest) *messages.LaneResult {
		if req.Seq == 1 {
			return &messages.LaneResult{Seq: 1, Outcome: messages.OutcomeBlocked, Reason: reasonOwnedElsewhere, Record: "sale.order 9"}
		}
		return &messages.LaneResult{Seq: req.Seq, Outcome: messages.OutcomeOK, AckAt: h.env.Now()}
	}
	h.hint(0, order())
	var blocked, after messages.CustomerStatus
	h.status(5*time.Second, &blocked)
	h.handover(8*time.Second, messages.Handover{From: "customer-old", Released: true})
	h.status(time.Minute, &after)
	h.run()
	require.Equal(t, names.StateBlocked, blocked.State, "reported while it waits")
	require.Len(t, h.requests, 2)
	require.Less(t, h.times[1].Sub(h.times[0]), 15*time.Second, "retried when released, not after the back-off")
	require.Equal(t, names.StateOK, after.State)
}

func TestHeldRecordIsRetriedWithoutARelease(t *testing.T) {
	h := newCustomerHarness(t)
	h.reply = func(req messages.LaneRequest) *messages.LaneResult {
		if req.Seq <= 2 {
			return &messages.LaneResult{Seq: req.Seq, Outcome: messages.OutcomeBlocked, Reason: reasonOwnedElsewhere, Record: "sale.order 9"}
		}
		return &messages.LaneResult{Seq: req.Seq, Outcome: messages.OutcomeOK, AckAt: h.env.Now()}
	}
	h.hint(0, order())
	var st messages.CustomerStatus
	h.status(10*time.Minute, &st)
	h.run()
	require.Len(t, h.requests, 3)
	require.GreaterOrEqual(t, h.times[1].Sub(h.times[0]), 30*time.Second)
	require.GreaterOrEqual(t, h.times[2].Sub(h.times[1]), time.Minute, "the back-off doubles")
	require.Equal(t, names.StateOK, st.State)
}

// A lane result that never comes (the lane lost the request) is resubmitted
// to the lane only (which never runs two writes of a customer at once),
// and the next write plans against the truth: the lost attempt may still land.
func TestOverdueLaneResultIsResubmittedToTheLane(t *testing.T) {
	h := newCustomerHarness(t)
	h.reply = func(req messages.LaneRequest) *messages.LaneResult {
		if req.Seq == 1 {
			h.pressured = false // the budget recovers meanwhile: still no direct write
			return nil
		}
		return &messages.LaneResult{Seq: req.Seq, Outcome: messages.OutcomeOK, AckAt: h.env.Now()}
	}
	h.hint(0, order())
	var st messages.CustomerStatus
	h.status(testSettings.ResultTimeout+time.Second, &st)
	h.run()
	require.Len(t, h.requests, 2)
	require.Empty(t, h.direct, "the resubmission goes through the lane")
	require.GreaterOrEqual(t, h.times[1].Sub(h.times[0]), testSettings.ResultTimeout)
	require.False(t, st.Snapshot.Known(), "what Dotdigital holds is read again")
}

// A direct write that runs longer than the lane's result timeout is not
// attempted a second time beside itself.
func TestSlowDirectWriteIsNotResubmitted(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(Customer, workflowOptions(names.WorkflowCustomer))
	env.RegisterActivityWithOptions(func(context.Context) (bool, error) { return false, nil }, activity.RegisterOptions{Name: names.ActivityLanePressure})
	env.RegisterActivity(&activities.Lane{})
	calls := 0
	env.OnActivity(laneActivities.WriteCustomer, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in messages.DirectRequest) (messages.LaneResult, error) {
			calls++
			return messages.LaneResult{Seq: in.Request.Seq, Outcome: messages.OutcomeOK, AckAt: env.Now()}, nil
		}).After(testSettings.ResultTimeout + 10*time.Minute)
	env.SetStartWorkflowOptions(startOptions(testCustomerID))
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(string(names.SignalChange), order()) }, 0)
	env.RegisterDelayedCallback(env.CancelWorkflow, 3*testSettings.ResultTimeout)
	env.ExecuteWorkflow(Customer, CustomerInput{Key: "jane@example.com", Settings: testSettings})
	require.Equal(t, 1, calls)
}
