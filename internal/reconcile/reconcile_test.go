package reconcile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/dotdigital"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/odoo"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/odoo/odooemu"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
)

// odooWriter creates partners and orders through XML-RPC, as a shop would.
type odooWriter struct {
	t       *testing.T
	oc      *odoo.Client
	product int64
}

func newOdooWriter(t *testing.T, oc *odoo.Client) *odooWriter {
	ids, err := oc.Search(context.Background(), "product.product", nil, odoo.ReadOptions{Limit: 1})
	if err != nil || len(ids) == 0 {
		t.Fatalf("no product: %v", err)
	}
	return &odooWriter{t: t, oc: oc, product: ids[0]}
}

func (w *odooWriter) partner(name string, email any) int64 {
	id, err := w.oc.Create(context.Background(), "res.partner", map[string]any{"name": name, "email": email})
	if err != nil {
		w.t.Fatal(err)
	}
	return id
}

func (w *odooWriter) confirmedOrder(partnerID int64, qty, price float64) int64 {
	ctx := context.Background()
	id, err := w.oc.Create(ctx, "sale.order", map[string]any{"partner_id": partnerID,
		"order_line": []any{[]any{0, 0, map[string]any{"product_id": w.product, "product_uom_qty": qty, "price_unit": price}}}})
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := w.oc.Call(ctx, "sale.order", "action_confirm", []any{[]int64{id}}, nil); err != nil {
		w.t.Fatal(err)
	}
	return id
}

func (w *odooWriter) cancel(orderID int64) {
	// Without disable_cancel_warning, 17+ answers with the cancel wizard.
	kw := map[string]any{"context": map[string]any{"disable_cancel_warning": true}}
	if _, err := w.oc.Call(context.Background(), "sale.order", "action_cancel", []any{[]int64{orderID}}, kw); err != nil {
		w.t.Fatal(err)
	}
}

// TestPlantedMismatches writes the exact desired state of every Odoo
// customer to Dotdigital, plants one difference of each kind next to them,
// and expects the report to list exactly the planted ones.
func TestPlantedMismatches(t *testing.T) {
	ctx := context.Background()
	s := newStack(t, 40)
	w := newOdooWriter(t, s.oc)

	// Customers made through XML-RPC next to the seeded ones.
	mixed := w.partner("Mixed Case", "  Mixed.Case@Example.COM ")
	w.confirmedOrder(mixed, 2, 19.99)
	cancelLater := w.partner("Cancel Later", "cancel.later@example.com")
	cancelledOrder := w.confirmedOrder(cancelLater, 1, 50)
	noEmail := w.partner("No Email", false)
	badEmail := w.partner("Bad Email", "nope(at)example.com")

	keys, skipped := odooKeys(t, s.oc)
	if !skipped[noEmail] || !skipped[badEmail] {
		t.Fatalf("the planted partners without a valid email are not skipped by identity.Key")
	}
	desired := desiredOf(t, s.oc, keys)
	if len(desired) != len(keys) {
		t.Fatalf("desired state of %d keys for %d keys", len(desired), len(keys))
	}

	// Pick distinct customers for each planted difference.
	used := map[string]bool{keyOf("mixed.case@example.com"): true, "cancel.later@example.com": true}
	pick := func(ok func(customer.Desired) bool) string {
		for _, k := range keys {
			if !used[k] && ok(desired[k]) {
				used[k] = true
				return k
			}
		}
		t.Fatal("not enough seeded customers for the planted cases")
		return ""
	}
	anyone := func(customer.Desired) bool { return true }
	withRecord := func(d customer.Desired) bool { return len(d.Orders) > 0 }
	notVIP := func(d customer.Desired) bool { return !contains(d.Lists, listVIP) }
	missingKey, fieldKey, countKey := pick(anyone), pick(anyone), pick(anyone)
	missingRecKey, extraRecKey, staleKey := pick(withRecord), pick(anyone), pick(withRecord)
	notInListKey, extraVIPKey := pick(anyone), pick(notVIP)
	ownerKey, holderKey, archivedKey := pick(withRecord), pick(anyone), pick(withRecord)

	for _, k := range keys {
		if k != missingKey {
			s.writeDesired(t, desired[k])
		}
	}

	// Plant.
	upsert := func(email string, u dotdigital.ContactUpdate) {
		if _, _, err := s.dc.UpsertContact(ctx, email, u); err != nil {
			t.Fatal(err)
		}
	}
	upsert(fieldKey, dotdigital.ContactUpdate{DataFields: map[string]any{customer.FieldFirstName: "Wrongname"}})
	count := desired[countKey].Fields[customer.FieldOrderCount].(int)
	upsert(countKey, dotdigital.ContactUpdate{DataFields: map[string]any{customer.FieldOrderCount: count + 5}})
	missingRec := firstRecord(desired[missingRecKey])
	if err := s.dc.DeleteContactRecord(ctx, customer.OrdersCollection, missingRecKey, missingRec); err != nil {
		t.Fatal(err)
	}
	if _, err := s.dc.PutOrderRecord(ctx, customer.OrdersCollection, extraRecKey, "99999999",
		map[string]any{"id": "99999999", "status": "confirmed", "orderTotal": 1.0}); err != nil {
		t.Fatal(err)
	}
	staleRec := firstRecord(desired[staleKey])
	staleJSON := map[string]any{}
	for k, v := range desired[staleKey].Orders[staleRec].JSON {
		staleJSON[k] = v
	}
	staleJSON["orderTotal"] = staleJSON["orderTotal"].(float64) + 10
	if _, err := s.dc.PutOrderRecord(ctx, customer.OrdersCollection, staleKey, staleRec, staleJSON); err != nil {
		t.Fatal(err)
	}
	c, err := s.dc.GetContact(ctx, notInListKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.dc.RemoveContactFromList(ctx, s.lists[listCustomers], c.ContactID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.dc.AddContactToList(ctx, s.lists[listVIP], extraVIPKey); err != nil {
		t.Fatal(err)
	}
	upsert("ghost.only@example.net", dotdigital.ContactUpdate{Lists: []int64{s.lists[listCustomers]}})
	upsert("ghost.fields@example.net", dotdigital.ContactUpdate{DataFields: map[string]any{customer.FieldPartnerIDs: "999999"}})
	upsert("newsletter.only@example.net", dotdigital.ContactUpdate{DataFields: map[string]any{customer.FieldFirstName: "Ann"}})
	w.cancel(cancelledOrder) // after its record was written as confirmed
	// A record on the wrong contact (as an email change would leave it).
	misplacedRec := firstRecord(desired[ownerKey])
	if err := s.dc.DeleteContactRecord(ctx, customer.OrdersCollection, ownerKey, misplacedRec); err != nil {
		t.Fatal(err)
	}
	if _, err := s.dc.PutOrderRecord(ctx, customer.OrdersCollection, holderKey, misplacedRec, desired[ownerKey].Orders[misplacedRec].JSON); err != nil {
		t.Fatal(err)
	}
	holder, err := s.dc.GetContact(ctx, holderKey)
	if err != nil {
		t.Fatal(err)
	}
	// Every partner of a synced customer archived: it leaves, its contact
	// (with partner ids, list and records) is a ghost.
	if err := s.oc.Write(ctx, "res.partner", desired[archivedKey].PartnerIDs, map[string]any{"active": false}); err != nil {
		t.Fatal(err)
	}

	// Run with tiny pages and spill buffers, so that paging and multi-run
	// merges are exercised; count calls on both emulators.
	ddBefore := s.ddEmu.Stats().Calls
	s.odooEmu.ResetCalls()
	var items []Item
	rep, err := Run(ctx, Sources{Odoo: newOdooClient(t, s.odooEmu), Dotdigital: s.dc}, Options{
		Mapping: testSettings, PageSize: 7, SpillBytes: 1024,
		OnItem: func(it Item) error { items = append(items, it); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}

	want := map[Kind][]string{
		KindMissing:          {missingKey},
		KindOnlyInDotdigital: {"ghost.fields@example.net", "ghost.only@example.net", archivedKey},
		KindFieldMismatch:    {fieldKey},
		KindOrderMismatch:    {countKey, missingRecKey, extraRecKey, staleKey, "cancel.later@example.com", ownerKey, holderKey},
		KindMisplacedRecord:  {ownerKey},
		KindListMismatch:     {notInListKey, extraVIPKey},
	}
	got := map[Kind][]string{}
	var gotSkipped []int64
	for _, it := range rep.Items {
		if it.Kind == KindSkippedPartner {
			gotSkipped = append(gotSkipped, it.PartnerIDs...)
			continue
		}
		got[it.Kind] = append(got[it.Kind], it.Key)
	}
	for k := range want {
		sort.Strings(want[k])
		sort.Strings(got[k])
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("items by kind:\n got %v\nwant %v\n%s", got, want, textOf(t, rep))
	}
	var wantSkipped []int64
	for id := range skipped {
		wantSkipped = append(wantSkipped, id)
	}
	sort.Slice(wantSkipped, func(i, j int) bool { return wantSkipped[i] < wantSkipped[j] })
	sort.Slice(gotSkipped, func(i, j int) bool { return gotSkipped[i] < gotSkipped[j] })
	if !reflect.DeepEqual(gotSkipped, wantSkipped) {
		t.Errorf("skipped partners %v, want %v", gotSkipped, wantSkipped)
	}
	for _, k := range Kinds {
		n := len(want[k])
		if k == KindSkippedPartner {
			n = len(wantSkipped)
		}
		if rep.Counts[k] != n {
			t.Errorf("count of %s = %d, want %d", k, rep.Counts[k], n)
		}
	}
	if len(items) != len(rep.Items) {
		t.Errorf("OnItem saw %d items, the report holds %d", len(items), len(rep.Items))
	}

	// What each item says.
	byKey := map[string]Item{}
	for _, it := range rep.Items {
		if it.Kind != KindSkippedPartner {
			byKey[string(it.Kind)+"/"+it.Key] = it
		}
	}
	item := func(k Kind, key string) Item { return byKey[string(k)+"/"+key] }
	if it := item(KindMisplacedRecord, ownerKey); it.HolderKey != holderKey || !reflect.DeepEqual(it.MisplacedRecords, []string{misplacedRec}) ||
		!reflect.DeepEqual(it.ContactIDs, []int64{holder.ContactID}) || !reflect.DeepEqual(HealKeys(it), []string{holderKey, ownerKey}) {
		t.Errorf("misplaced record item %+v", it)
	}
	if it := item(KindOrderMismatch, ownerKey); !reflect.DeepEqual(it.MissingRecords, []string{misplacedRec}) || len(it.Fields) > 0 {
		t.Errorf("owner of the misplaced record: %+v", it)
	}
	if it := item(KindOrderMismatch, holderKey); !reflect.DeepEqual(it.ExtraRecords, []string{misplacedRec}) || len(it.Fields) > 0 {
		t.Errorf("holder of the misplaced record: %+v", it)
	}
	wantDetail := fmt.Sprintf("in list %s; %s=%s; %d order record(s); every partner archived (%s)", listCustomers, customer.FieldPartnerIDs,
		desired[archivedKey].FieldValues[customer.FieldPartnerIDs][1:len(desired[archivedKey].FieldValues[customer.FieldPartnerIDs])-1],
		len(desired[archivedKey].Orders), joinIDs(desired[archivedKey].PartnerIDs))
	if it := item(KindOnlyInDotdigital, archivedKey); it.Detail != wantDetail || len(it.ExtraRecords) != len(desired[archivedKey].Orders) {
		t.Errorf("archived customer: %+v\nwant detail %q", it, wantDetail)
	}
	if it := item(KindMissing, missingKey); !reflect.DeepEqual(it.PartnerIDs, desired[missingKey].PartnerIDs) {
		t.Errorf("missing item partners %v, want %v", it.PartnerIDs, desired[missingKey].PartnerIDs)
	}
	wantFirst := desired[fieldKey].FieldValues[customer.FieldFirstName]
	if it := item(KindFieldMismatch, fieldKey); !reflect.DeepEqual(it.Fields, []FieldDiff{{customer.FieldFirstName, wantFirst, `"Wrongname"`}}) {
		t.Errorf("field item %+v", it.Fields)
	}
	if it := item(KindOrderMismatch, countKey); len(it.Fields) != 1 || it.Fields[0].Name != customer.FieldOrderCount ||
		it.Fields[0].Dotdigital != fmt.Sprint(count+5) || len(it.MissingRecords)+len(it.ExtraRecords)+len(it.StaleRecords) > 0 {
		t.Errorf("order count item %+v", it)
	}
	if it := item(KindOrderMismatch, missingRecKey); !reflect.DeepEqual(it.MissingRecords, []string{missingRec}) || len(it.Fields) > 0 {
		t.Errorf("missing record item %+v", it)
	}
	if it := item(KindOrderMismatch, extraRecKey); !reflect.DeepEqual(it.ExtraRecords, []string{"99999999"}) || len(it.Fields) > 0 {
		t.Errorf("extra record item %+v", it)
	}
	if it := item(KindOrderMismatch, staleKey); !reflect.DeepEqual(it.StaleRecords, []string{staleRec}) || len(it.Fields) > 0 {
		t.Errorf("stale record item %+v", it)
	}
	it := item(KindOrderMismatch, "cancel.later@example.com")
	if !reflect.DeepEqual(it.StaleRecords, []string{customer.RecordKey(cancelledOrder)}) || !hasField(it.Fields, customer.FieldOrderCount) || !hasField(it.Fields, customer.FieldTotalSpent) {
		t.Errorf("cancelled order item %+v", it)
	}
	if it := item(KindListMismatch, notInListKey); !reflect.DeepEqual(it.MissingLists, []string{listCustomers}) || len(it.ExtraLists) > 0 {
		t.Errorf("list item %+v", it)
	}
	if it := item(KindListMismatch, extraVIPKey); !reflect.DeepEqual(it.ExtraLists, []string{listVIP}) || len(it.MissingLists) > 0 {
		t.Errorf("VIP list item %+v", it)
	}

	if rep.SpilledBytes == 0 {
		t.Error("nothing spilled to disk with 1 KiB spill buffers")
	}
	if rep.Customers != len(keys)-1 || rep.Contacts != len(keys)-1+3 {
		t.Errorf("customers %d contacts %d; want %d (the archived one left) and %d", rep.Customers, rep.Contacts, len(keys)-1, len(keys)+2)
	}
	// Every difference but skipped partners heals (a misplaced record's
	// holder and owner have items of their own).
	var heal []string
	for _, k := range []Kind{KindMissing, KindOnlyInDotdigital, KindFieldMismatch, KindOrderMismatch, KindListMismatch} {
		heal = append(heal, want[k]...)
	}
	sort.Strings(heal)
	if got := rep.HealKeys(); !reflect.DeepEqual(got, heal) {
		t.Errorf("heal keys %v, want %v", got, heal)
	}

	// The call counts are those the emulators saw. Odoo's extra calls are the
	// fresh client's login and field discovery, which the count leaves out.
	if got := s.ddEmu.Stats().Calls - ddBefore; got != int64(rep.APICalls.Dotdigital) {
		t.Errorf("Dotdigital saw %d calls, report says %d (%v)", got, rep.APICalls.Dotdigital, rep.APICalls.ByCall)
	}
	var odooCalls int64
	for k, n := range s.odooEmu.Calls() {
		if !strings.HasPrefix(k, "common.") && !strings.HasPrefix(k, "db.") && !strings.HasSuffix(k, ".fields_get") {
			odooCalls += n
		}
	}
	if odooCalls != int64(rep.APICalls.Odoo) {
		t.Errorf("Odoo saw %d calls (%v), report says %d (%v)", odooCalls, s.odooEmu.Calls(), rep.APICalls.Odoo, rep.APICalls.ByCall)
	}
	t.Logf("%d customers, %d partners: %d Odoo calls, %d Dotdigital calls (page size 7)",
		rep.Customers, rep.Partners, rep.APICalls.Odoo, rep.APICalls.Dotdigital)

	// Both writers render it; the JSON form round-trips.
	text := textOf(t, rep)
	for _, want := range []string{`missing_in_dotdigital\s+1\s+a resync heals it\n`, `only_in_dotdigital\s+3\s+a resync heals it\n`, `misplaced_record\s+1\s+a resync of both keys heals it\n`, "ghost.only@example.net", `FIRSTNAME odoo="\S+" dotdigital="Wrongname"`} {
		if !regexp.MustCompile(want).MatchString(text) {
			t.Errorf("text summary lacks %q:\n%s", want, text)
		}
	}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, rep); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Counts, rep.Counts) || len(back.Items) != len(rep.Items) {
		t.Errorf("JSON round trip lost data")
	}
}

// TestCleanAcrossVersions: with Dotdigital exactly as the sync would write
// it, nothing but the skipped partners is reported, on every Odoo version.
func TestCleanAcrossVersions(t *testing.T) {
	for _, v := range []int{16, 17, 18} {
		t.Run(fmt.Sprint(v), func(t *testing.T) {
			s := newStack(t, 0)
			oe, err := odooemu.New(odooemu.Options{Version: v, SeedCustomers: 60, Seed: int64(v)})
			if err != nil {
				t.Fatal(err)
			}
			if err := oe.Start("127.0.0.1:0"); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { oe.Close() })
			oc := newOdooClient(t, oe)
			keys, skipped := odooKeys(t, oc)
			desired := desiredOf(t, oc, keys)
			var ds []customer.Desired
			for _, k := range keys {
				ds = append(ds, desired[k])
			}
			s.importDesired(t, ds)
			rep, err := Run(context.Background(), Sources{Odoo: oc, Dotdigital: s.dc}, Options{Mapping: testSettings, PageSize: 25})
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range Kinds {
				want := 0
				if k == KindSkippedPartner {
					want = len(skipped)
				}
				if rep.Counts[k] != want {
					t.Errorf("%s: %d items, want %d\n%s", k, rep.Counts[k], want, textOf(t, rep))
				}
			}
			if rep.Customers != len(keys) || rep.Contacts != len(keys) {
				t.Errorf("customers %d, contacts %d, want %d", rep.Customers, rep.Contacts, len(keys))
			}
		})
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	s := newStack(t, 50)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := Run(ctx, Sources{Odoo: s.oc, Dotdigital: s.dc}, Options{Mapping: testSettings, PageSize: 5,
		Progress: func(done, total int) { cancel() }})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestOnItemErrorEndsRun(t *testing.T) {
	s := newStack(t, 20) // Dotdigital is empty: every customer is missing
	stop := errors.New("enough")
	n := 0
	_, err := Run(context.Background(), Sources{Odoo: s.oc, Dotdigital: s.dc}, Options{Mapping: testSettings,
		OnItem: func(it Item) error {
			if it.Kind != KindMissing {
				return nil
			}
			if n++; n == 3 {
				return stop
			}
			return nil
		}})
	if !errors.Is(err, stop) || n != 3 {
		t.Fatalf("err = %v after %d items", err, n)
	}
}

func TestItemsCappedCountsKept(t *testing.T) {
	s := newStack(t, 30) // Dotdigital is empty: every customer is missing
	keys, _ := odooKeys(t, s.oc)
	rep, err := Run(context.Background(), Sources{Odoo: s.oc, Dotdigital: s.dc}, Options{Mapping: testSettings, MaxItemsPerKind: 5})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Counts[KindMissing] != len(keys) || len(itemsOf(rep, KindMissing)) != 5 || !rep.Truncated(KindMissing) {
		t.Fatalf("missing: count %d (want %d), items %d (want 5)", rep.Counts[KindMissing], len(keys), len(itemsOf(rep, KindMissing)))
	}
	if got := itemsOf(rep, KindMissing); got[0].Key != keys[0] || got[4].Key != keys[4] {
		t.Errorf("items are not the first keys in order: %s .. %s", got[0].Key, got[4].Key)
	}
	if len(rep.Warnings) != 0 {
		t.Errorf("warnings %v", rep.Warnings)
	}
}

func TestMissingListAndFieldAreWarnings(t *testing.T) {
	s := newStack(t, 5)
	settings := testSettings
	settings.Lists = []string{listCustomers, "Not there"}
	rep, err := Run(context.Background(), Sources{Odoo: s.oc, Dotdigital: s.dc}, Options{Mapping: settings})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], `"Not there"`) {
		t.Errorf("warnings %v", rep.Warnings)
	}
}

func firstRecord(d customer.Desired) string {
	var keys []string
	for k := range d.Orders {
		keys = append(keys, k)
	}
	sortRecordKeys(keys)
	return keys[0]
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

func hasField(diffs []FieldDiff, name string) bool {
	for _, d := range diffs {
		if d.Name == name {
			return true
		}
	}
	return false
}

func textOf(t *testing.T, rep *Report) string {
	t.Helper()
	var b strings.Builder
	if err := WriteText(&b, rep, 20); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
