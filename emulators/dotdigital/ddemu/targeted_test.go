package ddemu_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/dotdigital/ddemu"
)

const patchContact = "PATCH /contacts/v3/{identifier}/{value}"

func inject(t *testing.T, e *ddemu.Emulator, f ddemu.TargetedFault) {
	t.Helper()
	if err := e.InjectFault(f); err != nil {
		t.Fatalf("InjectFault(%+v): %v", f, err)
	}
}

// TestTargetedApplied5xxLosesTheAnswer is the scenario end-to-end tests need:
// an email change by contactId takes effect, its answer is lost, and the retry
// is harmless.
func TestTargetedApplied5xxLosesTheAnswer(t *testing.T) {
	e, c := start(t, ddemu.Options{})
	id := c.upsert("old@example.com", nil).expect(t, http.StatusCreated).contact(t).ContactID.String()
	inject(t, e, ddemu.TargetedFault{Route: patchContact, PathContains: "/contactId/", Kind: ddemu.FaultApplied5xx})

	change := map[string]any{"identifiers": map[string]any{"email": "new@example.com"}}
	c.patch("/contacts/v3/contactId/"+id, change).v3err(t, http.StatusInternalServerError, "contacts:internalServerError")
	if ci, ok := e.Contact("new@example.com"); !ok || strconv.FormatInt(ci.ContactID, 10) != id {
		t.Fatalf("the lost call did not take effect: %+v %v", ci, ok)
	}
	if len(e.PendingFaults()) != 0 {
		t.Fatalf("fault not used up: %+v", e.PendingFaults())
	}

	got := c.patch("/contacts/v3/contactId/"+id, change).expect(t, http.StatusOK).contact(t)
	if got.ContactID.String() != id || got.Identifiers["email"] != "new@example.com" {
		t.Fatalf("retry: %+v", got)
	}
	s := e.Stats()
	if s.Contacts != 1 || s.FaultsTargeted != 1 || s.FaultsApplied5xx != 0 || s.Faults5xx != 0 {
		t.Fatalf("stats: contacts %d targeted %d applied %d 5xx %d", s.Contacts, s.FaultsTargeted, s.FaultsApplied5xx, s.Faults5xx)
	}
	if _, ok := e.Contact("old@example.com"); ok {
		t.Fatal("the old email still names a contact")
	}
}

func TestTargetedPathContainsFilters(t *testing.T) {
	e, c := start(t, ddemu.Options{})
	id := c.upsert("a@example.com", nil).expect(t, http.StatusCreated).contact(t).ContactID.String()
	// Upper case on purpose: the comparison is case-insensitive.
	inject(t, e, ddemu.TargetedFault{Route: patchContact, PathContains: "/CONTACTID/", Kind: ddemu.FaultFail5xx})

	// Other routes and other paths of the route pass.
	c.get("/contacts/v3/contactId/"+id).expect(t, http.StatusOK)
	c.upsert("a@example.com", map[string]any{"FIRSTNAME": "Email"}).expect(t, http.StatusOK)
	if len(e.PendingFaults()) != 1 || e.Stats().FaultsTargeted != 0 {
		t.Fatalf("fault fired on a non-matching call: %+v", e.PendingFaults())
	}
	// fail5xx has no effect.
	c.patch("/contacts/v3/contactId/"+id, map[string]any{"dataFields": map[string]any{"FIRSTNAME": "Lost"}}).
		v3err(t, http.StatusInternalServerError, "contacts:internalServerError")
	if ci, _ := e.Contact("a@example.com"); ci.DataFields["FIRSTNAME"] != "Email" {
		t.Fatalf("fail5xx took effect: %v", ci.DataFields)
	}
}

func TestTargetedCountAndSkip(t *testing.T) {
	e, c := start(t, ddemu.Options{})
	inject(t, e, ddemu.TargetedFault{Route: "GET /v2/server-time", Kind: ddemu.FaultFail5xx, Count: 2, Skip: 1})
	want := []int{200, 500, 500, 200, 200}
	for i, w := range want {
		if i == 1 {
			if p := e.PendingFaults(); len(p) != 1 || p[0].Count != 2 || p[0].Skip != 0 {
				t.Fatalf("after the skipped call: %+v", p)
			}
		}
		if r := c.get("/v2/server-time"); r.status != w {
			t.Fatalf("call %d: %d, want %d", i, r.status, w)
		}
	}
	if n := e.Stats().FaultsTargeted; n != 2 {
		t.Fatalf("targeted %d, want 2", n)
	}
	// v2 routes answer in the v2 dialect, always 500 (never 503).
	inject(t, e, ddemu.TargetedFault{Route: "GET /v2/server-time", Kind: ddemu.FaultApplied5xx})
	c.get("/v2/server-time").v2err(t, http.StatusInternalServerError, "ERROR_UNKNOWN")
}

// TestTargetedFaultsShareMatchingCalls pins the documented order: every
// matching fault counts a call towards its Skip, the oldest armed one fires.
func TestTargetedFaultsShareMatchingCalls(t *testing.T) {
	e, c := start(t, ddemu.Options{})
	inject(t, e, ddemu.TargetedFault{Route: "GET /v2/server-time", Kind: ddemu.FaultFail5xx})
	inject(t, e, ddemu.TargetedFault{Route: "GET /v2/server-time", Kind: ddemu.FaultFail5xx, Skip: 1})
	for i, w := range []int{500, 500, 200} {
		if r := c.get("/v2/server-time"); r.status != w {
			t.Fatalf("call %d: %d, want %d", i, r.status, w)
		}
	}
}

// TestTargetedOnlyAdmittedCalls: 401s and 429s neither trigger nor use up a fault.
func TestTargetedOnlyAdmittedCalls(t *testing.T) {
	e, c := start(t, ddemu.Options{Limits: map[ddemu.Tier]int{ddemu.TierHigh: 1}, Window: time.Hour})
	c.get("/v2/server-time").expect(t, http.StatusOK)
	inject(t, e, ddemu.TargetedFault{Route: "GET /v2/server-time", Kind: ddemu.FaultFail5xx})
	c.get("/v2/server-time").expect(t, http.StatusTooManyRequests)
	anon := *c
	anon.user = ""
	anon.get("/v2/server-time").expect(t, http.StatusUnauthorized)
	if len(e.PendingFaults()) != 1 {
		t.Fatal("a refused call used up the fault")
	}
	e.SetLimits(nil)
	c.get("/v2/server-time").expect(t, http.StatusInternalServerError)
}

// TestTargetedBeatsDice: a targeted fault wins over the random rates.
func TestTargetedBeatsDice(t *testing.T) {
	e, c := start(t, ddemu.Options{Fault5xxRate: 1, Seed: 1})
	inject(t, e, ddemu.TargetedFault{Route: patchContact, Kind: ddemu.FaultApplied5xx})
	c.upsert("dice@example.com", nil).expect(t, http.StatusInternalServerError)
	if _, ok := e.Contact("dice@example.com"); !ok {
		t.Fatal("the dice's 5xx replaced the targeted applied5xx")
	}
	if s := e.Stats(); s.FaultsTargeted != 1 || s.Faults5xx != 0 {
		t.Fatalf("stats: targeted %d 5xx %d", s.FaultsTargeted, s.Faults5xx)
	}
}

func TestTargetedTimeout(t *testing.T) {
	e, c := start(t, ddemu.Options{TimeoutDelay: 150 * time.Millisecond})
	inject(t, e, ddemu.TargetedFault{Route: patchContact, Kind: ddemu.FaultTimeout})
	begin := time.Now()
	r := c.upsert("slow@example.com", nil)
	if r.status != http.StatusGatewayTimeout || time.Since(begin) < 150*time.Millisecond {
		t.Fatalf("status %d after %v", r.status, time.Since(begin))
	}
	if _, ok := e.Contact("slow@example.com"); ok {
		t.Fatal("a timed-out call took effect")
	}
	// A client that gives up first also uses the fault up; the retry goes through.
	inject(t, e, ddemu.TargetedFault{Route: patchContact, Kind: ddemu.FaultTimeout})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPatch, c.base+"/contacts/v3/email/slow@example.com",
		strings.NewReader(`{"identifiers":{"email":"slow@example.com"}}`))
	req.SetBasicAuth(testUser, testPass)
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
		t.Fatalf("the client should have given up, got %d", res.StatusCode)
	}
	c.upsert("slow@example.com", nil).expect(t, http.StatusCreated)
	if s := e.Stats(); s.FaultsTargeted != 2 || s.FaultsTimeout != 0 {
		t.Fatalf("stats: targeted %d timeout %d", s.FaultsTargeted, s.FaultsTimeout)
	}
}

func TestInjectFaultValidates(t *testing.T) {
	e, _ := start(t, ddemu.Options{})
	for _, f := range []ddemu.TargetedFault{
		{Route: "PATCH /contacts/v3/email/{value}", Kind: ddemu.FaultFail5xx},
		{Route: patchContact, Kind: "explode"},
		{Route: patchContact, Kind: ddemu.FaultFail5xx, Count: -1},
		{Route: patchContact, Kind: ddemu.FaultFail5xx, Skip: -1},
	} {
		if err := e.InjectFault(f); err == nil {
			t.Errorf("accepted %+v", f)
		}
	}
	inject(t, e, ddemu.TargetedFault{Route: patchContact, Kind: ddemu.FaultFail5xx})
	if p := e.PendingFaults(); len(p) != 1 || p[0].Count != 1 {
		t.Fatalf("Count 0 should mean 1: %+v", p)
	}
	if n := e.ClearInjectedFaults(); n != 1 || len(e.PendingFaults()) != 0 {
		t.Fatalf("cleared %d, pending %+v", n, e.PendingFaults())
	}
}

func TestParseTargetedFault(t *testing.T) {
	cases := map[string]ddemu.TargetedFault{
		"applied5xx:PATCH /contacts/v3/{identifier}/{value}:/contactId/:1": {Kind: ddemu.FaultApplied5xx, Route: patchContact, PathContains: "/contactId/", Count: 1},
		"fail5xx:GET /v2/server-time":                                      {Kind: ddemu.FaultFail5xx, Route: "GET /v2/server-time"},
		"timeout:PUT /contacts/v3/import:::2":                              {Kind: ddemu.FaultTimeout, Route: "PUT /contacts/v3/import", Skip: 2},
		` {"kind":"timeout","route":"PUT /contacts/v3/import","count":3}`:  {Kind: ddemu.FaultTimeout, Route: "PUT /contacts/v3/import", Count: 3},
	}
	for in, want := range cases {
		got, err := ddemu.ParseTargetedFault(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%q: %+v %v, want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "fail5xx", "fail5xx:GET /v2/server-time::x", "a:b:c:1:2:3", `{"kind":"timeout","rout":"x"}`} {
		if _, err := ddemu.ParseTargetedFault(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestFaultsEndpoint arms, lists and clears faults over HTTP, as tools outside the process do.
func TestFaultsEndpoint(t *testing.T) {
	e, c := start(t, ddemu.Options{})
	anon := *c
	anon.user = "" // like the inspection page, no credentials needed
	anon.get("/_emulator/faults").expect(t, http.StatusOK)
	if string(anon.get("/_emulator/faults").body) != "[]\n" {
		t.Fatal("empty list is not []")
	}
	var pending []ddemu.TargetedFault
	anon.post("/_emulator/faults", `{"route":"GET /v2/server-time","kind":"fail5xx","count":2}`).
		expect(t, http.StatusCreated).decode(t, &pending)
	if len(pending) != 1 || pending[0].Count != 2 {
		t.Fatalf("pending %+v", pending)
	}
	anon.post("/_emulator/faults", "applied5xx:"+patchContact+":/contactId/").expect(t, http.StatusCreated)
	anon.post("/_emulator/faults", `{"route":"GET /nowhere","kind":"fail5xx"}`).expect(t, http.StatusBadRequest)
	anon.post("/_emulator/faults", "not a fault").expect(t, http.StatusBadRequest)
	anon.put("/_emulator/faults", nil).expect(t, http.StatusMethodNotAllowed)

	c.get("/v2/server-time").expect(t, http.StatusInternalServerError)
	anon.get("/_emulator/faults").decode(t, &pending)
	if len(pending) != 2 || pending[0].Count != 1 || pending[1].PathContains != "/contactId/" {
		t.Fatalf("pending %+v", pending)
	}
	if m := anon.delete("/_emulator/faults", nil).expect(t, http.StatusOK).obj(t); m["cleared"] != json.Number("2") {
		t.Fatalf("delete: %v", m)
	}
	c.get("/v2/server-time").expect(t, http.StatusOK)
	if s := e.Stats(); s.Calls != 2 || s.FaultsTargeted != 1 {
		t.Fatalf("the endpoint cost API calls or the fault was not counted: calls %d targeted %d", s.Calls, s.FaultsTargeted)
	}
	if !strings.Contains(string(anon.get("/").body), "targeted 1") {
		t.Fatal("the inspection page does not show targeted faults")
	}
}

// TestTargetedConcurrentCalls: of many concurrent matching calls exactly Count get the fault.
func TestTargetedConcurrentCalls(t *testing.T) {
	e, c := start(t, ddemu.Options{})
	inject(t, e, ddemu.TargetedFault{Route: "GET /v2/server-time", Kind: ddemu.FaultFail5xx, Count: 5, Skip: 3})
	var mu sync.Mutex
	counts := map[int]int{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 10 {
				r := c.get("/v2/server-time")
				mu.Lock()
				counts[r.status]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if counts[500] != 5 || counts[200] != 75 || e.Stats().FaultsTargeted != 5 {
		t.Fatalf("statuses %v", counts)
	}
}
