package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

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
	return intervalSchedule{
		id: names.ReconcileScheduleID, workflow: names.WorkflowReconcile, queue: s.WorkflowQueue,
		input: ReconcileScheduleInput(cfg, s), every: every, catchup: reconcileCatchup(every), timeout: ReconcileWorkflowTimeout,
	}.ensure(ctx, c)
}
