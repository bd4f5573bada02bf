package activities

import (
	"context"
	"fmt"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/dotdigital"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/identity"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/messages"
)

// vacate handles a customer none of whose partners is left (email change,
// merge into another email, archive, unlink, email removed). It reads what
// Dotdigital holds when the snapshot does not say (a contact written long
// ago or by the initial load), follows the partners to the keys they have
// now, and then (BRIEF: Identity):
//   - renames the contact to the successor's email when that email has no
//     contact yet, and hands it over (no duplicate, no rewrite);
//   - otherwise empties it of Odoo data (fields cleared, records deleted,
//     the sync's lists left) and reports it: it is kept for its
//     subscription history, never deleted.
//
// Contact writes address the contactId: a retry after a lost answer finds
// the renamed contact instead of recreating the old address. Every
// successor is answered (handover), whatever happened, so that none waits
// longer than it must.
func (l *Lane) vacate(ctx context.Context, req messages.LaneRequest, snap customer.Snapshot, c customer.Customer) (messages.LaneResult, int, error) {
	if !snap.Known() {
		var err error
		if snap, err = l.adopt(ctx, req.Key); err != nil {
			return messages.LaneResult{}, 0, err
		}
	}
	lost := lostPartners(req, snap, c)
	successors, err := l.successors(ctx, req.Key, lost)
	if err != nil {
		return messages.LaneResult{}, 0, err
	}
	v := &vacating{lane: l, req: req, snap: snap, successors: successors}
	res, err := v.run(ctx)
	if err != nil {
		return res, v.writes, err
	}
	if _, err := l.index.bind(ctx, []messages.Bind{{Key: req.Key, Release: lost}}); err != nil {
		return messages.LaneResult{}, v.writes, err
	}
	if err := v.answer(ctx); err != nil {
		return messages.LaneResult{}, v.writes, err
	}
	return res, v.writes, nil
}

// vacating is one customer leaving Dotdigital's contact behind.
type vacating struct {
	lane       *Lane
	req        messages.LaneRequest
	snap       customer.Snapshot
	successors map[string]bool // keys the customer's partners have now
	handedTo   string          // the successor that received the contact
	conflict   string          // the successor whose email already had a contact
	deleted    []string        // record keys deleted by the unlink
	writes     int
}

func (v *vacating) run(ctx context.Context) (messages.LaneResult, error) {
	res := messages.LaneResult{Seq: v.req.Seq, Class: v.req.Class}
	gone := func() (messages.LaneResult, error) {
		absent := customer.Absent(v.req.Key)
		res.Outcome, res.AckAt, res.Snapshot, res.Gone = messages.OutcomeOK, now(), &absent, true
		if v.handedTo != "" {
			res.Outcome = messages.OutcomeHanded
		}
		return res, nil
	}
	if !v.snap.ContactExists {
		return gone() // nothing was written for this key: nothing to leave behind
	}
	if to := v.successor(); to != "" {
		handed, err := v.rename(ctx, to)
		if err != nil {
			return res, err
		}
		if handed || !v.snap.ContactExists {
			return gone()
		}
	}
	out, vanished, err := v.unlink(ctx)
	if vanished {
		return gone()
	}
	return out, err
}

// successor is the key to hand the contact to: one the partners have now
// (the lowest first, for a stable choice), else the destination a merge
// note named.
func (v *vacating) successor() string {
	if v.req.Successor != "" && v.successors[v.req.Successor] {
		return v.req.Successor
	}
	if keys := sortedKeys(v.successors); len(keys) > 0 {
		return keys[0]
	}
	if v.req.Successor != v.req.Key {
		return v.req.Successor
	}
	return ""
}

// rename gives the contact the successor's email. It reports whether the
// contact now belongs to the successor; a conflict (the successor has a
// contact of its own) leaves it here to be unlinked.
func (v *vacating) rename(ctx context.Context, to string) (bool, error) {
	l := v.lane
	if v.snap.ContactID == 0 {
		// A snapshot from before contact ids were kept: read it once.
		fresh, err := l.adopt(ctx, v.snap.Email)
		if err != nil {
			return false, err
		}
		v.snap = fresh
		if !v.snap.ContactExists {
			return false, nil
		}
	}
	release, err := l.pace.waitFor(ctx, ScopeWrite, v.req.Class)
	if err != nil {
		return false, err
	}
	_, err = l.dd.ChangeEmailByID(ctx, v.snap.ContactID, to)
	release()
	v.writes++
	switch {
	case err == nil:
		l.count(ctx, "contact_rename", "single", 1)
		v.handedTo = to
		return true, nil
	case dotdigital.IsConflict(err):
		v.conflict = to
		return false, nil
	case dotdigital.IsNotFound(err):
		v.snap = customer.Absent(v.req.Key) // deleted in Dotdigital meanwhile
		return false, nil
	}
	return false, temporalError("change contact email", err)
}

// unlink writes the desired state of a customer with no partners (cleared
// fields, no records, no lists) over the contact, by its id, and reports
// the contact. vanished: the contact was deleted in Dotdigital meanwhile.
func (v *vacating) unlink(ctx context.Context) (messages.LaneResult, bool, error) {
	l := v.lane
	d := customer.Build(customer.Customer{Key: v.req.Key}, l.mapping)
	w := &writer{lane: l, req: v.req, desired: d, snap: v.snap, path: "single", byID: true}
	out, err := w.run(ctx, customer.PlanFor(d, v.snap, false))
	v.writes += w.writes
	v.deleted = w.deleted
	if err != nil || w.vanished {
		return out, w.vanished, err
	}
	if out.Outcome != messages.OutcomeOK {
		return out, false, nil // a rejection: reported as it is
	}
	out.Outcome, out.Reason = messages.OutcomeBlocked, "orphan_contact"
	out.Detail = fmt.Sprintf("all Odoo partners of this contact left (successor %s); the contact is kept for its subscription history", redactedKey(v.successor()))
	return out, false, nil
}

// answer tells every successor what happened: the one that received the
// contact gets its snapshot, the others (and the new owners of deleted
// records) that the partners and records are released.
func (v *vacating) answer(ctx context.Context) error {
	l := v.lane
	if v.handedTo != "" {
		handed := v.snap
		handed.Email = v.handedTo
		if err := l.handOver(ctx, []string{v.handedTo}, messages.Handover{From: v.req.CustomerID, Snapshot: handed}); err != nil {
			return err
		}
	}
	owners, err := l.orderOwners(ctx, v.deleted)
	if err != nil {
		return err
	}
	for k := range v.successors {
		owners[k] = true
	}
	delete(owners, v.handedTo)
	delete(owners, v.req.Key)
	rest := sortedKeys(owners)
	h := messages.Handover{From: v.req.CustomerID, Released: true}
	if err := l.handOver(ctx, rest, h); err != nil {
		return err
	}
	if v.conflict != "" && !owners[v.conflict] {
		return l.handOver(ctx, []string{v.conflict}, messages.Handover{From: v.req.CustomerID, Released: true, Conflict: true})
	}
	return nil
}

// lostPartners are the partners that made up the customer: those its
// contact carried (snapshot), those it was told moved, and its archived
// ones.
func lostPartners(req messages.LaneRequest, snap customer.Snapshot, c customer.Customer) []int64 {
	ids := append(append([]int64(nil), snap.PartnerIDs...), req.Moved...)
	for _, p := range c.Partners {
		ids = append(ids, p.ID)
	}
	return uniq(ids)
}

// successors reads the lost partners from Odoo and returns the keys they
// have now (active, valid email, not an internal or company partner, not
// this key).
func (l *Lane) successors(ctx context.Context, self string, partnerIDs []int64) (map[string]bool, error) {
	out := map[string]bool{}
	if len(partnerIDs) == 0 {
		return out, nil
	}
	partners, err := l.load.odoo.PartnersByIDs(ctx, partnerIDs)
	if err != nil {
		return nil, temporalError("read partners that left", err)
	}
	excluded, err := l.load.excluded.set(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range partners {
		key, _ := identity.Key(p.EmailNormalized, p.Email)
		if key != "" && key != self && p.Active && !excluded[p.ID] {
			out[key] = true
		}
	}
	return out, nil
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
