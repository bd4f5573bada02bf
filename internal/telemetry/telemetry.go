// Package telemetry sets up OpenTelemetry once per process: a tracer provider
// whose exporter is chosen by OTEL_TRACES_EXPORTER (otlp, console or none), a
// meter provider that always feeds the Prometheus /metrics endpoint and also
// OTLP when OTEL_METRICS_EXPORTER=otlp, and the Temporal SDK interceptor and
// metrics handler built on them. OTLP endpoints, headers and protocols come
// from the standard OTEL_EXPORTER_OTLP_* variables, read by the exporters.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
)

// Telemetry holds the providers of one process.
type Telemetry struct {
	TracerProvider trace.TracerProvider
	MeterProvider  metric.MeterProvider
	registry       *prometheus.Registry
	shutdown       []func(context.Context) error
}

// Setup builds the providers and installs them as the OTel globals.
func Setup(ctx context.Context, service string, getenv func(string) string) (*Telemetry, error) {
	res := resource.NewSchemaless(attribute.String("service.name", service))
	t := &Telemetry{registry: prometheus.NewRegistry()}
	t.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	tpOpts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	switch exp := getenv("OTEL_TRACES_EXPORTER"); exp {
	case "", "none":
	case "otlp":
		e, err := otlptracehttp.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("OTEL_TRACES_EXPORTER=otlp: %w", err)
		}
		tpOpts = append(tpOpts, sdktrace.WithBatcher(e))
	case "console":
		e, err := stdouttrace.New()
		if err != nil {
			return nil, fmt.Errorf("OTEL_TRACES_EXPORTER=console: %w", err)
		}
		tpOpts = append(tpOpts, sdktrace.WithBatcher(e))
	default:
		return nil, fmt.Errorf("OTEL_TRACES_EXPORTER=%q is not one of otlp, console, none", exp)
	}
	tp := sdktrace.NewTracerProvider(tpOpts...)
	t.TracerProvider = tp
	t.shutdown = append(t.shutdown, tp.Shutdown)

	promExp, err := otelprom.New(otelprom.WithRegisterer(t.registry), otelprom.WithoutScopeInfo())
	if err != nil {
		return nil, fmt.Errorf("prometheus exporter: %w", err)
	}
	mpOpts := []sdkmetric.Option{sdkmetric.WithResource(res), sdkmetric.WithReader(promExp)}
	switch exp := getenv("OTEL_METRICS_EXPORTER"); exp {
	case "", "none", "prometheus":
	case "otlp":
		e, err := otlpmetrichttp.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("OTEL_METRICS_EXPORTER=otlp: %w", err)
		}
		mpOpts = append(mpOpts, sdkmetric.WithReader(sdkmetric.NewPeriodicReader(e)))
	default:
		return nil, fmt.Errorf("OTEL_METRICS_EXPORTER=%q is not one of otlp, prometheus, none", exp)
	}
	mp := sdkmetric.NewMeterProvider(mpOpts...)
	t.MeterProvider = mp
	t.shutdown = append(t.shutdown, mp.Shutdown)

	otel.SetTracerProvider(tp)
	otel.SetMeterProvider(mp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	return t, nil
}

// MetricsHandler serves the Prometheus exposition of every metric.
func (t *Telemetry) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(t.registry, promhttp.HandlerOpts{})
}

// TemporalOptions returns the Temporal client options that trace workflows
// and activities and export SDK metrics through the same providers.
func (t *Telemetry) TemporalOptions() (client.MetricsHandler, []interceptor.ClientInterceptor, error) {
	tracing, err := temporalotel.NewTracingInterceptor(temporalotel.TracerOptions{
		Tracer: t.TracerProvider.Tracer("temporal-sdk"),
	})
	if err != nil {
		return nil, nil, err
	}
	metrics := temporalotel.NewMetricsHandler(temporalotel.MetricsHandlerOptions{
		Meter: t.MeterProvider.Meter("temporal-sdk"),
	})
	return metrics, []interceptor.ClientInterceptor{tracing}, nil
}

// Shutdown flushes exporters.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	var errs []error
	for _, f := range t.shutdown {
		errs = append(errs, f(ctx))
	}
	return errors.Join(errs...)
}
