package odooemu

import "sort"

// defineModels declares every emulated model for the configured version.
func (s *store) defineModels() {
	s.defineCompany()
	s.defineCurrency()
	s.defineCountry()
	s.defineUsers()
	s.defineWebsite()
	s.defineUom()
	s.defineTax()
	s.definePricelist()
	s.defineProduct()
	s.defineCategory()
	s.definePartner()
	s.defineSaleOrder()
	s.defineSaleOrderLine()
	s.defineMailMessage()
	s.defineMergeWizard()
	for _, m := range s.models {
		m.finish()
		addCommonMethods(s, m)
	}
	addSaleMethods(s)
	addMergeMethods(s)
}

func sortedModelNames(s *store) []string {
	names := make([]string, 0, len(s.models))
	for n := range s.models {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// displayField declares display_name, computed by fn and searched or
// ordered through searchAs.
func displayField(b fieldBuilder, fn func(c *callCtx, m *model, r int32) string, searchAs string) {
	f := b.computed("display_name", "Display Name", fChar, func(c *callCtx, m *model, r int32) any { return fn(c, m, r) })
	f.searchAs = searchAs
	f.sortAs = searchAs
}

func byName(_ *callCtx, m *model, r int32) string { return m.str("name", r) }

func (s *store) defineCompany() {
	m, b := s.newModel("res.company", "Companies")
	m.order = "sequence, name"
	b.char("name", "Company Name").required = true
	b.m2o("partner_id", "Partner", "res.partner").required = true
	b.m2o("currency_id", "Currency", "res.currency").required = true
	b.m2o("country_id", "Country", "res.country")
	b.char("email", "Email")
	b.integer("sequence", "Sequence")
	b.m2o("parent_id", "Parent Company", "res.company")
	b.boolean("active", "Active")
	displayField(b, byName, "name")
	b.logAccess()
}

func (s *store) defineCurrency() {
	m, b := s.newModel("res.currency", "Currency")
	m.order = "active desc, name"
	b.char("name", "Currency").required = true
	b.char("symbol", "Symbol").required = true
	b.char("full_name", "Name")
	b.float("rounding", "Rounding Factor", 6)
	b.integer("decimal_places", "Decimal Places")
	b.sel("position", "Symbol Position", [][2]string{{"after", "After Amount"}, {"before", "Before Amount"}})
	b.float("rate", "Current Rate", 6)
	b.boolean("active", "Active")
	displayField(b, byName, "name")
	b.logAccess()
}

func (s *store) defineCountry() {
	m, b := s.newModel("res.country", "Country")
	m.order = "name"
	b.char("name", "Country Name").required = true
	b.char("code", "Country Code").help = "The ISO country code in two chars."
	b.integer("phone_code", "Country Calling Code")
	b.m2o("currency_id", "Currency", "res.currency")
	displayField(b, byName, "name")
	b.logAccess()
}

func (s *store) defineUsers() {
	m, b := s.newModel("res.users", "User")
	m.order = "name, login"
	m.recName = "login"
	b.char("login", "Login").required = true
	b.m2o("partner_id", "Related Partner", "res.partner").required = true
	m.fields["partner_id"].indexed = true
	m.fields["partner_id"].ondelete = "restrict"
	b.m2o("company_id", "Company", "res.company").required = true
	b.m2m("company_ids", "Companies", "res.company")
	b.boolean("active", "Active")
	b.boolean("share", "Share User").help = "External user with limited access, created only for the purpose of sharing data."
	// _inherits res.partner: name and email read through the partner.
	partnerValue := func(name string) func(c *callCtx, m *model, r int32) any {
		return func(c *callCtx, m *model, r int32) any {
			p := c.s.models["res.partner"]
			if pr, ok := p.visibleRow(m.i64("partner_id", r), c.viewer()); ok {
				return p.str(name, pr)
			}
			return ""
		}
	}
	b.computed("name", "Name", fChar, partnerValue("name")).searchAs = "partner_id.name"
	b.computed("email", "Email", fChar, partnerValue("email")).searchAs = "partner_id.email"
	m.fields["name"].sortAs = "partner_id"
	displayField(b, func(c *callCtx, m *model, r int32) string { return m.fields["name"].compute(c, m, r).(string) }, "partner_id.name")
	b.logAccess()
	// _inherits: a user created without partner_id gets a new partner made
	// from its name and email (as Odoo's res.users.create does); the
	// company defaults to the caller's current company.
	m.prepareCreate = func(c *callCtx, vals map[string]any) error {
		if _, ok := vals["company_id"]; !ok {
			vals["company_id"] = int64(1)
		}
		if pid, ok := vals["partner_id"]; ok && pid != nil && pid != false {
			delete(vals, "name")
			delete(vals, "email")
			return nil
		}
		pv := map[string]any{"company_id": vals["company_id"]}
		if n, ok := vals["name"]; ok {
			pv["name"] = n
		} else {
			pv["name"] = vals["login"]
		}
		if e, ok := vals["email"]; ok {
			pv["email"] = e
		}
		delete(vals, "name")
		delete(vals, "email")
		pid, err := c.createOne(c.s.models["res.partner"], pv)
		if err != nil {
			return err
		}
		vals["partner_id"] = pid
		return nil
	}
	m.afterWrite = func(c *callCtx, r int32, changed map[string]bool, created bool) error {
		if created || changed["partner_id"] || changed["share"] || changed["active"] {
			return c.recomputePartnerShare(m.i64("partner_id", r))
		}
		return nil
	}
}

func (s *store) defineWebsite() {
	m, b := s.newModel("website", "Website")
	m.order = "sequence, id"
	b.char("name", "Website Name").required = true
	b.char("domain", "Website Domain")
	b.m2o("company_id", "Company", "res.company").required = true
	b.m2o("user_id", "Public User", "res.users").required = true
	b.boolean("specific_user_account", "Specific User Account").help = "If True, new accounts will be associated to the current website"
	b.integer("sequence", "Sequence")
	displayField(b, byName, "name")
	b.logAccess()
}

func (s *store) defineUom() {
	m, b := s.newModel("uom.uom", "Product Unit of Measure")
	m.order = "name"
	b.char("name", "Unit of Measure").required = true
	b.boolean("active", "Active")
	displayField(b, byName, "name")
	b.logAccess()
}

func (s *store) defineTax() {
	m, b := s.newModel("account.tax", "Tax")
	m.order = "sequence, id"
	b.char("name", "Tax Name").required = true
	b.float("amount", "Amount", 4)
	b.sel("amount_type", "Tax Computation", [][2]string{{"group", "Group of Taxes"}, {"fixed", "Fixed"}, {"percent", "Percentage of Price"}, {"division", "Percentage of Price Tax Included"}})
	b.sel("type_tax_use", "Tax Type", [][2]string{{"sale", "Sales"}, {"purchase", "Purchases"}, {"none", "None"}})
	b.m2o("company_id", "Company", "res.company").required = true
	b.integer("sequence", "Sequence")
	b.boolean("active", "Active")
	displayField(b, byName, "name")
	b.logAccess()
	m.rule = func(c *callCtx, r int32) bool { return c.inCompanies(m.i64("company_id", r)) }
}

func (s *store) definePricelist() {
	m, b := s.newModel("product.pricelist", "Pricelist")
	m.order = "sequence, id"
	b.char("name", "Pricelist Name").required = true
	b.m2o("currency_id", "Currency", "res.currency").required = true
	b.m2o("company_id", "Company", "res.company")
	b.integer("sequence", "Sequence")
	b.boolean("active", "Active")
	displayField(b, func(c *callCtx, m *model, r int32) string {
		cur := c.s.models["res.currency"]
		return m.str("name", r) + " (" + c.displayName(cur, m.i64("currency_id", r)) + ")"
	}, "name")
	b.logAccess()
	m.rule = sharedCompanyRule(m)
}

func sharedCompanyRule(m *model) func(c *callCtx, r int32) bool {
	return func(c *callCtx, r int32) bool {
		co := m.i64("company_id", r)
		return co == 0 || c.inCompanies(co)
	}
}

func (s *store) defineProduct() {
	m, b := s.newModel("product.product", "Product Variant")
	m.order = "default_code, name, id"
	b.char("name", "Name").required = true
	b.char("default_code", "Internal Reference")
	b.char("barcode", "Barcode")
	b.float("list_price", "Sales Price", 2)
	b.float("standard_price", "Cost", 2)
	b.sel("type", "Product Type", [][2]string{{"consu", "Consumable"}, {"service", "Service"}, {"product", "Storable Product"}})
	b.m2o("uom_id", "Unit of Measure", "uom.uom")
	b.m2m("taxes_id", "Customer Taxes", "account.tax")
	b.m2o("company_id", "Company", "res.company")
	b.boolean("sale_ok", "Can be Sold")
	b.boolean("active", "Active")
	displayField(b, func(_ *callCtx, m *model, r int32) string {
		if code := m.str("default_code", r); code != "" {
			return "[" + code + "] " + m.str("name", r)
		}
		return m.str("name", r)
	}, "name")
	b.logAccess()
	m.rule = sharedCompanyRule(m)
}

func (s *store) defineCategory() {
	m, b := s.newModel("res.partner.category", "Partner Tags")
	m.order = "name, id"
	m.parentName = "parent_id"
	b.char("name", "Tag Name").required = true
	b.integer("color", "Color")
	b.m2o("parent_id", "Parent Category", "res.partner.category").ondelete = "cascade"
	b.o2m("child_ids", "Child Tags", "res.partner.category", "parent_id")
	b.boolean("active", "Active").help = "The active field allows you to hide the category without removing it."
	b.computed("parent_path", "Parent Path", fChar, func(c *callCtx, m *model, r int32) any {
		path := ""
		seen := map[int64]bool{}
		for id := m.ids[r]; id != 0 && !seen[id]; {
			seen[id] = true
			path = itoa(id) + "/" + path
			pr, ok := m.visibleRow(id, c.viewer())
			if !ok {
				break
			}
			id = m.i64("parent_id", pr)
		}
		return path
	})
	b.reverseM2m("partner_ids", "Partners", "res.partner", "category_id")
	displayField(b, func(c *callCtx, m *model, r int32) string {
		name := m.str("name", r)
		seen := map[int64]bool{m.ids[r]: true}
		for p := m.i64("parent_id", r); p != 0 && !seen[p]; {
			seen[p] = true
			pr, ok := m.visibleRow(p, c.viewer())
			if !ok {
				break
			}
			name = m.str("name", pr) + " / " + name
			p = m.i64("parent_id", pr)
		}
		return name
	}, "name")
	m.fields["partner_ids"].compute = func(c *callCtx, m *model, r int32) any {
		partners := c.s.models["res.partner"]
		var ids []int64
		for _, pr := range partners.lookupInts(partners.fields["category_id"], []int64{m.ids[r]}, c.viewer()) {
			if !c.activeTest || partners.isActive(pr) {
				ids = append(ids, partners.ids[pr])
			}
		}
		return sortedIDs(ids)
	}
	b.logAccess()
}

func (s *store) defineMailMessage() {
	m, b := s.newModel("mail.message", "Message")
	m.order = "id desc"
	m.recName = "record_name"
	b.char("subject", "Subject")
	b.html("body", "Contents")
	b.char("model", "Related Document Model")
	b.integer("res_id", "Related Document ID")
	b.char("record_name", "Message Record Name")
	b.datetime("date", "Date")
	b.sel("message_type", "Type", [][2]string{{"email", "Email"}, {"comment", "Comment"}, {"notification", "System notification"}, {"auto_comment", "Automated Targeted Notification"}, {"user_notification", "User Specific Notification"}})
	b.m2o("author_id", "Author", "res.partner")
	b.char("email_from", "From")
	b.boolean("is_internal", "Employee Only")
	displayField(b, func(_ *callCtx, m *model, r int32) string {
		if s := m.str("subject", r); s != "" {
			return s
		}
		return m.str("record_name", r)
	}, "record_name")
	b.logAccess()
	m.prepareCreate = func(c *callCtx, vals map[string]any) error {
		if _, ok := vals["date"]; !ok {
			vals["date"] = fmtDatetime(c.tx.now)
		}
		if _, ok := vals["message_type"]; !ok {
			vals["message_type"] = "comment"
		}
		return nil
	}
}

func itoa(n int64) string {
	var buf [20]byte
	i := len(buf)
	neg := n < 0
	if neg {
		n = -n
	}
	for {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	if neg {
		i--
		buf[i] = '-'
	}
	return string(buf[i:])
}
