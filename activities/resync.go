package activities

import (
	"context"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/odoo"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/changes"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/identity"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/messages"
)

// ResyncPartners reads the next page of partners a filter selects (by id,
// archived included) and sends their customers a forced resync hint.
func (p *Poll) ResyncPartners(ctx context.Context, f changes.ResyncFilter, page changes.ResyncPage) (changes.ResyncPage, error) {
	domain := odoo.Domain{odoo.Term("id", ">", page.AfterID)}
	if f.Tag != "" {
		tagIDs, err := p.odoo.Search(ctx, "res.partner.category", odoo.Term("name", "=ilike", f.Tag), odoo.ReadOptions{Context: map[string]any{"active_test": false}})
		if err != nil {
			return page, temporalError("find tag", err)
		}
		if len(tagIDs) == 0 {
			return page, temporalError("find tag", &odoo.RequestError{Op: "resync", Reason: "no Odoo tag named " + f.Tag})
		}
		domain = odoo.And(domain, odoo.Term("category_id", "child_of", tagIDs))
	}
	if !f.Since.IsZero() {
		domain = odoo.And(domain, odoo.Term("write_date", ">=", f.Since))
	}
	recs, err := p.odoo.SearchRead(ctx, "res.partner", domain, []string{"id", "email", "email_normalized"},
		odoo.ReadOptions{Limit: pageSize, Order: "id asc", Context: map[string]any{"active_test": false}})
	if err != nil {
		return page, temporalError("read partners", err)
	}
	var hints []routed
	seen := map[string]bool{}
	seenAt := now()
	for _, r := range recs {
		page.AfterID = r.Int("id")
		page.Partners++
		key, _ := identity.Key(r.String("email_normalized"), r.String("email"))
		if key == "" {
			page.Skipped++
			continue
		}
		if !seen[key] {
			seen[key] = true
			hints = append(hints, routed{key, messages.Hint{Kind: messages.HintResync, Class: customer.ClassOrder, Force: true, SeenAt: seenAt}})
		}
	}
	if err := p.route(ctx, hints); err != nil {
		return page, err
	}
	page.Customers += len(hints)
	page.Done = len(recs) < pageSize
	return page, nil
}
