package dotdigital

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

const contactJSON = `{"contactId": 123, "status": "subscribed", "created": "2024-01-01T00:00:00Z", "updated": "2024-01-02T03:04:05.123Z",
 "identifiers": {"email": "Jane@Example.com", "mobileNumber": "447123123123"},
 "dataFields": {"FIRSTNAME": "Jane", "ORDER_COUNT": 3, "VIP": true, "LASTNAME": null},
 "channelProperties": {"email": {"emailType": "Html", "optInType": "Single", "status": "subscribed"}},
 "lists": [{"id": 1, "name": "Customers", "status": "subscribed"}]}`

func TestUpsertContact(t *testing.T) {
	status := 201
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) { writeRaw(w, status, contactJSON) })
	c := f.client(t)
	ct, created, err := c.UpsertContact(ctxT(t), "  Jane.Doe+shop@Example.COM ", ContactUpdate{
		DataFields:  map[string]any{"FIRSTNAME": "Jane", "LASTNAME": nil, "ORDER_COUNT": 3, "LAST_ORDER": time.Date(2024, 5, 1, 12, 0, 0, 0, time.FixedZone("x", 3600))},
		Lists:       []int64{5, 9},
		MergeOption: MergeOverwriteIfNotEmpty,
	})
	mustNoErr(t, err)
	if !created {
		t.Error("201 must report created")
	}
	r := f.last(t)
	if r.Method != "PATCH" || r.RawPath != "/contacts/v3/email/jane.doe+shop@example.com" {
		t.Errorf("request %s %s", r.Method, r.RawPath)
	}
	if got := r.Query["merge-option"]; len(got) != 1 || got[0] != "overwrite-if-not-empty" {
		t.Errorf("merge-option %v", got)
	}
	body := decodeBody(t, r.Body)
	if body["identifiers"].(map[string]any)["email"] != "jane.doe+shop@example.com" {
		t.Errorf("identifiers %v", body["identifiers"])
	}
	df := body["dataFields"].(map[string]any)
	if v, ok := df["LASTNAME"]; !ok || v != nil {
		t.Errorf("nil must be sent as JSON null, got %v (present %v)", v, ok)
	}
	if df["LAST_ORDER"] != "2024-05-01T11:00:00Z" || df["ORDER_COUNT"] != float64(3) {
		t.Errorf("dataFields %v", df)
	}
	for _, forbidden := range []string{"channelProperties", "status", "preferences", "consentRecords", "matchIdentifier"} {
		if _, ok := body[forbidden]; ok {
			t.Errorf("body must not contain %s: %s", forbidden, r.Body)
		}
	}
	if strings.Contains(string(r.Body), "status") {
		t.Errorf("body mentions status: %s", r.Body)
	}
	if ct.ContactID != 123 || ct.Email != "jane@example.com" || ct.EmailStatus != "subscribed" || ct.Status != "subscribed" ||
		ct.DataFields["FIRSTNAME"] != "Jane" || len(ct.Lists) != 1 || ct.Lists[0].Name != "Customers" ||
		ct.Updated.Nanosecond() != 123e6 || ct.Identifiers["mobileNumber"] != "447123123123" {
		t.Errorf("contact %+v", ct)
	}

	status = 200
	_, created, err = c.UpsertContact(ctxT(t), "jane@example.com", ContactUpdate{})
	mustNoErr(t, err)
	if created {
		t.Error("200 must report updated")
	}
	body = decodeBody(t, f.last(t).Body)
	if _, ok := body["dataFields"]; ok {
		t.Error("empty update must not send dataFields")
	}
	if _, ok := f.last(t).Query["merge-option"]; ok {
		t.Error("no merge option must send no query")
	}
}

func TestUpsertContactRefusesBeforeRequest(t *testing.T) {
	f := newFake(t, respond(200, contactJSON))
	c := f.client(t)
	cases := []struct {
		name  string
		email string
		u     ContactUpdate
		class error
	}{
		{"invalid email", "not-an-email", ContactUpdate{}, ErrInvalidEmail},
		{"empty email", "  ", ContactUpdate{}, ErrInvalidEmail},
		{"two addresses", "a@b.com, c@d.com", ContactUpdate{}, ErrInvalidEmail},
		{"long field name", "a@example.com", ContactUpdate{DataFields: map[string]any{"THIS_NAME_IS_TOO_LONG_X": 1}}, ErrInvalidArgument},
		{"bad field name", "a@example.com", ContactUpdate{DataFields: map[string]any{"FIRST NAME": "x"}}, ErrInvalidArgument},
		{"same field twice", "a@example.com", ContactUpdate{DataFields: map[string]any{"firstname": "x", "FIRSTNAME": "y"}}, ErrInvalidArgument},
		{"text too long", "a@example.com", ContactUpdate{DataFields: map[string]any{"NOTE": strings.Repeat("é", 256)}}, ErrInvalidArgument},
		{"unsupported value", "a@example.com", ContactUpdate{DataFields: map[string]any{"X": []string{"a"}}}, ErrInvalidArgument},
		{"bad list", "a@example.com", ContactUpdate{Lists: []int64{0}}, ErrInvalidArgument},
		{"bad merge", "a@example.com", ContactUpdate{MergeOption: "merge"}, ErrInvalidArgument},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := c.UpsertContact(ctxT(t), tc.email, tc.u)
			if !errors.Is(err, tc.class) || Retryable(err) {
				t.Fatalf("got %v", err)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("want *ValidationError, got %T", err)
			}
			assertNoSecrets(t, err, "not-an-email", "a@b.com")
		})
	}
	if f.count() != 0 {
		t.Errorf("%d requests sent for refused input", f.count())
	}
}

func TestChangeEmail(t *testing.T) {
	f := newFake(t, respond(200, `{"contactId": 123, "identifiers": {"email": "new@example.com"}}`))
	c := f.client(t)
	ct, err := c.ChangeEmail(ctxT(t), "Old@Example.com", " NEW@example.com")
	mustNoErr(t, err)
	if ct.Email != "new@example.com" || ct.ContactID != 123 {
		t.Errorf("contact %+v", ct)
	}
	r := f.last(t)
	if r.Method != "PATCH" || r.RawPath != "/contacts/v3/email/old@example.com" {
		t.Errorf("request %s %s", r.Method, r.RawPath)
	}
	body := decodeBody(t, r.Body)
	if body["matchIdentifier"] != "email" || body["identifiers"].(map[string]any)["email"] != "new@example.com" || len(body) != 2 {
		t.Errorf("body %s", r.Body)
	}

	conflict := newFake(t, respond(409, `{"errorCode":"contacts:idAlreadyExists","description":"The id value 'new@example.com' for the identifier 'email' already exists."}`))
	_, err = conflict.client(t).ChangeEmail(ctxT(t), "old@example.com", "new@example.com")
	var ce *EmailConflictError
	if !errors.As(err, &ce) || !IsConflict(err) || Retryable(err) || ce.Err.Code != "contacts:idAlreadyExists" {
		t.Fatalf("got %T %v", err, err)
	}
	assertNoSecrets(t, err, "new@example.com", "old@example.com")

	_, err = c.ChangeEmail(ctxT(t), "old@example.com", "broken")
	if !IsInvalidEmail(err) {
		t.Fatalf("got %v", err)
	}
}

func TestGetContact(t *testing.T) {
	f := newFake(t, respond(200, contactJSON))
	c := f.client(t)
	ct, err := c.GetContact(ctxT(t), "JANE@example.com", WithDataFields("FIRSTNAME", "LASTNAME"), WithLists())
	mustNoErr(t, err)
	r := f.last(t)
	if r.Method != "GET" || r.RawPath != "/contacts/v3/email/jane@example.com" ||
		r.Query.Get("data-fields") != "FIRSTNAME|LASTNAME" || r.Query.Get("include") != "lists" {
		t.Errorf("request %s %s %v", r.Method, r.RawPath, r.Query)
	}
	if ct.ContactID != 123 || ct.Created.IsZero() {
		t.Errorf("contact %+v", ct)
	}
	_, err = c.GetContact(ctxT(t), "jane@example.com", WithAllDataFields())
	mustNoErr(t, err)
	if q := f.last(t).Query.Get("data-fields"); q != "[[ALL]]" {
		t.Errorf("all data fields query %q", q)
	}
	// Path escaping: characters that are legal in an email but special in a URL.
	_, err = c.GetContact(ctxT(t), "o'hara#1?x%2F@example.com")
	mustNoErr(t, err)
	if r := f.last(t); r.Path != "/contacts/v3/email/o'hara#1?x%2f@example.com" || len(r.Query) != 0 {
		t.Errorf("escaping: decoded path %q raw %q", r.Path, r.RawPath)
	}

	nf := newFake(t, respond(404, `{"errorCode":"contacts:contactNotFound","description":"The following contacts could not be found","details":[{"item":"jane@example.com","description":"Not found using the identifier 'email'"}]}`))
	_, err = nf.client(t).GetContact(ctxT(t), "jane@example.com")
	if !errors.Is(err, ErrContactNotFound) || !IsNotFound(err) {
		t.Fatalf("got %v", err)
	}
}

func TestDeleteContact(t *testing.T) {
	f := newFake(t, respond(200, `{"contactId": 5}`))
	mustNoErr(t, f.client(t).DeleteContact(ctxT(t), "Jane@Example.com"))
	if r := f.last(t); r.Method != "DELETE" || r.RawPath != "/contacts/v3/email/jane@example.com" {
		t.Errorf("request %s %s", r.Method, r.RawPath)
	}
	nf := newFake(t, respond(404, `{"errorCode":"contacts:contactNotFound"}`))
	if err := nf.client(t).DeleteContact(ctxT(t), "jane@example.com"); !IsContactNotFound(err) {
		t.Fatalf("got %v", err)
	}
}

func TestListContactsAndIterator(t *testing.T) {
	pages := map[string]string{
		"":   `{"_links":{"self":{"marker":""},"next":{"marker":"m1","link":"/contacts/v3?marker=m1"}},"_items":[{"contactId":1,"identifiers":{"email":"a@x.com"}},{"contactId":2,"identifiers":{"email":"b@x.com"}}]}`,
		"m1": `{"_links":{"next":{"link":"https://r1-api.dotdigital.com/contacts/v3?limit=2&marker=m2"}},"_items":[{"contactId":3,"identifiers":{"email":"c@x.com"}}]}`,
		"m2": `{"_links":{"self":{"marker":"m2"},"next":{"marker":"m2"}},"_items":[{"contactId":4,"identifiers":{"email":"d@x.com"}}]}`,
	}
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		body, ok := pages[r.URL.Query().Get("marker")]
		if !ok {
			writeRaw(w, 400, `{"errorCode":"contacts:invalidFilter"}`)
			return
		}
		writeRaw(w, 200, body)
	})
	c := f.client(t)
	since := time.Date(2024, 3, 4, 5, 6, 7, 890e6, time.FixedZone("x", -3600))
	page, err := c.ListContacts(ctxT(t), ContactFilter{ListID: 77, ModifiedSince: since, Limit: 2, DataFields: []string{"FIRSTNAME"}})
	mustNoErr(t, err)
	q := f.last(t).Query
	if q.Get("~listId") != "77" || q.Get("~modified") != "gte::2024-03-04T06:06:07Z" || q.Get("limit") != "2" ||
		q.Get("data-fields") != "FIRSTNAME" || q.Has("marker") {
		t.Errorf("query %v", q)
	}
	if len(page.Contacts) != 2 || page.NextMarker != "m1" {
		t.Fatalf("page %+v", page)
	}
	var ids []int64
	for ct, err := range c.AllContacts(ctxT(t), ContactFilter{Limit: 2}) {
		mustNoErr(t, err)
		ids = append(ids, ct.ContactID)
	}
	if len(ids) != 4 || ids[3] != 4 {
		t.Errorf("iterated %v (a next marker equal to the current one must end paging)", ids)
	}
	// Early break stops fetching.
	before := f.count()
	for range c.AllContacts(ctxT(t), ContactFilter{}) {
		break
	}
	if f.count() != before+1 {
		t.Errorf("break fetched %d pages", f.count()-before)
	}
	// An error is yielded and ends iteration.
	var gotErr error
	n := 0
	for _, err := range c.AllContacts(ctxT(t), ContactFilter{Marker: "bogus"}) {
		n++
		gotErr = err
	}
	if n != 1 || gotErr == nil {
		t.Errorf("error iteration: n=%d err=%v", n, gotErr)
	}
	if _, err := c.ListContacts(ctxT(t), ContactFilter{Limit: 5001}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("limit 5001: %v", err)
	}
}
