package ddemu_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/dotdigital/ddemu"
)

func TestPatchCreatesThenUpdates(t *testing.T) {
	_, c := start(t, ddemu.Options{})
	before := time.Now().Add(-time.Millisecond)
	created := c.upsert("Jane@Example.com", map[string]any{"FIRSTNAME": "Jane"}).expect(t, http.StatusCreated).contact(t)
	if created.Identifiers["email"] != "jane@example.com" {
		t.Fatalf("email not lower-cased: %v", created.Identifiers)
	}
	if created.Status != "subscribed" || created.Channel.Email.Status != "subscribed" {
		t.Fatalf("new contact status %q/%q, want subscribed", created.Status, created.Channel.Email.Status)
	}
	if created.Channel.Email.EmailType != "Html" || created.Channel.Email.OptInType != "Unknown" {
		t.Fatalf("response enums not PascalCase: %+v", created.Channel.Email)
	}
	for _, f := range []string{"FIRSTNAME", "LASTNAME", "FULLNAME", "GENDER", "POSTCODE", "LASTSUBSCRIBED"} {
		if _, ok := created.DataFields[f]; !ok {
			t.Fatalf("dataFields lacks %s: %v", f, created.DataFields)
		}
	}
	if created.DataFields["LASTNAME"] != nil {
		t.Fatalf("unset field should be null, got %v", created.DataFields["LASTNAME"])
	}
	cr := parseTS(t, created.Created)
	if cr.Before(before.Truncate(time.Millisecond)) || cr.After(time.Now()) || created.Updated != created.Created {
		t.Fatalf("created %s / updated %s not the write time", created.Created, created.Updated)
	}

	time.Sleep(5 * time.Millisecond)
	upd := c.upsert("JANE@example.COM", map[string]any{"lastname": "Doe"}).expect(t, http.StatusOK).contact(t)
	if upd.ContactID != created.ContactID {
		t.Fatalf("case-insensitive email created a second contact: %s vs %s", upd.ContactID, created.ContactID)
	}
	if upd.DataFields["FIRSTNAME"] != "Jane" || upd.DataFields["LASTNAME"] != "Doe" {
		t.Fatalf("partial update lost data: %v", upd.DataFields)
	}
	if upd.Created != created.Created || !parseTS(t, upd.Updated).After(parseTS(t, created.Updated)) {
		t.Fatalf("timestamps after update: created %s->%s updated %s->%s", created.Created, upd.Created, created.Updated, upd.Updated)
	}
	got := c.get("/contacts/v3/email/jane@EXAMPLE.com").expect(t, http.StatusOK).contact(t)
	if got.Updated != upd.Updated || got.DataFields["LASTNAME"] != "Doe" {
		t.Fatalf("GET disagrees with PATCH: %+v", got)
	}
	if got := c.get("/contacts/v3/contactId/"+created.ContactID.String()).expect(t, http.StatusOK).contact(t); got.Identifiers["email"] != "jane@example.com" {
		t.Fatalf("GET by contactId: %+v", got)
	}
}

func TestPatchNeedsIdentifiersInBodyToCreate(t *testing.T) {
	_, c := start(t, ddemu.Options{})
	c.patch("/contacts/v3/email/new@example.com", map[string]any{"dataFields": map[string]any{"FIRSTNAME": "X"}}).
		v3err(t, http.StatusBadRequest, "contacts:invalidContacts")
	c.get("/contacts/v3/email/new@example.com").expect(t, http.StatusNotFound)
	// contactId can only match, never create
	c.patch("/contacts/v3/contactId/999", map[string]any{"identifiers": map[string]any{"email": "x@example.com"}}).
		v3err(t, http.StatusNotFound, "contacts:contactNotFound")
}

func TestPatchNullClearsAndMergeOptions(t *testing.T) {
	_, c := start(t, ddemu.Options{})
	c.upsert("m@example.com", map[string]any{"FIRSTNAME": "A", "LASTNAME": "B"}).expect(t, http.StatusCreated)

	doc := c.upsert("m@example.com", map[string]any{"FIRSTNAME": nil}).expect(t, http.StatusOK).contact(t)
	if doc.DataFields["FIRSTNAME"] != nil || doc.DataFields["LASTNAME"] != "B" {
		t.Fatalf("null should clear only FIRSTNAME: %v", doc.DataFields)
	}
	body := func(f map[string]any) map[string]any {
		return map[string]any{"identifiers": map[string]any{"email": "m@example.com"}, "dataFields": f}
	}
	// overwrite-if-not-empty: nulls and empties are skipped, values written
	doc = c.patch("/contacts/v3/email/m@example.com?merge-option=overwrite-if-not-empty",
		body(map[string]any{"LASTNAME": nil, "FIRSTNAME": "C"})).expect(t, http.StatusOK).contact(t)
	if doc.DataFields["LASTNAME"] != "B" || doc.DataFields["FIRSTNAME"] != "C" {
		t.Fatalf("overwrite-if-not-empty: %v", doc.DataFields)
	}
	// overwrite-if-empty: only empty fields are filled
	doc = c.patch("/contacts/v3/email/m@example.com?merge-option=overwrite-if-empty",
		body(map[string]any{"LASTNAME": "Z", "GENDER": "f"})).expect(t, http.StatusOK).contact(t)
	if doc.DataFields["LASTNAME"] != "B" || doc.DataFields["GENDER"] != "f" {
		t.Fatalf("overwrite-if-empty: %v", doc.DataFields)
	}
	c.patch("/contacts/v3/email/m@example.com?merge-option=sometimes", body(nil)).
		v3err(t, http.StatusBadRequest, "contacts:invalidMergeOption")
}

func TestPatchIgnoresMatchIdentifierAndValidatesEmail(t *testing.T) {
	_, c := start(t, ddemu.Options{})
	c.patch("/contacts/v3/email/a@example.com", map[string]any{
		"matchIdentifier": "email", "identifiers": map[string]any{"email": "a@example.com"},
	}).expect(t, http.StatusCreated)
	for _, bad := range []string{"not-an-email", "a@b", "a..b@example.com", "a@example.c0m"} {
		c.patch("/contacts/v3/email/"+bad, map[string]any{"identifiers": map[string]any{"email": bad}}).
			v3err(t, http.StatusBadRequest, "contacts:invalidId")
		c.get("/contacts/v3/email/"+bad).v3err(t, http.StatusBadRequest, "contacts:invalidId")
	}
	c.patch("/contacts/v3/email/ok@example.com", map[string]any{"identifiers": map[string]any{"email": "bad@@example.com"}}).
		v3err(t, http.StatusBadRequest, "contacts:invalidId")
	c.get("/contacts/v3/shoeSize/42").v3err(t, http.StatusBadRequest, "contacts:invalidId")
	c.patch("/contacts/v3/email/a@example.com", "{not json").v3err(t, http.StatusBadRequest, "contacts:badJson")
}

func TestGetNotFoundHasDetails(t *testing.T) {
	_, c := start(t, ddemu.Options{})
	m := c.get("/contacts/v3/email/unknown@example.com").v3err(t, http.StatusNotFound, "contacts:contactNotFound")
	details, _ := m["details"].([]any)
	if len(details) != 1 {
		t.Fatalf("details: %v", m)
	}
	d := details[0].(map[string]any)
	if d["item"] != "unknown@example.com" || d["description"] != "Not found using the identifier 'email'" {
		t.Fatalf("detail: %v", d)
	}
}

func TestEmailChange(t *testing.T) {
	_, c := start(t, ddemu.Options{})
	old := c.upsert("old@example.com", map[string]any{"FIRSTNAME": "O"}).expect(t, http.StatusCreated).contact(t)
	c.upsert("taken@example.com", nil).expect(t, http.StatusCreated)

	c.patch("/contacts/v3/email/old@example.com", map[string]any{
		"matchIdentifier": "email", "identifiers": map[string]any{"email": "Taken@Example.com"},
	}).v3err(t, http.StatusConflict, "contacts:idAlreadyExists")

	moved := c.patch("/contacts/v3/email/old@example.com", map[string]any{
		"matchIdentifier": "email", "identifiers": map[string]any{"email": "new@example.com"},
	}).expect(t, http.StatusOK).contact(t)
	if moved.ContactID != old.ContactID || moved.Identifiers["email"] != "new@example.com" || moved.DataFields["FIRSTNAME"] != "O" {
		t.Fatalf("email change: %+v", moved)
	}
	c.get("/contacts/v3/email/old@example.com").expect(t, http.StatusNotFound)
	c.get("/contacts/v3/email/new@example.com").expect(t, http.StatusOK)
}

func TestListsAddedFromBody(t *testing.T) {
	e, c := start(t, ddemu.Options{})
	id, err := e.CreateList("Customers")
	if err != nil {
		t.Fatal(err)
	}
	doc := c.patch("/contacts/v3/email/l@example.com", map[string]any{
		"identifiers": map[string]any{"email": "l@example.com"}, "lists": []int{id},
	}).expect(t, http.StatusCreated).contact(t)
	if len(doc.Lists) != 1 || doc.Lists[0].ID != id || doc.Lists[0].Name != "Customers" || doc.Lists[0].Status != "subscribed" {
		t.Fatalf("lists: %+v", doc.Lists)
	}
	// a later PATCH without lists keeps the membership
	doc = c.upsert("l@example.com", map[string]any{"FIRSTNAME": "L"}).expect(t, http.StatusOK).contact(t)
	if len(doc.Lists) != 1 {
		t.Fatalf("membership lost: %+v", doc.Lists)
	}
	c.patch("/contacts/v3/email/l@example.com", map[string]any{
		"identifiers": map[string]any{"email": "l@example.com"}, "lists": []int{987654},
	}).v3err(t, http.StatusBadRequest, "contacts:invalidContacts")
}

func TestChannelStatusOnlyChangesWhenSent(t *testing.T) {
	e, c := start(t, ddemu.Options{})
	if err := e.Suppress("Sup@Example.com"); err != nil {
		t.Fatal(err)
	}
	if err := e.Unsubscribe("unsub@example.com"); err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"sup@example.com", "unsub@example.com"} {
		doc := c.upsert(email, map[string]any{"FIRSTNAME": "Still"}).expect(t, http.StatusOK).contact(t)
		if doc.DataFields["FIRSTNAME"] != "Still" {
			t.Fatalf("%s: data fields not updated: %v", email, doc.DataFields)
		}
		want := map[string]string{"sup@example.com": "suppressed", "unsub@example.com": "unsubscribed"}[email]
		if doc.Channel.Email.Status != want || doc.Status != want {
			t.Fatalf("%s: upsert changed status to %s/%s", email, doc.Status, doc.Channel.Email.Status)
		}
	}
	if s := e.Stats(); s.ChannelStatusWrites != 0 || s.Resubscribes != 0 {
		t.Fatalf("status writes counted without a status: %+v", s)
	}
	// sending a status is honoured: unsubscribed contacts are resubscribed,
	// suppressed ones cannot be brought back through the API
	status := func(email, st string) contactDoc {
		return c.patch("/contacts/v3/email/"+email, map[string]any{
			"identifiers":       map[string]any{"email": email},
			"channelProperties": map[string]any{"email": map[string]any{"status": st}},
		}).expect(t, http.StatusOK).contact(t)
	}
	if d := status("unsub@example.com", "subscribed"); d.Channel.Email.Status != "subscribed" {
		t.Fatalf("resubscribe: %+v", d.Channel)
	}
	if d := status("sup@example.com", "subscribed"); d.Channel.Email.Status != "suppressed" {
		t.Fatalf("suppressed contact resubscribed: %+v", d.Channel)
	}
	if s := e.Stats(); s.ChannelStatusWrites != 2 || s.Resubscribes != 1 {
		t.Fatalf("counters: writes %d resubscribes %d", s.ChannelStatusWrites, s.Resubscribes)
	}
}

func TestUnknownDataFieldAndTypes(t *testing.T) {
	_, c := start(t, ddemu.Options{})
	c.ensureField("ORDER_COUNT", "Numeric")
	c.ensureField("LAST_ORDER_DATE", "Date")
	c.ensureField("IS_VIP", "Boolean")
	c.upsert("t@example.com", map[string]any{"NOPE": "x"}).v3err(t, http.StatusBadRequest, "contacts:invalidContacts")
	c.get("/contacts/v3/email/t@example.com").expect(t, http.StatusNotFound)

	doc := c.upsert("t@example.com", map[string]any{
		"order_count": 3, "Last_Order_Date": "2024-05-01T10:00:00+02:00", "IS_VIP": true,
	}).expect(t, http.StatusCreated).contact(t)
	if doc.DataFields["ORDER_COUNT"] == nil || doc.DataFields["ORDER_COUNT"].(interface{ String() string }).String() != "3" {
		t.Fatalf("numeric: %v", doc.DataFields["ORDER_COUNT"])
	}
	if doc.DataFields["LAST_ORDER_DATE"] != "2024-05-01T08:00:00.000Z" || doc.DataFields["IS_VIP"] != true {
		t.Fatalf("date/bool: %v", doc.DataFields)
	}
	for field, bad := range map[string]any{"ORDER_COUNT": "three", "LAST_ORDER_DATE": "yesterday", "IS_VIP": "maybe"} {
		m := c.upsert("t@example.com", map[string]any{field: bad}).v3err(t, http.StatusBadRequest, "contacts:invalidContacts")
		if d := m["details"].([]any)[0].(map[string]any); d["item"] != field {
			t.Fatalf("detail item %v, want %s", d["item"], field)
		}
	}
	c.upsert("t@example.com", map[string]any{"ORDER_COUNT": "1234567890123456789"}).v3err(t, http.StatusBadRequest, "contacts:invalidContacts")
	c.upsert("t@example.com", map[string]any{"ORDER_COUNT": "12.5"}).expect(t, http.StatusOK)
}

func TestPutReplaceDeleteAndUndelete(t *testing.T) {
	_, c := start(t, ddemu.Options{})
	orig := c.upsert("r@example.com", map[string]any{"FIRSTNAME": "R", "LASTNAME": "S"}).expect(t, http.StatusCreated).contact(t)
	doc := c.put("/contacts/v3/email/r@example.com", map[string]any{
		"identifiers": map[string]any{"email": "r@example.com"}, "dataFields": map[string]any{"LASTNAME": "T"},
	}).expect(t, http.StatusOK).contact(t)
	if doc.DataFields["FIRSTNAME"] != nil || doc.DataFields["LASTNAME"] != "T" {
		t.Fatalf("PUT should replace data fields: %v", doc.DataFields)
	}
	c.put("/contacts/v3/email/nobody@example.com", map[string]any{"identifiers": map[string]any{"email": "nobody@example.com"}}).
		v3err(t, http.StatusNotFound, "contacts:contactNotFound")

	del := c.delete("/contacts/v3/email/r@example.com", nil).expect(t, http.StatusOK).obj(t)
	if del["contactId"].(interface{ String() string }).String() != orig.ContactID.String() {
		t.Fatalf("delete body: %v", del)
	}
	c.get("/contacts/v3/email/r@example.com").v3err(t, http.StatusNotFound, "contacts:contactNotFound")
	c.delete("/contacts/v3/email/r@example.com", nil).v3err(t, http.StatusNotFound, "contacts:contactNotFound")

	back := c.upsert("r@example.com", map[string]any{"FIRSTNAME": "Back"}).expect(t, http.StatusOK).contact(t)
	if back.ContactID != orig.ContactID || back.DataFields["LASTNAME"] != "T" {
		t.Fatalf("PATCH should undelete the binned contact: %+v", back)
	}
}

func TestPostCreateOnly(t *testing.T) {
	_, c := start(t, ddemu.Options{})
	body := map[string]any{"identifiers": map[string]any{"email": "p@example.com"}, "dataFields": map[string]any{"FIRSTNAME": "P"}}
	doc := c.post("/contacts/v3", body).expect(t, http.StatusCreated).contact(t)
	if doc.DataFields["FIRSTNAME"] != "P" {
		t.Fatalf("POST: %+v", doc)
	}
	c.post("/contacts/v3", body).v3err(t, http.StatusConflict, "contacts:idAlreadyExists")
	c.post("/contacts/v3", map[string]any{"dataFields": map[string]any{}}).v3err(t, http.StatusBadRequest, "contacts:invalidContacts")
}

func TestMobileIdentifier(t *testing.T) {
	_, c := start(t, ddemu.Options{})
	doc := c.patch("/contacts/v3/mobileNumber/447123123123", map[string]any{
		"identifiers": map[string]any{"mobileNumber": "+447123123123"},
	}).expect(t, http.StatusCreated).contact(t)
	if doc.Identifiers["mobileNumber"] != "447123123123" || doc.Identifiers["email"] != nil {
		t.Fatalf("identifiers: %v", doc.Identifiers)
	}
	c.get("/contacts/v3/mobileNumber/447123123123").expect(t, http.StatusOK)
	c.get("/contacts/v3/mobileNumber/12ab").v3err(t, http.StatusBadRequest, "contacts:invalidId")
}
