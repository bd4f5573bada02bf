package activities

import (
	"context"
	"errors"
	"sort"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/identity"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/messages"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
)

// Router starts or signals workflows on behalf of other workflows (a
// workflow cannot signal-with-start by itself in SDK v1.50).
type Router struct {
	temporal client.Client
	queue    string
	lane     func(laneID string) any
	customer func(key string) any
	hasher   identity.Hasher
}

// NewRouter builds the router activities.
func NewRouter(d Deps) *Router {
	return &Router{temporal: d.Temporal, queue: d.WorkflowQueue, lane: d.LaneInput, customer: d.CustomerInput, hasher: d.Hasher}
}

// SubmitToLane delivers a lane request, starting the lane shard if it is not running.
func (r *Router) SubmitToLane(ctx context.Context, laneID string, req messages.LaneRequest) error {
	_, err := r.temporal.SignalWithStartWorkflow(ctx, laneID, string(names.SignalLaneSubmit), req, client.StartWorkflowOptions{
		ID: laneID, TaskQueue: r.queue, WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, names.WorkflowLane, r.lane(laneID))
	return err
}

// RouteHint delivers a hint to the customer of key, starting it if needed.
func RouteHint(ctx context.Context, c client.Client, h identity.Hasher, queue string, input any, key string, hint messages.Hint) error {
	return SignalCustomer(ctx, c, h, queue, input, key, names.SignalChange, hint)
}

// SignalCustomer delivers a signal to the customer of key, starting its
// workflow if it is not running (a customer the initial load wrote has none).
func SignalCustomer(ctx context.Context, c client.Client, h identity.Hasher, queue string, input any, key string, signal names.Signal, arg any) error {
	id := h.CustomerID(key)
	_, err := c.SignalWithStartWorkflow(ctx, id, string(signal), arg, client.StartWorkflowOptions{
		ID: id, TaskQueue: queue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		Memo:                     map[string]any{"email": key},
		TypedSearchAttributes:    pendingAttributes(),
	}, names.WorkflowCustomer, input)
	return err
}

func pendingAttributes() temporal.SearchAttributes {
	return temporal.NewSearchAttributes(names.SASyncState.ValueSet(names.StatePending))
}

func isNotFound(err error) bool {
	var nf *serviceerror.NotFound
	return errors.As(err, &nf)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
