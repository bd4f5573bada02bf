package workflows

import (
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/activities"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
)

// Typed nil receivers: workflows refer to activities by method, the worker
// registers the real structs.
var (
	laneActivities   *activities.Lane
	pollActivities   *activities.Poll
	routerActivities *activities.Router
)

// Register registers every workflow under its stable name.
func Register(w worker.WorkflowRegistry) {
	w.RegisterWorkflowWithOptions(Customer, workflow.RegisterOptions{Name: names.WorkflowCustomer})
	w.RegisterWorkflowWithOptions(Lane, workflow.RegisterOptions{Name: names.WorkflowLane})
	w.RegisterWorkflowWithOptions(Poller, workflow.RegisterOptions{Name: names.WorkflowPoller})
	w.RegisterWorkflowWithOptions(Bootstrap, workflow.RegisterOptions{Name: names.WorkflowBootstrap})
	w.RegisterWorkflowWithOptions(Resync, workflow.RegisterOptions{Name: names.WorkflowResync})
	w.RegisterWorkflowWithOptions(LagMonitor, workflow.RegisterOptions{Name: names.WorkflowLagMonitor})
	w.RegisterWorkflowWithOptions(LagAlerts, workflow.RegisterOptions{Name: names.WorkflowAlerts})
	w.RegisterWorkflowWithOptions(ExceptionsRegistry, workflow.RegisterOptions{Name: names.WorkflowExceptions})
	w.RegisterWorkflowWithOptions(Backfill, workflow.RegisterOptions{Name: names.WorkflowBackfill})
	w.RegisterWorkflowWithOptions(Reconcile, workflow.RegisterOptions{Name: names.WorkflowReconcile})
	w.RegisterWorkflowWithOptions(PartnerIndex, workflow.RegisterOptions{Name: names.WorkflowPartnerIndex})
}
