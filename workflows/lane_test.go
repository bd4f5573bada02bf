package workflows

import (
	"context"
	"fmt"
	"sync"
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

type laneHarness struct {
	env     *testsuite.TestWorkflowEnvironment
	mu      sync.Mutex
	singles []messages.LaneRequest
	bulks   [][]messages.LaneRequest
	prios   []int
}

func newLaneHarness(t *testing.T) *laneHarness {
	var suite testsuite.WorkflowTestSuite
	h := &laneHarness{env: suite.NewTestWorkflowEnvironment()}
	h.env.RegisterWorkflowWithOptions(Lane, workflowOptions(names.WorkflowLane))
	h.env.RegisterActivity(&activities.Lane{})
	h.env.OnActivity(laneActivities.SyncCustomer, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, r messages.LaneRequest) (messages.SyncSummary, error) {
			h.mu.Lock()
			h.singles = append(h.singles, r)
			h.prios = append(h.prios, activity.GetInfo(ctx).Priority.PriorityKey)
			h.mu.Unlock()
			return messages.SyncSummary{Customers: 1, OK: 1}, nil
		}).After(300 * time.Millisecond) // a single write takes a while: a burst builds a backlog
	h.env.OnActivity(laneActivities.SyncBatch, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, rs []messages.LaneRequest) (messages.SyncSummary, error) {
			h.mu.Lock()
			h.bulks = append(h.bulks, rs)
			h.mu.Unlock()
			return messages.SyncSummary{Customers: len(rs), OK: len(rs)}, nil
		})
	return h
}

func req(i int, class customer.Class) messages.LaneRequest {
	return messages.LaneRequest{CustomerID: fmt.Sprintf("customer-%03d", i), Key: fmt.Sprintf("c%d@example.com", i), Seq: 1, Class: class}
}

func (h *laneHarness) submit(after time.Duration, rs ...messages.LaneRequest) {
	h.env.RegisterDelayedCallback(func() {
		for _, r := range rs {
			h.env.SignalWorkflow(string(names.SignalLaneSubmit), r)
		}
	}, after)
}

func (h *laneHarness) run(t *testing.T, until time.Duration) {
	h.env.RegisterDelayedCallback(func() { h.env.CancelWorkflow() }, until)
	h.env.ExecuteWorkflow(Lane, LaneInput{Shard: 0, Settings: Settings{LaneBulkThreshold: 10, LaneMaxSingles: 4, LaneMaxBulk: 1, ContactBatch: 100}.WithDefaults()})
	require.True(t, h.env.IsWorkflowCompleted())
}

func TestLaneSendsSinglesWhileIdle(t *testing.T) {
	h := newLaneHarness(t)
	h.submit(time.Second, req(1, customer.ClassProfile))
	h.submit(20*time.Second, req(2, customer.ClassOrder))
	h.run(t, time.Minute)
	require.Len(t, h.singles, 2)
	require.Empty(t, h.bulks)
}

func TestPriorityKeys(t *testing.T) {
	resync := req(1, customer.ClassOrder)
	resync.Force = true
	require.Equal(t, PriorityOrder, priorityOf(req(1, customer.ClassOrder)))
	require.Equal(t, PriorityStatus, priorityOf(req(1, customer.ClassStatus)))
	require.Equal(t, PriorityProfile, priorityOf(req(1, customer.ClassProfile)))
	require.Equal(t, PriorityBulk, priorityOf(resync), "resync work is the lowest priority")
}

func TestLaneBatchesABacklogOrdersFirst(t *testing.T) {
	h := newLaneHarness(t)
	var burst []messages.LaneRequest
	for i := 0; i < 150; i++ {
		c := customer.ClassProfile
		if i%3 == 0 {
			c = customer.ClassOrder
		}
		burst = append(burst, req(i, c))
	}
	// Four slow singles occupy the slots; the burst behind them is a backlog.
	slow := []messages.LaneRequest{req(900, customer.ClassProfile), req(901, customer.ClassProfile), req(902, customer.ClassProfile), req(903, customer.ClassProfile)}
	h.submit(time.Second, append(slow, burst...)...)
	h.run(t, time.Minute)
	require.NotEmpty(t, h.bulks, "a backlog is sent by bulk import")
	require.Equal(t, customer.ClassOrder, h.bulks[0][0].Class, "the first batch carries orders")
	sawProfileBatch := false
	for _, b := range h.bulks {
		require.LessOrEqual(t, len(b), 100, "at most ContactBatch per import")
		classes := map[customer.Class]int{}
		for _, r := range b {
			classes[r.Class]++
		}
		if classes[customer.ClassProfile] > 0 {
			sawProfileBatch = true
			require.LessOrEqual(t, classes[customer.ClassOrder], 1, "orders do not wait in a batch of profile changes")
		} else {
			require.False(t, sawProfileBatch, "order batches go before profile batches")
		}
	}
	total := len(h.singles)
	for _, b := range h.bulks {
		total += len(b)
	}
	require.Equal(t, 154, total, "every request is served exactly once")
}

func TestLaneCoalescesRequestsOfOneCustomer(t *testing.T) {
	h := newLaneHarness(t)
	a := req(1, customer.ClassOrder)
	b := req(1, customer.ClassProfile)
	b.Seq = 2
	h.submit(time.Second, req(900, customer.ClassProfile), req(901, customer.ClassProfile), req(902, customer.ClassProfile), req(903, customer.ClassProfile), a, b)
	h.run(t, time.Minute)
	require.Len(t, h.singles, 5)
	last := h.singles[4]
	require.Equal(t, "customer-001", last.CustomerID)
	require.Equal(t, int64(2), last.Seq, "the newest sequence number answers")
	require.Equal(t, customer.ClassOrder, last.Class, "the highest class wins")
}

func TestLaneQueryShowsBacklog(t *testing.T) {
	h := newLaneHarness(t)
	var st LaneStatus
	h.env.RegisterDelayedCallback(func() {
		v, err := h.env.QueryWorkflow(string(names.QueryLane))
		require.NoError(t, err)
		require.NoError(t, v.Get(&st))
	}, 30*time.Second)
	h.submit(time.Second, req(1, customer.ClassOrder), req(2, customer.ClassStatus))
	h.run(t, time.Minute)
	require.Equal(t, 2, st.Stats.Requests)
	require.Equal(t, 2, st.Stats.Singles)
}
