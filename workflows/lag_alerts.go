package workflows

import (
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/lag"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
)

// LagAlertsInput starts (or continues) the alerts singleton.
type LagAlertsInput struct {
	Settings   Settings         `json:"settings"`
	State      lag.State        `json:"state"`
	Last       *lag.Measurement `json:"last,omitempty"`
	Thresholds lag.Thresholds   `json:"thresholds"`
	Interval   time.Duration    `json:"interval,omitempty"`
	// Recent alerts raised, oldest first (at most keepRecentAlerts).
	Recent []lag.Alert `json:"recent,omitempty"`
	// Carried over by continue-as-new: measurements not evaluated yet and
	// alerts not sent yet.
	Inbox  []lag.Signal `json:"inbox,omitempty"`
	Outbox []lag.Alert  `json:"outbox,omitempty"`
}

// AlertsStatus is what the alerts query returns.
type AlertsStatus struct {
	State      lag.State        `json:"state"`
	Open       []lag.Incident   `json:"open"`
	Last       *lag.Measurement `json:"last,omitempty"`
	Thresholds lag.Thresholds   `json:"thresholds"`
	Recent     []lag.Alert      `json:"recent,omitempty"`
	// Unsent alerts wait for the webhook.
	Unsent int `json:"unsent"`
}

const keepRecentAlerts = 20

type lagAlerts struct {
	in       LagAlertsInput
	settings Settings
	sending  bool
	stopping bool
}

// LagAlerts is the singleton that turns lag measurements into alerts. It
// keeps the incident state, applies lag.Evaluate to every measurement the
// monitor signals (one alert when an incident opens, one all-clear when it
// closes), sends alerts in order through the SendAlert activity without
// holding up evaluation, exports the last measurement as gauges, answers
// the alerts query, and continues as new when its history grows.
func LagAlerts(ctx workflow.Context, in LagAlertsInput) error {
	a := &lagAlerts{in: in, settings: in.Settings.WithDefaults()}
	if err := workflow.SetQueryHandler(ctx, string(names.QueryAlerts), func() (AlertsStatus, error) { return a.status(), nil }); err != nil {
		return err
	}
	ch := workflow.GetSignalChannel(ctx, string(names.SignalMeasurement))
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var sig lag.Signal
			ch.Receive(ctx, &sig)
			a.in.Inbox = append(a.in.Inbox, sig)
		}
	})
	workflow.Go(ctx, a.sender)
	for {
		if err := workflow.Await(ctx, func() bool { return len(a.in.Inbox) > 0 || a.historyFull(ctx) }); err != nil {
			return err
		}
		if len(a.in.Inbox) > 0 {
			batch := a.in.Inbox
			a.in.Inbox = nil
			for _, sig := range batch {
				a.apply(sig)
			}
			a.publish(ctx)
			continue
		}
		// History is full: let a running send finish, keep what is left.
		a.stopping = true
		if err := workflow.Await(ctx, func() bool { return !a.sending }); err != nil {
			return err
		}
		var sig lag.Signal
		for ch.ReceiveAsync(&sig) {
			a.in.Inbox = append(a.in.Inbox, sig)
		}
		if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
			return err
		}
		return workflow.NewContinueAsNewError(ctx, names.WorkflowAlerts, a.in)
	}
}

// apply evaluates one measurement and queues its alerts.
func (a *lagAlerts) apply(sig lag.Signal) {
	state, alerts := lag.Evaluate(a.in.State, sig.Measurement, sig.Thresholds)
	if !state.LastAt.Equal(a.in.State.LastAt) { // not an out-of-order measurement
		m := sig.Measurement
		a.in.Last = &m
		a.in.Thresholds = sig.Thresholds
		if sig.Interval > 0 {
			a.in.Interval = sig.Interval
		}
	}
	a.in.State = state
	a.in.Outbox = append(a.in.Outbox, alerts...)
	a.in.Recent = append(a.in.Recent, alerts...)
	if n := len(a.in.Recent); n > keepRecentAlerts {
		a.in.Recent = append([]lag.Alert(nil), a.in.Recent[n-keepRecentAlerts:]...)
	}
}

// sender posts queued alerts one at a time, in order. An alert that still
// fails after the retry budget is dropped (and logged): the incident state
// stays right, and the next transition alerts again.
func (a *lagAlerts) sender(ctx workflow.Context) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:              a.settings.WorkflowQueue,
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: time.Hour,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 5 * time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute,
			NonRetryableErrorTypes: names.NonRetryableErrors(),
		},
	})
	for {
		if err := workflow.Await(ctx, func() bool { return len(a.in.Outbox) > 0 && !a.stopping }); err != nil {
			return
		}
		alert := a.in.Outbox[0]
		a.sending = true
		err := workflow.ExecuteActivity(actx, opsActivities.SendAlert, alert).Get(ctx, nil)
		a.sending = false
		a.in.Outbox = a.in.Outbox[1:]
		if err != nil {
			workflow.GetLogger(ctx).Error("lag alert not delivered", "group", alert.Group, "kind", alert.Kind, "error", err)
		}
	}
}

// publish hands the latest report to the gauges (best effort) and updates
// the Web UI's current details.
func (a *lagAlerts) publish(ctx workflow.Context) {
	workflow.SetCurrentDetails(ctx, a.details())
	if a.in.Last == nil {
		return
	}
	fresh := 3 * a.in.Interval
	if fresh <= 0 {
		fresh = 5 * time.Minute
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue: a.settings.WorkflowQueue, StartToCloseTimeout: 10 * time.Second, ScheduleToCloseTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 2},
	})
	report := lag.Report{Measurement: *a.in.Last, State: a.in.State, FreshFor: fresh}
	if err := workflow.ExecuteActivity(actx, opsActivities.PublishLag, report).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Warn("lag gauges not updated", "error", err)
	}
}

func (a *lagAlerts) status() AlertsStatus {
	return AlertsStatus{State: a.in.State, Open: a.in.State.OpenIncidents(), Last: a.in.Last, Thresholds: a.in.Thresholds,
		Recent: a.in.Recent, Unsent: len(a.in.Outbox)}
}

// details is the Web UI summary (no fmt: the determinism checker cannot
// see through it).
func (a *lagAlerts) details() string {
	var b strings.Builder
	open := a.in.State.OpenIncidents()
	if len(open) == 0 {
		b.WriteString("**No open lag incident.**\n\n")
	}
	for _, inc := range open {
		b.WriteString("**" + lag.GroupLabel(inc.Group) + "** over " + lag.Round(inc.Threshold).String() + " since " +
			inc.Since.UTC().Format(time.RFC3339) + ": now " + lag.Round(inc.Lag).String() + ", peak " + lag.Round(inc.Peak).String() +
			"\n\n" + inc.Detail + "\n\n")
	}
	if a.in.Last != nil {
		b.WriteString("Last measurement: " + a.in.Last.At.UTC().Format(time.RFC3339) + "\n")
	}
	return b.String()
}

func (a *lagAlerts) historyFull(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	return info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() > a.settings.HistoryLimit
}
