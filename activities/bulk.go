package activities

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/dotdigital"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/messages"
)

// importPoll is how often bulk imports are polled (the reference advises
// 5-30 s against the real API; the emulator finishes faster, and a poll is a
// cheap high-tier call).
var importPoll = 2 * time.Second

// backlogBatch: a batch this large means a backlog (the lane's default
// bulk threshold); while such batches run, customers queue in the lane.
const backlogBatch = 16

// bulkItem is one customer of a bulk import.
type bulkItem struct {
	req     messages.LaneRequest
	desired customer.Desired
	plan    customer.Plan
	snap    customer.Snapshot
	result  *messages.LaneResult // set when the item is finished
}

// SyncBatch brings many customers up to date with bulk imports: one v3
// contact import, then one Insight import per OrderBatch records (contacts
// land before the orders that need them). Results reach each customer by
// signal. Items that need single calls (list removals, record deletions,
// vanished customers) are finished with single calls after the imports.
func (l *Lane) SyncBatch(ctx context.Context, reqs []messages.LaneRequest) (messages.SyncSummary, error) {
	sum := messages.SyncSummary{Customers: len(reqs)}
	t0 := time.Now()
	if len(reqs) >= backlogBatch {
		l.pace.Backlogged()
	}
	// A batch that would only wait for the next window inside this
	// activity goes back to the lane instead: it gathers what arrives
	// meanwhile, so that the window's few imports carry everything.
	if d := l.pace.wouldWait(ScopeImport, time.Now(), requestsClass(reqs)); d > minDeferral {
		sum.Deferred, sum.RetryAfter, sum.ImportPressure = true, d, true
		sum.WritePressure, _ = l.pressure(ctx)
		return sum, nil
	}
	var tPrep, tContacts, tOrders, tRest time.Duration
	defer func() {
		l.logger.Debug("bulk sync", "customers", len(reqs), "class", reqs[0].Class.String(), "took", time.Since(t0),
			"prepare", tPrep, "contacts", tContacts, "orders", tOrders, "rest", tRest)
	}()
	items, err := l.prepareBatch(ctx, reqs)
	if err != nil {
		return sum, err
	}
	tPrep = time.Since(t0)
	heartbeat(ctx, "prepared", len(items))
	if err := l.importContacts(ctx, items); err != nil {
		return sum, err
	}
	tContacts = time.Since(t0) - tPrep
	if err := l.importOrders(ctx, items); err != nil {
		return sum, err
	}
	tOrders = time.Since(t0) - tPrep - tContacts
	defer func() { tRest = time.Since(t0) - tPrep - tContacts - tOrders }()
	// Finish the rest with single calls, then deliver every result.
	for _, it := range items {
		if it.result == nil && len(it.desired.PartnerIDs) == 0 && !it.snap.ContactExists {
			it.result = &messages.LaneResult{Seq: it.req.Seq, Outcome: messages.OutcomeOK, Snapshot: &it.snap, AckAt: now(), Bulk: true}
		}
		if it.result == nil && len(it.desired.PartnerIDs) == 0 {
			// Vacated customers (all partners left) take the single path.
			res, writes, err := l.vacate(ctx, it.req, it.snap)
			if err != nil {
				return sum, err
			}
			res.Bulk = true
			it.result = &res
			sum.Writes += writes
			continue
		}
		if it.result == nil {
			w := &writer{lane: l, req: it.req, desired: it.desired, snap: it.snap, path: "bulk"}
			rest := customer.PlanFor(it.desired, it.snap, false)
			res, err := w.run(ctx, rest)
			if err != nil {
				return sum, err
			}
			res.Bulk = true
			it.result = &res
			sum.Writes += w.writes
		}
	}
	err = parallel(ctx, 16, len(items), func(ctx context.Context, i int) error {
		it := items[i]
		return l.tell(ctx, it.req, *it.result)
	})
	for _, it := range items {
		if it.result.Outcome == messages.OutcomeBlocked {
			sum.Blocked++
		} else {
			sum.OK++
		}
	}
	sum.WritePressure, sum.ImportPressure = l.pressure(ctx)
	return sum, err
}

func (l *Lane) prepareBatch(ctx context.Context, reqs []messages.LaneRequest) ([]*bulkItem, error) {
	items := make([]*bulkItem, len(reqs))
	keys := make([]string, len(reqs))
	for i, r := range reqs {
		items[i] = &bulkItem{req: r}
		keys[i] = r.Key
	}
	if err := parallel(ctx, 16, len(items), func(ctx context.Context, i int) error {
		s, err := l.snapshotOf(ctx, items[i].req.CustomerID)
		items[i].snap = s
		return err
	}); err != nil {
		return nil, temporalError("query customer states", err)
	}
	// A profile change of a customer the lane has no snapshot of (loaded by
	// the backfill, or its workflow's history expired): adopt what
	// Dotdigital holds (two high-tier reads), so that the import carries
	// the changed fields only, not every Insight record again.
	if err := parallel(ctx, 16, len(items), func(ctx context.Context, i int) error {
		it := items[i]
		if it.snap.ContactExists || it.req.Class != customer.ClassProfile || it.req.Force {
			return nil
		}
		s, err := l.adopt(ctx, it.req.Key)
		if err == nil && s.ContactExists {
			it.snap = s
		}
		return err
	}); err != nil {
		return nil, err
	}
	custs, err := l.load.Customers(ctx, keys)
	if err != nil {
		return nil, temporalError("load customers from Odoo", err)
	}
	for _, it := range items {
		c := custs[it.req.Key]
		it.desired = customer.Build(c, l.mapping)
		it.plan = customer.PlanFor(it.desired, it.snap, it.req.Force)
	}
	return items, nil
}

// importContacts writes the contact part of every plan in one import.
func (l *Lane) importContacts(ctx context.Context, items []*bulkItem) error {
	var batch []dotdigital.ImportContact
	var members []*bulkItem
	for _, it := range items {
		p := it.plan
		if len(it.desired.PartnerIDs) == 0 {
			continue // vanished customers take the single path
		}
		if !(p.NewContact || len(p.Fields) > 0 || len(p.AddLists) > 0) {
			continue
		}
		ids, err := l.listIDs(ctx, p.AddLists)
		if err != nil {
			return err
		}
		batch = append(batch, dotdigital.ImportContact{Email: it.desired.Key, DataFields: p.Fields, Lists: ids})
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
		if ok && r.Outcome == dotdigital.OutcomeFailed {
			it.result = &messages.LaneResult{Seq: it.req.Seq, Outcome: messages.OutcomeBlocked, Class: it.plan.Class, Bulk: true,
				Reason: importReason(r), Detail: "contact import rejected: " + failureCodes(r), Snapshot: &it.snap}
			continue
		}
		if ok {
			it.snap = it.snap.AfterContact(it.desired, it.plan).WithLists(union(it.snap.Lists, it.plan.AddLists))
		}
		// Not in the report at all: treated as not written; the single
		// pass below writes it.
	}
	return nil
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
			imp := dotdigital.InsightImport{CollectionName: OrdersCollection, Scope: "contact", Type: "orders"}
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
					o.it.result = &messages.LaneResult{Seq: o.it.req.Seq, Outcome: messages.OutcomeBlocked, Class: o.it.plan.Class, Bulk: true,
						Reason: "rejected_record", Detail: "Insight import rejected the record: " + f.FailureReason, Record: "sale.order " + o.r.Key, Snapshot: &o.it.snap}
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

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// parallel runs fn(i) for i in [0,n) with at most limit at once and returns
// the first error.
func parallel(ctx context.Context, limit, n int, fn func(context.Context, int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for i := 0; i < n; i++ {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := fn(ctx, i); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		}(i)
	}
	wg.Wait()
	return first
}

// batchClass is the most urgent class among a batch's requests.
func batchClass(items []*bulkItem) customer.Class {
	reqs := make([]messages.LaneRequest, len(items))
	for i, it := range items {
		reqs[i] = it.req
	}
	return requestsClass(reqs)
}

// requestsClass is the most urgent class of a batch: the pacer's share.
func requestsClass(reqs []messages.LaneRequest) customer.Class {
	c := customer.ClassProfile
	for _, r := range reqs {
		if r.Class != customer.ClassNone && r.Class < c && !r.Force {
			c = r.Class
		}
	}
	return c
}

// minDeferral: shorter waits are served inside the activity.
const minDeferral = 200 * time.Millisecond
