package ddemu_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
)

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
