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
	misplaced *misplacedFinder     // matches records across keys after the walk
	emit      func(Item) error
	customers int
}

func newComparer(s customer.Settings, scanLists []string, present func(field string) bool, misplaced *misplacedFinder,
	emit func(Item) error) *comparer {
	c := &comparer{settings: s, tagLists: map[string]bool{}, scanLists: map[string]bool{}, misplaced: misplaced, emit: emit}
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
	sort.Slice(g.partners, func(i, j int) bool { return g.partners[i].ID < g.partners[j].ID })
	if len(g.contacts) > 1 {
		if err := c.emit(duplicateItem(g)); err != nil {
			return err
		}
	}
	// An archived partner leaves its customer (customer.Build ignores it): a
	// key whose partners are all archived has no customer, like a key
	// without partners.
	if !anyActive(g.partners) {
		return c.dotdigitalOnly(g)
	}
	c.customers++
	sort.Slice(g.orders, func(i, j int) bool { return g.orders[i].ID < g.orders[j].ID })
	d := customer.Build(customer.Customer{Key: g.key, Partners: g.partners, Orders: g.orders}, c.settings)
	if len(g.contacts) == 0 {
		return c.missingContact(g, d)
	}
	return c.compareContact(g, d)
}

// missingContact reports a customer without a contact; its records may be
// held by the contact of another key.
func (c *comparer) missingContact(g *group, d customer.Desired) error {
	if err := c.noteMisplaceable(g, recordKeys(d.Orders), nil); err != nil {
		return err
	}
	return c.emit(Item{Kind: KindMissing, Key: g.key, PartnerIDs: d.PartnerIDs,
		Detail: fmt.Sprintf("%d partner(s), %d order record(s) expected", len(d.PartnerIDs), len(d.Orders))})
}

// compareContact compares a customer's desired state with its contact: the
// data fields, the records (of all its contacts) and the lists.
func (c *comparer) compareContact(g *group, d customer.Desired) error {
	primary := primaryContact(g)
	ids := []int64{primary.ID}
	profile, purchase := c.fieldDiffs(d, primary)
	if len(profile) > 0 {
		if err := c.emit(Item{Kind: KindFieldMismatch, Key: g.key, PartnerIDs: d.PartnerIDs, ContactIDs: ids, Fields: profile,
			Detail: fieldNames(profile)}); err != nil {
			return err
		}
	}
	missing, extra, stale := compareRecords(d.Orders, g.records)
	if err := c.noteMisplaceable(g, missing, extra); err != nil {
		return err
	}
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

// fieldDiffs returns the compared data fields that differ, split into
// profile/status fields and purchase fields (reported with the records).
func (c *comparer) fieldDiffs(d customer.Desired, contact contactEntry) (profile, purchase []FieldDiff) {
	for _, f := range c.fields {
		odooV, ddV := d.Fields[f.Name], contact.Fields[f.Name]
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
	return profile, purchase
}

// dotdigitalOnly reports the contacts of a key without an Odoo customer (no
// partner, or only archived ones) when they carry Odoo data; other contacts
// of the account (newsletter sign-ups, ...) are none of the sync's business.
// Every record they hold is extra, and may be an order of another customer.
func (c *comparer) dotdigitalOnly(g *group) error {
	if len(g.contacts) == 0 {
		return nil // Odoo alone (archived partners), or a member listed after the contacts were
	}
	why := c.odooData(g)
	if len(why) == 0 {
		return nil
	}
	if len(g.partners) > 0 {
		why = append(why, "every partner archived ("+joinIDs(partnerIDs(g.partners))+")")
	}
	it := Item{Kind: KindOnlyInDotdigital, Key: g.key, ContactIDs: contactIDs(g.contacts), Detail: strings.Join(why, "; ")}
	for _, r := range g.records {
		it.ExtraRecords = append(it.ExtraRecords, r.Key)
	}
	sortRecordKeys(it.ExtraRecords)
	if err := c.noteMisplaceable(g, nil, it.ExtraRecords); err != nil {
		return err
	}
	return c.emit(it)
}

// odooData says why the contacts of a key carry data the sync wrote: a
// scanned list the sync adds its contacts to, partner ids, order records.
// Empty when they carry none.
func (c *comparer) odooData(g *group) []string {
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
	if n := len(g.records); n > 0 {
		why = append(why, fmt.Sprintf("%d order record(s)", n))
	}
	return why
}

// noteMisplaceable hands the records this key lacks (missing) and those its
// contacts hold but no order of its customer has (extra) to the misplaced
// finder: the other side of such a record, if any, is under another key.
func (c *comparer) noteMisplaceable(g *group, missing, extra []string) error {
	for _, key := range missing {
		if err := c.misplaced.wanted(key, g.key); err != nil {
			return err
		}
	}
	if len(extra) == 0 {
		return nil
	}
	isExtra := make(map[string]bool, len(extra))
	for _, key := range extra {
		isExtra[key] = true
	}
	for _, r := range g.records {
		if isExtra[r.Key] {
			if err := c.misplaced.held(r.Key, g.key, r.ContactID); err != nil {
				return err
			}
		}
	}
	return nil
}

func anyActive(partners []customer.Partner) bool {
	for _, p := range partners {
		if p.Active {
			return true
		}
	}
	return false
}

// partnerIDs are the partners' ids, in their order (compare sorts them by id).
func partnerIDs(partners []customer.Partner) []int64 {
	ids := make([]int64, len(partners))
	for i, p := range partners {
		ids[i] = p.ID
	}
	return ids
}

func recordKeys(records map[string]customer.Record) []string {
	keys := make([]string, 0, len(records))
	for key := range records {
		keys = append(keys, key)
	}
	sortRecordKeys(keys)
	return keys
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
	if len(g.partners) > 0 {
		it.PartnerIDs = partnerIDs(g.partners) // sorted by compare
	}
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
