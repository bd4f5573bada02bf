package dotdigital

import (
	"errors"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"
)

func TestParseRateLimit(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		name       string
		h          http.Header
		ok         bool
		limit, rem int
		resetIn    time.Duration
		scope      string
	}{
		{"none", http.Header{}, false, -1, -1, -1, ""},
		{"delta seconds", http.Header{"X-Ratelimit-Limit": {"150"}, "X-Ratelimit-Remaining": {"149"}, "X-Ratelimit-Reset": {"42"}, "X-Ratelimit-Scope": {"lowCallRate"}},
			true, 150, 149, 42 * time.Second, "lowCallRate"},
		{"epoch seconds", http.Header{"X-Ratelimit-Reset": {strconv.FormatInt(now.Unix()+17, 10)}, "X-Ratelimit-Remaining": {"0"}},
			true, -1, 0, 17 * time.Second, ""},
		{"lower-case keys as HTTP/2 sends them", http.Header{"x-ratelimit-limit": {"10"}, "x-ratelimit-remaining": {"3"}, "x-ratelimit-reset": {"5"}},
			true, 10, 3, 5 * time.Second, ""},
		{"fractional delta", http.Header{"X-Ratelimit-Reset": {"1.5"}}, true, -1, -1, 1500 * time.Millisecond, ""},
		{"past epoch clamps to now", http.Header{"X-Ratelimit-Reset": {strconv.FormatInt(now.Unix()-100, 10)}}, true, -1, -1, 0, ""},
		{"far epoch clamps to an hour", http.Header{"X-Ratelimit-Reset": {strconv.FormatInt(now.Unix()+86400, 10)}}, true, -1, -1, time.Hour, ""},
		{"http date", http.Header{"X-Ratelimit-Reset": {now.Add(30 * time.Second).Format(http.TimeFormat)}}, true, -1, -1, 30 * time.Second, ""},
		{"garbage", http.Header{"X-Ratelimit-Limit": {"lots"}, "X-Ratelimit-Reset": {"soon"}}, true, -1, -1, -1, ""},
		{"negative remaining", http.Header{"X-Ratelimit-Remaining": {"-5"}}, true, -1, -1, -1, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, ok := parseRateLimit(tc.h, now)
			if ok != tc.ok || s.Limit != tc.limit || s.Remaining != tc.rem || s.Scope != tc.scope {
				t.Fatalf("got %+v ok=%v", s, ok)
			}
			if tc.resetIn < 0 {
				if !s.ResetAt.IsZero() {
					t.Errorf("ResetAt = %v, want zero", s.ResetAt)
				}
			} else if got := s.ResetAt.Sub(now); got != tc.resetIn {
				t.Errorf("reset in %v, want %v", got, tc.resetIn)
			}
			if ok && !s.ObservedAt.Equal(now) {
				t.Errorf("ObservedAt = %v", s.ObservedAt)
			}
		})
	}
}

func TestRetryAfterFor(t *testing.T) {
	now := time.Now()
	tiered := &APIError{Status: 429}
	flat := &APIError{Status: 400, Code: "ERROR_APIUSAGE_EXCEEDED"}
	imports := &APIError{Status: 429, Code: "contacts:tooManyActiveImports"}
	rs := func(h http.Header) (RateStatus, bool) { return parseRateLimit(h, now) }
	cases := []struct {
		name string
		e    *APIError
		h    http.Header
		want time.Duration
	}{
		{"delta", tiered, http.Header{"X-Ratelimit-Reset": {"12"}}, 12 * time.Second},
		{"epoch", tiered, http.Header{"X-Ratelimit-Reset": {strconv.FormatInt(now.Add(20*time.Second).Unix(), 10)}}, 20 * time.Second},
		{"tiered capped at a minute", tiered, http.Header{"X-Ratelimit-Reset": {"3600"}}, time.Minute},
		{"zero floors", tiered, http.Header{"X-Ratelimit-Reset": {"0"}}, minRetryAfter},
		{"Retry-After fallback", tiered, http.Header{"Retry-After": {"7"}}, 7 * time.Second},
		{"no hint", tiered, http.Header{}, defaultRetryAfter},
		{"imports busy", imports, http.Header{}, importBusyRetryAfter},
		{"flat no hint waits the hour", flat, http.Header{}, time.Hour},
		{"flat with reset", flat, http.Header{"X-Ratelimit-Reset": {"900"}}, 900 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, ok := rs(tc.h)
			got := retryAfterFor(tc.e, tc.h, s, ok, now)
			if diff := got - tc.want; diff > time.Second || diff < -time.Second {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRateLimitObservedOnEveryResponse(t *testing.T) {
	var mu sync.Mutex
	remaining := 5
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		remaining--
		rem := remaining
		mu.Unlock()
		w.Header().Set("X-RateLimit-Limit", "5")
		w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(rem))
		w.Header().Set("X-RateLimit-Reset", "30")
		w.Header().Set("X-RateLimit-Scope", "mediumCallRate")
		if r.URL.Path == "/v2/data-fields" {
			w.Header().Set("X-RateLimit-Scope", "highCallRate")
			writeRaw(w, 200, `[]`)
			return
		}
		writeRaw(w, 404, `{"errorCode":"contacts:contactNotFound"}`)
	})
	var hook []RateStatus
	var hookMu sync.Mutex
	c := f.client(t, func(cfg *Config) {
		cfg.OnRateLimit = func(s RateStatus) { hookMu.Lock(); hook = append(hook, s); hookMu.Unlock() }
	})
	if rs := c.RateLimit(); rs.Remaining != -1 || !rs.ObservedAt.IsZero() {
		t.Fatalf("before any call: %+v", rs)
	}
	_, err := c.GetContact(ctxT(t), "a@example.com")
	if !IsContactNotFound(err) {
		t.Fatal(err)
	}
	rs := c.RateLimit()
	if rs.Limit != 5 || rs.Remaining != 4 || rs.Scope != "mediumCallRate" || rs.ResetAt.IsZero() {
		t.Fatalf("after error response: %+v", rs)
	}
	_, err = c.ListDataFields(ctxT(t))
	mustNoErr(t, err)
	if rs := c.RateLimit(); rs.Remaining != 3 || rs.Scope != "highCallRate" {
		t.Fatalf("latest: %+v", rs)
	}
	scopes := c.RateLimitScopes()
	if scopes["mediumCallRate"].Remaining != 4 || scopes["highCallRate"].Remaining != 3 {
		t.Fatalf("per scope: %+v", scopes)
	}
	if len(hook) != 2 || hook[0].Remaining != 4 || hook[1].Remaining != 3 {
		t.Fatalf("hook saw %+v", hook)
	}
}

func TestTooManyRequests(t *testing.T) {
	for _, format := range []string{"delta", "epoch"} {
		t.Run(format, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
				reset := "9"
				if format == "epoch" {
					reset = strconv.FormatInt(time.Now().Add(9*time.Second).Unix(), 10)
				}
				w.Header().Set("X-RateLimit-Limit", "150")
				w.Header().Set("X-RateLimit-Remaining", "0")
				w.Header().Set("X-RateLimit-Reset", reset)
				w.Header().Set("X-RateLimit-Scope", "lowCallRate")
				writeRaw(w, 429, `{"errorCode":"contacts:tooManyRequests","description":"Too many requests"}`)
			})
			c := f.client(t)
			_, _, err := c.UpsertContact(ctxT(t), "a@example.com", ContactUpdate{})
			var rl *RateLimitedError
			if !errors.As(err, &rl) {
				t.Fatalf("want *RateLimitedError, got %T %v", err, err)
			}
			if rl.Scope != "lowCallRate" {
				t.Errorf("scope %q", rl.Scope)
			}
			if d := rl.RetryAfter - 9*time.Second; d > time.Second || d < -time.Second {
				t.Errorf("RetryAfter %v, want ~9s", rl.RetryAfter)
			}
			if d, ok := RetryAfter(err); !ok || d != rl.RetryAfter {
				t.Errorf("RetryAfter(err) = %v %v", d, ok)
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.Status != 429 || apiErr.Code != "contacts:tooManyRequests" {
				t.Errorf("wrapped APIError %+v", apiErr)
			}
			if !Retryable(err) || !IsRateLimited(err) {
				t.Error("429 must be retryable and rate limited")
			}
			if c.RateLimit().Remaining != 0 {
				t.Error("429 response headers not observed")
			}
		})
	}
}

func TestFlatHourlyCap(t *testing.T) {
	f := newFake(t, respond(400, `{"message":"Your account has generated excess API activity and is being temporarily capped. Please contact support. ERROR_APIUSAGE_EXCEEDED"}`))
	_, err := f.client(t).ListDataFields(ctxT(t))
	var rl *RateLimitedError
	if !errors.As(err, &rl) {
		t.Fatalf("want *RateLimitedError, got %v", err)
	}
	if rl.Scope != ScopeFlatHourly || rl.RetryAfter != time.Hour || !Retryable(err) {
		t.Errorf("got %+v", rl)
	}
}
