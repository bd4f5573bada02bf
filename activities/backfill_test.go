package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/dotdigital"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/odoo"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/dotdigital/ddemu"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/odoo/odooemu"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/backfill"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
)

type fillStack struct {
	t     *testing.T
	ctx   context.Context
	odoo  *odooemu.Emulator
	dd    *ddemu.Emulator
	oc    *odoo.Client
	ddc   *dotdigital.Client
	lane  *Lane
	poll  *Poll
	index *memoryIndex
}

var fillMapping = customer.Settings{VIPTags: []string{"VIP"}, Currency: "EUR",
	CurrencyRates: map[string]float64{"EUR": 1, "USD": 0.92, "GBP": 1.17}, Lists: []string{"Odoo Customers"},
	TagLists: map[string]string{"VIP": "VIP Customers"}}

func newFillStack(t *testing.T, customers int) *fillStack {
	oemu, err := odooemu.New(odooemu.Options{SeedCustomers: customers, Seed: 11})
	require.NoError(t, err)
	require.NoError(t, oemu.Start("127.0.0.1:0"))
	t.Cleanup(func() { _ = oemu.Close() })
	demu, err := ddemu.New(ddemu.Options{ImportDelay: 10 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, demu.Start("127.0.0.1:0"))
	t.Cleanup(func() { _ = demu.Close() })
	oc, err := odoo.New(odoo.Config{URL: oemu.URL(), DB: "odoo", Login: "admin", APIKey: "admin"})
	require.NoError(t, err)
	ddc, err := dotdigital.New(dotdigital.Config{APIUser: "demo@apiconnector.com", APIPassword: "demo", Endpoint: demu.URL()})
	require.NoError(t, err)
	t.Cleanup(ddc.CloseIdleConnections)
	deps := Deps{Odoo: oc, Dotdigital: ddc, OdooConcurrency: 4, OrderBatch: 300, Mapping: fillMapping,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	s := &fillStack{t: t, ctx: context.Background(), odoo: oemu, dd: demu, oc: oc, ddc: ddc, lane: NewLane(deps), poll: NewPoll(deps)}
	s.index = newMemoryIndex()
	s.lane.index, s.poll.index = s.index, s.index
	require.NoError(t, s.lane.EnsureSchema(s.ctx))
	return s
}

func (s *fillStack) create(model string, vals map[string]any) int64 {
	id, err := s.oc.Create(s.ctx, model, vals)
	require.NoError(s.t, err)
	return id
}

// confirmedOrder gives the partner a confirmed order of two lines.
func (s *fillStack) confirmedOrder(partner int64) int64 {
	products, err := s.oc.Search(s.ctx, "product.product", nil, odoo.ReadOptions{Limit: 2})
	require.NoError(s.t, err)
	id := s.create("sale.order", map[string]any{"partner_id": partner, "order_line": []any{
		[]any{0, 0, map[string]any{"product_id": products[0], "product_uom_qty": 2}},
		[]any{0, 0, map[string]any{"product_id": products[1], "product_uom_qty": 1}}}})
	_, err = s.oc.Call(s.ctx, "sale.order", "action_confirm", []any{[]int64{id}}, nil)
	require.NoError(s.t, err)
	return id
}

// run pages through every partner, two pages at once, as the workflow does.
func (s *fillStack) run(pagePartners int) []backfill.PageResult {
	var out []backfill.PageResult
	after := int64(0)
	for {
		plan, err := s.poll.BackfillPlan(s.ctx, backfill.PlanRequest{AfterID: after, PagePartners: pagePartners, Pages: 4})
		require.NoError(s.t, err)
		if len(plan.Bounds) == 0 {
			return out
		}
		reqs := make([]backfill.PageRequest, len(plan.Bounds))
		for i, hi := range plan.Bounds {
			reqs[i] = backfill.PageRequest{AfterID: after, UpToID: hi, ContactBatch: 40, InsightImports: 2}
			after = hi
		}
		results := make([]backfill.PageResult, len(reqs))
		var mu sync.Mutex
		require.NoError(s.t, parallel(s.ctx, 2, len(reqs), func(ctx context.Context, i int) error {
			r, err := s.lane.BackfillPage(ctx, reqs[i])
			mu.Lock()
			results[i] = r
			mu.Unlock()
			return err
		}))
		out = append(out, results...)
	}
}

// expected computes what Dotdigital should hold with the live sync's own
// loader (PartnersByKeys, OrdersByPartners), independently of the backfill's
// reader: every key of a partner that is a customer.
func (s *fillStack) expected() map[string]customer.Desired {
	excluded, err := s.lane.load.excluded.set(s.ctx)
	require.NoError(s.t, err)
	keys := map[string]bool{}
	require.NoError(s.t, s.oc.ScanPartners(s.ctx, 500, func(page []odoo.Partner) error {
		for _, p := range page {
			if k, _ := p.Key(); k != "" && !excluded[p.ID] {
				keys[k] = true
			}
		}
		return nil
	}))
	list := make([]string, 0, len(keys))
	for k := range keys {
		list = append(list, k)
	}
	sort.Strings(list)
	custs, err := s.lane.load.Customers(s.ctx, list)
	require.NoError(s.t, err)
	out := map[string]customer.Desired{}
	for k, c := range custs {
		if d := customer.Build(c, fillMapping); len(d.PartnerIDs) > 0 {
			out[k] = d // a customer whose partners are all archived is not sent
		}
	}
	return out
}

func TestBackfillPagesWriteEveryCustomerOnceWithTheLiveSyncsRecords(t *testing.T) {
	s := newFillStack(t, 300)
	// A customer whose partners span the first and the last page, one of
	// them with a multi-address email whose first address is unusable (Odoo
	// keeps it in email_normalized; the key is the second address).
	var seeded string
	var seededID int64
	// Its lowest partner is the last partner of the first page (the page
	// size is chosen so), which is where an off-by-one would send it twice.
	excluded, err := s.lane.load.excluded.set(s.ctx)
	require.NoError(t, err)
	recs, err := s.oc.SearchRead(s.ctx, "res.partner", nil, []string{"id", "email_normalized"},
		odoo.ReadOptions{Order: "id asc", Context: map[string]any{"active_test": false}})
	require.NoError(t, err)
	index := map[string][]int{} // key -> positions of its partners
	for i, r := range recs {
		if k := r.String("email_normalized"); k != "" && !excluded[r.ID()] {
			index[k] = append(index[k], i)
		}
	}
	pagePartners := 0
	for i, r := range recs {
		pos := index[r.String("email_normalized")]
		if i >= 90 && len(pos) > 1 && pos[0] == i && pos[1] <= 2*i {
			seeded, seededID, pagePartners = r.String("email_normalized"), r.ID(), i+1
			break
		}
	}
	require.NotZero(t, seededID, "a seeded customer with two partners")
	late := s.create("res.partner", map[string]any{"name": "Late Checkout", "email": strings.ToUpper(seeded)})
	lateOrder := s.confirmedOrder(late)
	odd := s.create("res.partner", map[string]any{"name": "Odd Field", "email": "not@@an-address, " + seeded})
	// A customer Dotdigital refuses: the sync accepts the address, the
	// platform wants a plain ASCII local part.
	refused := s.create("res.partner", map[string]any{"name": "Zoë Refused", "email": "zoë@example.com"})
	s.confirmedOrder(refused)

	want := s.expected()
	require.Contains(t, want, seeded)
	require.Contains(t, want[seeded].PartnerIDs, late)
	require.Contains(t, want[seeded].PartnerIDs, odd)

	results := s.run(pagePartners)

	// Every customer was sent by exactly one page; the ones that span pages
	// were seen and left to the page of their lowest partner id.
	var customers, partners, shared int
	failures := map[string]backfill.Failure{}
	for _, r := range results {
		customers += r.Customers
		partners += r.Partners
		shared += r.Shared
		require.LessOrEqual(t, r.ContactImports, 3, "a page is a few contact imports")
		for _, f := range r.Failures {
			failures[f.Key] = f
		}
	}
	total, err := s.oc.SearchCount(s.ctx, "res.partner", nil, odoo.ReadOptions{Context: map[string]any{"active_test": false}})
	require.NoError(t, err)
	require.Equal(t, int(total), partners, "pages cover every partner")
	require.Equal(t, len(want), customers, "every customer sent once")
	require.Greater(t, shared, 0, "the late partner's page left its customer to the first page")
	require.Len(t, failures, 1)
	// Every landed customer's partners are bound to it in the partner index
	// (a later email change or merge is followed to its contact); the
	// refused one's are not.
	for _, id := range want[seeded].PartnerIDs {
		require.Equal(t, seeded, s.index.owner[id], "partner %d bound to its customer", id)
	}
	require.NotContains(t, s.index.owner, refused)
	require.Equal(t, "zoë@example.com", failures["zoë@example.com"].Key)
	require.Equal(t, "invalid_email", failures["zoë@example.com"].Reason)

	// Dotdigital holds one contact per customer with the full state, and
	// Insight records identical to those the live sync builds.
	contacts := map[int64]dotdigital.Contact{}
	byEmail := map[string]dotdigital.Contact{}
	fieldNames := make([]string, 0, len(customer.Fields))
	for _, f := range customer.Fields {
		fieldNames = append(fieldNames, f.Name)
	}
	for c, err := range s.ddc.AllContacts(s.ctx, dotdigital.ContactFilter{Limit: 5000, DataFields: fieldNames}) {
		require.NoError(t, err)
		require.NotContains(t, byEmail, c.Email, "one contact per email")
		contacts[c.ContactID], byEmail[c.Email] = c, c
	}
	require.Len(t, byEmail, len(want)-1, "every customer but the refused one")
	records := map[string]map[string]json.RawMessage{}
	for r, err := range s.ddc.AllCollectionRecords(s.ctx, customer.OrdersCollection, 5000) {
		require.NoError(t, err)
		owner := contacts[r.OwnerContactID].Email
		if records[owner] == nil {
			records[owner] = map[string]json.RawMessage{}
		}
		records[owner][r.Key] = r.JSON
	}
	for key, d := range want {
		if key == "zoë@example.com" {
			require.NotContains(t, byEmail, key)
			continue
		}
		c, ok := byEmail[key]
		require.True(t, ok, "contact %s", key)
		for _, name := range []string{customer.FieldOrderCount, customer.FieldTotalSpent, customer.FieldPartnerIDs, customer.FieldLastOrderRef,
			customer.FieldCustomerType, customer.FieldFullName, customer.FieldIsVIP, customer.FieldCategories} {
			requireSameValue(t, d.Fields[name], c.DataFields[name], "%s %s", key, name)
		}
		require.Len(t, records[key], len(d.Orders), "records of %s", key)
		for rk, r := range d.Orders {
			js, err := json.Marshal(r.JSON)
			require.NoError(t, err)
			require.JSONEq(t, string(js), string(records[key][rk]), "record %s of %s", rk, key)
		}
	}
	require.Contains(t, records[seeded], customer.RecordKey(lateOrder), "the late partner's order is on the first page's customer")
	require.Contains(t, byEmail[seeded].DataFields[customer.FieldPartnerIDs], fmt.Sprint(seededID))

	st := s.dd.Stats()
	require.Zero(t, st.ChannelStatusWrites, "never a subscription status")
	require.Zero(t, st.Status429)
}

func requireSameValue(t *testing.T, want, got any, msgAndArgs ...any) {
	t.Helper()
	switch w := want.(type) {
	case nil:
		require.True(t, got == nil || got == "", msgAndArgs...)
	case int:
		require.InDelta(t, float64(w), toFloat(got), 0.001, msgAndArgs...)
	case float64:
		require.InDelta(t, w, toFloat(got), 0.005, msgAndArgs...)
	default:
		require.Equal(t, fmt.Sprint(want), fmt.Sprint(got), msgAndArgs...)
	}
}

func toFloat(v any) float64 {
	switch n := v.(type) {
	case float64:
		return n
	case int64:
		return float64(n)
	case json.Number:
		f, _ := n.Float64()
		return f
	}
	return math.NaN()
}

func TestBackfillPageCountsPartnersThatAreNotCustomers(t *testing.T) {
	s := newFillStack(t, 0)
	noEmail := s.create("res.partner", map[string]any{"name": "No Email"})
	bad := s.create("res.partner", map[string]any{"name": "Bad", "email": "n/a"})
	good := s.create("res.partner", map[string]any{"name": "Good Buyer", "email": "good@example.com"})
	s.confirmedOrder(good)
	res, err := s.lane.BackfillPage(s.ctx, backfill.PageRequest{AfterID: 0, UpToID: max(noEmail, bad, good), ContactBatch: 10, InsightImports: 1})
	require.NoError(t, err)
	require.Equal(t, 1, res.Customers)
	require.GreaterOrEqual(t, res.Skipped[backfill.SkipNoEmail], 1, "ours and base data's")
	require.Equal(t, 1, res.Skipped[backfill.SkipInvalidEmail])
	require.GreaterOrEqual(t, res.Skipped[backfill.SkipExcluded], 2, "the companies' partners and the admin")
	require.Equal(t, 1, res.ContactsCreated)
	require.Equal(t, 1, res.OrdersImported)
	require.Empty(t, res.Failures)
	c, err := s.ddc.GetContact(s.ctx, "good@example.com", dotdigital.WithLists())
	require.NoError(t, err)
	require.Len(t, c.Lists, 1)
	require.Equal(t, "Odoo Customers", c.Lists[0].Name)

	// A repeated page (a retry after a crash) upserts: nothing new.
	again, err := s.lane.BackfillPage(s.ctx, backfill.PageRequest{AfterID: 0, UpToID: max(noEmail, bad, good), ContactBatch: 10, InsightImports: 1})
	require.NoError(t, err)
	require.Equal(t, 0, again.ContactsCreated)
	require.Equal(t, 1, again.ContactsUpdated)
	require.Equal(t, 1, s.dd.Stats().Contacts)
	require.Equal(t, 1, s.dd.Stats().InsightRecords)
}

// A fresh deployment's load ends at the newest partner that existed when it
// began: partners created later are the live sync's, and a bulk import of
// them could land after a newer live write.
func TestBackfillPlanStopsAtThePartnerThatWasNewestAtTheStart(t *testing.T) {
	s := newFillStack(t, 20)
	newest, err := s.oc.Search(s.ctx, "res.partner", nil, odoo.ReadOptions{Limit: 1, Order: "id desc", Context: map[string]any{"active_test": false}})
	require.NoError(t, err)
	later := s.create("res.partner", map[string]any{"name": "Later Shopper", "email": "later@example.com"})
	plan, err := s.poll.BackfillPlan(s.ctx, backfill.PlanRequest{PagePartners: 1000, Pages: 2, UpToID: newest[0]})
	require.NoError(t, err)
	require.Equal(t, []int64{newest[0]}, plan.Bounds)
	all, err := s.poll.BackfillPlan(s.ctx, backfill.PlanRequest{PagePartners: 1000, Pages: 2})
	require.NoError(t, err)
	require.Equal(t, []int64{later}, all.Bounds, "without a bound, every partner")
	require.Equal(t, all.Total-1, plan.Total, "the percentage counts the covered partners only")
	none, err := s.poll.BackfillPlan(s.ctx, backfill.PlanRequest{PagePartners: 1000, Pages: 2, UpToID: -1})
	require.NoError(t, err)
	require.Empty(t, none.Bounds, "no partner existed: nothing to load")
}
