package dotdigital

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

type order struct {
	ID         string  `json:"id"`
	OrderTotal float64 `json:"orderTotal"`
}

func TestPutOrderRecord(t *testing.T) {
	var mu sync.Mutex
	stored := map[string]bool{}
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case strings.Contains(r.URL.Path, "/Missing/"):
			writeRaw(w, 404, `{"errorCode":"insightData:collectionNotFound","description":"Collection not found"}`)
		case strings.Contains(r.URL.Path, "/ghost@example.com/"):
			writeRaw(w, 404, `{"errorCode":"insightData:contactNotFound","description":"Contact not found"}`)
		case stored[r.URL.Path]:
			w.WriteHeader(204)
		default:
			stored[r.URL.Path] = true
			w.WriteHeader(201)
		}
	})
	c := f.client(t)
	created, err := c.PutOrderRecord(ctxT(t), "Orders", "Jane@Example.com", "SO 42", order{ID: "SO 42", OrderTotal: 99.5})
	mustNoErr(t, err)
	if !created {
		t.Error("first put must report created (201)")
	}
	r := f.last(t)
	if r.Method != "PUT" || r.RawPath != "/insightData/v3/contacts/email/jane@example.com/Orders/SO%2042" ||
		string(r.Body) != `{"id":"SO 42","orderTotal":99.5}` || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("request %s %s %s", r.Method, r.RawPath, r.Body)
	}
	created, err = c.PutOrderRecord(ctxT(t), "Orders", "jane@example.com", "SO 42", json.RawMessage(`{"id":"SO 42"}`))
	mustNoErr(t, err)
	if created {
		t.Error("second put must report replaced (204)")
	}

	_, err = c.PutOrderRecord(ctxT(t), "Missing", "jane@example.com", "k", order{})
	if !IsCollectionNotFound(err) || IsContactNotFound(err) || Retryable(err) {
		t.Errorf("collection not found: %v", err)
	}
	_, err = c.PutOrderRecord(ctxT(t), "Orders", "ghost@example.com", "k", order{})
	if !IsContactNotFound(err) || IsCollectionNotFound(err) || Retryable(err) {
		t.Errorf("contact not found: %v", err)
	}
	assertNoSecrets(t, err, "ghost@example.com")

	before := f.count()
	for name, call := range map[string]func() error{
		"array record": func() error {
			_, err := c.PutOrderRecord(ctxT(t), "Orders", "a@example.com", "k", []int{1})
			return err
		},
		"string record": func() error { _, err := c.PutOrderRecord(ctxT(t), "Orders", "a@example.com", "k", "x"); return err },
		"nil record":    func() error { _, err := c.PutOrderRecord(ctxT(t), "Orders", "a@example.com", "k", nil); return err },
		"slash in key": func() error {
			_, err := c.PutOrderRecord(ctxT(t), "Orders", "a@example.com", "SO/1", order{})
			return err
		},
		"empty key": func() error { _, err := c.PutOrderRecord(ctxT(t), "Orders", "a@example.com", "", order{}); return err },
		"long key": func() error {
			_, err := c.PutOrderRecord(ctxT(t), "Orders", "a@example.com", strings.Repeat("k", 101), order{})
			return err
		},
		"bad collection": func() error {
			_, err := c.PutOrderRecord(ctxT(t), "Or-ders", "a@example.com", "k", order{})
			return err
		},
		"bad email": func() error { _, err := c.PutOrderRecord(ctxT(t), "Orders", "nobody", "k", order{}); return err },
		"unencodable": func() error {
			_, err := c.PutOrderRecord(ctxT(t), "Orders", "a@example.com", "k", map[string]any{"f": func() {}})
			return err
		},
	} {
		if err := call(); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if f.count() != before {
		t.Error("invalid records reached the server")
	}
}

func TestGetDeleteAndListContactRecords(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == "GET" && strings.HasSuffix(r.URL.Path, "/Orders/SO1"):
			writeRaw(w, 200, `{"key":"SO1","json":{"id":"SO1","orderTotal":10},"created":"2024-01-01T00:00:00Z","updated":"2024-01-02T00:00:00","ownerContactId":12}`)
		case r.Method == "GET" && strings.HasSuffix(r.URL.Path, "/Orders/SO2"):
			writeRaw(w, 404, `{"errorCode":"insightData:recordNotFound","description":"no"}`)
		case r.Method == "GET" && strings.HasSuffix(r.URL.Path, "/Orders/V2"):
			writeRaw(w, 200, `{"key":"V2","json":"{\"id\":\"V2\"}"}`)
		case r.Method == "DELETE":
			w.WriteHeader(204)
		case r.Method == "GET" && r.URL.Path == "/insightData/v3/contacts/email/jane@example.com/Orders":
			if r.URL.Query().Get("marker") == "" {
				writeRaw(w, 200, `{"_links":{"next":{"marker":"p2"}},"_items":[{"key":"SO1","json":{}},{"key":"SO2","json":{}}]}`)
			} else {
				writeRaw(w, 200, `{"_links":{},"_items":[{"key":"SO3","json":{}}]}`)
			}
		default:
			http.NotFound(w, r)
		}
	})
	c := f.client(t)
	rec, err := c.GetContactRecord(ctxT(t), "Orders", "JANE@example.com", "SO1")
	mustNoErr(t, err)
	if rec.Key != "SO1" || string(rec.JSON) != `{"id":"SO1","orderTotal":10}` || rec.OwnerContactID != 12 ||
		!rec.Updated.Equal(time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("record %+v", rec)
	}
	if f.last(t).RawPath != "/insightData/v3/contacts/email/jane@example.com/Orders/SO1" {
		t.Errorf("path %s", f.last(t).RawPath)
	}
	rec, err = c.GetContactRecord(ctxT(t), "Orders", "jane@example.com", "V2")
	mustNoErr(t, err)
	if string(rec.JSON) != `{"id":"V2"}` {
		t.Errorf("string-encoded json not unwrapped: %s", rec.JSON)
	}
	_, err = c.GetContactRecord(ctxT(t), "Orders", "jane@example.com", "SO2")
	if !errors.Is(err, ErrRecordNotFound) || !IsNotFound(err) {
		t.Errorf("record not found: %v", err)
	}
	mustNoErr(t, c.DeleteContactRecord(ctxT(t), "Orders", "jane@example.com", "SO1"))
	if r := f.last(t); r.Method != "DELETE" || r.Path != "/insightData/v3/contacts/email/jane@example.com/Orders/SO1" {
		t.Errorf("delete %s %s", r.Method, r.Path)
	}
	recs, err := c.ListContactRecords(ctxT(t), "Orders", "jane@example.com")
	mustNoErr(t, err)
	if len(recs) != 3 || recs[2].Key != "SO3" {
		t.Errorf("records %+v", recs)
	}
}

func TestListCollectionRecordsAndIterator(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/insightData/v3/contacts/Orders" {
			http.NotFound(w, r)
			return
		}
		switch r.URL.Query().Get("marker") {
		case "":
			writeRaw(w, 200, `{"_links":{"next":{"marker":"b"}},"_items":[{"key":"1","json":{}},{"key":"2","json":{}}]}`)
		case "b":
			writeRaw(w, 200, `{"_links":{"next":{"marker":"c"}},"_items":[{"key":3,"json":{}}]}`)
		case "c":
			writeRaw(w, 200, `{"_links":{"next":{"marker":"d"}},"_items":[]}`)
		default:
			writeRaw(w, 500, ``)
		}
	})
	c := f.client(t)
	page, err := c.ListCollectionRecords(ctxT(t), "Orders", "", 2)
	mustNoErr(t, err)
	if len(page.Records) != 2 || page.NextMarker != "b" || f.last(t).Query.Get("limit") != "2" {
		t.Errorf("page %+v", page)
	}
	var keys []string
	for rec, err := range c.AllCollectionRecords(ctxT(t), "Orders", 0) {
		mustNoErr(t, err)
		keys = append(keys, rec.Key)
	}
	if strings.Join(keys, ",") != "1,2,3" {
		t.Errorf("keys %v (an empty page must end iteration)", keys)
	}
	if _, err := c.ListCollectionRecords(ctxT(t), "Orders", "", 5001); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("limit: %v", err)
	}
}

func TestCreateCollection(t *testing.T) {
	status := 201
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(status) })
	c := f.client(t)
	created, err := c.CreateCollection(ctxT(t), "Orders", "Contact", "orders")
	mustNoErr(t, err)
	r := f.last(t)
	if !created || r.Method != "POST" || r.Path != "/insightData/v3/collections/Orders" ||
		r.Query.Get("collectionScope") != "contact" || r.Query.Get("collectionType") != "orders" {
		t.Errorf("created %v request %s %s %v", created, r.Method, r.Path, r.Query)
	}
	status = 200
	created, err = c.CreateCollection(ctxT(t), "Orders", "contact", "orders")
	mustNoErr(t, err)
	if created {
		t.Error("200 means it already existed")
	}
	if _, err := c.CreateCollection(ctxT(t), "Orders", "global", "orders"); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("scope: %v", err)
	}
	if _, err := c.CreateCollection(ctxT(t), "Orders", "contact", "or ders"); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("type: %v", err)
	}
}
