package app

import (
	"context"
	"time"

	"go.temporal.io/sdk/client"

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
	return intervalSchedule{
		id: names.LagScheduleID, workflow: names.WorkflowLagMonitor, queue: s.WorkflowQueue, input: in,
		every: in.Interval, timeout: lagMonitorTimeout,
		catchup: min(max(in.Interval, 10*time.Second), 5*time.Minute), // 10 s is the server's minimum
	}.ensure(ctx, c)
}
