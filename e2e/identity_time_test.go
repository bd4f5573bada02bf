package e2e

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/config"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
)

// Identity and status over time. In a shop nearly every change of a
// customer arrives days after the previous one, long after anything the
// service held in memory or in an open run is gone. Every scenario here
// runs in three timings, each on its own stack:
//   - inside: the change follows at once;
//   - closed: the customers' runs went idle, and then their workflows were
//     terminated and deleted (what retention does to closed runs, or an
//     operator clearing them): only the durable binding remains;
//   - restarted: the worker and the embedded Temporal server were stopped
//     and started again on the same data.
//
// Each asserts Dotdigital through its REST API: one contact per email,
// exact fields, lists and Insight records.

type timing string

const (
	inside    timing = "inside"
	closed    timing = "closed"
	restarted timing = "restarted"
)

// scenario is one identity or status change: setup makes and syncs the
// customer, change acts in Odoo after the timing, verify waits for
// Dotdigital to be right.
type scenario struct {
	name   string
	setup  func(s *stack)
	change func(s *stack)
	verify func(s *stack)
}

func timeStack(t *testing.T) *stack {
	return startStack(t, stackOptions{persistent: true, configure: func(c *config.Config) {
		c.Sync.IdleTimeout = 2 * time.Second
		c.Sync.IndexSweep = 2 * time.Second
	}})
}

// settle lets time pass in the way the timing says.
func (s *stack) settle(tm timing) {
	s.t.Helper()
	switch tm {
	case closed:
		time.Sleep(2*s.cfg.Sync.IdleTimeout + time.Second) // every run is idle
		s.forgetCustomers()
	case restarted:
		s.restart()
	}
}

// forgetCustomers terminates and deletes every customer workflow run: the
// service keeps nothing of them but the partner index and what Dotdigital
// holds. (A customer may get a new run meanwhile: a change starts one.)
func (s *stack) forgetCustomers() {
	s.t.Helper()
	svc := s.App.Client.WorkflowService()
	ns := s.App.Config.Temporal.Namespace
	runs := s.customerRuns()
	for _, r := range runs {
		_ = s.App.Client.TerminateWorkflow(s.ctx, r.GetWorkflowId(), r.GetRunId(), "e2e: forget the customer")
		_, err := svc.DeleteWorkflowExecution(s.ctx, &workflowservice.DeleteWorkflowExecutionRequest{Namespace: ns, WorkflowExecution: r})
		require.NoError(s.t, err, "delete %s", r.GetWorkflowId())
	}
	// Deletion is asynchronous; what matters is that no run is open: a new
	// change starts a new run with nothing of the old one's state.
	s.eventually("customer workflow runs closed", syncTimeout, func() (bool, string) {
		for _, r := range runs {
			d, err := s.App.Client.DescribeWorkflowExecution(s.ctx, r.GetWorkflowId(), r.GetRunId())
			if err == nil && d.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
				return false, r.GetWorkflowId() + " still running"
			}
		}
		return true, ""
	})
	s.t.Logf("forgot %d customer workflow runs", len(runs))
}

func (s *stack) customerRuns() []*commonpb.WorkflowExecution {
	var out []*commonpb.WorkflowExecution
	var token []byte
	for {
		resp, err := s.App.Client.ListWorkflow(s.ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: s.App.Config.Temporal.Namespace,
			Query: "WorkflowType = '" + names.WorkflowCustomer + "'", NextPageToken: token})
		require.NoError(s.t, err)
		for _, e := range resp.GetExecutions() {
			out = append(out, e.GetExecution())
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetWorkflowId() < out[j].GetWorkflowId() })
	return out
}

func (s *stack) runScenarios(tm timing, scenarios []scenario) {
	s.t.Helper()
	for _, sc := range scenarios {
		sc.setup(s)
	}
	s.settle(tm)
	for _, sc := range scenarios {
		sc.change(s)
	}
	for _, sc := range scenarios {
		s.t.Logf("%s / %s", tm, sc.name)
		sc.verify(s)
	}
}

func TestIdentityAcrossTime(t *testing.T) {
	for _, tm := range []timing{inside, closed, restarted} {
		t.Run(string(tm), func(t *testing.T) {
			s := timeStack(t)
			s.runScenarios(tm, identityScenarios())
		})
	}
}

func identityScenarios() []scenario {
	return []scenario{emailChange(), partOfCustomerMoves(), mergeSameEmail(), mergeOtherEmail(), guestToAccount(),
		cancelOnlyOrder(), tagRemoved(), tagAdded(), archived(), unlinked(), emailRemoved()}
}

// emailChange: the partner's email changes; its contact is renamed (the
// same contactId), nothing is left at the old address.
func emailChange() scenario {
	var p, o, contactID int64
	return scenario{name: "email change",
		setup: func(s *stack) {
			p = s.partner(map[string]any{"name": "Eve Change", "email": "eve.old@example.com"})
			o = s.order(p, s.companies()[0], 1, true)
			s.waitFields("eve.old@example.com", map[string]any{"ORDER_COUNT": 1.0})
			c, _ := s.contact("eve.old@example.com")
			contactID = c.ContactID
		},
		change: func(s *stack) { s.write("res.partner", p, map[string]any{"email": "eve.new@example.com"}) },
		verify: func(s *stack) {
			s.waitFields("eve.new@example.com", map[string]any{"ORDER_COUNT": 1.0, "ODOO_PARTNER_IDS": itoa(p), "FIRSTNAME": "Eve"})
			s.waitRecords("eve.new@example.com", map[int64]string{o: "confirmed"})
			s.waitGone("eve.old@example.com")
			c, _ := s.contact("eve.new@example.com")
			require.Equal(s.t, contactID, c.ContactID, "the same contact, renamed")
			s.assertOneContactFor("eve.new@example.com")
		},
	}
}

// partOfCustomerMoves: one of two partners of a customer changes its
// email; its order moves with it, the rest stays.
func partOfCustomerMoves() scenario {
	var stay, move, o1, o2 int64
	return scenario{name: "one partner of two moves",
		setup: func(s *stack) {
			co := s.companies()
			stay = s.partner(map[string]any{"name": "Pia Stay", "email": "pia@example.com", "company_id": co[0]})
			move = s.partner(map[string]any{"name": "Pia Work", "email": "PIA@example.com", "company_id": co[1]})
			o1 = s.order(stay, co[0], 1, true)
			o2 = s.order(move, co[1], 2, true)
			s.waitFields("pia@example.com", map[string]any{"ORDER_COUNT": 2.0})
		},
		change: func(s *stack) { s.write("res.partner", move, map[string]any{"email": "pia.work@example.com"}) },
		verify: func(s *stack) {
			s.waitFields("pia@example.com", map[string]any{"ORDER_COUNT": 1.0, "TOTAL_SPENT": s.amountTotal(o1), "ODOO_PARTNER_IDS": itoa(stay)})
			s.waitRecords("pia@example.com", map[int64]string{o1: "confirmed"})
			s.waitFields("pia.work@example.com", map[string]any{"ORDER_COUNT": 1.0, "ODOO_PARTNER_IDS": itoa(move)})
			s.waitRecords("pia.work@example.com", map[int64]string{o2: "confirmed"})
			s.assertOneContactFor("pia@example.com")
			s.assertOneContactFor("pia.work@example.com")
		},
	}
}

func mergeSameEmail() scenario {
	var guest, acct, o1, o2 int64
	return scenario{name: "merge, same email",
		setup: func(s *stack) {
			co := s.companies()
			guest = s.partner(map[string]any{"name": "Mia Merge", "email": "mia@example.com", "company_id": co[0]})
			acct = s.partner(map[string]any{"name": "Mia Merge", "email": "MIA@example.com", "company_id": co[0]})
			o1 = s.order(guest, co[0], 1, true)
			o2 = s.order(acct, co[0], 2, true)
			s.waitFields("mia@example.com", map[string]any{"ORDER_COUNT": 2.0})
		},
		change: func(s *stack) { s.merge(acct, guest) },
		verify: func(s *stack) {
			s.waitFields("mia@example.com", map[string]any{"ORDER_COUNT": 2.0, "ODOO_PARTNER_IDS": itoa(acct)})
			s.waitRecords("mia@example.com", map[int64]string{o1: "confirmed", o2: "confirmed"})
			s.assertOneContactFor("mia@example.com")
		},
	}
}

func mergeOtherEmail() scenario {
	var old, dst, o1, o2 int64
	return scenario{name: "merge into another email",
		setup: func(s *stack) {
			co := s.companies()
			old = s.partner(map[string]any{"name": "Nils Old", "email": "nils.old@example.com", "company_id": co[0]})
			dst = s.partner(map[string]any{"name": "Nils New", "email": "nils@example.com", "company_id": co[0]})
			o1 = s.order(old, co[0], 1, true)
			o2 = s.order(dst, co[0], 1, true)
			s.waitFields("nils.old@example.com", map[string]any{"ORDER_COUNT": 1.0})
			s.waitFields("nils@example.com", map[string]any{"ORDER_COUNT": 1.0})
		},
		change: func(s *stack) { s.merge(dst, old) },
		verify: func(s *stack) {
			s.waitFields("nils@example.com", map[string]any{"ORDER_COUNT": 2.0, "ODOO_PARTNER_IDS": itoa(dst)})
			s.waitRecords("nils@example.com", map[int64]string{o1: "confirmed", o2: "confirmed"})
			s.waitEmptied("nils.old@example.com")
			s.assertOneContactFor("nils@example.com")
		},
	}
}

func guestToAccount() scenario {
	var guest, o1 int64
	return scenario{name: "guest, then an account",
		setup: func(s *stack) {
			co := s.companies()[0]
			guest = s.partner(map[string]any{"name": "Ann Guest", "email": "ann@example.com", "company_id": co})
			o1 = s.order(guest, co, 1, true)
			s.waitFields("ann@example.com", map[string]any{"ORDER_COUNT": 1.0, "CUSTOMER_TYPE": "guest"})
		},
		change: func(s *stack) {
			co := s.companies()[0]
			_, err := s.OC.Create(s.ctx, "res.users", map[string]any{"name": "Ann Account", "login": "ann@example.com",
				"email": "  ANN@Example.com ", "share": true, "company_id": co})
			require.NoError(s.t, err)
			s.order(s.partnerOfLogin("ann@example.com"), co, 3, true)
		},
		verify: func(s *stack) {
			account := s.partnerOfLogin("ann@example.com")
			s.waitFields("ann@example.com", map[string]any{"ORDER_COUNT": 2.0, "CUSTOMER_TYPE": "account",
				"ODOO_PARTNER_IDS": fmt.Sprintf("%d,%d", guest, account)})
			recs := s.records("ann@example.com")
			require.Contains(s.t, recs, customer.RecordKey(o1))
			require.Len(s.t, recs, 2)
			s.assertOneContactFor("ann@example.com")
		},
	}
}

// cancelOnlyOrder: every purchase field of a guest whose only order is
// cancelled is cleared, not only the count and total.
func cancelOnlyOrder() scenario {
	var o int64
	return scenario{name: "only order cancelled",
		setup: func(s *stack) {
			p := s.partner(map[string]any{"name": "Carl Cancel", "email": "carl@example.com"})
			o = s.order(p, s.companies()[0], 5, true)
			s.waitFields("carl@example.com", map[string]any{"ORDER_COUNT": 1.0})
		},
		change: func(s *stack) { s.cancel(o) },
		verify: func(s *stack) {
			s.waitFields("carl@example.com", map[string]any{"ORDER_COUNT": 0.0, "TOTAL_SPENT": 0.0, "AVG_ORDER": nil,
				"LAST_ORDER_REF": nil, "LAST_ORDER_DATE": nil, "FIRST_ORDER_DATE": nil})
			s.waitRecords("carl@example.com", map[int64]string{o: "cancelled"})
		},
	}
}

func tagRemoved() scenario {
	var p int64
	return scenario{name: "VIP tag removed",
		setup: func(s *stack) {
			vip := s.tag("VIP")
			p = s.partner(map[string]any{"name": "Vera Vip", "email": "vera@example.com", "category_id": []any{[]any{6, 0, []int64{vip}}}})
			s.order(p, s.companies()[0], 1, true)
			s.waitFields("vera@example.com", map[string]any{"IS_VIP": true, "CATEGORIES": "VIP"})
			s.eventually("in the VIP list", syncTimeout, func() (bool, string) { return s.inList("vera@example.com", "VIP Customers"), "" })
		},
		change: func(s *stack) {
			s.write("res.partner", p, map[string]any{"category_id": []any{[]any{3, s.tag("VIP")}}})
		},
		verify: func(s *stack) {
			s.waitFields("vera@example.com", map[string]any{"IS_VIP": false, "CATEGORIES": nil})
			s.eventually("left the VIP list", syncTimeout, func() (bool, string) { return !s.inList("vera@example.com", "VIP Customers"), "" })
			require.True(s.t, s.inList("vera@example.com", "Odoo Customers"))
		},
	}
}

func tagAdded() scenario {
	var p int64
	return scenario{name: "VIP tag added",
		setup: func(s *stack) {
			p = s.partner(map[string]any{"name": "Walt Later", "email": "walt@example.com"})
			s.order(p, s.companies()[0], 1, true)
			s.waitFields("walt@example.com", map[string]any{"IS_VIP": false})
		},
		change: func(s *stack) {
			s.write("res.partner", p, map[string]any{"category_id": []any{[]any{4, s.tag("VIP")}}})
		},
		verify: func(s *stack) {
			s.waitFields("walt@example.com", map[string]any{"IS_VIP": true, "CATEGORIES": "VIP"})
			s.eventually("joined the VIP list", syncTimeout, func() (bool, string) { return s.inList("walt@example.com", "VIP Customers"), "" })
		},
	}
}

// archived: a customer's only partner is archived; its contact is emptied
// of Odoo data, taken off the lists and reported, not deleted.
func archived() scenario {
	var p int64
	return scenario{name: "archived",
		setup: func(s *stack) {
			p = s.partner(map[string]any{"name": "Archie Ved", "email": "archie@example.com"})
			s.order(p, s.companies()[0], 1, true)
			s.waitFields("archie@example.com", map[string]any{"ORDER_COUNT": 1.0})
		},
		change: func(s *stack) { s.write("res.partner", p, map[string]any{"active": false}) },
		verify: func(s *stack) { s.waitEmptied("archie@example.com"); s.waitOrphanReported("archie@example.com") },
	}
}

// unlinked: a partner without orders is deleted in Odoo (no change feed
// shows a deletion: the partner index's sweep finds it).
func unlinked() scenario {
	var p int64
	return scenario{name: "unlinked",
		setup: func(s *stack) {
			p = s.partner(map[string]any{"name": "Una Link", "email": "una@example.com", "lang": "en_US"})
			s.waitFields("una@example.com", map[string]any{"FIRSTNAME": "Una"})
		},
		change: func(s *stack) { require.NoError(s.t, s.OC.Unlink(s.ctx, "res.partner", []int64{p})) },
		verify: func(s *stack) { s.waitEmptied("una@example.com") },
	}
}

func emailRemoved() scenario {
	var p int64
	return scenario{name: "email removed",
		setup: func(s *stack) {
			p = s.partner(map[string]any{"name": "Ed Erase", "email": "ed.erase@example.com"})
			s.order(p, s.companies()[0], 1, true)
			s.waitFields("ed.erase@example.com", map[string]any{"ORDER_COUNT": 1.0})
		},
		change: func(s *stack) { s.write("res.partner", p, map[string]any{"email": false}) },
		verify: func(s *stack) { s.waitEmptied("ed.erase@example.com") },
	}
}

// waitGone waits until no contact has the email.
func (s *stack) waitGone(email string) {
	s.t.Helper()
	s.eventually("no contact for "+email, syncTimeout, func() (bool, string) {
		_, ok := s.contact(email)
		return !ok, "the contact is still there"
	})
}

// waitEmptied waits until the email's contact (kept for its subscription
// history) holds no Odoo data: no partner ids, no purchases, no records,
// in none of the sync's lists.
func (s *stack) waitEmptied(email string) {
	s.t.Helper()
	s.eventually("no Odoo data left on "+email, syncTimeout, func() (bool, string) {
		c, ok := s.contact(email)
		if !ok {
			return true, ""
		}
		for _, f := range []string{"ODOO_PARTNER_IDS", "FIRSTNAME", "LAST_ORDER_REF", "CATEGORIES", "CUSTOMER_TYPE"} {
			if v := field(c, f); v != nil && v != "" {
				return false, fmt.Sprintf("%s=%v", f, v)
			}
		}
		if n := field(c, "ORDER_COUNT"); n != nil && num(n) != 0 {
			return false, fmt.Sprintf("ORDER_COUNT=%v", n)
		}
		if n := len(s.records(email)); n != 0 {
			return false, fmt.Sprintf("%d Insight records", n)
		}
		for _, l := range c.Lists {
			if strings.EqualFold(l.Name, "Odoo Customers") || strings.EqualFold(l.Name, "VIP Customers") {
				return false, "still in " + l.Name
			}
		}
		return true, ""
	})
}

// waitOrphanReported waits until the customer is listed as blocked with
// orphan_contact (exceptions).
func (s *stack) waitOrphanReported(email string) {
	s.t.Helper()
	s.eventually(email+" reported as an orphan contact", syncTimeout, func() (bool, string) {
		st := s.status(email)
		if st.Blocked == nil {
			return false, "state " + st.State
		}
		return st.Blocked.Reason == "orphan_contact", st.Blocked.Reason
	})
}
