package ddemu_test

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/dotdigital/ddemu"
)

func BenchmarkInsightImport4000(b *testing.B) {
	_, c := start(b, ddemu.Options{ImportDelay: time.Millisecond})
	var cb bytes.Buffer
	cb.WriteString(`{"contacts":[`)
	for i := range 2000 {
		if i > 0 {
			cb.WriteByte(',')
		}
		fmt.Fprintf(&cb, `{"matchIdentifier":"email","identifiers":{"email":"c%06d@example.com"}}`, i)
	}
	cb.WriteString(`]}`)
	waitImport(b, c, "/contacts/v3/import/"+submitImportB(b, c, "/contacts/v3/import", cb.Bytes()))
	var body bytes.Buffer
	body.WriteString(`{"collectionName":"Orders","collectionScope":"contact","collectionType":"orders","records":[`)
	for i := range 4000 {
		if i > 0 {
			body.WriteByte(',')
		}
		fmt.Fprintf(&body, `{"key":"SO%07d","contactIdentity":{"identifier":"email","value":"c%06d@example.com"},`+
			`"json":{"id":"SO%07d","status":"sale","orderTotal":%d.5,"currency":"EUR","purchaseDate":"2024-05-01T10:00:00Z",`+
			`"products":[{"sku":"SKU-%d","name":"Product %d","qty":1,"price":%d.5}]}}`, i, i%2000, i, i%500, i%97, i%97, i%500)
	}
	body.WriteString(`]}`)
	b.ResetTimer()
	for range b.N {
		id := submitImportB(b, c, "/insightData/v3/import", body.Bytes())
		waitInsightB(b, c, id)
	}
}

func submitImportB(b *testing.B, c *client, path string, body []byte) string {
	var out struct{ ImportID string }
	c.put(path, body).expect(b, http.StatusAccepted).decode(b, &out)
	return out.ImportID
}

func waitInsightB(b *testing.B, c *client, id string) {
	for {
		var st struct{ Status string }
		c.get("/insightData/v3/import/"+id).decode(b, &st)
		if st.Status == "Finished" {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

func BenchmarkContactImport2000(b *testing.B) {
	_, c := start(b, ddemu.Options{ImportDelay: time.Millisecond})
	c.ensureField("ORDER_COUNT", "Numeric")
	var body bytes.Buffer
	body.WriteString(`{"contacts":[`)
	for i := range 2000 {
		if i > 0 {
			body.WriteByte(',')
		}
		fmt.Fprintf(&body, `{"matchIdentifier":"email","identifiers":{"email":"c%06d@example.com"},"dataFields":{"FIRSTNAME":"C%d","LASTNAME":"L","ORDER_COUNT":3},"lists":[]}`, i, i)
	}
	body.WriteString(`]}`)
	b.ResetTimer()
	for range b.N {
		id := submitImportB(b, c, "/contacts/v3/import", body.Bytes())
		waitImport(b, c, "/contacts/v3/import/"+id)
	}
}
