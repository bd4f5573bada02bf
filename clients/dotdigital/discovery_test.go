package dotdigital

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func accountInfoJSON(endpoint string) string {
	return fmt.Sprintf(`{"id": 4242, "properties": [
		{"name":"Name","type":"String","value":"Demo"},
		{"name":"MainEmail","type":"String","value":"demo@apiconnector.com"},
		{"name":"ApiCallsRemaining","type":"Int","value":"1985"},
		{"name":"ApiEndpoint","type":"String","value":%q}]}`, endpoint)
}

// regions sets up a discovery host and two regional hosts; the account
// lives in whichever region `home` points at.
type regions struct {
	disc, r1, r2 *fake
	home         atomic.Pointer[string]
	discCalls    atomic.Int32
}

func newRegions(t *testing.T) *regions {
	rg := &regions{}
	regional := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if *rg.home.Load() != name {
				writeRaw(w, 403, `{"message":"Access is denied"}`)
				return
			}
			if r.Method == "PATCH" {
				writeRaw(w, 200, `{"contactId": 7, "identifiers": {"email": "jane@example.com"}}`)
				return
			}
			writeRaw(w, 200, `[]`)
		}
	}
	rg.r1 = newFake(t, regional("r1"))
	rg.r2 = newFake(t, regional("r2"))
	rg.disc = newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v2/account-info" {
			http.NotFound(w, r)
			return
		}
		rg.discCalls.Add(1)
		time.Sleep(20 * time.Millisecond) // widen the race window for concurrent callers
		ep := rg.r1.srv.URL
		if *rg.home.Load() == "r2" {
			ep = rg.r2.srv.URL
		}
		writeRaw(w, 200, accountInfoJSON(ep+"/"))
	})
	home := "r1"
	rg.home.Store(&home)
	return rg
}

func (rg *regions) move(to string) { rg.home.Store(&to) }

func (rg *regions) client(t *testing.T) *Client {
	c, err := New(Config{APIUser: testUser, APIPassword: testPassword, DiscoveryURL: rg.disc.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDiscoveryOnceUnderConcurrency(t *testing.T) {
	rg := newRegions(t)
	c := rg.client(t)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.ListDataFields(ctxT(t))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		mustNoErr(t, err)
	}
	if n := rg.discCalls.Load(); n != 1 {
		t.Errorf("account-info called %d times, want 1", n)
	}
	if rg.r1.count() != 20 {
		t.Errorf("r1 got %d calls, want 20", rg.r1.count())
	}
	// Cached afterwards.
	_, err := c.ListDataFields(ctxT(t))
	mustNoErr(t, err)
	if n := rg.discCalls.Load(); n != 1 {
		t.Errorf("account-info called %d times after caching", n)
	}
	// Discovery request carried the credentials and went to /v2/account-info.
	d := rg.disc.last(t)
	if d.AuthUser != testUser || d.AuthPass != testPassword || d.Method != "GET" {
		t.Errorf("discovery request %+v", d)
	}
}

func TestRediscoveryAfter403(t *testing.T) {
	rg := newRegions(t)
	c := rg.client(t)
	_, _, err := c.UpsertContact(ctxT(t), "jane@example.com", ContactUpdate{DataFields: map[string]any{"FIRSTNAME": "Jane"}})
	mustNoErr(t, err)
	rg.move("r2")
	_, created, err := c.UpsertContact(ctxT(t), "jane@example.com", ContactUpdate{DataFields: map[string]any{"FIRSTNAME": "Jane"}})
	mustNoErr(t, err)
	if created {
		t.Error("200 must report created=false")
	}
	if n := rg.discCalls.Load(); n != 2 {
		t.Errorf("account-info called %d times, want 2", n)
	}
	// The PATCH was re-sent to r2 with the same body.
	r1Last, r2Last := rg.r1.last(t), rg.r2.last(t)
	if string(r1Last.Body) != string(r2Last.Body) || len(r2Last.Body) == 0 {
		t.Errorf("body not re-sent intact: %s vs %s", r1Last.Body, r2Last.Body)
	}
	// Still 403 after rediscovery (same endpoint) -> the 403 is returned, one rediscovery only.
	rg2 := newRegions(t)
	c2 := rg2.client(t)
	_, err = c2.ListDataFields(ctxT(t))
	mustNoErr(t, err)
	rg2.move("nowhere") // both regions refuse, discovery still says r1
	_, err = c2.ListDataFields(ctxT(t))
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 403 || !IsAuth(err) || Retryable(err) {
		t.Fatalf("want non-retryable 403, got %v", err)
	}
	if n := rg2.discCalls.Load(); n != 2 {
		t.Errorf("account-info called %d times, want 2 (initial + one rediscovery)", n)
	}
}

func TestStaticEndpointSkipsDiscovery(t *testing.T) {
	f := newFake(t, respond(403, `{"message":"Access is denied"}`))
	c := f.client(t)
	_, err := c.ListDataFields(ctxT(t))
	if !IsAuth(err) {
		t.Fatalf("want 403, got %v", err)
	}
	if f.count() != 1 {
		t.Errorf("static endpoint: %d calls, want 1 (no rediscovery)", f.count())
	}
	if r := f.last(t); r.Path != "/v2/data-fields" {
		t.Errorf("trailing slash of Endpoint not trimmed: %s", r.Path)
	}
}

func TestDiscoveryFailures(t *testing.T) {
	t.Run("401", func(t *testing.T) {
		disc := newFake(t, respond(401, `{"message":"Authorization has been denied for this request."}`))
		c, _ := New(Config{APIUser: testUser, APIPassword: "wrong", DiscoveryURL: disc.srv.URL})
		_, err := c.ListDataFields(ctxT(t))
		if !errors.Is(err, ErrDiscovery) || !IsAuth(err) || Retryable(err) {
			t.Fatalf("got %v", err)
		}
		assertNoSecrets(t, err, "wrong")
	})
	t.Run("5xx is retryable and not cached", func(t *testing.T) {
		var calls atomic.Int32
		var api *fake
		api = newFake(t, respond(200, `[]`))
		disc := newFake(t, func(w http.ResponseWriter, r *http.Request) {
			if calls.Add(1) == 1 {
				writeRaw(w, 503, ``)
				return
			}
			writeRaw(w, 200, accountInfoJSON(api.srv.URL))
		})
		c, _ := New(Config{APIUser: testUser, APIPassword: testPassword, DiscoveryURL: disc.srv.URL})
		_, err := c.ListDataFields(ctxT(t))
		if !errors.Is(err, ErrDiscovery) || !Retryable(err) {
			t.Fatalf("got %v", err)
		}
		_, err = c.ListDataFields(ctxT(t))
		mustNoErr(t, err)
	})
	t.Run("missing ApiEndpoint", func(t *testing.T) {
		disc := newFake(t, respond(200, `{"id":1,"properties":[{"name":"Name","value":"x"}]}`))
		c, _ := New(Config{APIUser: testUser, APIPassword: testPassword, DiscoveryURL: disc.srv.URL})
		_, err := c.ListDataFields(ctxT(t))
		if !errors.Is(err, ErrDiscovery) || Retryable(err) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestAccountInfo(t *testing.T) {
	rg := newRegions(t)
	c := rg.client(t)
	info, err := c.AccountInfo(ctxT(t))
	mustNoErr(t, err)
	if info.ID != 4242 || info.Endpoint() != rg.r1.srv.URL {
		t.Errorf("info %+v endpoint %q", info, info.Endpoint())
	}
	if v, ok := info.Property("mainemail"); !ok || v != "demo@apiconnector.com" {
		t.Errorf("case-insensitive property lookup: %q %v", v, ok)
	}
	if n, ok := info.APICallsRemaining(); !ok || n != 1985 {
		t.Errorf("ApiCallsRemaining %d %v", n, ok)
	}
	// AccountInfo primed the endpoint cache: no second discovery.
	_, err = c.ListDataFields(ctxT(t))
	mustNoErr(t, err)
	if n := rg.discCalls.Load(); n != 1 {
		t.Errorf("account-info called %d times", n)
	}
}

func TestNewValidation(t *testing.T) {
	bad := []Config{
		{APIPassword: "x"},
		{APIUser: "u"},
		{APIUser: "u", APIPassword: "p", Endpoint: "ftp://x"},
		{APIUser: "u", APIPassword: "p", Endpoint: "https://user:pw@host"},
		{APIUser: "u", APIPassword: "p", DiscoveryURL: "not a url"},
		{APIUser: "u", APIPassword: "p", Timeout: -time.Second},
	}
	for i, cfg := range bad {
		if _, err := New(cfg); err == nil {
			t.Errorf("config %d accepted", i)
		} else {
			assertNoSecrets(t, err, "pw")
		}
	}
	c, err := New(Config{APIUser: "u", APIPassword: "p"})
	mustNoErr(t, err)
	if c.timeout != DefaultTimeout || c.discoveryURL != DefaultDiscoveryURL || c.userAgent != DefaultUserAgent {
		t.Errorf("defaults: %v %q %q", c.timeout, c.discoveryURL, c.userAgent)
	}
}
