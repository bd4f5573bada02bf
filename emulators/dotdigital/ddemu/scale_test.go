package ddemu_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/dotdigital/ddemu"
)

// TestScale loads 100k contacts and 300k Insight records through bulk
// imports (as the initial load does) and checks that listings stay fast.
func TestScale(t *testing.T) {
	if testing.Short() {
		t.Skip("scale test skipped in -short mode")
	}
	contacts, ordersPer := 100_000, 3
	if raceEnabled {
		contacts = 10_000
	}
	e, c := start(t, ddemu.Options{ImportDelay: time.Millisecond})
	c.ensureField("ORDER_COUNT", "Numeric")
	begin := time.Now()

	// submit retries on 429 tooManyActiveImports, as a client must
	submit := func(path string, body []byte) string {
		for {
			r := c.put(path, body)
			if r.status == http.StatusAccepted {
				var out struct{ ImportID string }
				r.decode(t, &out)
				return out.ImportID
			}
			if r.status != http.StatusTooManyRequests {
				t.Fatalf("import: %d %s", r.status, r.body)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	var ids []string
	for start := 0; start < contacts; start += 2000 {
		var b bytes.Buffer
		b.WriteString(`{"mergeOption":"overwrite","contacts":[`)
		for i := start; i < start+2000 && i < contacts; i++ {
			if i > start {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"matchIdentifier":"email","identifiers":{"email":"c%06d@example.com"},"dataFields":{"FIRSTNAME":"C%d","ORDER_COUNT":%d}}`, i, i, ordersPer)
		}
		b.WriteString(`]}`)
		ids = append(ids, submit("/contacts/v3/import", b.Bytes()))
	}
	for _, id := range ids {
		if st := waitImport(t, c, "/contacts/v3/import/"+id); st.Summary.NewContacts == 0 || len(st.Failures) > 0 {
			t.Fatalf("contact import: %+v", st.Summary)
		}
	}
	contactsDone := time.Since(begin)

	ids = ids[:0]
	records := contacts * ordersPer
	for start := 0; start < records; start += 4000 {
		var b bytes.Buffer
		b.WriteString(`{"collectionName":"Orders","collectionScope":"contact","collectionType":"orders","records":[`)
		for i := start; i < start+4000 && i < records; i++ {
			if i > start {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"key":"SO%07d","contactIdentity":{"identifier":"email","value":"c%06d@example.com"},`+
				`"json":{"id":"SO%07d","status":"sale","orderTotal":%d.5,"currency":"EUR","purchaseDate":"2024-05-01T10:00:00Z",`+
				`"products":[{"sku":"SKU-%d","name":"Product %d","qty":1,"price":%d.5}]}}`, i, i/ordersPer, i, i%500, i%97, i%97, i%500)
		}
		b.WriteString(`]}`)
		ids = append(ids, submit("/insightData/v3/import", b.Bytes()))
	}
	for _, id := range ids {
		if st := waitInsight(t, c, id); st.Summary.TotalRejected != 0 {
			t.Fatalf("insight import rejected records: %+v", st.Failures[0])
		}
	}
	loaded := time.Since(begin)
	st := e.Stats()
	if st.Contacts != contacts || st.InsightRecords != records {
		t.Fatalf("loaded %d contacts, %d records", st.Contacts, st.InsightRecords)
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("loaded %d contacts in %v, %d records by %v; heap %d MB", contacts, contactsDone.Round(time.Millisecond),
		records, loaded.Round(time.Millisecond), ms.HeapAlloc>>20)

	// full listing with the largest pages
	t0 := time.Now()
	all, pages := listAll(t, c, "limit=5000&data-fields=[[ALL]]")
	if len(all) != contacts {
		t.Fatalf("listing returned %d contacts in %d pages", len(all), pages)
	}
	perPage := time.Since(t0) / time.Duration(pages)
	// a sparse ~modified listing scans the whole account
	c.upsert("c000042@example.com", map[string]any{"FIRSTNAME": "changed"}).expect(t, http.StatusOK)
	t1 := time.Now()
	mod, _ := listAll(t, c, "~modified=gte::"+time.Now().Add(-time.Second).UTC().Format("2006-01-02T15:04:05.000Z"))
	sparse := time.Since(t1)
	if len(mod) != 1 {
		t.Fatalf("~modified after load returned %d", len(mod))
	}
	// a page deep into the Insight collection
	t2 := time.Now()
	var p struct {
		Links struct {
			Next *struct{ Link string } `json:"next"`
		} `json:"_links"`
		Items []any `json:"_items"`
	}
	path := "/insightData/v3/contacts/Orders?limit=1000"
	for range 5 {
		p.Links.Next, p.Items = nil, nil
		c.get(path).expect(t, http.StatusOK).decode(t, &p)
		u, _ := url.Parse(p.Links.Next.Link)
		path = u.RequestURI()
	}
	recPage := time.Since(t2) / 5
	t.Logf("contacts page of 5000: %v; sparse ~modified scan: %v; records page of 1000: %v", perPage, sparse, recPage)
	if !raceEnabled && (perPage > 2*time.Second || sparse > time.Second || recPage > time.Second) {
		t.Fatalf("listings too slow: %v / %v / %v", perPage, sparse, recPage)
	}
	if !strings.Contains(string(c.get("/insightData/v3/contacts/email/c000007@example.com/Orders").body), `"SO0000021"`) {
		t.Fatal("contact's records missing")
	}
}
