package ddemu_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/dotdigital/ddemu"
)

func TestAuthOnEveryRoute(t *testing.T) {
	e, c := start(t, ddemu.Options{APIUser: "apiuser-1@apiconnector.com", APIPassword: "s3cret",
		Limits: map[ddemu.Tier]int{ddemu.TierHigh: 5, ddemu.TierMedium: 5, ddemu.TierLow: 5}})
	c.user, c.pass = "apiuser-1@apiconnector.com", "wrong"
	for route := range e.RouteTier() {
		method, pattern, _ := strings.Cut(route, " ")
		path := strings.NewReplacer("{identifier}", "email", "{value}", "a@example.com", "{importId}", "d7de900d-d337-43f6-b1e1-c8ec73e1a434",
			"{deleteId}", "d7de900d-d337-43f6-b1e1-c8ec73e1a434", "{jobId}", "x", "{collection}", "Orders", "{recordId}", "1",
			"{id}", "1", "{contactId}", "1", "{idOrEmail}", "a@example.com", "{name}", "X", "{date}", "2024-01-01").Replace(pattern)
		r := c.do(method, path, map[string]any{})
		if r.status != http.StatusUnauthorized {
			t.Fatalf("%s %s without valid credentials: %d %s", method, path, r.status, r.body)
		}
		if strings.HasPrefix(pattern, "/v2/") {
			r.v2err(t, http.StatusUnauthorized, "")
			if !strings.Contains(string(r.body), "Authorization has been denied for this request.") {
				t.Fatalf("v2 401 body: %s", r.body)
			}
		} else if len(r.body) != 0 {
			t.Fatalf("v3 401 should have an empty body: %q", r.body)
		}
		if r.header.Get("X-RateLimit-Limit") != "5" || r.header.Get("X-RateLimit-Remaining") != "5" {
			t.Fatalf("%s: a 401 must show but not consume the budget: %v", route, r.header)
		}
	}
	c.user = ""
	c.get("/v2/account-info").expect(t, http.StatusUnauthorized)
	if s := e.Stats(); s.Calls != 0 || s.Unauthorized == 0 {
		t.Fatalf("401s counted as calls: %+v", s)
	}
}

func TestAccountInfoAndServerTime(t *testing.T) {
	e, c := start(t, ddemu.Options{})
	var info struct {
		ID         int `json:"id"`
		Properties []struct{ Name, Type, Value string }
	}
	c.get("/v2/account-info").expect(t, http.StatusOK).decode(t, &info)
	props := map[string]string{}
	for _, p := range info.Properties {
		props[p.Name] = p.Value
	}
	if props["ApiEndpoint"] != e.URL()+"/" {
		t.Fatalf("ApiEndpoint %q, want %q", props["ApiEndpoint"], e.URL()+"/")
	}
	for _, n := range []string{"Name", "MainEmail", "APILocale", "ApiCallsInLastHour", "ApiCallsRemaining", "TimeZoneIana"} {
		if _, ok := props[n]; !ok {
			t.Fatalf("account-info lacks %s", n)
		}
	}
	if props["ApiCallsInLastHour"] != "1" {
		t.Fatalf("ApiCallsInLastHour %q", props["ApiCallsInLastHour"])
	}
	var ts string
	c.get("/v2/server-time").expect(t, http.StatusOK).decode(t, &ts)
	if d := time.Since(parseTS(t, ts)); d < -time.Second || d > time.Second {
		t.Fatalf("server time %s off by %v", ts, d)
	}
}

func TestDataFieldsV2(t *testing.T) {
	_, c := start(t, ddemu.Options{})
	var fields []struct{ Name, Type, Visibility string }
	c.get("/v2/data-fields").expect(t, http.StatusOK).decode(t, &fields)
	if len(fields) != 6 {
		t.Fatalf("default fields: %+v", fields)
	}
	var created map[string]any
	c.post("/v2/data-fields", map[string]any{"name": "odoo_partner_ids", "type": "string", "visibility": "private"}).
		expect(t, http.StatusCreated).decode(t, &created)
	if created["name"] != "ODOO_PARTNER_IDS" || created["type"] != "String" || created["visibility"] != "Private" {
		t.Fatalf("echo: %v", created)
	}
	msg := c.post("/v2/data-fields", map[string]any{"name": "ODOO_PARTNER_IDS", "type": "String"}).v2err(t, http.StatusBadRequest, "ERROR_NON_UNIQUE_DATAFIELD")
	if msg != "Field already exists. ERROR_NON_UNIQUE_DATAFIELD" {
		t.Fatalf("duplicate message %q", msg)
	}
	for _, bad := range []map[string]any{
		{"name": "THIS_NAME_IS_TOO_LONG_", "type": "String"},
		{"name": "HAS SPACE", "type": "String"},
		{"name": "email", "type": "String"},
		{"name": "OK", "type": "Text"},
		{"name": "OK", "type": "Numeric", "defaultValue": "abc"},
	} {
		c.post("/v2/data-fields", bad).v2err(t, http.StatusBadRequest, "ERROR_DATAFIELD_INVALID")
	}
	c.post("/v2/data-fields", map[string]any{"name": "TOTAL_SPENT", "type": "Numeric", "defaultValue": 0}).expect(t, http.StatusCreated)
	c.upsert("f@example.com", map[string]any{"odoo_partner_ids": "1,2"}).expect(t, http.StatusCreated)

	var del map[string]any
	c.delete("/v2/data-fields/odoo_partner_ids", nil).expect(t, http.StatusOK).decode(t, &del)
	if del["result"] != true {
		t.Fatalf("delete: %v", del)
	}
	c.delete("/v2/data-fields/ODOO_PARTNER_IDS", nil).v2err(t, http.StatusNotFound, "ERROR_DATAFIELD_NOTFOUND")
	if doc := c.get("/contacts/v3/email/f@example.com").contact(t); doc.DataFields["ODOO_PARTNER_IDS"] != nil || len(doc.DataFields) != 7 {
		t.Fatalf("deleted field still shown: %v", doc.DataFields)
	}
	c.delete("/v2/data-fields/FIRSTNAME", nil).expect(t, http.StatusOK).decode(t, &del)
	if del["result"] != false {
		t.Fatalf("default field deleted: %v", del)
	}
}

func TestAddressBooksV2(t *testing.T) {
	e, c := start(t, ddemu.Options{})
	var book struct {
		ID               int
		Name, Visibility string
		Contacts         int
	}
	c.post("/v2/address-books", map[string]any{"name": "Customers"}).expect(t, http.StatusCreated).decode(t, &book)
	if book.Name != "Customers" || book.Visibility != "Private" || book.ID == 0 {
		t.Fatalf("create: %+v", book)
	}
	c.post("/v2/address-books", map[string]any{"name": "customers"}).v2err(t, http.StatusBadRequest, "ERROR_ADDRESSBOOK_DUPLICATE")
	c.post("/v2/address-books", map[string]any{"name": "All Contacts"}).v2err(t, http.StatusBadRequest, "ERROR_ADDRESSBOOK_DUPLICATE")
	c.post("/v2/address-books", map[string]any{"name": "Test"}).v2err(t, http.StatusBadRequest, "ERROR_ADDRESSBOOK_DUPLICATE")
	vip := 0
	var b2 struct{ ID int }
	c.post("/v2/address-books", map[string]any{"name": "VIP", "visibility": "Public"}).expect(t, http.StatusCreated).decode(t, &b2)
	vip = b2.ID

	var books []struct{ ID int }
	c.get("/v2/address-books?select=2&skip=1").expect(t, http.StatusOK).decode(t, &books)
	if len(books) != 2 || books[0].ID != book.ID || books[1].ID != vip {
		t.Fatalf("select/skip: %+v", books)
	}
	c.get("/v2/address-books?select=0").v2err(t, http.StatusBadRequest, "ERROR_PARAMETER_INVALID")
	c.get("/v2/address-books/99999").v2err(t, http.StatusNotFound, "ERROR_ADDRESSBOOK_NOT_FOUND")

	base := fmt.Sprintf("/v2/address-books/%d/contacts", book.ID)
	var added struct {
		ID         int64
		Email      string
		Status     string
		DataFields []struct {
			Key   string
			Value any
		}
	}
	c.post(base, map[string]any{"Email": "A@Example.com", "OptInType": "single", "EmailType": "html",
		"DataFields": []any{map[string]any{"Key": "firstname", "Value": "Ann"}}}).expect(t, http.StatusOK).decode(t, &added)
	if added.Email != "a@example.com" || added.Status != "Subscribed" || len(added.DataFields) != 6 {
		t.Fatalf("add: %+v", added)
	}
	c.post(base, map[string]any{"email": "b@example.com", "dataFields": []any{map[string]any{"key": "NOPE", "value": 1}}}).
		v2err(t, http.StatusBadRequest, "ERROR_DATAFIELD_NOTFOUND")
	c.post(base, map[string]any{"email": "not valid"}).v2err(t, http.StatusBadRequest, "ERROR_PARAMETER_INVALID")
	_ = e.Suppress("s@example.com")
	msg := c.post(base, map[string]any{"email": "s@example.com"}).v2err(t, http.StatusBadRequest, "ERROR_CONTACT_SUPPRESSED")
	if msg != "Contact is suppressed. ERROR_CONTACT_SUPPRESSED" {
		t.Fatalf("suppressed message %q", msg)
	}
	c.post("/v2/address-books/1/contacts", map[string]any{"email": "c@example.com"}).v2err(t, http.StatusBadRequest, "ERROR_ADDRESSBOOK_NOTWRITABLE")
	c.post(fmt.Sprintf("/v2/address-books/%d/contacts", vip), map[string]any{"email": "a@example.com"}).expect(t, http.StatusOK)

	var inBook []struct {
		ID         int64
		Email      string
		DataFields []any
	}
	c.get(base).expect(t, http.StatusOK).decode(t, &inBook)
	if len(inBook) != 1 || inBook[0].Email != "a@example.com" || inBook[0].DataFields != nil {
		t.Fatalf("book contacts: %+v", inBook)
	}
	c.get(base+"?withFullData=true").expect(t, http.StatusOK).decode(t, &inBook)
	if len(inBook[0].DataFields) != 6 {
		t.Fatalf("withFullData: %+v", inBook)
	}
	var cb []struct{ ID int }
	c.get(fmt.Sprintf("/v2/contacts/%d/address-books", added.ID)).expect(t, http.StatusOK).decode(t, &cb)
	if len(cb) != 2 {
		t.Fatalf("contact's books: %+v", cb)
	}
	c.delete(fmt.Sprintf("%s/%d", base, added.ID), nil).expect(t, http.StatusNoContent)
	c.get(fmt.Sprintf("/v2/contacts/%d/address-books", added.ID)).expect(t, http.StatusOK).decode(t, &cb)
	if len(cb) != 1 || cb[0].ID != vip {
		t.Fatalf("after removal: %+v", cb)
	}
	c.delete(base+"/999999", nil).v2err(t, http.StatusNotFound, "ERROR_CONTACT_NOT_FOUND")

	// the dangerous routes work as the real API does, and are visible in the stats
	vipBase := fmt.Sprintf("/v2/address-books/%d/contacts", vip)
	c.delete(vipBase, nil).expect(t, http.StatusNoContent)
	c.get(vipBase).expect(t, http.StatusOK).decode(t, &inBook)
	if len(inBook) != 0 {
		t.Fatalf("DELETE .../contacts should empty the book: %+v", inBook)
	}
	c.post(vipBase, map[string]any{"email": "a@example.com"}).expect(t, http.StatusOK)
	var job struct{ ID, Status string }
	c.post(vipBase+"/delete-all", nil).expect(t, http.StatusAccepted).decode(t, &job)
	if job.Status != "Started" || job.ID == "" {
		t.Fatalf("delete-all: %+v", job)
	}
	c.get(vipBase).expect(t, http.StatusOK).decode(t, &inBook)
	if len(inBook) != 0 {
		t.Fatal("delete-all left contacts")
	}
	c.post(vipBase, map[string]any{"email": "a@example.com"}).expect(t, http.StatusOK)
	c.post(vipBase+"/delete", []int64{added.ID}).expect(t, http.StatusAccepted)
	st := e.Stats()
	for _, r := range []string{"DELETE /v2/address-books/{id}/contacts", "POST /v2/address-books/{id}/contacts/delete-all", "POST /v2/address-books/{id}/contacts/delete"} {
		if st.ByRoute[r].Total != 1 {
			t.Fatalf("route %s counted %d times", r, st.ByRoute[r].Total)
		}
	}
	var renamed struct{ Name string }
	c.put(fmt.Sprintf("/v2/address-books/%d", vip), map[string]any{"name": "Very Important"}).expect(t, http.StatusOK).decode(t, &renamed)
	if renamed.Name != "Very Important" {
		t.Fatalf("rename: %+v", renamed)
	}
	c.delete(fmt.Sprintf("/v2/address-books/%d", vip), nil).expect(t, http.StatusNoContent)
	c.get(fmt.Sprintf("/v2/address-books/%d", vip)).v2err(t, http.StatusNotFound, "ERROR_ADDRESSBOOK_NOT_FOUND")
	c.delete("/v2/address-books/1", nil).v2err(t, http.StatusBadRequest, "ERROR_ADDRESSBOOK_NOTWRITABLE")
}

func TestContactsV2(t *testing.T) {
	e, c := start(t, ddemu.Options{})
	doc := c.upsert("v2@example.com", map[string]any{"FIRSTNAME": "V"}).expect(t, http.StatusCreated).contact(t)
	var v2 struct {
		ID         int64
		Email      string
		Status     string
		OptInType  string
		EmailType  string
		DataFields []struct {
			Key   string
			Value any
		}
	}
	c.get("/v2/contacts/V2@example.com").expect(t, http.StatusOK).decode(t, &v2)
	if fmt.Sprint(v2.ID) != doc.ContactID.String() || v2.Status != "Subscribed" || v2.EmailType != "Html" || v2.DataFields[0].Key != "FIRSTNAME" || v2.DataFields[0].Value != "V" {
		t.Fatalf("v2 contact: %+v", v2)
	}
	c.get("/v2/contacts/"+doc.ContactID.String()).expect(t, http.StatusOK)
	c.get("/v2/contacts/nobody@example.com").v2err(t, http.StatusNotFound, "ERROR_CONTACT_NOT_FOUND")

	var sup struct {
		SuppressedContact struct{ Email, Status string }
		DateRemoved       string
		Reason            string
	}
	c.post("/v2/contacts/unsubscribe", map[string]any{"email": "v2@example.com"}).expect(t, http.StatusCreated).decode(t, &sup)
	if sup.Reason != "Unsubscribed" || sup.SuppressedContact.Status != "Unsubscribed" {
		t.Fatalf("unsubscribe: %+v", sup)
	}
	// by id, unsubscribed contacts are not returned (OAS-V2 note); by email they are
	c.get("/v2/contacts/"+doc.ContactID.String()).v2err(t, http.StatusNotFound, "ERROR_CONTACT_NOT_FOUND")
	c.get("/v2/contacts/v2@example.com").expect(t, http.StatusOK)
	v3 := c.get("/contacts/v3/email/v2@example.com").contact(t)
	if v3.Channel.Email.Status != "unsubscribed" {
		t.Fatalf("v3 view after v2 unsubscribe: %+v", v3.Channel)
	}
	_ = e.Suppress("hard@example.com")
	var since []struct{ Reason string }
	c.get("/v2/contacts/suppressed-since/2020-01-01").expect(t, http.StatusOK).decode(t, &since)
	if len(since) != 2 {
		t.Fatalf("suppressed-since: %+v", since)
	}
	c.get("/v2/contacts/unsubscribed-since/2020-01-01T00:00:00Z").expect(t, http.StatusOK).decode(t, &since)
	if len(since) != 1 || since[0].Reason != "Unsubscribed" {
		t.Fatalf("unsubscribed-since: %+v", since)
	}
	c.get("/v2/contacts/unsubscribed-since/2999-01-01").expect(t, http.StatusOK).decode(t, &since)
	if len(since) != 0 {
		t.Fatalf("future date: %+v", since)
	}
	c.post("/v2/contacts", map[string]any{"email": "hard@example.com"}).v2err(t, http.StatusBadRequest, "ERROR_CONTACT_SUPPRESSED")
	c.post("/v2/contacts", map[string]any{"email": "fresh@example.com", "dataFields": []any{map[string]any{"key": "LASTNAME", "value": "F"}}}).
		expect(t, http.StatusCreated)
	if d := c.get("/contacts/v3/email/fresh@example.com").contact(t); d.DataFields["LASTNAME"] != "F" {
		t.Fatalf("v2 upsert: %v", d.DataFields)
	}
	c.delete("/v2/contacts/fresh@example.com", nil).expect(t, http.StatusNoContent)
	c.get("/contacts/v3/email/fresh@example.com").expect(t, http.StatusNotFound)
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	e, c := start(t, ddemu.Options{})
	c.get("/v2/nothing-here").v2err(t, http.StatusNotFound, "")
	c.get("/contacts/v3/a/b/c/d").v3err(t, http.StatusNotFound, "contacts:notFound")
	c.do(http.MethodPost, "/v2/account-info", nil).v2err(t, http.StatusMethodNotAllowed, "")
	c.do(http.MethodPatch, "/insightData/v3/import", nil).v3err(t, http.StatusMethodNotAllowed, "insightData:methodNotAllowed")
	// route literals are case-insensitive like the ASP.NET service
	c.get("/insightdata/v3/collections").expect(t, http.StatusOK)
	if s := e.Stats(); s.NotFound != 4 || s.Calls != 1 {
		t.Fatalf("stats: %+v", s)
	}
}
