package activities

import (
	"context"
	"encoding/json"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/dotdigital"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/odoo"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/identity"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/lag"
)

// CanaryRequest asks the canary to check a sample of recent orders.
type CanaryRequest struct {
	// Size is how many of the most recently confirmed orders to check.
	Size int `json:"size"`
	// Grace: orders changed more recently than this are still in flight
	// and are not checked.
	Grace time.Duration `json:"grace"`
}

// Canary defaults.
const (
	DefaultCanarySize  = 5
	DefaultCanaryGrace = time.Minute
	maxCanarySize      = 50
)

// canaryFields are the contact's purchase fields the canary compares.
var canaryFields = []string{customer.FieldOrderCount, customer.FieldTotalSpent, customer.FieldLastOrderRef}

// Canary checks end to end that recently confirmed orders reached
// Dotdigital: for each of the most recently confirmed Odoo orders whose last
// change is older than the grace period, that the contact's Insight record
// exists with Odoo's status and total, and that the contact's purchase
// fields (ORDER_COUNT, TOTAL_SPENT, LAST_ORDER_REF) match what Odoo implies
// now. A miss is reported with its age (time since the Odoo change
// Dotdigital does not reflect) and its order; emails never leave this
// function. It reads only, through the same pacing as the lane's writes.
func (l *Lane) Canary(ctx context.Context, req CanaryRequest) (lag.CanaryResult, error) {
	if req.Size <= 0 {
		req.Size = DefaultCanarySize
	}
	req.Size = min(req.Size, maxCanarySize)
	if req.Grace <= 0 {
		req.Grace = DefaultCanaryGrace
	}
	at := now()
	res := lag.CanaryResult{At: at}
	orders, keys, err := l.canaryOrders(ctx, req, at)
	if err != nil {
		return res, err
	}
	if len(orders) == 0 {
		return res, nil
	}
	custs, err := l.load.Customers(ctx, keys)
	if err != nil {
		return res, temporalError("canary: load customers", err)
	}
	c := canaryCheck{lane: l, at: at, grace: req.Grace, custs: custs, desired: map[string]customer.Desired{}, contacts: map[string]*dotdigital.Contact{}}
	for _, o := range orders {
		miss, checked, err := c.check(ctx, o)
		if err != nil {
			return res, err
		}
		if !checked {
			continue
		}
		res.Checked++
		if miss.reason == "" {
			continue
		}
		res.Misses++
		if miss.age > res.MissAge || res.MissOrder == "" {
			res.MissAge, res.MissReason = miss.age, miss.reason
			res.MissOrder = o.name + " (id " + strconv.FormatInt(o.id, 10) + ")"
		}
		heartbeat(ctx, "canary", res.Checked)
	}
	logger := l.logger
	if logger == nil {
		logger = slog.Default()
	}
	if res.Misses > 0 {
		logger.Warn("canary: orders missing in Dotdigital", "checked", res.Checked, "misses", res.Misses,
			"worst_order", res.MissOrder, "reason", res.MissReason, "age", lag.Round(res.MissAge).String())
	} else {
		logger.Debug("canary: sampled orders are in Dotdigital", "checked", res.Checked)
	}
	return res, nil
}

// canaryOrder is one sampled order.
type canaryOrder struct {
	id   int64
	name string
	key  string
}

// canaryOrders reads the most recently confirmed orders older than the
// grace period and the customer key of each (orders of partners without a
// valid email are not synced, so not sampled).
func (l *Lane) canaryOrders(ctx context.Context, req CanaryRequest, at time.Time) ([]canaryOrder, []string, error) {
	release, err := l.load.acquire(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer release()
	client := l.load.odoo
	v, err := client.Version(ctx)
	if err != nil {
		return nil, nil, temporalError("canary: Odoo version", err)
	}
	dom := odoo.And(odoo.Term("state", odoo.OpIn, v.ConfirmedStates()), odoo.Term("write_date", odoo.OpLt, at.Add(-req.Grace)))
	recs, err := client.SearchRead(ctx, odoo.ModelSaleOrder, dom, []string{"id", "name", "partner_id", "write_date"},
		odoo.ReadOptions{Limit: req.Size, Order: "write_date desc, id desc"})
	if err != nil {
		return nil, nil, temporalError("canary: read recent orders", err)
	}
	if len(recs) == 0 {
		return nil, nil, nil
	}
	partnerIDs := make([]int64, 0, len(recs))
	for _, r := range recs {
		partnerIDs = append(partnerIDs, r.Many2One("partner_id").ID)
	}
	partners, err := client.PartnersByIDs(ctx, uniq(partnerIDs))
	if err != nil {
		return nil, nil, temporalError("canary: read partners", err)
	}
	keyOf := map[int64]string{}
	for _, p := range partners {
		keyOf[p.ID], _ = identity.Key(p.EmailNormalized, p.Email)
	}
	var orders []canaryOrder
	var keys []string
	seen := map[string]bool{}
	for _, r := range recs {
		key := keyOf[r.Many2One("partner_id").ID]
		if key == "" {
			continue
		}
		orders = append(orders, canaryOrder{id: r.ID(), name: r.String("name"), key: key})
		if !seen[key] {
			seen[key] = true
			keys = append(keys, key)
		}
	}
	return orders, keys, nil
}

// canaryCheck compares sampled orders with Dotdigital, reading each
// customer's contact once.
type canaryCheck struct {
	lane     *Lane
	at       time.Time
	grace    time.Duration
	custs    map[string]customer.Customer
	desired  map[string]customer.Desired
	contacts map[string]*dotdigital.Contact // nil entry: no contact
}

type canaryMiss struct {
	reason string
	age    time.Duration
}

// check returns whether the order was checked and, if Dotdigital does not
// match Odoo, the miss. Orders that changed within the grace period (or are
// no longer recorded under this customer) are not checked.
func (c *canaryCheck) check(ctx context.Context, o canaryOrder) (canaryMiss, bool, error) {
	cust := c.custs[o.key]
	var order customer.Order
	var purchaseChange time.Time // newest change of any order that shapes the purchase fields
	for _, co := range cust.Orders {
		if co.ID == o.id {
			order = co
		}
		if co.Recorded() && co.WriteDate.After(purchaseChange) {
			purchaseChange = co.WriteDate
		}
	}
	if order.ID == 0 || !order.Recorded() || c.at.Sub(order.WriteDate) < c.grace {
		return canaryMiss{}, false, nil
	}
	d, ok := c.desired[o.key]
	if !ok {
		d = customer.Build(cust, c.lane.mapping)
		c.desired[o.key] = d
	}
	want, ok := d.Orders[customer.RecordKey(o.id)]
	if !ok {
		return canaryMiss{}, false, nil
	}
	orderAge := c.at.Sub(order.WriteDate)
	l := c.lane
	if err := l.pace.wait(ctx, ""); err != nil {
		return canaryMiss{}, false, err
	}
	rec, err := l.dd.GetContactRecord(ctx, customer.OrdersCollection, o.key, want.Key)
	switch {
	case dotdigital.IsContactNotFound(err):
		return canaryMiss{reason: "contact missing", age: orderAge}, true, nil
	case dotdigital.IsNotFound(err):
		return canaryMiss{reason: "Insight record missing", age: orderAge}, true, nil
	case err != nil:
		return canaryMiss{}, false, temporalError("canary: read Insight record", err)
	}
	if reason := recordDiff(want.JSON, rec.JSON); reason != "" {
		return canaryMiss{reason: reason, age: orderAge}, true, nil
	}
	if c.at.Sub(purchaseChange) < c.grace {
		return canaryMiss{}, true, nil // another order of the customer is in flight: fields may lag legitimately
	}
	contact, err := c.contact(ctx, o.key)
	if err != nil {
		return canaryMiss{}, false, err
	}
	if contact == nil {
		return canaryMiss{reason: "contact missing", age: orderAge}, true, nil
	}
	for _, f := range canaryFields {
		if !canarySame(d.Fields[f], canaryField(contact.DataFields, f)) {
			return canaryMiss{reason: f + " differs", age: c.at.Sub(purchaseChange)}, true, nil
		}
	}
	return canaryMiss{}, true, nil
}

func (c *canaryCheck) contact(ctx context.Context, key string) (*dotdigital.Contact, error) {
	if got, ok := c.contacts[key]; ok {
		return got, nil
	}
	l := c.lane
	if err := l.pace.wait(ctx, ""); err != nil {
		return nil, err
	}
	got, err := l.dd.GetContact(ctx, key, dotdigital.WithDataFields(canaryFields...))
	switch {
	case dotdigital.IsNotFound(err):
		c.contacts[key] = nil
		return nil, nil
	case err != nil:
		return nil, temporalError("canary: read contact", err)
	}
	c.contacts[key] = &got
	return &got, nil
}

// recordDiff names the first difference that matters between the record
// the sync should have written and the stored one ("" if none).
func recordDiff(want map[string]any, stored json.RawMessage) string {
	var got map[string]any
	if err := json.Unmarshal(stored, &got); err != nil {
		return "Insight record unreadable"
	}
	if !canarySame(want["status"], got["status"]) {
		return "Insight record status differs"
	}
	if !canarySame(want["orderTotal"], got["orderTotal"]) {
		return "Insight record orderTotal differs"
	}
	return ""
}

// canaryField reads a data field, tolerating a different letter case.
func canaryField(fields map[string]any, name string) any {
	if v, ok := fields[name]; ok {
		return v
	}
	for k, v := range fields {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

// canarySame compares a value the sync computed with one Dotdigital
// returned: numbers to the cent (Dotdigital may return them as strings),
// strings trimmed, null and "" alike.
func canarySame(want, got any) bool {
	if w, ok := canaryNumber(want); ok {
		g, ok := canaryNumber(got)
		if !ok {
			if s, isString := got.(string); isString {
				f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
				g, ok = f, err == nil
			}
		}
		return ok && math.Abs(w-g) < 0.005
	}
	return canaryText(want) == canaryText(got)
}

func canaryNumber(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

func canaryText(v any) string {
	switch s := v.(type) {
	case nil:
		return ""
	case string:
		return strings.TrimSpace(s)
	case bool:
		return strconv.FormatBool(s)
	}
	if f, ok := canaryNumber(v); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
