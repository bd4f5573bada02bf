package lag

import (
	"sort"
	"time"
)

// Quantiles returns the nearest-rank median, 95th percentile and maximum of
// samples (zero for no samples). samples is not modified.
func Quantiles(samples []time.Duration) (p50, p95, max time.Duration) {
	if len(samples) == 0 {
		return 0, 0, 0
	}
	s := append([]time.Duration(nil), samples...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := func(p int) time.Duration {
		// nearest rank: the smallest value with at least p% of samples at or below it
		i := (p*len(s) + 99) / 100
		if i < 1 {
			i = 1
		}
		return s[i-1]
	}
	return rank(50), rank(95), s[len(s)-1]
}

// Summarise fills the recent-sync part of a class from its lag samples.
func (c *ClassLag) Summarise(samples []time.Duration) {
	c.Recent = len(samples)
	c.P50, c.P95, c.Max = Quantiles(samples)
}
