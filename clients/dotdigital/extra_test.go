package dotdigital

import (
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

func TestAccountInfoStaticEndpoint(t *testing.T) {
	f := newFake(t, respond(200, accountInfoJSON("https://r2-api.dotdigital.com/")))
	info, err := f.client(t).AccountInfo(ctxT(t))
	mustNoErr(t, err)
	if info.Endpoint() != "https://r2-api.dotdigital.com" || f.last(t).Path != "/v2/account-info" {
		t.Errorf("info %+v", info)
	}
}

func TestMissingIDsAreMalformed(t *testing.T) {
	f := newFake(t, respond(202, `{}`))
	c := f.client(t)
	if _, err := c.ImportContacts(ctxT(t), []ImportContact{{Email: "a@example.com"}}, ""); !errors.Is(err, ErrMalformedResponse) {
		t.Errorf("contact import: %v", err)
	}
	if _, err := c.ImportInsight(ctxT(t), InsightImport{CollectionName: "Orders", Records: []InsightRecord{{Key: "k", Email: "a@example.com", JSON: map[string]int{}}}}); !errors.Is(err, ErrMalformedResponse) {
		t.Errorf("insight import: %v", err)
	}
	if _, err := c.AddContactToList(ctxT(t), 1, "a@example.com"); !errors.Is(err, ErrMalformedResponse) {
		t.Errorf("add to list: %v", err)
	}
	if _, err := c.CreateAddressBook(ctxT(t), "X", ""); !errors.Is(err, ErrMalformedResponse) {
		t.Errorf("create book: %v", err)
	}
}

func TestEnsureListCreatedConcurrently(t *testing.T) {
	// The first listing misses the book, creating reports a duplicate, the
	// second listing finds it.
	var lists atomic.Int32
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" {
			writeRaw(w, 400, `{"message":"Error: ERROR_ADDRESSBOOK_DUPLICATE"}`)
			return
		}
		if lists.Add(1) == 1 {
			writeRaw(w, 200, `[]`)
			return
		}
		writeRaw(w, 200, `[{"id":9,"name":"VIP"}]`)
	})
	id, err := f.client(t).EnsureList(ctxT(t), "VIP")
	if err != nil || id != 9 {
		t.Fatalf("id %d err %v", id, err)
	}
}

func TestErrorStrings(t *testing.T) {
	for _, err := range []error{
		&ImportFailedError{Kind: "contacts", ImportID: "abc", Status: "Failed"},
		&TransportError{Method: "GET", Route: "/r", Timeout: true, Err: errors.New("x")},
		&DecodeError{Method: "GET", Route: "/r", Status: 200, Err: errors.New("bad")},
		&RateLimitedError{RetryAfter: 1, Err: &APIError{Status: 429, Method: "GET", Route: "/r"}},
		&InsightRecordError{Key: "SO1", FailureReason: "DuplicateKey"},
	} {
		if s := err.Error(); !strings.HasPrefix(s, "dotdigital: ") {
			t.Errorf("%T: %q", err, s)
		}
	}
}
