package main

import (
	"container/heap"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/dotdigital"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
)

// changeKind is what a tracked Odoo change should produce in Dotdigital.
type changeKind string

const (
	kindOrder   changeKind = "order"   // a confirmed order: its Insight record exists
	kindCancel  changeKind = "cancel"  // a cancelled order: its record says cancelled
	kindProfile changeKind = "profile" // a profile field holds the new value
	kindStatus  changeKind = "status"  // a status field (CUSTOMER_TYPE, IS_VIP) holds the new value
)

// change is one Odoo change whose acknowledgement by Dotdigital is awaited.
type change struct {
	kind  changeKind
	key   string // customer key (normalised email)
	order int64
	field string
	want  string
	// at is when the Odoo call that made the change returned.
	at time.Time
	// ack is Dotdigital's own acknowledgement time: the Insight record's
	// created time (orders), its updated time (cancellations), the
	// contact's updated time (fields).
	ack  time.Time
	done bool
	// latest is the newest change of the same field of the same customer:
	// an older one is acknowledged when a newer value lands (coalesced).
	latest *change

	checks int
	due    time.Time
	index  int
}

func (c *change) lag() time.Duration { return c.ack.Sub(c.at) }

// tracker finds out when Dotdigital acknowledged each change, through the
// REST API (single reads, high tier). Reads are paced: at most perTick
// checks every tick, each change backing off between its checks. Since the
// acknowledgement times are Dotdigital's own, a late look does not change
// the measurement; it only costs the harness fewer calls.
type tracker struct {
	ddc        *dotdigital.Client
	perTick    int
	tick       time.Duration
	maxBackoff time.Duration

	mu      sync.Mutex
	all     []*change
	queue   changeQueue
	fields  map[string][]*change // key+field -> its pending changes, oldest first
	changed chan struct{}
}

func newTracker(ddc *dotdigital.Client, perTick int, maxBackoff time.Duration) *tracker {
	return &tracker{ddc: ddc, perTick: perTick, tick: 50 * time.Millisecond, maxBackoff: maxBackoff,
		fields: map[string][]*change{}, changed: make(chan struct{}, 1)}
}

// track registers a change made at c.at.
func (t *tracker) track(c *change) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c.due = c.at.Add(100 * time.Millisecond)
	c.latest = c
	if c.kind == kindProfile || c.kind == kindStatus {
		fk := fieldKey(c)
		for _, old := range t.fields[fk] {
			// An older value may never be seen: it is acknowledged with
			// this one (the sync coalesces them), or on its own if seen.
			old.latest = c
			if old.index >= 0 {
				heap.Remove(&t.queue, old.index)
			}
		}
		t.fields[fk] = append(t.fields[fk], c)
	}
	t.all = append(t.all, c)
	heap.Push(&t.queue, c)
}

func fieldKey(c *change) string { return c.key + "\x00" + c.field }

// busy reports whether a field change of the customer is still pending (the
// traffic then leaves it alone, so that a later write does not move the
// contact's updated time before the change was seen).
func (t *tracker) busy(key string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, f := range []string{customer.FieldFullName, customer.FieldCustomerType, customer.FieldIsVIP} {
		if len(t.fields[key+"\x00"+f]) > 0 {
			return true
		}
	}
	return false
}

// acked reports whether the change was acknowledged.
func (t *tracker) acked(c *change) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return c.done
}

// run checks due changes until ctx ends.
func (t *tracker) run(ctx context.Context) {
	tick := time.NewTicker(t.tick)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now := time.Now()
		var due []*change
		t.mu.Lock()
		for len(due) < t.perTick && t.queue.Len() > 0 && !t.queue[0].due.After(now) {
			due = append(due, heap.Pop(&t.queue).(*change))
		}
		t.mu.Unlock()
		for _, c := range due {
			ack, ok := t.check(ctx, c)
			t.mu.Lock()
			switch {
			case ok:
				t.resolve(c, ack)
			case c.done || c.latest != c:
				// acknowledged meanwhile, or superseded: the newer change is checked
			default:
				c.checks++
				backoff := time.Duration(float64(100*time.Millisecond) * pow(1.5, c.checks))
				if backoff > t.maxBackoff {
					backoff = t.maxBackoff
				}
				c.due = time.Now().Add(backoff)
				heap.Push(&t.queue, c)
			}
			t.mu.Unlock()
		}
		if len(due) > 0 {
			select {
			case t.changed <- struct{}{}:
			default:
			}
		}
	}
}

// resolve marks c acknowledged, and with a field change the older pending
// changes of the same field (their values were overwritten by c's).
func (t *tracker) resolve(c *change, ack time.Time) {
	if c.done {
		return
	}
	c.ack, c.done = ack, true
	if c.kind != kindProfile && c.kind != kindStatus {
		return
	}
	fk := fieldKey(c)
	list := t.fields[fk]
	at := -1
	for i, o := range list {
		if o == c {
			at = i
			break
		}
	}
	for _, o := range list[:at+1] {
		o.ack, o.done = ack, true
	}
	if rest := list[at+1:]; len(rest) > 0 {
		t.fields[fk] = rest
	} else {
		delete(t.fields, fk)
	}
}

func pow(b float64, n int) float64 {
	r := 1.0
	for i := 0; i < n && r < 1e6; i++ {
		r *= b
	}
	return r
}

// check reads Dotdigital once for the change.
func (t *tracker) check(ctx context.Context, c *change) (time.Time, bool) {
	switch c.kind {
	case kindOrder, kindCancel:
		r, err := t.ddc.GetContactRecord(ctx, customer.OrdersCollection, c.key, customer.RecordKey(c.order))
		if err != nil {
			return time.Time{}, false
		}
		if c.kind == kindOrder {
			return r.Created, true
		}
		var body struct {
			Status string `json:"status"`
		}
		if json.Unmarshal(r.JSON, &body) == nil && strings.EqualFold(body.Status, "cancelled") {
			return r.Updated, true
		}
		return time.Time{}, false
	default:
		ct, err := t.ddc.GetContact(ctx, c.key, dotdigital.WithDataFields(c.field))
		if err != nil {
			return time.Time{}, false
		}
		if fieldText(ct.DataFields, c.field) == c.want {
			return ct.Updated, true
		}
		return time.Time{}, false
	}
}

// fieldText renders a data field value for comparison ("" for null).
func fieldText(fields map[string]any, name string) string {
	for k, v := range fields {
		if strings.EqualFold(k, name) {
			if v == nil {
				return ""
			}
			return strings.ToLower(strings.TrimSpace(fmt.Sprint(v)))
		}
	}
	return ""
}

// wait blocks until every change is acknowledged or the deadline passes,
// and returns the changes still not acknowledged.
func (t *tracker) wait(ctx context.Context, deadline time.Time) []*change {
	for {
		t.mu.Lock()
		var open []*change
		for _, c := range t.all {
			if !c.done {
				open = append(open, c)
			}
		}
		t.mu.Unlock()
		if len(open) == 0 || !time.Now().Before(deadline) || ctx.Err() != nil {
			return open
		}
		select {
		case <-t.changed:
		case <-time.After(200 * time.Millisecond):
		case <-ctx.Done():
		}
	}
}

// lags returns the lags of the acknowledged changes of the kinds.
func (t *tracker) lags(kinds ...changeKind) []time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []time.Duration
	for _, c := range t.all {
		if c.done && hasKind(kinds, c.kind) {
			out = append(out, c.lag())
		}
	}
	return out
}

// changes returns the tracked changes of the kinds.
func (t *tracker) changes(kinds ...changeKind) []*change {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []*change
	for _, c := range t.all {
		if hasKind(kinds, c.kind) {
			out = append(out, c)
		}
	}
	return out
}

func hasKind(kinds []changeKind, k changeKind) bool {
	for _, x := range kinds {
		if x == k {
			return true
		}
	}
	return false
}

// changeQueue orders changes by when they are due for a check.
type changeQueue []*change

func (q changeQueue) Len() int           { return len(q) }
func (q changeQueue) Less(i, j int) bool { return q[i].due.Before(q[j].due) }
func (q changeQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}
func (q *changeQueue) Push(x any) {
	c := x.(*change)
	c.index = len(*q)
	*q = append(*q, c)
}
func (q *changeQueue) Pop() any {
	old := *q
	c := old[len(old)-1]
	old[len(old)-1] = nil
	c.index = -1
	*q = old[:len(old)-1]
	return c
}
