package activities

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/lag"
)

// gaugeValues collects the gauges and returns name -> "k=v,k=v" -> value.
func gaugeValues(t *testing.T, r *sdkmetric.ManualReader) map[string]map[string]float64 {
	var rm metricdata.ResourceMetrics
	require.NoError(t, r.Collect(context.Background(), &rm))
	out := map[string]map[string]float64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			g, ok := m.Data.(metricdata.Gauge[float64])
			if !ok {
				continue
			}
			out[m.Name] = map[string]float64{}
			for _, dp := range g.DataPoints {
				key := ""
				for _, kv := range dp.Attributes.ToSlice() {
					if key != "" {
						key += ","
					}
					key += string(kv.Key) + "=" + kv.Value.Emit()
				}
				out[m.Name][key] = dp.Value
			}
		}
	}
	return out
}

func TestLagGaugesExportTheLastReport(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	ops := NewOps(Deps{Meter: mp.Meter("test")}, OpsOptions{})

	assert.Empty(t, gaugeValues(t, reader)["sync_lag_incident"], "nothing measured yet: nothing exported")

	m := lag.Measurement{At: time.Now(), Blocked: 4, PollerAge: 3 * time.Second, Classes: map[string]lag.ClassLag{
		lag.ClassOrder: {Pending: 2, BacklogAge: 90 * time.Second, Recent: 10, P50: time.Second, P95: 4 * time.Second, Max: 9 * time.Second},
	}}
	st, _ := lag.Evaluate(lag.State{}, m, lag.Thresholds{Orders: time.Minute, Profiles: time.Hour})
	require.NoError(t, ops.PublishLag(context.Background(), lag.Report{Measurement: m, State: st, FreshFor: time.Minute}))

	v := gaugeValues(t, reader)
	assert.Equal(t, 1.0, v["sync_lag_incident"]["group=orders"])
	assert.Equal(t, 0.0, v["sync_lag_incident"]["group=profiles"])
	assert.Equal(t, 90.0, v["sync_backlog_age_seconds"]["class=order"])
	assert.Equal(t, 0.0, v["sync_backlog_age_seconds"]["class=profile"])
	assert.Equal(t, 2.0, v["sync_pending_customers"]["class=order"])
	assert.Equal(t, 4.0, v["sync_recent_lag_seconds"]["class=order,quantile=p95"])
	assert.Equal(t, 9.0, v["sync_recent_lag_seconds"]["class=order,quantile=max"])
	assert.Equal(t, 4.0, v["sync_blocked_customers"][""])
	assert.Equal(t, 3.0, v["sync_poller_age_seconds"][""])

	// a report older than its freshness is no longer exported
	old := now
	t.Cleanup(func() { now = old })
	now = func() time.Time { return old().Add(2 * time.Minute) }
	assert.Empty(t, gaugeValues(t, reader)["sync_lag_incident"])
}
