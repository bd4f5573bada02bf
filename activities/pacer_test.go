package activities

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/dotdigital"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
)

func observed(p *Pacer, scope string, limit, remaining int, reset time.Time) {
	p.Observe(dotdigital.RateStatus{Scope: scope, Limit: limit, Remaining: remaining, ResetAt: reset, ObservedAt: time.Now()})
}

// Concurrent activities of one worker must not all spend the last calls of
// a window at once: calls let through count until they are answered.
func TestPacerCountsCallsInFlight(t *testing.T) {
	p := NewPacer()
	now := time.Now()
	observed(p, ScopeWrite, 10, 10, now.Add(time.Second))
	var mu sync.Mutex
	passed := map[customer.Class]int{}
	var wg sync.WaitGroup
	for i := 0; i < 40; i++ {
		wg.Add(1)
		class := customer.ClassOrder
		if i%2 == 1 {
			class = customer.ClassProfile
		}
		go func() {
			defer wg.Done()
			if p.take(ScopeWrite, now, class) == 0 {
				mu.Lock()
				passed[class]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	// 10 calls left; 1 kept in reserve: at most 9 go out before an answer.
	require.LessOrEqual(t, passed[customer.ClassOrder]+passed[customer.ClassProfile], 9)
	require.Positive(t, passed[customer.ClassOrder])
	// Profile calls stop while 4 or fewer would be left (30% + reserve held
	// back for orders).
	require.LessOrEqual(t, passed[customer.ClassProfile], 6)

	// Everything held back waits for the window's reset.
	d := p.take(ScopeWrite, now, customer.ClassOrder)
	require.InDelta(t, time.Second.Seconds(), d.Seconds(), 0.01)
}

func TestPacerHoldsProfileWorkBackForOrders(t *testing.T) {
	p := NewPacer()
	now := time.Now()
	reset := now.Add(800 * time.Millisecond)
	observed(p, ScopeWrite, 100, 25, reset)
	require.Equal(t, time.Duration(0), p.take(ScopeWrite, now, customer.ClassOrder), "orders use the last quarter")
	require.Equal(t, time.Duration(0), p.take(ScopeWrite, now, customer.ClassStatus), "status changes keep 22 back")
	require.Equal(t, reset.Sub(now), p.take(ScopeWrite, now, customer.ClassProfile), "profile changes keep 32 back")
	require.True(t, p.Pressured(ScopeWrite), "a held-back call marks the scope as under pressure")
	require.False(t, p.Pressured(ScopeImport), "other scopes are not")
}

func TestPacerReleaseAndObservation(t *testing.T) {
	p := NewPacer()
	now := time.Now()
	reset := now.Add(2 * time.Second)
	observed(p, ScopeImport, 10, 3, reset)
	require.Zero(t, p.take(ScopeImport, now, customer.ClassOrder))
	require.Zero(t, p.take(ScopeImport, now, customer.ClassOrder))
	require.Positive(t, p.take(ScopeImport, now, customer.ClassOrder), "3 left, 2 on their way, 1 reserved")
	// The two answers arrive, out of order: the lower Remaining of the
	// window stands.
	observed(p, ScopeImport, 10, 1, reset)
	p.release(ScopeImport)
	observed(p, ScopeImport, 10, 2, reset)
	p.release(ScopeImport)
	require.Equal(t, 1, p.last[ScopeImport].Remaining)
	require.Positive(t, p.take(ScopeImport, now, customer.ClassOrder))
	// Once the reset has passed the window is full again, even before a
	// new answer says so.
	later := reset.Add(time.Millisecond)
	require.Zero(t, p.take(ScopeImport, later, customer.ClassProfile))
	// A new window's answer replaces the old one's count.
	observed(p, ScopeImport, 10, 8, later.Add(2*time.Second))
	require.Equal(t, 8, p.last[ScopeImport].Remaining)
}

func TestPacerWaitForHonoursCancellation(t *testing.T) {
	p := NewPacer()
	observed(p, ScopeWrite, 10, 0, time.Now().Add(time.Minute))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	release, err := p.waitFor(ctx, ScopeWrite, customer.ClassOrder)
	release()
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 5*time.Second)
	require.Zero(t, p.inflight[ScopeWrite], "a cancelled wait reserves nothing")
}

// However tight the budget (a limit of one call per window leaves nothing
// above the reserve), a new window always lets one call through: its answer
// is how the pacer learns the budget again, e.g. after the limits were
// raised.
func TestPacerProbesEachNewWindow(t *testing.T) {
	p := NewPacer()
	now := time.Now()
	reset := now.Add(2 * time.Second)
	observed(p, ScopeWrite, 1, 0, reset)
	require.Positive(t, p.take(ScopeWrite, now, customer.ClassOrder))
	later := reset.Add(time.Millisecond)
	require.Zero(t, p.take(ScopeWrite, later, customer.ClassProfile), "the first call of a new window goes")
	require.Positive(t, p.take(ScopeWrite, later, customer.ClassOrder), "the second waits for its answer")
	p.release(ScopeWrite)
	observed(p, ScopeWrite, 1000, 999, later.Add(2*time.Second))
	require.Zero(t, p.take(ScopeWrite, later, customer.ClassProfile), "the raised limit is seen at once")
}
