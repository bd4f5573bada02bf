package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/activities"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/dotdigital"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/messages"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/workflows"
)

// status queries the customer's workflow; State is "" while it does not exist yet.
func (s *stack) status(email string) messages.CustomerStatus {
	s.t.Helper()
	var st messages.CustomerStatus
	v, err := s.App.Client.QueryWorkflow(s.ctx, s.App.Hasher.CustomerID(email), "", string(names.QueryState))
	if err != nil {
		return st
	}
	require.NoError(s.t, v.Get(&st))
	return st
}

func (s *stack) resync(email string) {
	s.t.Helper()
	hint := messages.Hint{Kind: messages.HintResync, Class: customer.ClassOrder, Force: true, SeenAt: time.Now()}
	require.NoError(s.t, activities.RouteHint(s.ctx, s.App.Client, s.App.Hasher, s.App.Settings.WorkflowQueue,
		workflows.CustomerInput{Key: email, Settings: s.App.Settings}, email, hint))
}

// ddRequest makes a raw authenticated Dotdigital call (routes the client has no method for).
func (s *stack) ddRequest(method, path string) int {
	s.t.Helper()
	req, err := http.NewRequestWithContext(s.ctx, method, s.DD.URL()+path, nil)
	require.NoError(s.t, err)
	req.SetBasicAuth("demo@apiconnector.com", "demo")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	resp.Body.Close()
	return resp.StatusCode
}

func TestResyncRestoresTamperedContact(t *testing.T) {
	s := startStack(t, stackOptions{})
	p := s.partner(map[string]any{"name": "Tom Tamper", "email": "tom@example.com"})
	s.order(p, s.companies()[0], 1, true)
	s.waitFields("tom@example.com", map[string]any{"FIRSTNAME": "Tom", "ORDER_COUNT": 1.0})
	// Someone edits the contact in Dotdigital by hand.
	_, _, err := s.DDC.UpsertContact(s.ctx, "tom@example.com", dotdigital.ContactUpdate{DataFields: map[string]any{"FIRSTNAME": "Hacked", "ORDER_COUNT": 99}})
	require.NoError(t, err)
	s.resync("tom@example.com")
	s.waitFields("tom@example.com", map[string]any{"FIRSTNAME": "Tom", "ORDER_COUNT": 1.0})
	s.eventually("resync acknowledged", syncTimeout, func() (bool, string) {
		st := s.status("tom@example.com")
		return st.State == names.StateOK && st.Syncs >= 2, st.State
	})
}

func TestRejectedCustomerIsBlockedUntilFixed(t *testing.T) {
	s := startStack(t, stackOptions{})
	first := s.partner(map[string]any{"name": "Fay First", "email": "fay@example.com"})
	s.order(first, s.companies()[0], 1, true)
	s.waitFields("fay@example.com", map[string]any{"ORDER_COUNT": 1.0})
	// Someone deletes a data field the sync owns: Dotdigital now rejects
	// writes of it (non-retryable), so the next customer is parked.
	require.Equal(t, http.StatusOK, s.ddRequest(http.MethodDelete, "/v2/data-fields/CUSTOMER_TYPE"))
	p := s.partner(map[string]any{"name": "Bob Blocked", "email": "bob.blocked@example.com"})
	s.order(p, s.companies()[0], 1, true)
	s.eventually("customer blocked", syncTimeout, func() (bool, string) {
		st := s.status("bob.blocked@example.com")
		return st.State == names.StateBlocked && st.Blocked != nil && st.Blocked.Fix != "", st.State
	})
	st := s.status("bob.blocked@example.com")
	require.Equal(t, "contact_rejected", st.Blocked.Reason)
	// Visible to ops through the search attribute.
	s.eventually("blocked in visibility", syncTimeout, func() (bool, string) {
		n, err := s.App.Client.CountWorkflow(s.ctx, countQuery(s, "SyncState = 'blocked'"))
		return err == nil && n.GetCount() == 1, ""
	})
	// The fix: the field is back; a resync clears the block.
	_, err := s.DDC.EnsureDataFields(s.ctx, []dotdigital.DataField{{Name: "CUSTOMER_TYPE", Type: "String"}})
	require.NoError(t, err)
	s.resync("bob.blocked@example.com")
	s.waitFields("bob.blocked@example.com", map[string]any{"CUSTOMER_TYPE": "guest", "ORDER_COUNT": 1.0})
	s.eventually("unblocked", syncTimeout, func() (bool, string) {
		st := s.status("bob.blocked@example.com")
		return st.State == names.StateOK && st.Blocked == nil, st.State
	})
}
