package workflows

import (
	"context"
	"fmt"
	"sort"
	"strconv"
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
	bulkSeq []int
	prios   []int
}

type bySeq struct{ h *laneHarness }

func (b bySeq) Len() int           { return len(b.h.bulks) }
func (b bySeq) Less(i, j int) bool { return b.h.bulkSeq[i] < b.h.bulkSeq[j] }
func (b bySeq) Swap(i, j int) {
	b.h.bulks[i], b.h.bulks[j] = b.h.bulks[j], b.h.bulks[i]
	b.h.bulkSeq[i], b.h.bulkSeq[j] = b.h.bulkSeq[j], b.h.bulkSeq[i]
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
			// Kept in the order the lane scheduled them (activity IDs are
			// sequence numbers), not the order the test env ran them.
			seq, _ := strconv.Atoi(activity.GetInfo(ctx).ActivityID)
			h.mu.Lock()
			h.bulks = append(h.bulks, rs)
			h.bulkSeq = append(h.bulkSeq, seq)
			sort.Sort(bySeq{h})
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
	// Orders travel together, in few batches (profile changes ride along or
	// fill a slot of their own meanwhile).
	orderBatches := 0
	for _, b := range h.bulks {
		require.LessOrEqual(t, len(b), 100, "at most ContactBatch per import")
		classes := map[customer.Class]int{}
		for _, r := range b {
			classes[r.Class]++
		}
		for i := 1; i < len(b); i++ {
			require.LessOrEqual(t, b[i-1].Class, b[i].Class, "orders first, profile changes fill the rest")
		}
		if classes[customer.ClassOrder] > 0 {
			orderBatches++
		}
	}
	require.LessOrEqual(t, orderBatches, 2)
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

// Under write pressure a single write would spend a scarce call on one
// customer: everything goes by bulk import, except a contact handover
// (it needs single calls), and the profile slot keeps a waiting profile
// import from holding up the orders.
func TestLaneUnderWritePressureSendsByImportOnly(t *testing.T) {
	h := newLaneHarness(t)
	pressured := req(1, customer.ClassOrder)
	pressured.Pressured = true
	handover := req(2, customer.ClassProfile)
	handover.Successor = "customer-900"
	var burst []messages.LaneRequest
	for i := 10; i < 40; i++ {
		c := customer.ClassProfile
		if i%2 == 0 {
			c = customer.ClassOrder
		}
		burst = append(burst, req(i, c))
	}
	h.submit(time.Second, pressured, handover)
	h.submit(2*time.Second, burst...)
	h.run(t, time.Minute)
	require.Len(t, h.singles, 1, "only the handover is a single write")
	require.Equal(t, "customer-002", h.singles[0].CustomerID)
	total := 0
	profileOnly, withOrders := 0, 0
	for _, b := range h.bulks {
		total += len(b)
		orders := 0
		for _, r := range b {
			if r.Class == customer.ClassOrder {
				orders++
			}
		}
		if orders == 0 {
			profileOnly++
		} else {
			withOrders++
		}
	}
	require.Equal(t, 31, total, "every other request is served by bulk import, once")
	require.Positive(t, profileOnly, "profile changes go in their own imports")
	require.Positive(t, withOrders)
}

// A batch that the import budget cannot take yet comes back and is sent
// later together with the requests that arrived meanwhile: one import
// instead of many small ones waiting in turn.
func TestLaneGathersADeferredBatchWithNewerRequests(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	h := &laneHarness{env: suite.NewTestWorkflowEnvironment()}
	h.env.RegisterWorkflowWithOptions(Lane, workflowOptions(names.WorkflowLane))
	h.env.RegisterActivity(&activities.Lane{})
	calls := 0
	var deferredAt, resentAt time.Time
	h.env.OnActivity(laneActivities.SyncBatch, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, rs []messages.LaneRequest) (messages.SyncSummary, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			calls++
			if calls == 1 {
				deferredAt = h.env.Now()
				return messages.SyncSummary{Customers: len(rs), Deferred: true, RetryAfter: 8 * time.Second, ImportPressure: true, WritePressure: true}, nil
			}
			if resentAt.IsZero() {
				resentAt = h.env.Now()
			}
			h.bulks = append(h.bulks, rs)
			return messages.SyncSummary{Customers: len(rs), OK: len(rs), WritePressure: true}, nil
		})
	h.env.OnActivity(laneActivities.SyncCustomer, mock.Anything, mock.Anything).Return(messages.SyncSummary{Customers: 1, OK: 1}, nil)
	first := req(1, customer.ClassOrder)
	first.Pressured = true
	h.submit(time.Second, first, req(2, customer.ClassOrder))
	newer := req(1, customer.ClassProfile)
	newer.Seq = 2
	h.submit(3*time.Second, newer, req(3, customer.ClassOrder), req(4, customer.ClassOrder))
	var st LaneStatus
	h.env.RegisterDelayedCallback(func() {
		v, err := h.env.QueryWorkflow(string(names.QueryLane))
		require.NoError(t, err)
		require.NoError(t, v.Get(&st))
	}, 50*time.Second)
	h.env.RegisterDelayedCallback(func() { h.env.CancelWorkflow() }, time.Minute)
	h.env.ExecuteWorkflow(Lane, LaneInput{Settings: Settings{LaneBulkThreshold: 10, LaneMaxSingles: 4, LaneMaxBulk: 1, ContactBatch: 100}.WithDefaults()})
	require.True(t, h.env.IsWorkflowCompleted())
	require.Len(t, h.bulks, 1, "the deferred batch and the newer requests travel together")
	require.Len(t, h.bulks[0], 4)
	require.GreaterOrEqual(t, resentAt.Sub(deferredAt), 8*time.Second, "not before the budget has room")
	for _, r := range h.bulks[0] {
		if r.CustomerID == "customer-001" {
			require.Equal(t, int64(2), r.Seq, "the newest request of a customer answers")
			require.Equal(t, customer.ClassOrder, r.Class, "and keeps the most urgent class")
		}
	}
	require.Equal(t, 1, st.Stats.Deferred)
	require.Equal(t, 1, st.Stats.Bulks)
	require.Empty(t, h.singles)
}

// A customer's second request waits while its first is being written: an
// older write can never land after a newer one.
func TestLaneNeverRunsTwoWritesOfOneCustomerAtOnce(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(Lane, workflowOptions(names.WorkflowLane))
	env.RegisterActivity(&activities.Lane{})
	type span struct{ seq, start, end int64 }
	var mu sync.Mutex
	var spans []span
	env.OnActivity(laneActivities.SyncCustomer, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, r messages.LaneRequest) (messages.SyncSummary, error) {
			mu.Lock()
			spans = append(spans, span{seq: r.Seq, start: env.Now().UnixMilli()})
			mu.Unlock()
			return messages.SyncSummary{Customers: 1, OK: 1}, nil
		}).After(2 * time.Second)
	first, second := req(1, customer.ClassOrder), req(1, customer.ClassOrder)
	second.Seq = 2
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(string(names.SignalLaneSubmit), first) }, time.Second)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(string(names.SignalLaneSubmit), second) }, 1500*time.Millisecond)
	env.RegisterDelayedCallback(env.CancelWorkflow, time.Minute)
	env.ExecuteWorkflow(Lane, LaneInput{Settings: Settings{LaneMaxSingles: 4}.WithDefaults()})
	require.Len(t, spans, 2)
	require.Equal(t, int64(2), spans[1].seq)
	require.GreaterOrEqual(t, spans[1].start-spans[0].start, int64(2000), "the second write starts after the first one ended")
}
