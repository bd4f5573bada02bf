package activities

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/dotdigital"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/identity"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/messages"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/progress"
)

// Lane holds the activities of the Dotdigital lane (task queue
// dotdigital-api): single and bulk customer writes, and the schema bootstrap.
type Lane struct {
	dd       *dotdigital.Client
	temporal client.Client
	load     *loader
	mapping  customer.Settings
	orders   int // Insight records per import
	logger   *slog.Logger
	pace     *Pacer
	hasher   identity.Hasher
	progress *progress.Tracker
	index    binder
	// queue and customerInput start customer workflows (signal-with-start).
	queue         string
	customerInput func(key string) any

	listsMu sync.Mutex
	lists   map[string]int64 // list name -> id

	writes  metric.Int64Counter
	lag     metric.Float64Histogram
	outcome metric.Int64Counter
}

// NewLane builds the lane activities.
func NewLane(d Deps) *Lane {
	l := &Lane{
		dd: d.Dotdigital, temporal: d.Temporal, load: newLoader(d.Odoo, d.OdooConcurrency), mapping: d.Mapping,
		orders: d.OrderBatch, logger: d.Logger, pace: d.Pacer, hasher: d.Hasher, progress: d.Progress, lists: map[string]int64{},
		index: newPartnerIndex(d), queue: d.WorkflowQueue, customerInput: d.CustomerInput,
	}
	if l.orders <= 0 {
		l.orders = 4000
	}
	if l.pace == nil {
		l.pace = NewPacer()
	}
	if d.Meter != nil {
		l.writes, _ = d.Meter.Int64Counter("sync_dotdigital_writes", metric.WithDescription("Dotdigital writes made by the lane, by kind and path"))
		l.lag, _ = d.Meter.Float64Histogram("sync_ack_lag_seconds", metric.WithDescription("Odoo change to Dotdigital acknowledgement"), metric.WithUnit("s"),
			metric.WithExplicitBucketBoundaries(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800))
		l.outcome, _ = d.Meter.Int64Counter("sync_customer_outcomes", metric.WithDescription("Customer sync outcomes by class and outcome"))
	}
	return l
}

// EnsureSchema creates the data fields, lists and Insight collection the sync
// writes to, if missing. Idempotent.
func (l *Lane) EnsureSchema(ctx context.Context) error {
	fields := make([]dotdigital.DataField, 0, len(customer.Fields))
	for _, f := range customer.Fields {
		fields = append(fields, dotdigital.DataField{Name: f.Name, Type: f.Type, Visibility: "Private"})
	}
	if _, err := l.dd.EnsureDataFields(ctx, fields); err != nil {
		return temporalError("ensure data fields", err)
	}
	if _, err := l.listIDs(ctx, l.allLists()); err != nil {
		return err
	}
	if _, err := l.dd.CreateCollection(ctx, customer.OrdersCollection, "contact", "orders"); err != nil {
		return temporalError("ensure Insight collection", err)
	}
	return nil
}

func (l *Lane) allLists() []string {
	out := append([]string(nil), l.mapping.Lists...)
	for _, tag := range sortedKeys(l.mapping.TagLists) {
		out = append(out, l.mapping.TagLists[tag])
	}
	return out
}

// listIDs resolves list names to ids, creating missing lists, once per worker.
func (l *Lane) listIDs(ctx context.Context, listNames []string) ([]int64, error) {
	l.listsMu.Lock()
	defer l.listsMu.Unlock()
	out := make([]int64, 0, len(listNames))
	for _, name := range listNames {
		id, ok := l.lists[name]
		if !ok {
			var err error
			if id, err = l.dd.EnsureList(ctx, name); err != nil {
				return nil, temporalError("ensure list "+name, err)
			}
			l.lists[name] = id
		}
		out = append(out, id)
	}
	return out, nil
}

// snapshotOf asks the customer workflow what it last saw acknowledged.
func (l *Lane) snapshotOf(ctx context.Context, customerID string) (customer.Snapshot, error) {
	v, err := l.temporal.QueryWorkflow(ctx, customerID, "", string(names.QueryState))
	if err != nil {
		return customer.Snapshot{}, fmt.Errorf("query customer state: %w", err)
	}
	var st messages.CustomerStatus
	if err := v.Get(&st); err != nil {
		return customer.Snapshot{}, fmt.Errorf("decode customer state: %w", err)
	}
	return st.Snapshot, nil
}

// tell delivers a result to a customer workflow. Signal delivery failures
// are retried by the caller's activity retry, so results are not lost.
func (l *Lane) tell(ctx context.Context, req messages.LaneRequest, res messages.LaneResult) error {
	customerID := req.CustomerID
	l.observe(ctx, res, req)
	if err := l.temporal.SignalWorkflow(ctx, customerID, "", string(names.SignalLaneResult), res); err != nil {
		return temporalError("signal customer", err)
	}
	return nil
}

// observe counts an outcome and records the lag of an acknowledged write.
// The lag runs from the oldest change the request carries (its Since: the
// Odoo write_date, but never earlier than when the poller started watching,
// so that an initial load is not counted as months of lag).
func (l *Lane) observe(ctx context.Context, res messages.LaneResult, req messages.LaneRequest) {
	class := req.Class
	changed := req.Since
	if changed.IsZero() {
		changed = res.ChangeTime
	}
	if l.outcome != nil {
		l.outcome.Add(ctx, 1, metric.WithAttributes(attribute.String("class", class.String()), attribute.String("outcome", string(res.Outcome))))
	}
	switch res.Outcome {
	case messages.OutcomeOK:
		var lag time.Duration
		if !changed.IsZero() {
			lag = res.AckAt.Sub(changed)
		}
		if l.lag != nil && lag > 0 {
			l.lag.Record(ctx, lag.Seconds(), metric.WithAttributes(attribute.String("class", class.String()), attribute.Bool("bulk", res.Bulk)))
		}
		l.progress.Synced(class.String(), changed, res.AckAt)
	case messages.OutcomeBlocked:
		l.progress.Blocked()
	}
}

func (l *Lane) count(ctx context.Context, kind, path string, n int) {
	if l.writes != nil && n > 0 {
		l.writes.Add(ctx, int64(n), metric.WithAttributes(attribute.String("kind", kind), attribute.String("path", path)))
	}
}

func (l *Lane) customerID(key string) string { return l.hasher.CustomerID(key) }

// heartbeat keeps a long activity alive and reports progress.
func heartbeat(ctx context.Context, details ...any) {
	if activity.IsActivity(ctx) {
		activity.RecordHeartbeat(ctx, details...)
	}
}

// now is the acknowledgement clock (wall time: Odoo write_date is wall time too).
var now = func() time.Time { return time.Now().UTC() }
