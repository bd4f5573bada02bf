package activities

import (
	"context"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/dotdigital"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/messages"
)

// writer executes one customer's plan with single calls.
type writer struct {
	lane    *Lane
	req     messages.LaneRequest
	desired customer.Desired
	snap    customer.Snapshot
	path    string
	writes  int
	// byID writes the contact by its contactId: a customer whose partners
	// all left empties its contact, and must never create one. vanished:
	// the contact was not there any more.
	byID     bool
	vanished bool
	// answer is the last contact write's answer; created says Dotdigital
	// created the contact with it.
	answer  dotdigital.Contact
	created bool
	// deleted are the record keys this write deleted (orders that left the
	// customer): their new owners are told.
	deleted []string
}

// run returns the result to signal, or an error to retry. Records that no
// longer belong to the customer are deleted first: an order that moved
// between two customers is released by one before the other writes it, so
// that two customers swapping orders never wait on each other.
func (w *writer) run(ctx context.Context, p customer.Plan) (messages.LaneResult, error) {
	res := messages.LaneResult{Seq: w.req.Seq, ChangeTime: w.desired.ChangeTime, Class: p.Class}
	block := func(r rejection) (messages.LaneResult, error) {
		res.Outcome, res.Reason, res.Detail, res.Record = messages.OutcomeBlocked, r.Reason, r.Detail, r.Record
		res.Snapshot = &w.snap
		res.Writes = w.writes
		return res, nil
	}
	if p.Unknown {
		// What Dotdigital holds is not known: write every field, then learn
		// from the answer (created, or the lists and records it holds) and
		// plan the rest (records to write or delete, lists to leave).
		if err := w.upsertContact(ctx, p); err != nil {
			if blocking(err) {
				return block(rejectionOf(err, ""))
			}
			return res, temporalError("upsert contact", err)
		}
		if err := w.learn(ctx, p); err != nil {
			return res, err
		}
		p = customer.PlanFor(w.desired, w.snap, false)
	}
	if err := w.deleteOrders(ctx, p.DeleteOrders); err != nil {
		return res, err
	}
	if p.ContactWrite() {
		err := w.upsertContact(ctx, p)
		if w.byID && dotdigital.IsContactNotFound(err) {
			w.vanished, w.snap = true, customer.Absent(w.desired.Key)
			res.Outcome, res.Snapshot, res.AckAt, res.Writes = messages.OutcomeOK, &w.snap, now(), w.writes
			return res, nil
		}
		if err != nil {
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

// learn turns the answer to an unknown snapshot's full contact write into a
// known snapshot: a created contact held nothing else; an existing one is
// read for its records (and its lists, when the answer does not show them).
func (w *writer) learn(ctx context.Context, p customer.Plan) error {
	l := w.lane
	if w.created {
		w.snap = customer.Created(w.desired, p, w.answer.ContactID)
		return nil
	}
	lists := w.answer.Lists
	if len(lists) == 0 && len(p.AddLists) > 0 {
		// The answer does not show memberships (it must hold the lists just added).
		c, err := l.dd.GetContact(ctx, w.desired.Key, dotdigital.WithLists())
		if err != nil {
			return temporalError("read contact lists", err)
		}
		lists = c.Lists
	}
	records, err := l.records(ctx, w.desired.Key)
	if err != nil {
		return err
	}
	learnt := customer.Adopt(w.desired.Key, w.answer.ContactID, nil, l.ownedLists(lists), records)
	// The fields were just written in full.
	w.snap = learnt.AfterContact(w.desired, p)
	return nil
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
	u := dotdigital.ContactUpdate{DataFields: p.Fields, Lists: ids}
	if w.byID {
		w.answer, err = l.dd.UpdateContactByID(ctx, w.snap.ContactID, u)
		w.created = false
	} else {
		w.answer, w.created, err = l.dd.UpsertContact(ctx, w.desired.Key, u)
	}
	release()
	if err != nil {
		return err
	}
	w.writes++
	l.count(ctx, "contact", w.path, 1)
	w.snap = w.snap.AfterContact(w.desired, p).WithContactID(w.answer.ContactID).WithLists(union(w.snap.Lists, p.AddLists))
	if w.byID {
		w.snap.Email = w.answer.Email // the contact keeps its own email
	}
	heartbeat(ctx, "contact")
	return nil
}

// deleteOrders deletes the Insight records that no longer belong to the customer.
func (w *writer) deleteOrders(ctx context.Context, keys []string) error {
	l := w.lane
	for _, key := range keys {
		release, err := l.pace.waitFor(ctx, ScopeWrite, w.req.Class)
		if err != nil {
			return err
		}
		err = l.dd.DeleteContactRecord(ctx, customer.OrdersCollection, w.snap.Email, key)
		release()
		if err != nil && !dotdigital.IsNotFound(err) {
			return temporalError("delete order record", err)
		}
		w.writes++
		l.count(ctx, "order_delete", w.path, 1)
		w.snap = w.snap.WithoutOrder(key)
		w.deleted = append(w.deleted, key)
	}
	return nil
}

// ownedElsewhereRetries: an Insight key belongs to one contact. When an
// order moves to another customer (merge, re-assigned order), the previous
// customer deletes its record on its own sync and then tells this one
// (handover, Released); until then the write is refused with a conflict.
// It is retried briefly here, then the customer retries on its own schedule.
const ownedElsewhereRetries = 2

var ownedElsewhereWait = 2 * time.Second

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
		_, err = l.dd.PutOrderRecord(ctx, customer.OrdersCollection, w.desired.Key, r.Key, r.JSON)
		release()
		switch {
		case err == nil:
			w.writes++
			l.count(ctx, "order", w.path, 1)
			w.snap = w.snap.WithOrder(r.Key, r.Hash)
			return nil
		case attempt == 0 && dotdigital.IsCollectionNotFound(err):
			if _, err := l.dd.CreateCollection(ctx, customer.OrdersCollection, "contact", "orders"); err != nil {
				return err
			}
		case attempt == 0 && dotdigital.IsContactNotFound(err):
			full := customer.PlanFor(w.desired, customer.Absent(w.desired.Key), true)
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
	contactID := w.snap.ContactID
	if contactID == 0 {
		c, err := l.dd.GetContact(ctx, w.snap.Email)
		if err != nil {
			if dotdigital.IsNotFound(err) {
				return nil // no contact, no membership
			}
			return temporalError("get contact", err)
		}
		contactID = c.ContactID
		w.snap = w.snap.WithContactID(contactID)
	}
	for _, id := range ids {
		release, err := l.pace.waitFor(ctx, ScopeWrite, w.req.Class)
		if err != nil {
			return err
		}
		err = l.dd.RemoveContactFromList(ctx, id, contactID)
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

// ownedElsewhere: the order's Insight record still belongs to another contact.
type ownedElsewhere struct {
	key string
	err error
}

func (e *ownedElsewhere) Error() string {
	return "Insight record " + e.key + " belongs to another Dotdigital contact: " + e.err.Error()
}
func (e *ownedElsewhere) Unwrap() error { return e.err }
