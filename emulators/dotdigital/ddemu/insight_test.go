package ddemu_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/dotdigital/ddemu"
)

type insightStatus struct {
	ImportID       string `json:"importId"`
	Status         string `json:"status"`
	CollectionName string `json:"collectionName"`
	Summary        *struct {
		TotalRecords, TotalImported, TotalRejected int
	} `json:"summary"`
	Failures []struct {
		CollectionOwner struct {
			OwnerType       string         `json:"ownerType"`
			ContactIdentity map[string]any `json:"contactIdentity"`
		} `json:"collectionOwner"`
		FailureReason string          `json:"failureReason"`
		Details       []string        `json:"details"`
		Key           any             `json:"key"`
		JSON          json.RawMessage `json:"json"`
	} `json:"failures"`
}

func order(key, email string, json any) map[string]any {
	return map[string]any{"key": key, "contactIdentity": map[string]any{"identifier": "email", "value": email}, "json": json}
}

func ordersImport(records ...any) map[string]any {
	return map[string]any{"collectionName": "Orders", "collectionScope": "contact", "collectionType": "orders", "records": records}
}

func submitInsight(t *testing.T, c *client, body any) string {
	t.Helper()
	var r struct {
		ImportID string `json:"importId"`
	}
	c.put("/insightData/v3/import", body).expect(t, http.StatusAccepted).decode(t, &r)
	return r.ImportID
}

func waitInsight(t *testing.T, c *client, id string) insightStatus {
	t.Helper()
	var st insightStatus
	waitFor(t, 5*time.Second, func() bool {
		st = insightStatus{}
		c.get("/insightData/v3/import/"+id).expect(t, http.StatusOK).decode(t, &st)
		return st.Status != "NotStarted"
	})
	return st
}

func TestInsightImportRules(t *testing.T) {
	e, c := start(t, ddemu.Options{ImportDelay: 100 * time.Millisecond})
	c.upsert("jane@example.com", nil).expect(t, http.StatusCreated)
	c.upsert("joe@example.com", nil).expect(t, http.StatusCreated)
	// the collection does not exist before the import
	c.put("/insightData/v3/contacts/email/jane@example.com/Orders/SO1", map[string]any{"id": "SO1"}).
		v3err(t, http.StatusNotFound, "insightData:collectionNotFound")

	raw := `{"id":"SO1","orderTotal":99.5,"currency":"EUR","products":[{"sku":"A","qty":1,"price":99.5}],"note":"<b>&</b>"}`
	// the body is built by hand: json.Marshal would HTML-escape the raw record
	id := submitInsight(t, c, `{"collectionName":"Orders","collectionScope":"contact","collectionType":"orders","records":[`+
		`{"key":"SO1","contactIdentity":{"identifier":"email","value":"Jane@Example.com"},"json":`+raw+`}]}`)
	waitInsight(t, c, id)
	id = submitInsight(t, c, ordersImport(
		order("SO2", "nobody@example.com", map[string]any{"id": "SO2"}),
		order("SO3", "jane@example.com", map[string]any{"matrix": []any{[]any{1, 2}}}),
		order("SO6", "jane@example.com", map[string]any{"id": "first"}),
		order("SO6", "jane@example.com", map[string]any{"id": "again"}),
		order("SO4", "joe@example.com", map[string]any{"id": "SO4"}),
		map[string]any{"key": 24938, "contactIdentity": map[string]any{"identifier": "email", "value": "joe@example.com"}, "json": map[string]any{"n": 1}},
		order("SO5", "jane@example.com", map[string]any{"bad key!": 1}),
	))
	var first insightStatus
	c.get("/insightData/v3/import/"+id).expect(t, http.StatusOK).decode(t, &first)
	if first.Status != "NotStarted" || first.Summary != nil {
		t.Fatalf("fresh import: %+v", first)
	}
	st := waitInsight(t, c, id)
	if st.Status != "Finished" || st.CollectionName != "Orders" || st.Summary.TotalRecords != 7 || st.Summary.TotalImported != 3 || st.Summary.TotalRejected != 4 {
		t.Fatalf("status: %+v summary %+v", st, st.Summary)
	}
	reasons := map[string]string{}
	for _, f := range st.Failures {
		reasons[fmt.Sprint(f.Key)] = f.FailureReason
		if f.CollectionOwner.OwnerType != "contact" || f.CollectionOwner.ContactIdentity["identifier"] != "email" {
			t.Fatalf("failure owner: %+v", f.CollectionOwner)
		}
	}
	want := map[string]string{"SO2": "ContactEmailDoesNotExist", "SO3": "JsonContainsNestedArray", "SO6": "DuplicateKey", "SO5": "JsonKeyInvalidCharacters"}
	for k, v := range want {
		if reasons[k] != v {
			t.Fatalf("failure of %s = %q, want %q (all %v)", k, reasons[k], v, reasons)
		}
	}

	// stored verbatim, readable per contact
	var rec struct {
		Key            string          `json:"key"`
		JSON           json.RawMessage `json:"json"`
		Created        string          `json:"created"`
		Updated        string          `json:"updated"`
		OwnerContactID int64           `json:"ownerContactId"`
	}
	c.get("/insightData/v3/contacts/email/jane@example.com/Orders/SO1").expect(t, http.StatusOK).decode(t, &rec)
	if string(rec.JSON) != raw || rec.Key != "SO1" || rec.OwnerContactID == 0 || rec.Created == "" {
		t.Fatalf("record: %+v json %s", rec, rec.JSON)
	}
	c.get("/insightData/v3/contacts/email/joe@example.com/Orders/SO1").v3err(t, http.StatusNotFound, "insightData:recordNotFound")
	c.get("/insightData/v3/contacts/email/joe@example.com/Orders/24938").expect(t, http.StatusOK)

	// upsert by key; a key owned by another contact is rejected
	id = submitInsight(t, c, ordersImport(
		order("SO1", "jane@example.com", map[string]any{"id": "SO1", "status": "cancelled"}),
		order("SO4", "jane@example.com", map[string]any{"id": "SO4"}),
	))
	st = waitInsight(t, c, id)
	if st.Summary.TotalImported != 1 || len(st.Failures) != 1 || st.Failures[0].FailureReason != "DuplicateKey" || fmt.Sprint(st.Failures[0].Key) != "SO4" {
		t.Fatalf("second import: %+v", st)
	}
	c.get("/insightData/v3/contacts/email/jane@example.com/Orders/SO1").expect(t, http.StatusOK).decode(t, &rec)
	if string(rec.JSON) != `{"id":"SO1","status":"cancelled"}` || rec.Updated == rec.Created {
		t.Fatalf("upserted record: %s created %s updated %s", rec.JSON, rec.Created, rec.Updated)
	}
	if s := e.Stats(); s.InsightImportsRun != 3 || s.InsightRecords != 4 {
		t.Fatalf("stats: imports %d records %d", s.InsightImportsRun, s.InsightRecords)
	}
	var cols []struct {
		CollectionName, CollectionType, CollectionScope string
		RecordCount                                     int
	}
	c.get("/insightData/v3/collections").expect(t, http.StatusOK).decode(t, &cols)
	if len(cols) != 1 || cols[0].CollectionName != "Orders" || cols[0].CollectionType != "orders" || cols[0].CollectionScope != "contact" || cols[0].RecordCount != 4 {
		t.Fatalf("collections: %+v", cols)
	}
}

func TestInsightImportValidationAndConcurrency(t *testing.T) {
	e, c := start(t, ddemu.Options{ImportDelay: 400 * time.Millisecond})
	c.put("/insightData/v3/import", `{"records":`).v3err(t, http.StatusBadRequest, "insightData:badJson")
	c.put("/insightData/v3/import", map[string]any{"collectionName": "my collection", "collectionScope": "contact", "collectionType": "orders",
		"records": []any{order("1", "a@example.com", map[string]any{})}}).v3err(t, http.StatusBadRequest, "insightData:invalidId")
	c.put("/insightData/v3/import", map[string]any{"collectionName": "Orders", "collectionScope": "world", "collectionType": "orders",
		"records": []any{order("1", "a@example.com", map[string]any{})}}).v3err(t, http.StatusBadRequest, "insightData:invalidCollectionScope")
	c.put("/insightData/v3/import", ordersImport()).v3err(t, http.StatusBadRequest, "insightData:badJson")
	var first string
	for i := range 5 {
		id := submitInsight(t, c, ordersImport(order(fmt.Sprint(i), "a@example.com", map[string]any{})))
		if i == 0 {
			first = id
		}
	}
	c.put("/insightData/v3/import", ordersImport(order("x", "a@example.com", map[string]any{}))).
		v3err(t, http.StatusTooManyRequests, "insightData:tooManyActiveImports")
	if e.Stats().ImportsRejected != 1 {
		t.Fatal("rejection not counted")
	}
	waitInsight(t, c, first)
	submitInsight(t, c, ordersImport(order("x", "a@example.com", map[string]any{})))
	c.get("/insightData/v3/import/d7de900d-d337-43f6-b1e1-c8ec73e1a434").v3err(t, http.StatusNotFound, "insightData:importNotFound")
}

func TestInsightSingleRecordRoutes(t *testing.T) {
	_, c := start(t, ddemu.Options{})
	c.upsert("jane@example.com", nil).expect(t, http.StatusCreated)
	c.upsert("joe@example.com", nil).expect(t, http.StatusCreated)
	c.post("/insightData/v3/collections/Orders?collectionScope=contact&collectionType=orders", nil).expect(t, http.StatusCreated)
	c.post("/insightData/v3/collections/Orders?collectionScope=contact&collectionType=orders", nil).expect(t, http.StatusOK)
	c.post("/insightData/v3/collections/Bad?collectionScope=contact&collectionType=nonsense", nil).v3err(t, http.StatusBadRequest, "insightData:invalidCollectionType")

	path := "/insightData/v3/contacts/email/jane@example.com/Orders/"
	body := `{"id":"SO9","orderTotal":10,"products":[{"sku":"A","qty":1}]}`
	r := c.put(path+"SO9", body).expect(t, http.StatusCreated)
	if len(r.body) != 0 {
		t.Fatalf("201 should have no body: %s", r.body)
	}
	c.put(path+"SO9", `{"id":"SO9","orderTotal":0}`).expect(t, http.StatusNoContent)
	c.put(path+"SO8", `[1,2]`).v3err(t, http.StatusBadRequest, "insightData:badJson")
	c.put(path+"SO8", `{"a":[[1]]}`).v3err(t, http.StatusBadRequest, "insightData:badJson")
	c.put("/insightData/v3/contacts/email/nobody@example.com/Orders/SO9", body).v3err(t, http.StatusNotFound, "insightData:contactNotFound")
	c.put("/insightData/v3/contacts/email/jane@example.com/Missing/SO9", body).v3err(t, http.StatusNotFound, "insightData:collectionNotFound")
	c.put("/insightData/v3/contacts/email/joe@example.com/Orders/SO9", body).v3err(t, http.StatusConflict, "insightData:idAlreadyExists")

	var rec map[string]any
	c.get(path+"SO9").expect(t, http.StatusOK).decode(t, &rec)
	if fmt.Sprint(rec["json"]) != "map[id:SO9 orderTotal:0]" {
		t.Fatalf("record: %v", rec)
	}
	for i := range 3 {
		c.put(fmt.Sprintf("%sK%d", path, i), `{"n":1}`).expect(t, http.StatusCreated)
	}
	var page struct {
		Links struct {
			Next *struct{ Marker string } `json:"next"`
		} `json:"_links"`
		Items []struct{ Key string } `json:"_items"`
	}
	c.get("/insightData/v3/contacts/email/jane@example.com/Orders?limit=3").expect(t, http.StatusOK).decode(t, &page)
	if len(page.Items) != 3 || page.Items[0].Key != "SO9" || page.Links.Next == nil {
		t.Fatalf("contact records page: %+v", page)
	}
	marker := page.Links.Next.Marker
	page.Links.Next, page.Items = nil, nil
	c.get("/insightData/v3/contacts/email/jane@example.com/Orders?marker="+url.QueryEscape(marker)).expect(t, http.StatusOK).decode(t, &page)
	if len(page.Items) != 1 || page.Items[0].Key != "K2" || page.Links.Next != nil {
		t.Fatalf("second page: %+v %+v", page, page.Links.Next)
	}
	var del struct {
		Summary  struct{ TotalRecords, TotalDeleted, TotalNotFound int }
		NotFound []string
	}
	c.delete(path+"deleteRecords", map[string]any{"keys": []string{"K0", "K1", "nope"}}).expect(t, http.StatusOK).decode(t, &del)
	if del.Summary.TotalRecords != 3 || del.Summary.TotalDeleted != 2 || del.Summary.TotalNotFound != 1 || del.NotFound[0] != "nope" {
		t.Fatalf("deleteRecords: %+v", del)
	}
	c.delete(path+"deleteRecords", map[string]any{"keys": []string{}}).v3err(t, http.StatusBadRequest, "insightData:noRecordsSpecified")
	c.delete(path+"K2", nil).expect(t, http.StatusNoContent)
	c.delete(path+"K2", nil).v3err(t, http.StatusNotFound, "insightData:recordNotFound")
	c.get(path+"K2").v3err(t, http.StatusNotFound, "insightData:recordNotFound")

	var mine []struct {
		CollectionName string
		RecordCount    int
	}
	c.get("/insightData/v3/contacts/email/jane@example.com").expect(t, http.StatusOK).decode(t, &mine)
	if len(mine) != 1 || mine[0].RecordCount != 1 {
		t.Fatalf("contact collections: %+v", mine)
	}

	// account scope
	c.post("/insightData/v3/collections/Catalog?collectionScope=account&collectionType=catalog", nil).expect(t, http.StatusCreated)
	c.put("/insightData/v3/account/Catalog/P1", `{"sku":"P1"}`).expect(t, http.StatusCreated)
	c.get("/insightData/v3/account/Catalog/P1").expect(t, http.StatusOK)
	c.get("/insightData/v3/account/Catalog").expect(t, http.StatusOK)
	c.delete("/insightData/v3/accounts/Catalog/deleteRecords", map[string]any{"keys": []string{"P1"}}).expect(t, http.StatusOK)
	c.get("/insightData/v3/account/Catalog/P1").v3err(t, http.StatusNotFound, "insightData:recordNotFound")
	var accountCols []any
	c.get("/insightData/v3/account").expect(t, http.StatusOK).decode(t, &accountCols)
	if len(accountCols) != 1 {
		t.Fatalf("account collections: %v", accountCols)
	}

	// empty and delete collections through async jobs
	var job struct{ JobID string }
	c.delete("/insightData/v3/collections/Orders/empty", nil).expect(t, http.StatusAccepted).decode(t, &job)
	waitFor(t, 5*time.Second, func() bool {
		var st struct{ Status string }
		c.get("/insightData/v3/async/"+job.JobID).expect(t, http.StatusOK).decode(t, &st)
		return st.Status == "Finished"
	})
	c.get(path+"SO9").v3err(t, http.StatusNotFound, "insightData:recordNotFound")
	c.delete("/insightData/v3/collections/Catalog", nil).expect(t, http.StatusAccepted).decode(t, &job)
	waitFor(t, 5*time.Second, func() bool {
		return c.get("/insightData/v3/account/Catalog").status == http.StatusNotFound
	})
}

func TestInsightCollectionListing(t *testing.T) {
	_, c := start(t, ddemu.Options{ImportDelay: time.Millisecond})
	var recs []any
	for i := range 30 {
		email := fmt.Sprintf("c%d@example.com", i%3)
		if i < 3 {
			c.upsert(email, nil).expect(t, http.StatusCreated)
		}
		recs = append(recs, order(fmt.Sprintf("SO%02d", i), email, map[string]any{"n": i}))
	}
	waitInsight(t, c, submitInsight(t, c, ordersImport(recs...)))
	time.Sleep(10 * time.Millisecond)
	cut := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	time.Sleep(10 * time.Millisecond)
	c.put("/insightData/v3/contacts/email/c1@example.com/Orders/SO07", `{"n":"changed"}`).expect(t, http.StatusNoContent)

	keys := func(q string) []string {
		var out []string
		path := "/insightData/v3/contacts/Orders?" + q
		for {
			var p struct {
				Links struct {
					Next *struct{ Link string } `json:"next"`
				} `json:"_links"`
				Items []struct {
					Key            string
					OwnerContactID int64 `json:"ownerContactId"`
				} `json:"_items"`
			}
			c.get(path).expect(t, http.StatusOK).decode(t, &p)
			for _, it := range p.Items {
				if it.OwnerContactID == 0 {
					t.Fatalf("record without owner: %+v", it)
				}
				out = append(out, it.Key)
			}
			if p.Links.Next == nil {
				return out
			}
			u, _ := url.Parse(p.Links.Next.Link)
			path = u.RequestURI()
		}
	}
	all := keys("limit=7")
	if len(all) != 30 || all[0] != "SO00" || all[29] != "SO29" {
		t.Fatalf("all records: %v", all)
	}
	if mod := keys("~modified=gte::" + cut); len(mod) != 1 || mod[0] != "SO07" {
		t.Fatalf("~modified: %v", mod)
	}
	c.get("/insightData/v3/contacts/Orders?limit=5001").v3err(t, http.StatusBadRequest, "insightData:invalidFilter")
	c.get("/insightData/v3/contacts/Nope").v3err(t, http.StatusNotFound, "insightData:collectionNotFound")
}
