package odoo

import (
	"context"
	"sort"
	"time"
)

// Models read by the order readers.
const (
	ModelSaleOrder     = "sale.order"
	ModelSaleOrderLine = "sale.order.line"
	ModelProduct       = "product.product"
)

// Normalised sale order states (SaleOrder.State).
const (
	StateDraft  = "draft"
	StateSent   = "sent"
	StateSale   = "sale"
	StateDone   = "done"
	StateCancel = "cancel"
)

// SaleOrder is a sale.order with its product lines.
type SaleOrder struct {
	ID   int64
	Name string
	// State is normalised across versions: "done" means confirmed and
	// locked, whether the server says state=done (16.0) or state=sale with
	// locked=True (16.4+). RawState is what the server said.
	State          string
	RawState       string
	Locked         bool
	DateOrder      time.Time // confirmation time once confirmed
	AmountUntaxed  float64
	AmountTax      float64
	AmountTotal    float64
	Currency       string // ISO code (currency_id's name)
	CurrencyID     Many2One
	PartnerID      Many2One
	CompanyID      Many2One
	WebsiteID      Many2One // zero for back-office orders
	ClientOrderRef string
	WriteDate      time.Time
	CreateDate     time.Time
	Lines          []OrderLine
}

// Confirmed reports whether the order is a confirmed sale (sale or done).
func (o SaleOrder) Confirmed() bool { return o.State == StateSale || o.State == StateDone }

// Cancelled reports whether the order is cancelled.
func (o SaleOrder) Cancelled() bool { return o.State == StateCancel }

// OrderLine is a product line of a sale order (section and note lines are
// left out).
type OrderLine struct {
	ID            int64
	OrderID       Many2One
	ProductID     Many2One
	SKU           string // product.product default_code
	Name          string // line description
	Qty           float64
	UoM           Many2One
	PriceUnit     float64
	Discount      float64 // percent
	PriceSubtotal float64 // untaxed
	PriceTotal    float64 // taxed
	DisplayType   string  // "" for product lines
}

var orderFieldList = []string{
	"id", "name", "state", "locked", "date_order", "amount_untaxed", "amount_tax", "amount_total",
	"currency_id", "partner_id", "company_id", "website_id", "client_order_ref", "write_date", "create_date",
}

// OrderFields is the sale.order field list for a server of this version.
func OrderFields(v Version) []string {
	if v.HasLockedField() {
		return append([]string(nil), orderFieldList...)
	}
	return withoutField(orderFieldList, "locked")
}

// OrderLineFields is the sale.order.line field list for a server of this version.
func OrderLineFields(v Version) []string {
	return []string{"id", "order_id", "sequence", "product_id", "name", "product_uom_qty", v.LineUoMField(),
		"price_unit", "discount", "price_subtotal", "price_total", "display_type"}
}

// NormaliseOrderState maps a server state (and locked flag) to the
// normalised states.
func NormaliseOrderState(raw string, locked bool) string {
	switch raw {
	case StateSale:
		if locked {
			return StateDone
		}
		return StateSale
	case StateDone, StateDraft, StateSent, StateCancel:
		return raw
	}
	return raw
}

// OrderFromRecord converts a sale.order row (read with OrderFields); Lines stay empty.
func OrderFromRecord(r Record) SaleOrder {
	raw := r.String("state")
	locked := r.Bool("locked") || raw == StateDone
	cur := r.Many2One("currency_id")
	return SaleOrder{
		ID:             r.ID(),
		Name:           r.String("name"),
		State:          NormaliseOrderState(raw, locked),
		RawState:       raw,
		Locked:         locked,
		DateOrder:      r.Time("date_order"),
		AmountUntaxed:  r.Float("amount_untaxed"),
		AmountTax:      r.Float("amount_tax"),
		AmountTotal:    r.Float("amount_total"),
		Currency:       cur.Name,
		CurrencyID:     cur,
		PartnerID:      r.Many2One("partner_id"),
		CompanyID:      r.Many2One("company_id"),
		WebsiteID:      r.Many2One("website_id"),
		ClientOrderRef: r.String("client_order_ref"),
		WriteDate:      r.Time("write_date"),
		CreateDate:     r.Time("create_date"),
	}
}

func lineFromRecord(r Record, uomField string) OrderLine {
	return OrderLine{
		ID:            r.ID(),
		OrderID:       r.Many2One("order_id"),
		ProductID:     r.Many2One("product_id"),
		Name:          r.String("name"),
		Qty:           r.Float("product_uom_qty"),
		UoM:           r.Many2One(uomField),
		PriceUnit:     r.Float("price_unit"),
		Discount:      r.Float("discount"),
		PriceSubtotal: r.Float("price_subtotal"),
		PriceTotal:    r.Float("price_total"),
		DisplayType:   r.String("display_type"),
	}
}

func (c *Client) orderFields(ctx context.Context) ([]string, error) {
	v, err := c.Version(ctx)
	if err != nil {
		return nil, err
	}
	return c.fieldsFor(ctx, ModelSaleOrder, OrderFields(v))
}

// ordersPerLineCall bounds the orders whose lines one search_read fetches.
const ordersPerLineCall = 200

// OrdersByIDs reads orders with their lines. Deleted ids are left out.
func (c *Client) OrdersByIDs(ctx context.Context, ids []int64) ([]SaleOrder, error) {
	fields, err := c.orderFields(ctx)
	if err != nil {
		return nil, err
	}
	var out []SaleOrder
	for _, chunk := range chunks(uniqueIDs(ids), min(c.batch, ordersPerLineCall)) {
		recs, err := c.Read(ctx, ModelSaleOrder, chunk, fields)
		if err != nil {
			return nil, err
		}
		orders := make([]SaleOrder, len(recs))
		for i, r := range recs {
			orders[i] = OrderFromRecord(r)
		}
		if err := c.attachLines(ctx, orders); err != nil {
			return nil, err
		}
		out = append(out, orders...)
	}
	return out, nil
}

// OrdersByPartners returns the orders whose partner_id is one of
// partnerIDs, with lines, in id order. With states, only orders in those
// server states (e.g. Version.ConfirmedStates() plus "cancel").
func (c *Client) OrdersByPartners(ctx context.Context, partnerIDs []int64, states ...string) ([]SaleOrder, error) {
	fields, err := c.orderFields(ctx)
	if err != nil {
		return nil, err
	}
	var out []SaleOrder
	for _, chunk := range chunks(uniqueIDs(partnerIDs), c.batch) {
		dom := Term("partner_id", OpIn, chunk)
		if len(states) > 0 {
			dom = And(dom, Term("state", OpIn, states))
		}
		err := c.scanRecords(ctx, ModelSaleOrder, dom, fields, 0, ordersPerLineCall, nil, func(recs []Record) error {
			orders := make([]SaleOrder, len(recs))
			for i, r := range recs {
				orders[i] = OrderFromRecord(r)
			}
			if err := c.attachLines(ctx, orders); err != nil {
				return err
			}
			out = append(out, orders...)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// ScanOrders walks every sale order in id order with lines. See ScanOrdersAfter.
func (c *Client) ScanOrders(ctx context.Context, pageSize int, fn func(page []SaleOrder) error) error {
	return c.ScanOrdersAfter(ctx, 0, pageSize, fn)
}

// ScanOrdersAfter walks sale orders with id > afterID in id order, with
// lines. fn may return ErrStopScan.
func (c *Client) ScanOrdersAfter(ctx context.Context, afterID int64, pageSize int, fn func(page []SaleOrder) error) error {
	fields, err := c.orderFields(ctx)
	if err != nil {
		return err
	}
	if pageSize <= 0 {
		pageSize = ordersPerLineCall
	}
	return c.scanRecords(ctx, ModelSaleOrder, nil, fields, afterID, pageSize, nil, func(recs []Record) error {
		orders := make([]SaleOrder, len(recs))
		for i, r := range recs {
			orders[i] = OrderFromRecord(r)
		}
		for start := 0; start < len(orders); start += ordersPerLineCall {
			if err := c.attachLines(ctx, orders[start:min(start+ordersPerLineCall, len(orders))]); err != nil {
				return err
			}
		}
		return fn(orders)
	})
}

// attachLines fetches the product lines of orders with one search_read and
// their SKUs with one product read.
func (c *Client) attachLines(ctx context.Context, orders []SaleOrder) error {
	if len(orders) == 0 {
		return nil
	}
	v, err := c.Version(ctx)
	if err != nil {
		return err
	}
	fields, err := c.fieldsFor(ctx, ModelSaleOrderLine, OrderLineFields(v))
	if err != nil {
		return err
	}
	ids := make([]int64, len(orders))
	for i, o := range orders {
		ids[i] = o.ID
	}
	recs, err := c.SearchRead(ctx, ModelSaleOrderLine, Term("order_id", OpIn, ids), fields,
		ReadOptions{Order: "order_id asc, sequence asc, id asc"})
	if err != nil {
		return err
	}
	byOrder := map[int64][]OrderLine{}
	var productIDs []int64
	for _, r := range recs {
		l := lineFromRecord(r, v.LineUoMField())
		if l.DisplayType != "" { // line_section, line_note: layout only
			continue
		}
		byOrder[l.OrderID.ID] = append(byOrder[l.OrderID.ID], l)
		if l.ProductID.Valid() {
			productIDs = append(productIDs, l.ProductID.ID)
		}
	}
	skus, err := c.productSKUs(ctx, productIDs)
	if err != nil {
		return err
	}
	for i := range orders {
		lines := byOrder[orders[i].ID]
		for j := range lines {
			lines[j].SKU = skus[lines[j].ProductID.ID]
		}
		orders[i].Lines = lines
	}
	return nil
}

func (c *Client) productSKUs(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	for _, chunk := range chunks(uniqueIDs(ids), c.batch) {
		recs, err := c.Read(ctx, ModelProduct, chunk, []string{"default_code"})
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			out[r.ID()] = r.String("default_code")
		}
	}
	return out, nil
}
