package reconcile

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
)

// entry is one spilled fact about a customer key, from either side. Exactly
// one field is set.
type entry struct {
	Partner *customer.Partner `json:"p,omitempty"`
	Order   *customer.Order   `json:"o,omitempty"`
	Contact *contactEntry     `json:"c,omitempty"`
	Member  *memberEntry      `json:"m,omitempty"`
	Record  *recordEntry      `json:"r,omitempty"`
}

// contactEntry is a Dotdigital contact with the owned data fields it holds
// (names in the sync's spelling).
type contactEntry struct {
	ID     int64          `json:"id"`
	Email  string         `json:"e"`
	Fields map[string]any `json:"f,omitempty"`
}

// memberEntry says that a contact is in a list the sync manages (by the
// list's configured name).
type memberEntry struct {
	ContactID int64  `json:"id"`
	List      string `json:"l"`
}

// recordEntry is the part of an Insight order record that reconciliation
// compares.
type recordEntry struct {
	Key       string   `json:"k"`
	ContactID int64    `json:"id"`
	Status    string   `json:"s,omitempty"`
	Total     *float64 `json:"t,omitempty"`
}

// group is everything both sides hold under one key.
type group struct {
	key      string
	partners []customer.Partner
	orders   []customer.Order
	contacts []contactEntry
	members  []memberEntry
	records  []recordEntry
}

func (g *group) reset(key string) {
	g.key = key
	g.partners, g.orders, g.contacts = g.partners[:0], g.orders[:0], g.contacts[:0]
	g.members, g.records = g.members[:0], g.records[:0]
}

func (g *group) add(e entry) {
	switch {
	case e.Partner != nil:
		g.partners = append(g.partners, *e.Partner)
	case e.Order != nil:
		g.orders = append(g.orders, *e.Order)
	case e.Contact != nil:
		g.contacts = append(g.contacts, *e.Contact)
	case e.Member != nil:
		g.members = append(g.members, *e.Member)
	case e.Record != nil:
		g.records = append(g.records, *e.Record)
	}
}

// comparer classifies the differences of one key at a time.
type comparer struct {
	settings  customer.Settings
	fields    []customer.FieldSpec // compared: present in Dotdigital, not ODOO_SYNCED_AT
	tagLists  map[string]bool      // lists that follow tags (both ways)
	scanLists map[string]bool      // a member of these is owned by the sync
	emit      func(Item) error
	customers int
}

func newComparer(s customer.Settings, scanLists []string, present func(field string) bool, emit func(Item) error) *comparer {
	c := &comparer{settings: s, tagLists: map[string]bool{}, scanLists: map[string]bool{}, emit: emit}
	for _, f := range customer.Fields {
		if f.Name != customer.FieldSyncedAt && present(f.Name) {
			c.fields = append(c.fields, f)
		}
	}
	for _, l := range s.TagLists {
		c.tagLists[l] = true
	}
	for _, l := range scanLists {
		c.scanLists[l] = true
	}
	return c
}

// compare emits the items of one key.
func (c *comparer) compare(g *group) error {
	if len(g.contacts) > 1 {
		if err := c.emit(duplicateItem(g)); err != nil {
			return err
		}
	}
	if len(g.partners) == 0 {
		return c.dotdigitalOnly(g)
	}
	c.customers++
	sort.Slice(g.partners, func(i, j int) bool { return g.partners[i].ID < g.partners[j].ID })
	sort.Slice(g.orders, func(i, j int) bool { return g.orders[i].ID < g.orders[j].ID })
	d := customer.Build(customer.Customer{Key: g.key, Partners: g.partners, Orders: g.orders}, c.settings)
	if len(g.contacts) == 0 {
		return c.emit(Item{Kind: KindMissing, Key: g.key, PartnerIDs: d.PartnerIDs,
			Detail: fmt.Sprintf("%d partner(s), %d order record(s) expected", len(d.PartnerIDs), len(d.Orders))})
	}
	primary := primaryContact(g)
	var profile, purchase []FieldDiff
	for _, f := range c.fields {
		odooV, ddV := d.Fields[f.Name], primary.Fields[f.Name]
		if sameValue(f.Type, odooV, ddV) {
			continue
		}
		diff := FieldDiff{Name: f.Name, Odoo: d.FieldValues[f.Name], Dotdigital: canonical(ddV)}
		if f.Class == customer.ClassOrder {
			purchase = append(purchase, diff)
		} else {
			profile = append(profile, diff)
		}
	}
	ids := []int64{primary.ID}
	if len(profile) > 0 {
		if err := c.emit(Item{Kind: KindFieldMismatch, Key: g.key, PartnerIDs: d.PartnerIDs, ContactIDs: ids, Fields: profile,
			Detail: fieldNames(profile)}); err != nil {
			return err
		}
	}
	missing, extra, stale := compareRecords(d.Orders, g.records)
	if len(purchase)+len(missing)+len(extra)+len(stale) > 0 {
		it := Item{Kind: KindOrderMismatch, Key: g.key, PartnerIDs: d.PartnerIDs, ContactIDs: ids, Fields: purchase,
			MissingRecords: missing, ExtraRecords: extra, StaleRecords: stale}
		it.Detail = orderDetail(it)
		if err := c.emit(it); err != nil {
			return err
		}
	}
	addLists, dropLists := c.compareLists(d.Lists, g.members, primary.ID)
	if len(addLists)+len(dropLists) > 0 {
		it := Item{Kind: KindListMismatch, Key: g.key, PartnerIDs: d.PartnerIDs, ContactIDs: ids,
			MissingLists: addLists, ExtraLists: dropLists}
		it.Detail = listDetail(it)
		if err := c.emit(it); err != nil {
			return err
		}
	}
	return nil
}

// dotdigitalOnly reports contacts without an Odoo customer, when the sync
// owns them: members of a scanned list, or contacts it wrote partner ids to.
func (c *comparer) dotdigitalOnly(g *group) error {
	if len(g.contacts) == 0 {
		return nil
	}
	var why []string
	lists := map[string]bool{}
	for _, m := range g.members {
		if c.scanLists[m.List] && !lists[m.List] {
			lists[m.List] = true
			why = append(why, "in list "+m.List)
		}
	}
	for _, ct := range g.contacts {
		if v := toText(ct.Fields[customer.FieldPartnerIDs]); v != "" {
			why = append(why, customer.FieldPartnerIDs+"="+v)
			break
		}
	}
	if len(why) == 0 {
		return nil
	}
	it := Item{Kind: KindOnlyInDotdigital, Key: g.key, ContactIDs: contactIDs(g.contacts), Detail: strings.Join(why, "; ")}
	for _, r := range g.records {
		it.ExtraRecords = append(it.ExtraRecords, r.Key)
	}
	sortRecordKeys(it.ExtraRecords)
	return c.emit(it)
}

// primaryContact is the contact compared when several share a key: the one
// whose email is the key itself, else the oldest (lowest id).
func primaryContact(g *group) contactEntry {
	best := g.contacts[0]
	for _, ct := range g.contacts[1:] {
		exact, bestExact := ct.Email == g.key, best.Email == g.key
		if (exact && !bestExact) || (exact == bestExact && ct.ID < best.ID) {
			best = ct
		}
	}
	return best
}

func duplicateItem(g *group) Item {
	cs := append([]contactEntry(nil), g.contacts...)
	sort.Slice(cs, func(i, j int) bool { return cs[i].ID < cs[j].ID })
	parts := make([]string, len(cs))
	for i, ct := range cs {
		parts[i] = fmt.Sprintf("%s (contact %d)", ct.Email, ct.ID)
	}
	it := Item{Kind: KindDuplicateContacts, Key: g.key, ContactIDs: contactIDs(cs), Detail: strings.Join(parts, ", ")}
	for _, p := range g.partners {
		it.PartnerIDs = append(it.PartnerIDs, p.ID)
	}
	sort.Slice(it.PartnerIDs, func(i, j int) bool { return it.PartnerIDs[i] < it.PartnerIDs[j] })
	return it
}

func contactIDs(cs []contactEntry) []int64 {
	out := make([]int64, len(cs))
	for i, ct := range cs {
		out[i] = ct.ID
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// compareRecords returns the record keys Odoo wants but Dotdigital lacks,
// those Dotdigital holds for this customer but no order of it has, and those
// whose status or total differ.
func compareRecords(want map[string]customer.Record, have []recordEntry) (missing, extra, stale []string) {
	got := make(map[string]recordEntry, len(have))
	for _, r := range have {
		got[r.Key] = r
	}
	for key, r := range want {
		h, ok := got[key]
		if !ok {
			missing = append(missing, key)
			continue
		}
		status, _ := r.JSON["status"].(string)
		total, _ := toFloat(r.JSON["orderTotal"])
		if !strings.EqualFold(status, h.Status) || h.Total == nil || math.Abs(total-*h.Total) > tolerance {
			stale = append(stale, key)
		}
	}
	for key := range got {
		if _, ok := want[key]; !ok {
			extra = append(extra, key)
		}
	}
	sortRecordKeys(missing)
	sortRecordKeys(extra)
	sortRecordKeys(stale)
	return missing, extra, stale
}

// sortRecordKeys orders numeric keys (Odoo order ids) numerically.
func sortRecordKeys(keys []string) {
	sort.Slice(keys, func(i, j int) bool {
		if len(keys[i]) != len(keys[j]) {
			return len(keys[i]) < len(keys[j])
		}
		return keys[i] < keys[j]
	})
}

// compareLists returns the lists the contact should be in but is not, and
// the tag-driven lists it is in but should not be.
func (c *comparer) compareLists(want []string, members []memberEntry, contactID int64) (add, drop []string) {
	have := map[string]bool{}
	for _, m := range members {
		if m.ContactID == contactID {
			have[m.List] = true
		}
	}
	wanted := map[string]bool{}
	for _, l := range want {
		wanted[l] = true
		if !have[l] {
			add = append(add, l)
		}
	}
	for l := range have {
		if c.tagLists[l] && !wanted[l] {
			drop = append(drop, l)
		}
	}
	sort.Strings(add)
	sort.Strings(drop)
	return add, drop
}

func fieldNames(diffs []FieldDiff) string {
	names := make([]string, len(diffs))
	for i, d := range diffs {
		names[i] = d.Name
	}
	return strings.Join(names, ", ")
}

func orderDetail(it Item) string {
	var parts []string
	if len(it.Fields) > 0 {
		parts = append(parts, fieldNames(it.Fields))
	}
	for _, p := range []struct {
		what string
		keys []string
	}{{"missing", it.MissingRecords}, {"extra", it.ExtraRecords}, {"stale", it.StaleRecords}} {
		if len(p.keys) > 0 {
			parts = append(parts, fmt.Sprintf("%d %s record(s)", len(p.keys), p.what))
		}
	}
	return strings.Join(parts, "; ")
}

func listDetail(it Item) string {
	var parts []string
	if len(it.MissingLists) > 0 {
		parts = append(parts, "not in "+strings.Join(it.MissingLists, ", "))
	}
	if len(it.ExtraLists) > 0 {
		parts = append(parts, "should leave "+strings.Join(it.ExtraLists, ", "))
	}
	return strings.Join(parts, "; ")
}
