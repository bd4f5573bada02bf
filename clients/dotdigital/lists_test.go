package dotdigital

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func addressBookServer(t *testing.T, n int) (*fake, *[]AddressBook) {
	var mu sync.Mutex
	books := make([]AddressBook, 0, n)
	for i := 1; i <= n; i++ {
		books = append(books, AddressBook{ID: int64(i), Name: fmt.Sprintf("Book %d", i), Visibility: "Private"})
	}
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.Method == "GET" && r.URL.Path == "/v2/address-books":
			sel, _ := strconv.Atoi(r.URL.Query().Get("select"))
			skip, _ := strconv.Atoi(r.URL.Query().Get("skip"))
			if sel < 1 || sel > 1000 {
				writeRaw(w, 400, `{"message":"Error: ERROR_PARAMETER_INVALID"}`)
				return
			}
			end := min(skip+sel, len(books))
			if skip > len(books) {
				skip = end
			}
			writeJSON(w, 200, books[skip:end])
		case r.Method == "POST" && r.URL.Path == "/v2/address-books":
			var b AddressBook
			_ = json.NewDecoder(r.Body).Decode(&b)
			for _, ex := range books {
				if strings.EqualFold(ex.Name, b.Name) {
					writeRaw(w, 400, `{"message":"Error: ERROR_ADDRESSBOOK_DUPLICATE"}`)
					return
				}
			}
			b.ID = int64(len(books) + 1)
			books = append(books, b)
			writeJSON(w, 201, b)
		case r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/contacts"):
			var c map[string]any
			_ = json.NewDecoder(r.Body).Decode(&c)
			if c["email"] == "suppressed@example.com" {
				writeRaw(w, 400, `{"message":"Contact is suppressed. ERROR_CONTACT_SUPPRESSED"}`)
				return
			}
			writeJSON(w, 200, map[string]any{"id": 555, "email": c["email"], "status": "Subscribed"})
		case r.Method == "DELETE":
			w.WriteHeader(204)
		default:
			http.NotFound(w, r)
		}
	})
	return f, &books
}

func TestListAddressBooksPaging(t *testing.T) {
	f, _ := addressBookServer(t, 2345)
	books, err := f.client(t).ListAddressBooks(ctxT(t))
	mustNoErr(t, err)
	if len(books) != 2345 || books[2344].ID != 2345 {
		t.Fatalf("got %d books", len(books))
	}
	if f.count() != 3 {
		t.Errorf("%d page requests, want 3", f.count())
	}
	// Exactly one full page needs one more (empty) page to know it is the end.
	g, _ := addressBookServer(t, 1000)
	books, err = g.client(t).ListAddressBooks(ctxT(t))
	mustNoErr(t, err)
	if len(books) != 1000 || g.count() != 2 {
		t.Errorf("%d books in %d calls", len(books), g.count())
	}
}

func TestEnsureListAndCreate(t *testing.T) {
	f, books := addressBookServer(t, 3)
	c := f.client(t)
	id, err := c.EnsureList(ctxT(t), "Book 2")
	mustNoErr(t, err)
	if id != 2 {
		t.Errorf("existing list id %d", id)
	}
	id, err = c.EnsureList(ctxT(t), "book 3")
	mustNoErr(t, err)
	if id != 3 {
		t.Errorf("case-insensitive match id %d", id)
	}
	id, err = c.EnsureList(ctxT(t), "VIP")
	mustNoErr(t, err)
	if id != 4 || (*books)[3].Name != "VIP" || (*books)[3].Visibility != "Private" {
		t.Errorf("created id %d books %v", id, *books)
	}
	if _, err := c.CreateAddressBook(ctxT(t), "vip", ""); !errors.Is(err, ErrAlreadyExists) {
		t.Errorf("duplicate: %v", err)
	}
	if _, err := c.CreateAddressBook(ctxT(t), strings.Repeat("x", 129), ""); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("long name: %v", err)
	}
}

func TestAddAndRemoveContactFromList(t *testing.T) {
	f, _ := addressBookServer(t, 1)
	c := f.client(t)
	id, err := c.AddContactToList(ctxT(t), 1, " Jane@Example.com")
	mustNoErr(t, err)
	r := f.last(t)
	if id != 555 || r.Method != "POST" || r.Path != "/v2/address-books/1/contacts" || string(r.Body) != `{"email":"jane@example.com"}` {
		t.Errorf("id %d request %s %s %s", id, r.Method, r.Path, r.Body)
	}
	if _, err := c.AddContactToList(ctxT(t), 1, "suppressed@example.com"); !errors.Is(err, ErrSuppressed) || Retryable(err) {
		t.Errorf("suppressed: %v", err)
	}

	mustNoErr(t, c.RemoveContactFromList(ctxT(t), 1, 555))
	if r := f.last(t); r.Method != "DELETE" || r.Path != "/v2/address-books/1/contacts/555" {
		t.Errorf("request %s %s", r.Method, r.Path)
	}

	before := f.count()
	for _, tc := range []struct{ list, contact int64 }{{1, 0}, {1, -3}, {0, 5}, {-1, 5}} {
		err := c.RemoveContactFromList(ctxT(t), tc.list, tc.contact)
		if !errors.Is(err, ErrInvalidArgument) || Retryable(err) {
			t.Errorf("%v: %v", tc, err)
		}
	}
	if _, err := c.AddContactToList(ctxT(t), 0, "a@example.com"); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("list 0: %v", err)
	}
	if f.count() != before {
		t.Fatalf("guarded calls reached the server (%d requests): the delete-all route must never be hit", f.count()-before)
	}
	for _, r := range f.requests() {
		if r.Method == "DELETE" && (strings.HasSuffix(r.Path, "/contacts") || strings.HasSuffix(r.Path, "/contacts/")) {
			t.Fatalf("delete-all route called: %s", r.Path)
		}
	}
}
