package ddemu_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/dotdigital/ddemu"
)

func TestContactIDsBeyondInt32(t *testing.T) {
	_, c := start(t, ddemu.Options{ContactIDBase: 3_000_000_000})
	doc := c.upsert("big@example.com", nil).expect(t, http.StatusCreated).contact(t)
	if doc.ContactID.String() != "3000000001" {
		t.Fatalf("contactId %s", doc.ContactID)
	}
	c.get("/contacts/v3/contactId/3000000001").expect(t, http.StatusOK)
	all, _ := listAll(t, c, "limit=1")
	if len(all) != 1 {
		t.Fatalf("listing: %+v", all)
	}
}

func TestV2TypeErrors(t *testing.T) {
	_, c := start(t, ddemu.Options{})
	c.ensureField("ORDER_COUNT", "Numeric")
	c.post("/v2/contacts", map[string]any{"email": "n@example.com", "dataFields": []any{map[string]any{"key": "ORDER_COUNT", "value": "many"}}}).
		v2err(t, http.StatusBadRequest, "ERROR_DATAFIELD_INVALID")
	c.post("/v2/contacts", map[string]any{"email": "n@example.com", "dataFields": []any{map[string]any{"key": "ORDER_COUNT", "value": "12345678901234567890"}}}).
		v2err(t, http.StatusBadRequest, "ERROR_DATAFIELD_VALUE_OVERFLOW")
	c.post("/v2/contacts", map[string]any{"email": "n@example.com", "dataFields": []any{map[string]any{"key": "ORDER_COUNT", "value": "007"}}}).
		expect(t, http.StatusCreated)
	doc := c.get("/contacts/v3/email/n@example.com").expect(t, http.StatusOK).contact(t)
	if n, ok := doc.DataFields["ORDER_COUNT"].(interface{ String() string }); !ok || n.String() != "7" {
		t.Fatalf("numeric stored as %v", doc.DataFields["ORDER_COUNT"])
	}
}

func TestBodyLimitAndInspector(t *testing.T) {
	e, err := ddemu.New(ddemu.Options{ImportDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	h := e.Handler()
	big := `{"contacts":[{"x":"` + strings.Repeat("a", 51<<20) + `"}]}`
	req := httptest.NewRequest(http.MethodPut, "/contacts/v3/import", strings.NewReader(big))
	req.SetBasicAuth(testUser, testPass)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), "contacts:requestTooLarge") {
		t.Fatalf("oversized body: %d %s", w.Code, w.Body.String()[:min(200, w.Body.Len())])
	}
	// the inspection page needs no credentials and costs no budget
	for _, path := range []string{"/", "/_emulator", "/?view=lists", "/?view=fields", "/?view=insight", "/?view=jobs", "/?view=calls", "/_emulator/stats.json"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		if w.Code != http.StatusOK {
			t.Fatalf("%s: %d", path, w.Code)
		}
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/_emulator", nil))
	if w.Code != http.StatusMethodNotAllowed {
		t.Fatalf("inspector accepted a POST: %d", w.Code)
	}
	if s := e.Stats(); s.Calls != 1 {
		t.Fatalf("calls %d", s.Calls)
	}
	// Handler() works without Start; account-info then reports the request's host
	req = httptest.NewRequest(http.MethodGet, "http://dd.local:1234/v2/account-info", nil)
	req.SetBasicAuth(testUser, testPass)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if !strings.Contains(w.Body.String(), `"value":"http://dd.local:1234/"`) {
		t.Fatalf("account-info via Handler: %s", w.Body.String())
	}
}

func TestOptionsValidation(t *testing.T) {
	for _, o := range []ddemu.Options{
		{ResetFormat: "weekly"}, {Fault5xxRate: 0.7, TimeoutRate: 0.5}, {SlowRate: -1},
		{Limits: map[ddemu.Tier]int{ddemu.TierLow: -1}}, {FlatHourly: -2}, {ImportDelay: -time.Second},
	} {
		if e, err := ddemu.New(o); err == nil {
			_ = e.Close()
			t.Fatalf("options accepted: %+v", o)
		}
	}
	e, err := ddemu.New(ddemu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if err := e.Start("127.0.0.1:0"); err == nil {
		t.Fatal("second Start accepted")
	}
	if !strings.HasPrefix(e.URL(), "http://127.0.0.1:") {
		t.Fatalf("URL %q", e.URL())
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Start("127.0.0.1:0"); err == nil {
		t.Fatal("Start after Close accepted")
	}
}

func TestEmptyRecycleBinPurgesEverything(t *testing.T) {
	e, c := start(t, ddemu.Options{ImportDelay: time.Millisecond})
	const n = 1500 // more than the compaction threshold of the contact order
	var rows, dels []any
	for i := range n {
		email := fmt.Sprintf("bin%d@example.com", i)
		rows = append(rows, row(email, nil))
		dels = append(dels, map[string]any{"email": email})
	}
	waitImport(t, c, "/contacts/v3/import/"+submitImport(t, c, map[string]any{"contacts": rows}))
	waitInsight(t, c, submitInsight(t, c, ordersImport(order("SO1", "bin7@example.com", map[string]any{"id": 1}))))
	first := c.get("/contacts/v3/email/bin7@example.com").expect(t, http.StatusOK).contact(t)
	var r struct{ DeleteID string }
	c.post("/contacts/v3/delete", dels).expect(t, http.StatusAccepted).decode(t, &r)
	waitFor(t, 5*time.Second, func() bool { return e.Stats().BulkDeletesRun == 1 })
	if s := e.Stats(); s.BinnedContacts != n || s.InsightRecords != 1 {
		t.Fatalf("after delete: %+v", s)
	}
	c.post("/v2/accounts/empty-recycle-bin", nil).expect(t, http.StatusAccepted)
	if s := e.Stats(); s.BinnedContacts != 0 || s.Contacts != 0 || s.InsightRecords != 0 {
		t.Fatalf("after emptying the bin: contacts %d binned %d records %d", s.Contacts, s.BinnedContacts, s.InsightRecords)
	}
	again := c.upsert("bin7@example.com", nil).expect(t, http.StatusCreated).contact(t)
	if again.ContactID == first.ContactID {
		t.Fatal("a purged contact came back")
	}
}
