package e2e

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/dotdigital"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/dotdigital/ddemu"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/config"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
)

// peak drives a burst of orders and profile changes against a tight
// Dotdigital rate limit and checks the lane's promises: orders first,
// profile changes coalesced and batched, 429s rare, nothing lost.
func runPeak(t *testing.T, faults ddemu.Faults, ordersP95 time.Duration, ordersFirst bool) {
	s := startStack(t, stackOptions{configure: func(c *config.Config) {
		// The fleet-wide task rate matches the budgets (a few calls per second).
		c.Dotdigital.TasksPerSecond = 5
		// Profile changes wait for a quiet moment (configurable; a peak-day
		// setting), orders never do.
		c.Sync.Debounce = 5 * time.Second
	}, ddOptions: ddemu.Options{
		Window: 5 * time.Second,
		// Single writes are tight (2 calls/s: one order per second by single
		// calls, while the burst brings 30 at once, so bulk imports must carry
		// them); imports have a few calls per second; reads (import polls, the
		// test's own checks) have room, as the real tiers are shaped.
		Limits: map[ddemu.Tier]int{ddemu.TierLow: 20, ddemu.TierMedium: 10, ddemu.TierHigh: 5000},
	}})
	co := s.companies()[0]
	const n = 30
	profiles := make([]int64, n)
	for i := range profiles {
		profiles[i] = s.partner(map[string]any{"name": fmt.Sprintf("Pat Profile%d", i), "email": fmt.Sprintf("pat%d@example.com", i)})
		s.order(profiles[i], co, 1, true)
	}
	for i := range profiles {
		s.waitFields(fmt.Sprintf("pat%d@example.com", i), map[string]any{"ORDER_COUNT": 1.0})
	}
	time.Sleep(6 * time.Second) // a fresh rate window: the burst starts with the full budget
	require.NoError(t, s.DD.SetFaults(faults))
	before := s.DD.Stats()

	// The burst, interleaved as a busy shop would produce it: three profile
	// edits of one existing customer, then a confirmed order of a new guest.
	buyers, orders := make([]int64, n), make([]int64, n)
	start := time.Now()
	for i := range buyers {
		for round := 0; round < 3; round++ {
			s.write("res.partner", profiles[i], map[string]any{"name": fmt.Sprintf("Pat Renamed%d-%d", i, round)})
		}
		buyers[i] = s.partner(map[string]any{"name": fmt.Sprintf("Olly Order%d", i), "email": fmt.Sprintf("olly%d@example.com", i)})
		orders[i] = s.order(buyers[i], co, 2, true)
	}
	t.Logf("burst of %d orders and %d profile changes made in %s", n, 3*n, time.Since(start))

	orderLag, profileLag := map[int]time.Duration{}, map[int]time.Duration{}
	s.eventually("every change of the burst lands", 3*time.Minute, func() (bool, string) {
		time.Sleep(300 * time.Millisecond) // keep the checks' own calls modest
		for i := 0; i < n; i++ {
			// Acknowledgement times are Dotdigital's own (record and contact
			// "updated"), not when this loop happened to look.
			if _, ok := orderLag[i]; !ok {
				if c, ok := s.contact(fmt.Sprintf("olly%d@example.com", i)); ok && num(field(c, "ORDER_COUNT")) == 1 {
					if r, ok := s.record(fmt.Sprintf("olly%d@example.com", i), orders[i]); ok {
						orderLag[i] = later(r.Updated, c.Updated).Sub(start)
					}
				}
			}
			if _, ok := profileLag[i]; !ok {
				if c, ok := s.contact(fmt.Sprintf("pat%d@example.com", i)); ok && fmt.Sprint(field(c, "LASTNAME")) == fmt.Sprintf("Renamed%d-2", i) {
					profileLag[i] = c.Updated.Sub(start)
				}
			}
		}
		return len(orderLag) == n && len(profileLag) == n, fmt.Sprintf("orders %d/%d, profiles %d/%d", len(orderLag), n, len(profileLag), n)
	})
	after := s.DD.Stats()
	calls := after.Calls - before.Calls
	throttled := after.Status429 - before.Status429
	ops, pps := durations(orderLag), durations(profileLag)
	t.Logf("acknowledged after the burst began: orders p50 %s p95 %s max %s; profiles p50 %s p95 %s max %s", pct(ops, .5), pct(ops, .95), pct(ops, 1), pct(pps, .5), pct(pps, .95), pct(pps, 1))
	t.Logf("Dotdigital calls %d, 429s %d, contact imports %d, Insight imports %d, injected 5xx %d, timeouts %d",
		calls, throttled, after.ContactImportsRun-before.ContactImportsRun, after.InsightImportsRun-before.InsightImportsRun,
		after.Faults5xx-before.Faults5xx, after.FaultsTimeout-before.FaultsTimeout)

	require.Less(t, float64(throttled), 0.01*float64(calls)+1, "429s stay under 1%% of calls")
	require.LessOrEqual(t, pct(ops, .95), ordersP95, "orders p95 stays bounded under the peak")
	if ordersFirst {
		// Orders go first: the last orders land before the profile changes
		// (debounced, then sent in bulk behind them) have drained.
		require.LessOrEqual(t, pct(ops, .95), pct(pps, .95), "orders are served before profile changes")
	}
	patches := after.ByRoute["PATCH /contacts/v3/{identifier}/{value}"].Total - before.ByRoute["PATCH /contacts/v3/{identifier}/{value}"].Total
	require.Less(t, patches, int64(3*n), "profile changes are coalesced: fewer contact writes than changes")
	// Exactly once in effect: one contact per customer (Dotdigital's
	// identifiers are unique), each with its final values, checked above.
	require.Equal(t, before.Contacts+n, after.Contacts, "one new contact per new customer")
}

func TestPeakUnderTightRateLimit(t *testing.T) {
	runPeak(t, ddemu.Faults{}, 20*time.Second, true)
}

// With 5% of calls failing and 2% timing out, retries (with backoff) make
// the order of completion noisy; what must hold is that nothing is lost,
// 429s stay rare and orders still land within bounds.
func TestPeakWithInjected5xxAndTimeouts(t *testing.T) {
	runPeak(t, ddemu.Faults{Fault5xxRate: 0.05, TimeoutRate: 0.02, TimeoutDelay: 2 * time.Second}, 30*time.Second, false)
}

func durations(m map[int]time.Duration) []time.Duration {
	out := make([]time.Duration, 0, len(m))
	for _, d := range m {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func pct(s []time.Duration, q float64) time.Duration {
	if len(s) == 0 {
		return 0
	}
	i := int(q*float64(len(s))+0.5) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(s) {
		i = len(s) - 1
	}
	return s[i]
}

// record reads one Insight record (a high-tier single read, unlike the
// low-tier listing, so the check does not eat the lane's import budget).
func (s *stack) record(email string, orderID int64) (dotdigital.Record, bool) {
	r, err := s.DDC.GetContactRecord(s.ctx, "Orders", email, customer.RecordKey(orderID))
	return r, err == nil
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
