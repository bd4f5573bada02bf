package ddemu_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/dotdigital/ddemu"
)

func rateHeaders(t *testing.T, r *resp) (limit, remaining, reset int64, scope string) {
	t.Helper()
	var err error
	parse := func(name string) int64 {
		v, perr := strconv.ParseInt(r.header.Get(name), 10, 64)
		if perr != nil {
			err = perr
		}
		return v
	}
	limit, remaining, reset = parse("X-RateLimit-Limit"), parse("X-RateLimit-Remaining"), parse("X-RateLimit-Reset")
	if err != nil {
		t.Fatalf("rate-limit headers missing or malformed (status %d): %v; headers %v", r.status, err, r.header)
	}
	return limit, remaining, reset, r.header.Get("X-RateLimit-Scope")
}

func TestTieredLimitsHeadersAnd429(t *testing.T) {
	e, c := start(t, ddemu.Options{Limits: map[ddemu.Tier]int{ddemu.TierMedium: 3, ddemu.TierHigh: 100, ddemu.TierLow: 2}})
	for i := range 3 {
		r := c.upsert("a@example.com", nil)
		if r.status != http.StatusCreated && r.status != http.StatusOK {
			t.Fatalf("call %d: %d", i, r.status)
		}
		limit, remaining, reset, scope := rateHeaders(t, r)
		if limit != 3 || remaining != int64(2-i) || reset < 1 || reset > 60 || scope != "mediumCallRate" {
			t.Fatalf("call %d headers: limit %d remaining %d reset %d scope %q", i, limit, remaining, reset, scope)
		}
	}
	r := c.upsert("a@example.com", nil)
	r.v3err(t, http.StatusTooManyRequests, "contacts:tooManyRequests")
	if _, remaining, reset, scope := rateHeaders(t, r); remaining != 0 || reset < 1 || scope != "mediumCallRate" {
		t.Fatalf("429 headers: remaining %d reset %d scope %s", remaining, reset, scope)
	}
	// other tiers keep their own budget; an error answer still carries headers
	r = c.get("/contacts/v3/email/nobody@example.com").expect(t, http.StatusNotFound)
	if limit, remaining, _, scope := rateHeaders(t, r); limit != 100 || remaining != 99 || scope != "highCallRate" {
		t.Fatalf("high tier headers: %v", r.header)
	}
	// v2 429 body
	c.post("/v2/address-books", map[string]any{"name": "X"}).expect(t, http.StatusTooManyRequests)
	r = c.post("/v2/data-fields", map[string]any{"name": "X", "type": "String"})
	if msg := r.v2err(t, http.StatusTooManyRequests, ""); msg != "Too many requests" {
		t.Fatalf("v2 429 message %q", msg)
	}
	// throttled writes had no effect
	var books []struct{ Name string }
	c.get("/v2/address-books").expect(t, http.StatusOK).decode(t, &books)
	if len(books) != 1 || books[0].Name != "Test" {
		t.Fatalf("a throttled create took effect: %+v", books)
	}
	st := e.Stats()
	if st.Throttled != 3 || st.Status429 != 3 || st.CallsByTier[ddemu.TierMedium] != 6 {
		t.Fatalf("stats: throttled %d 429s %d medium %d", st.Throttled, st.Status429, st.CallsByTier[ddemu.TierMedium])
	}
	if st.ByRoute["PATCH /contacts/v3/{identifier}/{value}"].ByStatus[429] != 1 {
		t.Fatalf("per-route 429 count: %+v", st.ByRoute["PATCH /contacts/v3/{identifier}/{value}"])
	}

	// run-time change: throttle hard, then recover
	e.SetLimits(map[ddemu.Tier]int{ddemu.TierHigh: 1})
	c.get("/v2/data-fields").expect(t, http.StatusTooManyRequests)
	e.SetLimits(nil)
	r = c.get("/v2/data-fields").expect(t, http.StatusOK)
	if r.header.Get("X-RateLimit-Limit") != "" {
		t.Fatalf("unlimited tier should carry no rate headers: %v", r.header)
	}
	c.upsert("a@example.com", nil).expect(t, http.StatusOK)
}

func TestWindowResetsAndEpochFormat(t *testing.T) {
	_, c := start(t, ddemu.Options{Limits: map[ddemu.Tier]int{ddemu.TierHigh: 2}, Window: 1500 * time.Millisecond, ResetFormat: ddemu.ResetEpoch})
	first := c.get("/v2/account-info").expect(t, http.StatusOK)
	_, _, reset, _ := rateHeaders(t, first)
	now := time.Now().Unix()
	if reset < now || reset > now+3 {
		t.Fatalf("epoch reset %d, now %d", reset, now)
	}
	c.get("/v2/account-info").expect(t, http.StatusOK)
	r := c.get("/v2/account-info").expect(t, http.StatusTooManyRequests)
	_, _, reset2, _ := rateHeaders(t, r)
	if reset2 != reset {
		t.Fatalf("reset moved inside one window: %d vs %d", reset2, reset)
	}
	time.Sleep(time.Until(time.Unix(reset, 0)) + 50*time.Millisecond)
	r = c.get("/v2/account-info").expect(t, http.StatusOK)
	if _, remaining, _, _ := rateHeaders(t, r); remaining != 1 {
		t.Fatalf("after the window: remaining %d", remaining)
	}
}

func TestDeltaResetCountsDown(t *testing.T) {
	_, c := start(t, ddemu.Options{Limits: map[ddemu.Tier]int{ddemu.TierHigh: 10}, Window: 3 * time.Second})
	_, _, r1, _ := rateHeaders(t, c.get("/v2/server-time"))
	time.Sleep(1100 * time.Millisecond)
	_, _, r2, _ := rateHeaders(t, c.get("/v2/server-time"))
	if r1 != 3 || r2 != 2 {
		t.Fatalf("delta resets %d then %d, want 3 then 2", r1, r2)
	}
}

func TestFlatHourlyMode(t *testing.T) {
	e, c := start(t, ddemu.Options{FlatHourly: 3, FlatWindow: 800 * time.Millisecond,
		Limits: map[ddemu.Tier]int{ddemu.TierHigh: 1}})
	for range 3 {
		r := c.get("/v2/server-time").expect(t, http.StatusOK)
		if r.header.Get("X-RateLimit-Limit") != "" {
			t.Fatal("flat scheme sends no tier headers")
		}
	}
	msg := c.upsert("a@example.com", nil).v2err(t, http.StatusBadRequest, "ERROR_APIUSAGE_EXCEEDED")
	if msg != "Your account has generated excess API activity and is being temporarily capped. Please contact support. ERROR_APIUSAGE_EXCEEDED" {
		t.Fatalf("message %q", msg)
	}
	c.get("/v2/account-info").v2err(t, http.StatusBadRequest, "ERROR_APIUSAGE_EXCEEDED")
	c.get("/contacts/v3/email/a@example.com").v2err(t, http.StatusBadRequest, "ERROR_APIUSAGE_EXCEEDED")
	time.Sleep(850 * time.Millisecond)
	var info struct {
		Properties []struct{ Name, Value string }
	}
	c.get("/v2/account-info").expect(t, http.StatusOK).decode(t, &info)
	for _, p := range info.Properties {
		if p.Name == "ApiCallsRemaining" && p.Value != "2" {
			t.Fatalf("ApiCallsRemaining %s, want 2", p.Value)
		}
	}
	if s := e.Stats(); s.FlatCapped != 3 || s.Status429 != 0 {
		t.Fatalf("stats: flat %d 429 %d", s.FlatCapped, s.Status429)
	}
	e.SetFlatHourly(0, 0)
	c.get("/v2/server-time").expect(t, http.StatusOK)
	c.get("/v2/server-time").expect(t, http.StatusTooManyRequests)
}
