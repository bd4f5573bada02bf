package activities

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"go.opentelemetry.io/otel/metric"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/lag"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
)

// Ops holds the operations activities of the lag monitor (task queue
// sync-workflows): measuring lag through Temporal visibility and queries,
// delivering measurements to the alerts workflow, sending alerts and
// exporting the last measurement as metrics. They call Temporal and the
// alert webhook, never Odoo or Dotdigital.
type Ops struct {
	temporal    client.Client
	namespace   string
	queue       string
	logger      *slog.Logger
	webhook     string
	http        *http.Client
	alertsInput func() any

	alerts metric.Int64Counter

	mu       sync.Mutex
	last     lag.Report
	lastSeen time.Time // wall time the report arrived
}

// OpsOptions are the Ops settings that do not come from Deps.
type OpsOptions struct {
	// AlertWebhook is the Slack-compatible webhook URL; empty logs alerts only.
	// It is a secret (Slack webhook URLs are credentials): never logged.
	AlertWebhook string
	// AlertsInput builds the start argument of the alerts workflow.
	AlertsInput func() any
	// HTTPClient posts alerts; nil uses a client with a 10 s timeout.
	HTTPClient *http.Client
}

// alertTimeout bounds one webhook POST.
const alertTimeout = 10 * time.Second

// NewOps builds the operations activities and registers the lag gauges on
// the meter of d (if any).
func NewOps(d Deps, o OpsOptions) *Ops {
	ops := &Ops{
		temporal: d.Temporal, namespace: d.Namespace, queue: d.WorkflowQueue, logger: d.Logger,
		webhook: o.AlertWebhook, http: o.HTTPClient, alertsInput: o.AlertsInput,
	}
	if ops.logger == nil {
		ops.logger = slog.Default()
	}
	if ops.http == nil {
		ops.http = &http.Client{Timeout: alertTimeout}
	}
	if ops.namespace == "" {
		ops.namespace = "default"
	}
	if d.Meter != nil {
		ops.alerts, _ = d.Meter.Int64Counter("sync_lag_alerts", metric.WithDescription("Lag alerts raised, by group and kind (firing, resolved)"))
		if err := ops.registerGauges(d.Meter); err != nil {
			ops.logger.Warn("lag gauges not registered", "error", err)
		}
	}
	return ops
}

// DeliverMeasurement hands a measurement to the alerts workflow, starting it
// if it is not running (a workflow cannot signal-with-start by itself in
// SDK v1.50).
func (o *Ops) DeliverMeasurement(ctx context.Context, sig lag.Signal) error {
	if o.alertsInput == nil {
		return errors.New("deliver measurement: no alerts workflow input configured")
	}
	_, err := o.temporal.SignalWithStartWorkflow(ctx, names.AlertsWorkflowID, string(names.SignalMeasurement), sig, client.StartWorkflowOptions{
		ID: names.AlertsWorkflowID, TaskQueue: o.queue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}, names.WorkflowAlerts, o.alertsInput())
	return err
}

// PublishLag makes a report the one the lag gauges export.
func (o *Ops) PublishLag(_ context.Context, r lag.Report) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.last, o.lastSeen = r, now()
	return nil
}

// report returns the report to export, if a fresh one exists.
func (o *Ops) report() (lag.Report, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.lastSeen.IsZero() {
		return lag.Report{}, false
	}
	fresh := o.last.FreshFor
	if fresh <= 0 {
		fresh = 5 * time.Minute
	}
	// Another worker of the fleet may have the newer report: stop exporting
	// an old one rather than contradict it.
	if now().Sub(o.lastSeen) > fresh {
		return lag.Report{}, false
	}
	return o.last, true
}
