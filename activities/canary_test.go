package activities

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/dotdigital"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/odoo"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/dotdigital/ddemu"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/odoo/odooemu"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
)

// canaryStack is the canary against both emulators, with Odoo's clock ten
// minutes behind, so that every order looks ten minutes old.
type canaryStack struct {
	t    *testing.T
	ctx  context.Context
	oc   *odoo.Client
	dd   *dotdigital.Client
	lane *Lane
	logs *bytes.Buffer
}

const canaryOdooLag = 10 * time.Minute

func newCanaryStack(t *testing.T) *canaryStack {
	oemu, err := odooemu.New(odooemu.Options{Now: func() time.Time { return time.Now().Add(-canaryOdooLag) }})
	require.NoError(t, err)
	require.NoError(t, oemu.Start("127.0.0.1:0"))
	t.Cleanup(func() { _ = oemu.Close() })
	demu, err := ddemu.New(ddemu.Options{APIUser: "apiuser-1@apiconnector.com", APIPassword: "pw-Secret-1", ImportDelay: 10 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, demu.Start("127.0.0.1:0"))
	t.Cleanup(func() { _ = demu.Close() })

	oc, err := odoo.New(odoo.Config{URL: oemu.URL(), DB: "odoo", Login: "admin", APIKey: "admin"})
	require.NoError(t, err)
	dd, err := dotdigital.New(dotdigital.Config{APIUser: "apiuser-1@apiconnector.com", APIPassword: "pw-Secret-1", Endpoint: demu.URL()})
	require.NoError(t, err)
	t.Cleanup(dd.CloseIdleConnections)
	s := &canaryStack{t: t, ctx: context.Background(), oc: oc, dd: dd, logs: &bytes.Buffer{}}
	s.lane = NewLane(Deps{Odoo: oc, Dotdigital: dd, OdooConcurrency: 1, Logger: slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Mapping: customer.Settings{Currency: "EUR", CurrencyRates: map[string]float64{"EUR": 1, "USD": 0.92, "GBP": 1.17, "CHF": 1.05}}})
	_, err = dd.EnsureDataFields(s.ctx, dataFields())
	require.NoError(t, err)
	_, err = dd.CreateCollection(s.ctx, customer.OrdersCollection, "contact", "orders")
	require.NoError(t, err)
	return s
}

func dataFields() []dotdigital.DataField {
	out := make([]dotdigital.DataField, 0, len(customer.Fields))
	for _, f := range customer.Fields {
		out = append(out, dotdigital.DataField{Name: f.Name, Type: f.Type, Visibility: "Private"})
	}
	return out
}

// confirmedOrder creates a partner (email may be empty) and a confirmed order.
func (s *canaryStack) confirmedOrder(email string) (orderID int64, name string) {
	products, err := s.oc.Search(s.ctx, "product.product", nil, odoo.ReadOptions{Limit: 1})
	require.NoError(s.t, err)
	require.NotEmpty(s.t, products)
	vals := map[string]any{"name": "Canary Customer"}
	if email != "" {
		vals["email"] = email
	}
	partner, err := s.oc.Create(s.ctx, "res.partner", vals)
	require.NoError(s.t, err)
	orderID, err = s.oc.Create(s.ctx, "sale.order", map[string]any{
		"partner_id": partner,
		"order_line": []any{[]any{0, 0, map[string]any{"product_id": products[0], "product_uom_qty": 2}}},
	})
	require.NoError(s.t, err)
	_, err = s.oc.Call(s.ctx, "sale.order", "action_confirm", []any{[]int64{orderID}}, nil)
	require.NoError(s.t, err)
	recs, err := s.oc.Read(s.ctx, "sale.order", []int64{orderID}, []string{"name"})
	require.NoError(s.t, err)
	return orderID, recs[0].String("name")
}

// synced writes what the sync would: the contact's fields and every record.
func (s *canaryStack) synced(email string) customer.Desired {
	custs, err := s.lane.load.Customers(s.ctx, []string{email})
	require.NoError(s.t, err)
	d := customer.Build(custs[email], s.lane.mapping)
	_, _, err = s.dd.UpsertContact(s.ctx, email, dotdigital.ContactUpdate{DataFields: d.Fields})
	require.NoError(s.t, err)
	for _, r := range d.Orders {
		_, err := s.dd.PutOrderRecord(s.ctx, customer.OrdersCollection, email, r.Key, r.JSON)
		require.NoError(s.t, err)
	}
	return d
}

func (s *canaryStack) canary(grace time.Duration) lagCanary {
	res, err := s.lane.Canary(s.ctx, CanaryRequest{Size: 5, Grace: grace})
	require.NoError(s.t, err)
	return lagCanary{Checked: res.Checked, Misses: res.Misses, MissAge: res.MissAge, MissOrder: res.MissOrder, MissReason: res.MissReason}
}

type lagCanary struct {
	Checked, Misses       int
	MissAge               time.Duration
	MissOrder, MissReason string
}

func TestCanary(t *testing.T) {
	s := newCanaryStack(t)
	const email = "canary.buyer@example.com"
	orderID, name := s.confirmedOrder(email)
	d := s.synced(email)

	got := s.canary(time.Minute)
	assert.Equal(t, lagCanary{Checked: 1}, got, "everything in Dotdigital: no miss")

	assert.Equal(t, lagCanary{}, s.canary(20*time.Minute), "orders within the grace period are in flight: not checked")

	// the Insight record is gone
	key := customer.RecordKey(orderID)
	require.NoError(t, s.dd.DeleteContactRecord(s.ctx, customer.OrdersCollection, email, key))
	got = s.canary(time.Minute)
	assert.Equal(t, 1, got.Checked)
	assert.Equal(t, 1, got.Misses)
	assert.Equal(t, "Insight record missing", got.MissReason)
	assert.Contains(t, got.MissOrder, name)
	assert.InDelta(t, canaryOdooLag.Seconds(), got.MissAge.Seconds(), 10)

	// the record is there with a wrong total
	wrong := map[string]any{}
	for k, v := range d.Orders[key].JSON {
		wrong[k] = v
	}
	wrong["orderTotal"] = 1.23
	_, err := s.dd.PutOrderRecord(s.ctx, customer.OrdersCollection, email, key, wrong)
	require.NoError(t, err)
	assert.Equal(t, "Insight record orderTotal differs", s.canary(time.Minute).MissReason)

	// the record is right, the contact's purchase fields are not
	_, err = s.dd.PutOrderRecord(s.ctx, customer.OrdersCollection, email, key, d.Orders[key].JSON)
	require.NoError(t, err)
	_, _, err = s.dd.UpsertContact(s.ctx, email, dotdigital.ContactUpdate{DataFields: map[string]any{customer.FieldTotalSpent: 0.5}})
	require.NoError(t, err)
	got = s.canary(time.Minute)
	assert.Equal(t, 1, got.Misses)
	assert.Equal(t, "TOTAL_SPENT differs", got.MissReason)

	// fixed again; an order of a partner without email is not sampled
	s.synced(email)
	s.confirmedOrder("")
	assert.Equal(t, lagCanary{Checked: 1}, s.canary(time.Minute))

	assert.NotContains(t, s.logs.String(), email, "no emails in logs")
	assert.True(t, strings.Contains(s.logs.String(), "canary"), s.logs.String())
}

func TestCanaryContactMissing(t *testing.T) {
	s := newCanaryStack(t)
	s.confirmedOrder("never.synced@example.com")
	got := s.canary(time.Minute)
	assert.Equal(t, 1, got.Misses)
	assert.Equal(t, "contact missing", got.MissReason)
	assert.NotContains(t, s.logs.String(), "never.synced")
}
