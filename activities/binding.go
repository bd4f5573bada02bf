package activities

import (
	"context"
	"sort"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/identity"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/messages"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
)

// claim binds the customer's partners to it in the partner index before
// anything is written, releases the partners it no longer has, and tells
// every customer that held one of them before (a signal-with-start: that
// customer may have no workflow, e.g. one only the initial load wrote). It
// returns those previous owners (partner id -> key).
func (l *Lane) claim(ctx context.Context, req messages.LaneRequest, snap customer.Snapshot, d customer.Desired) (map[int64]string, error) {
	previous, err := l.index.bind(ctx, []messages.Bind{bindOf(req, snap, d)})
	if err != nil {
		return nil, err
	}
	for id, key := range previous {
		if key == req.Key {
			delete(previous, id)
		}
	}
	if err := l.tellPrevious(ctx, req.Key, previous); err != nil {
		return nil, err
	}
	return previous, nil
}

// bindOf is a customer's claim of its partners and release of the ones it
// lost (those the snapshot says its contact carried, and those it was told
// moved away).
func bindOf(req messages.LaneRequest, snap customer.Snapshot, d customer.Desired) messages.Bind {
	mine := map[int64]bool{}
	for _, id := range d.PartnerIDs {
		mine[id] = true
	}
	var release []int64
	for _, id := range uniq(append(append([]int64(nil), snap.PartnerIDs...), req.Moved...)) {
		if !mine[id] {
			release = append(release, id)
		}
	}
	return messages.Bind{Key: req.Key, Claim: d.PartnerIDs, Release: release}
}

// tellPrevious tells each previous owner that these partners left it for
// successor: it follows them (deletes their records, renames or empties its
// contact) and answers with a handover.
func (l *Lane) tellPrevious(ctx context.Context, successor string, previous map[int64]string) error {
	byKey := map[string][]int64{}
	for id, key := range previous {
		byKey[key] = append(byKey[key], id)
	}
	keys := sortedKeys(byKey)
	seenAt := now()
	return parallel(ctx, 8, len(keys), func(ctx context.Context, i int) error {
		ids := uniq(byKey[keys[i]])
		h := messages.Hint{Kind: messages.HintMoved, Class: customer.ClassStatus, Model: "res.partner", RecordID: ids[0],
			Moved: ids, Successor: successor, SeenAt: seenAt}
		if err := l.signalCustomer(ctx, keys[i], names.SignalChange, h); err != nil {
			return temporalError("tell previous owner", err)
		}
		return nil
	})
}

// customerIDs are the workflow IDs of the distinct keys.
func (l *Lane) customerIDs(byPartner map[int64]string) []string {
	seen := map[string]bool{}
	var out []string
	for _, key := range byPartner {
		if id := l.customerID(key); !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// release tells the customers that now have the partners this customer
// lost, and those that own the orders whose records it deleted (a merge, an
// email change), that they are free: one that waits for this customer's
// handover stops waiting, and a write of theirs that found a record still
// held here is retried at once instead of after its back-off.
func (l *Lane) release(ctx context.Context, req messages.LaneRequest, lost []int64, deleted []string) error {
	if len(lost) == 0 && len(deleted) == 0 {
		return nil
	}
	owners, err := l.orderOwners(ctx, deleted)
	if err != nil {
		return err
	}
	successors, err := l.successors(ctx, req.Key, lost)
	if err != nil {
		return err
	}
	for k := range successors {
		owners[k] = true
	}
	delete(owners, req.Key)
	return l.handOver(ctx, sortedKeys(owners), messages.Handover{From: req.CustomerID, Released: true})
}

// orderOwners maps the current customer keys of the orders behind record
// keys (orders deleted in Odoo have none).
func (l *Lane) orderOwners(ctx context.Context, recordKeys []string) (map[string]bool, error) {
	if len(recordKeys) == 0 {
		return map[string]bool{}, nil
	}
	ids := make([]int64, 0, len(recordKeys))
	for _, k := range recordKeys {
		if id, ok := customer.OrderIDOf(k); ok {
			ids = append(ids, id)
		}
	}
	orders, err := l.load.odoo.OrdersByIDs(ctx, ids)
	if err != nil {
		return nil, temporalError("read moved orders", err)
	}
	partnerIDs := make([]int64, 0, len(orders))
	for _, o := range orders {
		partnerIDs = append(partnerIDs, o.PartnerID.ID)
	}
	partners, err := l.load.odoo.PartnersByIDs(ctx, partnerIDs)
	if err != nil {
		return nil, temporalError("read partners of moved orders", err)
	}
	out := map[string]bool{}
	for _, p := range partners {
		if key, _ := identity.Key(p.EmailNormalized, p.Email); key != "" {
			out[key] = true
		}
	}
	return out, nil
}

// handOver delivers a handover to each key's customer, starting its workflow if needed.
func (l *Lane) handOver(ctx context.Context, keys []string, h messages.Handover) error {
	return parallel(ctx, 8, len(keys), func(ctx context.Context, i int) error {
		if err := l.signalCustomer(ctx, keys[i], names.SignalHandover, h); err != nil {
			return temporalError("hand over", err)
		}
		return nil
	})
}

func (l *Lane) signalCustomer(ctx context.Context, key string, signal names.Signal, arg any) error {
	return SignalCustomer(ctx, l.temporal, l.hasher, l.queue, l.customerInput(key), key, signal, arg)
}
