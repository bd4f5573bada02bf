package activities

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/dotdigital"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/odoo"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/backfill"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/messages"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
)

// BackfillPlan returns the bounds of the next backfill pages: partner ids
// in id order, archived included (task queue odoo-api). Only ids travel.
func (p *Poll) BackfillPlan(ctx context.Context, req backfill.PlanRequest) (backfill.Plan, error) {
	defer keepAlive(ctx)()
	if req.PagePartners <= 0 || req.Pages <= 0 {
		return backfill.Plan{}, temporalError("plan backfill", &odoo.RequestError{Op: "backfill plan", Reason: "page size and page count must be positive"})
	}
	archived := odoo.ReadOptions{Context: map[string]any{"active_test": false}}
	domain, all := odoo.Term("id", odoo.OpGt, req.AfterID), odoo.Domain(nil)
	if req.UpToID != 0 {
		domain = odoo.And(domain, odoo.Term("id", odoo.OpLe, req.UpToID))
		all = odoo.Term("id", odoo.OpLe, req.UpToID)
	}
	ids, err := p.odoo.Search(ctx, odoo.ModelPartner, domain,
		odoo.ReadOptions{Limit: req.PagePartners * req.Pages, Order: "id asc", Context: archived.Context})
	if err != nil {
		return backfill.Plan{}, temporalError("plan backfill pages", err)
	}
	var plan backfill.Plan
	for i := req.PagePartners - 1; i < len(ids); i += req.PagePartners {
		plan.Bounds = append(plan.Bounds, ids[i])
	}
	if len(ids)%req.PagePartners != 0 {
		plan.Bounds = append(plan.Bounds, ids[len(ids)-1])
	}
	if plan.Total, err = p.odoo.SearchCount(ctx, odoo.ModelPartner, all, archived); err != nil {
		return backfill.Plan{}, temporalError("count partners", err)
	}
	return plan, nil
}

// BackfillPage loads the customers of one page of partners from Odoo and
// writes their full state to Dotdigital with bulk imports: contacts first
// (data fields, configured lists), then the Insight records of the contacts
// that landed. It writes no snapshot: the customer workflows adopt existing
// contacts later. A retried page repeats its imports, which upsert.
// Customers Dotdigital rejects are returned as failures, not errors.
func (l *Lane) BackfillPage(ctx context.Context, req backfill.PageRequest) (backfill.PageResult, error) {
	defer keepAlive(ctx)()
	res := backfill.PageResult{AfterID: req.AfterID, UpToID: req.UpToID}
	start := time.Now()
	custs, err := l.readPage(ctx, req, &res)
	if err != nil {
		return res, err
	}
	res.ReadSeconds = time.Since(start).Seconds()
	versions := versionsOf(custs)
	items := make([]*fillItem, 0, len(custs))
	for _, key := range sortedKeys(custs) {
		d := customer.Build(custs[key], l.mapping)
		if len(d.PartnerIDs) == 0 {
			// Only archived partners: nothing of theirs belongs in Dotdigital.
			res.Customers--
			for _, p := range custs[key].Partners {
				if p.ID > req.AfterID && p.ID <= req.UpToID {
					skip(&res, backfill.SkipArchived)
				}
			}
			continue
		}
		items = append(items, &fillItem{key: key, plan: customer.PlanFor(d, customer.Absent(key), false), partners: d.PartnerIDs})
	}
	custs = nil // the records are in the plans now
	w := &fillWriter{lane: l, req: req, res: &res}
	start = time.Now()
	if err := w.contacts(ctx, items); err != nil {
		return res, err
	}
	res.ContactSeconds = time.Since(start).Seconds()
	start = time.Now()
	if err := w.orders(ctx, items); err != nil {
		return res, err
	}
	res.InsightSeconds = time.Since(start).Seconds()
	if err := w.bind(ctx, items); err != nil {
		return res, err
	}
	if err := w.resyncChanged(ctx, versions); err != nil {
		return res, err
	}
	for _, it := range items {
		if it.failure != nil {
			res.Failures = append(res.Failures, *it.failure)
		}
	}
	l.logger.Info("backfill page done", "afterId", req.AfterID, "upToId", req.UpToID, "partners", res.Partners, "resynced", res.Resynced,
		"customers", res.Customers, "orders", res.OrdersImported, "failures", len(res.Failures),
		"read", time.Duration(res.ReadSeconds*float64(time.Second)).Round(time.Millisecond),
		"contacts", time.Duration(res.ContactSeconds*float64(time.Second)).Round(time.Millisecond),
		"insight", time.Duration(res.InsightSeconds*float64(time.Second)).Round(time.Millisecond))
	return res, nil
}

func (l *Lane) readPage(ctx context.Context, req backfill.PageRequest, res *backfill.PageResult) (map[string]customer.Customer, error) {
	release, err := l.load.acquire(ctx) // one of this worker's Odoo slots
	if err != nil {
		return nil, err
	}
	defer release()
	excluded, err := l.load.excluded.set(ctx)
	if err != nil {
		return nil, err
	}
	r, err := newPageReader(ctx, l.load.odoo, excluded)
	if err != nil {
		return nil, temporalError("read backfill page", err)
	}
	custs, err := r.read(ctx, req, res)
	if err != nil {
		return nil, temporalError("read backfill page", err)
	}
	return custs, nil
}

// fillItem is one customer of a page.
type fillItem struct {
	key      string
	plan     customer.Plan
	partners []int64 // active partners: bound to the customer once it landed
	landed   bool    // the contact import acknowledged the contact
	failure  *backfill.Failure
}

func (it *fillItem) fail(reason, detail string) {
	if it.failure == nil { // the first reason explains the rest
		if len(detail) > 200 {
			detail = detail[:200]
		}
		it.failure = &backfill.Failure{Key: it.key, Reason: reason, Detail: detail}
	}
}

// fillWriter sends one page's imports.
type fillWriter struct {
	lane *Lane
	req  backfill.PageRequest
	mu   sync.Mutex // res and items' failures, written by parallel Insight imports
	res  *backfill.PageResult
}

// contacts imports the contacts of the page, ContactBatch per import.
func (w *fillWriter) contacts(ctx context.Context, items []*fillItem) error {
	l := w.lane
	batch := max(w.req.ContactBatch, 1)
	for start := 0; start < len(items); start += batch {
		chunk := items[start:min(start+batch, len(items))]
		rows := make([]dotdigital.ImportContact, 0, len(chunk))
		for _, it := range chunk {
			ids, err := l.listIDs(ctx, it.plan.AddLists)
			if err != nil {
				return err
			}
			rows = append(rows, dotdigital.ImportContact{Email: it.key, DataFields: it.plan.Fields, Lists: ids})
		}
		var id string
		err := submit(ctx, l.pace, func() (err error) { id, err = l.dd.ImportContacts(ctx, rows, dotdigital.MergeOverwrite); return err })
		if err != nil {
			return temporalError("import contacts", err)
		}
		w.res.ContactImports++
		l.count(ctx, "contact_import", "backfill", 1)
		report, err := waitImport(ctx, func(ctx context.Context) (dotdigital.ContactImportReport, bool, error) {
			r, err := l.dd.ContactImportStatus(ctx, id)
			return r, err == nil && !r.Pending(), err
		})
		if err != nil {
			return temporalError("contact import status", err)
		}
		results := make(map[string]dotdigital.ContactImportResult, len(report.Results))
		for _, r := range report.Results {
			results[r.Email] = r
		}
		for _, it := range chunk {
			r, ok := results[it.key]
			switch {
			case report.Failed():
				it.fail(backfill.FailContactImport, "import ended with status "+report.Status)
			case !ok:
				it.fail(backfill.FailContactNotAcknowledged, "the contact import report does not mention the contact")
			case r.Outcome == dotdigital.OutcomeFailed:
				it.fail(importReason(r), "contact import rejected: "+failureCodes(r))
			default:
				it.landed = true
				if r.Outcome == dotdigital.OutcomeCreated {
					w.res.ContactsCreated++
				} else {
					w.res.ContactsUpdated++
				}
			}
		}
	}
	return nil
}

// fillRecord is one Insight record of a landed contact.
type fillRecord struct {
	it *fillItem
	r  customer.Record
}

// orders imports the Insight records of the contacts that landed, OrderBatch
// per import, InsightImports at once. ContactEmailDoesNotExist (a contact
// not visible yet) is retried twice.
func (w *fillWriter) orders(ctx context.Context, items []*fillItem) error {
	var records []fillRecord
	for _, it := range items {
		if !it.landed {
			continue
		}
		for _, r := range it.plan.Orders {
			records = append(records, fillRecord{it, r})
		}
	}
	w.res.OrdersSent = len(records)
	size := max(w.lane.orders, 1)
	n := (len(records) + size - 1) / size
	return parallel(ctx, max(w.req.InsightImports, 1), n, func(ctx context.Context, i int) error {
		return w.importChunk(ctx, records[i*size:min((i+1)*size, len(records))])
	})
}

func (w *fillWriter) importChunk(ctx context.Context, chunk []fillRecord) error {
	l := w.lane
	for attempt := 0; len(chunk) > 0; attempt++ {
		imp := dotdigital.InsightImport{CollectionName: customer.OrdersCollection, Scope: "contact", Type: "orders",
			Records: make([]dotdigital.InsightRecord, len(chunk))}
		for i, o := range chunk {
			imp.Records[i] = dotdigital.InsightRecord{Key: o.r.Key, Email: o.it.key, JSON: o.r.JSON}
		}
		var id string
		err := submit(ctx, l.pace, func() (err error) { id, err = l.dd.ImportInsight(ctx, imp); return err })
		if err != nil {
			return temporalError("import Insight records", err)
		}
		l.count(ctx, "order_import", "backfill", 1)
		report, err := waitImport(ctx, func(ctx context.Context) (dotdigital.InsightImportReport, bool, error) {
			r, err := l.dd.InsightImportStatus(ctx, id)
			return r, err == nil && !r.Pending(), err
		})
		if err != nil {
			return temporalError("Insight import status", err)
		}
		failed := make(map[string]dotdigital.InsightImportFailure, len(report.Failures))
		for _, f := range report.Failures {
			failed[f.Key] = f
		}
		var retry []fillRecord
		w.mu.Lock()
		w.res.InsightImports++
		for _, o := range chunk {
			f, bad := failed[o.r.Key]
			switch {
			case report.Failed():
				o.it.fail(backfill.FailInsightImport, "import ended with status "+report.Status)
			case !bad:
				w.res.OrdersImported++
			case f.ContactEmailDoesNotExist() && attempt < 2:
				retry = append(retry, o)
			case f.ContactEmailDoesNotExist():
				o.it.fail(backfill.FailContactMissing, "sale.order "+o.r.Key+": "+f.FailureReason)
			default:
				o.it.fail(backfill.FailRecordRejected, "sale.order "+o.r.Key+": "+f.FailureReason+" "+strings.Join(f.Details, "; "))
			}
		}
		w.mu.Unlock()
		chunk = retry
		if len(chunk) > 0 {
			if err := sleep(ctx, 2*importPoll); err != nil {
				return err
			}
		}
	}
	return nil
}

// submitAttempts bounds how often one import submission is retried in place
// (429 too many active imports, 5xx) before the page fails and Temporal
// retries it.
const submitAttempts = 8

// submit sends an import, waiting out the concurrency limits (the live lanes
// import too) and transient errors, and pacing on the rate-limit headers.
func submit(ctx context.Context, pace *Pacer, send func() error) error {
	backoff := 500 * time.Millisecond
	for attempt := 1; ; attempt++ {
		if err := pace.wait(ctx, ""); err != nil {
			return err
		}
		err := send()
		if err == nil || !retryable(err) || attempt == submitAttempts {
			return err
		}
		wait := backoff
		if d, ok := dotdigital.RetryAfter(err); ok && d > wait {
			wait = d
		}
		heartbeat(ctx, "import submission retry")
		if err := sleep(ctx, wait); err != nil {
			return err
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

// waitImport polls an import until poll reports it finished, from every
// 200 ms up to every importPoll: backfill imports are many and the next
// page's reading overlaps the wait, so a prompt answer matters.
func waitImport[T any](ctx context.Context, poll func(context.Context) (T, bool, error)) (T, error) {
	every := 200 * time.Millisecond
	for {
		rep, done, err := poll(ctx)
		if err != nil && !retryable(err) {
			return rep, err
		}
		if done {
			return rep, nil
		}
		heartbeat(ctx, "waiting for import")
		if err := sleep(ctx, every); err != nil {
			return rep, err
		}
		every = min(every*3/2, max(importPoll, 200*time.Millisecond))
	}
}

// keepAlive heartbeats while the activity runs, so that a worker that dies
// is noticed within the heartbeat timeout, however long one Odoo call takes
// (each call has its own timeout). It returns the function that stops it.
func keepAlive(ctx context.Context) func() {
	if !activity.IsActivity(ctx) {
		return func() {}
	}
	timeout := activity.GetInfo(ctx).HeartbeatTimeout
	if timeout <= 0 {
		return func() {}
	}
	every := min(max(timeout/4, 100*time.Millisecond), 10*time.Second)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				activity.RecordHeartbeat(ctx, "alive")
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// bind records the page's landed customers in the partner index, so that
// a later email change, merge, archive or deletion of one of their
// partners is followed to the contact the page wrote. It never replaces a
// binding the live sync made meanwhile (IfAbsent): that one is newer.
func (w *fillWriter) bind(ctx context.Context, items []*fillItem) error {
	var binds []messages.Bind
	for _, it := range items {
		if it.landed {
			binds = append(binds, messages.Bind{Key: it.key, Claim: it.partners, IfAbsent: true})
			w.res.Bound += len(it.partners)
		}
	}
	if _, err := w.lane.index.bind(ctx, binds); err != nil {
		return err
	}
	return nil
}

// pageVersions is what a page read of each partner and order: their
// write_date, to tell afterwards which changed while the page was in flight.
type pageVersions struct {
	keyOf    map[int64]string    // partner id -> the customer key it had
	partners map[int64]time.Time // partner id -> write_date read
	orders   map[int64]time.Time // order id -> write_date read
}

func versionsOf(custs map[string]customer.Customer) pageVersions {
	v := pageVersions{keyOf: map[int64]string{}, partners: map[int64]time.Time{}, orders: map[int64]time.Time{}}
	for key, c := range custs {
		for _, p := range c.Partners {
			v.keyOf[p.ID], v.partners[p.ID] = key, p.WriteDate
		}
		for _, o := range c.Orders {
			v.orders[o.ID] = o.WriteDate
		}
	}
	return v
}

// resyncChanged tells the page's customers that changed in Odoo while the
// page was in flight (a partner or order written since the page read it, or
// a new order) to resync against what Dotdigital holds: a live write of the
// change may have landed before the page's import of older data. It reads
// back only ids and write dates.
func (w *fillWriter) resyncChanged(ctx context.Context, v pageVersions) error {
	ids := make([]int64, 0, len(v.partners))
	for id := range v.partners {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	changed := map[string]bool{}
	o := w.lane.load.odoo
	archived := odoo.ReadOptions{Context: map[string]any{"active_test": false}}
	for _, chunk := range chunked(ids, backfillChunk) {
		partners, err := o.SearchRead(ctx, odoo.ModelPartner, odoo.Term("id", odoo.OpIn, chunk), []string{"id", "write_date"}, archived)
		if err != nil {
			return temporalError("re-read the page's partners", err)
		}
		for _, r := range partners {
			if !r.Time("write_date").Equal(v.partners[r.ID()]) {
				changed[v.keyOf[r.ID()]] = true
			}
		}
		orders, err := o.SearchRead(ctx, odoo.ModelSaleOrder, odoo.Term("partner_id", odoo.OpIn, chunk), []string{"id", "partner_id", "write_date"}, archived)
		if err != nil {
			return temporalError("re-read the page's orders", err)
		}
		for _, r := range orders {
			if seen, ok := v.orders[r.ID()]; !ok || !r.Time("write_date").Equal(seen) {
				changed[v.keyOf[r.Many2One("partner_id").ID]] = true
			}
		}
	}
	delete(changed, "")
	keys := sortedKeys(changed)
	hint := messages.Hint{Kind: messages.HintResync, Class: customer.ClassOrder, Force: true, SeenAt: now()}
	err := parallel(ctx, 8, len(keys), func(ctx context.Context, i int) error {
		return w.lane.signalCustomer(ctx, keys[i], names.SignalChange, hint)
	})
	if err != nil {
		return temporalError("resync customers changed during the page", err)
	}
	w.res.Resynced = len(keys)
	return nil
}
