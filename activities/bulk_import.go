package activities

import (
	"context"
	"strings"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/dotdigital"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/messages"
)

// importContacts writes the contact part of every plan in one import.
func (l *Lane) importContacts(ctx context.Context, items []*bulkItem) error {
	var batch []dotdigital.ImportContact
	var members []*bulkItem
	for _, it := range items {
		if it.result != nil || len(it.desired.PartnerIDs) == 0 || !it.plan.ContactWrite() {
			continue // finished, vacating (single path) or nothing to write
		}
		ids, err := l.listIDs(ctx, it.plan.AddLists)
		if err != nil {
			return err
		}
		batch = append(batch, dotdigital.ImportContact{Email: it.desired.Key, DataFields: it.plan.Fields, Lists: ids})
		members = append(members, it)
	}
	if len(batch) == 0 {
		return nil
	}
	release, err := l.pace.waitFor(ctx, ScopeImport, batchClass(items))
	if err != nil {
		return err
	}
	id, err := l.dd.ImportContacts(ctx, batch, dotdigital.MergeOverwrite)
	release()
	if err != nil {
		return temporalError("import contacts", err)
	}
	l.count(ctx, "contact_import", "bulk", 1)
	report, err := l.waitContactImport(ctx, id)
	if err != nil {
		return err
	}
	for _, it := range members {
		r, ok := report.Result(it.desired.Key)
		switch {
		case ok && r.Outcome == dotdigital.OutcomeFailed:
			it.result = &messages.LaneResult{Seq: it.req.Seq, Outcome: messages.OutcomeBlocked, Class: it.plan.Class, Bulk: true,
				Reason: importReason(r), Detail: "contact import rejected: " + failureCodes(r), Snapshot: &it.snap}
		case ok:
			it.created, it.contactID = r.Outcome == dotdigital.OutcomeCreated, r.ContactID
			if !it.plan.Unknown {
				it.snap = it.snap.AfterContact(it.desired, it.plan).WithContactID(r.ContactID).WithLists(union(it.snap.Lists, it.plan.AddLists))
			}
		}
		// Not in the report at all: treated as not written; the single
		// pass below writes it.
	}
	return nil
}

// learnBatch turns the import's answer for customers whose snapshot was
// unknown into known snapshots (created: they held nothing else; updated:
// their lists and records are read) and plans the rest of their write.
func (l *Lane) learnBatch(ctx context.Context, items []*bulkItem) error {
	return parallel(ctx, 16, len(items), func(ctx context.Context, i int) error {
		it := items[i]
		if it.result != nil || !it.plan.Unknown || it.contactID == 0 {
			return nil
		}
		if it.created {
			it.snap = customer.Created(it.desired, it.plan, it.contactID)
		} else {
			read, err := l.adopt(ctx, it.desired.Key)
			if err != nil {
				return err
			}
			it.snap = read.AfterContact(it.desired, it.plan).WithContactID(it.contactID)
		}
		it.plan = customer.PlanFor(it.desired, it.snap, false)
		return nil
	})
}

// pollDelays returns the wait before each import status poll: quick at
// first (most imports of a live lane are small), then every importPoll.
func pollDelays() func() time.Duration {
	d := 100 * time.Millisecond
	return func() time.Duration {
		cur := d
		d = min(d*3/2, importPoll)
		return cur
	}
}

func (l *Lane) waitContactImport(ctx context.Context, id string) (dotdigital.ContactImportReport, error) {
	next := pollDelays()
	for {
		if err := sleep(ctx, next()); err != nil {
			return dotdigital.ContactImportReport{}, err
		}
		report, err := l.dd.ContactImportStatus(ctx, id)
		if err != nil && !retryable(err) {
			return report, temporalError("contact import status", err)
		}
		if err == nil && !report.Pending() {
			if report.Failed() {
				return report, temporalError("contact import", &dotdigital.ImportFailedError{ImportID: id, Status: report.Status})
			}
			return report, nil
		}
		heartbeat(ctx, "contact import", id)
	}
}

// importOrders writes the changed Insight records of every customer whose
// contact is in place, in imports of at most OrderBatch records.
// ContactEmailDoesNotExist is retried after the contact landed.
func (l *Lane) importOrders(ctx context.Context, items []*bulkItem) error {
	type owned struct {
		it *bulkItem
		r  customer.Record
	}
	var records []owned
	for _, it := range items {
		if it.result != nil || !it.snap.ContactExists {
			continue
		}
		for _, r := range it.plan.Orders {
			records = append(records, owned{it, r})
		}
	}
	for start := 0; start < len(records); start += l.orders {
		chunk := records[start:min(start+l.orders, len(records))]
		pendingChunk := chunk
		for attempt := 0; attempt < 3 && len(pendingChunk) > 0; attempt++ {
			imp := dotdigital.InsightImport{CollectionName: customer.OrdersCollection, Scope: "contact", Type: "orders"}
			for _, o := range pendingChunk {
				imp.Records = append(imp.Records, dotdigital.InsightRecord{Key: o.r.Key, Email: o.it.desired.Key, JSON: o.r.JSON})
			}
			release, err := l.pace.waitFor(ctx, ScopeImport, batchClass(items))
			if err != nil {
				return err
			}
			id, err := l.dd.ImportInsight(ctx, imp)
			release()
			if err != nil {
				return temporalError("import Insight records", err)
			}
			l.count(ctx, "order_import", "bulk", 1)
			report, err := l.waitInsightImport(ctx, id)
			if err != nil {
				return err
			}
			failed := map[string]dotdigital.InsightImportFailure{}
			for _, f := range report.Failures {
				failed[f.Key] = f
			}
			var retry []owned
			for _, o := range pendingChunk {
				f, bad := failed[o.r.Key]
				switch {
				case !bad:
					o.it.snap = o.it.snap.WithOrder(o.r.Key, o.r.Hash)
				case strings.EqualFold(f.FailureReason, "ContactEmailDoesNotExist") && attempt < 2:
					retry = append(retry, o)
				case o.it.result == nil:
					reason := "rejected_record"
					if heldElsewhere(f) {
						reason = "record_owned_elsewhere" // released by its holder, then retried
					}
					o.it.result = &messages.LaneResult{Seq: o.it.req.Seq, Outcome: messages.OutcomeBlocked, Class: o.it.plan.Class, Bulk: true,
						Reason: reason, Detail: "Insight import rejected the record: " + f.FailureReason, Record: "sale.order " + o.r.Key, Snapshot: &o.it.snap}
				}
			}
			pendingChunk = retry
			if len(retry) > 0 {
				if err := sleep(ctx, 2*importPoll); err != nil {
					return err
				}
			}
		}
	}
	// Items whose records all landed are finished (unless they need deletions
	// or list removals, which the single pass does).
	for _, it := range items {
		if it.result != nil {
			continue
		}
		rest := customer.PlanFor(it.desired, it.snap, false)
		if rest.Empty() {
			it.snap = it.snap.WithLists(it.desired.Lists).Completed(it.desired)
			res := messages.LaneResult{Seq: it.req.Seq, Outcome: messages.OutcomeOK, Snapshot: &it.snap, AckAt: now(),
				ChangeTime: it.desired.ChangeTime, Class: it.plan.Class, Bulk: true}
			if ref, ok := it.desired.Fields[customer.FieldLastOrderRef].(string); ok {
				res.LastOrder = ref
			}
			it.result = &res
		}
	}
	return nil
}

func (l *Lane) waitInsightImport(ctx context.Context, id string) (dotdigital.InsightImportReport, error) {
	next := pollDelays()
	for {
		if err := sleep(ctx, next()); err != nil {
			return dotdigital.InsightImportReport{}, err
		}
		report, err := l.dd.InsightImportStatus(ctx, id)
		if err != nil && !retryable(err) {
			return report, temporalError("Insight import status", err)
		}
		if err == nil && !report.Pending() {
			if report.Failed() {
				return report, temporalError("Insight import", &dotdigital.ImportFailedError{ImportID: id, Status: report.Status})
			}
			return report, nil
		}
		heartbeat(ctx, "insight import", id)
	}
}

// heldElsewhere: the record's key belongs to another contact (an order that
// moved between customers, not yet released by its previous holder).
func heldElsewhere(f dotdigital.InsightImportFailure) bool {
	if !strings.EqualFold(f.FailureReason, "DuplicateKey") {
		return false
	}
	for _, d := range f.Details {
		if strings.Contains(strings.ToLower(d), "different contact") {
			return true
		}
	}
	return false
}

func importReason(r dotdigital.ContactImportResult) string {
	for _, f := range r.Failures {
		if strings.EqualFold(f.Code, "invalidEmail") {
			return "invalid_email"
		}
		if strings.EqualFold(f.Code, "duplicateIdentifier") || strings.EqualFold(f.Code, "Duplicate") {
			return "email_conflict"
		}
	}
	return "contact_rejected"
}

func failureCodes(r dotdigital.ContactImportResult) string {
	codes := make([]string, 0, len(r.Failures))
	for _, f := range r.Failures {
		codes = append(codes, f.Code)
	}
	return strings.Join(codes, ", ")
}
