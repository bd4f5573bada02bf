package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/dotdigital"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/messages"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
)

// WriteCustomer brings one customer up to date with single API calls and
// returns the result: the direct path a customer workflow takes while the
// Dotdigital budget is not under pressure (no lane hop, no query: the
// snapshot travels in the input). It reloads the customer from Odoo, diffs
// against the snapshot, and writes only the difference: contact fields
// first, then Insight records, then list removals.
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
func (l *Lane) syncOne(ctx context.Context, req messages.LaneRequest, snap customer.Snapshot) (messages.LaneResult, int, error) {
	custs, err := l.load.Customers(ctx, []string{req.Key})
	if err != nil {
		return messages.LaneResult{}, 0, temporalError("load customer from Odoo", err)
	}
	c := custs[req.Key]
	if len(c.Partners) == 0 {
		if snap.ContactExists {
			return l.vacate(ctx, req, snap)
		}
		// Nothing in Odoo and nothing written: nothing to do (e.g. a hint
		// for a partner that was deleted or is not a customer).
		return messages.LaneResult{Seq: req.Seq, Outcome: messages.OutcomeOK, Snapshot: &snap, AckAt: now(), Class: req.Class}, 0, nil
	}
	d := customer.Build(c, l.mapping)
	// A forced resync plans against what Dotdigital holds now, not the
	// snapshot: it then also repairs changes made behind the sync's back
	// (a deleted contact or record, a stray record, a list left), which is
	// what reconciliation's heal relies on.
	if req.Force || (!snap.ContactExists && worthAdopting(c)) {
		if snap, err = l.adopt(ctx, d.Key); err != nil {
			return messages.LaneResult{}, 0, err
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
	res.WritePressure, _ = l.pressure(ctx)
	return res, w.writes, nil
}

// writer executes one customer's plan with single calls.
type writer struct {
	lane    *Lane
	req     messages.LaneRequest
	desired customer.Desired
	snap    customer.Snapshot
	path    string
	writes  int
	contact int64 // Dotdigital contact id once known
}

// run returns the result to signal, or an error to retry.
func (w *writer) run(ctx context.Context, p customer.Plan) (messages.LaneResult, error) {
	l := w.lane
	res := messages.LaneResult{Seq: w.req.Seq, ChangeTime: w.desired.ChangeTime, Class: p.Class}
	block := func(r rejection) (messages.LaneResult, error) {
		res.Outcome, res.Reason, res.Detail, res.Record = messages.OutcomeBlocked, r.Reason, r.Detail, r.Record
		res.Snapshot = &w.snap
		res.Writes = w.writes
		return res, nil
	}
	if p.NewContact || len(p.Fields) > 0 || len(p.AddLists) > 0 {
		if err := w.upsertContact(ctx, p); err != nil {
			if blocking(err) {
				return block(rejectionOf(err, ""))
			}
			return res, temporalError("upsert contact", err)
		}
	}
	for _, r := range p.Orders {
		if err := w.putOrder(ctx, r); err != nil {
			if blocking(err) {
				return block(rejectionOf(err, "sale.order "+r.Key))
			}
			return res, temporalError("put order record", err)
		}
	}
	for _, key := range p.DeleteOrders {
		release, err := l.pace.waitFor(ctx, ScopeWrite, w.req.Class)
		if err != nil {
			return res, err
		}
		err = l.dd.DeleteContactRecord(ctx, OrdersCollection, w.snap.Email, key)
		release()
		if err != nil && !dotdigital.IsNotFound(err) {
			return res, temporalError("delete order record", err)
		}
		w.writes++
		l.count(ctx, "order_delete", w.path, 1)
		w.snap = w.snap.WithoutOrder(key)
	}
	if len(p.RemoveLists) > 0 {
		if err := w.removeLists(ctx, p.RemoveLists); err != nil {
			return res, err
		}
	}
	w.snap = w.snap.WithLists(w.desired.Lists).Completed(w.desired)
	res.Outcome, res.Snapshot, res.AckAt, res.Writes = messages.OutcomeOK, &w.snap, now(), w.writes
	if ref, ok := w.desired.Fields[customer.FieldLastOrderRef].(string); ok {
		res.LastOrder = ref
	}
	return res, nil
}

func (w *writer) upsertContact(ctx context.Context, p customer.Plan) error {
	l := w.lane
	ids, err := l.listIDs(ctx, p.AddLists)
	if err != nil {
		return err
	}
	release, err := l.pace.waitFor(ctx, ScopeWrite, w.req.Class)
	if err != nil {
		return err
	}
	contact, _, err := l.dd.UpsertContact(ctx, w.desired.Key, dotdigital.ContactUpdate{DataFields: p.Fields, Lists: ids})
	release()
	if err != nil {
		return err
	}
	w.writes++
	l.count(ctx, "contact", w.path, 1)
	w.contact = contact.ContactID
	w.snap = w.snap.AfterContact(w.desired, p).WithLists(union(w.snap.Lists, p.AddLists))
	heartbeat(ctx, "contact")
	return nil
}

// ownedElsewhereRetries: an Insight key belongs to one contact. When an
// order moves to another customer (merge, re-assigned order), the previous
// customer deletes its record on its own sync; until then the new owner's
// write is refused with a conflict and is retried a few times.
const ownedElsewhereRetries = 6

var ownedElsewhereWait = 3 * time.Second

// putOrder upserts one Insight record; the first record of an account
// creates the collection, and a contact deleted in Dotdigital behind the
// sync's back is recreated in full first.
func (w *writer) putOrder(ctx context.Context, r customer.Record) error {
	l := w.lane
	conflicts := 0
	for attempt := 0; ; attempt++ {
		release, err := l.pace.waitFor(ctx, ScopeWrite, w.req.Class)
		if err != nil {
			return err
		}
		_, err = l.dd.PutOrderRecord(ctx, OrdersCollection, w.desired.Key, r.Key, r.JSON)
		release()
		switch {
		case err == nil:
			w.writes++
			l.count(ctx, "order", w.path, 1)
			w.snap = w.snap.WithOrder(r.Key, r.Hash)
			return nil
		case attempt == 0 && dotdigital.IsCollectionNotFound(err):
			if _, err := l.dd.CreateCollection(ctx, OrdersCollection, "contact", "orders"); err != nil {
				return err
			}
		case attempt == 0 && dotdigital.IsContactNotFound(err):
			full := customer.PlanFor(w.desired, customer.Snapshot{}, true)
			if err := w.upsertContact(ctx, full); err != nil {
				return err
			}
		case dotdigital.IsConflict(err) && conflicts < ownedElsewhereRetries:
			conflicts++
			heartbeat(ctx, "record owned by another contact", r.Key)
			if err := sleep(ctx, ownedElsewhereWait); err != nil {
				return err
			}
		case dotdigital.IsConflict(err):
			return &ownedElsewhere{key: r.Key, err: err}
		default:
			return err
		}
	}
}

func (w *writer) removeLists(ctx context.Context, lists []string) error {
	l := w.lane
	ids, err := l.listIDs(ctx, lists)
	if err != nil {
		return err
	}
	if w.contact == 0 {
		c, err := l.dd.GetContact(ctx, w.snap.Email)
		if err != nil {
			if dotdigital.IsNotFound(err) {
				return nil // no contact, no membership
			}
			return temporalError("get contact", err)
		}
		w.contact = c.ContactID
	}
	for _, id := range ids {
		release, err := l.pace.waitFor(ctx, ScopeWrite, w.req.Class)
		if err != nil {
			return err
		}
		err = l.dd.RemoveContactFromList(ctx, id, w.contact)
		release()
		if err != nil && !dotdigital.IsNotFound(err) {
			return temporalError("remove contact from list", err)
		}
		w.writes++
		l.count(ctx, "list_remove", w.path, 1)
	}
	return nil
}

func union(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range append(append([]string(nil), a...), b...) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// vacate handles a customer whose partners all left (email change, merge
// into another email, deletion): its contact is handed to the successor key
// when that key has no contact yet (Dotdigital email change), else it is
// unlinked: its Insight records deleted, the sync's fields cleared and its
// lists left, and it is reported (brief: Identity).
func (l *Lane) vacate(ctx context.Context, req messages.LaneRequest, snap customer.Snapshot) (messages.LaneResult, int, error) {
	res := messages.LaneResult{Seq: req.Seq, Class: req.Class}
	if req.Successor != "" && req.Successor != snap.Email {
		successorID := l.customerID(req.Successor)
		_, err := l.dd.ChangeEmail(ctx, snap.Email, req.Successor)
		switch {
		case err == nil:
			handed := snap
			handed.Email = req.Successor
			l.handover(ctx, successorID, messages.Handover{From: req.CustomerID, Snapshot: handed})
			res.Outcome, res.AckAt, res.Snapshot = messages.OutcomeHanded, now(), &customer.Snapshot{}
			return res, 1, nil
		case dotdigital.IsConflict(err):
			l.handover(ctx, successorID, messages.Handover{From: req.CustomerID, Conflict: true})
		case dotdigital.IsNotFound(err):
			// The old contact is gone already: nothing to hand over or unlink.
			l.handover(ctx, successorID, messages.Handover{From: req.CustomerID, Conflict: true})
			res.Outcome, res.AckAt, res.Snapshot = messages.OutcomeHanded, now(), &customer.Snapshot{}
			return res, 0, nil
		default:
			return res, 0, temporalError("change contact email", err)
		}
	}
	// Unlink: desired state of a customer with no partners (no orders, no
	// lists, cleared fields), written over the old contact.
	d := customer.Build(customer.Customer{Key: snap.Email}, l.mapping)
	w := &writer{lane: l, req: req, desired: d, snap: snap, path: "single"}
	out, err := w.run(ctx, customer.PlanFor(d, snap, false))
	if err != nil {
		return out, w.writes, err
	}
	if out.Outcome == messages.OutcomeOK {
		out.Outcome, out.Reason = messages.OutcomeBlocked, "orphan_contact"
		out.Detail = fmt.Sprintf("all Odoo partners of this contact left (successor %s); the contact is kept for its subscription history", redactedKey(req.Successor))
	}
	return out, w.writes, nil
}

func (l *Lane) handover(ctx context.Context, successorID string, h messages.Handover) {
	if err := l.temporal.SignalWorkflow(ctx, successorID, "", string(names.SignalHandover), h); err != nil {
		// The successor may have closed; it will create its own contact.
		l.logger.Warn("handover signal not delivered", "successor", successorID, "error", err)
	}
}

// redactedKey shows an email's domain only (logs and details carry no full personal data).
func redactedKey(key string) string {
	for i := 0; i < len(key); i++ {
		if key[i] == '@' {
			return "…" + key[i:]
		}
	}
	if key == "" {
		return "none"
	}
	return "…"
}

// worthAdopting: a customer with history may already have a contact (a
// backfill wrote it, or this workflow's history expired); reading it costs
// two cheap calls and saves rewriting every record. A brand-new guest with
// one order is not worth the lookup.
func worthAdopting(c customer.Customer) bool {
	recorded := 0
	for _, o := range c.Orders {
		if o.Recorded() {
			recorded++
		}
	}
	return len(c.Partners) > 1 || recorded > 1
}

// adopt reads the customer's current Dotdigital state into a snapshot.
func (l *Lane) adopt(ctx context.Context, email string) (customer.Snapshot, error) {
	c, err := l.dd.GetContact(ctx, email, dotdigital.WithAllDataFields(), dotdigital.WithLists())
	if err != nil {
		if dotdigital.IsNotFound(err) {
			return customer.Snapshot{}, nil
		}
		return customer.Snapshot{}, temporalError("read contact", err)
	}
	recs, err := l.dd.ListContactRecords(ctx, OrdersCollection, email)
	if err != nil && !dotdigital.IsNotFound(err) {
		return customer.Snapshot{}, temporalError("read Insight records", err)
	}
	raw := make(map[string]json.RawMessage, len(recs))
	for _, r := range recs {
		raw[r.Key] = r.JSON
	}
	var lists []string
	for _, cl := range c.Lists {
		if l.owned(cl.Name) {
			lists = append(lists, cl.Name)
		}
	}
	return customer.Adopt(email, c.ContactID, c.DataFields, lists, raw), nil
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

// ownedElsewhere: the order's Insight record still belongs to another contact.
type ownedElsewhere struct {
	key string
	err error
}

func (e *ownedElsewhere) Error() string {
	return "Insight record " + e.key + " belongs to another Dotdigital contact: " + e.err.Error()
}
func (e *ownedElsewhere) Unwrap() error { return e.err }

// pressure reports which budgets ran low recently; a retried single write
// (a 429, 5xx or timeout failed the first attempt) counts as write pressure.
func (l *Lane) pressure(ctx context.Context) (write, imports bool) {
	retried := activity.IsActivity(ctx) && activity.GetInfo(ctx).Attempt > 1
	return l.pace.Pressured(ScopeWrite) || retried, l.pace.Pressured(ScopeImport)
}
