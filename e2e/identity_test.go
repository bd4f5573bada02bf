package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/odoo"
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

func TestMergeSameEmailKeepsOneContactWithAllOrders(t *testing.T) {
	s := startStack(t, stackOptions{})
	co := s.companies()
	guest := s.partner(map[string]any{"name": "Mia Merge", "email": "mia@example.com", "company_id": co[0]})
	acct := s.partner(map[string]any{"name": "Mia Merge", "email": "MIA@example.com", "company_id": co[0]})
	o1 := s.order(guest, co[0], 1, true)
	o2 := s.order(acct, co[0], 2, true)
	s.waitFields("mia@example.com", map[string]any{"ORDER_COUNT": 2.0})
	s.merge(acct, guest)
	require.Empty(t, s.ids("res.partner", odoo.Term("id", "=", guest)), "the wizard deletes the source")
	s.waitFields("mia@example.com", map[string]any{"ORDER_COUNT": 2.0, "ODOO_PARTNER_IDS": itoa(acct)})
	s.waitRecords("mia@example.com", map[int64]string{o1: "confirmed", o2: "confirmed"})
	s.assertOneContactFor("mia@example.com")
}

func TestMergeIntoOtherEmailMovesOrdersAndLeavesNoGhost(t *testing.T) {
	s := startStack(t, stackOptions{})
	co := s.companies()
	old := s.partner(map[string]any{"name": "Nils Old", "email": "nils.old@example.com", "company_id": co[0]})
	dst := s.partner(map[string]any{"name": "Nils New", "email": "nils@example.com", "company_id": co[0]})
	o1 := s.order(old, co[0], 1, true)
	o2 := s.order(dst, co[0], 1, true)
	s.waitFields("nils.old@example.com", map[string]any{"ORDER_COUNT": 1.0})
	s.waitFields("nils@example.com", map[string]any{"ORDER_COUNT": 1.0})
	s.merge(dst, old)
	s.waitFields("nils@example.com", map[string]any{"ORDER_COUNT": 2.0})
	s.waitRecords("nils@example.com", map[int64]string{o1: "confirmed", o2: "confirmed"})
	// The merged-away email keeps its contact (its subscription history) but
	// nothing that would count it as a customer.
	s.eventually("no ghost for the merged-away email", syncTimeout, func() (bool, string) {
		c, ok := s.contact("nils.old@example.com")
		if !ok {
			return true, ""
		}
		if n := field(c, "ORDER_COUNT"); n != nil && num(n) != 0 {
			return false, "still has ORDER_COUNT"
		}
		if len(s.records("nils.old@example.com")) != 0 {
			return false, "still has Insight records"
		}
		if s.inList("nils.old@example.com", "Odoo Customers") {
			return false, "still in the customers list"
		}
		return true, ""
	})
}

func TestEmailChangeRenamesTheContact(t *testing.T) {
	s := startStack(t, stackOptions{})
	co := s.companies()[0]
	p := s.partner(map[string]any{"name": "Eve Change", "email": "eve.old@example.com"})
	o := s.order(p, co, 1, true)
	s.waitFields("eve.old@example.com", map[string]any{"ORDER_COUNT": 1.0})
	before, _ := s.contact("eve.old@example.com")
	s.write("res.partner", p, map[string]any{"email": "eve.new@example.com"})
	s.waitFields("eve.new@example.com", map[string]any{"ORDER_COUNT": 1.0})
	s.waitRecords("eve.new@example.com", map[int64]string{o: "confirmed"})
	after, _ := s.contact("eve.new@example.com")
	require.Equal(t, before.ContactID, after.ContactID, "the same Dotdigital contact, renamed, not a duplicate")
	_, oldExists := s.contact("eve.old@example.com")
	require.False(t, oldExists)
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
