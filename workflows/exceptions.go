package workflows

import (
	"sort"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/messages"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
)

// ExceptionsInput starts (or continues) the exceptions registry.
type ExceptionsInput struct {
	Settings Settings                  `json:"settings"`
	Entries  []messages.SkippedPartner `json:"entries,omitempty"`
	Dropped  int                       `json:"dropped,omitempty"`
}

// maxSkipped bounds the registry's state (it travels through continue-as-new).
const maxSkipped = 20000

// recheckEvery: how often listed partners are re-read from Odoo, so that a
// fixed email clears its entry even if the poller never sees the partner again.
const recheckEvery = 10 * time.Minute

// ExceptionsRegistry lists the Odoo partners that cannot sync because they
// have no valid email, with the reason and when they were first and last
// seen. The poller reports them; entries clear themselves when a re-read
// shows the partner fixed or deleted. (Customers that cannot sync are found
// through the SyncState=blocked search attribute instead.)
func ExceptionsRegistry(ctx workflow.Context, in ExceptionsInput) error {
	s := in.Settings.WithDefaults()
	entries := map[int64]messages.SkippedPartner{}
	for _, e := range in.Entries {
		entries[e.PartnerID] = e
	}
	dropped := in.Dropped
	list := func() []messages.SkippedPartner {
		out := make([]messages.SkippedPartner, 0, len(entries))
		for _, id := range sortedIDs(entries) {
			out = append(out, entries[id])
		}
		return out
	}
	if err := workflow.SetQueryHandler(ctx, string(names.QueryExceptions), func() (messages.SkippedReport, error) {
		return messages.SkippedReport{Partners: list(), Dropped: dropped}, nil
	}); err != nil {
		return err
	}
	add := func(batch []messages.SkippedPartner) {
		for _, e := range batch {
			if old, ok := entries[e.PartnerID]; ok {
				e.FirstSeen = old.FirstSeen
			} else if len(entries) >= maxSkipped {
				dropped++
				continue
			}
			entries[e.PartnerID] = e
		}
	}
	ch := workflow.GetSignalChannel(ctx, string(names.SignalSkipped))
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var batch []messages.SkippedPartner
			ch.Receive(ctx, &batch)
			add(batch)
		}
	})
	actx := workflow.WithActivityOptions(ctx, odooActivityOptions(s, 5*time.Minute))
	for {
		if _, err := workflow.AwaitWithTimeout(ctx, recheckEvery, func() bool { return historyFull(ctx, s) }); err != nil {
			return err
		}
		if historyFull(ctx, s) {
			var batch []messages.SkippedPartner
			for ch.ReceiveAsync(&batch) {
				add(batch)
			}
			return workflow.NewContinueAsNewError(ctx, names.WorkflowExceptions, ExceptionsInput{Settings: in.Settings, Entries: list(), Dropped: dropped})
		}
		if len(entries) == 0 {
			continue
		}
		ids := sortedIDs(entries)
		var still []messages.SkippedPartner
		if err := workflow.ExecuteActivity(actx, pollActivities.RecheckSkipped, ids).Get(ctx, &still); err != nil {
			workflow.GetLogger(ctx).Warn("recheck of skipped partners failed", "error", err)
			continue
		}
		keep := map[int64]messages.SkippedPartner{}
		for _, e := range still {
			if old, ok := entries[e.PartnerID]; ok {
				old.Reason, old.Email = e.Reason, e.Email
				keep[e.PartnerID] = old
			}
		}
		// Entries added while the activity ran were not checked: keep them.
		for _, id := range sortedIDs(entries) {
			if i := sort.Search(len(ids), func(i int) bool { return ids[i] >= id }); i == len(ids) || ids[i] != id {
				keep[id] = entries[id]
			}
		}
		entries = keep
	}
}

func historyFull(ctx workflow.Context, s Settings) bool {
	info := workflow.GetInfo(ctx)
	return info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() > s.HistoryLimit
}

func sortedIDs[V any](m map[int64]V) []int64 {
	ids := make([]int64, 0, len(m))
	//workflowcheck:ignore
	for id := range m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}
