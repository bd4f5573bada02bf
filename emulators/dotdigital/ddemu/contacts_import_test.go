package ddemu_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/dotdigital/ddemu"
)

type importStatus struct {
	ImportID string `json:"importId"`
	Status   string `json:"status"`
	Summary  *struct {
		NewContacts          int `json:"newContacts"`
		UpdatedContacts      int `json:"updatedContacts"`
		GloballySuppressed   int `json:"globallySuppressed"`
		InvalidEntries       int `json:"invalidEntries"`
		DuplicateIdentifiers int `json:"duplicateIdentifiers"`
	} `json:"summary"`
	Created []struct {
		ContactID   int64             `json:"contactId"`
		Identifiers map[string]string `json:"identifiers"`
	} `json:"created"`
	Updated []struct {
		ContactID   int64             `json:"contactId"`
		Identifiers map[string]string `json:"identifiers"`
	} `json:"updated"`
	Failures []struct {
		MatchIdentifier string         `json:"matchIdentifier"`
		Identifiers     map[string]any `json:"identifiers"`
		Failures        []struct {
			FailureCode string `json:"failureCode"`
			Description string `json:"description"`
		} `json:"failures"`
	} `json:"failures"`
}

func submitImport(t *testing.T, c *client, body any) string {
	t.Helper()
	var r struct {
		ImportID string `json:"importId"`
	}
	c.put("/contacts/v3/import", body).expect(t, http.StatusAccepted).decode(t, &r)
	if r.ImportID == "" {
		t.Fatal("no importId")
	}
	return r.ImportID
}

func waitImport(t testing.TB, c *client, path string) importStatus {
	t.Helper()
	var st importStatus
	waitFor(t, 5*time.Second, func() bool {
		st = importStatus{}
		c.get(path).expect(t, http.StatusOK).decode(t, &st)
		return st.Status != "NotFinished"
	})
	return st
}

func row(email string, fields map[string]any) map[string]any {
	r := map[string]any{"matchIdentifier": "email", "identifiers": map[string]any{"email": email}}
	if fields != nil {
		r["dataFields"] = fields
	}
	return r
}

func TestContactImportLifecycle(t *testing.T) {
	e, c := start(t, ddemu.Options{ImportDelay: 150 * time.Millisecond})
	list, _ := e.CreateList("Customers")
	c.upsert("existing@example.com", map[string]any{"FIRSTNAME": "Old", "LASTNAME": "Keep"}).expect(t, http.StatusCreated)
	if err := e.Suppress("sup@example.com"); err != nil {
		t.Fatal(err)
	}
	submitted := time.Now()
	id := submitImport(t, c, map[string]any{
		"mergeOption": "overwriteIfNotEmpty",
		"contacts": []any{
			map[string]any{"matchIdentifier": "email", "identifiers": map[string]any{"email": "New1@Example.com"},
				"dataFields": map[string]any{"FIRSTNAME": "N1"}, "lists": []int{list},
				"channelProperties": map[string]any{"email": map[string]any{"emailType": "html", "optInType": "single"}}},
			row("existing@example.com", map[string]any{"FIRSTNAME": "New", "LASTNAME": nil}),
			row("bob@example@com", nil),
			row("dup@example.com", map[string]any{"FIRSTNAME": "first"}),
			row("DUP@example.com", map[string]any{"FIRSTNAME": "second"}),
			row("sup@example.com", map[string]any{"FIRSTNAME": "S"}),
			row("nofield@example.com", map[string]any{"NOT_A_FIELD": 1}),
			map[string]any{"matchIdentifier": "contactId", "identifiers": map[string]any{"contactId": 999999, "email": "x@example.com"}},
		},
	})
	var first importStatus
	c.get("/contacts/v3/import/"+id).expect(t, http.StatusOK).decode(t, &first)
	if first.Status != "NotFinished" || first.Summary != nil {
		t.Fatalf("fresh import: %+v", first)
	}
	c.get("/contacts/v3/email/new1@example.com").expect(t, http.StatusNotFound)

	st := waitImport(t, c, "/contacts/v3/import/"+id)
	if time.Since(submitted) < 150*time.Millisecond {
		t.Fatal("import finished before ImportDelay")
	}
	if st.Status != "Finished" || st.Summary == nil {
		t.Fatalf("status: %+v", st)
	}
	s := st.Summary
	if s.NewContacts != 2 || s.UpdatedContacts != 2 || s.InvalidEntries != 3 || s.DuplicateIdentifiers != 1 {
		t.Fatalf("summary: %+v", *s)
	}
	codes := map[string]string{}
	for _, f := range st.Failures {
		codes[fmt.Sprint(f.Identifiers["email"])] = f.Failures[0].FailureCode
	}
	want := map[string]string{"bob@example@com": "invalidEmail", "DUP@example.com": "duplicateIdentifier",
		"nofield@example.com": "invalidContact", "x@example.com": "contactNotFound"}
	for email, code := range want {
		if codes[email] != code {
			t.Fatalf("failure for %s = %q, want %q (all: %v)", email, codes[email], code, codes)
		}
	}
	if len(st.Created) != 2 || st.Created[0].Identifiers["email"] != "new1@example.com" || st.Created[0].ContactID == 0 {
		t.Fatalf("created: %+v", st.Created)
	}

	n1 := c.get("/contacts/v3/email/new1@example.com").expect(t, http.StatusOK).contact(t)
	if n1.DataFields["FIRSTNAME"] != "N1" || len(n1.Lists) != 1 || n1.Channel.Email.OptInType != "Single" {
		t.Fatalf("imported contact: %+v", n1)
	}
	if parseTS(t, n1.Created).Before(submitted.Add(150 * time.Millisecond).Truncate(time.Millisecond)) {
		t.Fatalf("created %s is before the import was processed", n1.Created)
	}
	ex := c.get("/contacts/v3/email/existing@example.com").expect(t, http.StatusOK).contact(t)
	if ex.DataFields["FIRSTNAME"] != "New" || ex.DataFields["LASTNAME"] != "Keep" {
		t.Fatalf("overwriteIfNotEmpty: %v", ex.DataFields)
	}
	dup := c.get("/contacts/v3/email/dup@example.com").expect(t, http.StatusOK).contact(t)
	if dup.DataFields["FIRSTNAME"] != "first" {
		t.Fatalf("duplicate row should not overwrite the first: %v", dup.DataFields)
	}
	sup := c.get("/contacts/v3/email/sup@example.com").expect(t, http.StatusOK).contact(t)
	if sup.DataFields["FIRSTNAME"] != "S" || sup.Channel.Email.Status != "suppressed" {
		t.Fatalf("suppressed contact in import: %+v", sup)
	}
	if got := e.Stats().ContactImportsRun; got != 1 {
		t.Fatalf("ContactImportsRun = %d", got)
	}
	c.get("/contacts/v3/import/not-a-guid").v3err(t, http.StatusBadRequest, "contacts:invalidId")
	c.get("/contacts/v3/import/d7de900d-d337-43f6-b1e1-c8ec73e1a434").v3err(t, http.StatusNotFound, "contacts:importNotFound")
}

func TestImportSkipsSuppressedKnob(t *testing.T) {
	e, c := start(t, ddemu.Options{ImportSkipsSuppressed: true})
	_ = e.Suppress("sup@example.com")
	id := submitImport(t, c, map[string]any{"contacts": []any{row("sup@example.com", map[string]any{"FIRSTNAME": "S"})}})
	st := waitImport(t, c, "/contacts/v3/import/"+id)
	if st.Summary.GloballySuppressed != 1 || len(st.Failures) != 1 || st.Failures[0].Failures[0].FailureCode != "globallySuppressed" {
		t.Fatalf("report: %+v", st)
	}
	if doc := c.get("/contacts/v3/email/sup@example.com").contact(t); doc.DataFields["FIRSTNAME"] != nil {
		t.Fatalf("suppressed contact was updated: %v", doc.DataFields)
	}
}

func TestImportValidationAndActiveLimit(t *testing.T) {
	e, c := start(t, ddemu.Options{ImportDelay: 500 * time.Millisecond})
	c.put("/contacts/v3/import", `{"contacts":[`).v3err(t, http.StatusBadRequest, "contacts:badJson")
	c.put("/contacts/v3/import", map[string]any{"contacts": []any{}}).v3err(t, http.StatusBadRequest, "contacts:badJson")
	c.put("/contacts/v3/import", map[string]any{"mergeOption": "sideways", "contacts": []any{row("a@example.com", nil)}}).
		v3err(t, http.StatusBadRequest, "contacts:badJson")
	var first string
	for i := range 25 {
		id := submitImport(t, c, map[string]any{"contacts": []any{row(fmt.Sprintf("a%d@example.com", i), nil)}})
		if i == 0 {
			first = id
		}
	}
	c.put("/contacts/v3/import", map[string]any{"contacts": []any{row("late@example.com", nil)}}).
		v3err(t, http.StatusTooManyRequests, "contacts:tooManyActiveImports")
	if s := e.Stats(); s.ImportsRejected != 1 || s.Status429 != 1 || s.Throttled != 0 {
		t.Fatalf("stats: rejected %d, 429s %d, throttled %d", s.ImportsRejected, s.Status429, s.Throttled)
	}
	// once an import finishes there is room again
	waitImport(t, c, "/contacts/v3/import/"+first)
	submitImport(t, c, map[string]any{"contacts": []any{row("late@example.com", nil)}})
}

func TestImportsRunInOrder(t *testing.T) {
	_, c := start(t, ddemu.Options{ImportDelay: 30 * time.Millisecond})
	var ids []string
	for i := range 5 {
		ids = append(ids, submitImport(t, c, map[string]any{"contacts": []any{row("same@example.com", map[string]any{"FIRSTNAME": fmt.Sprint(i)})}}))
	}
	for _, id := range ids {
		waitImport(t, c, "/contacts/v3/import/"+id)
	}
	if doc := c.get("/contacts/v3/email/same@example.com").contact(t); doc.DataFields["FIRSTNAME"] != "4" {
		t.Fatalf("last import should win, got %v", doc.DataFields["FIRSTNAME"])
	}
}

func TestBulkDelete(t *testing.T) {
	e, c := start(t, ddemu.Options{})
	a := c.upsert("a@example.com", nil).expect(t, http.StatusCreated).contact(t)
	c.upsert("b@example.com", nil).expect(t, http.StatusCreated)
	c.post("/contacts/v3/delete", []any{}).v3err(t, http.StatusBadRequest, "contacts:noContactsSpecified")
	var r struct {
		DeleteID string `json:"deleteId"`
	}
	c.post("/contacts/v3/delete", []any{
		map[string]any{"contactId": a.ContactID}, map[string]any{"email": "B@example.com"},
		map[string]any{"email": "ghost@example.com"}, map[string]any{"email": "not-an-email"},
	}).expect(t, http.StatusAccepted).decode(t, &r)
	var st struct {
		Status  string `json:"status"`
		Summary struct {
			RequestedContacts, DeletedContacts, UnknownContacts, InvalidEntries int
		} `json:"summary"`
		Deleted  []map[string]any `json:"deleted"`
		Failures []map[string]any `json:"failures"`
	}
	waitFor(t, 5*time.Second, func() bool {
		c.get("/contacts/v3/delete/"+r.DeleteID).expect(t, http.StatusOK).decode(t, &st)
		return st.Status == "Finished"
	})
	if st.Summary.RequestedContacts != 4 || st.Summary.DeletedContacts != 2 || st.Summary.UnknownContacts != 1 || st.Summary.InvalidEntries != 1 {
		t.Fatalf("delete summary: %+v", st.Summary)
	}
	c.get("/contacts/v3/email/a@example.com").expect(t, http.StatusNotFound)
	c.get("/contacts/v3/email/b@example.com").expect(t, http.StatusNotFound)
	if s := e.Stats(); s.Contacts != 0 || s.BinnedContacts != 2 || s.BulkDeletesRun != 1 {
		t.Fatalf("stats: %+v", s)
	}
	c.get("/contacts/v3/delete/x").v3err(t, http.StatusBadRequest, "contacts:invalidDeleteId")
}
