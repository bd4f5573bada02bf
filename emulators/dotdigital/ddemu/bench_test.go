package ddemu_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/dotdigital/ddemu"
)

func BenchmarkPatchContact(b *testing.B) {
	_, c := start(b, ddemu.Options{})
	b.ResetTimer()
	for i := range b.N {
		c.upsert(fmt.Sprintf("b%d@example.com", i%5000), map[string]any{"FIRSTNAME": "B"}).expect(b, http.StatusOK+map[bool]int{true: 1, false: 0}[i < 5000])
	}
}

func BenchmarkServerTime(b *testing.B) {
	_, c := start(b, ddemu.Options{})
	b.ResetTimer()
	for range b.N {
		c.get("/v2/server-time").expect(b, http.StatusOK)
	}
}

func BenchmarkHandlerPatch(b *testing.B) {
	e, err := ddemu.New(ddemu.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	h := e.Handler()
	b.ResetTimer()
	for i := range b.N {
		email := fmt.Sprintf("h%d@example.com", i%5000)
		req := httptestRequest(http.MethodPatch, "/contacts/v3/email/"+email, `{"identifiers":{"email":"`+email+`"},"dataFields":{"FIRSTNAME":"B"}}`)
		w := &nopWriter{h: http.Header{}}
		h.ServeHTTP(w, req)
		if w.status != 200 && w.status != 201 {
			b.Fatal(w.status)
		}
	}
}
