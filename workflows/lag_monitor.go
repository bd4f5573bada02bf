package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/activities"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/lag"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
)

// opsActivities is the typed nil receiver of the lag monitor's activities.
var opsActivities *activities.Ops

// LagMonitorInput is the argument of every lag monitor run; the schedule
// holds it, so a configuration change reaches the next run once the
// schedule is updated (app.EnsureSchedules).
type LagMonitorInput struct {
	Settings   Settings       `json:"settings"`
	Thresholds lag.Thresholds `json:"thresholds"`
	// Interval between scheduled runs (the schedule's spec).
	Interval time.Duration `json:"interval"`
	// RecentWindow: syncs acknowledged this recently count as recent.
	RecentWindow time.Duration `json:"recentWindow,omitempty"`
	// CanarySize orders are checked end to end per run; CanaryGrace is how
	// old their last change must be.
	CanarySize  int           `json:"canarySize,omitempty"`
	CanaryGrace time.Duration `json:"canaryGrace,omitempty"`
	// ShowOnly measures without handing the measurement to the alerts
	// workflow (starter lag: looking must not move incidents).
	ShowOnly bool `json:"showOnly,omitempty"`
}

// WithDefaults fills zero values: a one-minute interval, a recent window of
// five intervals (at most five minutes, at least ten seconds), five canary
// orders with a grace of half the order threshold (at most a minute).
func (in LagMonitorInput) WithDefaults() LagMonitorInput {
	in.Settings = in.Settings.WithDefaults()
	if in.Interval <= 0 {
		in.Interval = time.Minute
	}
	if in.RecentWindow <= 0 {
		in.RecentWindow = min(max(5*in.Interval, 10*time.Second), 5*time.Minute)
	}
	if in.CanarySize <= 0 {
		in.CanarySize = activities.DefaultCanarySize
	}
	if in.CanaryGrace <= 0 {
		in.CanaryGrace = activities.DefaultCanaryGrace
		if half := in.Thresholds.Orders / 2; half > 0 && half < in.CanaryGrace {
			in.CanaryGrace = half
		}
	}
	if in.Thresholds.PollInterval <= 0 {
		in.Thresholds.PollInterval = in.Settings.PollInterval
	}
	return in
}

// canaryBudget bounds the canary: under heavy throttling it gives up and
// the measurement goes out without it (the backlog then tells the story).
func (in LagMonitorInput) canaryBudget() time.Duration {
	return min(max(in.Interval, 30*time.Second), 2*time.Minute)
}

// LagMonitor takes one lag measurement (a Temporal Schedule runs it every
// Lag.Interval): it measures the backlog, recent lag, blocked customers,
// lanes and poller through Temporal, runs the end-to-end canary on the
// Dotdigital queue in parallel, and hands the result to the LagAlerts
// singleton, which decides about alerts. It returns the measurement.
func LagMonitor(ctx workflow.Context, in LagMonitorInput) (lag.Measurement, error) {
	in = in.WithDefaults()
	s := in.Settings
	opsCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:              s.WorkflowQueue,
		StartToCloseTimeout:    2 * time.Minute,
		ScheduleToCloseTimeout: 5 * time.Minute,
		HeartbeatTimeout:       time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 15 * time.Second, MaximumAttempts: 5,
			NonRetryableErrorTypes: names.NonRetryableErrors(),
		},
	})
	canaryOpts := dotdigitalActivityOptions(s, in.canaryBudget(), PriorityStatus)
	canaryOpts.ScheduleToCloseTimeout = in.canaryBudget()
	canaryCtx := workflow.WithActivityOptions(ctx, canaryOpts)

	measured := workflow.ExecuteActivity(opsCtx, opsActivities.MeasureLag, activities.MeasureRequest{LaneShards: s.LaneShards, RecentWindow: in.RecentWindow})
	canary := workflow.ExecuteActivity(canaryCtx, laneActivities.Canary, activities.CanaryRequest{Size: in.CanarySize, Grace: in.CanaryGrace})

	var m lag.Measurement
	if err := measured.Get(ctx, &m); err != nil {
		return m, err
	}
	if err := canary.Get(ctx, &m.Canary); err != nil {
		m.Canary = lag.CanaryResult{At: workflow.Now(ctx), Error: "canary unavailable: " + truncateText(err.Error(), 300)}
	}
	if in.ShowOnly {
		return m, nil
	}
	sig := lag.Signal{Measurement: m, Thresholds: in.Thresholds, Interval: in.Interval}
	if err := workflow.ExecuteActivity(opsCtx, opsActivities.DeliverMeasurement, sig).Get(ctx, nil); err != nil {
		return m, err
	}
	return m, nil
}
