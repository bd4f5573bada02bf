package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/config"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/lag"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/workflows"
)

// LagMonitorInput is the lag monitor's argument for a configuration: the
// Lag thresholds and interval, and the poll interval (a stalled poller is lag).
func LagMonitorInput(cfg *config.Config, s workflows.Settings) workflows.LagMonitorInput {
	return workflows.LagMonitorInput{
		Settings:   s,
		Thresholds: lag.Thresholds{Orders: cfg.Lag.Orders, Profiles: cfg.Lag.Profiles, PollInterval: cfg.Sync.PollInterval},
		Interval:   cfg.Lag.Interval,
	}.WithDefaults()
}

// lagMonitorTimeout bounds one monitor run: with overlap SKIP a stuck run
// would hold back every later one. Its activities are bounded well below.
const lagMonitorTimeout = 15 * time.Minute

// EnsureSchedules creates the lag monitor's schedule (every Lag.Interval,
// overlap SKIP, a short catch-up window), or brings an existing one up to
// date with the configuration (interval, thresholds, queues). An operator's
// pause is kept. Idempotent: every worker may call it at start-up. It
// also ensures the reconciliation schedule (EnsureReconcileSchedule).
func EnsureSchedules(ctx context.Context, c client.Client, s workflows.Settings, cfg *config.Config) error {
	if err := EnsureReconcileSchedule(ctx, c, s, cfg); err != nil {
		return err
	}
	in := LagMonitorInput(cfg, s)
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: in.Interval}}}
	action := &client.ScheduleWorkflowAction{
		ID: names.LagScheduleID, Workflow: names.WorkflowLagMonitor, Args: []any{in},
		TaskQueue: s.WorkflowQueue, WorkflowExecutionTimeout: lagMonitorTimeout,
	}
	catchup := min(max(in.Interval, 10*time.Second), 5*time.Minute) // 10 s is the server's minimum
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID: names.LagScheduleID, Spec: spec, Action: action,
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP, CatchupWindow: catchup,
	})
	if err == nil {
		return nil
	}
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return fmt.Errorf("create schedule %s: %w", names.LagScheduleID, err)
	}
	want, err := converter.GetDefaultDataConverter().ToPayload(in)
	if err != nil {
		return fmt.Errorf("encode lag monitor input: %w", err)
	}
	h := c.ScheduleClient().GetHandle(ctx, names.LagScheduleID)
	err = h.Update(ctx, client.ScheduleUpdateOptions{DoUpdate: func(u client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
		cur := u.Description.Schedule
		if scheduleUpToDate(cur, in.Interval, catchup, s.WorkflowQueue, want) {
			return nil, temporal.ErrSkipScheduleUpdate
		}
		cur.Spec = &spec
		cur.Action = action
		if cur.Policy == nil {
			cur.Policy = &client.SchedulePolicies{}
		}
		cur.Policy.Overlap = enumspb.SCHEDULE_OVERLAP_POLICY_SKIP
		cur.Policy.CatchupWindow = catchup
		return &client.ScheduleUpdate{Schedule: &cur}, nil
	}})
	if err != nil {
		return fmt.Errorf("update schedule %s: %w", names.LagScheduleID, err)
	}
	return nil
}

// scheduleUpToDate compares what the configuration decides with a
// schedule's description.
func scheduleUpToDate(cur client.Schedule, every, catchup time.Duration, queue string, input *commonpb.Payload) bool {
	if cur.Spec == nil || len(cur.Spec.Intervals) != 1 || cur.Spec.Intervals[0].Every != every || cur.Spec.Intervals[0].Offset != 0 ||
		len(cur.Spec.Calendars) > 0 || len(cur.Spec.CronExpressions) > 0 {
		return false
	}
	if cur.Policy == nil || cur.Policy.Overlap != enumspb.SCHEDULE_OVERLAP_POLICY_SKIP || cur.Policy.CatchupWindow != catchup {
		return false
	}
	a, ok := cur.Action.(*client.ScheduleWorkflowAction)
	if !ok || a.TaskQueue != queue || a.Workflow != names.WorkflowLagMonitor || a.WorkflowExecutionTimeout != lagMonitorTimeout || len(a.Args) != 1 {
		return false
	}
	p, ok := a.Args[0].(*commonpb.Payload)
	return ok && bytes.Equal(p.GetData(), input.GetData())
}
