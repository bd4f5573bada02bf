package odooemu

import (
	"sync"
	"time"
)

// clock is the server's time (PostgreSQL NOW()). Tests freeze or shift it.
type clock struct {
	mu     sync.Mutex
	frozen bool
	at     time.Time
	offset time.Duration
	base   func() time.Time
}

func newClock(base func() time.Time) *clock {
	if base == nil {
		base = time.Now
	}
	return &clock{base: base}
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen {
		return c.at
	}
	return c.base().Add(c.offset).UTC().Truncate(time.Microsecond)
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.frozen = true
	c.at = t.UTC().Truncate(time.Microsecond)
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen {
		c.at = c.at.Add(d)
		return
	}
	c.offset += d
}

func (c *clock) unfreeze() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.frozen = false
	c.offset = 0
}
