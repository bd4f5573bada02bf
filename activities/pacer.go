package activities

import (
	"context"
	"sync"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/dotdigital"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
)

// Pacer slows the lane down before Dotdigital's budget runs out, from the
// X-RateLimit-Remaining/Reset headers of earlier answers, so that 429s stay
// rare. The headers describe the account-wide budget, so every worker of a
// fleet paces on the same numbers.
type Pacer struct {
	mu       sync.Mutex
	last     map[string]dotdigital.RateStatus // by scope (tier)
	pressure map[string]time.Time             // by scope: last time its budget ran low
	// inflight counts this process's calls per scope that were let through
	// and have not been answered yet: the last observed Remaining does not
	// include them, so without it a worker's concurrent activities would all
	// spend the same last few calls of a window at once.
	inflight map[string]int
}

// pressureMemory: how long after the budget ran low the lane keeps
// treating the API as the bottleneck.
const pressureMemory = 30 * time.Second

// Pressured reports whether the budget of scope ran low recently. The lane
// then moves work to the other path: single writes and bulk imports are
// in different tiers.
func (p *Pacer) Pressured(scope string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.pressure[scope]
	return ok && time.Since(t) < pressureMemory
}

// Backlogged records that a backlog is being served by bulk import: new
// work should queue behind it in the lane (where it is coalesced and
// batched) rather than jump it with single writes, which would spend the
// write budget one customer at a time. It holds like a low budget does.
func (p *Pacer) Backlogged() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pressure[ScopeWrite] = time.Now()
}

// NewPacer returns a pacer; pass its Observe to the Dotdigital client.
func NewPacer() *Pacer {
	return &Pacer{last: map[string]dotdigital.RateStatus{}, pressure: map[string]time.Time{}, inflight: map[string]int{}}
}

// Observe records the rate-limit headers of an answer.
func (p *Pacer) Observe(s dotdigital.RateStatus) {
	p.mu.Lock()
	defer p.mu.Unlock()
	// Answers of concurrent calls arrive out of order: within one window
	// the lowest Remaining is the most recent truth.
	if prev, ok := p.last[s.Scope]; ok && sameWindow(prev, s) && prev.Remaining >= 0 && prev.Remaining < s.Remaining {
		s.Remaining = prev.Remaining
	}
	p.last[s.Scope] = s
	if s.Limit > 0 && s.Remaining >= 0 && s.Remaining <= 2*reserve(s.Limit) {
		p.pressure[s.Scope] = time.Now()
	}
}

// Rate-limit scopes (tiers) of the calls the lane makes, as Dotdigital names
// them in X-RateLimit-Scope. Which endpoint is in which tier is stated per
// endpoint in Dotdigital's reference (bulk imports low, single writes
// medium, reads high); a wrong guess only means no early slow-down, and a
// 429 is still honoured through its reset time.
const (
	ScopeImport = "lowCallRate"
	ScopeWrite  = "mediumCallRate"
	ScopeRead   = "highCallRate"
)

// reserve is how many calls of a window the pacer leaves unused: enough for
// the other workers of a fleet and for status polls.
func reserve(limit int) int {
	r := limit / 50 // 2%
	if r < 1 {
		r = 1
	}
	return r
}

// held back is the part of a window that lower classes leave to orders: when
// the budget runs low, profile work (30%) and status work (20%) wait for
// the next window first, so orders keep getting through (BRIEF: orders
// before everything else, from the same budget).
func heldBack(limit int, class customer.Class) int {
	switch class {
	case customer.ClassOrder:
		return reserve(limit)
	case customer.ClassStatus:
		return reserve(limit) + limit/5
	}
	return reserve(limit) + limit*3/10
}

// sameWindow reports whether two observations describe one rate window.
func sameWindow(a, b dotdigital.RateStatus) bool {
	d := a.ResetAt.Sub(b.ResetAt)
	return !a.ResetAt.IsZero() && d < time.Second && d > -time.Second
}

// windowGuess is how long the pacer waits for a window it knows is spent
// but whose reset it has not seen yet (a 429 answer always says).
const windowGuess = time.Second

// delay returns how long a call of class must wait before the next call of
// scope ("" = the tightest scope seen). The caller holds p.mu.
func (p *Pacer) delay(scope string, at time.Time, class customer.Class) time.Duration {
	var wait time.Duration
	for sc, s := range p.last {
		if scope != "" && sc != scope {
			continue
		}
		if s.Limit <= 0 {
			continue
		}
		// The budget left: as last observed in a current window (a full
		// window once its reset has passed), minus this process's calls on
		// their way.
		left, reset := s.Remaining, s.ResetAt
		if reset.IsZero() || !reset.After(at) {
			if p.inflight[sc] == 0 {
				continue // a new window: one call goes and its answer tells the budget
			}
			left, reset = s.Limit, time.Time{}
		}
		left -= p.inflight[sc]
		if left <= heldBack(s.Limit, class) {
			d := windowGuess
			if !reset.IsZero() {
				d = reset.Sub(at)
			}
			wait = max(wait, d)
		}
	}
	return min(wait, 65*time.Second)
}

// take reserves one call of class on scope when the budget allows it now,
// else says how long to wait.
func (p *Pacer) take(scope string, at time.Time, class customer.Class) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	d := p.delay(scope, at, class)
	if d > 0 {
		p.pressure[scope] = at
		return d
	}
	if scope != "" {
		p.inflight[scope]++
	}
	return 0
}

// wouldWait says how long a call of class on scope would wait now,
// without reserving anything.
func (p *Pacer) wouldWait(scope string, at time.Time, class customer.Class) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.delay(scope, at, class)
}

// release ends a reservation: the call was answered (and its headers
// observed) or failed.
func (p *Pacer) release(scope string) {
	if scope == "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inflight[scope] > 0 {
		p.inflight[scope]--
	}
}

// wait blocks until the budget of every scope allows another call of the
// lowest class (no reservation: for the rare calls of uncertain tier).
func (p *Pacer) wait(ctx context.Context, scope string) error {
	release, err := p.waitFor(ctx, scope, customer.ClassProfile)
	release()
	return err
}

// waitFor blocks until the budget allows another call of class,
// heartbeating, and reserves it: call release once the call is answered.
func (p *Pacer) waitFor(ctx context.Context, scope string, class customer.Class) (release func(), err error) {
	release = func() { p.release(scope) }
	lastBeat := time.Now()
	for {
		now := time.Now()
		d := p.take(scope, now, class)
		if d <= 0 {
			return release, nil
		}
		if now.Sub(lastBeat) >= 10*time.Second {
			heartbeat(ctx, "paced")
			lastBeat = now
		}
		if err := sleep(ctx, min(d, 10*time.Second)); err != nil {
			return func() {}, err
		}
	}
}

// Probe answers, inside the workflow worker, whether the Dotdigital write
// budget is under pressure (as a local activity: no task queue, no budget).
type Probe struct{ pace *Pacer }

// NewProbe builds the probe on the process's shared pacer.
func NewProbe(d Deps) *Probe { return &Probe{pace: d.Pacer} }

// LanePressure reports whether single writes should go through the lane.
func (p *Probe) LanePressure(_ context.Context) (bool, error) {
	return p.pace != nil && p.pace.Pressured(ScopeWrite), nil
}
