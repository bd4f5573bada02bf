package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/config"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/workflows"
)

// ReconcileWorkflowTimeout bounds one reconciliation run, above the
// activity's own bounds: with overlap SKIP a stuck run would hold back
// every later one.
const ReconcileWorkflowTimeout = workflows.ReconcileScheduleToClose + time.Hour

// ReportDir is where the worker writes reconciliation reports:
// SYNC_REPORT_DIR, else <SYNC_DATA_DIR>/reports, else (an in-memory
// embedded server has no data directory) a directory under os.TempDir().
func ReportDir(cfg *config.Config) string {
	switch {
	case cfg.Sync.ReportDir != "":
		return cfg.Sync.ReportDir
	case cfg.Temporal.DataDir != "":
		return filepath.Join(cfg.Temporal.DataDir, "reports")
	}
	return filepath.Join(os.TempDir(), "odoo-dotdigital-sync-reports")
}

// ReconcileScheduleInput is the argument of scheduled reconciliations:
// healing as SYNC_RECONCILE_HEAL says (on by default: the resyncs it sends
// are the lowest priority work of the Dotdigital queue).
func ReconcileScheduleInput(cfg *config.Config, s workflows.Settings) workflows.ReconcileInput {
	return workflows.ReconcileInput{Settings: s, Heal: cfg.Sync.ReconcileHeal}
}

// reconcileCatchup: a run missed while the cluster was down still starts
// if it comes back within this window (at most the interval).
func reconcileCatchup(every time.Duration) time.Duration {
	return max(min(every, time.Hour), 10*time.Second) // 10 s is the server's minimum
}

// EnsureReconcileSchedule creates the reconciliation schedule (every
// SYNC_RECONCILE_INTERVAL, overlap SKIP), brings an existing one up to date
// with the configuration (an operator's pause is kept), or deletes it when
// the interval is 0. Idempotent: every worker may call it at start-up.
func EnsureReconcileSchedule(ctx context.Context, c client.Client, s workflows.Settings, cfg *config.Config) error {
	every := cfg.Sync.ReconcileInterval
	if every <= 0 {
		err := c.ScheduleClient().GetHandle(ctx, names.ReconcileScheduleID).Delete(ctx)
		var nf *serviceerror.NotFound
		if err != nil && !errors.As(err, &nf) {
			return fmt.Errorf("delete schedule %s (SYNC_RECONCILE_INTERVAL=0): %w", names.ReconcileScheduleID, err)
		}
		return nil
	}
	in := ReconcileScheduleInput(cfg, s)
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: every}}}
	action := &client.ScheduleWorkflowAction{
		ID: names.ReconcileScheduleID, Workflow: names.WorkflowReconcile, Args: []any{in},
		TaskQueue: s.WorkflowQueue, WorkflowExecutionTimeout: ReconcileWorkflowTimeout,
	}
	catchup := reconcileCatchup(every)
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID: names.ReconcileScheduleID, Spec: spec, Action: action,
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP, CatchupWindow: catchup,
	})
	if err == nil {
		return nil
	}
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return fmt.Errorf("create schedule %s: %w", names.ReconcileScheduleID, err)
	}
	want, err := converter.GetDefaultDataConverter().ToPayload(in)
	if err != nil {
		return fmt.Errorf("encode reconcile input: %w", err)
	}
	h := c.ScheduleClient().GetHandle(ctx, names.ReconcileScheduleID)
	err = h.Update(ctx, client.ScheduleUpdateOptions{DoUpdate: func(u client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
		cur := u.Description.Schedule
		if reconcileScheduleUpToDate(cur, every, catchup, s.WorkflowQueue, want) {
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
		return fmt.Errorf("update schedule %s: %w", names.ReconcileScheduleID, err)
	}
	return nil
}

func reconcileScheduleUpToDate(cur client.Schedule, every, catchup time.Duration, queue string, input *commonpb.Payload) bool {
	if cur.Spec == nil || len(cur.Spec.Intervals) != 1 || cur.Spec.Intervals[0].Every != every || cur.Spec.Intervals[0].Offset != 0 ||
		len(cur.Spec.Calendars) > 0 || len(cur.Spec.CronExpressions) > 0 {
		return false
	}
	if cur.Policy == nil || cur.Policy.Overlap != enumspb.SCHEDULE_OVERLAP_POLICY_SKIP || cur.Policy.CatchupWindow != catchup {
		return false
	}
	a, ok := cur.Action.(*client.ScheduleWorkflowAction)
	if !ok || a.TaskQueue != queue || a.Workflow != names.WorkflowReconcile || a.WorkflowExecutionTimeout != ReconcileWorkflowTimeout || len(a.Args) != 1 {
		return false
	}
	p, ok := a.Args[0].(*commonpb.Payload)
	return ok && bytes.Equal(p.GetData(), input.GetData())
}
