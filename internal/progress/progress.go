// Package progress keeps in-process counters of acknowledged syncs and a
// window of recent lags, for the demo's status line and the benchmarks.
// Fleet-wide figures come from metrics and the lag monitor instead.
package progress

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// window is how many recent lags are kept for percentiles.
const window = 4096

// Tracker is safe for concurrent use; a nil *Tracker ignores everything.
type Tracker struct {
	start   time.Time
	synced  atomic.Int64
	blocked atomic.Int64
	mu      sync.Mutex
	lags    map[string]*ring // by priority class (order, status, profile)
}

type ring struct {
	lags []time.Duration
	next int
}

func (r *ring) add(d time.Duration) {
	if len(r.lags) < window {
		r.lags = append(r.lags, d)
		return
	}
	r.lags[r.next] = d
	r.next = (r.next + 1) % window
}

// New returns an empty tracker.
func New() *Tracker { return &Tracker{start: time.Now(), lags: map[string]*ring{}} }

// Synced records an acknowledged customer write. Its lag counts in the
// percentiles only for changes made after the tracker started: the first
// sync of old data (an initial load) says nothing about live lag.
func (t *Tracker) Synced(class string, changed, acked time.Time) {
	if t == nil {
		return
	}
	t.synced.Add(1)
	lag := acked.Sub(changed)
	if changed.Before(t.start) || lag <= 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	r, ok := t.lags[class]
	if !ok {
		r = &ring{}
		t.lags[class] = r
	}
	r.add(lag)
}

// Blocked records a customer parked as blocked.
func (t *Tracker) Blocked() {
	if t != nil {
		t.blocked.Add(1)
	}
}

// Counts returns the totals.
func (t *Tracker) Counts() (synced, blocked int64) {
	if t == nil {
		return 0, 0
	}
	return t.synced.Load(), t.blocked.Load()
}

// Percentile returns the q-quantile (0..1) of the recent lags of a class.
func (t *Tracker) Percentile(class string, q float64) time.Duration {
	if t == nil {
		return 0
	}
	t.mu.Lock()
	var s []time.Duration
	if r, ok := t.lags[class]; ok {
		s = append(s, r.lags...)
	}
	t.mu.Unlock()
	if len(s) == 0 {
		return 0
	}
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(q*float64(len(s))+0.5) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(s) {
		i = len(s) - 1
	}
	return s[i]
}
