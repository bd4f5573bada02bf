package activities

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/lag"
)

// registerGauges exports the last lag report as observable gauges. Values
// are read at collection time from the report PublishLag stored.
func (o *Ops) registerGauges(m metric.Meter) error {
	var errs []error
	gauge := func(name, desc, unit string, observe func(r lag.Report, obs metric.Float64Observer)) {
		opts := []metric.Float64ObservableGaugeOption{metric.WithDescription(desc)}
		if unit != "" {
			opts = append(opts, metric.WithUnit(unit))
		}
		opts = append(opts, metric.WithFloat64Callback(func(_ context.Context, obs metric.Float64Observer) error {
			if r, ok := o.report(); ok {
				observe(r, obs)
			}
			return nil
		}))
		_, err := m.Float64ObservableGauge(name, opts...)
		errs = append(errs, err)
	}
	classAttr := func(c string) metric.ObserveOption { return metric.WithAttributes(attribute.String("class", c)) }

	gauge("sync_backlog_age_seconds", "Age of the oldest change not yet acknowledged by Dotdigital, by priority class", "s",
		func(r lag.Report, obs metric.Float64Observer) {
			for _, c := range lag.Classes {
				obs.Observe(r.Measurement.Class(c).BacklogAge.Seconds(), classAttr(c))
			}
		})
	gauge("sync_pending_customers", "Customers with changes not yet acknowledged by Dotdigital, by priority class", "",
		func(r lag.Report, obs metric.Float64Observer) {
			for _, c := range lag.Classes {
				obs.Observe(float64(r.Measurement.Class(c).Pending), classAttr(c))
			}
		})
	gauge("sync_recent_lag_seconds", "Odoo change to Dotdigital acknowledgement lag of recently completed syncs, by class and quantile (p50, p95, max)", "s",
		func(r lag.Report, obs metric.Float64Observer) {
			for _, c := range lag.Classes {
				cl := r.Measurement.Class(c)
				for _, q := range []struct {
					name string
					v    float64
				}{{"p50", cl.P50.Seconds()}, {"p95", cl.P95.Seconds()}, {"max", cl.Max.Seconds()}} {
					obs.Observe(q.v, metric.WithAttributes(attribute.String("class", c), attribute.String("quantile", q.name)))
				}
			}
		})
	gauge("sync_lag_incident", "1 while a lag incident of the threshold group is open", "",
		func(r lag.Report, obs metric.Float64Observer) {
			for _, g := range lag.Groups {
				v := 0.0
				if r.State.IsOpen(g) {
					v = 1
				}
				obs.Observe(v, metric.WithAttributes(attribute.String("group", g)))
			}
		})
	gauge("sync_blocked_customers", "Customers parked as blocked on a non-retryable Dotdigital rejection", "",
		func(r lag.Report, obs metric.Float64Observer) {
			obs.Observe(float64(r.Measurement.Blocked))
		})
	gauge("sync_poller_age_seconds", "Time since the Odoo change poller last completed a poll", "s",
		func(r lag.Report, obs metric.Float64Observer) {
			if r.Measurement.PollerAge >= 0 {
				obs.Observe(r.Measurement.PollerAge.Seconds())
			}
		})
	gauge("sync_canary_miss_age_seconds", "Age of the worst canary order missing or wrong in Dotdigital (0: none)", "s",
		func(r lag.Report, obs metric.Float64Observer) {
			if r.Measurement.Canary.Error == "" {
				obs.Observe(r.Measurement.Canary.MissAge.Seconds())
			}
		})
	return errors.Join(errs...)
}
