package workflows

import (
	"sort"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/messages"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
)

// PartnerIndexInput starts (or continues) one shard of the partner index.
type PartnerIndexInput struct {
	Shard    int      `json:"shard"`
	Settings Settings `json:"settings"`
	// Owners maps partner id -> customer key; carried by continue-as-new.
	Owners map[int64]string `json:"owners,omitempty"`
	// LastSweep is when the shard last looked for partners deleted in Odoo.
	LastSweep time.Time `json:"lastSweep,omitempty"`
}

// PartnerIndexStatus is what the owners query returns for a request
// without ids: the shard's size.
type PartnerIndexStatus struct {
	Shard     int       `json:"shard"`
	Partners  int       `json:"partners"`
	LastSweep time.Time `json:"lastSweep,omitempty"`
}

// maxUpdatesPerRun keeps a shard well below the server's 2,000 updates per
// run (history.maxTotalUpdates): it continues as new first.
const maxUpdatesPerRun = 1000

type partnerIndex struct {
	in      PartnerIndexInput
	updates int
}

// PartnerIndex is one shard of the durable binding of Odoo partners to the
// customer (normalised email) whose Dotdigital contact carries their data.
// It is how the sync knows, months later and for customers only the initial
// load has seen, where a partner's data is when its email changes, it is
// merged away, archived or deleted: customer workflows claim their partners
// before they write them (UpdateBind answers the previous owner, who is then
// told), the poller asks it who held a changed partner (QueryOwners), and
// it sweeps its own partners for ones deleted in Odoo. Shards are chosen by
// partner id (names.PartnerIndexShard).
func PartnerIndex(ctx workflow.Context, in PartnerIndexInput) error {
	s := in.Settings.WithDefaults()
	ix := &partnerIndex{in: in}
	if ix.in.Owners == nil {
		ix.in.Owners = map[int64]string{}
	}
	if err := workflow.SetQueryHandler(ctx, string(names.QueryOwners), ix.owners); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandler(ctx, string(names.UpdateBind), ix.bind); err != nil {
		return err
	}
	if ix.in.LastSweep.IsZero() {
		ix.in.LastSweep = workflow.Now(ctx) // a new shard holds nothing yet
	}
	full := func() bool { return ix.historyFull(ctx, s) }
	for {
		if full() {
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
				return err
			}
			return workflow.NewContinueAsNewError(ctx, names.WorkflowPartnerIndex, ix.in)
		}
		if len(ix.in.Owners) == 0 || s.IndexSweep <= 0 {
			// Nothing to sweep: no timer, so an idle shard costs nothing.
			if err := workflow.Await(ctx, func() bool { return full() || (len(ix.in.Owners) > 0 && s.IndexSweep > 0) }); err != nil {
				return err
			}
			continue
		}
		if wait := ix.in.LastSweep.Add(s.IndexSweep).Sub(workflow.Now(ctx)); wait > 0 {
			if _, err := workflow.AwaitWithTimeout(ctx, wait, full); err != nil {
				return err
			}
			continue
		}
		ix.sweep(ctx, s)
	}
}

// bind applies customers' claims and releases and answers, for each claimed
// partner another customer held, that customer's key.
func (ix *partnerIndex) bind(ctx workflow.Context, binds []messages.Bind) (messages.BindResult, error) {
	ix.updates++
	res := messages.BindResult{}
	for _, b := range binds {
		for _, id := range b.Claim {
			prev, held := ix.in.Owners[id]
			switch {
			case held && prev == b.Key:
			case held && b.IfAbsent:
			default:
				if held {
					if res.Previous == nil {
						res.Previous = map[int64]string{}
					}
					res.Previous[id] = prev
				}
				ix.in.Owners[id] = b.Key
			}
		}
		for _, id := range b.Release {
			if ix.in.Owners[id] == b.Key {
				delete(ix.in.Owners, id)
			}
		}
	}
	return res, nil
}

// owners answers the keys the partners are bound to (unbound ones are left
// out); without ids it answers nothing and is a cheap liveness check.
func (ix *partnerIndex) owners(ids []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	for _, id := range ids {
		if k, ok := ix.in.Owners[id]; ok {
			out[id] = k
		}
	}
	return out, nil
}

// sweep asks Odoo which of the shard's partners no longer exist (deleted,
// merged away) and tells their customers; each releases its binding when it
// writes. One activity with the ids only (8 bytes each); it reads the keys
// of the missing ones back through the owners query.
func (ix *partnerIndex) sweep(ctx workflow.Context, s Settings) {
	ids := make([]int64, 0, len(ix.in.Owners))
	//workflowcheck:ignore
	for id := range ix.in.Owners {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	actx := workflow.WithActivityOptions(ctx, odooActivityOptions(s, 10*time.Minute))
	if err := workflow.ExecuteActivity(actx, pollActivities.SweepPartnerIndex, ix.in.Shard, ids).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Warn("partner index sweep failed; next sweep retries", "shard", ix.in.Shard, "error", err)
	}
	ix.in.LastSweep = workflow.Now(ctx)
}

func (ix *partnerIndex) historyFull(ctx workflow.Context, s Settings) bool {
	info := workflow.GetInfo(ctx)
	return ix.updates >= maxUpdatesPerRun || info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() > 2*s.HistoryLimit
}
