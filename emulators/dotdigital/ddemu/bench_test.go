package ddemu_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/dotdigital/ddemu"
)

func BenchmarkPatchContact(b *testing.B) {
	_, c := start(b, ddemu.Options{})
	b.ResetTimer()
	for i := range b.N {
		if r := c.upsert(fmt.Sprintf("b%d@example.com", i%5000), map[string]any{"FIRSTNAME": "B"}); r.status != http.StatusOK && r.status != http.StatusCreated {
			b.Fatalf("status %d", r.status)
		}
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

func httptestRequest(method, path, body string) *http.Request {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.SetBasicAuth(testUser, testPass)
	return r
}

type nopWriter struct {
	h      http.Header
	status int
}

func (w *nopWriter) Header() http.Header { return w.h }
func (w *nopWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = 200
	}
	return len(b), nil
}
func (w *nopWriter) WriteHeader(s int) { w.status = s }
