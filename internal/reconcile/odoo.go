package reconcile

import (
	"context"
	"fmt"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/odoo"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer/odooconv"
)

var archivedToo = map[string]any{"active_test": false}

// What reconciliation reads of partners and orders: what customer.Build
// uses, nothing more (order lines only shape the record's products, which
// are not compared, so they are not read).
var (
	partnerReadFields = []string{"id", "name", "email", "email_normalized", "company_id", "website_id",
		"country_id", "lang", "category_id", "user_ids", "active", "write_date"}
	orderReadFields = []string{"id", "name", "state", "locked", "date_order", "amount_total", "amount_untaxed",
		"currency_id", "partner_id", "company_id", "website_id", "write_date"}
)

// odooSide scans every partner (archived included) in id order, a page at a
// time, with the recorded orders (confirmed or cancelled) of each page's
// partners, and spills them by customer key. Partners without a valid email
// become skipped_partner items on the way.
type odooSide struct {
	odoo     *odoo.Client
	calls    *callCounter
	pageSize int
	byKey    *sorter
	skipped  func(Item) error
	progress func(partners int)
	exclude  map[int64]bool // not customers (Options.ExcludePartners)

	partnerFields, orderFields []string
	states                     []string
	tags                       map[int64]string
	total                      int // partners, at the start
	partners                   int // partners scanned
}

// prepare reads the version, the field lists the server has, every tag name
// and the partner count.
func (s *odooSide) prepare(ctx context.Context) error {
	v, err := s.odoo.Version(ctx)
	if err != nil {
		return fmt.Errorf("odoo version: %w", err)
	}
	if s.partnerFields, err = s.existing(ctx, odoo.ModelPartner, partnerReadFields); err != nil {
		return err
	}
	if s.orderFields, err = s.existing(ctx, odoo.ModelSaleOrder, orderReadFields); err != nil {
		return err
	}
	s.states = append(v.ConfirmedStates(), odoo.StateCancel)

	s.calls.odoo(odoo.ModelCategory + " search_read")
	cats, err := s.odoo.SearchRead(ctx, odoo.ModelCategory, nil, []string{"id", "name"}, odoo.ReadOptions{Context: archivedToo})
	if err != nil {
		return fmt.Errorf("read tags: %w", err)
	}
	s.tags = make(map[int64]string, len(cats))
	for _, c := range cats {
		s.tags[c.ID()] = c.String("name")
	}

	s.calls.odoo(odoo.ModelPartner + " search_count")
	n, err := s.odoo.SearchCount(ctx, odoo.ModelPartner, nil, odoo.ReadOptions{Context: archivedToo})
	if err != nil {
		return fmt.Errorf("count partners: %w", err)
	}
	s.total = int(n)
	return nil
}

// existing keeps the fields this server has (website_id needs the website
// module, locked needs 16.4+); the client caches fields_get per model.
func (s *odooSide) existing(ctx context.Context, model string, fields []string) ([]string, error) {
	var out []string
	for _, f := range fields {
		ok, err := s.odoo.HasField(ctx, model, f)
		if err != nil {
			return nil, fmt.Errorf("fields of %s: %w", model, err)
		}
		if ok {
			out = append(out, f)
		}
	}
	return out, nil
}

func (s *odooSide) stream(ctx context.Context) error {
	var last int64
	for {
		s.calls.odoo(odoo.ModelPartner + " search_read")
		recs, err := s.odoo.SearchRead(ctx, odoo.ModelPartner, odoo.Term("id", odoo.OpGt, last), s.partnerFields,
			odoo.ReadOptions{Limit: s.pageSize, Order: "id asc", Context: archivedToo})
		if err != nil {
			return fmt.Errorf("read partners: %w", err)
		}
		if len(recs) == 0 {
			return nil
		}
		if err := s.page(ctx, recs); err != nil {
			return err
		}
		s.partners += len(recs)
		if s.progress != nil {
			s.progress(s.partners)
		}
		next := recs[len(recs)-1].ID()
		if len(recs) < s.pageSize || next <= last {
			return nil
		}
		last = next
	}
}

// page spills one page of partners and their orders.
func (s *odooSide) page(ctx context.Context, recs []odoo.Record) error {
	keyOf := make(map[int64]string, len(recs))
	ids := make([]int64, 0, len(recs))
	for _, r := range recs {
		p := odoo.PartnerFromRecord(r)
		if s.exclude[p.ID] {
			continue
		}
		key, reason := p.Key()
		if key == "" {
			if err := s.skipped(Item{Kind: KindSkippedPartner, PartnerIDs: []int64{p.ID}, Detail: string(reason)}); err != nil {
				return err
			}
			continue
		}
		cp := odooconv.Partner(p, s.tags)
		if err := spill(s.byKey, key, entry{Partner: &cp}); err != nil {
			return err
		}
		keyOf[p.ID] = key
		ids = append(ids, p.ID)
	}
	if len(ids) == 0 {
		return nil
	}
	limit := 2 * s.pageSize
	var last int64
	for {
		s.calls.odoo(odoo.ModelSaleOrder + " search_read")
		dom := odoo.And(odoo.Term("partner_id", odoo.OpIn, ids), odoo.Term("state", odoo.OpIn, s.states), odoo.Term("id", odoo.OpGt, last))
		orders, err := s.odoo.SearchRead(ctx, odoo.ModelSaleOrder, dom, s.orderFields, odoo.ReadOptions{Limit: limit, Order: "id asc"})
		if err != nil {
			return fmt.Errorf("read orders: %w", err)
		}
		for _, r := range orders {
			o := odooconv.Order(odoo.OrderFromRecord(r))
			if key, ok := keyOf[o.PartnerID]; ok {
				if err := spill(s.byKey, key, entry{Order: &o}); err != nil {
					return err
				}
			}
		}
		if len(orders) < limit {
			return nil
		}
		last = orders[len(orders)-1].ID()
	}
}
