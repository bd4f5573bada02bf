package dotdigital

import (
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

const insightReportJSON = `{"importId":"imp-1","status":"Finished","collectionName":"Orders",
 "summary":{"totalRecords":3,"totalImported":1,"totalRejected":2},
 "failures":[
  {"collectionOwner":{"ownerType":"contact","contactIdentity":{"identifier":"email","value":"Ghost@X.com"}},
   "failureReason":"ContactEmailDoesNotExist","details":["no such contact"],"key":"SO2","json":{"id":"SO2"}},
  {"collectionOwner":{"ownerType":"contact","contactIdentity":{"identifier":"email","value":"jane@x.com"}},
   "failureReason":"JsonContainsNestedArray","details":[{"x":1}],"key":24938}]}`

func TestImportInsight(t *testing.T) {
	f := newFake(t, respond(202, `{"importId":"imp-1"}`))
	c := f.client(t)
	id, err := c.ImportInsight(ctxT(t), InsightImport{CollectionName: "Orders", Type: CollectionTypeOrders, Records: []InsightRecord{
		{Key: "SO1", Email: " Jane@X.com", JSON: order{ID: "SO1", OrderTotal: 1}},
		{Key: "SO/2", Email: "b@x.com", JSON: map[string]any{"id": "SO/2"}},
	}})
	mustNoErr(t, err)
	if id != "imp-1" {
		t.Errorf("id %q", id)
	}
	r := f.last(t)
	body := decodeBody(t, r.Body)
	if r.Method != "PUT" || r.Path != "/insightData/v3/import" || body["collectionName"] != "Orders" ||
		body["collectionScope"] != "contact" || body["collectionType"] != "orders" {
		t.Errorf("request %s %s %v", r.Method, r.Path, body)
	}
	rec := body["records"].([]any)[0].(map[string]any)
	ci := rec["contactIdentity"].(map[string]any)
	if rec["key"] != "SO1" || ci["identifier"] != "email" || ci["value"] != "jane@x.com" || rec["json"].(map[string]any)["id"] != "SO1" {
		t.Errorf("record %v", rec)
	}

	_, err = c.ImportInsight(ctxT(t), InsightImport{CollectionName: "Stock", Scope: "account", Records: []InsightRecord{{Key: "k", JSON: map[string]int{"n": 1}}}})
	mustNoErr(t, err)
	rec = decodeBody(t, f.last(t).Body)["records"].([]any)[0].(map[string]any)
	if _, has := rec["contactIdentity"]; has {
		t.Error("account scope must not send contactIdentity")
	}

	before := f.count()
	for name, imp := range map[string]InsightImport{
		"no records":     {CollectionName: "Orders"},
		"bad email":      {CollectionName: "Orders", Records: []InsightRecord{{Key: "k", Email: "x", JSON: order{}}}},
		"empty key":      {CollectionName: "Orders", Records: []InsightRecord{{Email: "a@x.com", JSON: order{}}}},
		"array json":     {CollectionName: "Orders", Records: []InsightRecord{{Key: "k", Email: "a@x.com", JSON: []int{}}}},
		"bad scope":      {CollectionName: "Orders", Scope: "all", Records: []InsightRecord{{Key: "k", Email: "a@x.com", JSON: order{}}}},
		"bad collection": {CollectionName: "1Orders", Records: []InsightRecord{{Key: "k", Email: "a@x.com", JSON: order{}}}},
	} {
		if _, err := c.ImportInsight(ctxT(t), imp); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if f.count() != before {
		t.Error("invalid imports reached the server")
	}
}

func TestInsightImportStatus(t *testing.T) {
	f := newFake(t, respond(200, insightReportJSON))
	rep, err := f.client(t).InsightImportStatus(ctxT(t), "imp-1")
	mustNoErr(t, err)
	if f.last(t).Path != "/insightData/v3/import/imp-1" {
		t.Errorf("path %s", f.last(t).Path)
	}
	if !rep.Done() || rep.Summary.TotalRejected != 2 || rep.CollectionName != "Orders" || len(rep.Failures) != 2 {
		t.Fatalf("report %+v", rep)
	}
	ghost := rep.Failures[0]
	if ghost.Key != "SO2" || ghost.Email != "ghost@x.com" || ghost.OwnerType != "contact" || !ghost.ContactEmailDoesNotExist() ||
		len(ghost.Details) != 1 || string(ghost.JSON) != `{"id":"SO2"}` {
		t.Errorf("failure %+v", ghost)
	}
	if err := ghost.Err(); !IsContactEmailDoesNotExist(err) || !Retryable(err) {
		t.Errorf("ghost error %v", err)
	}
	nested := rep.Failures[1]
	if nested.Key != "24938" || nested.ContactEmailDoesNotExist() || IsContactEmailDoesNotExist(nested.Err()) || Retryable(nested.Err()) {
		t.Errorf("nested %+v", nested)
	}
	if m := rep.MissingContacts(); len(m) != 1 || m[0].Key != "SO2" {
		t.Errorf("MissingContacts %+v", m)
	}
	nf := newFake(t, respond(404, `{"errorCode":"insightData:importNotFound"}`))
	if _, err := nf.client(t).InsightImportStatus(ctxT(t), "x"); !errors.Is(err, ErrImportNotFound) {
		t.Errorf("got %v", err)
	}
}

func TestWaitInsightImport(t *testing.T) {
	var polls atomic.Int32
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		switch polls.Add(1) {
		case 1:
			writeRaw(w, 200, `{"importId":"i","status":"NotStarted"}`)
		case 2:
			writeRaw(w, 200, `{"importId":"i","status":"Processing"}`)
		default:
			writeRaw(w, 200, `{"importId":"i","status":"Complete","summary":{"totalRecords":1,"totalImported":1}}`)
		}
	})
	rep, err := f.client(t).WaitInsightImport(ctxT(t), "i", 5*time.Millisecond)
	mustNoErr(t, err)
	if !rep.Done() || polls.Load() != 3 {
		t.Errorf("rep %+v polls %d", rep, polls.Load())
	}
	failed := newFake(t, respond(200, `{"importId":"i","status":"Failed"}`))
	if _, err := failed.client(t).WaitInsightImport(ctxT(t), "i", 5*time.Millisecond); !errors.Is(err, ErrImportFailed) {
		t.Errorf("got %v", err)
	}
}
