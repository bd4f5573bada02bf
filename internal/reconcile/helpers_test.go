package reconcile

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/dotdigital"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/odoo"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/dotdigital/ddemu"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/odoo/odooemu"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer/odooconv"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/identity"
)

const (
	listCustomers = "Customers"
	listVIP       = "VIP customers"
)

// testSettings is the mapping every test uses: one list for everybody, a
// tag-driven VIP list.
var testSettings = customer.Settings{
	VIPTags:       []string{"VIP"},
	Currency:      "EUR",
	CurrencyRates: map[string]float64{"USD": 0.92, "GBP": 1.17},
	Lists:         []string{listCustomers},
	TagLists:      map[string]string{"VIP": listVIP},
}

// stack is both emulators and a client for each.
type stack struct {
	odooEmu *odooemu.Emulator
	ddEmu   *ddemu.Emulator
	oc      *odoo.Client
	dc      *dotdigital.Client
	lists   map[string]int64
}

func newStack(t testing.TB, seedCustomers int) *stack {
	t.Helper()
	oe, err := odooemu.New(odooemu.Options{DB: "odoo", Login: "admin", Password: "admin", Version: 17,
		SeedCustomers: seedCustomers, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if err := oe.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { oe.Close() })
	de, err := ddemu.New(ddemu.Options{APIUser: "demo@apiconnector.com", APIPassword: "demo", ImportDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := de.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { de.Close() })
	s := &stack{odooEmu: oe, ddEmu: de, oc: newOdooClient(t, oe), dc: newDDClient(t, de), lists: map[string]int64{}}

	ctx := context.Background()
	var specs []dotdigital.DataField
	for _, f := range customer.Fields {
		specs = append(specs, dotdigital.DataField{Name: f.Name, Type: f.Type})
	}
	if _, err := s.dc.EnsureDataFields(ctx, specs); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{listCustomers, listVIP} {
		id, err := s.dc.EnsureList(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		s.lists[name] = id
	}
	if _, err := s.dc.CreateCollection(ctx, customer.OrdersCollection, dotdigital.ScopeContact, dotdigital.CollectionTypeOrders); err != nil {
		t.Fatal(err)
	}
	return s
}

// newOdooClient returns a client of its own (own session, own field cache).
func newOdooClient(t testing.TB, oe *odooemu.Emulator) *odoo.Client {
	t.Helper()
	c, err := odoo.New(odoo.Config{URL: oe.URL(), DB: "odoo", Login: "admin", APIKey: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newDDClient(t testing.TB, de *ddemu.Emulator) *dotdigital.Client {
	t.Helper()
	c, err := dotdigital.New(dotdigital.Config{APIUser: "demo@apiconnector.com", APIPassword: "demo", Endpoint: de.URL()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// odooKeys scans Odoo with the client's own reader and returns every
// customer key (a key with at least one active partner: an archived partner
// leaves its customer) and the ids of the partners without a valid email:
// the expectations, computed independently of the package under test.
func odooKeys(t testing.TB, oc *odoo.Client) (keys []string, skipped map[int64]bool) {
	t.Helper()
	seen := map[string]bool{}
	skipped = map[int64]bool{}
	err := oc.ScanPartners(context.Background(), 500, func(page []odoo.Partner) error {
		for _, p := range page {
			k, _ := p.Key()
			switch {
			case k == "":
				skipped[p.ID] = true
			case p.Active && !seen[k]:
				seen[k] = true
				keys = append(keys, k)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(keys)
	return keys, skipped
}

// desiredOf loads customers by key the way the sync's loader does
// (PartnersByKeys, OrdersByPartners with lines, tag names) and builds their
// desired Dotdigital state.
func desiredOf(t testing.TB, oc *odoo.Client, keys []string) map[string]customer.Desired {
	t.Helper()
	ctx := context.Background()
	cats, err := oc.AllCategories(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tags := map[int64]string{}
	for _, c := range cats {
		tags[c.ID] = c.Name
	}
	out := map[string]customer.Desired{}
	for start := 0; start < len(keys); start += 200 {
		batch := keys[start:min(start+200, len(keys))]
		partners, err := oc.PartnersByKeys(ctx, batch)
		if err != nil {
			t.Fatal(err)
		}
		custs := map[string]*customer.Customer{}
		keyOf := map[int64]string{}
		var ids []int64
		for _, p := range partners {
			k, _ := p.Key()
			c := custs[k]
			if c == nil {
				c = &customer.Customer{Key: k}
				custs[k] = c
			}
			c.Partners = append(c.Partners, odooconv.Partner(p, tags))
			keyOf[p.ID] = k
			ids = append(ids, p.ID)
		}
		orders, err := oc.OrdersByPartners(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range orders {
			c := custs[keyOf[o.PartnerID.ID]]
			c.Orders = append(c.Orders, odooconv.Order(o))
		}
		for k, c := range custs {
			out[k] = customer.Build(*c, testSettings)
		}
	}
	return out
}

// writeDesired writes exactly the desired state with single calls, as the
// sync does for a new contact: the non-empty fields, the lists, the records.
func (s *stack) writeDesired(t testing.TB, d customer.Desired) {
	t.Helper()
	ctx := context.Background()
	if _, _, err := s.dc.UpsertContact(ctx, d.Key, dotdigital.ContactUpdate{DataFields: nonNil(d.Fields), Lists: s.listIDs(d.Lists)}); err != nil {
		t.Fatal(err)
	}
	for key, r := range d.Orders {
		if _, err := s.dc.PutOrderRecord(ctx, customer.OrdersCollection, d.Key, key, r.JSON); err != nil {
			t.Fatal(err)
		}
	}
}

// importDesired writes the desired states with bulk imports (for large sets).
func (s *stack) importDesired(t testing.TB, ds []customer.Desired) {
	t.Helper()
	ctx := context.Background()
	const batch = 5000
	for start := 0; start < len(ds); start += batch {
		var contacts []dotdigital.ImportContact
		for _, d := range ds[start:min(start+batch, len(ds))] {
			contacts = append(contacts, dotdigital.ImportContact{Email: d.Key, DataFields: nonNil(d.Fields), Lists: s.listIDs(d.Lists)})
		}
		id, err := s.dc.ImportContacts(ctx, contacts, dotdigital.MergeOverwrite)
		if err != nil {
			t.Fatal(err)
		}
		if rep, err := s.dc.WaitContactImport(ctx, id, 5*time.Millisecond); err != nil || !rep.Done() {
			t.Fatalf("contact import: %v %+v", err, rep.Status)
		}
	}
	var recs []dotdigital.InsightRecord
	flush := func() {
		if len(recs) == 0 {
			return
		}
		id, err := s.dc.ImportInsight(ctx, dotdigital.InsightImport{CollectionName: customer.OrdersCollection, Type: dotdigital.CollectionTypeOrders, Records: recs})
		if err != nil {
			t.Fatal(err)
		}
		if rep, err := s.dc.WaitInsightImport(ctx, id, 5*time.Millisecond); err != nil || !rep.Done() {
			t.Fatalf("insight import: %v %+v", err, rep.Status)
		}
		recs = recs[:0]
	}
	for _, d := range ds {
		for key, r := range d.Orders {
			recs = append(recs, dotdigital.InsightRecord{Key: key, Email: d.Key, JSON: r.JSON})
			if len(recs) == batch {
				flush()
			}
		}
	}
	flush()
}

func (s *stack) listIDs(names []string) []int64 {
	var ids []int64
	for _, n := range names {
		ids = append(ids, s.lists[n])
	}
	return ids
}

func nonNil(fields map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range fields {
		if v != nil {
			out[k] = v
		}
	}
	return out
}

// keyOf is identity.Key for tests that build emails by hand.
func keyOf(email string) string {
	k, _ := identity.Key("", email)
	return k
}
