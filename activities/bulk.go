package activities

import (
	"context"
	"sync"
	"time"

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
	req      messages.LaneRequest
	customer customer.Customer
	desired  customer.Desired
	plan     customer.Plan
	snap     customer.Snapshot
	// created/contactID: what the contact import said about this contact.
	created   bool
	contactID int64
	deleted   []string             // record keys deleted (their new owners are told)
	lost      []int64              // partners released (their new customers are told)
	result    *messages.LaneResult // set when the item is finished
}

// SyncBatch brings many customers up to date with bulk imports: one v3
// contact import, then one Insight import per OrderBatch records (contacts
// land before the orders that need them). Results reach each customer by
// signal. What needs single calls is done with single calls: records that
// left a customer are deleted before the Insight import (so that customers
// swapping orders never wait on each other), list removals and vanished
// customers after it.
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
	var tPrep, tContacts, tOrders time.Duration
	defer func() {
		l.logger.Debug("bulk sync", "customers", len(reqs), "class", reqs[0].Class.String(), "took", time.Since(t0),
			"prepare", tPrep, "contacts", tContacts, "orders", tOrders)
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
	if err := l.learnBatch(ctx, items); err != nil {
		return sum, err
	}
	if err := l.deleteLeftRecords(ctx, items, &sum); err != nil {
		return sum, err
	}
	tContacts = time.Since(t0) - tPrep
	if err := l.importOrders(ctx, items); err != nil {
		return sum, err
	}
	tOrders = time.Since(t0) - tPrep - tContacts
	if err := l.finishBatch(ctx, items, &sum); err != nil {
		return sum, err
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

// prepareBatch loads the batch's customers from Odoo and their snapshots
// from their workflows, reads what Dotdigital holds where a resync needs
// it, claims every customer's partners in one bind per index shard, and
// plans each write. A customer that received partners from another and has
// no contact yet waits for that one's handover (OutcomeAwaiting).
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
	custs, err := l.load.Customers(ctx, keys)
	if err != nil {
		return nil, temporalError("load customers from Odoo", err)
	}
	for _, it := range items {
		it.customer = custs[it.req.Key]
		it.desired = customer.Build(it.customer, l.mapping)
	}
	if err := l.adoptWhere(ctx, items, func(it *bulkItem) bool { return it.req.Force && len(it.desired.PartnerIDs) > 0 }); err != nil {
		return nil, err
	}
	waiting, err := l.claimBatch(ctx, items)
	if err != nil {
		return nil, err
	}
	if err := l.adoptWhere(ctx, items, func(it *bulkItem) bool { return waiting[it] != nil && !it.snap.Known() }); err != nil {
		return nil, err
	}
	for _, it := range items {
		if prev := waiting[it]; prev != nil && !it.snap.ContactExists {
			snap := it.snap
			it.result = &messages.LaneResult{Seq: it.req.Seq, Outcome: messages.OutcomeAwaiting, Awaiting: l.customerIDs(prev),
				Snapshot: &snap, Class: it.req.Class, Bulk: true}
			continue
		}
		it.plan = customer.PlanFor(it.desired, it.snap, it.req.Force)
	}
	return items, nil
}

// adoptWhere reads what Dotdigital holds for the items that need it.
func (l *Lane) adoptWhere(ctx context.Context, items []*bulkItem, need func(*bulkItem) bool) error {
	return parallel(ctx, 16, len(items), func(ctx context.Context, i int) error {
		it := items[i]
		if !need(it) {
			return nil
		}
		s, err := l.adopt(ctx, it.req.Key)
		it.snap = s
		return err
	})
}

// claimBatch binds every item's partners (one update per index shard for
// the whole batch), tells the previous owners, and returns, per item, the
// partners that another customer held.
func (l *Lane) claimBatch(ctx context.Context, items []*bulkItem) (map[*bulkItem]map[int64]string, error) {
	var binds []messages.Bind
	itemOf := map[int64]*bulkItem{}
	for _, it := range items {
		if len(it.desired.PartnerIDs) == 0 {
			continue // vacating: the single path releases
		}
		b := bindOf(it.req, it.snap, it.desired)
		it.lost = b.Release
		binds = append(binds, b)
		for _, id := range it.desired.PartnerIDs {
			itemOf[id] = it
		}
	}
	previous, err := l.index.bind(ctx, binds)
	if err != nil {
		return nil, err
	}
	out := map[*bulkItem]map[int64]string{}
	for id, key := range previous {
		it := itemOf[id]
		if it == nil || key == it.req.Key {
			continue
		}
		if out[it] == nil {
			out[it] = map[int64]string{}
		}
		out[it][id] = key
	}
	var mu sync.Mutex
	var list []*bulkItem
	for it := range out {
		list = append(list, it)
	}
	err = parallel(ctx, 8, len(list), func(ctx context.Context, i int) error {
		mu.Lock()
		it, prev := list[i], out[list[i]]
		mu.Unlock()
		return l.tellPrevious(ctx, it.req.Key, prev)
	})
	return out, err
}

// deleteLeftRecords deletes, with single calls, the records of orders that
// left a customer, before the Insight import writes anyone's records.
func (l *Lane) deleteLeftRecords(ctx context.Context, items []*bulkItem, sum *messages.SyncSummary) error {
	for _, it := range items {
		if it.result != nil || !it.snap.ContactExists || len(it.desired.PartnerIDs) == 0 {
			continue
		}
		p := customer.PlanFor(it.desired, it.snap, false)
		if len(p.DeleteOrders) == 0 {
			continue
		}
		w := &writer{lane: l, req: it.req, desired: it.desired, snap: it.snap, path: "bulk"}
		if err := w.deleteOrders(ctx, p.DeleteOrders); err != nil {
			return err
		}
		it.snap, it.deleted = w.snap, append(it.deleted, w.deleted...)
		sum.Writes += w.writes
	}
	return nil
}

// finishBatch completes what the imports did not: customers whose partners
// all left (single path), list removals, and telling the new owners of
// deleted records.
func (l *Lane) finishBatch(ctx context.Context, items []*bulkItem, sum *messages.SyncSummary) error {
	for _, it := range items {
		if it.result == nil && len(it.desired.PartnerIDs) == 0 {
			res, writes, err := l.vacate(ctx, it.req, it.snap, it.customer)
			if err != nil {
				return err
			}
			res.Bulk = true
			it.result = &res
			sum.Writes += writes
			continue
		}
		if it.result == nil {
			w := &writer{lane: l, req: it.req, desired: it.desired, snap: it.snap, path: "bulk"}
			res, err := w.run(ctx, customer.PlanFor(it.desired, it.snap, false))
			if err != nil {
				return err
			}
			res.Bulk = true
			it.result = &res
			sum.Writes += w.writes
			it.deleted = append(it.deleted, w.deleted...)
		}
		if err := l.release(ctx, it.req, it.lost, it.deleted); err != nil {
			return err
		}
	}
	return nil
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
