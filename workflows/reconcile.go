package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/activities"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/reconcile"
)

// reconcileActivities is the typed nil receiver of the reconciliation activity.
var reconcileActivities *activities.Reconciler

// ReconcileInput is the argument of a reconciliation run (the schedule
// holds it for scheduled runs).
type ReconcileInput struct {
	Settings Settings `json:"settings"`
	// Heal sends a forced resync, served at the lowest priority, to every
	// customer with a healable difference.
	Heal bool `json:"heal"`
	// PageSize of the reads (0: the engine's default).
	PageSize int `json:"pageSize,omitempty"`
}

// Bounds of the reconciliation activity: a run over 100k customers takes
// minutes against the emulators and can take much longer against real,
// throttled APIs; it heartbeats all along, so a dead worker is noticed
// within ReconcileHeartbeat.
const (
	ReconcileStartToClose    = 4 * time.Hour
	ReconcileScheduleToClose = 12 * time.Hour
	ReconcileHeartbeat       = 2 * time.Minute
	reconcileAttempts        = 3
)

// Reconcile compares Odoo with Dotdigital once (activity Reconcile on the
// Dotdigital queue at the lowest priority), optionally heals, and returns
// the summary; the Web UI shows it as the run's current details.
func Reconcile(ctx workflow.Context, in ReconcileInput) (reconcile.Summary, error) {
	actx := workflow.WithActivityOptions(ctx, reconcileActivityOptions(in.Settings.WithDefaults()))

	heal := "off"
	if in.Heal {
		heal = "on"
	}
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("Reconciliation running since %s (heal %s): progress in the pending activity's heartbeat details.",
		workflow.Now(ctx).UTC().Format(time.RFC3339), heal))
	var sum reconcile.Summary
	err := workflow.ExecuteActivity(actx, reconcileActivities.Reconcile, activities.ReconcileRequest{Heal: in.Heal, PageSize: in.PageSize}).Get(ctx, &sum)
	if err != nil {
		workflow.SetCurrentDetails(ctx, "Reconciliation failed: "+truncateText(err.Error(), 500))
		return sum, err
	}
	// Rendering writes to a strings.Builder only (workflowcheck cannot tell
	// fmt.Fprintf on a builder from one on a file): deterministic.
	//workflowcheck:ignore
	workflow.SetCurrentDetails(ctx, ReconcileDetails(sum))
	return sum, nil
}

// reconcileActivityOptions: the Dotdigital queue (the run reads Dotdigital)
// at the lowest priority, long bounds, a few attempts.
func reconcileActivityOptions(s Settings) workflow.ActivityOptions {
	opts := dotdigitalActivityOptions(s, ReconcileStartToClose, PriorityBulk)
	opts.ScheduleToCloseTimeout = ReconcileScheduleToClose
	opts.HeartbeatTimeout = ReconcileHeartbeat
	opts.RetryPolicy.MaximumAttempts = reconcileAttempts
	return opts
}

// ReconcileDetails renders a summary for the Web UI (shown as Markdown):
// the readable report in a code block, so that its columns line up.
func ReconcileDetails(sum reconcile.Summary) string {
	var b strings.Builder
	b.WriteString("```\n")
	if err := reconcile.WriteSummary(&b, sum); err != nil {
		return "Reconciliation finished; the summary could not be rendered: " + err.Error()
	}
	b.WriteString("```\n")
	return b.String()
}
