package activities

import (
	"context"
	"errors"
	"maps"
	"slices"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/messages"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
)

// binder is the partner index as the activities use it (unit tests give
// them one in memory).
type binder interface {
	// bind applies claims and releases and returns the previous owner of
	// every claimed partner another customer held.
	bind(ctx context.Context, binds []messages.Bind) (map[int64]string, error)
	// owners returns the key each partner is bound to (unbound ones left out).
	owners(ctx context.Context, ids []int64) (map[int64]string, error)
}

// partnerIndex is the activities' side of the durable partner -> customer
// binding (workflows.PartnerIndex shards): claims and releases by update
// (with start: a shard comes into being on its first claim), lookups by
// query.
type partnerIndex struct {
	temporal client.Client
	queue    string
	shards   int
	input    func(shard int) any
}

func newPartnerIndex(d Deps) *partnerIndex {
	shards := d.IndexShards
	if shards < 1 {
		shards = 1
	}
	return &partnerIndex{temporal: d.Temporal, queue: d.WorkflowQueue, shards: shards, input: d.PartnerIndexInput}
}

func (x *partnerIndex) shardOf(partnerID int64) int {
	return names.PartnerIndexShard(partnerID, x.shards)
}

// bind applies the customers' claims and releases, one update per shard,
// and returns the previous owner of every claimed partner another customer
// held. An empty bind costs nothing.
func (x *partnerIndex) bind(ctx context.Context, binds []messages.Bind) (map[int64]string, error) {
	perShard := map[int][]messages.Bind{}
	for _, b := range binds {
		split := map[int]*messages.Bind{}
		part := func(id int64) *messages.Bind {
			s := x.shardOf(id)
			if split[s] == nil {
				split[s] = &messages.Bind{Key: b.Key, IfAbsent: b.IfAbsent}
			}
			return split[s]
		}
		for _, id := range b.Claim {
			p := part(id)
			p.Claim = append(p.Claim, id)
		}
		for _, id := range b.Release {
			p := part(id)
			p.Release = append(p.Release, id)
		}
		for s, p := range split {
			perShard[s] = append(perShard[s], *p)
		}
	}
	shards := sortedShards(perShard)
	prev := map[int64]string{}
	results := make([]messages.BindResult, len(shards))
	err := parallel(ctx, 8, len(shards), func(ctx context.Context, i int) error {
		r, err := x.update(ctx, shards[i], perShard[shards[i]])
		results[i] = r
		return err
	})
	if err != nil {
		return nil, temporalError("bind partners", err)
	}
	for _, r := range results {
		for id, k := range r.Previous {
			prev[id] = k
		}
	}
	return prev, nil
}

func (x *partnerIndex) update(ctx context.Context, shard int, binds []messages.Bind) (messages.BindResult, error) {
	id := names.PartnerIndexWorkflowID(shard)
	start := x.temporal.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID: id, TaskQueue: x.queue, WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, names.WorkflowPartnerIndex, x.input(shard))
	h, err := x.temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{UpdateName: string(names.UpdateBind), Args: []any{binds},
			WaitForStage: client.WorkflowUpdateStageCompleted},
	})
	if err != nil {
		return messages.BindResult{}, err
	}
	var res messages.BindResult
	err = h.Get(ctx, &res)
	return res, err
}

// owners returns the key each partner is bound to (unbound ones left out).
func (x *partnerIndex) owners(ctx context.Context, ids []int64) (map[int64]string, error) {
	perShard := map[int][]int64{}
	for _, id := range uniq(ids) {
		perShard[x.shardOf(id)] = append(perShard[x.shardOf(id)], id)
	}
	shards := sortedShards(perShard)
	answers := make([]map[int64]string, len(shards))
	err := parallel(ctx, 8, len(shards), func(ctx context.Context, i int) error {
		v, err := x.temporal.QueryWorkflow(ctx, names.PartnerIndexWorkflowID(shards[i]), "", string(names.QueryOwners), perShard[shards[i]])
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return nil // the shard was never started: it binds nobody
		}
		if err != nil {
			return err
		}
		return v.Get(&answers[i])
	})
	if err != nil {
		return nil, temporalError("look up partner owners", err)
	}
	out := map[int64]string{}
	for _, a := range answers {
		for id, k := range a {
			out[id] = k
		}
	}
	return out, nil
}

func sortedShards[V any](m map[int]V) []int { return slices.Sorted(maps.Keys(m)) }

// SweepPartnerIndex is a partner index shard's look for partners deleted in
// Odoo (unlinked, or merged away without the merge note being seen): a
// deletion does not show in Odoo's change feed. Their customers are told,
// as for a merge source without a destination; each releases the binding
// when it writes (task queue odoo-api).
func (p *Poll) SweepPartnerIndex(ctx context.Context, shard int, ids []int64) error {
	defer keepAlive(ctx)()
	existing, err := p.odoo.ExistingIDs(ctx, "res.partner", ids)
	if err != nil {
		return temporalError("check indexed partners", err)
	}
	alive := make(map[int64]bool, len(existing))
	for _, id := range existing {
		alive[id] = true
	}
	var gone []int64
	for _, id := range ids {
		if !alive[id] {
			gone = append(gone, id)
		}
	}
	if len(gone) == 0 {
		return nil
	}
	owners, err := p.index.owners(ctx, gone)
	if err != nil {
		return err
	}
	seenAt := now()
	hints := make([]routed, 0, len(owners))
	for _, pid := range sortedIDs(owners) {
		hints = append(hints, movedHint(owners[pid], pid, "", time.Time{}, seenAt))
	}
	p.logger.Info("partner index sweep found deleted partners", "shard", shard, "partners", len(gone), "customers", len(hints))
	return p.route(ctx, hints)
}
