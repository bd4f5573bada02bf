package reconcile

import (
	"sort"
	"sync"
	"time"
)

// Kind classifies a difference between Odoo and Dotdigital.
type Kind string

// Kinds of difference, in report order.
const (
	// KindMissing: an Odoo customer has no Dotdigital contact.
	KindMissing Kind = "missing_in_dotdigital"
	// KindOnlyInDotdigital: a contact carrying Odoo data (ODOO_PARTNER_IDS,
	// Insight order records, or membership of a scanned list) whose email no
	// Odoo customer has: no partner, or only archived ones. A ghost left by
	// a merge, an email change or an archived partner.
	KindOnlyInDotdigital Kind = "only_in_dotdigital"
	// KindFieldMismatch: profile or status data fields differ.
	KindFieldMismatch Kind = "field_mismatch"
	// KindOrderMismatch: purchase data fields differ, or Insight records are
	// missing, extra or stale.
	KindOrderMismatch Kind = "order_mismatch"
	// KindMisplacedRecord: Insight records held by the contact of one key
	// (HolderKey) that are orders of another customer (Key) in Odoo.
	KindMisplacedRecord Kind = "misplaced_record"
	// KindDuplicateContacts: two or more contacts whose emails normalise to
	// one customer key.
	KindDuplicateContacts Kind = "duplicate_contacts"
	// KindListMismatch: the contact is not in a list it should be in, or is
	// in a tag-driven list it should not be in.
	KindListMismatch Kind = "list_mismatch"
	// KindSkippedPartner: an Odoo partner without a valid email, which the
	// sync does not send (Detail holds the reason).
	KindSkippedPartner Kind = "skipped_partner"
)

// Kinds lists every kind in report order.
var Kinds = []Kind{KindMissing, KindOnlyInDotdigital, KindFieldMismatch, KindOrderMismatch,
	KindMisplacedRecord, KindDuplicateContacts, KindListMismatch, KindSkippedPartner}

// FieldDiff is one data field whose values differ. Values are canonical
// JSON ("null" when empty).
type FieldDiff struct {
	Name       string `json:"name"`
	Odoo       string `json:"odoo"`
	Dotdigital string `json:"dotdigital"`
}

// Item is one difference for one customer key (or one skipped partner).
type Item struct {
	Kind Kind `json:"kind"`
	// Key is the customer the item is about; for a misplaced record, the
	// customer the records belong to in Odoo.
	Key string `json:"key,omitempty"`
	// HolderKey is, for a misplaced record, the key of the contact that
	// holds the records (ContactIDs are its contacts).
	HolderKey      string      `json:"holderKey,omitempty"`
	PartnerIDs     []int64     `json:"partnerIds,omitempty"`
	ContactIDs     []int64     `json:"contactIds,omitempty"`
	Fields         []FieldDiff `json:"fields,omitempty"`
	MissingRecords []string    `json:"missingRecords,omitempty"`
	ExtraRecords   []string    `json:"extraRecords,omitempty"`
	StaleRecords   []string    `json:"staleRecords,omitempty"`
	// MisplacedRecords are the record keys of a misplaced_record item.
	MisplacedRecords []string `json:"misplacedRecords,omitempty"`
	MissingLists     []string `json:"missingLists,omitempty"`
	ExtraLists       []string `json:"extraLists,omitempty"`
	Detail           string   `json:"detail,omitempty"`
}

// Healable reports whether forced resyncs (of the keys HealKeys names)
// repair the item. A resync reloads the customer from Odoo and rewrites its
// contact against Dotdigital's real state; for a key without an Odoo
// customer it renames the contact to the email its partners moved to, or
// empties it of Odoo data, so ghosts (only_in_dotdigital) heal too.
// Duplicate contacts need a human decision (which one to keep); skipped
// partners need their email fixed in Odoo.
func Healable(it Item) bool {
	switch it.Kind {
	case KindMissing, KindOnlyInDotdigital, KindFieldMismatch, KindOrderMismatch, KindListMismatch:
		return it.Key != ""
	case KindMisplacedRecord:
		return it.Key != "" && it.HolderKey != ""
	}
	return false
}

// HealKeys returns every customer key whose forced resync the item's heal
// needs, nil when it is not healable. A misplaced record needs two: the
// holder's resync deletes the record (it is no order of the holder) and the
// owner's writes it, which it can only do once the holder released it, so
// the holder comes first.
func HealKeys(it Item) []string {
	if !Healable(it) {
		return nil
	}
	if it.Kind == KindMisplacedRecord {
		return []string{it.HolderKey, it.Key}
	}
	return []string{it.Key}
}

// APICalls counts the remote calls a run made, by system and by purpose
// ("res.partner search_read", "GET /contacts/v3", ...). Client-internal
// one-off calls (Odoo login and field discovery, Dotdigital region
// discovery) are not counted.
type APICalls struct {
	Odoo       int            `json:"odoo"`
	Dotdigital int            `json:"dotdigital"`
	ByCall     map[string]int `json:"byCall"`
}

// Report is the outcome of one reconciliation run.
type Report struct {
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt"`
	// Customers is the number of Odoo customer keys (with at least one
	// active partner: an archived partner leaves its customer); Partners
	// counts every partner scanned, archived and skipped ones included.
	Customers int `json:"customers"`
	Partners  int `json:"partners"`
	// Contacts is the number of Dotdigital contacts listed (the whole account).
	Contacts int `json:"contacts"`
	// Records is the number of Insight order records listed.
	Records int `json:"records"`
	// Counts holds the full number of items of each kind; Items holds at
	// most MaxItemsPerKind of each, in key order.
	Counts map[Kind]int `json:"counts"`
	Items  []Item       `json:"items"`
	// MaxItemsPerKind is the cap that applied to Items.
	MaxItemsPerKind int `json:"maxItemsPerKind"`
	// OrphanRecords are Insight records whose owner contact was not listed
	// (e.g. owned by a deleted contact); UnkeyedContacts have an email the
	// sync cannot use as a key. Neither becomes an item.
	OrphanRecords   int `json:"orphanRecords"`
	UnkeyedContacts int `json:"unkeyedContacts"`
	// SpilledBytes is the disk the run used for its sorted spill files
	// (written, then removed).
	SpilledBytes int64 `json:"spilledBytes"`
	// Warnings say what could not be compared (a data field or list missing
	// in Dotdigital, ...).
	Warnings []string `json:"warnings,omitempty"`
	APICalls APICalls `json:"apiCalls"`
}

// Truncated reports whether Items holds fewer items of kind k than were found.
func (r *Report) Truncated(k Kind) bool {
	n := 0
	for _, it := range r.Items {
		if it.Kind == k {
			n++
		}
	}
	return r.Counts[k] > n
}

// HealKeys returns the distinct customer keys that the healable items in
// the report need resynced (HealKeys of each item), sorted. When the report
// is truncated (see Truncated), use Options.OnItem to collect every key
// instead.
func (r *Report) HealKeys() []string {
	seen := map[string]bool{}
	var out []string
	for _, it := range r.Items {
		for _, key := range HealKeys(it) {
			if !seen[key] {
				seen[key] = true
				out = append(out, key)
			}
		}
	}
	sort.Strings(out)
	return out
}

// collector builds the report as items arrive; safe for concurrent use.
type collector struct {
	mu     sync.Mutex
	rep    *Report
	onItem func(Item) error
	kept   map[Kind]int
}

func newCollector(rep *Report, maxPerKind int, onItem func(Item) error) *collector {
	rep.Counts = map[Kind]int{}
	for _, k := range Kinds {
		rep.Counts[k] = 0
	}
	rep.MaxItemsPerKind = maxPerKind
	return &collector{rep: rep, onItem: onItem, kept: map[Kind]int{}}
}

func (c *collector) add(it Item) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rep.Counts[it.Kind]++
	if c.kept[it.Kind] < c.rep.MaxItemsPerKind {
		c.kept[it.Kind]++
		c.rep.Items = append(c.rep.Items, it)
	}
	if c.onItem != nil {
		return c.onItem(it)
	}
	return nil
}

func (c *collector) warn(msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rep.Warnings = append(c.rep.Warnings, msg)
}

// finish orders the items by kind, then key, then partner id.
func (c *collector) finish() {
	c.mu.Lock()
	defer c.mu.Unlock()
	rank := map[Kind]int{}
	for i, k := range Kinds {
		rank[k] = i
	}
	sort.SliceStable(c.rep.Items, func(i, j int) bool {
		a, b := c.rep.Items[i], c.rep.Items[j]
		if a.Kind != b.Kind {
			return rank[a.Kind] < rank[b.Kind]
		}
		if a.Key != b.Key {
			return a.Key < b.Key
		}
		return firstID(a.PartnerIDs) < firstID(b.PartnerIDs)
	})
}

func firstID(ids []int64) int64 {
	if len(ids) == 0 {
		return 0
	}
	return ids[0]
}

// callCounter counts remote calls by system and purpose; safe for concurrent use.
type callCounter struct {
	mu    sync.Mutex
	calls APICalls
}

func newCallCounter() *callCounter {
	return &callCounter{calls: APICalls{ByCall: map[string]int{}}}
}

func (c *callCounter) odoo(what string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls.Odoo++
	c.calls.ByCall["odoo "+what]++
}

func (c *callCounter) dotdigital(what string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls.Dotdigital++
	c.calls.ByCall["dotdigital "+what]++
}

func (c *callCounter) snapshot() APICalls {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := APICalls{Odoo: c.calls.Odoo, Dotdigital: c.calls.Dotdigital, ByCall: map[string]int{}}
	for k, v := range c.calls.ByCall {
		out.ByCall[k] = v
	}
	return out
}
