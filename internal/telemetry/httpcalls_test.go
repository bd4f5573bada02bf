package telemetry

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

func TestCountingTransportCountsByTierAndOutcome(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			w.Header().Set("X-RateLimit-Scope", "mediumCallRate")
		case "/throttled":
			w.Header().Set("X-RateLimit-Scope", "lowCallRate")
			w.WriteHeader(http.StatusTooManyRequests)
		case "/broken":
			w.WriteHeader(http.StatusBadGateway)
		}
	}))
	defer srv.Close()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	c := &http.Client{Transport: NewCountingTransport(nil, mp.Meter("t"), "calls", "dotdigital")}
	for _, p := range []string{"/ok", "/ok", "/throttled", "/broken"} {
		resp, err := c.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			sum := m.Data.(metricdata.Sum[int64])
			for _, dp := range sum.DataPoints {
				tier, _ := dp.Attributes.Value("tier")
				outcome, _ := dp.Attributes.Value("outcome")
				got[tier.AsString()+"/"+outcome.AsString()] = dp.Value
			}
		}
	}
	want := map[string]int64{"mediumCallRate/2xx": 2, "lowCallRate/429": 1, "none/5xx": 1}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %d, want %d (all: %v)", k, got[k], v, got)
		}
	}
}
