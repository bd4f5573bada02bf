package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func (s *stack) merge(dst int64, sources ...int64) {
	s.t.Helper()
	ids := append([]int64{dst}, sources...)
	wiz, err := s.OC.Create(s.ctx, "base.partner.merge.automatic.wizard", map[string]any{
		"partner_ids": []any{[]any{6, 0, ids}}, "dst_partner_id": dst,
	})
	require.NoError(s.t, err)
	s.call("base.partner.merge.automatic.wizard", "action_merge", wiz)
}

func TestLateCommittedChangeIsNotMissed(t *testing.T) {
	s := startStack(t, stackOptions{})
	co := s.companies()[0]
	tx := s.Odoo.Begin()
	p, err := tx.Create("res.partner", map[string]any{"name": "Lou Late", "email": "lou@example.com", "company_id": co})
	require.NoError(t, err)
	o, err := tx.Create("sale.order", map[string]any{"partner_id": p, "company_id": co,
		"order_line": []any{[]any{0, 0, map[string]any{"product_id": s.product(), "product_uom_qty": 1.0}}}})
	require.NoError(t, err)
	_, err = tx.Call("sale.order", "action_confirm", []any{[]any{o}}, nil)
	require.NoError(t, err)
	// Meanwhile other work commits and the poller moves past the transaction's start.
	early := s.partner(map[string]any{"name": "Ed Early", "email": "ed@example.com"})
	s.order(early, co, 1, true)
	s.waitFields("ed@example.com", map[string]any{"ORDER_COUNT": 1.0})
	time.Sleep(2 * time.Second)
	require.NoError(t, tx.Commit())
	s.waitFields("lou@example.com", map[string]any{"ORDER_COUNT": 1.0})
	s.waitRecords("lou@example.com", map[int64]string{o: "confirmed"})
}
