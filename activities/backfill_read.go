package activities

import (
	"context"
	"sort"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/odoo"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/backfill"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer/odooconv"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/identity"
)

// The backfill reads only the fields customer.Build uses: XML-RPC decoding
// dominates the cost of an initial load, and the typed readers' full field
// lists (and one call per 200 orders) made a page several times slower.
var (
	backfillPartnerFields = []string{"id", "name", "email", "email_normalized", "company_id", "website_id", "country_id",
		"lang", "category_id", "user_ids", "active", "write_date"}
	backfillOrderFields = []string{"id", "name", "state", "locked", "date_order", "amount_untaxed", "amount_total",
		"currency_id", "partner_id", "company_id", "website_id", "write_date"}
	backfillLineFields = []string{"order_id", "product_id", "name", "product_uom_qty", "price_unit"}
)

// backfillChunk bounds the ids or keys of one `in` term.
const backfillChunk = 2000

// pageReader loads the customers of one backfill page from Odoo.
type pageReader struct {
	odoo     *odoo.Client
	excluded map[int64]bool
	archived odoo.ReadOptions
	fields   map[string][]string // model -> fields this server has
}

func newPageReader(ctx context.Context, c *odoo.Client, excluded map[int64]bool) (*pageReader, error) {
	r := &pageReader{odoo: c, excluded: excluded, archived: odoo.ReadOptions{Context: map[string]any{"active_test": false}},
		fields: map[string][]string{}}
	v, err := c.Version(ctx)
	if err != nil {
		return nil, err
	}
	orderFields := backfillOrderFields
	if !v.HasLockedField() {
		orderFields = without(orderFields, "locked")
	}
	for model, fields := range map[string][]string{odoo.ModelPartner: backfillPartnerFields, odoo.ModelSaleOrder: orderFields,
		odoo.ModelSaleOrderLine: backfillLineFields} {
		if r.fields[model], err = narrowFields(ctx, c, model, fields); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// narrowFields drops fields an addon did not install (website_id without
// the website module), as the typed readers do.
func narrowFields(ctx context.Context, c *odoo.Client, model string, fields []string) ([]string, error) {
	out := make([]string, 0, len(fields))
	for _, f := range fields {
		ok, err := c.HasField(ctx, model, f)
		if err != nil {
			if cls := odoo.ClassOf(err); cls == odoo.ClassAuth || cls == odoo.ClassTransient {
				return nil, err
			}
			return fields, nil // fields_get refused: ask for the list as is
		}
		if ok || f == "id" {
			out = append(out, f)
		}
	}
	return out, nil
}

func without(fields []string, drop string) []string {
	out := make([]string, 0, len(fields))
	for _, f := range fields {
		if f != drop {
			out = append(out, f)
		}
	}
	return out
}

// read returns the customers whose lowest partner id is in the page, by key,
// and counts what it saw into res.
func (r *pageReader) read(ctx context.Context, req backfill.PageRequest, res *backfill.PageResult) (map[string]customer.Customer, error) {
	recs, err := r.odoo.SearchRead(ctx, odoo.ModelPartner, odoo.And(odoo.Term("id", odoo.OpGt, req.AfterID), odoo.Term("id", odoo.OpLe, req.UpToID)),
		r.fields[odoo.ModelPartner], odoo.ReadOptions{Order: "id asc", Context: r.archived.Context})
	if err != nil {
		return nil, err
	}
	res.Partners = len(recs)
	partners := map[int64]odoo.Partner{}
	members := map[string][]int64{} // key -> partner ids (not excluded)
	for _, rec := range recs {
		p := odoo.PartnerFromRecord(rec)
		if r.excluded[p.ID] {
			skip(res, backfill.SkipExcluded)
			continue
		}
		key, reason := p.Key()
		if key == "" {
			if reason == identity.ReasonNoEmail {
				skip(res, backfill.SkipNoEmail)
			} else {
				skip(res, backfill.SkipInvalidEmail)
			}
			continue
		}
		partners[p.ID] = p
		members[key] = append(members[key], p.ID)
	}
	if len(members) == 0 {
		return nil, nil
	}
	if err := r.otherPartners(ctx, members); err != nil {
		return nil, err
	}
	// A customer belongs to the page of its lowest partner id.
	var extra []int64
	keyOf := map[int64]string{}
	for key, ids := range members {
		ids = uniqueSorted(ids)
		if ids[0] <= req.AfterID {
			res.Shared++
			delete(members, key)
			continue
		}
		for _, id := range ids {
			keyOf[id] = key
			if _, ok := partners[id]; !ok {
				extra = append(extra, id)
			}
		}
	}
	for _, chunk := range chunked(extra, backfillChunk) {
		recs, err := r.odoo.Read(ctx, odoo.ModelPartner, chunk, r.fields[odoo.ModelPartner])
		if err != nil {
			return nil, err
		}
		for _, rec := range recs {
			p := odoo.PartnerFromRecord(rec)
			partners[p.ID] = p
		}
	}
	tags, err := r.tagNames(ctx, partners, keyOf)
	if err != nil {
		return nil, err
	}
	out := make(map[string]customer.Customer, len(members))
	for key := range members {
		out[key] = customer.Customer{Key: key}
	}
	ids := make([]int64, 0, len(keyOf))
	for id, key := range keyOf {
		p, ok := partners[id]
		if !ok {
			continue // deleted since the lookup
		}
		c := out[key]
		c.Partners = append(c.Partners, odooconv.Partner(p, tags))
		out[key] = c
		ids = append(ids, id)
	}
	if err := r.attachOrders(ctx, uniqueSorted(ids), keyOf, out); err != nil {
		return nil, err
	}
	for key, c := range out {
		sort.Slice(c.Partners, func(i, j int) bool { return c.Partners[i].ID < c.Partners[j].ID })
		sort.Slice(c.Orders, func(i, j int) bool { return c.Orders[i].ID < c.Orders[j].ID })
		out[key] = c
	}
	res.Customers = len(out)
	return out, nil
}

func skip(res *backfill.PageResult, reason string) {
	if res.Skipped == nil {
		res.Skipped = map[string]int{}
	}
	res.Skipped[reason]++
}

// otherPartners adds every partner (any id, archived included) of the
// page's keys to members. email_normalized is indexed; the keys that Odoo
// does not hold in email_normalized (empty, or the sync took another address
// of a multi-address email field) are found among the partners whose
// email_normalized is empty or whose email holds several addresses: a small
// set, unlike an ilike per key, which scans every partner per key.
func (r *pageReader) otherPartners(ctx context.Context, members map[string][]int64) error {
	keys := make([]string, 0, len(members))
	for k := range members {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	add := func(recs []odoo.Record) {
		for _, rec := range recs {
			id := rec.ID()
			if r.excluded[id] {
				continue
			}
			key, _ := identity.Key(rec.String("email_normalized"), rec.String("email"))
			if ids, wanted := members[key]; wanted {
				members[key] = append(ids, id)
			}
		}
	}
	lookup := []string{"id", "email", "email_normalized"}
	for start := 0; start < len(keys); start += backfillChunk {
		chunk := keys[start:min(start+backfillChunk, len(keys))]
		recs, err := r.odoo.SearchRead(ctx, odoo.ModelPartner, odoo.Term("email_normalized", odoo.OpIn, chunk), lookup, r.archived)
		if err != nil {
			return err
		}
		add(recs)
	}
	irregular := odoo.And(odoo.Term("email", odoo.OpNe, false), odoo.Or(
		odoo.Term("email_normalized", odoo.OpEq, false),
		odoo.Term("email", odoo.OpILike, ","), odoo.Term("email", odoo.OpILike, ";"), odoo.Term("email", odoo.OpILike, "\n")))
	recs, err := r.odoo.SearchRead(ctx, odoo.ModelPartner, irregular, lookup, r.archived)
	if err != nil {
		return err
	}
	add(recs)
	return nil
}

func (r *pageReader) tagNames(ctx context.Context, partners map[int64]odoo.Partner, keyOf map[int64]string) (map[int64]string, error) {
	var ids []int64
	for id := range keyOf {
		ids = append(ids, partners[id].CategoryIDs...)
	}
	tags := map[int64]string{}
	if len(ids) == 0 {
		return tags, nil
	}
	cats, err := r.odoo.Categories(ctx, uniqueSorted(ids))
	if err != nil {
		return nil, err
	}
	for _, c := range cats {
		tags[c.ID] = c.Name
	}
	return tags, nil
}

// attachOrders reads the orders of the partners, and the product lines of
// the ones that get an Insight record, in a few large calls.
func (r *pageReader) attachOrders(ctx context.Context, partnerIDs []int64, keyOf map[int64]string, out map[string]customer.Customer) error {
	var orders []odoo.SaleOrder
	for _, chunk := range chunked(partnerIDs, backfillChunk) {
		recs, err := r.odoo.SearchRead(ctx, odoo.ModelSaleOrder, odoo.Term("partner_id", odoo.OpIn, chunk), r.fields[odoo.ModelSaleOrder], odoo.ReadOptions{})
		if err != nil {
			return err
		}
		for _, rec := range recs {
			orders = append(orders, odoo.OrderFromRecord(rec))
		}
	}
	var recorded []int64
	for _, o := range orders {
		if odooconv.Order(o).Recorded() {
			recorded = append(recorded, o.ID)
		}
	}
	lines, err := r.lines(ctx, recorded)
	if err != nil {
		return err
	}
	for _, o := range orders {
		key, ok := keyOf[o.PartnerID.ID]
		if !ok {
			continue
		}
		o.Lines = lines[o.ID]
		c := out[key]
		c.Orders = append(c.Orders, odooconv.Order(o))
		out[key] = c
	}
	return nil
}

// lines reads the product lines (no section or note lines) of orders, in
// the order the live sync reads them (so that record hashes match), with
// their products' SKUs.
func (r *pageReader) lines(ctx context.Context, orderIDs []int64) (map[int64][]odoo.OrderLine, error) {
	out := map[int64][]odoo.OrderLine{}
	var productIDs []int64
	for _, chunk := range chunked(orderIDs, backfillChunk) {
		recs, err := r.odoo.SearchRead(ctx, odoo.ModelSaleOrderLine,
			odoo.And(odoo.Term("order_id", odoo.OpIn, chunk), odoo.Term("display_type", odoo.OpEq, false)),
			r.fields[odoo.ModelSaleOrderLine], odoo.ReadOptions{Order: "order_id asc, sequence asc, id asc"})
		if err != nil {
			return nil, err
		}
		for _, rec := range recs {
			l := odoo.OrderLine{OrderID: rec.Many2One("order_id"), ProductID: rec.Many2One("product_id"), Name: rec.String("name"),
				Qty: rec.Float("product_uom_qty"), PriceUnit: rec.Float("price_unit")}
			out[l.OrderID.ID] = append(out[l.OrderID.ID], l)
			if l.ProductID.Valid() {
				productIDs = append(productIDs, l.ProductID.ID)
			}
		}
	}
	skus := map[int64]string{}
	for _, chunk := range chunked(uniqueSorted(productIDs), backfillChunk) {
		recs, err := r.odoo.Read(ctx, odoo.ModelProduct, chunk, []string{"default_code"})
		if err != nil {
			return nil, err
		}
		for _, rec := range recs {
			skus[rec.ID()] = rec.String("default_code")
		}
	}
	for id, ls := range out {
		for i := range ls {
			ls[i].SKU = skus[ls[i].ProductID.ID]
		}
		out[id] = ls
	}
	return out, nil
}

func uniqueSorted(ids []int64) []int64 {
	out := append([]int64(nil), ids...)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	n := 0
	for i, id := range out {
		if i == 0 || id != out[n-1] {
			out[n] = id
			n++
		}
	}
	return out[:n]
}

func chunked(ids []int64, n int) [][]int64 {
	var out [][]int64
	for len(ids) > 0 {
		k := min(n, len(ids))
		out = append(out, ids[:k])
		ids = ids[k:]
	}
	return out
}
