package backfill

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 11, 29, 6, 0, 0, 0, time.UTC)

func TestAddCountsPagesAndBoundsTheLists(t *testing.T) {
	o := Options{MaxListed: 3, MaxRejectedKeys: 4}.WithDefaults(2000)
	var cp Checkpoint
	for page := 0; page < 3; page++ {
		r := PageResult{Partners: 100, Customers: 60, ContactsCreated: 50, ContactsUpdated: 8, OrdersSent: 150, OrdersImported: 149,
			ContactImports: 1, InsightImports: 1, Skipped: map[string]int{SkipNoEmail: 3, SkipExcluded: 1}, ReadSeconds: 0.5}
		r.Failures = []Failure{{Key: fmt.Sprintf("a%d@x.com", page), Reason: "invalid_email"}, {Key: fmt.Sprintf("b%d@x.com", page), Reason: FailRecordRejected}}
		cp.Add(r, o)
	}
	p := cp.Progress
	require.Equal(t, 3, p.Pages)
	require.Equal(t, int64(300), p.Partners)
	require.Equal(t, int64(180), p.Customers)
	require.Equal(t, int64(174), p.ContactsImported())
	require.Equal(t, int64(447), p.OrdersImported)
	require.Equal(t, map[string]int64{SkipNoEmail: 9, SkipExcluded: 3}, p.Skipped)
	require.Equal(t, int64(6), p.FailedCustomers)
	require.Equal(t, map[string]int64{"invalid_email": 3, FailRecordRejected: 3}, p.Failures)
	require.Equal(t, []Failure{{Key: "b1@x.com", Reason: FailRecordRejected}, {Key: "a2@x.com", Reason: "invalid_email"}, {Key: "b2@x.com", Reason: FailRecordRejected}}, p.Recent, "the last MaxListed")
	require.Equal(t, []string{"a0@x.com", "b0@x.com", "a1@x.com", "b1@x.com"}, cp.Rejected)
	require.Equal(t, 2, cp.RejectedDropped, "beyond MaxRejectedKeys keys are counted")
	require.InDelta(t, 1.5, p.ReadSeconds, 1e-9)
}

func TestRateETAAndPercent(t *testing.T) {
	p := Progress{StartedAt: t0, TotalPartners: 1000, Partners: 250, Customers: 150}
	now := t0.Add(50 * time.Second)
	require.InDelta(t, 25.0, p.Percent(), 1e-9)
	require.InDelta(t, 3.0, p.CustomersPerSecond(now), 1e-9)
	eta, ok := p.ETA(now)
	require.True(t, ok)
	require.Equal(t, 150*time.Second, eta, "750 partners left at 5 partners/s")

	_, ok = Progress{StartedAt: t0, TotalPartners: 1000}.ETA(now)
	require.False(t, ok, "no rate yet")

	// Partners created during the run: never above 100% before the end.
	over := Progress{StartedAt: t0, TotalPartners: 100, Partners: 120}
	require.InDelta(t, 100.0, over.Percent(), 1e-9)
	eta, ok = over.ETA(now)
	require.True(t, ok)
	require.Zero(t, eta)

	done := Progress{StartedAt: t0, FinishedAt: t0.Add(40 * time.Second), Done: true, Partners: 10, TotalPartners: 20, Customers: 80}
	require.Equal(t, 100.0, done.Percent())
	require.InDelta(t, 2.0, done.CustomersPerSecond(t0.Add(time.Hour)), 1e-9, "the rate stops at the end")
}

func TestSummaryBarAndMarkdown(t *testing.T) {
	p := Progress{StartedAt: t0, TotalPartners: 158990, Partners: 60712, Customers: 38100, Pages: 21, InFlight: 2,
		ContactsCreated: 38000, ContactsUpdated: 50, OrdersSent: 70000, OrdersImported: 69990, FailedCustomers: 2,
		Failures: map[string]int64{"invalid_email": 2}, Recent: []Failure{{Key: "bad@x.com", Reason: "invalid_email", Detail: "contact import rejected: invalidEmail"}},
		Skipped: map[string]int64{SkipNoEmail: 1500}, AfterID: 61000, Runs: 1}
	now := t0.Add(time.Minute)
	require.Equal(t, " 38.2%  60,712/158,990 partners  38,100 customers  635/s  ETA 1m37s  2 failed", p.Summary(now))
	require.Equal(t, "[=======>            ]", p.Bar(22))
	require.Equal(t, "[====================]", Progress{Done: true}.Bar(22))
	require.Equal(t, "[>                   ]", Progress{}.Bar(22))

	md := p.Markdown(now)
	for _, want := range []string{"**Backfill running**", "| 21 (2 in flight) | 60,712 | 38,100 | 38,050 (38,000 new) | 69,990 of 70,000 | 2 |",
		"Partners not sent: no_email 1,500", "Failed customers by reason: invalid_email 2", "- `bad@x.com` invalid_email contact import rejected: invalidEmail",
		"Resume point: partner id 61000"} {
		require.True(t, strings.Contains(md, want), "markdown lacks %q:\n%s", want, md)
	}
}

func TestGroup(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -4321: "-4,321"} {
		require.Equal(t, want, group(n))
	}
}

func TestOptionDefaults(t *testing.T) {
	o := Options{}.WithDefaults(2000)
	require.Equal(t, 3000, o.PagePartners, "a page is about one contact import")
	require.Equal(t, 2, o.Parallel)
	require.LessOrEqual(t, o.Parallel*o.InsightImports, 4, "leaves one of the account's 5 Insight imports to the live lanes")
	require.Equal(t, 750, Options{}.WithDefaults(500).PagePartners)
	require.Equal(t, 7, Options{Parallel: 7}.WithDefaults(2000).Parallel)
}
