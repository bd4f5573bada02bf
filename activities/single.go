package activities

import (
	"context"
	"encoding/json"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/dotdigital"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/messages"
)

// WriteCustomer brings one customer up to date with single API calls and
// returns the result: the direct path a customer workflow takes while the
// Dotdigital budget is not under pressure (no lane hop, no query: the
// snapshot travels in the input). It reloads the customer from Odoo, diffs
// against the snapshot, and writes only the difference.
func (l *Lane) WriteCustomer(ctx context.Context, in messages.DirectRequest) (messages.LaneResult, error) {
	// A direct write that would wait for the next window holds the
	// customer's later changes back and spends the scarce single-write
	// budget one customer at a time: the lane batches it instead. A
	// handover needs single calls and waits its turn.
	if in.Request.Successor == "" {
		if d := l.pace.wouldWait(ScopeWrite, time.Now(), in.Request.Class); d > minDeferral {
			l.pace.Backlogged()
			return messages.LaneResult{Seq: in.Request.Seq, Outcome: messages.OutcomeRedirected, WritePressure: true, Class: in.Request.Class}, nil
		}
	}
	res, _, err := l.syncOne(ctx, in.Request, in.Snapshot)
	if err == nil {
		l.observe(ctx, res, in.Request)
	}
	return res, err
}

// SyncCustomer is the lane's single write: like WriteCustomer, but the
// snapshot is asked from the customer workflow and the result is signalled
// to it (lane activities report to the lane only a summary).
func (l *Lane) SyncCustomer(ctx context.Context, req messages.LaneRequest) (messages.SyncSummary, error) {
	snap, err := l.snapshotOf(ctx, req.CustomerID)
	if err != nil {
		return messages.SyncSummary{}, temporalError("sync customer", err)
	}
	res, writes, err := l.syncOne(ctx, req, snap)
	sum := messages.SyncSummary{Customers: 1, Writes: writes}
	sum.WritePressure, sum.ImportPressure = l.pressure(ctx)
	if err != nil {
		if res.Outcome == messages.OutcomePartial {
			// Keep what was acknowledged; the retry starts from there.
			_ = l.tell(ctx, req, res)
		}
		return sum, err
	}
	if err := l.tell(ctx, req, res); err != nil {
		return sum, err
	}
	if res.Outcome == messages.OutcomeBlocked {
		sum.Blocked = 1
	} else {
		sum.OK = 1
	}
	return sum, nil
}

// syncOne does one customer's single writes. On a retryable error after
// some writes it returns an OutcomePartial result with what was acknowledged.
//
// The order matters for identity over time: the customer's partners are
// claimed in the partner index before anything is written (a customer that
// held one of them before is told, and a customer without a contact waits
// for that one's handover rather than create a duplicate); a forced resync
// and a customer whose partners all left plan against what Dotdigital holds
// (read first); an unknown snapshot writes every field and learns the rest
// from the answer.
func (l *Lane) syncOne(ctx context.Context, req messages.LaneRequest, snap customer.Snapshot) (messages.LaneResult, int, error) {
	custs, err := l.load.Customers(ctx, []string{req.Key})
	if err != nil {
		return messages.LaneResult{}, 0, temporalError("load customer from Odoo", err)
	}
	c := custs[req.Key]
	if req.Force {
		// A forced resync plans against what Dotdigital holds now, not the
		// snapshot: it also repairs changes made behind the sync's back (a
		// deleted contact or record, a stray record, a list left), which is
		// what reconciliation's heal relies on.
		if snap, err = l.adopt(ctx, req.Key); err != nil {
			return messages.LaneResult{}, 0, err
		}
	}
	d := customer.Build(c, l.mapping)
	if len(d.PartnerIDs) == 0 {
		return l.vacate(ctx, req, snap, c)
	}
	previous, err := l.claim(ctx, req, snap, d)
	if err != nil {
		return messages.LaneResult{}, 0, err
	}
	if len(previous) > 0 && !snap.ContactExists {
		if !snap.Known() {
			if snap, err = l.adopt(ctx, req.Key); err != nil {
				return messages.LaneResult{}, 0, err
			}
		}
		if !snap.ContactExists {
			return messages.LaneResult{Seq: req.Seq, Outcome: messages.OutcomeAwaiting, Awaiting: l.customerIDs(previous),
				Snapshot: &snap, Class: req.Class}, 0, nil
		}
	}
	w := &writer{lane: l, req: req, desired: d, snap: snap, path: "single"}
	res, err := w.run(ctx, customer.PlanFor(d, snap, req.Force))
	if err != nil {
		if w.writes > 0 {
			return messages.LaneResult{Seq: req.Seq, Outcome: messages.OutcomePartial, Snapshot: &w.snap}, w.writes, err
		}
		return messages.LaneResult{}, 0, err
	}
	if err := l.release(ctx, req, bindOf(req, snap, d).Release, w.deleted); err != nil {
		return messages.LaneResult{}, w.writes, err
	}
	res.WritePressure, _ = l.pressure(ctx)
	return res, w.writes, nil
}

// pressure reports which budgets ran low recently; a retried single write
// (a 429, 5xx or timeout failed the first attempt) counts as write pressure.
func (l *Lane) pressure(ctx context.Context) (write, imports bool) {
	retried := activity.IsActivity(ctx) && activity.GetInfo(ctx).Attempt > 1
	return l.pace.Pressured(ScopeWrite) || retried, l.pace.Pressured(ScopeImport)
}

// adopt reads the customer's current Dotdigital state into a snapshot (a
// known absent one when there is no contact).
func (l *Lane) adopt(ctx context.Context, email string) (customer.Snapshot, error) {
	c, err := l.dd.GetContact(ctx, email, dotdigital.WithAllDataFields(), dotdigital.WithLists())
	if err != nil {
		if dotdigital.IsNotFound(err) {
			return customer.Absent(email), nil
		}
		return customer.Snapshot{}, temporalError("read contact", err)
	}
	records, err := l.records(ctx, email)
	if err != nil {
		return customer.Snapshot{}, err
	}
	return customer.Adopt(email, c.ContactID, c.DataFields, l.ownedLists(c.Lists), records), nil
}

// records reads the Insight order records of a contact.
func (l *Lane) records(ctx context.Context, email string) (map[string]json.RawMessage, error) {
	recs, err := l.dd.ListContactRecords(ctx, customer.OrdersCollection, email)
	if err != nil && !dotdigital.IsNotFound(err) {
		return nil, temporalError("read Insight records", err)
	}
	raw := make(map[string]json.RawMessage, len(recs))
	for _, r := range recs {
		raw[r.Key] = r.JSON
	}
	return raw, nil
}

// ownedLists keeps the memberships of lists the sync manages.
func (l *Lane) ownedLists(lists []dotdigital.ContactList) []string {
	var out []string
	for _, cl := range lists {
		if l.owned(cl.Name) {
			out = append(out, cl.Name)
		}
	}
	return out
}

// owned reports whether the sync manages membership of the list.
func (l *Lane) owned(list string) bool {
	for _, name := range l.allLists() {
		if name == list {
			return true
		}
	}
	return false
}
