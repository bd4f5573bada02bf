package dotdigital

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testUser     = "apiuser-123@apiconnector.com"
	testPassword = "s3cret-P@ss"
)

// seen is one request as the fake server received it.
type seen struct {
	Method   string
	Path     string // decoded
	RawPath  string // as sent (escaped)
	Query    url.Values
	Body     []byte
	Header   http.Header
	AuthUser string
	AuthPass string
}

// fake is an httptest server that records requests and answers with h.
type fake struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []seen
}

func newFake(t *testing.T, h http.HandlerFunc) *fake {
	t.Helper()
	f := &fake{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u, p, _ := r.BasicAuth()
		f.mu.Lock()
		f.reqs = append(f.reqs, seen{Method: r.Method, Path: r.URL.Path, RawPath: r.URL.EscapedPath(),
			Query: r.URL.Query(), Body: body, Header: r.Header.Clone(), AuthUser: u, AuthPass: p})
		f.mu.Unlock()
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		h(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.reqs...)
}

func (f *fake) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.reqs)
}

func (f *fake) last(t *testing.T) seen {
	t.Helper()
	rs := f.requests()
	if len(rs) == 0 {
		t.Fatal("no request reached the server")
	}
	return rs[len(rs)-1]
}

// client returns a Client with a static endpoint pointing at the fake.
func (f *fake) client(t *testing.T, mod ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{APIUser: testUser, APIPassword: testPassword, Endpoint: f.srv.URL + "/"}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeRaw(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// respond answers every request with one status and body.
func respond(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { writeRaw(w, status, body) }
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func decodeBody(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("request body is not a JSON object: %v: %s", err, b)
	}
	return m
}

func mustNoErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// assertNoSecrets checks that an error string leaks neither credentials nor emails.
func assertNoSecrets(t *testing.T, err error, emails ...string) {
	t.Helper()
	if err == nil {
		return
	}
	s := err.Error()
	for _, bad := range append([]string{testPassword, "Basic "}, emails...) {
		if bad != "" && strings.Contains(strings.ToLower(s), strings.ToLower(bad)) {
			t.Errorf("error %q leaks %q", s, bad)
		}
	}
}
