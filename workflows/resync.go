package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/changes"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
)

// ResyncInput selects the customers of a bulk resync.
type ResyncInput struct {
	Settings Settings             `json:"settings"`
	Filter   changes.ResyncFilter `json:"filter"`
	Progress changes.ResyncPage   `json:"progress"`
}

// Resync pages through the Odoo partners a filter selects and sends each
// one's customer a forced resync hint, which the lane serves at the lowest
// priority. Progress is queryable and survives restarts.
func Resync(ctx workflow.Context, in ResyncInput) (changes.ResyncPage, error) {
	s := in.Settings.WithDefaults()
	p := in.Progress
	if err := workflow.SetQueryHandler(ctx, string(names.QueryProgress), func() (changes.ResyncPage, error) { return p, nil }); err != nil {
		return p, err
	}
	actx := workflow.WithActivityOptions(ctx, odooActivityOptions(s, 10*time.Minute))
	for !p.Done {
		if err := workflow.ExecuteActivity(actx, pollActivities.ResyncPartners, in.Filter, p).Get(ctx, &p); err != nil {
			return p, err
		}
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			return p, workflow.NewContinueAsNewError(ctx, names.WorkflowResync, ResyncInput{Settings: in.Settings, Filter: in.Filter, Progress: p})
		}
	}
	return p, nil
}
