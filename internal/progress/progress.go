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
	lags    []time.Duration
	next    int
}

// New returns an empty tracker.
func New() *Tracker { return &Tracker{start: time.Now(), lags: make([]time.Duration, 0, window)} }

// Synced records an acknowledged customer write. Its lag counts in the
// percentiles only for changes made after the tracker started: the first
// sync of old data (an initial load) says nothing about live lag.
func (t *Tracker) Synced(changed, acked time.Time) {
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
	if len(t.lags) < window {
		t.lags = append(t.lags, lag)
		return
	}
	t.lags[t.next] = lag
	t.next = (t.next + 1) % window
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

// Percentile returns the q-quantile (0..1) of the recent lags.
func (t *Tracker) Percentile(q float64) time.Duration {
	if t == nil {
		return 0
	}
	t.mu.Lock()
	s := append([]time.Duration(nil), t.lags...)
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
