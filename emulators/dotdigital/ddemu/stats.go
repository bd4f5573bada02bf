package ddemu

import (
	"fmt"
	"maps"
	"sync"
)

// RouteStats counts the calls of one route.
type RouteStats struct {
	Total    int64
	ByClass  map[string]int64 // "2xx", "4xx", "5xx"
	ByStatus map[int]int64
}

// Stats is a snapshot of the emulator's counters. Calls counts every
// authenticated request to a known route (whether or not it was throttled or faulted).
type Stats struct {
	Calls       int64
	CallsByTier map[Tier]int64
	ByRoute     map[string]RouteStats // key "METHOD /pattern", e.g. "PATCH /contacts/v3/{identifier}/{value}"

	Unauthorized int64 // 401 answers (they do not consume rate budget)
	Throttled    int64 // 429 answers for exhausted call-rate budget
	FlatCapped   int64 // 400 ERROR_APIUSAGE_EXCEEDED answers (flat scheme)
	Status429    int64 // every 429 answer, including too many active imports/jobs
	NotFound     int64 // 404 answers for unknown routes

	Faults5xx        int64 // injected 500/503 before effect
	FaultsTimeout    int64 // injected hangs answered 504
	FaultsSlow       int64 // injected slow responses
	FaultsApplied5xx int64 // effect applied, then answered 500/503
	FaultsTargeted   int64 // targeted faults fired (InjectFault); not counted in the four above

	ContactImportsRun   int64 // contact imports processed to Finished
	InsightImportsRun   int64 // Insight imports processed to Finished
	BulkDeletesRun      int64 // contact bulk-delete jobs processed
	ImportsRejected     int64 // import submissions refused by the concurrency limits
	ChannelStatusWrites int64 // contact writes that carried an email channel status
	Resubscribes        int64 // contacts moved from unsubscribed back to subscribed

	Contacts       int // live contacts (not in the recycle bin)
	BinnedContacts int
	InsightRecords int
	Lists          int
}

// statsCollector is the mutable side of Stats.
type statsCollector struct {
	mu sync.Mutex
	s  Stats
}

func newStatsCollector() *statsCollector {
	return &statsCollector{s: Stats{CallsByTier: map[Tier]int64{}, ByRoute: map[string]RouteStats{}}}
}

func (c *statsCollector) update(f func(s *Stats)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f(&c.s)
}

func (c *statsCollector) recordCall(r *route, status int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.s.Calls++
	c.s.CallsByTier[r.tier]++
	rs := c.s.ByRoute[r.name]
	if rs.ByClass == nil {
		rs.ByClass, rs.ByStatus = map[string]int64{}, map[int]int64{}
	}
	rs.Total++
	rs.ByClass[statusClass(status)]++
	rs.ByStatus[status]++
	c.s.ByRoute[r.name] = rs
	if status == 429 {
		c.s.Status429++
	}
}

func statusClass(status int) string { return fmt.Sprintf("%dxx", status/100) }

func (c *statsCollector) snapshot() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.s
	s.CallsByTier = maps.Clone(c.s.CallsByTier)
	s.ByRoute = make(map[string]RouteStats, len(c.s.ByRoute))
	for k, v := range c.s.ByRoute {
		s.ByRoute[k] = RouteStats{Total: v.Total, ByClass: maps.Clone(v.ByClass), ByStatus: maps.Clone(v.ByStatus)}
	}
	return s
}
