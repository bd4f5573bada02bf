package ddemu

import (
	"math/rand/v2"
	"sync"
	"time"
)

// faultKind is what the dice decided for one call.
type faultKind int

const (
	faultNone faultKind = iota
	fault5xx
	faultTimeout
	faultApplied5xx
)

// faultDice draws fault decisions; safe for concurrent use.
type faultDice struct {
	mu  sync.Mutex
	f   Faults
	rng *rand.Rand
}

func newFaultDice(f Faults, seed uint64) *faultDice {
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	return &faultDice{f: f, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

func (d *faultDice) set(f Faults) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.f = f
}

func (d *faultDice) get() Faults {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.f
}

// faultDecision is what happens to one admitted call before its handler runs.
type faultDecision struct {
	kind      faultKind
	slow      time.Duration // delay before serving (0 = none)
	status503 bool          // a 5xx fault answers 503 rather than 500
	timeout   time.Duration // how long a timeout fault hangs
}

// roll decides, before the call has any effect, whether it is slowed and which fault it gets.
func (d *faultDice) roll() faultDecision {
	d.mu.Lock()
	defer d.mu.Unlock()
	f := d.f
	fd := faultDecision{timeout: f.TimeoutDelay}
	if f.SlowRate > 0 && d.rng.Float64() < f.SlowRate {
		fd.slow = f.SlowDelay
	}
	x := d.rng.Float64()
	switch {
	case x < f.Fault5xxRate:
		fd.kind = fault5xx
	case x < f.Fault5xxRate+f.TimeoutRate:
		fd.kind = faultTimeout
	case x < f.Fault5xxRate+f.TimeoutRate+f.Applied5xxRate:
		fd.kind = faultApplied5xx
	}
	fd.status503 = d.rng.IntN(2) == 1
	return fd
}
