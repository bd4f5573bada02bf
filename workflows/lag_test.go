package workflows

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/activities"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/lag"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
)

var lagThresholds = lag.Thresholds{Orders: 5 * time.Minute, Profiles: 30 * time.Minute, PollInterval: 5 * time.Second}

// measurement with the given order backlog age, taken n minutes into the test.
func orderBacklog(n int, age time.Duration) lag.Signal {
	at := time.Date(2026, 11, 30, 10, n, 0, 0, time.UTC)
	return lag.Signal{
		Measurement: lag.Measurement{At: at, Classes: map[string]lag.ClassLag{lag.ClassOrder: {Pending: 4, BacklogAge: age}}, PollerAge: time.Second},
		Thresholds:  lagThresholds,
		Interval:    time.Minute,
	}
}

type alertsHarness struct {
	env       *testsuite.TestWorkflowEnvironment
	mu        sync.Mutex
	sent      []lag.Alert
	published []lag.Report
	failSends int // the first n sends fail
}

func newAlertsHarness() *alertsHarness {
	var suite testsuite.WorkflowTestSuite
	h := &alertsHarness{env: suite.NewTestWorkflowEnvironment()}
	h.env.RegisterWorkflowWithOptions(LagAlerts, workflowOptions(names.WorkflowAlerts))
	h.env.RegisterActivity(&activities.Ops{})
	h.env.OnActivity(opsActivities.SendAlert, mock.Anything, mock.Anything).Return(func(_ context.Context, a lag.Alert) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.failSends > 0 {
			h.failSends--
			return errors.New("webhook unavailable")
		}
		h.sent = append(h.sent, a)
		return nil
	})
	h.env.OnActivity(opsActivities.PublishLag, mock.Anything, mock.Anything).Return(func(_ context.Context, r lag.Report) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.published = append(h.published, r)
		return nil
	})
	return h
}

// signalAt delivers measurements at one-minute steps of test time.
func (h *alertsHarness) signalAt(sigs ...lag.Signal) {
	for i, s := range sigs {
		h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(string(names.SignalMeasurement), s) }, time.Duration(i+1)*time.Minute)
	}
}

func (h *alertsHarness) query(t *testing.T) AlertsStatus {
	v, err := h.env.QueryWorkflow(string(names.QueryAlerts))
	require.NoError(t, err)
	var st AlertsStatus
	require.NoError(t, v.Get(&st))
	return st
}

func (h *alertsHarness) run(t *testing.T, until time.Duration, in LagAlertsInput) {
	h.env.RegisterDelayedCallback(func() { h.env.CancelWorkflow() }, until)
	h.env.ExecuteWorkflow(LagAlerts, in)
	require.True(t, h.env.IsWorkflowCompleted())
}

func alertKinds(alerts []lag.Alert) []string {
	out := make([]string, len(alerts))
	for i, a := range alerts {
		out[i] = a.Kind + ":" + a.Group
	}
	return out
}

func TestLagAlertsOneAlertPerIncident(t *testing.T) {
	h := newAlertsHarness()
	h.signalAt(
		orderBacklog(1, time.Minute),   // fine
		orderBacklog(2, 6*time.Minute), // fires
		orderBacklog(3, 7*time.Minute), // still firing: nothing new
		orderBacklog(4, 9*time.Minute), // still firing: nothing new
	)
	var mid AlertsStatus
	h.env.RegisterDelayedCallback(func() { mid = h.query(t) }, 4*time.Minute+30*time.Second)
	h.run(t, 10*time.Minute, LagAlertsInput{})

	require.Equal(t, []string{"firing:orders"}, alertKinds(h.sent))
	assert.Equal(t, 6*time.Minute, h.sent[0].Lag)
	require.Len(t, mid.Open, 1)
	assert.Equal(t, lag.GroupOrders, mid.Open[0].Group)
	assert.Equal(t, 9*time.Minute, mid.Open[0].Peak)
	require.NotNil(t, mid.Last)
	assert.Equal(t, 9*time.Minute, mid.Last.Class(lag.ClassOrder).BacklogAge)
	assert.Equal(t, lagThresholds, mid.Thresholds)
	assert.Zero(t, mid.Unsent)
}

func TestLagAlertsAllClearAfterRecovery(t *testing.T) {
	h := newAlertsHarness()
	h.signalAt(
		orderBacklog(1, 6*time.Minute), // fires
		orderBacklog(2, time.Second),   // under once: hysteresis keeps it open
		orderBacklog(3, time.Second),   // under twice: all clear
		orderBacklog(4, time.Second),   // stays clear: nothing
	)
	var afterFirstRecovery AlertsStatus
	h.env.RegisterDelayedCallback(func() { afterFirstRecovery = h.query(t) }, 2*time.Minute+30*time.Second)
	var end AlertsStatus
	h.env.RegisterDelayedCallback(func() { end = h.query(t) }, 9*time.Minute)
	h.run(t, 10*time.Minute, LagAlertsInput{})

	require.Equal(t, []string{"firing:orders", "resolved:orders"}, alertKinds(h.sent))
	assert.Equal(t, h.sent[0].Since, h.sent[1].Since)
	assert.Len(t, afterFirstRecovery.Open, 1, "one measurement under the threshold does not close the incident")
	assert.Empty(t, end.Open)
	assert.Equal(t, 1, end.State.Fired)
	assert.Equal(t, 1, end.State.Resolved)
	assert.Len(t, end.Recent, 2)

	// gauges saw every batch; the last report has no open incident
	require.NotEmpty(t, h.published)
	last := h.published[len(h.published)-1]
	assert.False(t, last.State.IsOpen(lag.GroupOrders))
	assert.Equal(t, 3*time.Minute, last.FreshFor)
}

func TestLagAlertsRetriesFailedSendsInOrder(t *testing.T) {
	h := newAlertsHarness()
	h.failSends = 2
	h.signalAt(orderBacklog(1, 6*time.Minute), orderBacklog(2, 0), orderBacklog(3, 0))
	h.run(t, 30*time.Minute, LagAlertsInput{})
	require.Equal(t, []string{"firing:orders", "resolved:orders"}, alertKinds(h.sent))
}

func TestLagAlertsContinuesAsNewWithItsState(t *testing.T) {
	h := newAlertsHarness()
	h.signalAt(orderBacklog(1, 6*time.Minute), orderBacklog(2, 7*time.Minute), orderBacklog(3, time.Second))
	h.env.RegisterDelayedCallback(func() { h.env.SetCurrentHistoryLength(5000) }, 3*time.Minute+30*time.Second)
	h.env.ExecuteWorkflow(LagAlerts, LagAlertsInput{Settings: Settings{HistoryLimit: 100}})
	require.True(t, h.env.IsWorkflowCompleted())
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(h.env.GetWorkflowError(), &can), "error: %v", h.env.GetWorkflowError())
	assert.Equal(t, names.WorkflowAlerts, can.WorkflowType.Name)
	var next LagAlertsInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	assert.True(t, next.State.IsOpen(lag.GroupOrders), "the open incident moves to the next run")
	assert.Equal(t, 7*time.Minute, next.State.Open[lag.GroupOrders].Peak)
	assert.Equal(t, 1, next.State.Open[lag.GroupOrders].Under, "the hysteresis count moves too")
	assert.Equal(t, 1, next.State.Fired)
	assert.Equal(t, 100, next.Settings.HistoryLimit)
	require.NotNil(t, next.Last)
	assert.Equal(t, time.Second, next.Last.Class(lag.ClassOrder).BacklogAge)
	assert.Equal(t, []string{"firing:orders"}, alertKinds(h.sent))
	assert.Equal(t, []string{"firing:orders"}, alertKinds(next.Recent))
	assert.Empty(t, next.Outbox)
}

type monitorHarness struct {
	env       *testsuite.TestWorkflowEnvironment
	mu        sync.Mutex
	delivered []lag.Signal
	measured  []activities.MeasureRequest
	canaries  []activities.CanaryRequest
	queues    map[string]string
}

func newMonitorHarness(canaryErr error) *monitorHarness {
	var suite testsuite.WorkflowTestSuite
	h := &monitorHarness{env: suite.NewTestWorkflowEnvironment(), queues: map[string]string{}}
	h.env.RegisterWorkflowWithOptions(LagMonitor, workflowOptions(names.WorkflowLagMonitor))
	h.env.RegisterActivity(&activities.Ops{})
	h.env.RegisterActivity(&activities.Lane{})
	h.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.queues[info.ActivityType.Name] = info.TaskQueue
	})
	h.env.OnActivity(opsActivities.MeasureLag, mock.Anything, mock.Anything).Return(func(_ context.Context, r activities.MeasureRequest) (lag.Measurement, error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.measured = append(h.measured, r)
		return lag.Measurement{At: time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC), Blocked: 2, PollerAge: 3 * time.Second,
			Classes: map[string]lag.ClassLag{lag.ClassOrder: {Pending: 1, BacklogAge: 2 * time.Second}}}, nil
	})
	h.env.OnActivity(laneActivities.Canary, mock.Anything, mock.Anything).Return(func(_ context.Context, r activities.CanaryRequest) (lag.CanaryResult, error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.canaries = append(h.canaries, r)
		if canaryErr != nil {
			return lag.CanaryResult{}, canaryErr
		}
		return lag.CanaryResult{Checked: 5, Misses: 1, MissAge: 7 * time.Minute, MissOrder: "S00042 (id 42)", MissReason: "Insight record missing"}, nil
	})
	h.env.OnActivity(opsActivities.DeliverMeasurement, mock.Anything, mock.Anything).Return(func(_ context.Context, s lag.Signal) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.delivered = append(h.delivered, s)
		return nil
	})
	return h
}

func (h *monitorHarness) run(t *testing.T, in LagMonitorInput) lag.Measurement {
	h.env.ExecuteWorkflow(LagMonitor, in)
	require.True(t, h.env.IsWorkflowCompleted())
	require.NoError(t, h.env.GetWorkflowError())
	var m lag.Measurement
	require.NoError(t, h.env.GetWorkflowResult(&m))
	return m
}

func TestLagMonitorMeasuresAndDelivers(t *testing.T) {
	h := newMonitorHarness(nil)
	m := h.run(t, LagMonitorInput{Settings: Settings{LaneShards: 3, PollInterval: 2 * time.Second}, Thresholds: lag.Thresholds{Orders: 5 * time.Minute, Profiles: 30 * time.Minute}, Interval: time.Minute})

	assert.Equal(t, 2, m.Blocked)
	assert.Equal(t, 1, m.Canary.Misses, "the canary result joins the measurement")
	require.Len(t, h.measured, 1)
	assert.Equal(t, 3, h.measured[0].LaneShards)
	assert.Equal(t, 5*time.Minute, h.measured[0].RecentWindow)
	require.Len(t, h.canaries, 1)
	assert.Equal(t, activities.DefaultCanarySize, h.canaries[0].Size)
	assert.Equal(t, time.Minute, h.canaries[0].Grace)
	assert.Equal(t, "dotdigital-api", h.queues["Canary"], "the canary runs on the rate-limited Dotdigital queue")
	assert.Equal(t, "sync-workflows", h.queues["MeasureLag"])

	require.Len(t, h.delivered, 1)
	sig := h.delivered[0]
	assert.Equal(t, m.Canary, sig.Measurement.Canary)
	assert.Equal(t, 5*time.Minute, sig.Thresholds.Orders)
	assert.Equal(t, 2*time.Second, sig.Thresholds.PollInterval, "poll interval defaults from the settings")
	assert.Equal(t, time.Minute, sig.Interval)
}

func TestLagMonitorDeliversWithoutCanary(t *testing.T) {
	h := newMonitorHarness(errors.New("rate limited"))
	m := h.run(t, LagMonitorInput{Thresholds: lag.Thresholds{Orders: 10 * time.Second}, Interval: 2 * time.Second})
	assert.Contains(t, m.Canary.Error, "canary unavailable")
	assert.Zero(t, m.Canary.Misses)
	require.Len(t, h.delivered, 1)
	assert.Contains(t, h.delivered[0].Measurement.Canary.Error, "canary unavailable")
	assert.Equal(t, 10*time.Second, h.measured[0].RecentWindow, "short intervals shorten the recent window")
	assert.Equal(t, 5*time.Second, h.canaries[0].Grace, "grace is at most half the order threshold")
}

func TestLagMonitorShowOnlyDoesNotDeliver(t *testing.T) {
	h := newMonitorHarness(nil)
	m := h.run(t, LagMonitorInput{ShowOnly: true})
	assert.Equal(t, 2, m.Blocked)
	assert.Empty(t, h.delivered)
}
