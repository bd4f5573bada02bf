package activities

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/mocks"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/lag"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
)

// lagQueryAnswer is a query answer as the client returns it.
type lagQueryAnswer struct{ v any }

func (j lagQueryAnswer) HasValue() bool { return j.v != nil }
func (j lagQueryAnswer) Get(ptr any) error {
	b, err := json.Marshal(j.v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, ptr)
}

// execution builds a visibility row with search attributes as the server
// returns them (json/plain payloads).
func visibilityRow(t *testing.T, id string, attrs map[string]any) *workflowpb.WorkflowExecutionInfo {
	fields := map[string]*commonpb.Payload{}
	for k, v := range attrs {
		p, err := converter.GetDefaultDataConverter().ToPayload(v)
		require.NoError(t, err)
		fields[k] = p
	}
	return &workflowpb.WorkflowExecutionInfo{
		Execution:        &commonpb.WorkflowExecution{WorkflowId: id},
		SearchAttributes: &commonpb.SearchAttributes{IndexedFields: fields},
	}
}

func lagQueryHas(part string) any {
	return mock.MatchedBy(func(r *workflowservice.ListWorkflowExecutionsRequest) bool { return strings.Contains(r.Query, part) })
}

func TestMeasureLag(t *testing.T) {
	c := mocks.NewClient(t)
	base := time.Now().UTC()
	ago := func(d time.Duration) time.Time { return base.Add(-d) }
	pending := func(id, class string, since time.Time) *workflowpb.WorkflowExecutionInfo {
		attrs := map[string]any{names.SASyncState.GetName(): names.StatePending}
		if class != "" {
			attrs[names.SAPendingClass.GetName()] = class
		}
		if !since.IsZero() {
			attrs[names.SAOldestPendingAt.GetName()] = since
		}
		return visibilityRow(t, id, attrs)
	}
	synced := func(id, class string, at time.Time, lagSeconds float64) *workflowpb.WorkflowExecutionInfo {
		return visibilityRow(t, id, map[string]any{names.SALastSyncClass.GetName(): class, names.SALastSyncedAt.GetName(): at, names.SALastLagSeconds.GetName(): lagSeconds})
	}

	// backlog: two pages
	c.On("ListWorkflow", mock.Anything, mock.MatchedBy(func(r *workflowservice.ListWorkflowExecutionsRequest) bool {
		return strings.Contains(r.Query, "SyncState = 'pending'") && strings.Contains(r.Query, "ExecutionStatus = 'Running'") && len(r.NextPageToken) == 0
	})).Return(&workflowservice.ListWorkflowExecutionsResponse{
		Executions:    []*workflowpb.WorkflowExecutionInfo{pending("a", "order", ago(7*time.Minute)), pending("b", "order", ago(2*time.Minute)), pending("x", "", time.Time{})},
		NextPageToken: []byte("page-2"),
	}, nil).Once()
	c.On("ListWorkflow", mock.Anything, mock.MatchedBy(func(r *workflowservice.ListWorkflowExecutionsRequest) bool {
		return strings.Contains(r.Query, "SyncState = 'pending'") && string(r.NextPageToken) == "page-2"
	})).Return(&workflowservice.ListWorkflowExecutionsResponse{
		Executions: []*workflowpb.WorkflowExecutionInfo{pending("c", "profile", ago(20*time.Minute)), pending("d", "status", time.Time{})},
	}, nil).Once()

	// recent syncs: "a" twice (a run that continued as new): its latest write counts
	var recentQuery string
	c.On("ListWorkflow", mock.Anything, lagQueryHas("LastSyncedAt >")).Run(func(args mock.Arguments) {
		recentQuery = args.Get(1).(*workflowservice.ListWorkflowExecutionsRequest).Query
	}).Return(&workflowservice.ListWorkflowExecutionsResponse{
		Executions: []*workflowpb.WorkflowExecutionInfo{
			synced("a", "order", ago(time.Minute), 1), synced("a", "order", ago(3*time.Minute), 100),
			synced("b", "order", ago(2*time.Minute), 3), synced("e", "profile", ago(time.Minute), 40),
		},
	}, nil).Once()

	c.On("CountWorkflow", mock.Anything, mock.MatchedBy(func(r *workflowservice.CountWorkflowExecutionsRequest) bool {
		return strings.Contains(r.Query, "SyncState = 'blocked'")
	})).Return(&workflowservice.CountWorkflowExecutionsResponse{Count: 3}, nil)

	c.On("QueryWorkflow", mock.Anything, "dotdigital-lane-0", "", "lane").Return(lagQueryAnswer{map[string]any{
		"pendingByClass": map[string]int{"order": 2},
		"oldestByClass":  map[string]time.Time{"order": ago(9 * time.Minute)},
	}}, nil)
	c.On("QueryWorkflow", mock.Anything, "dotdigital-lane-1", "", "lane").Return(nil, serviceerror.NewNotFound("workflow not found"))
	c.On("QueryWorkflow", mock.Anything, "dotdigital-lane-2", "", "lane").Return(nil, errors.New("query timed out"))
	c.On("QueryWorkflow", mock.Anything, names.PollerWorkflowID, "", "progress").Return(lagQueryAnswer{map[string]any{"lastPoll": ago(4 * time.Second)}}, nil)

	ops := NewOps(Deps{Temporal: c, Namespace: "default"}, OpsOptions{})
	m, err := ops.MeasureLag(context.Background(), MeasureRequest{LaneShards: 3, RecentWindow: 5 * time.Minute})
	require.NoError(t, err)

	near := func(want, got time.Duration) {
		t.Helper()
		assert.InDelta(t, want.Seconds(), got.Seconds(), 5, "want about %s, got %s", want, got)
	}
	order := m.Class(lag.ClassOrder)
	assert.Equal(t, 2, order.Pending)
	assert.Equal(t, 2, order.Queued)
	near(9*time.Minute, order.BacklogAge) // the lane holds an older request than visibility shows
	assert.Equal(t, 2, order.Recent)
	assert.Equal(t, time.Second, order.P50)
	assert.Equal(t, 3*time.Second, order.P95)
	assert.Equal(t, 3*time.Second, order.Max)

	profile := m.Class(lag.ClassProfile)
	assert.Equal(t, 1, profile.Pending)
	near(20*time.Minute, profile.BacklogAge)
	assert.Equal(t, 1, profile.Recent)
	assert.Equal(t, 40*time.Second, profile.Max)

	status := m.Class(lag.ClassStatus)
	assert.Equal(t, 1, status.Pending)
	assert.Zero(t, status.BacklogAge)

	assert.Equal(t, 3, m.Blocked)
	near(4*time.Second, m.PollerAge)
	assert.Equal(t, 5*time.Minute, m.Window)
	require.Len(t, m.Errors, 1, "the unreachable lane shard is noted; the missing one is not")
	assert.Contains(t, m.Errors[0], "dotdigital-lane-2")

	require.NotEmpty(t, recentQuery)
	since := recentQuery[strings.Index(recentQuery, "> '")+3 : len(recentQuery)-1]
	ts, err := time.Parse(time.RFC3339Nano, since)
	require.NoError(t, err, recentQuery)
	near(5*time.Minute, m.At.Sub(ts))
}

func TestMeasureLagPollerWithoutPollCountsFromRunStart(t *testing.T) {
	c := mocks.NewClient(t)
	c.On("ListWorkflow", mock.Anything, mock.Anything).Return(&workflowservice.ListWorkflowExecutionsResponse{}, nil)
	c.On("CountWorkflow", mock.Anything, mock.Anything).Return(&workflowservice.CountWorkflowExecutionsResponse{}, nil)
	c.On("QueryWorkflow", mock.Anything, names.PollerWorkflowID, "", "progress").Return(lagQueryAnswer{map[string]any{"lastPoll": time.Time{}}}, nil)
	started := time.Now().Add(-10 * time.Minute)
	c.On("DescribeWorkflowExecution", mock.Anything, names.PollerWorkflowID, "").Return(&workflowservice.DescribeWorkflowExecutionResponse{
		WorkflowExecutionInfo: &workflowpb.WorkflowExecutionInfo{StartTime: timestamppb.New(started)},
	}, nil)
	ops := NewOps(Deps{Temporal: c}, OpsOptions{})
	m, err := ops.MeasureLag(context.Background(), MeasureRequest{})
	require.NoError(t, err)
	assert.InDelta(t, 600, m.PollerAge.Seconds(), 5)
	assert.Empty(t, m.Errors)
	assert.Equal(t, 5*time.Minute, m.Window, "default window")
}

func TestMeasureLagFailsWithoutVisibility(t *testing.T) {
	c := mocks.NewClient(t)
	c.On("ListWorkflow", mock.Anything, mock.Anything).Return(nil, errors.New("unavailable"))
	ops := NewOps(Deps{Temporal: c}, OpsOptions{})
	_, err := ops.MeasureLag(context.Background(), MeasureRequest{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "visibility query")
}
