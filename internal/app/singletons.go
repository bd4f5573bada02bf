package app

import (
	"context"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/config"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/workflows"
)

// StartSingletons starts (or finds running) the workflows that exist once per
// deployment: the schema bootstrap, the lane shards and the change poller.
// Every worker calls it at start-up; USE_EXISTING makes that idempotent.
func StartSingletons(ctx context.Context, c client.Client, s workflows.Settings, cfg *config.Config) error {
	start := func(id, wfType string, arg any) error {
		_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID: id, TaskQueue: s.WorkflowQueue,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
			WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		}, wfType, arg)
		if err != nil {
			return fmt.Errorf("start %s: %w", id, err)
		}
		return nil
	}
	if err := start(names.BootstrapWorkflowID, names.WorkflowBootstrap, s); err != nil {
		return err
	}
	for i := 0; i < s.LaneShards; i++ {
		if err := start(names.LaneWorkflowID(i), names.WorkflowLane, workflows.LaneInput{Shard: i, Settings: s}); err != nil {
			return err
		}
	}
	if err := start(names.PollerWorkflowID, names.WorkflowPoller, workflows.PollerInput{Settings: s}); err != nil {
		return err
	}
	return EnsureSchedules(ctx, c, s, cfg)
}
