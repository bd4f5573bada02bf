package lag

import (
	"strconv"
	"time"
)

// Alert kinds.
const (
	KindFiring   = "firing"
	KindResolved = "resolved"
)

// Incident is an open lag incident of one threshold group.
type Incident struct {
	Group     string        `json:"group"`
	Since     time.Time     `json:"since"` // measurement time that opened it
	Lag       time.Duration `json:"lag"`   // worst lag of the latest measurement
	Peak      time.Duration `json:"peak"`
	Threshold time.Duration `json:"threshold"`
	Detail    string        `json:"detail"`
	// Under counts consecutive measurements under the threshold (hysteresis).
	Under int `json:"under,omitempty"`
}

// State is the incident state the alerts workflow keeps between measurements.
type State struct {
	Open map[string]Incident `json:"open,omitempty"` // by group
	// LastAt is the time of the last measurement evaluated; older ones
	// (delivered out of order) are ignored.
	LastAt   time.Time `json:"lastAt,omitempty"`
	Fired    int       `json:"fired"`
	Resolved int       `json:"resolved"`
}

// OpenIncidents returns the open incidents in group order.
func (s State) OpenIncidents() []Incident {
	var out []Incident
	for _, g := range Groups {
		if inc, ok := s.Open[g]; ok {
			out = append(out, inc)
		}
	}
	return out
}

// IsOpen reports whether group has an open incident.
func (s State) IsOpen(group string) bool {
	_, ok := s.Open[group]
	return ok
}

// Alert is one notification: an incident opened (firing) or closed (resolved).
type Alert struct {
	Kind      string        `json:"kind"`
	Group     string        `json:"group"`
	Lag       time.Duration `json:"lag"` // worst lag when the alert was raised
	Peak      time.Duration `json:"peak"`
	Threshold time.Duration `json:"threshold"`
	Since     time.Time     `json:"since"` // when the incident opened
	At        time.Time     `json:"at"`    // when the alert was raised
	Detail    string        `json:"detail"`
}

// Evaluate applies one measurement to the incident state. An incident of a
// group opens when the group's worst lag exceeds its threshold and closes
// after ClearAfter consecutive measurements at or under it. It returns the
// new state and the alerts to send: exactly one when an incident opens and
// one when it closes, none while it stays open or closed. prev is not
// modified. A measurement not newer than the last evaluated one changes
// nothing.
func Evaluate(prev State, m Measurement, t Thresholds) (State, []Alert) {
	if !prev.LastAt.IsZero() && !m.At.After(prev.LastAt) {
		return prev, nil
	}
	next := State{Open: map[string]Incident{}, LastAt: m.At, Fired: prev.Fired, Resolved: prev.Resolved}
	var alerts []Alert
	for _, g := range Groups {
		thr := t.For(g)
		worst, detail := Worst(g, m, t)
		over := thr > 0 && worst > thr
		inc, open := prev.Open[g]
		switch {
		case !open && over:
			inc = Incident{Group: g, Since: m.At, Lag: worst, Peak: worst, Threshold: thr, Detail: detail}
			next.Open[g] = inc
			next.Fired++
			alerts = append(alerts, Alert{Kind: KindFiring, Group: g, Lag: worst, Peak: worst, Threshold: thr, Since: m.At, At: m.At, Detail: detail})
		case !open:
			// Nothing to do: closed and under the threshold.
		case over:
			inc.Under, inc.Lag, inc.Threshold, inc.Detail = 0, worst, thr, detail
			if worst > inc.Peak {
				inc.Peak = worst
			}
			next.Open[g] = inc
		default:
			inc.Under++
			inc.Lag = worst
			if inc.Under < ClearAfter && thr > 0 {
				next.Open[g] = inc
				continue
			}
			next.Resolved++
			alerts = append(alerts, Alert{Kind: KindResolved, Group: g, Lag: worst, Peak: inc.Peak, Threshold: thr, Since: inc.Since, At: m.At, Detail: detail})
		}
	}
	if len(next.Open) == 0 {
		next.Open = nil
	}
	return next, alerts
}

// Worst returns a group's worst lag in a measurement and what it is: the
// oldest unacknowledged change of the group's classes, the p95 of their
// recent syncs, the canary's worst miss (orders) and the poller's staleness.
func Worst(group string, m Measurement, t Thresholds) (time.Duration, string) {
	var worst time.Duration
	detail := ""
	consider := func(d time.Duration, what func() string) {
		if d > worst {
			worst, detail = d, what()
		}
	}
	for _, c := range classesOf(group) {
		cl := m.Classes[c]
		consider(cl.BacklogAge, func() string {
			return c + " backlog: oldest unacknowledged change is " + Round(cl.BacklogAge).String() + " old (" +
				strconv.Itoa(cl.Pending) + " customers pending, " + strconv.Itoa(cl.Queued) + " queued in lanes)"
		})
		if cl.Recent > 0 {
			consider(cl.P95, func() string {
				return c + " syncs of the last " + Round(m.Window).String() + ": p95 lag " + Round(cl.P95).String() +
					" (max " + Round(cl.Max).String() + ", " + strconv.Itoa(cl.Recent) + " syncs)"
			})
		}
	}
	if group == GroupOrders && m.Canary.Misses > 0 {
		consider(m.Canary.MissAge, func() string {
			return "canary: order " + m.Canary.MissOrder + " not in Dotdigital (" + m.Canary.MissReason + ") for " +
				Round(m.Canary.MissAge).String() + " (" + strconv.Itoa(m.Canary.Misses) + " of " + strconv.Itoa(m.Canary.Checked) + " sampled orders missing)"
		})
	}
	if m.PollerAge >= 0 && m.PollerAge > PollerGraceIntervals*t.PollInterval {
		consider(m.PollerAge, func() string {
			return "change poller has not completed a poll for " + Round(m.PollerAge).String() + " (Odoo changes are not being picked up)"
		})
	}
	return worst, detail
}

// Round rounds a duration for display: whole seconds, or milliseconds under
// ten seconds.
func Round(d time.Duration) time.Duration {
	if d < 10*time.Second && d > -10*time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Second)
}
