package telemetry

import (
	"net/http"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// CountingTransport counts every HTTP call to an API by rate-limit tier (the
// X-RateLimit-Scope answer header, "none" when absent) and outcome (2xx, 4xx,
// 429, 5xx, error), so dashboards see the budget being spent per tier.
type CountingTransport struct {
	Base    http.RoundTripper
	calls   metric.Int64Counter
	service string
}

// NewCountingTransport wraps base; the counter is `<name>` with attributes
// service, tier and outcome.
func NewCountingTransport(base http.RoundTripper, meter metric.Meter, name, service string) *CountingTransport {
	if base == nil {
		base = http.DefaultTransport
	}
	c, _ := meter.Int64Counter(name, metric.WithDescription("HTTP calls by rate-limit tier and outcome"))
	return &CountingTransport{Base: base, calls: c, service: service}
}

// RoundTrip implements http.RoundTripper.
func (t *CountingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.Base.RoundTrip(r)
	tier, outcome := "none", "error"
	if err == nil {
		if s := resp.Header.Get("X-RateLimit-Scope"); s != "" {
			tier = s
		}
		switch code := resp.StatusCode; {
		case code == http.StatusTooManyRequests:
			outcome = "429"
		default:
			outcome = strconv.Itoa(code/100) + "xx"
		}
	}
	if t.calls != nil {
		t.calls.Add(r.Context(), 1, metric.WithAttributes(attribute.String("service", t.service),
			attribute.String("tier", tier), attribute.String("outcome", outcome)))
	}
	return resp, err
}
