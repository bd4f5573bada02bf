package activities

import (
	"context"
	"sync"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/odoo"
)

// exclusionsTTL: companies and internal users change rarely.
const exclusionsTTL = 5 * time.Minute

// exclusions are partners that are not customers: the partners of the Odoo
// companies themselves and of internal users (partner_share = False, e.g.
// the administrator). They never become Dotdigital contacts.
type exclusions struct {
	odoo    *odoo.Client
	mu      sync.Mutex
	ids     map[int64]bool
	fetched time.Time
}

func newExclusions(c *odoo.Client) *exclusions { return &exclusions{odoo: c} }

// set returns the excluded partner ids, refreshed every exclusionsTTL.
func (e *exclusions) set(ctx context.Context) (map[int64]bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ids != nil && time.Since(e.fetched) < exclusionsTTL {
		return e.ids, nil
	}
	ids := map[int64]bool{}
	companies, err := e.odoo.SearchRead(ctx, "res.company", odoo.Domain{}, []string{"partner_id"}, odoo.ReadOptions{})
	if err != nil {
		return nil, temporalError("read companies", err)
	}
	for _, c := range companies {
		ids[c.Many2One("partner_id").ID] = true
	}
	internal, err := e.odoo.Search(ctx, "res.partner", odoo.Term("partner_share", "=", false), odoo.ReadOptions{Context: map[string]any{"active_test": false}})
	if err != nil {
		return nil, temporalError("read internal users' partners", err)
	}
	for _, id := range internal {
		ids[id] = true
	}
	e.ids, e.fetched = ids, time.Now()
	return ids, nil
}
