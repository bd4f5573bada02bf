package ddemu

import (
	"sort"
	"sync"
	"time"
)

// store is the account state. One RWMutex guards all of it: every operation
// is short (map lookups, slice appends), and one lock keeps cross-entity
// rules (identifier uniqueness, contacts owning Insight records) simple.
type store struct {
	mu sync.RWMutex

	contactIDBase int64
	nextContactID int64
	contacts      map[int64]*contact
	order         []*contact // ascending contactId; holds binned contacts; purged ones are skipped and compacted lazily
	purged        int
	byEmail       map[string]*contact
	byMobile      map[string]*contact

	fields      map[string]*dataField // by upper-cased name
	nextOrdinal int

	books      map[int]*addressBook
	nextBookID int

	collections map[string]*collection // by lower-cased name
	nextSeq     uint64

	contactImports map[string]*contactImport
	insightImports map[string]*insightImport
	deleteJobs     map[string]*deleteJob
	asyncJobs      map[string]*asyncJob
}

func newStore(contactIDBase int64) *store {
	s := &store{
		contactIDBase:  contactIDBase,
		nextContactID:  contactIDBase,
		contacts:       map[int64]*contact{},
		byEmail:        map[string]*contact{},
		byMobile:       map[string]*contact{},
		fields:         map[string]*dataField{},
		books:          map[int]*addressBook{},
		nextBookID:     1,
		collections:    map[string]*collection{},
		contactImports: map[string]*contactImport{},
		insightImports: map[string]*insightImport{},
		deleteJobs:     map[string]*deleteJob{},
		asyncJobs:      map[string]*asyncJob{},
	}
	for _, f := range builtinFields {
		s.addField(f.name, f.typ, "Public", nil, true)
	}
	// Every account has the "Test" list, which the API cannot write to.
	s.addBook("Test", "Private", false)
	return s
}

func (s *store) addField(name, typ, visibility string, def any, builtin bool) *dataField {
	f := &dataField{name: name, typ: typ, visibility: visibility, defaultValue: def, ordinal: s.nextOrdinal, builtin: builtin}
	s.nextOrdinal++
	s.fields[name] = f
	return f
}

// sortedFields returns the live field definitions by name.
func (s *store) sortedFields() []*dataField {
	out := make([]*dataField, 0, len(s.fields))
	for _, f := range s.fields {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// counts reports live and binned contacts, Insight records and lists.
func (s *store) counts() (live, binned, records, lists int) {
	for _, c := range s.contacts {
		if c.binned {
			binned++
		} else {
			live++
		}
	}
	for _, col := range s.collections {
		records += len(col.records)
	}
	return live, binned, records, len(s.books)
}

// now is the store's clock; all timestamps of one operation share one value.
func now() time.Time { return time.Now().UTC() }
