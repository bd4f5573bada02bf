package dotdigital

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func TestTimeoutIsRetryableTransportError(t *testing.T) {
	block := make(chan struct{})
	t.Cleanup(func() { close(block) })
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	})
	c := f.client(t, func(cfg *Config) { cfg.Timeout = 50 * time.Millisecond })
	start := time.Now()
	_, err := c.GetContact(context.Background(), "jane@example.com")
	var te *TransportError
	if !errors.As(err, &te) || !te.Timeout || !Retryable(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want retryable timeout, got %T %v", err, err)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("timeout not applied: %v", time.Since(start))
	}
	assertNoSecrets(t, err, "jane@example.com")
	if strings.Contains(err.Error(), f.srv.URL) {
		t.Errorf("error leaks URL: %v", err)
	}

	// The caller's deadline counts as a timeout too.
	c2 := f.client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = c2.GetContact(ctx, "jane@example.com")
	if !errors.As(err, &te) || !te.Timeout || !Retryable(err) {
		t.Fatalf("caller deadline: got %v", err)
	}

	// Cancellation by the caller is not retryable.
	ctx3, cancel3 := context.WithCancel(context.Background())
	go func() { time.Sleep(30 * time.Millisecond); cancel3() }()
	_, err = c2.GetContact(ctx3, "jane@example.com")
	if !errors.As(err, &te) || Retryable(err) || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: got %v (retryable %v)", err, Retryable(err))
	}
}

func TestConnectionRefusedIsRetryable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	mustNoErr(t, err)
	addr := l.Addr().String()
	l.Close()
	c, err := New(Config{APIUser: testUser, APIPassword: testPassword, Endpoint: "http://" + addr})
	mustNoErr(t, err)
	_, _, err = c.UpsertContact(ctxT(t), "jane@example.com", ContactUpdate{})
	var te *TransportError
	if !errors.As(err, &te) || !Retryable(err) {
		t.Fatalf("got %T %v", err, err)
	}
	assertNoSecrets(t, err, "jane@example.com")
}

func TestResponseBodiesDrainedConnectionReused(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == "DELETE" {
			w.WriteHeader(204)
			return
		}
		w.WriteHeader(404)
		// A large error body: the client reads only part of it to parse.
		_, _ = w.Write([]byte(`{"errorCode":"contacts:contactNotFound","description":"` + strings.Repeat("x", 400<<10) + `"}`))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c, err := New(Config{APIUser: testUser, APIPassword: testPassword, Endpoint: srv.URL})
	mustNoErr(t, err)
	for range 5 {
		_, err := c.GetContact(ctxT(t), "jane@example.com")
		if !IsContactNotFound(err) {
			t.Fatal(err)
		}
		var apiErr *APIError
		errors.As(err, &apiErr)
		if len(apiErr.Message) > maxErrorMessage+8 {
			t.Fatalf("message not bounded: %d", len(apiErr.Message))
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for 5 sequential calls; bodies not drained", n)
	}
}

func TestRequestHeadersAndUserAgent(t *testing.T) {
	f := newFake(t, respond(200, `[]`))
	c := f.client(t, func(cfg *Config) { cfg.UserAgent = "sync-test/1" })
	_, err := c.ListDataFields(ctxT(t))
	mustNoErr(t, err)
	r := f.last(t)
	if r.Header.Get("User-Agent") != "sync-test/1" || r.Header.Get("Accept") != "application/json" {
		t.Errorf("headers %v", r.Header)
	}
	_, err = c.CreateDataField(ctxT(t), DataField{Name: "X", Type: "string"})
	if err == nil || !errors.Is(err, ErrMalformedResponse) {
		// `[]` is not a data field object; still the request must be JSON.
		t.Logf("create: %v", err)
	}
	if ct := f.last(t).Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
}

func TestSpans(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-RateLimit-Remaining", "17")
		w.Header().Set("X-RateLimit-Scope", "mediumCallRate")
		writeRaw(w, 404, `{"errorCode":"contacts:contactNotFound","description":"x","details":[{"item":"jane@example.com"}]}`)
	})
	c := f.client(t, func(cfg *Config) { cfg.TracerProvider = tp })
	_, err := c.GetContact(ctxT(t), "Jane@Example.com")
	if !IsContactNotFound(err) {
		t.Fatal(err)
	}
	spans := rec.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	s := spans[0]
	attrs := map[attribute.Key]attribute.Value{}
	for _, a := range s.Attributes() {
		attrs[a.Key] = a.Value
	}
	want := map[string]string{
		"http.request.method":        "GET",
		"url.template":               "/contacts/v3/email/{value}",
		"dotdigital.error_code":      "contacts:contactNotFound",
		"dotdigital.retry_class":     "permanent",
		"dotdigital.ratelimit.scope": "mediumCallRate",
	}
	for k, v := range want {
		if attrs[attribute.Key(k)].Emit() != v {
			t.Errorf("attr %s = %q, want %q", k, attrs[attribute.Key(k)].Emit(), v)
		}
	}
	if attrs["http.response.status_code"].AsInt64() != 404 || attrs["dotdigital.ratelimit.remaining"].AsInt64() != 17 {
		t.Errorf("status/remaining attrs: %v", attrs)
	}
	// No personal data anywhere on the span.
	all := s.Name() + s.Status().Description
	for _, a := range s.Attributes() {
		all += " " + a.Value.Emit()
	}
	if strings.Contains(strings.ToLower(all), "jane") || strings.Contains(all, testPassword) {
		t.Errorf("span leaks personal data: %s", all)
	}
}

func TestSpanPerCallIncludingDiscovery(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	api := newFake(t, respond(200, `[]`))
	disc := newFake(t, respond(200, accountInfoJSON(api.srv.URL)))
	c, err := New(Config{APIUser: testUser, APIPassword: testPassword, DiscoveryURL: disc.srv.URL, TracerProvider: tp})
	mustNoErr(t, err)
	_, err = c.ListDataFields(ctxT(t))
	mustNoErr(t, err)
	var names []string
	for _, s := range rec.Ended() {
		names = append(names, s.Name())
	}
	if strings.Join(names, ",") != "dotdigital GET /v2/account-info,dotdigital GET /v2/data-fields" {
		t.Errorf("spans %v", names)
	}
}
