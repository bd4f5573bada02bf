package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/identity"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/messages"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
)

// stages splits an order's lag along the path, from the customer
// workflow's history (server timestamps, same clock as the harness):
//
//	capture: Odoo call returned -> the order hint reached the customer workflow
//	         (webhook/poll, PollChanges, signal-with-start)
//	wait:    hint -> the write that carries it was scheduled (a write already
//	         in flight for the same customer, e.g. the new partner's, and the
//	         workflow task itself)
//	queue:   scheduled -> an activity worker started it (task queue, rate limit)
//	write:   started -> Insight record acknowledged by Dotdigital (reload from
//	         Odoo, contact write, record write)
type stages struct {
	Capture, Wait, Queue, Write []time.Duration
	Samples, Missing            int
	// Slowest are the event timelines of the slowest orders measured.
	Slowest []timeline
}

// timeline is one order's customer-workflow history, as offsets from the
// moment the Odoo call returned.
type timeline struct {
	Order  int64         `json:"order"`
	Lag    string        `json:"lag"`
	Events []string      `json:"events"`
	lag    time.Duration // for ordering
}

// orderStages measures the stages of up to limit acknowledged orders.
func orderStages(ctx context.Context, c client.Client, hasher identity.Hasher, orders []*change, limit int) stages {
	var st stages
	for _, ch := range orders {
		if st.Samples+st.Missing >= limit {
			break
		}
		if !ch.done || ch.kind != kindOrder {
			continue
		}
		if ok := st.addOrder(ctx, c, hasher.CustomerID(ch.key), ch); !ok {
			st.Missing++
		} else {
			st.Samples++
		}
	}
	return st
}

func (st *stages) addOrder(ctx context.Context, c client.Client, workflowID string, ch *change) bool {
	hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	it := c.GetWorkflowHistory(hctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var hintAt, scheduledAt, startedAt time.Time
	var scheduledID int64
	tl := timeline{Order: ch.order, Lag: fmtDur(ch.lag()), lag: ch.lag()}
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return false
		}
		t := ev.GetEventTime().AsTime()
		if len(tl.Events) < 40 && t.After(ch.at.Add(-5*time.Second)) {
			what := ev.GetEventType().String()
			if s := ev.GetWorkflowExecutionSignaledEventAttributes(); s != nil && len(s.GetInput().GetPayloads()) > 0 {
				what += " " + s.GetSignalName() + " " + string(s.GetInput().GetPayloads()[0].GetData())
			}
			if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil {
				what += " " + a.GetActivityType().GetName()
			}
			if m := ev.GetMarkerRecordedEventAttributes(); m != nil {
				what += " " + m.GetMarkerName()
			}
			tl.Events = append(tl.Events, fmt.Sprintf("%+.3fs %s", t.Sub(ch.at).Seconds(), what))
		}
		switch {
		case hintAt.IsZero():
			s := ev.GetWorkflowExecutionSignaledEventAttributes()
			if s == nil || s.GetSignalName() != string(names.SignalChange) || len(s.GetInput().GetPayloads()) == 0 {
				continue
			}
			var h messages.Hint
			if json.Unmarshal(s.GetInput().GetPayloads()[0].GetData(), &h) == nil && h.Model == "sale.order" && h.RecordID == ch.order && h.Class == customer.ClassOrder {
				hintAt = t
			}
		case scheduledID == 0:
			if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil && a.GetActivityType().GetName() == "WriteCustomer" {
				scheduledID, scheduledAt = ev.GetEventId(), t
			}
		default:
			if a := ev.GetActivityTaskStartedEventAttributes(); a != nil && a.GetScheduledEventId() == scheduledID {
				startedAt = t
			}
		}
	}
	if startedAt.IsZero() {
		st.keepSlow(tl) // written through the lane: its timeline still tells
		return false
	}
	st.Capture = append(st.Capture, hintAt.Sub(ch.at))
	st.keepSlow(tl)
	if ch.ack.Before(startedAt) {
		// Carried by the write already in flight when the hint arrived.
		st.Wait = append(st.Wait, ch.ack.Sub(hintAt))
		st.Queue, st.Write = append(st.Queue, 0), append(st.Write, 0)
		return true
	}
	st.Wait = append(st.Wait, scheduledAt.Sub(hintAt))
	st.Queue = append(st.Queue, startedAt.Sub(scheduledAt))
	st.Write = append(st.Write, ch.ack.Sub(startedAt))
	return true
}

// keepSlow keeps the timelines of the five slowest orders.
func (st *stages) keepSlow(tl timeline) {
	st.Slowest = append(st.Slowest, tl)
	sort.Slice(st.Slowest, func(i, j int) bool { return st.Slowest[i].lag > st.Slowest[j].lag })
	if len(st.Slowest) > 5 {
		st.Slowest = st.Slowest[:5]
	}
}

// add reports the stages as figures.
func (st stages) add(res *ScenarioResult) {
	if st.Samples == 0 {
		return
	}
	for _, x := range []struct {
		name, what string
		ds         []time.Duration
	}{
		{"capture", "Odoo call -> hint at the customer workflow (webhook or poll, PollChanges, signal-with-start)", st.Capture},
		{"wait", "hint -> its write scheduled (a write in flight for the customer, workflow task)", st.Wait},
		{"queue", "scheduled -> started (task queue, rate limit)", st.Queue},
		{"write", "started -> record acknowledged (Odoo reload, contact and record writes)", st.Write},
	} {
		res.add(infoMetric("order lag stage "+x.name+" p50/p95", percentile(x.ds, .5).Seconds(), "s",
			fmt.Sprintf("%s / %s", fmtDur(percentile(x.ds, .5)), fmtDur(percentile(x.ds, .95))), x.what))
	}
	res.Details["stageSamples"] = map[string]int{"measured": st.Samples, "notFound": st.Missing}
	res.Details["slowestOrders"] = st.Slowest
}
