package e2e

import (
	"strconv"

	"github.com/stretchr/testify/require"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/odoo"
)

// Odoo helpers: everything goes through XML-RPC, as a shop would.

func (s *stack) ids(model string, domain odoo.Domain) []int64 {
	s.t.Helper()
	ids, err := s.OC.Search(s.ctx, model, domain, odoo.ReadOptions{Order: "id asc"})
	require.NoError(s.t, err)
	return ids
}

func (s *stack) companies() []int64 {
	ids := s.ids("res.company", odoo.Domain{})
	require.GreaterOrEqual(s.t, len(ids), 2, "the emulator has two companies")
	return ids
}

func (s *stack) product() int64 {
	ids := s.ids("product.product", odoo.Domain{})
	require.NotEmpty(s.t, ids)
	return ids[0]
}

func (s *stack) tag(name string) int64 {
	ids := s.ids("res.partner.category", odoo.Term("name", "=", name))
	if len(ids) > 0 {
		return ids[0]
	}
	id, err := s.OC.Create(s.ctx, "res.partner.category", map[string]any{"name": name})
	require.NoError(s.t, err)
	return id
}

func (s *stack) partner(vals map[string]any) int64 {
	s.t.Helper()
	if _, ok := vals["company_id"]; !ok {
		vals["company_id"] = s.companies()[0]
	}
	id, err := s.OC.Create(s.ctx, "res.partner", vals)
	require.NoError(s.t, err)
	return id
}

// order creates a sale order for partner with qty x product, and confirms it if asked.
func (s *stack) order(partner, company int64, qty float64, confirm bool) int64 {
	s.t.Helper()
	id, err := s.OC.Create(s.ctx, "sale.order", map[string]any{
		"partner_id": partner, "company_id": company,
		"order_line": []any{[]any{0, 0, map[string]any{"product_id": s.product(), "product_uom_qty": qty}}},
	})
	require.NoError(s.t, err)
	if confirm {
		s.call("sale.order", "action_confirm", id)
	}
	return id
}

func (s *stack) call(model, method string, id int64) {
	s.t.Helper()
	_, err := s.OC.Call(s.ctx, model, method, []any{[]int64{id}}, nil)
	require.NoError(s.t, err)
}

func (s *stack) write(model string, id int64, vals map[string]any) {
	s.t.Helper()
	require.NoError(s.t, s.OC.Write(s.ctx, model, []int64{id}, vals))
}

func (s *stack) amountTotal(orderID int64) float64 {
	recs, err := s.OC.Read(s.ctx, "sale.order", []int64{orderID}, []string{"amount_total"})
	require.NoError(s.t, err)
	require.Len(s.t, recs, 1)
	return recs[0].Float("amount_total")
}

func (s *stack) partnerOfLogin(login string) int64 {
	s.t.Helper()
	recs, err := s.OC.SearchRead(s.ctx, "res.users", odoo.Term("login", "=", login), []string{"partner_id"}, odoo.ReadOptions{})
	require.NoError(s.t, err)
	require.Len(s.t, recs, 1)
	return recs[0].Many2One("partner_id").ID
}

// cancel cancels an order as the back office does after confirming the
// cancellation wizard (Odoo 16+ returns the wizard otherwise).
func (s *stack) cancel(orderID int64) {
	s.t.Helper()
	_, err := s.OC.Call(s.ctx, "sale.order", "action_cancel", []any{[]int64{orderID}}, map[string]any{"context": map[string]any{"disable_cancel_warning": true}})
	require.NoError(s.t, err)
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }
