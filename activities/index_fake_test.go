package activities

import (
	"context"
	"sync"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/messages"
)

// memoryIndex is the partner index in memory, with the semantics of
// workflows.PartnerIndex (claims replace other owners unless IfAbsent;
// releases only remove one's own partners).
type memoryIndex struct {
	mu    sync.Mutex
	owner map[int64]string
	binds []messages.Bind
}

func newMemoryIndex() *memoryIndex { return &memoryIndex{owner: map[int64]string{}} }

func (m *memoryIndex) bind(_ context.Context, binds []messages.Bind) (map[int64]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	prev := map[int64]string{}
	for _, b := range binds {
		m.binds = append(m.binds, b)
		for _, id := range b.Claim {
			old, held := m.owner[id]
			if held && (old == b.Key || b.IfAbsent) {
				continue
			}
			if held {
				prev[id] = old
			}
			m.owner[id] = b.Key
		}
		for _, id := range b.Release {
			if m.owner[id] == b.Key {
				delete(m.owner, id)
			}
		}
	}
	return prev, nil
}

func (m *memoryIndex) owners(_ context.Context, ids []int64) (map[int64]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[int64]string{}
	for _, id := range ids {
		if k, ok := m.owner[id]; ok {
			out[id] = k
		}
	}
	return out, nil
}
