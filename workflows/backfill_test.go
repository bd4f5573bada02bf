package workflows

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
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
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/backfill"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
)

// fakeOdoo is the partner id space the mocked activities page through:
// ids 1..n with every tenth id missing (deleted partners). Every partner of
// id divisible by 7 is a customer that Dotdigital rejects.
type fakeOdoo struct {
	ids []int64

	mu        sync.Mutex
	pages     []backfill.PageRequest // successful page attempts
	attempts  map[int64]int          // page UpToID -> attempts
	failFirst map[int64]bool         // pages whose first attempt fails for good
	plans     []backfill.PlanRequest
	queues    map[string]string
	heartbeat map[string]time.Duration
	schema    int
}

func newFakeOdoo(n int) *fakeOdoo {
	f := &fakeOdoo{attempts: map[int64]int{}, failFirst: map[int64]bool{}, queues: map[string]string{}, heartbeat: map[string]time.Duration{}}
	for id := int64(1); id <= int64(n); id++ {
		if id%10 != 0 {
			f.ids = append(f.ids, id)
		}
	}
	return f
}

func (f *fakeOdoo) plan(ctx context.Context, req backfill.PlanRequest) (backfill.Plan, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.plans = append(f.plans, req)
	f.queues["plan"], f.heartbeat["plan"] = activity.GetInfo(ctx).TaskQueue, activity.GetInfo(ctx).HeartbeatTimeout
	var ids []int64
	for _, id := range f.ids {
		if id > req.AfterID && len(ids) < req.PagePartners*req.Pages {
			ids = append(ids, id)
		}
	}
	var p backfill.Plan
	for i := req.PagePartners - 1; i < len(ids); i += req.PagePartners {
		p.Bounds = append(p.Bounds, ids[i])
	}
	if len(ids)%req.PagePartners != 0 {
		p.Bounds = append(p.Bounds, ids[len(ids)-1])
	}
	p.Total = int64(len(f.ids))
	return p, nil
}

func (f *fakeOdoo) page(ctx context.Context, req backfill.PageRequest) (backfill.PageResult, error) {
	f.mu.Lock()
	f.attempts[req.UpToID]++
	f.queues["page"], f.heartbeat["page"] = activity.GetInfo(ctx).TaskQueue, activity.GetInfo(ctx).HeartbeatTimeout
	if f.failFirst[req.UpToID] && f.attempts[req.UpToID] == 1 {
		f.mu.Unlock()
		return backfill.PageResult{}, temporal.NewNonRetryableApplicationError("odoo says no", names.ErrOdooAuth, nil)
	}
	f.mu.Unlock()
	res := backfill.PageResult{AfterID: req.AfterID, UpToID: req.UpToID}
	for _, id := range f.ids {
		if id > req.AfterID && id <= req.UpToID {
			res.Partners++
			res.Customers++
			res.ContactsCreated++
			res.OrdersSent += 2
			res.OrdersImported += 2
			if id%7 == 0 {
				res.Failures = append(res.Failures, backfill.Failure{Key: fmt.Sprintf("c%d@example.com", id), Reason: "invalid_email"})
			}
		}
	}
	f.mu.Lock()
	f.pages = append(f.pages, req)
	f.mu.Unlock()
	return res, nil
}

// coverage checks that the successful pages cover every id exactly once.
func (f *fakeOdoo) coverage(t *testing.T) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	seen := map[int64]int{}
	for _, p := range f.pages {
		for _, id := range f.ids {
			if id > p.AfterID && id <= p.UpToID {
				seen[id]++
			}
		}
	}
	for _, id := range f.ids {
		require.Equal(t, 1, seen[id], "partner %d handled %d times", id, seen[id])
	}
}

func newBackfillEnv(f *fakeOdoo, pageTime time.Duration) *testsuite.TestWorkflowEnvironment {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(Backfill, workflowOptions(names.WorkflowBackfill))
	env.RegisterActivity(&activities.Lane{})
	env.RegisterActivity(&activities.Poll{})
	env.OnActivity(laneActivities.EnsureSchema, mock.Anything).Return(func(context.Context) error {
		f.mu.Lock()
		f.schema++
		f.mu.Unlock()
		return nil
	})
	env.OnActivity(pollActivities.BackfillPlan, mock.Anything, mock.Anything).Return(f.plan)
	env.OnActivity(laneActivities.BackfillPage, mock.Anything, mock.Anything).Return(f.page).After(pageTime)
	return env
}

func backfillInput(pagePartners, parallel int) BackfillInput {
	return BackfillInput{Settings: Settings{ContactBatch: 100}, Options: backfill.Options{PagePartners: pagePartners, Parallel: parallel,
		MaxListed: 5, RetryDelay: time.Minute}}
}

func TestBackfillCoversEveryPartnerOnceWithPagesInParallel(t *testing.T) {
	f := newFakeOdoo(1000) // 900 partners
	env := newBackfillEnv(f, 10*time.Second)
	var mid backfill.Progress
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(string(names.QueryProgress))
		require.NoError(t, err)
		require.NoError(t, v.Get(&mid))
	}, 25*time.Second)
	env.ExecuteWorkflow(Backfill, backfillInput(100, 3))
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res backfill.Result
	require.NoError(t, env.GetWorkflowResult(&res))

	f.coverage(t)
	require.Len(t, f.pages, 9)
	require.Equal(t, "dotdigital-api", f.queues["page"])
	require.Equal(t, "odoo-api", f.queues["plan"])
	require.Equal(t, 30*time.Second, f.heartbeat["page"], "a dead worker's page is retried after the heartbeat timeout")
	require.Equal(t, 30*time.Second, f.heartbeat["plan"])
	require.Equal(t, 1, f.schema)

	p := res.Progress
	require.True(t, p.Done)
	require.Equal(t, int64(900), p.Partners)
	require.Equal(t, int64(900), p.TotalPartners)
	require.Equal(t, int64(900), p.Customers)
	require.Equal(t, int64(1800), p.OrdersImported)
	require.Equal(t, int64(999), p.AfterID)
	require.Equal(t, 100.0, p.Percent())
	require.Equal(t, 9, p.Pages)
	require.Equal(t, 0, p.InFlight)

	// Failed customers: all counted and all keys in the result; the
	// progress lists the last MaxListed only.
	want := 0
	for _, id := range f.ids {
		if id%7 == 0 {
			want++
		}
	}
	require.Equal(t, int64(want), p.FailedCustomers)
	require.Equal(t, int64(want), p.Failures["invalid_email"])
	require.Len(t, res.Rejected, want)
	require.Len(t, p.Recent, 5)

	// Mid-way the query showed partial, consistent progress.
	require.False(t, mid.Done)
	require.Greater(t, mid.Pages, 0)
	require.Less(t, mid.Pages, 9)
	require.Equal(t, int64(mid.Pages*100), mid.Partners)
	require.Equal(t, 3, mid.InFlight, "pages run Parallel at once")
}

// bound is the upper id of page i (1-based) of 100 partners.
func (f *fakeOdoo) bound(i int) int64 { return f.ids[i*100-1] }

// runToCompletion runs the workflow through its continue-as-new runs, each
// in a fresh environment as a new run would be, and returns the final result.
func runToCompletion(t *testing.T, f *fakeOdoo, in BackfillInput, suggestAfter time.Duration) (backfill.Result, int) {
	runs := 0
	for {
		runs++
		require.Less(t, runs, 50, "no progress across runs")
		env := newBackfillEnv(f, 10*time.Second)
		env.RegisterDelayedCallback(func() { env.SetContinueAsNewSuggested(true) }, suggestAfter)
		env.ExecuteWorkflow(Backfill, in)
		require.True(t, env.IsWorkflowCompleted())
		err := env.GetWorkflowError()
		var can *workflow.ContinueAsNewError
		if errors.As(err, &can) {
			require.Equal(t, names.WorkflowBackfill, can.WorkflowType.Name)
			var next BackfillInput
			require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
			require.Greater(t, next.Checkpoint.Progress.AfterID, in.Checkpoint.Progress.AfterID, "every run moves the checkpoint")
			in = next
			continue
		}
		require.NoError(t, err)
		var res backfill.Result
		require.NoError(t, env.GetWorkflowResult(&res))
		return res, runs
	}
}

func TestBackfillContinuesAsNewWithItsCheckpoint(t *testing.T) {
	f := newFakeOdoo(2000) // 1800 partners, 18 pages
	in := backfillInput(100, 2)
	res, runs := runToCompletion(t, f, in, 25*time.Second)
	require.Greater(t, runs, 3)
	f.coverage(t)
	require.Len(t, f.pages, 18, "no page repeated across runs")
	p := res.Progress
	require.True(t, p.Done)
	require.Equal(t, runs, p.Runs)
	require.Equal(t, int64(1800), p.Partners)
	require.Equal(t, int64(1800), p.Customers)
	require.Equal(t, 18, p.Pages)
	require.Equal(t, int64(1999), p.AfterID)
	require.Len(t, res.Rejected, int(p.FailedCustomers), "failed keys survive continue-as-new")
	require.Equal(t, 1, f.schema, "the schema is ensured once per backfill")
}

func TestBackfillResumesFromACheckpoint(t *testing.T) {
	f := newFakeOdoo(1000)
	in := backfillInput(100, 2)
	// A previous run handled partners up to id 499 (450 partners).
	in.Checkpoint = backfill.Checkpoint{SchemaReady: true, Rejected: []string{"earlier@example.com"},
		Progress: backfill.Progress{AfterID: 499, Partners: 450, Customers: 450, Pages: 5, Runs: 1, FailedCustomers: 1,
			StartedAt: time.Date(2026, 11, 29, 6, 0, 0, 0, time.UTC)}}
	env := newBackfillEnv(f, time.Second)
	env.ExecuteWorkflow(Backfill, in)
	require.NoError(t, env.GetWorkflowError())
	var res backfill.Result
	require.NoError(t, env.GetWorkflowResult(&res))

	require.Equal(t, int64(499), f.plans[0].AfterID, "the first plan starts at the checkpoint")
	for _, pg := range f.pages {
		require.GreaterOrEqual(t, pg.AfterID, int64(499), "no page below the checkpoint")
	}
	require.Zero(t, f.schema, "schema already ensured")
	p := res.Progress
	require.Equal(t, int64(900), p.Partners)
	require.Equal(t, 10, p.Pages)
	require.Equal(t, 2, p.Runs)
	require.Equal(t, time.Date(2026, 11, 29, 6, 0, 0, 0, time.UTC), p.StartedAt, "the rate counts from the first start")
	require.Contains(t, res.Rejected, "earlier@example.com")
}

func TestBackfillRetriesAPageThatFailedForGood(t *testing.T) {
	f := newFakeOdoo(600)
	f.failFirst[f.bound(3)] = true
	env := newBackfillEnv(f, time.Second)
	var during backfill.Progress
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(string(names.QueryProgress))
		require.NoError(t, err)
		require.NoError(t, v.Get(&during))
	}, 30*time.Second) // while the failed page waits for RetryDelay
	env.ExecuteWorkflow(Backfill, backfillInput(100, 2))
	require.NoError(t, env.GetWorkflowError())
	var res backfill.Result
	require.NoError(t, env.GetWorkflowResult(&res))

	f.coverage(t)
	require.Equal(t, 2, f.attempts[f.bound(3)])
	require.Equal(t, 1, during.Errors)
	require.Contains(t, during.LastError, "odoo says no")
	require.Equal(t, f.bound(2), during.AfterID, "the resume point waits for the failed page")
	require.Greater(t, during.Partners, int64(200), "later pages went on meanwhile")
	require.True(t, res.Progress.Done)
	require.Equal(t, int64(540), res.Progress.Partners)
	require.Equal(t, int64(599), res.Progress.AfterID)
}

func TestBackfillCheckpointQueryHoldsTheFailedKeys(t *testing.T) {
	f := newFakeOdoo(300)
	env := newBackfillEnv(f, 10*time.Second)
	var cp backfill.Checkpoint
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(string(names.QueryCheckpoint))
		require.NoError(t, err)
		require.NoError(t, v.Get(&cp))
	}, 15*time.Second)
	env.ExecuteWorkflow(Backfill, backfillInput(100, 1))
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, f.bound(1), cp.Progress.AfterID)
	require.True(t, cp.SchemaReady)
	keys := append([]string(nil), cp.Rejected...)
	sort.Strings(keys)
	var want []string
	for _, id := range f.ids[:100] {
		if id%7 == 0 {
			want = append(want, fmt.Sprintf("c%d@example.com", id))
		}
	}
	sort.Strings(want)
	require.Equal(t, want, keys)
}

func TestBackfillActivitiesYieldToLiveWork(t *testing.T) {
	// The test environment does not pass priorities to activities: check the options.
	s := Settings{}.WithDefaults()
	o := backfill.Options{}.WithDefaults(s.ContactBatch)
	require.Equal(t, PriorityBulk, backfillPageOptions(s, o).Priority.PriorityKey)
	require.Equal(t, PriorityBulk, backfillPlanOptions(s, o).Priority.PriorityKey)
	require.Equal(t, s.DotdigitalQueue, backfillPageOptions(s, o).TaskQueue)
	require.GreaterOrEqual(t, backfillPageOptions(s, o).ScheduleToCloseTimeout, 2*o.PageTimeout)
}
