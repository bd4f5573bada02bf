package ddemu

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// FaultKind is what a targeted fault does to the call it hits.
type FaultKind string

// Targeted fault kinds. Their answers are always 500 (never 503), so that a
// test knows exactly what its client saw.
const (
	// FaultApplied5xx lets the call take effect, then answers 500: the answer is lost.
	FaultApplied5xx FaultKind = "applied5xx"
	// FaultFail5xx answers 500 without any effect.
	FaultFail5xx FaultKind = "fail5xx"
	// FaultTimeout hangs until the client gives up or the timeout delay
	// (Options.TimeoutDelay / Faults.TimeoutDelay) passes, then answers 504, without effect.
	FaultTimeout FaultKind = "timeout"
)

// outcome maps the public kind onto the pipeline's fault decision.
func (k FaultKind) outcome() (faultKind, bool) {
	switch k {
	case FaultApplied5xx:
		return faultApplied5xx, true
	case FaultFail5xx:
		return fault5xx, true
	case FaultTimeout:
		return faultTimeout, true
	}
	return faultNone, false
}

// TargetedFault makes specific calls fail deterministically, unlike the
// random rates of Faults. A call matches when its route is Route and its
// path contains PathContains; of the matching calls the first Skip pass
// untouched, the next Count get the fault, and then the fault is used up.
type TargetedFault struct {
	// Route is a route name exactly as in Stats.ByRoute and RouteTier, e.g.
	// "PATCH /contacts/v3/{identifier}/{value}".
	Route string `json:"route"`
	// PathContains, when set, restricts the fault to calls whose unescaped
	// path contains it, compared case-insensitively (e.g. "/contactId/").
	PathContains string `json:"pathContains,omitempty"`
	// Kind is what the fault does.
	Kind FaultKind `json:"kind"`
	// Count is how many matching calls get the fault; 0 means 1.
	Count int `json:"count,omitempty"`
	// Skip is how many matching calls pass before the fault applies. Every
	// matching call counts, including one that another targeted fault hit.
	Skip int `json:"skip,omitempty"`
}

// ParseTargetedFault reads the command-line form of a targeted fault:
// either "KIND:ROUTE[:PATHCONTAINS[:COUNT[:SKIP]]]" (routes contain no
// colon; empty PATHCONTAINS or COUNT take their defaults), e.g.
//
//	applied5xx:PATCH /contacts/v3/{identifier}/{value}:/contactId/:1
//
// or a JSON object with the fields of TargetedFault, e.g.
//
//	{"kind":"timeout","route":"PUT /contacts/v3/import","skip":2}
//
// The result is not checked against the routes; InjectFault does that.
func ParseTargetedFault(s string) (TargetedFault, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "{") {
		var f TargetedFault
		dec := json.NewDecoder(strings.NewReader(s))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return f, fmt.Errorf("ddemu: targeted fault %q: %w", s, err)
		}
		return f, nil
	}
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 5 {
		return TargetedFault{}, fmt.Errorf("ddemu: targeted fault %q: want KIND:ROUTE[:PATHCONTAINS[:COUNT[:SKIP]]]", s)
	}
	f := TargetedFault{Kind: FaultKind(parts[0]), Route: parts[1]}
	if len(parts) > 2 {
		f.PathContains = parts[2]
	}
	for i, dst := range []*int{&f.Count, &f.Skip} {
		if len(parts) <= 3+i || parts[3+i] == "" {
			continue
		}
		n, err := strconv.Atoi(parts[3+i])
		if err != nil {
			return f, fmt.Errorf("ddemu: targeted fault %q: %s is not a number", s, []string{"COUNT", "SKIP"}[i])
		}
		*dst = n
	}
	return f, nil
}

// normalised validates f against the emulator's routes and fills in defaults.
func (f TargetedFault) normalised(routes map[string]Tier) (TargetedFault, error) {
	if _, ok := f.Kind.outcome(); !ok {
		return f, fmt.Errorf("ddemu: unknown targeted fault kind %q (want %q, %q or %q)", f.Kind, FaultApplied5xx, FaultFail5xx, FaultTimeout)
	}
	if _, ok := routes[f.Route]; !ok {
		return f, fmt.Errorf("ddemu: targeted fault for unknown route %q (want a name such as %q; see RouteTier)",
			f.Route, "PATCH /contacts/v3/{identifier}/{value}")
	}
	if f.Count < 0 || f.Skip < 0 {
		return f, errors.New("ddemu: targeted fault Count and Skip must not be negative")
	}
	if f.Count == 0 {
		f.Count = 1
	}
	return f, nil
}

// matches reports whether a call of route with the lower-cased unescaped path is one f targets.
func (f *TargetedFault) matches(route, lowerPath string) bool {
	return f.Route == route && strings.Contains(lowerPath, strings.ToLower(f.PathContains))
}

// targetedFaults holds the faults not yet used up, in injection order; safe for concurrent use.
type targetedFaults struct {
	mu      sync.Mutex
	pending []*TargetedFault // Count and Skip count down as calls match
}

func (t *targetedFaults) add(f TargetedFault) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pending = append(t.pending, &f)
}

// take decides whether the call gets a targeted fault. Every matching fault
// sees the call (so Skip counts matching calls since injection); the oldest
// one that is past its Skip fires and loses one of its Count.
func (t *targetedFaults) take(route, path string) (FaultKind, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.pending) == 0 {
		return "", false
	}
	lower := strings.ToLower(path)
	var fired *TargetedFault
	for _, f := range t.pending {
		switch {
		case !f.matches(route, lower):
		case f.Skip > 0:
			f.Skip--
		case fired == nil:
			fired = f
			f.Count--
		}
	}
	if fired == nil {
		return "", false
	}
	t.pending = withoutUsedUp(t.pending)
	return fired.Kind, true
}

// withoutUsedUp drops the faults whose Count reached zero, keeping the order.
func withoutUsedUp(fs []*TargetedFault) []*TargetedFault {
	out := fs[:0]
	for _, f := range fs {
		if f.Count > 0 {
			out = append(out, f)
		}
	}
	clear(fs[len(out):])
	return out
}

func (t *targetedFaults) list() []TargetedFault {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]TargetedFault, len(t.pending))
	for i, f := range t.pending {
		out[i] = *f
	}
	return out
}

func (t *targetedFaults) clear() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(t.pending)
	t.pending = nil
	return n
}

// InjectFault arms a targeted fault at run time. It is checked before the
// random fault dice, for authorised calls the rate limiter admitted.
func (e *Emulator) InjectFault(f TargetedFault) error {
	f, err := f.normalised(e.RouteTier())
	if err != nil {
		return err
	}
	e.targets.add(f)
	e.log.Info("targeted fault armed", "route", f.Route, "kind", f.Kind, "count", f.Count, "skip", f.Skip)
	return nil
}

// PendingFaults lists the targeted faults not yet used up, oldest first;
// Count and Skip are what remains of each.
func (e *Emulator) PendingFaults() []TargetedFault { return e.targets.list() }

// ClearInjectedFaults drops every pending targeted fault and reports how many there were.
func (e *Emulator) ClearInjectedFaults() int { return e.targets.clear() }
