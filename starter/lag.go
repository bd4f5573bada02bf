package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/app"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/lag"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/workflows"
)

func init() {
	commands["lag"] = command{usage: "lag [--deliver]", help: "measure sync lag now: backlog and recent lag per class, poller, canary, open incidents", run: lagCmd}
}

// lagRunTimeout bounds the manual run (the canary gives up after two minutes).
const lagRunTimeout = 10 * time.Minute

func lagCmd(e *env, args []string) error {
	fs := flag.NewFlagSet("lag", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	deliver := fs.Bool("deliver", false, "also hand the measurement to the alerts workflow (it may open or close incidents)")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{"takes no arguments"}
	}
	in := app.LagMonitorInput(e.cfg, e.settings)
	in.ShowOnly = !*deliver
	id := names.LagScheduleID + "-manual-" + uuid.NewString()
	run, err := e.client.ExecuteWorkflow(e.ctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: e.settings.WorkflowQueue, WorkflowExecutionTimeout: lagRunTimeout,
	}, names.WorkflowLagMonitor, in)
	if err != nil {
		return fmt.Errorf("start lag monitor: %w", err)
	}
	var m lag.Measurement
	if err := run.Get(e.ctx, &m); err != nil {
		return fmt.Errorf("lag monitor %s: %w", id, err)
	}
	alerts, running, err := e.alertsStatus()
	if err != nil {
		return err
	}
	r := newLagReport(id, m, in.Thresholds, alerts, running)
	if e.json {
		return json.NewEncoder(e.out).Encode(r)
	}
	return printLag(e.out, r, m, alerts)
}

// alertsStatus queries the alerts singleton; running is false before the
// first scheduled measurement started it.
func (e *env) alertsStatus() (workflows.AlertsStatus, bool, error) {
	var st workflows.AlertsStatus
	v, err := e.client.QueryWorkflow(e.ctx, names.AlertsWorkflowID, "", string(names.QueryAlerts))
	if err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return st, false, nil
		}
		return st, false, fmt.Errorf("query %s: %w", names.AlertsWorkflowID, err)
	}
	if err := v.Get(&st); err != nil {
		return st, false, err
	}
	return st, true, nil
}

// lagReport is the --json output; durations are in seconds.
type lagReport struct {
	WorkflowID       string                   `json:"workflowId"`
	At               time.Time                `json:"at"`
	WindowSeconds    float64                  `json:"recentWindowSeconds"`
	Classes          map[string]lagClassJSON  `json:"classes"`
	PollerAgeSeconds *float64                 `json:"pollerAgeSeconds"` // null: unknown
	Blocked          int                      `json:"blockedCustomers"`
	Canary           lagCanaryJSON            `json:"canary"`
	Thresholds       map[string]float64       `json:"thresholdsSeconds"`
	Worst            map[string]lagWorstJSON  `json:"worst"`
	AlertsRunning    bool                     `json:"alertsWorkflowRunning"`
	Incidents        []lagIncidentJSON        `json:"openIncidents"`
	RecentAlerts     []lagAlertJSON           `json:"recentAlerts,omitempty"`
	Errors           []string                 `json:"errors,omitempty"`
	worstByGroup     map[string]time.Duration // for the table
}

type lagClassJSON struct {
	Pending           int     `json:"pending"`
	Queued            int     `json:"queued"`
	BacklogAgeSeconds float64 `json:"backlogAgeSeconds"`
	Recent            int     `json:"recent"`
	P50Seconds        float64 `json:"p50Seconds"`
	P95Seconds        float64 `json:"p95Seconds"`
	MaxSeconds        float64 `json:"maxSeconds"`
}

type lagCanaryJSON struct {
	Checked        int     `json:"checked"`
	Misses         int     `json:"misses"`
	MissAgeSeconds float64 `json:"missAgeSeconds,omitempty"`
	MissOrder      string  `json:"missOrder,omitempty"`
	MissReason     string  `json:"missReason,omitempty"`
	Error          string  `json:"error,omitempty"`
}

type lagWorstJSON struct {
	LagSeconds float64 `json:"lagSeconds"`
	Over       bool    `json:"overThreshold"`
	Detail     string  `json:"detail,omitempty"`
}

type lagIncidentJSON struct {
	Group            string    `json:"group"`
	Since            time.Time `json:"since"`
	LagSeconds       float64   `json:"lagSeconds"`
	PeakSeconds      float64   `json:"peakSeconds"`
	ThresholdSeconds float64   `json:"thresholdSeconds"`
	Detail           string    `json:"detail"`
}

type lagAlertJSON struct {
	Kind       string    `json:"kind"`
	Group      string    `json:"group"`
	At         time.Time `json:"at"`
	LagSeconds float64   `json:"lagSeconds"`
	Detail     string    `json:"detail"`
}

func newLagReport(id string, m lag.Measurement, t lag.Thresholds, alerts workflows.AlertsStatus, running bool) lagReport {
	r := lagReport{
		WorkflowID: id, At: m.At, WindowSeconds: m.Window.Seconds(), Classes: map[string]lagClassJSON{}, Blocked: m.Blocked,
		Canary: lagCanaryJSON{Checked: m.Canary.Checked, Misses: m.Canary.Misses, MissAgeSeconds: m.Canary.MissAge.Seconds(),
			MissOrder: m.Canary.MissOrder, MissReason: m.Canary.MissReason, Error: m.Canary.Error},
		Thresholds: map[string]float64{}, Worst: map[string]lagWorstJSON{}, AlertsRunning: running, Errors: m.Errors,
		Incidents: []lagIncidentJSON{}, worstByGroup: map[string]time.Duration{},
	}
	for _, c := range lag.Classes {
		cl := m.Class(c)
		r.Classes[c] = lagClassJSON{Pending: cl.Pending, Queued: cl.Queued, BacklogAgeSeconds: cl.BacklogAge.Seconds(), Recent: cl.Recent,
			P50Seconds: cl.P50.Seconds(), P95Seconds: cl.P95.Seconds(), MaxSeconds: cl.Max.Seconds()}
	}
	if m.PollerAge >= 0 {
		s := m.PollerAge.Seconds()
		r.PollerAgeSeconds = &s
	}
	for _, g := range lag.Groups {
		worst, detail := lag.Worst(g, m, t)
		r.Thresholds[g] = t.For(g).Seconds()
		r.Worst[g] = lagWorstJSON{LagSeconds: worst.Seconds(), Over: t.For(g) > 0 && worst > t.For(g), Detail: detail}
		r.worstByGroup[g] = worst
	}
	for _, inc := range alerts.Open {
		r.Incidents = append(r.Incidents, lagIncidentJSON{Group: inc.Group, Since: inc.Since, LagSeconds: inc.Lag.Seconds(),
			PeakSeconds: inc.Peak.Seconds(), ThresholdSeconds: inc.Threshold.Seconds(), Detail: inc.Detail})
	}
	for _, a := range alerts.Recent {
		r.RecentAlerts = append(r.RecentAlerts, lagAlertJSON{Kind: a.Kind, Group: a.Group, At: a.At, LagSeconds: a.Lag.Seconds(), Detail: a.Detail})
	}
	return r
}

func printLag(out io.Writer, r lagReport, m lag.Measurement, alerts workflows.AlertsStatus) error {
	d := func(v time.Duration) string { return lag.Round(v).String() }
	w := tabwriter.NewWriter(out, 0, 2, 2, ' ', 0)
	fmt.Fprintf(w, "Measured at %s (recent window %s, workflow %s)\n\n", m.At.Local().Format(time.RFC3339), d(m.Window), r.WorkflowID)
	fmt.Fprintln(w, "CLASS\tPENDING\tQUEUED\tBACKLOG AGE\tRECENT SYNCS\tP50\tP95\tMAX")
	for _, c := range lag.Classes {
		cl := m.Class(c)
		fmt.Fprintf(w, "%s\t%d\t%d\t%s\t%d\t%s\t%s\t%s\n", c, cl.Pending, cl.Queued, d(cl.BacklogAge), cl.Recent, d(cl.P50), d(cl.P95), d(cl.Max))
	}
	fmt.Fprintln(w)
	if m.PollerAge >= 0 {
		fmt.Fprintf(w, "Poller\tlast completed poll %s ago\n", d(m.PollerAge))
	} else {
		fmt.Fprintln(w, "Poller\tunknown (see notes)")
	}
	fmt.Fprintf(w, "Blocked\t%d customers (starter exceptions lists them)\n", m.Blocked)
	fmt.Fprintf(w, "Canary\t%s\n", canaryLine(m.Canary))
	for _, g := range lag.Groups {
		thr := r.Thresholds[g]
		state := "ok"
		if r.Worst[g].Over {
			state = "OVER THRESHOLD"
		}
		line := fmt.Sprintf("worst %s, threshold %s: %s", d(r.worstByGroup[g]), d(time.Duration(thr*float64(time.Second))), state)
		if r.Worst[g].Detail != "" {
			line += " (" + r.Worst[g].Detail + ")"
		}
		fmt.Fprintf(w, "%s\t%s\n", lag.GroupLabel(g), line)
	}
	fmt.Fprintln(w)
	switch {
	case !r.AlertsRunning:
		fmt.Fprintln(w, "Incidents\tthe alerts workflow is not running yet (it starts with the first scheduled measurement)")
	case len(alerts.Open) == 0:
		fmt.Fprintln(w, "Incidents\tnone open")
	default:
		for _, inc := range alerts.Open {
			fmt.Fprintf(w, "Incident\t%s: open since %s, lag %s, peak %s, threshold %s: %s\n", inc.Group,
				inc.Since.Local().Format(time.RFC3339), d(inc.Lag), d(inc.Peak), d(inc.Threshold), inc.Detail)
		}
	}
	if alerts.Unsent > 0 {
		fmt.Fprintf(w, "Unsent alerts\t%d waiting for the webhook\n", alerts.Unsent)
	}
	if n := len(alerts.Recent); n > 0 {
		fmt.Fprintln(w, "\nRecent alerts")
		for _, a := range alerts.Recent[max(0, n-5):] {
			fmt.Fprintf(w, "  %s\t%s %s\t%s\n", a.At.Local().Format(time.RFC3339), a.Kind, a.Group, d(a.Lag))
		}
	}
	if len(m.Errors) > 0 {
		fmt.Fprintf(w, "\nNotes\t%s\n", strings.Join(m.Errors, "; "))
	}
	return w.Flush()
}

func canaryLine(c lag.CanaryResult) string {
	switch {
	case c.Error != "":
		return c.Error
	case c.Checked == 0:
		return "no confirmed order old enough to check"
	case c.Misses == 0:
		return fmt.Sprintf("%d recent orders checked: all in Dotdigital", c.Checked)
	}
	return fmt.Sprintf("%d of %d recent orders not (correctly) in Dotdigital; worst: order %s, %s, for %s",
		c.Misses, c.Checked, c.MissOrder, c.MissReason, lag.Round(c.MissAge))
}
