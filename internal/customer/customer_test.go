package customer

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

var settings = Settings{
	VIPTags: []string{"VIP"}, Currency: "EUR",
	CurrencyRates: map[string]float64{"EUR": 1, "USD": 0.5},
	Lists:         []string{"Odoo Customers"}, TagLists: map[string]string{"vip": "VIP Customers"},
}

func ts(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05", s)
	if err != nil {
		panic(err)
	}
	return t
}

func guestAndAccount() Customer {
	return Customer{
		Key: "jane@example.com",
		Partners: []Partner{
			{ID: 7, Name: "jane guest", CompanyID: 1, CompanyName: "Shop EU", Active: true, WriteDate: ts("2026-01-01 10:00:00")},
			{ID: 9, Name: "Jane van der Berg", CompanyID: 2, CompanyName: "Shop US", WebsiteName: "us.shop", CountryName: "Netherlands",
				Lang: "nl_NL", Tags: []string{"VIP"}, HasUser: true, Active: true, WriteDate: ts("2026-01-02 10:00:00")},
		},
		Orders: []Order{
			{ID: 100, Name: "S00100", State: "sale", DateOrder: ts("2026-01-01 10:00:00"), Total: 100, Subtotal: 80, Currency: "EUR", PartnerID: 7, WriteDate: ts("2026-01-01 10:00:01")},
			{ID: 101, Name: "S00101", State: "done", DateOrder: ts("2026-01-03 10:00:00"), Total: 50, Subtotal: 40, Currency: "USD", PartnerID: 9, WriteDate: ts("2026-01-03 10:00:01"),
				Lines: []Line{{SKU: "A1", Name: "Mug", Qty: 2, Price: 12.5}}},
			{ID: 102, Name: "S00102", State: "cancel", DateOrder: ts("2026-01-04 10:00:00"), Total: 999, Currency: "EUR", PartnerID: 9, WriteDate: ts("2026-01-04 10:00:01")},
			{ID: 103, Name: "S00103", State: "draft", DateOrder: ts("2026-01-05 10:00:00"), Total: 5, Currency: "EUR", PartnerID: 9, WriteDate: ts("2026-01-05 10:00:01")},
		},
	}
}

func TestBuildFoldsPartnersAndAggregatesConfirmedOrders(t *testing.T) {
	d := Build(guestAndAccount(), settings)
	want := map[string]any{
		FieldFirstName: "Jane", FieldLastName: "van der Berg", FieldCountry: "Netherlands", FieldLanguage: "nl_NL",
		FieldPartnerIDs: "7,9", FieldCompanies: "Shop EU, Shop US", FieldWebsites: "us.shop",
		FieldCustomerType: "account", FieldCategories: "VIP", FieldIsVIP: true,
		FieldOrderCount: 2, FieldTotalSpent: 125.0, FieldAvgOrder: 62.5,
		FieldFirstOrderDate: "2026-01-01T10:00:00Z", FieldLastOrderDate: "2026-01-03T10:00:00Z", FieldLastOrderRef: "S00101",
		FieldSyncedAt: "2026-01-05T10:00:01Z",
	}
	for k, v := range want {
		if d.Fields[k] != v {
			t.Errorf("%s = %#v, want %#v", k, d.Fields[k], v)
		}
	}
	if len(d.Orders) != 3 {
		t.Fatalf("records for %d orders, want 3 (confirmed, done, cancelled; not draft)", len(d.Orders))
	}
	if d.Orders["102"].JSON["status"] != "cancelled" || d.Orders["101"].JSON["status"] != "confirmed" {
		t.Errorf("statuses: %v / %v", d.Orders["102"].JSON["status"], d.Orders["101"].JSON["status"])
	}
	if got := d.Lists; len(got) != 2 || got[0] != "Odoo Customers" || got[1] != "VIP Customers" {
		t.Errorf("lists = %v", got)
	}
}

func TestPlanNewContactThenNothingThenCancellation(t *testing.T) {
	c := guestAndAccount()
	d := Build(c, settings)
	p := PlanFor(d, Absent(d.Key), false)
	if !p.NewContact || p.Class != ClassOrder || len(p.Orders) != 3 || len(p.AddLists) != 2 {
		t.Fatalf("first plan: %+v", p)
	}
	if _, ok := p.Fields[FieldLastOrderRef]; !ok {
		t.Fatal("new contact misses purchase fields")
	}
	s := Snapshot{}.AfterContact(d, p).WithLists(d.Lists)
	for _, r := range p.Orders {
		s = s.WithOrder(r.Key, r.Hash)
	}
	if again := PlanFor(Build(c, settings), s, false); !again.Empty() {
		t.Fatalf("unchanged customer gives a plan: %+v", again)
	}
	c.Orders[1].State = "cancel"
	c.Orders[1].WriteDate = ts("2026-02-01 00:00:00")
	p = PlanFor(Build(c, settings), s, false)
	if p.Class != ClassOrder || len(p.Orders) != 1 || p.Orders[0].Key != "101" {
		t.Fatalf("cancel plan: %+v", p)
	}
	if p.Fields[FieldOrderCount] != 1 || p.Fields[FieldTotalSpent] != 100.0 {
		t.Fatalf("aggregates after cancel: %v", p.Fields)
	}
	if _, ok := p.Fields[FieldFirstName]; ok {
		t.Fatal("unchanged profile field resent")
	}
}

func TestPlanProfileOnlyAndClears(t *testing.T) {
	c := guestAndAccount()
	d := Build(c, settings)
	s := Full(d)
	c.Partners[1].Lang = ""
	c.Partners[1].WriteDate = ts("2026-03-01 00:00:00")
	p := PlanFor(Build(c, settings), s, false)
	if p.Class != ClassProfile {
		t.Fatalf("class %v, want profile", p.Class)
	}
	if v, ok := p.Fields[FieldLanguage]; !ok || v != nil {
		t.Fatalf("LANGUAGE should be cleared with null, plan %v", p.Fields)
	}
	if p.Fields[FieldSyncedAt] != "2026-03-01T00:00:00Z" {
		t.Fatalf("ODOO_SYNCED_AT not sent: %v", p.Fields)
	}
}

func TestPlanTagRemovedLeavesVIPList(t *testing.T) {
	c := guestAndAccount()
	s := Full(Build(c, settings))
	c.Partners[1].Tags = nil
	p := PlanFor(Build(c, settings), s, false)
	if p.Class != ClassStatus || len(p.RemoveLists) != 1 || p.RemoveLists[0] != "VIP Customers" || p.Fields[FieldIsVIP] != false {
		t.Fatalf("plan %+v", p)
	}
}

func TestPlanOrderMovedAwayIsDeleted(t *testing.T) {
	c := guestAndAccount()
	s := Full(Build(c, settings))
	c.Orders = c.Orders[1:]
	p := PlanFor(Build(c, settings), s, false)
	if len(p.DeleteOrders) != 1 || p.DeleteOrders[0] != "100" {
		t.Fatalf("plan %+v", p)
	}
}

func TestForceRewritesEverything(t *testing.T) {
	c := guestAndAccount()
	d := Build(c, settings)
	p := PlanFor(d, Full(d), true)
	if p.NewContact || len(p.Orders) != 3 || len(p.Fields) < 10 {
		t.Fatalf("force plan %+v", p)
	}
}

func TestNoPartnersClearsProfile(t *testing.T) {
	d := Build(Customer{Key: "x@example.com"}, settings)
	if d.Fields[FieldCustomerType] != nil || d.Fields[FieldOrderCount] != 0 || d.Lists != nil {
		t.Fatalf("%v %v", d.Fields, d.Lists)
	}
}

func TestTruncateKeepsRunes(t *testing.T) {
	s := truncate("ééééé", 3)
	if s != "é" {
		t.Fatalf("%q", s)
	}
}

func TestAdoptMatchesWhatTheSyncWrote(t *testing.T) {
	c := guestAndAccount()
	d := Build(c, settings)
	// What Dotdigital returns: upper-case names, JSON-decoded values, records as raw JSON.
	fields := map[string]any{}
	for k, v := range d.FieldValues {
		var x any
		if err := json.Unmarshal([]byte(v), &x); err != nil {
			t.Fatal(err)
		}
		fields[strings.ToLower(k)] = x
	}
	records := map[string]json.RawMessage{}
	for k, r := range d.Orders {
		b, _ := json.Marshal(r.JSON)
		records[k] = b
	}
	s := Adopt(d.Key, 42, fields, d.Lists, records)
	if p := PlanFor(d, s, false); !p.Empty() {
		t.Fatalf("adopted snapshot of an up-to-date contact still plans writes: %+v", p)
	}
}

func TestArchivedPartnerLeavesItsCustomer(t *testing.T) {
	c := guestAndAccount()
	c.Partners[1].Active = false // the account partner (tagged VIP) is archived
	d := Build(c, settings)
	if len(d.PartnerIDs) != 1 || d.PartnerIDs[0] != c.Partners[0].ID {
		t.Fatalf("partner ids %v, want only the active guest", d.PartnerIDs)
	}
	for key := range d.Orders {
		for _, o := range c.Orders {
			if RecordKey(o.ID) == key && o.PartnerID != c.Partners[0].ID {
				t.Fatalf("order %d of the archived partner still has a record", o.ID)
			}
		}
	}
	if d.Fields[FieldIsVIP] != false || slices.Contains(d.Lists, "VIP Customers") {
		t.Fatalf("the archived partner's VIP tag still counts: %v %v", d.Fields[FieldIsVIP], d.Lists)
	}
	c.Partners[0].Active = false
	if d := Build(c, settings); len(d.PartnerIDs) != 0 || d.Lists != nil || len(d.Orders) != 0 || d.Fields[FieldOrderCount] != 0 {
		t.Fatalf("a customer with only archived partners is empty: %+v", d)
	}
}

func TestUnknownSnapshotPlansEverythingNullsIncluded(t *testing.T) {
	c := guestAndAccount()
	c.Orders = nil // no purchases: the order fields are null
	d := Build(c, settings)
	p := PlanFor(d, Snapshot{}, false)
	if !p.Unknown || p.NewContact || !p.ContactWrite() {
		t.Fatalf("plan of an unknown snapshot %+v", p)
	}
	if v, ok := p.Fields[FieldLastOrderRef]; !ok || v != nil {
		t.Fatalf("LAST_ORDER_REF must be sent as null (it may hold a stale value): %v", p.Fields)
	}
	if len(p.Fields) != len(Fields) || !slices.Equal(p.AddLists, d.Lists) {
		t.Fatalf("every field and list: %v %v", p.Fields, p.AddLists)
	}
	// A known absent contact is a new contact: empty fields are not sent.
	p = PlanFor(d, Absent(d.Key), false)
	if p.Unknown || !p.NewContact {
		t.Fatalf("plan against a known absent contact %+v", p)
	}
	if _, ok := p.Fields[FieldLastOrderRef]; ok {
		t.Fatalf("a new contact has nothing to clear: %v", p.Fields)
	}
}

func TestParsePartnerIDs(t *testing.T) {
	if got := ParsePartnerIDs("40, 12,x,,-3"); !slices.Equal(got, []int64{12, 40}) {
		t.Fatalf("%v", got)
	}
	if got := ParsePartnerIDs(nil); got != nil {
		t.Fatalf("%v", got)
	}
}
