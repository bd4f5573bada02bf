package reconcile

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
)

var written = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)

func activePartner(id int64, name string) customer.Partner {
	return customer.Partner{ID: id, Name: name, Active: true, WriteDate: written}
}

func confirmedOrder(id, partnerID int64, total float64) customer.Order {
	return customer.Order{ID: id, Name: "S" + customer.RecordKey(id), State: "sale", Total: total, Subtotal: total,
		Currency: "EUR", DateOrder: written, PartnerID: partnerID, WriteDate: written}
}

// odooEntries are the Odoo side of a customer.
func odooEntries(c customer.Customer) []entry {
	var es []entry
	for i := range c.Partners {
		es = append(es, entry{Partner: &c.Partners[i]})
	}
	for i := range c.Orders {
		es = append(es, entry{Order: &c.Orders[i]})
	}
	return es
}

// syncedContact is a contact exactly as the sync writes the customer's
// desired state (fields, lists), holding the records of recordsOf's orders
// (nil: every record the customer should have).
func syncedContact(c customer.Customer, contactID int64, recordsOf []customer.Order) []entry {
	d := customer.Build(c, testSettings)
	fields := map[string]any{}
	for k, v := range d.Fields {
		fields[k] = v
	}
	es := []entry{{Contact: &contactEntry{ID: contactID, Email: c.Key, Fields: fields}}}
	for _, l := range d.Lists {
		es = append(es, entry{Member: &memberEntry{ContactID: contactID, List: l}})
	}
	if recordsOf == nil {
		recordsOf = c.Orders
	}
	for _, o := range recordsOf {
		es = append(es, entry{Record: heldRecord(o, contactID)})
	}
	return es
}

// heldRecord is the record of an order, held by a contact.
func heldRecord(o customer.Order, contactID int64) *recordEntry {
	r := customer.OrderRecord(o)
	status, _ := r.JSON["status"].(string)
	total, _ := toFloat(r.JSON["orderTotal"])
	return &recordEntry{Key: r.Key, ContactID: contactID, Status: status, Total: &total}
}

func kindsOf(items []Item) []Kind {
	var out []Kind
	for _, it := range items {
		out = append(out, it.Kind)
	}
	return out
}

func TestHealthyEntriesGiveNoItems(t *testing.T) {
	ann := customer.Customer{Key: "ann@x.com", Partners: []customer.Partner{activePartner(1, "Ann Lee")},
		Orders: []customer.Order{confirmedOrder(10, 1, 25), confirmedOrder(11, 1, 40)}}
	bob := customer.Customer{Key: "bob@x.com", Partners: []customer.Partner{activePartner(2, "Bob Roe"), activePartner(3, "Bob Roe")},
		Orders: []customer.Order{confirmedOrder(12, 3, 10)}}
	items := compareEntries(t, map[string][]entry{
		ann.Key: append(odooEntries(ann), syncedContact(ann, 100, nil)...),
		bob.Key: append(odooEntries(bob), syncedContact(bob, 200, nil)...),
	})
	if len(items) != 0 {
		t.Errorf("a consistent data set gave items: %+v", items)
	}
}

func TestGhostWithPartnerIDsIsHealable(t *testing.T) {
	items := compareEntries(t, map[string][]entry{
		"ghost@x.com": {{Contact: &contactEntry{ID: 7, Email: "ghost@x.com", Fields: map[string]any{customer.FieldPartnerIDs: "12,40"}}}},
	})
	want := []Item{{Kind: KindOnlyInDotdigital, Key: "ghost@x.com", ContactIDs: []int64{7}, Detail: "ODOO_PARTNER_IDS=12,40"}}
	if !reflect.DeepEqual(items, want) {
		t.Fatalf("items\n got %+v\nwant %+v", items, want)
	}
	if !Healable(items[0]) || !reflect.DeepEqual(HealKeys(items[0]), []string{"ghost@x.com"}) {
		t.Errorf("a ghost must heal by a resync of its key: Healable %v, HealKeys %v", Healable(items[0]), HealKeys(items[0]))
	}
}

// A customer whose partners are all archived has left: its contact, still
// as the sync wrote it while the partner was active, is a ghost, not a
// customer whose fields and records differ.
func TestAllPartnersArchivedIsOnlyInDotdigital(t *testing.T) {
	was := customer.Customer{Key: "gone@x.com", Partners: []customer.Partner{activePartner(12, "Gone Away"), activePartner(14, "Gone Away")},
		Orders: []customer.Order{confirmedOrder(30, 12, 99)}}
	now := was
	now.Partners = []customer.Partner{was.Partners[0], was.Partners[1]}
	now.Partners[0].Active, now.Partners[1].Active = false, false
	items := compareEntries(t, map[string][]entry{
		now.Key: append(odooEntries(now), syncedContact(was, 300, nil)...),
	})
	want := []Item{{Kind: KindOnlyInDotdigital, Key: "gone@x.com", ContactIDs: []int64{300}, ExtraRecords: []string{"30"},
		Detail: "in list Customers; ODOO_PARTNER_IDS=12,14; 1 order record(s); every partner archived (12,14)"}}
	if !reflect.DeepEqual(items, want) {
		t.Fatalf("items\n got %+v\nwant %+v", items, want)
	}
	if !Healable(items[0]) {
		t.Error("an archived customer's contact must be healable")
	}

	// Without Odoo data on it, the contact is none of the sync's business.
	items = compareEntries(t, map[string][]entry{
		now.Key: append(odooEntries(now), entry{Contact: &contactEntry{ID: 301, Email: now.Key, Fields: map[string]any{customer.FieldFirstName: "Gone"}}}),
	})
	if len(items) != 0 {
		t.Errorf("a contact without Odoo data was reported: %+v", items)
	}
}

// An email change moved orders 11 and 12 of partner 2 from x@ to y@ in Odoo;
// their records stayed on x@'s contact. Order 13 moved from a customer that
// has no partner left (old@). 999 is no order at all, and y@'s order 14 has
// no record anywhere.
func TestMisplacedRecordsNameOwnerAndHolder(t *testing.T) {
	y := customer.Customer{Key: "y@x.com", Partners: []customer.Partner{activePartner(1, "Yan Yu"), activePartner(2, "Yan Yu")},
		Orders: []customer.Order{confirmedOrder(10, 1, 5), confirmedOrder(11, 2, 6), confirmedOrder(12, 2, 7),
			confirmedOrder(13, 1, 8), confirmedOrder(14, 1, 9)}}
	x := customer.Customer{Key: "x@x.com", Partners: []customer.Partner{activePartner(3, "Xi Xu")},
		Orders: []customer.Order{confirmedOrder(20, 3, 4)}}
	xContact := syncedContact(x, 200, append([]customer.Order{x.Orders[0]}, y.Orders[1:3]...))
	xContact = append(xContact, entry{Record: &recordEntry{Key: "999", ContactID: 200, Status: "confirmed"}})
	items := compareEntries(t, map[string][]entry{
		y.Key: append(odooEntries(y), syncedContact(y, 100, y.Orders[:1])...),
		x.Key: append(odooEntries(x), xContact...),
		"old@x.com": {
			{Contact: &contactEntry{ID: 300, Email: "old@x.com"}},
			{Record: heldRecord(y.Orders[3], 300)},
		},
	})

	var misplaced []Item
	for _, it := range items {
		if it.Kind == KindMisplacedRecord {
			misplaced = append(misplaced, it)
		}
	}
	want := []Item{
		{Kind: KindMisplacedRecord, Key: "y@x.com", HolderKey: "old@x.com", ContactIDs: []int64{300}, MisplacedRecords: []string{"13"},
			Detail: "order 13 is on the contact of old@x.com (contact 300), belongs to y@x.com"},
		{Kind: KindMisplacedRecord, Key: "y@x.com", HolderKey: "x@x.com", ContactIDs: []int64{200}, MisplacedRecords: []string{"11", "12"},
			Detail: "orders 11, 12 are on the contact of x@x.com (contact 200), belong to y@x.com"},
	}
	if !reflect.DeepEqual(misplaced, want) {
		t.Fatalf("misplaced records\n got %+v\nwant %+v", misplaced, want)
	}
	for _, it := range misplaced {
		if !Healable(it) || !reflect.DeepEqual(HealKeys(it), []string{it.HolderKey, "y@x.com"}) {
			t.Errorf("HealKeys(%s on %s) = %v: the holder deletes, then the owner writes", it.MisplacedRecords, it.HolderKey, HealKeys(it))
		}
	}

	// Each side keeps its own item: the holder's extra records, the owner's
	// missing ones (found one key at a time, before the match).
	byKey := map[string]Item{}
	for _, it := range items {
		if it.Kind != KindMisplacedRecord {
			byKey[string(it.Kind)+"/"+it.Key] = it
		}
	}
	if it := byKey["order_mismatch/x@x.com"]; !reflect.DeepEqual(it.ExtraRecords, []string{"11", "12", "999"}) {
		t.Errorf("holder's item %+v", it)
	}
	if it := byKey["order_mismatch/y@x.com"]; !reflect.DeepEqual(it.MissingRecords, []string{"11", "12", "13", "14"}) {
		t.Errorf("owner's item %+v", it)
	}
	if it := byKey["only_in_dotdigital/old@x.com"]; !reflect.DeepEqual(it.ExtraRecords, []string{"13"}) || it.Detail != "1 order record(s)" {
		t.Errorf("ghost holder's item %+v", it)
	}
	if len(byKey) != 3 {
		t.Errorf("items %v, want the two order mismatches, the ghost and the two misplaced records", kindsOf(items))
	}

	rep := &Report{Items: items}
	if got, want := rep.HealKeys(), []string{"old@x.com", "x@x.com", "y@x.com"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Report.HealKeys() = %v, want %v", got, want)
	}
	line := itemLine(misplaced[1])
	if !strings.HasPrefix(line, "y@x.com  orders 11, 12 are on the contact of x@x.com") {
		t.Errorf("text line %q", line)
	}
}

// A misplaced record needs both sides: a record held where it does not
// belong, and the customer it belongs to lacking it. A record the owner
// holds too is only extra on the other contact (its resync deletes it).
func TestRecordHeldTwiceIsOnlyExtra(t *testing.T) {
	y := customer.Customer{Key: "y@x.com", Partners: []customer.Partner{activePartner(1, "Yan Yu")},
		Orders: []customer.Order{confirmedOrder(10, 1, 5)}}
	x := customer.Customer{Key: "x@x.com", Partners: []customer.Partner{activePartner(3, "Xi Xu")}}
	items := compareEntries(t, map[string][]entry{
		y.Key: append(odooEntries(y), syncedContact(y, 100, nil)...),
		x.Key: append(odooEntries(x), syncedContact(x, 200, y.Orders)...),
	})
	if got := kindsOf(items); !reflect.DeepEqual(got, []Kind{KindOrderMismatch}) || items[0].Key != x.Key {
		t.Errorf("items %+v", items)
	}
}

func TestMisplacedDetailCapsRecordKeys(t *testing.T) {
	var recs []placedRecord
	for i := 1; i <= 12; i++ {
		recs = append(recs, placedRecord{Key: customer.RecordKey(int64(i)), ContactID: 5})
	}
	recs = append(recs, placedRecord{Key: "3", ContactID: 6}) // a second contact of the holder
	it := misplacedItem("y@x.com", "x@x.com", recs)
	if want := "orders 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 (+2 more) are on the contact of x@x.com (contacts 5,6), belong to y@x.com"; it.Detail != want {
		t.Errorf("detail %q\nwant   %q", it.Detail, want)
	}
	if len(it.MisplacedRecords) != 12 || !reflect.DeepEqual(it.ContactIDs, []int64{5, 6}) {
		t.Errorf("item %+v", it)
	}
}
