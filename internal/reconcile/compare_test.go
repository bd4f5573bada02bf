package reconcile

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
)

func TestSameValue(t *testing.T) {
	cases := []struct {
		typ      string
		odoo, dd any
		same     bool
	}{
		{"Numeric", 3, 3.0, true},
		{"Numeric", 10.0, 10.004, true},
		{"Numeric", 10.0, 10.006, false},
		{"Numeric", 12.5, "12.50", true},
		{"Numeric", 0, nil, false}, // the sync writes 0 for a customer without orders
		{"Numeric", nil, nil, true},
		{"Date", "2024-05-01T10:00:00Z", "2024-05-01T10:00:00.000Z", true},
		{"Date", "2024-05-01T10:00:00Z", "2024-05-01T12:00:00+02:00", true},
		{"Date", "2024-05-01T10:00:00Z", "2024-05-01T10:00:01Z", false},
		{"Date", nil, "", true},
		{"Date", nil, "2024-05-01T10:00:00Z", false},
		{"Boolean", true, true, true},
		{"Boolean", false, "False", true},
		{"Boolean", false, nil, false}, // the sync writes false explicitly
		{"String", nil, "", true},
		{"String", "Ann", " Ann ", true},
		{"String", "Ann", "ann", false},
		{"String", "guest", nil, false},
	}
	for _, c := range cases {
		if got := sameValue(c.typ, c.odoo, c.dd); got != c.same {
			t.Errorf("sameValue(%s, %#v, %#v) = %v", c.typ, c.odoo, c.dd, got)
		}
	}
}

// compareEntries puts entries through a sorter and compares them, then
// matches misplaced records, as a run does (every data field present, tiny
// spill buffers so that runs are merged), and returns the items in the
// order they were emitted.
func compareEntries(t *testing.T, entries map[string][]entry) []Item {
	t.Helper()
	dir := t.TempDir()
	s := newSorter(dir, "k", 256)
	for key, es := range entries {
		for _, e := range es {
			if err := spill(s, key, e); err != nil {
				t.Fatal(err)
			}
		}
	}
	var items []Item
	emit := func(it Item) error { items = append(items, it); return nil }
	misplaced := newMisplacedFinder(dir, 256)
	cmp := newComparer(testSettings, testSettings.Lists, func(string) bool { return true }, misplaced, emit)
	ctx := context.Background()
	if err := compareAll(ctx, cmp, func(int) {}, s); err != nil {
		t.Fatal(err)
	}
	if err := misplaced.report(ctx, emit); err != nil {
		t.Fatal(err)
	}
	return items
}

// The Dotdigital emulator lower-cases emails, so duplicates cannot be
// planted there; real accounts can hold them (case is UNCONFIRMED in the
// reference). They are fed to the comparer here instead.
func TestDuplicateContacts(t *testing.T) {
	p := customer.Partner{ID: 7, Name: "Jane Doe", Active: true, WriteDate: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)}
	d := customer.Build(customer.Customer{Key: "jane@x.com", Partners: []customer.Partner{p}}, testSettings)
	right := map[string]any{}
	for k, v := range d.Fields {
		right[k] = v
	}
	wrong := map[string]any{customer.FieldFirstName: "Other"}
	items := compareEntries(t, map[string][]entry{
		"jane@x.com": {
			{Partner: &p},
			{Contact: &contactEntry{ID: 5, Email: "Jane@X.com", Fields: wrong}},
			{Contact: &contactEntry{ID: 9, Email: "jane@x.com", Fields: right}},
			{Member: &memberEntry{ContactID: 9, List: listCustomers}},
		},
		"ghost@x.com": {
			{Contact: &contactEntry{ID: 11, Email: "ghost@x.com"}},
			{Contact: &contactEntry{ID: 12, Email: "GHOST@x.com"}},
		},
	})
	want := []Item{
		{Kind: KindDuplicateContacts, Key: "ghost@x.com", ContactIDs: []int64{11, 12},
			Detail: "ghost@x.com (contact 11), GHOST@x.com (contact 12)"},
		{Kind: KindDuplicateContacts, Key: "jane@x.com", PartnerIDs: []int64{7}, ContactIDs: []int64{5, 9},
			Detail: "Jane@X.com (contact 5), jane@x.com (contact 9)"},
	}
	// The contact whose email is the key is the one compared: it is right,
	// so nothing else is reported; the ghost pair is in no list and carries
	// no partner ids, so it is not the sync's.
	if !reflect.DeepEqual(items, want) {
		t.Errorf("items\n got %+v\nwant %+v", items, want)
	}
}

func TestRecordsComparedByStatusAndTotal(t *testing.T) {
	confirmed := customer.Order{ID: 1, Name: "S1", State: "sale", Total: 100, DateOrder: time.Unix(1e9, 0), PartnerID: 1}
	cancelled := customer.Order{ID: 2, Name: "S2", State: "cancel", Total: 40, DateOrder: time.Unix(1e9, 0), PartnerID: 1}
	draft := customer.Order{ID: 3, Name: "S3", State: "draft", Total: 5, PartnerID: 1}
	d := customer.Build(customer.Customer{Key: "a@b.co", Partners: []customer.Partner{{ID: 1, Active: true}},
		Orders: []customer.Order{confirmed, cancelled, draft}}, testSettings)
	total := func(f float64) *float64 { return &f }
	missing, extra, stale := compareRecords(d.Orders, []recordEntry{
		{Key: "1", Status: "confirmed", Total: total(100.004)}, // within tolerance
		{Key: "2", Status: "confirmed", Total: total(40)},      // cancel not written
		{Key: "3", Status: "confirmed", Total: total(5)},       // a draft has no record
	})
	if len(missing) != 0 || !reflect.DeepEqual(extra, []string{"3"}) || !reflect.DeepEqual(stale, []string{"2"}) {
		t.Errorf("missing %v extra %v stale %v", missing, extra, stale)
	}
	missing, _, stale = compareRecords(d.Orders, []recordEntry{{Key: "1", Status: "confirmed"}})
	if !reflect.DeepEqual(missing, []string{"2"}) || !reflect.DeepEqual(stale, []string{"1"}) {
		t.Errorf("a record without a total must be stale: missing %v stale %v", missing, stale)
	}
}

func TestHealable(t *testing.T) {
	for k, want := range map[Kind]bool{KindMissing: true, KindFieldMismatch: true, KindOrderMismatch: true, KindListMismatch: true,
		KindOnlyInDotdigital: true, KindMisplacedRecord: true, KindDuplicateContacts: false, KindSkippedPartner: false} {
		it := Item{Kind: k, Key: "a@b.co", HolderKey: "c@d.co"}
		if got := Healable(it); got != want {
			t.Errorf("Healable(%s) = %v", k, got)
		}
		wantKeys := map[bool][]string{true: {"a@b.co"}, false: nil}[want]
		if k == KindMisplacedRecord {
			wantKeys = []string{"c@d.co", "a@b.co"}
		}
		if got := HealKeys(it); !reflect.DeepEqual(got, wantKeys) {
			t.Errorf("HealKeys(%s) = %v, want %v", k, got, wantKeys)
		}
	}
	if Healable(Item{Kind: KindMisplacedRecord, Key: "a@b.co"}) {
		t.Error("a misplaced record without its holder cannot be healed")
	}
}
