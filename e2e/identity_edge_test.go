package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/dotdigital/ddemu"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/config"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
)

// Customers that only the initial load has seen (no workflow ever ran for
// them) are followed like any other when they change months later: the
// load bound their partners in the partner index, and their first write
// plans against what Dotdigital holds.
func TestBackfilledCustomersChangedAfterwards(t *testing.T) {
	var eve, carlOrder, vera, mergeSrc, mergeDst, srcOrder, dstOrder int64
	s := startStack(t, stackOptions{persistent: true, configure: func(c *config.Config) {
		c.Sync.InitialLoad = "backfill"
		c.Sync.IdleTimeout = 2 * time.Second
	}, seed: func(s *stack) {
		co := s.companies()[0]
		vip := s.tag("VIP")
		eve = s.partner(map[string]any{"name": "Eve Loaded", "email": "eve.loaded@example.com"})
		s.order(eve, co, 1, true)
		carl := s.partner(map[string]any{"name": "Carl Loaded", "email": "carl.loaded@example.com"})
		carlOrder = s.order(carl, co, 2, true)
		vera = s.partner(map[string]any{"name": "Vera Loaded", "email": "vera.loaded@example.com", "category_id": []any{[]any{6, 0, []int64{vip}}}})
		s.order(vera, co, 1, true)
		mergeSrc = s.partner(map[string]any{"name": "Max Src", "email": "max.src@example.com"})
		mergeDst = s.partner(map[string]any{"name": "Max Dst", "email": "max@example.com"})
		srcOrder = s.order(mergeSrc, co, 1, true)
		dstOrder = s.order(mergeDst, co, 1, true)
		// Later unrelated writes: the poller starts after them (it re-reads
		// the newest second), so only the initial load sees the customers above.
		s.Odoo.Advance(time.Minute)
		s.order(s.partner(map[string]any{"name": "No Email Yet"}), co, 1, true)
		s.tag("Unrelated")
	}})
	s.waitBackfill()
	s.waitFields("eve.loaded@example.com", map[string]any{"ORDER_COUNT": 1.0})
	s.waitFields("vera.loaded@example.com", map[string]any{"IS_VIP": true})
	require.True(t, s.inList("vera.loaded@example.com", "VIP Customers"))
	before, _ := s.contact("eve.loaded@example.com")
	require.Empty(t, s.customerRuns(), "the initial load runs no customer workflow")

	s.write("res.partner", eve, map[string]any{"email": "eve.moved@example.com"})
	s.cancel(carlOrder)
	s.write("res.partner", vera, map[string]any{"category_id": []any{[]any{3, s.tag("VIP")}}})
	s.merge(mergeDst, mergeSrc)

	s.waitFields("eve.moved@example.com", map[string]any{"ORDER_COUNT": 1.0})
	s.waitGone("eve.loaded@example.com")
	after, _ := s.contact("eve.moved@example.com")
	require.Equal(t, before.ContactID, after.ContactID, "the loaded contact is renamed, not duplicated")
	s.waitFields("carl.loaded@example.com", map[string]any{"ORDER_COUNT": 0.0, "AVG_ORDER": nil, "LAST_ORDER_REF": nil, "FIRST_ORDER_DATE": nil})
	s.waitRecords("carl.loaded@example.com", map[int64]string{carlOrder: "cancelled"})
	s.waitFields("vera.loaded@example.com", map[string]any{"IS_VIP": false, "CATEGORIES": nil})
	s.eventually("left the VIP list", syncTimeout, func() (bool, string) { return !s.inList("vera.loaded@example.com", "VIP Customers"), "" })
	s.waitFields("max@example.com", map[string]any{"ORDER_COUNT": 2.0})
	s.waitRecords("max@example.com", map[int64]string{srcOrder: "confirmed", dstOrder: "confirmed"})
	s.waitEmptied("max.src@example.com")
}

// waitBackfill waits for the initial load to finish.
func (s *stack) waitBackfill() {
	s.t.Helper()
	s.eventually("initial load finished", time.Minute, func() (bool, string) {
		d, err := s.App.Client.DescribeWorkflowExecution(s.ctx, names.BackfillWorkflowID, "")
		if err != nil {
			return false, err.Error()
		}
		return d.GetWorkflowExecutionInfo().GetCloseTime() != nil, d.GetWorkflowExecutionInfo().GetStatus().String()
	})
}

// A rename whose answer is lost (Dotdigital applied it, the client saw a
// 500) and is retried reaches the same end: one contact, renamed; the old
// address is not recreated as a new, subscribed contact.
func TestLostRenameAnswerIsRetriedSafely(t *testing.T) {
	s := startStack(t, stackOptions{})
	p := s.partner(map[string]any{"name": "Lou Lost", "email": "lou.old@example.com"})
	o := s.order(p, s.companies()[0], 1, true)
	s.waitFields("lou.old@example.com", map[string]any{"ORDER_COUNT": 1.0})
	before, _ := s.contact("lou.old@example.com")
	contacts := s.DD.Stats().Contacts
	require.NoError(t, s.DD.InjectFault(ddemu.TargetedFault{Route: "PATCH /contacts/v3/{identifier}/{value}", PathContains: "/contactId/",
		Kind: ddemu.FaultApplied5xx, Count: 1}))
	s.write("res.partner", p, map[string]any{"email": "lou.new@example.com"})
	s.waitFields("lou.new@example.com", map[string]any{"ORDER_COUNT": 1.0})
	s.waitRecords("lou.new@example.com", map[int64]string{o: "confirmed"})
	require.Equal(t, int64(1), s.DD.Stats().FaultsTargeted, "the rename's answer was lost once")
	after, _ := s.contact("lou.new@example.com")
	require.Equal(t, before.ContactID, after.ContactID)
	time.Sleep(2 * time.Second) // anything the retry would wrongly do has landed by now
	_, old := s.contact("lou.old@example.com")
	require.False(t, old, "the old address was not recreated")
	require.Equal(t, contacts, s.DD.Stats().Contacts, "no contact was added")
}

// Two moves racing: two customers swap emails at once (each one's orders
// must end on the other's contact), and one partner's email changes twice
// before the sync sees the first change.
func TestRacingMoves(t *testing.T) {
	s := startStack(t, stackOptions{configure: func(c *config.Config) { c.Sync.IdleTimeout = 2 * time.Second }})
	co := s.companies()[0]
	a := s.partner(map[string]any{"name": "Ada Swap", "email": "ada@example.com"})
	b := s.partner(map[string]any{"name": "Bea Swap", "email": "bea@example.com"})
	c := s.partner(map[string]any{"name": "Cy Chain", "email": "cy1@example.com"})
	oa, ob, oc := s.order(a, co, 1, true), s.order(b, co, 2, true), s.order(c, co, 3, true)
	s.waitFields("ada@example.com", map[string]any{"ORDER_COUNT": 1.0})
	s.waitFields("bea@example.com", map[string]any{"ORDER_COUNT": 1.0})
	s.waitFields("cy1@example.com", map[string]any{"ORDER_COUNT": 1.0})
	contacts := s.DD.Stats().Contacts

	// The swap commits at once, as Odoo does when an admin edits both in one
	// transaction (the identifiers must stay unique in Odoo's own UI only
	// per record, so a temporary address is the usual way).
	tx := s.Odoo.Begin()
	require.NoError(t, tx.Write("res.partner", []int64{a}, map[string]any{"email": "swap.tmp@example.com"}))
	require.NoError(t, tx.Write("res.partner", []int64{b}, map[string]any{"email": "ada@example.com"}))
	require.NoError(t, tx.Write("res.partner", []int64{a}, map[string]any{"email": "bea@example.com"}))
	require.NoError(t, tx.Commit())
	s.write("res.partner", c, map[string]any{"email": "cy2@example.com"})
	s.write("res.partner", c, map[string]any{"email": "cy3@example.com"})

	s.waitFields("ada@example.com", map[string]any{"ORDER_COUNT": 1.0, "FIRSTNAME": "Bea", "ODOO_PARTNER_IDS": itoa(b)})
	s.waitRecords("ada@example.com", map[int64]string{ob: "confirmed"})
	s.waitFields("bea@example.com", map[string]any{"ORDER_COUNT": 1.0, "FIRSTNAME": "Ada", "ODOO_PARTNER_IDS": itoa(a)})
	s.waitRecords("bea@example.com", map[int64]string{oa: "confirmed"})
	s.waitFields("cy3@example.com", map[string]any{"ORDER_COUNT": 1.0})
	s.waitRecords("cy3@example.com", map[int64]string{oc: "confirmed"})
	s.waitGone("cy1@example.com")
	s.waitGone("cy2@example.com")
	for _, e := range []string{"ada@example.com", "bea@example.com", "cy3@example.com"} {
		s.assertOneContactFor(e)
	}
	// cy2 may have been seen (then its contact was renamed on to cy3).
	require.Equal(t, contacts, s.DD.Stats().Contacts, "no contact was added")
	s.eventually("nobody waits or is blocked", syncTimeout, func() (bool, string) {
		resp, err := s.App.Client.CountWorkflow(s.ctx, countQuery(s, "SyncState IN ('pending', 'blocked')"))
		require.NoError(t, err)
		return resp.GetCount() == 0, "customers pending or blocked"
	})
}
