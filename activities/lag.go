package activities

import (
	"context"
	"strconv"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/lag"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
)

// MeasureRequest asks for one lag measurement.
type MeasureRequest struct {
	// LaneShards is the number of lane shards to ask for queued requests.
	LaneShards int `json:"laneShards"`
	// RecentWindow: syncs acknowledged this recently count as recent.
	RecentWindow time.Duration `json:"recentWindow"`
}

// Bounds of one measurement: visibility pages are 1000 executions.
const (
	visibilityPageSize = 1000
	maxBacklogPages    = 100   // 100k pending customers
	maxRecentSamples   = 20000 // percentiles of recent syncs from at most this many
	lagQueryTimeout    = 10 * time.Second
)

// MeasureLag measures the sync lag through Temporal: the pending customers
// and the oldest unacknowledged change per class (visibility: SyncState,
// PendingClass, OldestPendingAt), the lag of recently acknowledged writes
// (LastSyncedAt, LastSyncClass, LastLagSeconds), the blocked customers, the
// requests queued in the lane shards and the change poller's last poll. A
// part that cannot be measured is listed in Errors; the activity fails only
// when visibility cannot be read at all.
func (o *Ops) MeasureLag(ctx context.Context, req MeasureRequest) (lag.Measurement, error) {
	if req.RecentWindow <= 0 {
		req.RecentWindow = 5 * time.Minute
	}
	at := now()
	m := lag.Measurement{At: at, Classes: map[string]lag.ClassLag{}, PollerAge: -1, Window: req.RecentWindow}
	for _, c := range lag.Classes {
		m.Classes[c] = lag.ClassLag{}
	}
	if err := o.measureBacklog(ctx, &m); err != nil {
		return m, err
	}
	heartbeat(ctx, "backlog")
	if err := o.measureRecent(ctx, &m); err != nil {
		return m, err
	}
	heartbeat(ctx, "recent")
	blocked, err := o.temporal.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: o.namespace, Query: customersIn(names.StateBlocked)})
	if err != nil {
		m.Errors = append(m.Errors, "blocked count: "+err.Error())
	} else {
		m.Blocked = int(blocked.GetCount())
	}
	o.measureLanes(ctx, &m, req.LaneShards)
	o.measurePoller(ctx, &m)
	return m, nil
}

func customersIn(state string) string {
	return "WorkflowType = '" + names.WorkflowCustomer + "' AND ExecutionStatus = 'Running' AND " +
		names.SASyncState.GetName() + " = '" + state + "'"
}

// measureBacklog pages through the running customers that have pending
// work: their number and oldest unacknowledged change per class.
func (o *Ops) measureBacklog(ctx context.Context, m *lag.Measurement) error {
	pages := 0
	return o.list(ctx, customersIn(names.StatePending), func(attrs map[string]*commonpb.Payload, _ string) bool {
		var class string
		var since time.Time
		searchAttr(attrs, names.SAPendingClass.GetName(), &class)
		searchAttr(attrs, names.SAOldestPendingAt.GetName(), &since)
		if cl, ok := m.Classes[class]; ok {
			cl.Pending++
			if age := m.At.Sub(since); !since.IsZero() && age > cl.BacklogAge {
				cl.BacklogAge = age
			}
			m.Classes[class] = cl
		}
		return true
	}, func() bool {
		pages++
		if pages >= maxBacklogPages {
			m.Errors = append(m.Errors, "backlog: stopped after "+strconv.Itoa(pages*visibilityPageSize)+" pending customers")
			return false
		}
		return true
	})
}

// measureRecent summarises the lag of the writes acknowledged within the
// window, per class. Each customer counts with its last write (a run that
// continued as new carries the same attributes: counted once).
func (o *Ops) measureRecent(ctx context.Context, m *lag.Measurement) error {
	since := m.At.Add(-m.Window).UTC().Format(time.RFC3339Nano)
	query := "WorkflowType = '" + names.WorkflowCustomer + "' AND " + names.SALastSyncedAt.GetName() + " > '" + since + "'"
	type sample struct {
		class  string
		synced time.Time
		lag    time.Duration
	}
	latest := map[string]sample{}
	capped := false
	err := o.list(ctx, query, func(attrs map[string]*commonpb.Payload, id string) bool {
		var s sample
		var seconds float64
		searchAttr(attrs, names.SALastSyncClass.GetName(), &s.class)
		searchAttr(attrs, names.SALastSyncedAt.GetName(), &s.synced)
		searchAttr(attrs, names.SALastLagSeconds.GetName(), &seconds)
		s.lag = time.Duration(seconds * float64(time.Second))
		if old, ok := latest[id]; !ok || s.synced.After(old.synced) {
			latest[id] = s
		}
		if len(latest) >= maxRecentSamples {
			capped = true
			return false
		}
		return true
	}, nil)
	if err != nil {
		return err
	}
	if capped {
		m.Errors = append(m.Errors, "recent syncs: percentiles from the first "+strconv.Itoa(maxRecentSamples)+" customers")
	}
	byClass := map[string][]time.Duration{}
	for _, s := range latest {
		byClass[s.class] = append(byClass[s.class], s.lag)
	}
	for _, c := range lag.Classes {
		cl := m.Classes[c]
		cl.Summarise(byClass[c])
		m.Classes[c] = cl
	}
	return nil
}

// list pages through a visibility query. each returns false to stop;
// page (optional) is called after every page and returns false to stop.
func (o *Ops) list(ctx context.Context, query string, each func(attrs map[string]*commonpb.Payload, workflowID string) bool, page func() bool) error {
	var token []byte
	for {
		resp, err := o.temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: o.namespace, Query: query, NextPageToken: token, PageSize: visibilityPageSize,
		})
		if err != nil {
			return temporal.NewApplicationErrorWithOptions("visibility query: "+err.Error(), names.ErrTransient, temporal.ApplicationErrorOptions{})
		}
		for _, e := range resp.GetExecutions() {
			if !each(e.GetSearchAttributes().GetIndexedFields(), e.GetExecution().GetWorkflowId()) {
				return nil
			}
		}
		heartbeat(ctx, "visibility page")
		token = resp.GetNextPageToken()
		if len(token) == 0 || (page != nil && !page()) {
			return nil
		}
	}
}

// searchAttr decodes one search attribute if present (left unchanged if not).
func searchAttr(attrs map[string]*commonpb.Payload, name string, out any) {
	if p, ok := attrs[name]; ok {
		_ = converter.GetDefaultDataConverter().FromPayload(p, out)
	}
}

// laneView is the part of the lane query answer (workflows.LaneStatus) the
// measurement needs; activities cannot import workflows.
type laneView struct {
	PendingByClass map[string]int       `json:"pendingByClass"`
	OldestByClass  map[string]time.Time `json:"oldestByClass"`
}

// measureLanes adds the requests waiting in the lane shards: their oldest
// change counts towards the backlog age of its class.
func (o *Ops) measureLanes(ctx context.Context, m *lag.Measurement, shards int) {
	for i := 0; i < shards; i++ {
		id := names.LaneWorkflowID(i)
		var v laneView
		if err := o.query(ctx, id, string(names.QueryLane), &v); err != nil {
			if !isNotFound(err) { // a shard that never started has nothing queued
				m.Errors = append(m.Errors, id+": "+err.Error())
			}
			continue
		}
		for _, c := range lag.Classes {
			cl := m.Classes[c]
			cl.Queued += v.PendingByClass[c]
			if t, ok := v.OldestByClass[c]; ok && !t.IsZero() {
				if age := m.At.Sub(t); age > cl.BacklogAge {
					cl.BacklogAge = age
				}
			}
			m.Classes[c] = cl
		}
	}
}

// pollerView is the part of the poller's progress (workflows.PollerStatus) needed here.
type pollerView struct {
	LastPoll time.Time `json:"lastPoll"`
}

// measurePoller sets the time since the change poller last completed a
// poll. A run that has not completed one yet counts from its start.
func (o *Ops) measurePoller(ctx context.Context, m *lag.Measurement) {
	var v pollerView
	if err := o.query(ctx, names.PollerWorkflowID, string(names.QueryProgress), &v); err != nil {
		m.Errors = append(m.Errors, "poller: "+err.Error())
		return
	}
	last := v.LastPoll
	if last.IsZero() {
		qctx, cancel := context.WithTimeout(ctx, lagQueryTimeout)
		defer cancel()
		d, err := o.temporal.DescribeWorkflowExecution(qctx, names.PollerWorkflowID, "")
		if err != nil {
			m.Errors = append(m.Errors, "poller: "+err.Error())
			return
		}
		last = d.GetWorkflowExecutionInfo().GetStartTime().AsTime()
	}
	if age := m.At.Sub(last); age > 0 {
		m.PollerAge = age
	} else {
		m.PollerAge = 0
	}
}

func (o *Ops) query(ctx context.Context, workflowID, query string, out any) error {
	qctx, cancel := context.WithTimeout(ctx, lagQueryTimeout)
	defer cancel()
	v, err := o.temporal.QueryWorkflow(qctx, workflowID, "", query)
	if err != nil {
		return err
	}
	return v.Get(out)
}
