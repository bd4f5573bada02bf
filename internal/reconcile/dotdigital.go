package reconcile

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/dotdigital"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/identity"
)

// dotdigitalSide streams the whole Dotdigital account (contacts, the
// memberships of the managed lists, the Orders records) into a sorter by
// customer key. Records name their owner by contact id only, so they go
// through a second sorter by contact id and are joined to the contacts'
// keys there: no contact-id map is held in memory.
type dotdigitalSide struct {
	dd       *dotdigital.Client
	calls    *callCounter
	warn     func(string)
	pageSize int

	fields map[string]string // Dotdigital spelling -> owned field name, for fields present
	lists  map[int64]string  // list id -> configured name, for managed lists present

	byKey *sorter
	byID  *sorter

	contacts, records, orphans, unkeyed int
}

// prepare learns which owned data fields and managed lists exist.
func (s *dotdigitalSide) prepare(ctx context.Context, lists []string) error {
	s.calls.dotdigital("GET /v2/data-fields")
	have, err := s.dd.ListDataFields(ctx)
	if err != nil {
		return fmt.Errorf("list data fields: %w", err)
	}
	s.fields = map[string]string{}
	for _, f := range have {
		for _, spec := range customer.Fields {
			if strings.EqualFold(f.Name, spec.Name) {
				s.fields[f.Name] = spec.Name
			}
		}
	}
	present := map[string]bool{}
	for _, owned := range s.fields {
		present[owned] = true
	}
	for _, spec := range customer.Fields {
		if !present[spec.Name] && spec.Name != customer.FieldSyncedAt {
			s.warn(fmt.Sprintf("data field %s does not exist in Dotdigital; not compared", spec.Name))
		}
	}

	books, err := s.listAddressBooks(ctx)
	if err != nil {
		return err
	}
	s.lists = map[int64]string{}
	for _, name := range lists {
		id := matchList(books, name)
		if id == 0 {
			s.warn(fmt.Sprintf("list %q does not exist in Dotdigital", name))
			continue
		}
		s.lists[id] = name
	}
	return nil
}

func (s *dotdigitalSide) listAddressBooks(ctx context.Context) ([]dotdigital.AddressBook, error) {
	books, err := s.dd.ListAddressBooks(ctx)
	// The client pages by 1000; count the pages it needed.
	for n := 0; n <= len(books)/1000; n++ {
		s.calls.dotdigital("GET /v2/address-books")
	}
	if err != nil {
		return nil, fmt.Errorf("list address books: %w", err)
	}
	return books, nil
}

// matchList finds a list by name as the sync's EnsureList does: an exact
// match before a case-insensitive one.
func matchList(books []dotdigital.AddressBook, name string) int64 {
	name = strings.TrimSpace(name)
	var folded int64
	for _, b := range books {
		if b.Name == name {
			return b.ID
		}
		if folded == 0 && strings.EqualFold(b.Name, name) {
			folded = b.ID
		}
	}
	return folded
}

// present reports whether an owned data field exists in Dotdigital.
func (s *dotdigitalSide) present(field string) bool {
	for _, owned := range s.fields {
		if owned == field {
			return true
		}
	}
	return false
}

// stream lists everything and spills it; the record join runs at the end.
func (s *dotdigitalSide) stream(ctx context.Context) error {
	if err := s.streamContacts(ctx); err != nil {
		return err
	}
	ids := make([]int64, 0, len(s.lists))
	for id := range s.lists {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		if err := s.streamMembers(ctx, id, s.lists[id]); err != nil {
			return err
		}
	}
	if err := s.streamRecords(ctx); err != nil {
		return err
	}
	return s.joinRecords(ctx)
}

func (s *dotdigitalSide) streamContacts(ctx context.Context) error {
	var names []string
	for dd := range s.fields {
		names = append(names, dd)
	}
	sort.Strings(names)
	return s.pages(ctx, dotdigital.ContactFilter{DataFields: names}, func(c dotdigital.Contact) error {
		s.contacts++
		key := identity.NormaliseEmail(c.Email)
		if key == "" {
			s.unkeyed++
			return nil
		}
		ce := &contactEntry{ID: c.ContactID, Email: c.Email}
		for name, v := range c.DataFields {
			if owned, ok := s.ownedName(name); ok {
				if ce.Fields == nil {
					ce.Fields = map[string]any{}
				}
				ce.Fields[owned] = v
			}
		}
		if err := spill(s.byKey, key, entry{Contact: ce}); err != nil {
			return err
		}
		return s.byID.add(idKey(c.ContactID, idContact), []byte(key))
	})
}

func (s *dotdigitalSide) ownedName(ddName string) (string, bool) {
	if owned, ok := s.fields[ddName]; ok {
		return owned, true
	}
	for dd, owned := range s.fields {
		if strings.EqualFold(dd, ddName) {
			return owned, true
		}
	}
	return "", false
}

func (s *dotdigitalSide) streamMembers(ctx context.Context, listID int64, name string) error {
	return s.pages(ctx, dotdigital.ContactFilter{ListID: listID}, func(c dotdigital.Contact) error {
		key := identity.NormaliseEmail(c.Email)
		if key == "" {
			return nil
		}
		return spill(s.byKey, key, entry{Member: &memberEntry{ContactID: c.ContactID, List: name}})
	})
}

// pages walks GET /contacts/v3 page by page (counting each call).
func (s *dotdigitalSide) pages(ctx context.Context, f dotdigital.ContactFilter, fn func(dotdigital.Contact) error) error {
	f.Limit = s.pageSize
	for {
		s.calls.dotdigital("GET /contacts/v3")
		page, err := s.dd.ListContacts(ctx, f)
		if err != nil {
			return fmt.Errorf("list contacts: %w", err)
		}
		for _, c := range page.Contacts {
			if err := fn(c); err != nil {
				return err
			}
		}
		if page.NextMarker == "" {
			return nil
		}
		f.Marker = page.NextMarker
	}
}

func (s *dotdigitalSide) streamRecords(ctx context.Context) error {
	marker := ""
	for {
		s.calls.dotdigital("GET /insightData/v3/contacts/{collection}")
		page, err := s.dd.ListCollectionRecords(ctx, customer.OrdersCollection, marker, s.pageSize)
		if err != nil {
			if marker == "" && dotdigital.IsCollectionNotFound(err) {
				return nil // no order was ever written
			}
			return fmt.Errorf("list order records: %w", err)
		}
		for _, r := range page.Records {
			s.records++
			re := recordOf(r)
			b, err := json.Marshal(re)
			if err != nil {
				return err
			}
			if err := s.byID.add(idKey(r.OwnerContactID, idRecord), b); err != nil {
				return err
			}
		}
		if page.NextMarker == "" {
			return nil
		}
		marker = page.NextMarker
	}
}

// recordOf keeps what is compared. A record whose JSON cannot be read keeps
// an empty status and no total, so that it shows as stale.
func recordOf(r dotdigital.Record) recordEntry {
	re := recordEntry{Key: r.Key, ContactID: r.OwnerContactID}
	var j struct {
		Status     any `json:"status"`
		OrderTotal any `json:"orderTotal"`
	}
	if json.Unmarshal(r.JSON, &j) == nil {
		re.Status, _ = j.Status.(string)
		if t, ok := toFloat(j.OrderTotal); ok {
			re.Total = &t
		}
	}
	return re
}

// Sort keys of the contact-id sorter: the contact (its customer key) sorts
// before its records.
const (
	idContact = 'a'
	idRecord  = 'b'
)

func idKey(contactID int64, kind byte) string { return fmt.Sprintf("%020d%c", contactID, kind) }

// joinRecords gives every record its owner's customer key.
func (s *dotdigitalSide) joinRecords(ctx context.Context) error {
	var curID, curKey string
	return mergeSorted(ctx, func(p pair) error {
		id, kind := p.key[:20], p.key[20]
		if kind == idContact {
			curID, curKey = id, string(p.val)
			return nil
		}
		if id != curID {
			s.orphans++
			return nil
		}
		var re recordEntry
		if err := json.Unmarshal(p.val, &re); err != nil {
			return err
		}
		return spill(s.byKey, curKey, entry{Record: &re})
	}, s.byID)
}

// spill encodes an entry into a sorter.
func spill(s *sorter, key string, e entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return s.add(key, b)
}
