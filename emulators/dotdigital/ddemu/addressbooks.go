package ddemu

import (
	"slices"
	"time"
)

// addressBook is a v2 address book (a "list").
type addressBook struct {
	id         int
	name       string
	visibility string
	writable   bool             // false for the built-in "Test" list
	members    map[int64]string // contactId -> list status (subscribed | suppressed)
	created    time.Time
}

func (s *store) addBook(name, visibility string, writable bool) *addressBook {
	b := &addressBook{id: s.nextBookID, name: name, visibility: visibility, writable: writable,
		members: map[int64]string{}, created: now()}
	s.nextBookID++
	s.books[b.id] = b
	return b
}

// sortedBooks lists the books by id.
func (s *store) sortedBooks() []*addressBook {
	out := make([]*addressBook, 0, len(s.books))
	for _, b := range s.books {
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b *addressBook) int { return a.id - b.id })
	return out
}

// bookByName finds a book by case-insensitive name.
func (s *store) bookByName(name string) *addressBook {
	for _, b := range s.books {
		if equalFoldTrim(b.name, name) {
			return b
		}
	}
	return nil
}

func (s *store) addMember(b *addressBook, c *contact) {
	status := "subscribed"
	if c.optedOut() {
		status = "suppressed"
	}
	b.members[c.id] = status
	if i, found := slices.BinarySearch(c.lists, b.id); !found {
		c.lists = slices.Insert(c.lists, i, b.id)
	}
}

func (s *store) removeMember(b *addressBook, c *contact) bool {
	if _, ok := b.members[c.id]; !ok {
		return false
	}
	delete(b.members, c.id)
	if i, found := slices.BinarySearch(c.lists, b.id); found {
		c.lists = slices.Delete(c.lists, i, i+1)
	}
	return true
}

// setListStatus changes the contact's status in every list it belongs to.
func (s *store) setListStatus(c *contact, status string) {
	for _, id := range c.lists {
		if b := s.books[id]; b != nil {
			b.members[c.id] = status
		}
	}
}

// emptyBook removes every contact from a book.
func (s *store) emptyBook(b *addressBook) int {
	n := 0
	for id := range b.members {
		if c := s.contacts[id]; c != nil {
			s.removeMember(b, c)
			n++
		}
	}
	b.members = map[int64]string{}
	return n
}

// deleteBook removes a book and its memberships.
func (s *store) deleteBook(b *addressBook) {
	s.emptyBook(b)
	delete(s.books, b.id)
}
