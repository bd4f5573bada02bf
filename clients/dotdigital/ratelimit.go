package dotdigital

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Rate-limit headers (reference §6), read case-insensitively.
const (
	headerLimit      = "X-RateLimit-Limit"
	headerRemaining  = "X-RateLimit-Remaining"
	headerReset      = "X-RateLimit-Reset"
	headerScope      = "X-RateLimit-Scope"
	headerRetryAfter = "Retry-After"
)

const (
	// epochThreshold separates the two X-RateLimit-Reset readings in the
	// wild: larger values are Unix seconds, smaller ones seconds-until.
	epochThreshold = 1e9
	// tieredWindow caps waits for the tiered scheme: its window is a minute.
	tieredWindow = 60 * time.Second
	// flatWindow is the flat scheme's rolling hour.
	flatWindow = time.Hour
	// minRetryAfter keeps callers from spinning on a reset of "0".
	minRetryAfter = 250 * time.Millisecond
	// defaultRetryAfter is used for a 429 without any reset hint (not documented).
	defaultRetryAfter = 10 * time.Second
	// importBusyRetryAfter is used when too many imports are active:
	// they take longer than a rate window to drain.
	importBusyRetryAfter = 30 * time.Second
	// ScopeFlatHourly labels ERROR_APIUSAGE_EXCEEDED when no scope header came with it.
	ScopeFlatHourly = "flatHourly"
)

// RateStatus is one observation of the X-RateLimit-* headers. Limit and
// Remaining are -1 when the header was absent or unreadable; ResetAt is zero
// when unknown. ObservedAt is zero when nothing has been observed yet.
type RateStatus struct {
	Limit      int
	Remaining  int
	ResetAt    time.Time
	Scope      string
	ObservedAt time.Time
}

// parseRateLimit reads the rate-limit headers. ok is false when none of them
// is present. ResetAt is bounded to [now, now+1h].
func parseRateLimit(h http.Header, now time.Time) (RateStatus, bool) {
	limit, hasLimit := headerValue(h, headerLimit)
	remaining, hasRemaining := headerValue(h, headerRemaining)
	reset, hasReset := headerValue(h, headerReset)
	scope, hasScope := headerValue(h, headerScope)
	if !hasLimit && !hasRemaining && !hasReset && !hasScope {
		return RateStatus{Limit: -1, Remaining: -1}, false
	}
	s := RateStatus{Limit: parseCount(limit), Remaining: parseCount(remaining), Scope: sanitiseScope(scope), ObservedAt: now}
	if at, ok := parseReset(reset, now); ok {
		s.ResetAt = at
	}
	return s, true
}

// headerValue looks a header up case-insensitively (HTTP/2 sends lower case;
// Go canonicalises received keys, but a hand-built Header may not be).
func headerValue(h http.Header, name string) (string, bool) {
	if v, ok := h[http.CanonicalHeaderKey(name)]; ok && len(v) > 0 {
		return strings.TrimSpace(v[0]), true
	}
	for k, v := range h {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return strings.TrimSpace(v[0]), true
		}
	}
	return "", false
}

func parseCount(s string) int {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return -1
		}
		n = int64(f)
	}
	if n < 0 {
		return -1
	}
	if n > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(n)
}

// parseReset accepts seconds-until, Unix seconds (> 1e9) or an HTTP date.
func parseReset(s string, now time.Time) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	var at time.Time
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
		switch {
		case f > epochThreshold:
			sec, frac := math.Modf(f)
			if sec > math.MaxInt64/2 {
				sec = math.MaxInt64 / 2
			}
			at = time.Unix(int64(sec), int64(frac*1e9))
		case f <= 0:
			at = now
		default:
			at = now.Add(time.Duration(f * float64(time.Second)))
		}
	} else if t, err := http.ParseTime(s); err == nil {
		at = t
	} else {
		return time.Time{}, false
	}
	if at.Before(now) {
		at = now
	}
	if max := now.Add(flatWindow); at.After(max) {
		at = max
	}
	return at, true
}

// parseRetryAfterHeader reads the standard Retry-After (seconds or date);
// Dotdigital does not document it, so it is only a fallback.
func parseRetryAfterHeader(h http.Header, now time.Time) (time.Duration, bool) {
	v, ok := headerValue(h, headerRetryAfter)
	if !ok || v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			n = 0
		}
		if n > int64(flatWindow/time.Second) {
			n = int64(flatWindow / time.Second)
		}
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return t.Sub(now), true
	}
	return 0, false
}

// sanitiseScope keeps scope labels short and printable: they go into spans.
func sanitiseScope(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return -1
		}
		return r
	}, s)
	if len(s) > 64 {
		s = s[:64]
	}
	return s
}

// retryAfterFor computes how long a rate-limited caller should wait.
// Tiered 429s are capped at the one-minute window; the flat hourly cap
// waits for its reset header or, without one, the hour.
func retryAfterFor(apiErr *APIError, h http.Header, rs RateStatus, hasRS bool, now time.Time) time.Duration {
	flat := codeIs(apiErr.Code, "ERROR_APIUSAGE_EXCEEDED")
	limit := tieredWindow
	if flat {
		limit = flatWindow
	}
	var d time.Duration
	switch {
	case hasRS && !rs.ResetAt.IsZero():
		d = rs.ResetAt.Sub(now)
	default:
		if ra, ok := parseRetryAfterHeader(h, now); ok {
			d = ra
		} else if flat {
			d = flatWindow
		} else if codeIn(apiErr.Code, []string{"contacts:tooManyActiveImports", "insightData:tooManyActiveImports", "contacts:tooManyBulkDeleteJobs"}) {
			d = importBusyRetryAfter
		} else {
			d = defaultRetryAfter
		}
	}
	if d > limit {
		d = limit
	}
	if d < minRetryAfter {
		d = minRetryAfter
	}
	return d
}

// rateTracker keeps the latest observation overall and per scope.
type rateTracker struct {
	mu      sync.Mutex
	latest  RateStatus
	byScope map[string]RateStatus
}

func newRateTracker() *rateTracker {
	return &rateTracker{latest: RateStatus{Limit: -1, Remaining: -1}, byScope: map[string]RateStatus{}}
}

func (t *rateTracker) observe(s RateStatus) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !s.ObservedAt.Before(t.latest.ObservedAt) {
		t.latest = s
	}
	if prev, ok := t.byScope[s.Scope]; !ok || !s.ObservedAt.Before(prev.ObservedAt) {
		t.byScope[s.Scope] = s
	}
}

// RateLimit returns the most recent rate-limit observation of any scope.
// Before the first observation Limit and Remaining are -1 and ObservedAt is zero.
func (c *Client) RateLimit() RateStatus {
	c.limits.mu.Lock()
	defer c.limits.mu.Unlock()
	return c.limits.latest
}

// RateLimitScopes returns the most recent observation per X-RateLimit-Scope
// value ("" for responses without a scope header).
func (c *Client) RateLimitScopes() map[string]RateStatus {
	c.limits.mu.Lock()
	defer c.limits.mu.Unlock()
	out := make(map[string]RateStatus, len(c.limits.byScope))
	for k, v := range c.limits.byScope {
		out[k] = v
	}
	return out
}
