package activities

import (
	"context"
	"sort"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/odoo"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer/odooconv"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/identity"
)

// loader reads customers from Odoo, the source of truth, in batches.
type loader struct {
	odoo     *odoo.Client
	sem      chan struct{} // caps concurrent Odoo calls of this worker
	excluded *exclusions
}

func newLoader(c *odoo.Client, concurrency int) *loader {
	if concurrency < 1 {
		concurrency = 1
	}
	return &loader{odoo: c, sem: make(chan struct{}, concurrency), excluded: newExclusions(c)}
}

func (l *loader) acquire(ctx context.Context) (func(), error) {
	select {
	case l.sem <- struct{}{}:
		return func() { <-l.sem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Customers loads every partner (archived too) whose key is in keys, their
// orders with lines, and their tags, grouped by key. Keys without partners
// map to an empty customer.
func (l *loader) Customers(ctx context.Context, keys []string) (map[string]customer.Customer, error) {
	out := make(map[string]customer.Customer, len(keys))
	for _, k := range keys {
		out[k] = customer.Customer{Key: k}
	}
	release, err := l.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	partners, err := l.odoo.PartnersByKeys(ctx, keys)
	if err != nil {
		return nil, err
	}
	excluded, err := l.excluded.set(ctx)
	if err != nil {
		return nil, err
	}
	var partnerIDs, tagIDs []int64
	keyOf := map[int64]string{}
	for _, p := range partners {
		k, _ := identity.Key(p.EmailNormalized, p.Email)
		if _, wanted := out[k]; !wanted || excluded[p.ID] {
			continue
		}
		keyOf[p.ID] = k
		partnerIDs = append(partnerIDs, p.ID)
		tagIDs = append(tagIDs, p.CategoryIDs...)
	}
	tags := map[int64]string{}
	if len(tagIDs) > 0 {
		cats, err := l.odoo.Categories(ctx, uniq(tagIDs))
		if err != nil {
			return nil, err
		}
		for _, c := range cats {
			tags[c.ID] = c.Name
		}
	}
	for _, p := range partners {
		k, ok := keyOf[p.ID]
		if !ok {
			continue
		}
		c := out[k]
		c.Partners = append(c.Partners, odooconv.Partner(p, tags))
		out[k] = c
	}
	if len(partnerIDs) == 0 {
		return out, nil
	}
	orders, err := l.odoo.OrdersByPartners(ctx, partnerIDs)
	if err != nil {
		return nil, err
	}
	for _, o := range orders {
		k, ok := keyOf[o.PartnerID.ID]
		if !ok {
			continue
		}
		c := out[k]
		c.Orders = append(c.Orders, odooconv.Order(o))
		out[k] = c
	}
	for k, c := range out {
		sort.Slice(c.Partners, func(i, j int) bool { return c.Partners[i].ID < c.Partners[j].ID })
		sort.Slice(c.Orders, func(i, j int) bool { return c.Orders[i].ID < c.Orders[j].ID })
		out[k] = c
	}
	return out, nil
}

func uniq(ids []int64) []int64 {
	seen := map[int64]bool{}
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
