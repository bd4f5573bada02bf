package odoo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const traceback = "Traceback (most recent call last):\n  File \"/odoo/odoo/service/model.py\", line 133, in retrying\n    result = func()\n"

var faultCases = []struct {
	name string
	code int
	text string
	want Class
}{
	{"access denied", 3, "Access Denied", ClassAuth},
	{"cooldown", 3, "Too many login failures, please wait a bit before trying again.", ClassAuth},
	{"access error", 4, "You are not allowed to access 'Sales Order' (sale.order) records.", ClassAccess},
	{"private method", 4, "Private methods (such as _foo) cannot be called remotely.", ClassAccess},
	{"missing", 2, "Record does not exist or has been deleted.\n(Record: res.partner(5,), User: 2)", ClassMissing},
	{"missing name", 2, "odoo.exceptions.MissingError: gone", ClassMissing},
	{"user error", 2, "Some orders are not in a state requiring confirmation.", ClassValidation},
	{"validation", 2, "The email address is invalid: jane@example.com", ClassValidation},
	{"unknown model", 2, "Object res.foo doesn't exist", ClassValidation},
	{"bad field", 1, traceback + "ValueError: Invalid field 'foo' on model 'res.partner'", ClassServer},
	{"serialization", 1, traceback + "psycopg2.errors.SerializationFailure: could not serialize access due to concurrent update", ClassTransient},
	{"operational", 1, traceback + "psycopg2.OperationalError: FATAL: the database system is starting up", ClassTransient},
	{"deadlock", 1, traceback + "psycopg2.errors.DeadlockDetected: deadlock detected", ClassTransient},
	{"wrong database", 1, traceback + "psycopg2.OperationalError: connection to server on socket \"/var/run/postgresql/.s.PGSQL.5432\" failed: FATAL:  database \"nope\" does not exist", ClassServer},
	{"integrity", 1, traceback + "psycopg2.errors.UniqueViolation: duplicate key value violates unique constraint", ClassServer},
	{"none marshal", 1, traceback + "TypeError: cannot marshal None unless allow_none is enabled", ClassServer},
	{"odd code", 42, "whatever", ClassServer},
}

func TestFaultClassification(t *testing.T) {
	for _, tc := range faultCases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFault(tc.code, tc.text, "res.partner", "write", "k3y-value")
			if f.Class() != tc.want || ClassOf(f) != tc.want {
				t.Fatalf("class %v, want %v", f.Class(), tc.want)
			}
			if Retryable(f) != (tc.want == ClassTransient) {
				t.Fatalf("Retryable = %v", Retryable(f))
			}
			if strings.Contains(f.Message, "Traceback") || strings.Contains(f.Message, "\n  File") {
				t.Fatalf("traceback kept: %q", f.Message)
			}
			if strings.Contains(f.Error(), "@example.com") {
				t.Fatalf("email in error: %q", f.Error())
			}
		})
	}
}

func TestFaultMessageKeepsLastTracebackLineShort(t *testing.T) {
	long := traceback + "ValueError: " + strings.Repeat("x", 2000)
	f := newFault(1, long, "m", "x", "")
	if !strings.HasPrefix(f.Message, "ValueError: xxx") || len(f.Message) > maxFaultMessage+len("…") {
		t.Fatalf("message %q (%d)", f.Message[:40], len(f.Message))
	}
	f = newFault(1, traceback+"KeyError: 'secret-api-key-value'", "m", "x", "secret-api-key-value")
	if strings.Contains(f.Error(), "secret-api-key-value") {
		t.Fatalf("key leaked: %s", f.Error())
	}
}

func TestClassOfWrappedAndForeign(t *testing.T) {
	f := newFault(4, "nope", "m", "x", "")
	wrapped := fmt.Errorf("activity: %w", f)
	if ClassOf(wrapped) != ClassAccess {
		t.Fatal("wrapped fault not classified")
	}
	var got *Fault
	if !errors.As(wrapped, &got) || got.Code != 4 {
		t.Fatal("errors.As through wrapping")
	}
	ae := &AuthError{Reason: "x", Fault: newFault(3, "Access Denied", "", "", ""), RetryAfter: time.Now()}
	if !errors.Is(fmt.Errorf("w: %w", ae), ErrAuthFailed) || ClassOf(ae) != ClassAuth || Retryable(ae) {
		t.Fatal("AuthError classification")
	}
	if !errors.As(ae, &got) || got.Code != 3 {
		t.Fatal("AuthError does not unwrap to its fault")
	}
	te := &TransportError{Op: "x", Err: context.DeadlineExceeded}
	if !errors.Is(te, context.DeadlineExceeded) || !Retryable(te) {
		t.Fatal("transport error")
	}
	if ClassOf(nil) != ClassNone || ClassOf(errors.New("x")) != ClassUnknown || Retryable(errors.New("x")) {
		t.Fatal("nil/foreign")
	}
	if ClassOf(context.Canceled) != ClassTransient {
		t.Fatal("bare context error")
	}
	if ClassOf(&RequestError{Op: "x", Reason: "y"}) != ClassValidation {
		t.Fatal("request error")
	}
	for c := ClassNone; c <= ClassTransient; c++ {
		if strings.HasPrefix(c.String(), "class(") {
			t.Fatalf("unnamed class %d", c)
		}
	}
}

// Faults over HTTP, framed exactly like Odoo, reach the caller typed.
func TestFaultsOverTheWire(t *testing.T) {
	for _, tc := range faultCases {
		if tc.code == 3 {
			continue // auth faults are covered in auth_test.go
		}
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeOdoo(t, 17)
			f.model("res.partner", "name")
			f.before = func(service, method string, params []any) (any, *rpcFault, bool) {
				if service == "object" {
					return nil, &rpcFault{tc.code, tc.text}, true
				}
				return nil, nil, false
			}
			c := f.client(t)
			err := c.Write(context.Background(), "res.partner", []int64{1}, map[string]any{"name": "x"})
			var fe *Fault
			if !errors.As(err, &fe) || fe.Code != tc.code || ClassOf(err) != tc.want {
				t.Fatalf("err %v (class %v), want code %d class %v", err, ClassOf(err), tc.code, tc.want)
			}
			if fe.Model != "res.partner" || fe.Method != "write" {
				t.Fatalf("fault names %s.%s", fe.Model, fe.Method)
			}
			if strings.Contains(err.Error(), f.key) {
				t.Fatal("key in error")
			}
		})
	}
}

func TestUnknownModelPrivateMethodAndBadField(t *testing.T) {
	f := newFakeOdoo(t, 17)
	f.model("res.partner", "name")
	c := f.client(t)
	ctx := context.Background()
	_, err := c.SearchRead(ctx, "res.nothing", nil, []string{"name"}, ReadOptions{})
	if ClassOf(err) != ClassValidation || !isUnknownModel(err) {
		t.Fatalf("unknown model: %v", err)
	}
	_, err = c.Call(ctx, "res.partner", "_private", []any{[]int64{1}}, nil)
	if ClassOf(err) != ClassAccess {
		t.Fatalf("private method: %v", err)
	}
	_, err = c.SearchRead(ctx, "res.partner", nil, []string{"nope"}, ReadOptions{})
	if ClassOf(err) != ClassServer || !strings.Contains(err.Error(), "Invalid field") {
		t.Fatalf("bad field: %v", err)
	}
	err = c.Unlink(ctx, "res.partner", []int64{999})
	if ClassOf(err) != ClassMissing {
		t.Fatalf("unlink missing: %v", err)
	}
}

func TestHTTPFailuresAreTransient(t *testing.T) {
	var status atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch s := int(status.Load()); s {
		case 200:
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html><body>Maintenance</body></html>"))
		case 201:
			_, _ = w.Write([]byte("<?xml version=\"1.0\"?>\n<methodResponse>\n<params>\n<param>\n<value><int>12"))
		default:
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(s)
		}
	}))
	defer srv.Close()
	c, err := New(Config{URL: srv.URL, DB: "d", Login: "l", APIKey: "k-secret", Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []int{502, 503, 429, 500, 200, 201} {
		status.Store(int64(s))
		_, err := c.Version(context.Background())
		var te *TransportError
		if !errors.As(err, &te) || !Retryable(err) {
			t.Fatalf("status %d: %v", s, err)
		}
		if s >= 400 && (te.StatusCode != s || te.RetryAfter != 7*time.Second) {
			t.Fatalf("status %d: got %d retry %v", s, te.StatusCode, te.RetryAfter)
		}
	}
}

func TestTimeoutAndCancellation(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)

	c, _ := New(Config{URL: srv.URL, DB: "d", Login: "l", APIKey: "k", Timeout: 150 * time.Millisecond})
	start := time.Now()
	_, err := c.Version(context.Background())
	if !errors.Is(err, context.DeadlineExceeded) || !Retryable(err) {
		t.Fatalf("timeout: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("timeout took %v", d)
	}

	c2, _ := New(Config{URL: srv.URL, DB: "d", Login: "l", APIKey: "k", Timeout: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(100 * time.Millisecond); cancel() }()
	start = time.Now()
	_, err = c2.Version(ctx)
	if !errors.Is(err, context.Canceled) || ClassOf(err) != ClassTransient {
		t.Fatalf("cancel: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("cancellation took %v", d)
	}
}

func TestNetworkErrorIsTransient(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	c, _ := New(Config{URL: "http://" + addr, DB: "d", Login: "l", APIKey: "k-secret-value", Timeout: time.Second})
	_, err = c.Version(context.Background())
	if !Retryable(err) || strings.Contains(err.Error(), "k-secret-value") {
		t.Fatalf("network error: %v", err)
	}
}

func TestNewValidatesConfigWithoutIO(t *testing.T) {
	if _, err := New(Config{URL: "http://x", DB: "d", Login: "l"}); err == nil || strings.Contains(err.Error(), "http://x") {
		t.Fatalf("missing key: %v", err)
	}
	if _, err := New(Config{URL: "ftp://x", DB: "d", Login: "l", APIKey: "k"}); err == nil {
		t.Fatal("bad scheme accepted")
	}
	c, err := New(Config{URL: "https://odoo.example.com/xmlrpc/2/", DB: "d", Login: "l", APIKey: "k"})
	if err != nil || c.base != "https://odoo.example.com" {
		t.Fatalf("base %q err %v", c.base, err)
	}
}
