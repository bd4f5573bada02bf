package main

import (
	"net/http"
	"sort"
	"sync/atomic"
	"time"
)

// percentile returns the q-quantile (0..1) of the durations by the
// nearest-rank method: the smallest sample with at least q of all samples
// at or below it (so p99 of fewer than 100 samples is the largest).
func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := int(q*float64(len(s)) + 0.999999)
	if rank < 1 {
		rank = 1
	}
	if rank > len(s) {
		rank = len(s)
	}
	return s[rank-1]
}

func maxDur(ds []time.Duration) time.Duration {
	var m time.Duration
	for _, d := range ds {
		if d > m {
			m = d
		}
	}
	return m
}

// countingTransport counts the harness's own HTTP calls, so that they can
// be told apart from the service's in the emulator's statistics.
type countingTransport struct {
	base  http.RoundTripper
	calls atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.calls.Add(1)
	return c.base.RoundTrip(r)
}

func newCountingClient() (*http.Client, *countingTransport) {
	t := &countingTransport{base: &http.Transport{MaxIdleConnsPerHost: 32, IdleConnTimeout: 30 * time.Second}}
	return &http.Client{Transport: t}, t
}
