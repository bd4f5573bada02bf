package e2e

import (
	"fmt"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
)

const syncTimeout = 30 * time.Second

func num(v any) float64 {
	switch n := v.(type) {
	case float64:
		return n
	case int:
		return float64(n)
	case int64:
		return float64(n)
	case string:
		f, _ := strconv.ParseFloat(n, 64)
		return f
	}
	return math.NaN()
}

// waitFields waits until the contact exists and every field matches.
func (s *stack) waitFields(email string, want map[string]any) {
	s.t.Helper()
	s.eventually("contact "+email+" fields", syncTimeout, func() (bool, string) {
		c, ok := s.contact(email)
		if !ok {
			return false, "no contact"
		}
		for k, v := range want {
			got := field(c, k)
			switch wv := v.(type) {
			case float64:
				if math.Abs(num(got)-wv) > 0.005 {
					return false, fmt.Sprintf("%s=%v want %v", k, got, v)
				}
			default:
				if fmt.Sprint(got) != fmt.Sprint(v) {
					return false, fmt.Sprintf("%s=%v want %v", k, got, v)
				}
			}
		}
		return true, ""
	})
}

func (s *stack) waitRecords(email string, wantStatus map[int64]string) {
	s.t.Helper()
	s.eventually("Insight records of "+email, syncTimeout, func() (bool, string) {
		recs := s.records(email)
		if len(recs) != len(wantStatus) {
			return false, fmt.Sprintf("%d records, want %d", len(recs), len(wantStatus))
		}
		for id, st := range wantStatus {
			r, ok := recs[customer.RecordKey(id)]
			if !ok {
				return false, fmt.Sprintf("record %d missing", id)
			}
			if r["status"] != st {
				return false, fmt.Sprintf("record %d status %v want %s", id, r["status"], st)
			}
		}
		return true, ""
	})
}

func TestPartnerAndConfirmedOrderReachDotdigital(t *testing.T) {
	s := startStack(t, stackOptions{})
	co := s.companies()[0]
	p := s.partner(map[string]any{"name": "Jane Doe", "email": "Jane.Doe@Example.com", "lang": "en_US"})
	o := s.order(p, co, 2, true)
	total := s.amountTotal(o)
	s.waitFields("jane.doe@example.com", map[string]any{
		"FIRSTNAME": "Jane", "LASTNAME": "Doe", "ORDER_COUNT": 1.0, "TOTAL_SPENT": total, "CUSTOMER_TYPE": "guest",
		"ODOO_PARTNER_IDS": strconv.FormatInt(p, 10),
	})
	s.waitRecords("jane.doe@example.com", map[int64]string{o: "confirmed"})
	c, _ := s.contact("jane.doe@example.com")
	require.NotEmpty(t, c.Lists, "new contacts join the configured list")
}

func TestGuestThenAccountWithOtherCaseIsOneContact(t *testing.T) {
	s := startStack(t, stackOptions{})
	co := s.companies()
	guest := s.partner(map[string]any{"name": "Ann Guest", "email": "ann@example.com", "company_id": co[0]})
	o1 := s.order(guest, co[0], 1, true)
	s.waitFields("ann@example.com", map[string]any{"ORDER_COUNT": 1.0})
	// Later she signs up: a portal user makes a new partner with the same email, other case.
	// Later she signs up: Odoo makes a portal user and, with it, a new
	// account partner with the same email in another case.
	_, err := s.OC.Create(s.ctx, "res.users", map[string]any{"name": "Ann Account", "login": "ann@example.com",
		"email": "  ANN@Example.com ", "share": true, "company_id": co[0]})
	require.NoError(t, err)
	account := s.partnerOfLogin("ann@example.com")
	require.NotEqual(t, guest, account)
	o2 := s.order(account, co[0], 3, true)
	total := s.amountTotal(o1) + s.amountTotal(o2)
	s.waitFields("ann@example.com", map[string]any{"ORDER_COUNT": 2.0, "TOTAL_SPENT": total, "CUSTOMER_TYPE": "account"})
	s.waitRecords("ann@example.com", map[int64]string{o1: "confirmed", o2: "confirmed"})
	s.assertOneContactFor("ann@example.com")
}

func TestSamePersonInTwoCompaniesIsOneContact(t *testing.T) {
	s := startStack(t, stackOptions{})
	co := s.companies()
	a := s.partner(map[string]any{"name": "Bo Two", "email": "bo@example.com", "company_id": co[0]})
	b := s.partner(map[string]any{"name": "Bo Two", "email": "Bo@Example.com", "company_id": co[1]})
	o1 := s.order(a, co[0], 1, true)
	o2 := s.order(b, co[1], 1, true)
	s.waitFields("bo@example.com", map[string]any{"ORDER_COUNT": 2.0, "ODOO_PARTNER_IDS": fmt.Sprintf("%d,%d", a, b)})
	s.waitRecords("bo@example.com", map[int64]string{o1: "confirmed", o2: "confirmed"})
	s.assertOneContactFor("bo@example.com")
}

func TestVIPTagFollowsBothWays(t *testing.T) {
	s := startStack(t, stackOptions{})
	co := s.companies()[0]
	p := s.partner(map[string]any{"name": "Vera Vip", "email": "vera@example.com"})
	s.order(p, co, 1, true)
	s.waitFields("vera@example.com", map[string]any{"IS_VIP": false})
	vip := s.tag("VIP")
	s.write("res.partner", p, map[string]any{"category_id": []any{[]any{4, vip}}})
	s.waitFields("vera@example.com", map[string]any{"IS_VIP": true, "CATEGORIES": "VIP"})
	s.eventually("VIP list membership", syncTimeout, func() (bool, string) { return s.inList("vera@example.com", "VIP Customers"), "" })
	s.write("res.partner", p, map[string]any{"category_id": []any{[]any{3, vip}}})
	s.waitFields("vera@example.com", map[string]any{"IS_VIP": false})
	s.eventually("left the VIP list", syncTimeout, func() (bool, string) { return !s.inList("vera@example.com", "VIP Customers"), "" })
}

func TestCancelledOrderRewritesRecordAndLeavesAggregates(t *testing.T) {
	s := startStack(t, stackOptions{})
	co := s.companies()[0]
	p := s.partner(map[string]any{"name": "Carl Cancel", "email": "carl@example.com"})
	keep := s.order(p, co, 1, true)
	gone := s.order(p, co, 5, true)
	s.waitFields("carl@example.com", map[string]any{"ORDER_COUNT": 2.0})
	s.cancel(gone)
	s.waitFields("carl@example.com", map[string]any{"ORDER_COUNT": 1.0, "TOTAL_SPENT": s.amountTotal(keep)})
	s.waitRecords("carl@example.com", map[int64]string{keep: "confirmed", gone: "cancelled"})
}

func TestTagRenameReachesContacts(t *testing.T) {
	s := startStack(t, stackOptions{})
	tag := s.tag("Newsletter fans")
	p := s.partner(map[string]any{"name": "Rita Rename", "email": "rita@example.com", "category_id": []any{[]any{6, 0, []int64{tag}}}})
	s.order(p, s.companies()[0], 1, true)
	s.waitFields("rita@example.com", map[string]any{"CATEGORIES": "Newsletter fans"})
	s.write("res.partner.category", tag, map[string]any{"name": "Super fans"})
	s.waitFields("rita@example.com", map[string]any{"CATEGORIES": "Super fans"})
}

func TestPartnerWithoutEmailIsNotSynced(t *testing.T) {
	s := startStack(t, stackOptions{})
	co := s.companies()[0]
	p := s.partner(map[string]any{"name": "No Mail"})
	bad := s.partner(map[string]any{"name": "Bad Mail", "email": "not-an-email"})
	s.order(p, co, 1, true)
	s.order(bad, co, 1, true)
	ok := s.partner(map[string]any{"name": "Good Mail", "email": "good@example.com"})
	s.order(ok, co, 1, true)
	s.waitFields("good@example.com", map[string]any{"ORDER_COUNT": 1.0})
	st := s.DD.Stats()
	require.Equal(t, 1, st.Contacts, "only the partner with a valid email became a contact")
}
