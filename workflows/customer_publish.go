package workflows

import (
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/messages"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
)

func (r *customerRun) stateName() string {
	switch {
	case r.st.Blocked != nil:
		return names.StateBlocked
	case r.st.InFlight != nil || !r.st.Pending.empty():
		return names.StatePending
	case r.st.Syncs > 0:
		return names.StateOK
	}
	return names.StateIdle
}

func (r *customerRun) status(ctx workflow.Context) messages.CustomerStatus {
	s := messages.CustomerStatus{
		Key: r.key, State: r.stateName(), PartnerIDs: r.st.Snapshot.PartnerIDs, Snapshot: r.st.Snapshot,
		InFlight: r.st.InFlight, Blocked: r.st.Blocked, LastError: r.st.LastError, LastSyncedAt: r.st.LastSyncedAt,
		LastLag: r.st.LastLag, LastOrder: r.st.LastOrder, Syncs: r.st.Syncs,
	}
	if !r.st.Pending.empty() {
		s.PendingClass, s.PendingSince = r.st.Pending.Class.String(), r.st.Pending.Since
	} else if r.st.InFlight != nil {
		s.PendingClass, s.PendingSince = r.st.InFlight.Class.String(), r.st.InFlight.Since
	}
	return s
}

// publish upserts search attributes and the UI's current details when they change.
func (r *customerRun) publish(ctx workflow.Context) {
	p := published{State: r.stateName(), Published: true, SyncedAt: r.st.LastSyncedAt, Partners: joinIDs(r.st.Snapshot.PartnerIDs),
		SyncClass: r.st.LastClass, LagMillis: r.st.LastLag.Milliseconds()}
	if r.st.Blocked != nil {
		p.Reason = r.st.Blocked.Reason
	}
	if !r.st.Pending.empty() {
		p.Class, p.Since = r.st.Pending.Class.String(), r.st.Pending.Since
	} else if r.st.InFlight != nil {
		p.Class, p.Since = r.st.InFlight.Class.String(), r.st.InFlight.Since
	}
	if p == r.st.Published {
		return
	}
	var updates []temporal.SearchAttributeUpdate
	updates = append(updates, names.SASyncState.ValueSet(p.State))
	if p.Reason != "" {
		updates = append(updates, names.SABlockedReason.ValueSet(p.Reason))
	} else {
		updates = append(updates, names.SABlockedReason.ValueUnset())
	}
	if p.Class != "" {
		updates = append(updates, names.SAPendingClass.ValueSet(p.Class), names.SAOldestPendingAt.ValueSet(p.Since))
	} else {
		updates = append(updates, names.SAPendingClass.ValueUnset(), names.SAOldestPendingAt.ValueUnset())
	}
	if !p.SyncedAt.IsZero() {
		updates = append(updates, names.SALastSyncedAt.ValueSet(p.SyncedAt), names.SALastLagSeconds.ValueSet(float64(p.LagMillis)/1000))
	}
	if p.SyncClass != "" {
		updates = append(updates, names.SALastSyncClass.ValueSet(p.SyncClass))
	}
	if len(r.st.Snapshot.PartnerIDs) > 0 {
		ids := make([]string, len(r.st.Snapshot.PartnerIDs))
		for i, id := range r.st.Snapshot.PartnerIDs {
			ids[i] = strconv.FormatInt(id, 10)
		}
		updates = append(updates, names.SAOdooPartnerIDs.ValueSet(ids))
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		workflow.GetLogger(ctx).Warn("search attribute upsert failed", "error", err)
		return
	}
	r.st.Published = p
	workflow.SetCurrentDetails(ctx, r.details(p))
}

func (r *customerRun) details(p published) string {
	// String concatenation, not fmt: the determinism checker cannot see
	// through fmt's reflection.
	var b strings.Builder
	b.WriteString("**State:** " + p.State + "\n\n**Odoo partners:** " + orNone(p.Partners) + "\n\n")
	if !p.SyncedAt.IsZero() {
		b.WriteString("**Last synced:** " + p.SyncedAt.UTC().Format(time.RFC3339) + " (lag " + r.st.LastLag.Round(time.Millisecond).String() + ")\n\n")
	}
	if p.Class != "" {
		b.WriteString("**Pending:** " + p.Class + " work since " + p.Since.UTC().Format(time.RFC3339) + "\n\n")
	}
	if r.st.Blocked != nil {
		b.WriteString("**Blocked:** " + r.st.Blocked.Reason + ": " + r.st.Blocked.Detail + "\n\n**Fix:** " + r.st.Blocked.Fix + "\n")
	}
	return b.String()
}

func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
