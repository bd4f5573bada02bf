package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"
)

// Bootstrap ensures the Dotdigital data fields, lists and the Insight
// collection exist. Every worker starts it at start-up under one workflow ID,
// so a fleet runs it once at a time; it is idempotent.
func Bootstrap(ctx workflow.Context, s Settings) error {
	s = s.WithDefaults()
	actx := workflow.WithActivityOptions(ctx, dotdigitalActivityOptions(s, 2*time.Minute, PriorityOrder))
	return workflow.ExecuteActivity(actx, laneActivities.EnsureSchema).Get(ctx, nil)
}
