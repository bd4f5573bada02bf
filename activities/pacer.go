package activities

import (
	"context"
	"sync"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/dotdigital"
)

// Pacer slows the lane down before Dotdigital's budget runs out, from the
// X-RateLimit-Remaining/Reset headers of earlier answers, so that 429s stay
// rare. The headers describe the account-wide budget, so every worker of a
// fleet paces on the same numbers.
type Pacer struct {
	mu   sync.Mutex
	last map[string]dotdigital.RateStatus // by scope (tier)
}

// NewPacer returns a pacer; pass its Observe to the Dotdigital client.
func NewPacer() *Pacer { return &Pacer{last: map[string]dotdigital.RateStatus{}} }

// Observe records the rate-limit headers of an answer.
func (p *Pacer) Observe(s dotdigital.RateStatus) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last[s.Scope] = s
}

// reserve is how many calls of a window the pacer leaves unused: enough for
// the other workers of a fleet and for status polls.
func reserve(limit int) int {
	r := limit / 50 // 2%
	if r < 1 {
		r = 1
	}
	return r
}

// delay returns how long to wait before the next call of scope ("" = the
// tightest scope seen).
func (p *Pacer) delay(scope string, at time.Time) time.Duration {
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
		if s.Remaining <= reserve(s.Limit) {
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

// wait blocks until the budget allows another call, heartbeating.
func (p *Pacer) wait(ctx context.Context, scope string) error {
	d := p.delay(scope, time.Now())
	if d <= 0 {
		return nil
	}
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
