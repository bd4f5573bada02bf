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

// NewPacer returns a pacer; pass its Observe to the Dotdigital client.
func NewPacer() *Pacer {
	return &Pacer{last: map[string]dotdigital.RateStatus{}, pressure: map[string]time.Time{}}
}

// Observe records the rate-limit headers of an answer.
func (p *Pacer) Observe(s dotdigital.RateStatus) {
	p.mu.Lock()
	defer p.mu.Unlock()
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

// delay returns how long a call of class must wait before the next call of
// scope ("" = the tightest scope seen).
func (p *Pacer) delay(scope string, at time.Time, class customer.Class) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	var wait time.Duration
	for sc, s := range p.last {
		if scope != "" && sc != scope {
			continue
		}
		if s.Limit <= 0 || s.ResetAt.Before(at) {
			continue
		}
		// Remaining as observed, minus the calls made since (unknown): wait
		// when the observation says the reserve is reached.
		if s.Remaining <= heldBack(s.Limit, class) {
			if d := s.ResetAt.Sub(at); d > wait {
				wait = d
			}
		}
	}
	if wait > 65*time.Second {
		wait = 65 * time.Second
	}
	return wait
}

// wait blocks until the budget allows another call of the lowest class.
func (p *Pacer) wait(ctx context.Context, scope string) error {
	return p.waitFor(ctx, scope, customer.ClassProfile)
}

// waitFor blocks until the budget allows another call of class, heartbeating.
func (p *Pacer) waitFor(ctx context.Context, scope string, class customer.Class) error {
	d := p.delay(scope, time.Now(), class)
	if d <= 0 {
		return nil
	}
	p.mu.Lock()
	p.pressure[scope] = time.Now()
	p.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			return nil
		case <-tick.C:
			heartbeat(ctx, "paced")
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
