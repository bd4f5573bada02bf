package odoo

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock for cool-off tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestAuthenticatesOnceAndCaches(t *testing.T) {
	f := newFakeOdoo(t, 17)
	f.model("res.partner", "name")
	c := f.client(t)
	if f.count("common.authenticate") != 0 {
		t.Fatal("New did I/O")
	}
	for range 5 {
		if _, err := c.Search(context.Background(), "res.partner", nil, ReadOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.count("common.authenticate"); n != 1 {
		t.Fatalf("authenticate called %d times", n)
	}
	if n := f.count("common.version"); n != 1 {
		t.Fatalf("version called %d times", n)
	}
	uid, _ := c.UID(context.Background())
	if uid != 2 {
		t.Fatalf("uid %d", uid)
	}
}

func TestConcurrentFirstCallsAuthenticateOnce(t *testing.T) {
	f := newFakeOdoo(t, 18)
	f.model("res.partner", "name")
	gate := make(chan struct{})
	f.before = func(service, method string, params []any) (any, *rpcFault, bool) {
		if method == "authenticate" {
			f.mu.Unlock() // let other calls reach the server meanwhile
			<-gate
			f.mu.Lock()
		}
		return nil, nil, false
	}
	c := f.client(t)
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.SearchCount(context.Background(), "res.partner", nil, ReadOptions{})
			errs <- err
		}()
	}
	time.Sleep(100 * time.Millisecond)
	close(gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := f.count("common.authenticate"); n != 1 {
		t.Fatalf("authenticate called %d times", n)
	}
	if n := f.count("res.partner.search_count"); n != 50 {
		t.Fatalf("search_count called %d times", n)
	}
}

func TestCallerCancellationDoesNotAbortSharedLogin(t *testing.T) {
	f := newFakeOdoo(t, 17)
	f.model("res.partner", "name")
	gate := make(chan struct{})
	f.before = func(service, method string, params []any) (any, *rpcFault, bool) {
		if method == "authenticate" {
			f.mu.Unlock()
			<-gate
			f.mu.Lock()
		}
		return nil, nil, false
	}
	c := f.client(t)
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() { _, err := c.UID(ctx); first <- err }()
	time.Sleep(50 * time.Millisecond)
	second := make(chan error, 1)
	go func() { _, err := c.UID(context.Background()); second <- err }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller: %v", err)
	}
	close(gate)
	if err := <-second; err != nil {
		t.Fatalf("other caller: %v", err)
	}
	if n := f.count("common.authenticate"); n != 1 {
		t.Fatalf("authenticate called %d times", n)
	}
}

func TestAuthFailureFailsFastUntilCoolOff(t *testing.T) {
	f := newFakeOdoo(t, 17)
	f.model("res.partner", "name")
	clock := &fakeClock{t: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)}
	c := f.client(t, func(cfg *Config) { cfg.APIKey = "wrong-key-value"; cfg.AuthCoolOff = time.Minute })
	c.now = clock.now
	ctx := context.Background()

	_, err := c.Search(ctx, "res.partner", nil, ReadOptions{})
	var ae *AuthError
	if !errors.As(err, &ae) || !errors.Is(err, ErrAuthFailed) || ClassOf(err) != ClassAuth || Retryable(err) {
		t.Fatalf("first failure: %v", err)
	}
	if strings.Contains(err.Error(), "wrong-key-value") || strings.Contains(err.Error(), f.login) {
		t.Fatalf("credentials in error: %v", err)
	}
	for range 20 {
		_, err2 := c.Search(ctx, "res.partner", nil, ReadOptions{})
		if err2 != error(ae) {
			t.Fatalf("not the same error: %v", err2)
		}
	}
	if n := f.count("common.authenticate"); n != 1 {
		t.Fatalf("authenticate retried in a loop: %d calls", n)
	}
	if f.count("res.partner.search") != 0 {
		t.Fatal("object call sent without a session")
	}

	// After the cool-off: exactly one new attempt, which succeeds once the key is right.
	clock.add(61 * time.Second)
	c.key = f.key
	if _, err := c.Search(ctx, "res.partner", nil, ReadOptions{}); err != nil {
		t.Fatalf("after cool-off: %v", err)
	}
	if n := f.count("common.authenticate"); n != 2 {
		t.Fatalf("authenticate calls %d, want 2", n)
	}
}

func TestAuthCoolDownFaultOnAuthenticate(t *testing.T) {
	f := newFakeOdoo(t, 16)
	f.before = func(service, method string, params []any) (any, *rpcFault, bool) {
		if method == "authenticate" {
			return nil, &rpcFault{3, "Too many login failures, please wait a bit before trying again."}, true
		}
		return nil, nil, false
	}
	c := f.client(t)
	_, err := c.UID(context.Background())
	var ae *AuthError
	if !errors.As(err, &ae) || ae.Fault == nil || !strings.Contains(ae.Reason, "Too many login failures") {
		t.Fatalf("cool-down: %v", err)
	}
	_, _ = c.UID(context.Background())
	if n := f.count("common.authenticate"); n != 1 {
		t.Fatalf("authenticate calls %d", n)
	}
}

func TestRevokedKeyOnObjectCallDropsSession(t *testing.T) {
	f := newFakeOdoo(t, 17)
	f.model("res.partner", "name")
	clock := &fakeClock{t: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)}
	c := f.client(t, func(cfg *Config) { cfg.AuthCoolOff = time.Minute })
	c.now = clock.now
	ctx := context.Background()
	if _, err := c.Search(ctx, "res.partner", nil, ReadOptions{}); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.key = "rotated"
	f.mu.Unlock()
	_, err := c.Search(ctx, "res.partner", nil, ReadOptions{})
	if !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("revoked key: %v", err)
	}
	_, err = c.Search(ctx, "res.partner", nil, ReadOptions{})
	if !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("fail fast: %v", err)
	}
	if n := f.count("res.partner.search"); n != 2 {
		t.Fatalf("search calls %d: the failing key kept being sent", n)
	}
	clock.add(2 * time.Minute)
	_, err = c.Search(ctx, "res.partner", nil, ReadOptions{})
	if !errors.Is(err, ErrAuthFailed) || f.count("common.authenticate") != 2 {
		t.Fatalf("after cool-off: %v, authenticate %d", err, f.count("common.authenticate"))
	}
}

func TestTransientAuthFailureIsNotCached(t *testing.T) {
	f := newFakeOdoo(t, 17)
	fail := true
	f.before = func(service, method string, params []any) (any, *rpcFault, bool) {
		if method == "authenticate" && fail {
			return nil, &rpcFault{1, traceback + "psycopg2.OperationalError: connection to server failed"}, true
		}
		return nil, nil, false
	}
	c := f.client(t)
	if _, err := c.UID(context.Background()); !Retryable(err) {
		t.Fatalf("want transient, got %v", err)
	}
	f.mu.Lock()
	fail = false
	f.mu.Unlock()
	if _, err := c.UID(context.Background()); err != nil {
		t.Fatalf("second attempt: %v", err)
	}
}
