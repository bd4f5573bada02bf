package ddemu_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/dotdigital/ddemu"
)

func TestFault5xxRateAndNoEffect(t *testing.T) {
	e, c := start(t, ddemu.Options{Fault5xxRate: 0.3, Seed: 42})
	const n = 600
	failed := 0
	for i := range n {
		email := fmt.Sprintf("f%d@example.com", i)
		r := c.upsert(email, nil)
		switch r.status {
		case http.StatusCreated:
		case http.StatusInternalServerError, http.StatusServiceUnavailable:
			failed++
			code := "contacts:internalServerError"
			if r.status == http.StatusServiceUnavailable {
				code = "contacts:serviceUnavailable"
			}
			r.v3err(t, r.status, code)
		default:
			t.Fatalf("unexpected %d %s", r.status, r.body)
		}
	}
	if failed < 140 || failed > 220 {
		t.Fatalf("%d of %d calls failed, want about 30%%", failed, n)
	}
	st := e.Stats()
	if st.Faults5xx != int64(failed) || st.Contacts != n-failed {
		t.Fatalf("a 5xx took effect: faults %d contacts %d failed %d", st.Faults5xx, st.Contacts, failed)
	}
	// v2 bodies carry v2 codes
	if err := e.SetFaults(ddemu.Faults{Fault5xxRate: 1}); err != nil {
		t.Fatal(err)
	}
	r := c.get("/v2/data-fields")
	if r.status == http.StatusInternalServerError {
		r.v2err(t, 500, "ERROR_UNKNOWN")
	} else {
		r.v2err(t, 503, "ERROR_SYSTEM_SERVICETEMPORARILYUNAVAILABLE")
	}
	if err := e.SetFaults(ddemu.Faults{Fault5xxRate: 2}); err == nil {
		t.Fatal("rate 2 accepted")
	}
}

func TestAppliedThen5xx(t *testing.T) {
	e, c := start(t, ddemu.Options{Applied5xxRate: 1})
	r := c.upsert("applied@example.com", map[string]any{"FIRSTNAME": "A"})
	if r.status != 500 && r.status != 503 {
		t.Fatalf("status %d", r.status)
	}
	_ = e.SetFaults(ddemu.Faults{})
	doc := c.get("/contacts/v3/email/applied@example.com").expect(t, http.StatusOK).contact(t)
	if doc.DataFields["FIRSTNAME"] != "A" {
		t.Fatalf("write not applied: %v", doc.DataFields)
	}
	// the retry is an idempotent upsert
	c.upsert("applied@example.com", map[string]any{"FIRSTNAME": "A"}).expect(t, http.StatusOK)
	if s := e.Stats(); s.FaultsApplied5xx != 1 || s.Contacts != 1 {
		t.Fatalf("stats: %+v", s)
	}
}

func TestTimeoutFault(t *testing.T) {
	e, c := start(t, ddemu.Options{TimeoutRate: 1, TimeoutDelay: 300 * time.Millisecond})
	// the client gives up first: nothing happened
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPatch, c.base+"/contacts/v3/email/t@example.com",
		strings.NewReader(`{"identifiers":{"email":"t@example.com"}}`))
	req.SetBasicAuth(testUser, testPass)
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("expected the client to time out")
	}
	// a patient client gets a 504 gateway page
	start := time.Now()
	r := c.upsert("t@example.com", nil)
	if r.status != http.StatusGatewayTimeout || !strings.Contains(r.header.Get("Content-Type"), "text/html") {
		t.Fatalf("status %d type %s", r.status, r.header.Get("Content-Type"))
	}
	if time.Since(start) < 300*time.Millisecond {
		t.Fatal("504 came before the timeout delay")
	}
	_ = e.SetFaults(ddemu.Faults{})
	c.get("/contacts/v3/email/t@example.com").expect(t, http.StatusNotFound)
	if s := e.Stats(); s.FaultsTimeout != 2 {
		t.Fatalf("timeouts counted %d", s.FaultsTimeout)
	}
}

func TestSlowFaultAndMixedRates(t *testing.T) {
	e, c := start(t, ddemu.Options{SlowRate: 1, SlowDelay: 80 * time.Millisecond})
	begin := time.Now()
	c.get("/v2/server-time").expect(t, http.StatusOK)
	if time.Since(begin) < 80*time.Millisecond {
		t.Fatal("slow call was not slowed")
	}
	if err := e.SetFaults(ddemu.Faults{TimeoutRate: 0.1, Fault5xxRate: 0.1, SlowRate: 0.2, SlowDelay: time.Millisecond, TimeoutDelay: 5 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	counts := map[int]int{}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				r := c.get(fmt.Sprintf("/v2/contacts/w%d-%d@example.com", w, i))
				mu.Lock()
				counts[r.status/100*100]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if counts[500] < 100 || counts[500] > 220 || counts[400] < 580 {
		t.Fatalf("status classes %v; want about 20%% 5xx (500/503/504)", counts)
	}
	if s := e.Stats(); s.FaultsSlow < 120 || s.FaultsSlow > 230 {
		t.Fatalf("slow faults %d of 801", s.FaultsSlow)
	}
}
