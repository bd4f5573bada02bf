package customer

import (
	"sort"
	"time"
)

// Snapshot is what the sync last wrote to Dotdigital for a customer and saw
// acknowledged, or read from it. It lives in the customer's workflow state,
// so it is compact: canonical values per data field, a short hash per
// Insight record. The zero value is an unknown snapshot: the workflow has
// not seen what Dotdigital holds (first sight, a customer only the initial
// load wrote, a run that lost its state), and the next write plans against
// the truth (Known, PlanFor).
type Snapshot struct {
	ContactExists bool `json:"contactExists,omitempty"`
	// NoContact: Dotdigital was asked and holds no contact for Email.
	NoContact bool `json:"noContact,omitempty"`
	// ContactID is Dotdigital's immutable id of the contact: renames and
	// unlinks address it, so that a retried call never creates a contact.
	ContactID  int64             `json:"contactId,omitempty"`
	Email      string            `json:"email,omitempty"` // the contact's identifier in Dotdigital
	Fields     map[string]string `json:"fields,omitempty"`
	Orders     map[string]string `json:"orders,omitempty"` // record key -> hash
	Lists      []string          `json:"lists,omitempty"`
	PartnerIDs []int64           `json:"partnerIds,omitempty"`
	ChangeTime time.Time         `json:"changeTime,omitempty"` // Odoo change time the snapshot reflects
}

// Known reports whether the snapshot says what Dotdigital holds.
func (s Snapshot) Known() bool { return s.ContactExists || s.NoContact }

// Plan is the smallest write that turns a Snapshot into a Desired state.
type Plan struct {
	NewContact bool
	// Unknown: the snapshot was unknown, so the plan writes every field
	// (nulls included) and adds every list; what else the contact holds
	// (records, lists to leave) is learnt from the write's answer and
	// planned again (Learnt).
	Unknown      bool
	Fields       map[string]any // only changed fields; nil clears
	Orders       []Record       // records to upsert, by key order
	DeleteOrders []string       // records that no longer belong to this customer
	AddLists     []string
	RemoveLists  []string
	Class        Class // highest priority class touched
}

// Empty reports whether nothing needs writing.
func (p Plan) Empty() bool {
	return !p.NewContact && len(p.Fields) == 0 && len(p.Orders) == 0 && len(p.DeleteOrders) == 0 &&
		len(p.AddLists) == 0 && len(p.RemoveLists) == 0
}

// PlanFor compares desired with what was written. With force, everything is
// rewritten (resync), as if nothing had been written before, lists
// included (re-adding is idempotent and repairs a membership removed in
// Dotdigital); records and lists the snapshot holds that are no longer
// desired are still deleted and left.
func PlanFor(d Desired, s Snapshot, force bool) Plan {
	if !s.Known() {
		return fullPlan(d)
	}
	written := s
	if force {
		s = Snapshot{ContactExists: s.ContactExists, NoContact: s.NoContact, ContactID: s.ContactID, Email: s.Email}
	}
	p := Plan{NewContact: !s.ContactExists, Fields: map[string]any{}}
	for name, v := range d.Fields {
		if name == FieldSyncedAt {
			continue
		}
		if old, ok := s.Fields[name]; !ok || old != d.FieldValues[name] {
			if !ok && v == nil && !p.NewContact && !force {
				// Never written and empty: nothing to clear.
				continue
			}
			if v == nil && p.NewContact {
				continue // a new contact has no value to clear
			}
			p.Fields[name] = v
			p.raise(ClassOf(name))
		}
	}
	for key, r := range d.Orders {
		if s.Orders[key] != r.Hash {
			p.Orders = append(p.Orders, r)
			p.raise(ClassOrder)
		}
	}
	sort.Slice(p.Orders, func(i, j int) bool { return p.Orders[i].Key < p.Orders[j].Key })
	for key := range written.Orders {
		if _, ok := d.Orders[key]; !ok {
			p.DeleteOrders = append(p.DeleteOrders, key)
			p.raise(ClassOrder)
		}
	}
	sort.Strings(p.DeleteOrders)
	p.AddLists, _ = diffSorted(d.Lists, s.Lists)
	_, p.RemoveLists = diffSorted(d.Lists, written.Lists)
	if len(p.AddLists)+len(p.RemoveLists) > 0 {
		p.raise(ClassStatus)
	}
	if p.NewContact {
		p.raise(ClassStatus)
	}
	if len(p.Fields) > 0 || p.NewContact {
		// ODOO_SYNCED_AT travels with every contact write.
		p.Fields[FieldSyncedAt] = d.Fields[FieldSyncedAt]
	}
	return p
}

// fullPlan writes everything the customer should have, nulls included
// (they clear what an earlier write or the initial load left), because what
// Dotdigital holds is not known.
func fullPlan(d Desired) Plan {
	p := Plan{Unknown: true, Fields: make(map[string]any, len(d.Fields)), AddLists: append([]string(nil), d.Lists...)}
	for name, v := range d.Fields {
		p.Fields[name] = v
		p.raise(ClassOf(name))
	}
	for _, r := range d.Orders {
		p.Orders = append(p.Orders, r)
		p.raise(ClassOrder)
	}
	sort.Slice(p.Orders, func(i, j int) bool { return p.Orders[i].Key < p.Orders[j].Key })
	p.raise(ClassStatus)
	return p
}

// ContactWrite reports whether the plan writes the contact itself.
func (p Plan) ContactWrite() bool {
	return p.NewContact || p.Unknown || len(p.Fields) > 0 || len(p.AddLists) > 0
}

func (p *Plan) raise(c Class) {
	if c == ClassNone {
		return
	}
	if p.Class == ClassNone || c < p.Class {
		p.Class = c
	}
}

// diffSorted returns what is in want but not in have, and the reverse.
func diffSorted(want, have []string) (add, remove []string) {
	in := func(list []string, v string) bool {
		i := sort.SearchStrings(list, v)
		return i < len(list) && list[i] == v
	}
	w, h := append([]string(nil), want...), append([]string(nil), have...)
	sort.Strings(w)
	sort.Strings(h)
	for _, v := range w {
		if !in(h, v) {
			add = append(add, v)
		}
	}
	for _, v := range h {
		if !in(w, v) {
			remove = append(remove, v)
		}
	}
	return add, remove
}

// AfterContact returns the snapshot once the plan's contact write (fields
// and list additions) was acknowledged.
func (s Snapshot) AfterContact(d Desired, p Plan) Snapshot {
	out := s.clone()
	out.ContactExists, out.NoContact = true, false
	out.Email = d.Key
	if out.Fields == nil {
		out.Fields = map[string]string{}
	}
	for name := range p.Fields {
		out.Fields[name] = d.FieldValues[name]
	}
	out.PartnerIDs = append([]int64(nil), d.PartnerIDs...)
	return out
}

// Created is the snapshot of a contact that Dotdigital created for an
// unknown snapshot's write: it held nothing before the plan's contact write.
func Created(d Desired, p Plan, contactID int64) Snapshot {
	return Snapshot{NoContact: true, Email: d.Key}.AfterContact(d, p).WithContactID(contactID).WithLists(p.AddLists)
}

// WithContactID records the contact's Dotdigital id (0 keeps the known one).
func (s Snapshot) WithContactID(id int64) Snapshot {
	out := s.clone()
	if id != 0 {
		out.ContactID = id
	}
	return out
}

// Absent is the known snapshot of an email without a contact.
func Absent(email string) Snapshot { return Snapshot{NoContact: true, Email: email} }

// WithOrder records an acknowledged Insight record write.
func (s Snapshot) WithOrder(key, hash string) Snapshot {
	out := s.clone()
	if out.Orders == nil {
		out.Orders = map[string]string{}
	}
	out.Orders[key] = hash
	return out
}

// WithoutOrder records an acknowledged Insight record deletion.
func (s Snapshot) WithoutOrder(key string) Snapshot {
	out := s.clone()
	delete(out.Orders, key)
	return out
}

// WithLists records the acknowledged list memberships.
func (s Snapshot) WithLists(lists []string) Snapshot {
	out := s.clone()
	out.Lists = append([]string(nil), lists...)
	sort.Strings(out.Lists)
	return out
}

// Completed marks the snapshot as reflecting the desired state's change time.
func (s Snapshot) Completed(d Desired) Snapshot {
	out := s.clone()
	out.ChangeTime = d.ChangeTime
	return out
}

func (s Snapshot) clone() Snapshot {
	out := s
	out.Fields = make(map[string]string, len(s.Fields))
	for k, v := range s.Fields {
		out.Fields[k] = v
	}
	if s.Orders != nil {
		out.Orders = make(map[string]string, len(s.Orders))
		for k, v := range s.Orders {
			out.Orders[k] = v
		}
	}
	out.Lists = append([]string(nil), s.Lists...)
	out.PartnerIDs = append([]int64(nil), s.PartnerIDs...)
	return out
}

// Full returns the snapshot of a state written in full (bulk import).
func Full(d Desired) Snapshot {
	s := Snapshot{ContactExists: true, Email: d.Key, Fields: map[string]string{}, Orders: map[string]string{},
		PartnerIDs: append([]int64(nil), d.PartnerIDs...), ChangeTime: d.ChangeTime}
	for k, v := range d.FieldValues {
		s.Fields[k] = v
	}
	for k, r := range d.Orders {
		s.Orders[k] = r.Hash
	}
	s.Lists = append([]string(nil), d.Lists...)
	return s
}
