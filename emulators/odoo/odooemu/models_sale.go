package odooemu

import "fmt"

func (s *store) orderStates() [][2]string {
	if s.version == 16 {
		return [][2]string{{"draft", "Quotation"}, {"sent", "Quotation Sent"}, {"sale", "Sales Order"}, {"done", "Locked"}, {"cancel", "Cancelled"}}
	}
	return [][2]string{{"draft", "Quotation"}, {"sent", "Quotation Sent"}, {"sale", "Sales Order"}, {"cancel", "Cancelled"}}
}

func (s *store) defineSaleOrder() {
	m, b := s.newModel("sale.order", "Sales Order")
	m.order = "date_order desc, id desc"
	n := b.char("name", "Order Reference")
	n.required = true
	n.readonly = true
	b.sel("state", "Status", s.orderStates()).readonly = true
	if s.version >= 17 {
		b.boolean("locked", "Locked").help = "Locked orders cannot be modified."
	}
	b.datetime("date_order", "Order Date").required = true
	m.fields["date_order"].help = "Creation date of draft/sent orders,\nConfirmation date of confirmed orders."
	b.date("validity_date", "Expiration")
	for _, name := range []string{"partner_id", "partner_invoice_id", "partner_shipping_id"} {
		label := map[string]string{"partner_id": "Customer", "partner_invoice_id": "Invoice Address", "partner_shipping_id": "Delivery Address"}[name]
		f := b.m2o(name, label, "res.partner")
		f.required = true
		f.indexed = true
	}
	b.m2o("company_id", "Company", "res.company").required = true
	b.m2o("pricelist_id", "Pricelist", "product.pricelist")
	b.m2o("currency_id", "Currency", "res.currency")
	b.m2o("user_id", "Salesperson", "res.users")
	b.m2o("website_id", "Website", "website").help = "Website through which this order was placed for eCommerce orders."
	b.o2m("order_line", "Order Lines", "sale.order.line", "order_id")
	b.monetary("amount_untaxed", "Untaxed Amount").readonly = true
	b.monetary("amount_tax", "Taxes").readonly = true
	b.monetary("amount_total", "Total").readonly = true
	b.sel("invoice_status", "Invoice Status", [][2]string{{"upselling", "Upselling Opportunity"}, {"invoiced", "Fully Invoiced"}, {"to invoice", "To Invoice"}, {"no", "Nothing to Invoice"}}).readonly = true
	b.char("client_order_ref", "Customer Reference")
	b.char("origin", "Source Document")
	b.html("note", "Terms and conditions")
	displayField(b, byName, "name")
	b.logAccess()
	m.rule = func(c *callCtx, r int32) bool { return c.inCompanies(m.i64("company_id", r)) }
	m.prepareCreate = func(c *callCtx, vals map[string]any) error {
		if v, ok := vals["name"]; !ok || v == "New" || !truthy(v) {
			c.s.seqs["sale.order"]++
			vals["name"] = fmt.Sprintf("S%05d", c.s.seqs["sale.order"])
		}
		setDefault(vals, "state", "draft")
		setDefault(vals, "date_order", fmtDatetime(c.tx.now))
		setDefault(vals, "company_id", c.company())
		setDefault(vals, "user_id", c.uid)
		if p := vals["partner_id"]; truthy(p) {
			setDefault(vals, "partner_invoice_id", p)
			setDefault(vals, "partner_shipping_id", p)
		}
		if _, ok := vals["currency_id"]; !ok {
			vals["currency_id"] = c.orderCurrency(vals)
		}
		return nil
	}
	m.afterWrite = func(c *callCtx, r int32, changed map[string]bool, created bool) error {
		if created || changed["state"] || changed["order_line"] {
			return c.recomputeOrder(r)
		}
		return nil
	}
	m.beforeUnlink = func(c *callCtx, rows []int32) error {
		for _, r := range rows {
			if st := m.str("state", r); st != "draft" && st != "cancel" {
				return userError("You can not delete a sent quotation or a confirmed sales order. You must first cancel it.")
			}
		}
		return nil
	}
}

func (c *callCtx) orderCompany(orderID any) int64 {
	orders := c.s.models["sale.order"]
	id, _ := asInt(orderID)
	if r, ok := orders.visibleRow(id, c.viewer()); ok {
		return orders.i64("company_id", r)
	}
	return c.company()
}

func setDefault(vals map[string]any, k string, v any) {
	if _, ok := vals[k]; !ok {
		vals[k] = v
	}
}

// orderCurrency is the pricelist's currency, else the company's.
func (c *callCtx) orderCurrency(vals map[string]any) any {
	if pl, ok := asInt(vals["pricelist_id"]); ok && pl != 0 {
		pls := c.s.models["product.pricelist"]
		if r, ok := pls.visibleRow(pl, c.viewer()); ok {
			return pls.i64("currency_id", r)
		}
	}
	companies := c.s.models["res.company"]
	co, _ := asInt(vals["company_id"])
	if r, ok := companies.visibleRow(co, c.viewer()); ok {
		return companies.i64("currency_id", r)
	}
	return false
}

func (s *store) defineSaleOrderLine() {
	m, b := s.newModel("sale.order.line", "Sales Order Line")
	m.order = "order_id, sequence, id"
	o := b.m2o("order_id", "Order Reference", "sale.order")
	o.required = true
	o.indexed = true
	o.ondelete = "cascade"
	b.integer("sequence", "Sequence")
	b.m2o("product_id", "Product", "product.product").ondelete = "restrict"
	b.text("name", "Description").required = true
	b.float("product_uom_qty", "Quantity", 2)
	uom := "product_uom"
	if s.version >= 19 {
		uom = "product_uom_id"
	}
	b.m2o(uom, "Unit of Measure", "uom.uom").ondelete = "restrict"
	b.float("price_unit", "Unit Price", 2)
	b.float("discount", "Discount (%)", 2)
	b.m2m("tax_id", "Taxes", "account.tax")
	b.monetary("price_subtotal", "Subtotal").readonly = true
	b.monetary("price_tax", "Total Tax").readonly = true
	b.monetary("price_total", "Total").readonly = true
	b.sel("display_type", "Display Type", [][2]string{{"line_section", "Section"}, {"line_note", "Note"}})
	b.boolean("is_downpayment", "Is a down payment")
	orderValue := func(field string) func(c *callCtx, m *model, r int32) any {
		return func(c *callCtx, m *model, r int32) any {
			orders := c.s.models["sale.order"]
			or, ok := orders.visibleRow(m.i64("order_id", r), c.viewer())
			if !ok {
				if orders.fields[field].typ == fSelection {
					return ""
				}
				return int64(0)
			}
			return orders.fields[field].col.get(or)
		}
	}
	for _, rel := range []struct{ name, label, target, orderField string }{
		{"currency_id", "Currency", "res.currency", "currency_id"},
		{"company_id", "Company", "res.company", "company_id"},
		{"order_partner_id", "Customer", "res.partner", "partner_id"},
		{"salesman_id", "Salesperson", "res.users", "user_id"},
	} {
		f := b.computed(rel.name, rel.label, fMany2one, orderValue(rel.orderField))
		f.relation = rel.target
		f.searchAs = "order_id." + rel.orderField
	}
	st := b.computed("state", "Order Status", fSelection, orderValue("state"))
	st.selection = s.orderStates()
	st.searchAs = "order_id.state"
	displayField(b, func(c *callCtx, m *model, r int32) string {
		return c.displayName(c.s.models["sale.order"], m.i64("order_id", r)) + " - " + firstLine(m.str("name", r))
	}, "name")
	b.logAccess()
	m.rule = func(c *callCtx, r int32) bool {
		return c.inCompanies(m.fields["company_id"].compute(c, m, r).(int64))
	}
	m.prepareCreate = func(c *callCtx, vals map[string]any) error {
		setDefault(vals, "sequence", int64(10))
		if truthy(vals["display_type"]) {
			return nil
		}
		products := c.s.models["product.product"]
		pid, _ := asInt(vals["product_id"])
		pr, ok := products.visibleRow(pid, c.viewer())
		if !ok {
			return nil // the accountable-line constraint reports it below
		}
		setDefault(vals, "name", c.displayRow(products, pr))
		setDefault(vals, "price_unit", products.flt("list_price", pr))
		setDefault(vals, "product_uom_qty", 1.0)
		setDefault(vals, uom, products.i64("uom_id", pr))
		if _, ok := vals["tax_id"]; !ok {
			// The product's taxes of the order's company.
			company := c.orderCompany(vals["order_id"])
			taxModel := c.s.models["account.tax"]
			var taxes []any
			for _, t := range products.idl("taxes_id", pr) {
				if tr, ok := taxModel.visibleRow(t, c.viewer()); ok && taxModel.i64("company_id", tr) == company {
					taxes = append(taxes, t)
				}
			}
			vals["tax_id"] = []any{[]any{int64(6), int64(0), taxes}}
		}
		return nil
	}
	m.afterWrite = func(c *callCtx, r int32, changed map[string]bool, created bool) error {
		if m.str("display_type", r) == "" && (m.i64("product_id", r) == 0 || m.i64(uom, r) == 0) {
			return validationError("The operation cannot be completed: Missing required fields on accountable sale order line.\n\nModel: Sales Order Line (sale.order.line)\nConstraint: sale_order_line_accountable_required_fields")
		}
		if m.str("display_type", r) != "" && (m.i64("product_id", r) != 0 || m.flt("price_unit", r) != 0 || m.flt("product_uom_qty", r) != 0) {
			return validationError("The operation cannot be completed: Forbidden values on non-accountable sale order line\n\nModel: Sales Order Line (sale.order.line)\nConstraint: sale_order_line_non_accountable_null_fields")
		}
		c.computeLine(m, r)
		return c.recomputeOrderOf(m.i64("order_id", r))
	}
	m.afterUnlink = func(c *callCtx, rows []int32) error {
		for _, r := range rows {
			if err := c.recomputeOrderOf(m.i64("order_id", r)); err != nil {
				return err
			}
		}
		return nil
	}
}

// recomputeOrderOf refreshes an order's totals unless it is gone.
func (c *callCtx) recomputeOrderOf(orderID int64) error {
	orders := c.s.models["sale.order"]
	if or, ok := orders.rowOf[orderID]; ok && !orders.hiddenFrom(orderID, c.viewer()) {
		return c.recomputeOrder(or)
	}
	return nil
}

func firstLine(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return s[:i]
		}
	}
	return s
}

// computeLine sets the line amounts: subtotal = qty * price * (1 - disc%),
// percent taxes rounded per line.
func (c *callCtx) computeLine(m *model, r int32) {
	sub, tax := 0.0, 0.0
	if m.str("display_type", r) == "" {
		sub = roundTo(m.flt("product_uom_qty", r)*m.flt("price_unit", r)*(1-m.flt("discount", r)/100), 2)
		taxes := c.s.models["account.tax"]
		for _, t := range m.idl("tax_id", r) {
			if tr, ok := taxes.visibleRow(t, c.viewer()); ok {
				if taxes.str("amount_type", tr) == "fixed" {
					tax += taxes.flt("amount", tr) * m.flt("product_uom_qty", r)
				} else {
					tax += sub * taxes.flt("amount", tr) / 100
				}
			}
		}
		tax = roundTo(tax, 2)
	}
	m.setRaw(r, m.fields["price_subtotal"], sub)
	m.setRaw(r, m.fields["price_tax"], tax)
	m.setRaw(r, m.fields["price_total"], roundTo(sub+tax, 2))
}

// recomputeOrder refreshes the stored totals and invoice status of an order.
func (c *callCtx) recomputeOrder(or int32) error {
	orders := c.s.models["sale.order"]
	lines := c.s.models["sale.order.line"]
	var untaxed, tax float64
	hasProductLines := false
	for _, lr := range lines.lookupInts(lines.fields["order_id"], []int64{orders.ids[or]}, c.viewer()) {
		if lines.hiddenFrom(lines.ids[lr], c.viewer()) {
			continue
		}
		untaxed += lines.flt("price_subtotal", lr)
		tax += lines.flt("price_tax", lr)
		if lines.str("display_type", lr) == "" {
			hasProductLines = true
		}
	}
	untaxed, tax = roundTo(untaxed, 2), roundTo(tax, 2)
	status := "no"
	if st := orders.str("state", or); (st == "sale" || st == "done") && hasProductLines {
		status = "to invoice"
	}
	for name, v := range map[string]any{"amount_untaxed": untaxed, "amount_tax": tax, "amount_total": roundTo(untaxed+tax, 2), "invoice_status": status} {
		if err := c.setComputed(orders, or, name, v); err != nil {
			return err
		}
	}
	return nil
}
