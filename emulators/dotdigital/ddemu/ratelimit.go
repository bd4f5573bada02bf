package ddemu

import (
	"maps"
	"sync"
	"time"
)

// rateDecision is the outcome of charging (or peeking at) one call.
type rateDecision struct {
	allowed bool
	// headers are false when the tier is unlimited or the flat scheme is on:
	// then no X-RateLimit-* headers are sent.
	headers   bool
	limit     int
	remaining int
	resetAt   time.Time
	scope     string
	flat      bool // denied by the flat hourly cap (ERROR_APIUSAGE_EXCEEDED)
}

// tierWindow is a fixed window that opens with the first call after the previous one closed.
type tierWindow struct {
	start time.Time
	used  int
}

// limiter enforces the tiered per-window limits or the legacy flat rolling cap,
// and counts calls per minute for account-info's ApiCallsInLastHour.
type limiter struct {
	mu         sync.Mutex
	limits     map[Tier]int
	window     time.Duration
	windows    map[Tier]*tierWindow
	flat       int
	flatWindow time.Duration
	flatCalls  []time.Time // ring of the accepted calls inside the flat window, oldest first
	hour       [60]minuteBucket
}

type minuteBucket struct {
	minute int64
	n      int
}

func newLimiter(o Options) *limiter {
	l := &limiter{
		limits:     maps.Clone(o.Limits),
		window:     o.Window,
		windows:    map[Tier]*tierWindow{},
		flat:       o.FlatHourly,
		flatWindow: o.FlatWindow,
	}
	if l.limits == nil {
		l.limits = map[Tier]int{}
	}
	return l
}

func (l *limiter) setLimits(m map[Tier]int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.limits = maps.Clone(m)
	if l.limits == nil {
		l.limits = map[Tier]int{}
	}
}

func (l *limiter) setFlat(n int, window time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flat = n
	if window > 0 {
		l.flatWindow = window
	}
	l.flatCalls = nil
}

// take charges one call of the tier at now, unless the budget is exhausted.
func (l *limiter) take(t Tier, now time.Time) rateDecision {
	return l.decide(t, now, true)
}

// peek reports the tier's state without charging (used for 401 answers).
func (l *limiter) peek(t Tier, now time.Time) rateDecision {
	return l.decide(t, now, false)
}

func (l *limiter) decide(t Tier, now time.Time, charge bool) rateDecision {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.flat > 0 {
		return l.decideFlat(now, charge)
	}
	limit := l.limits[t]
	if t == TierUnlimited || limit <= 0 {
		if charge {
			l.countHour(now)
		}
		return rateDecision{allowed: true}
	}
	w := l.windows[t]
	if w == nil {
		w = &tierWindow{start: now}
		l.windows[t] = w
	}
	if !now.Before(w.start.Add(l.window)) {
		w.start, w.used = now, 0
	}
	d := rateDecision{allowed: true, headers: true, limit: limit, resetAt: w.start.Add(l.window), scope: t.scope()}
	if charge {
		if w.used >= limit {
			d.allowed = false
		} else {
			w.used++
			l.countHour(now)
		}
	}
	d.remaining = max(0, limit-w.used)
	return d
}

func (l *limiter) decideFlat(now time.Time, charge bool) rateDecision {
	cutoff := now.Add(-l.flatWindow)
	i := 0
	for i < len(l.flatCalls) && !l.flatCalls[i].After(cutoff) {
		i++
	}
	l.flatCalls = l.flatCalls[i:]
	d := rateDecision{allowed: true}
	if charge {
		if len(l.flatCalls) >= l.flat {
			d.allowed, d.flat = false, true
		} else {
			l.flatCalls = append(l.flatCalls, now)
			l.countHour(now)
		}
	}
	return d
}

// countHour records an accepted call in the per-minute ring.
func (l *limiter) countHour(now time.Time) {
	m := now.Unix() / 60
	b := &l.hour[m%60]
	if b.minute != m {
		b.minute, b.n = m, 0
	}
	b.n++
}

// usage returns the calls accepted in the last hour and the calls the flat
// scheme still allows (2000 minus usage when the tiered scheme is on, as the
// account-info example reports for the historical flat default).
func (l *limiter) usage(now time.Time) (lastHour, remaining int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := now.Unix() / 60
	for _, b := range l.hour {
		if b.minute > m-60 {
			lastHour += b.n
		}
	}
	if l.flat > 0 {
		cutoff := now.Add(-l.flatWindow)
		n := 0
		for _, t := range l.flatCalls {
			if t.After(cutoff) {
				n++
			}
		}
		return lastHour, max(0, l.flat-n)
	}
	return lastHour, max(0, 2000-lastHour)
}
