package lag

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
)

var (
	t0         = time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	thresholds = Thresholds{Orders: 5 * time.Minute, Profiles: 30 * time.Minute, PollInterval: 5 * time.Second}
)

// at builds a measurement n minutes after t0 with the given order and
// profile backlog ages.
func at(n int, orders, profiles time.Duration) Measurement {
	return Measurement{
		At: t0.Add(time.Duration(n) * time.Minute),
		Classes: map[string]ClassLag{
			ClassOrder:   {Pending: 3, BacklogAge: orders},
			ClassProfile: {Pending: 7, BacklogAge: profiles},
		},
		PollerAge: time.Second,
		Window:    5 * time.Minute,
	}
}

// run evaluates measurements in order and returns every alert raised.
func run(ms ...Measurement) (State, []Alert) {
	var st State
	var all []Alert
	for _, m := range ms {
		var alerts []Alert
		st, alerts = Evaluate(st, m, thresholds)
		all = append(all, alerts...)
	}
	return st, all
}

func TestClassNamesMatchCustomerClasses(t *testing.T) {
	assert.Equal(t, customer.ClassOrder.String(), ClassOrder)
	assert.Equal(t, customer.ClassStatus.String(), ClassStatus)
	assert.Equal(t, customer.ClassProfile.String(), ClassProfile)
}

func TestIncidentOpensWithOneAlert(t *testing.T) {
	st, alerts := run(at(0, time.Minute, 0), at(1, 6*time.Minute, 0))
	require.Len(t, alerts, 1)
	a := alerts[0]
	assert.Equal(t, KindFiring, a.Kind)
	assert.Equal(t, GroupOrders, a.Group)
	assert.Equal(t, 6*time.Minute, a.Lag)
	assert.Equal(t, 5*time.Minute, a.Threshold)
	assert.Equal(t, t0.Add(time.Minute), a.Since)
	assert.Contains(t, a.Detail, "order backlog")
	assert.True(t, st.IsOpen(GroupOrders))
	assert.False(t, st.IsOpen(GroupProfiles))
	assert.Equal(t, 1, st.Fired)
}

func TestAtThresholdDoesNotFire(t *testing.T) {
	_, alerts := run(at(0, 5*time.Minute, 30*time.Minute))
	assert.Empty(t, alerts)
}

func TestOpenIncidentIsNotRepeated(t *testing.T) {
	st, alerts := run(at(0, 6*time.Minute, 0), at(1, 7*time.Minute, 0), at(2, 9*time.Minute, 0), at(3, 8*time.Minute, 0))
	require.Len(t, alerts, 1, "one incident, one alert")
	inc := st.Open[GroupOrders]
	assert.Equal(t, 9*time.Minute, inc.Peak)
	assert.Equal(t, 8*time.Minute, inc.Lag)
	assert.Equal(t, t0, inc.Since)
}

func TestHysteresisNeedsConsecutiveMeasurementsUnder(t *testing.T) {
	// under once, over again, under once: still open, no all-clear
	st, alerts := run(at(0, 6*time.Minute, 0), at(1, time.Minute, 0), at(2, 6*time.Minute, 0), at(3, time.Minute, 0))
	require.Len(t, alerts, 1)
	assert.True(t, st.IsOpen(GroupOrders))
	assert.Equal(t, 1, st.Open[GroupOrders].Under)
}

func TestAllClearAfterRecovery(t *testing.T) {
	st, alerts := run(at(0, 6*time.Minute, 0), at(1, 10*time.Minute, 0), at(2, time.Second, 0), at(3, 2*time.Second, 0), at(4, time.Second, 0))
	require.Len(t, alerts, 2)
	clear := alerts[1]
	assert.Equal(t, KindResolved, clear.Kind)
	assert.Equal(t, GroupOrders, clear.Group)
	assert.Equal(t, t0, clear.Since)
	assert.Equal(t, t0.Add(3*time.Minute), clear.At)
	assert.Equal(t, 10*time.Minute, clear.Peak)
	assert.Equal(t, 2*time.Second, clear.Lag)
	assert.False(t, st.IsOpen(GroupOrders))
	assert.Nil(t, st.Open)
	assert.Equal(t, 1, st.Resolved)
}

func TestNewIncidentAfterAllClear(t *testing.T) {
	_, alerts := run(at(0, 6*time.Minute, 0), at(1, 0, 0), at(2, 0, 0), at(3, 6*time.Minute, 0))
	require.Len(t, alerts, 3)
	assert.Equal(t, []string{KindFiring, KindResolved, KindFiring}, []string{alerts[0].Kind, alerts[1].Kind, alerts[2].Kind})
	assert.Equal(t, t0.Add(3*time.Minute), alerts[2].Since)
}

func TestGroupsHaveTheirOwnThresholds(t *testing.T) {
	// 20 minutes is far over the order threshold but under the profile one.
	_, alerts := run(at(0, 0, 20*time.Minute))
	assert.Empty(t, alerts)

	_, alerts = run(at(0, 0, 31*time.Minute))
	require.Len(t, alerts, 1)
	assert.Equal(t, GroupProfiles, alerts[0].Group)
	assert.Equal(t, 30*time.Minute, alerts[0].Threshold)

	// status work belongs to the profiles group
	m := at(0, 0, 0)
	m.Classes[ClassStatus] = ClassLag{Pending: 1, BacklogAge: 40 * time.Minute}
	_, alerts = run(m)
	require.Len(t, alerts, 1)
	assert.Equal(t, GroupProfiles, alerts[0].Group)
	assert.Contains(t, alerts[0].Detail, "status backlog")
}

func TestBothGroupsFireIndependently(t *testing.T) {
	st, alerts := run(at(0, 6*time.Minute, 31*time.Minute), at(1, 0, 31*time.Minute), at(2, 0, 31*time.Minute))
	require.Len(t, alerts, 3)
	assert.Equal(t, GroupOrders, alerts[0].Group)
	assert.Equal(t, GroupProfiles, alerts[1].Group)
	assert.Equal(t, KindResolved, alerts[2].Kind)
	assert.Equal(t, GroupOrders, alerts[2].Group)
	assert.True(t, st.IsOpen(GroupProfiles))
	require.Len(t, st.OpenIncidents(), 1)
}

func TestRecentP95CountsAsLag(t *testing.T) {
	m := at(0, 0, 0)
	cl := m.Classes[ClassOrder]
	cl.Summarise([]time.Duration{time.Second, 2 * time.Second, 7 * time.Minute})
	m.Classes[ClassOrder] = cl
	_, alerts := run(m)
	require.Len(t, alerts, 1)
	assert.Equal(t, 7*time.Minute, alerts[0].Lag)
	assert.Contains(t, alerts[0].Detail, "p95")
}

func TestCanaryMissCountsForOrdersOnly(t *testing.T) {
	m := at(0, 0, 0)
	m.Canary = CanaryResult{Checked: 5, Misses: 1, MissAge: 45 * time.Minute, MissOrder: "S00042 (id 42)", MissReason: "record missing"}
	_, alerts := run(m)
	require.Len(t, alerts, 1)
	assert.Equal(t, GroupOrders, alerts[0].Group)
	assert.Contains(t, alerts[0].Detail, "S00042")

	m.Canary = CanaryResult{Error: "rate limited", MissAge: time.Hour}
	_, alerts = run(m)
	assert.Empty(t, alerts, "an unavailable canary is no evidence")
}

func TestStalePollerCountsForBothGroups(t *testing.T) {
	m := at(0, 0, 0)
	m.PollerAge = 14 * time.Second // under 3 poll intervals of 5s: fresh
	_, alerts := run(m)
	assert.Empty(t, alerts)

	m.PollerAge = 45 * time.Minute
	_, alerts = run(m)
	require.Len(t, alerts, 2)
	for _, a := range alerts {
		assert.Contains(t, a.Detail, "poller")
	}

	m.PollerAge = -1 // unknown
	_, alerts = run(m)
	assert.Empty(t, alerts)
}

func TestOutOfOrderMeasurementIsIgnored(t *testing.T) {
	st, _ := run(at(0, 6*time.Minute, 0), at(2, 0, 0))
	st2, alerts := Evaluate(st, at(1, 0, 0), thresholds)
	assert.Empty(t, alerts)
	assert.Equal(t, st, st2)
	assert.Equal(t, 1, st2.Open[GroupOrders].Under)
}

func TestEvaluateDoesNotModifyPrevious(t *testing.T) {
	st, _ := run(at(0, 6*time.Minute, 0))
	before := st.Open[GroupOrders]
	_, _ = Evaluate(st, at(1, 9*time.Minute, 0), thresholds)
	assert.Equal(t, before, st.Open[GroupOrders])
}

func TestZeroThresholdDisablesGroup(t *testing.T) {
	st, alerts := Evaluate(State{}, at(0, time.Hour, time.Hour), Thresholds{Orders: 5 * time.Minute})
	require.Len(t, alerts, 1)
	assert.Equal(t, GroupOrders, alerts[0].Group)
	assert.False(t, st.IsOpen(GroupProfiles))
}

func TestQuantiles(t *testing.T) {
	p50, p95, max := Quantiles(nil)
	assert.Zero(t, p50+p95+max)
	var s []time.Duration
	for i := 100; i >= 1; i-- {
		s = append(s, time.Duration(i)*time.Second)
	}
	p50, p95, max = Quantiles(s)
	assert.Equal(t, 50*time.Second, p50)
	assert.Equal(t, 95*time.Second, p95)
	assert.Equal(t, 100*time.Second, max)
	assert.Equal(t, 100*time.Second, s[0], "input not reordered")
	p50, p95, max = Quantiles([]time.Duration{3 * time.Second})
	assert.Equal(t, []time.Duration{3 * time.Second, 3 * time.Second, 3 * time.Second}, []time.Duration{p50, p95, max})
}

func TestSlackBody(t *testing.T) {
	_, alerts := run(at(0, 7*time.Minute+12*time.Second, 0), at(1, 0, 0), at(2, 0, 0))
	require.Len(t, alerts, 2)

	raw, err := SlackBody(alerts[0])
	require.NoError(t, err)
	var body struct {
		Text   string           `json:"text"`
		Blocks []map[string]any `json:"blocks"`
	}
	require.NoError(t, json.Unmarshal(raw, &body))
	assert.True(t, strings.HasPrefix(body.Text, "[FIRING] orders: "), body.Text)
	assert.Contains(t, body.Text, "7m12s")
	assert.Contains(t, body.Text, "5m0s")
	assert.NotEmpty(t, body.Blocks)
	assert.Equal(t, "header", body.Blocks[0]["type"])

	raw, err = SlackBody(alerts[1])
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &body))
	assert.True(t, strings.HasPrefix(body.Text, "[RESOLVED] orders: "), body.Text)
	assert.Contains(t, body.Text, "lasted 2m0s")
}
