package odooemu

import "strings"

var partnerLangs = [][2]string{
	{"en_US", "English (US)"}, {"en_GB", "English (UK)"}, {"fr_FR", "French / Français"},
	{"fr_BE", "French (BE) / Français (BE)"}, {"nl_BE", "Dutch (BE) / Nederlands (BE)"},
	{"nl_NL", "Dutch / Nederlands"}, {"de_DE", "German / Deutsch"}, {"es_ES", "Spanish / Español"},
	{"it_IT", "Italian / Italiano"}, {"pt_PT", "Portuguese / Português"}, {"pl_PL", "Polish / Język polski"},
	{"sv_SE", "Swedish / Svenska"}, {"da_DK", "Danish / Dansk"},
}

// partnerNameField is the stored display name: display_name in 16,
// complete_name from 17 on.
func (s *store) partnerNameField() string {
	if s.version == 16 {
		return "display_name"
	}
	return "complete_name"
}

func (s *store) definePartner() {
	m, b := s.newModel("res.partner", "Contact")
	nameField := s.partnerNameField()
	m.order = nameField + " ASC, id DESC"
	m.parentName = "parent_id"
	b.char("name", "Name")
	if s.version == 16 {
		b.char("display_name", "Display Name").readonly = true
	} else {
		b.char("complete_name", "Complete Name").readonly = true
		displayField(b, func(_ *callCtx, m *model, r int32) string { return m.str("complete_name", r) }, "complete_name")
	}
	b.char("email", "Email")
	em := b.char("email_normalized", "Normalized Email")
	em.readonly = true
	em.indexed = true
	em.help = "This field is used to search on email address as the primary email field can contain more than strictly an email address."
	b.char("phone", "Phone")
	b.char("mobile", "Mobile")
	b.boolean("is_company", "Is a Company").help = "Check if the contact is a company, otherwise it is a person"
	b.char("company_name", "Company Name")
	pf := b.m2o("parent_id", "Related Company", "res.partner")
	pf.indexed = true
	b.o2m("child_ids", "Contact", "res.partner", "parent_id")
	cp := b.m2o("commercial_partner_id", "Commercial Entity", "res.partner")
	cp.indexed = true
	cp.readonly = true
	b.m2o("company_id", "Company", "res.company")
	b.m2o("website_id", "Website", "website").help = "Restrict publishing to this website."
	cat := b.m2m("category_id", "Tags", "res.partner.category")
	cat.indexed = true
	b.o2m("user_ids", "Users", "res.users", "partner_id")
	ps := b.boolean("partner_share", "Share Partner")
	ps.readonly = true
	ps.help = "Either customer (not a user), either shared user. Indicated the current partner is a customer without access or with a limited access created for sharing data."
	b.boolean("active", "Active")
	types := [][2]string{{"contact", "Contact"}, {"invoice", "Invoice Address"}, {"delivery", "Delivery Address"}}
	if s.version == 16 {
		types = append(types, [2]string{"private", "Private Address"})
	}
	types = append(types, [2]string{"other", "Other Address"})
	b.sel("type", "Address Type", types)
	b.integer("customer_rank", "Customer Rank")
	b.integer("supplier_rank", "Supplier Rank")
	b.sel("lang", "Language", partnerLangs)
	b.m2o("country_id", "Country", "res.country").ondelete = "restrict"
	cc := b.computed("country_code", "Country Code", fChar, func(c *callCtx, m *model, r int32) any {
		countries := c.s.models["res.country"]
		if cr, ok := countries.visibleRow(m.i64("country_id", r), c.viewer()); ok {
			return countries.str("code", cr)
		}
		return ""
	})
	cc.searchAs = "country_id.code"
	b.char("street", "Street")
	b.char("city", "City")
	b.char("zip", "Zip")
	b.char("ref", "Reference")
	b.char("vat", "Tax ID")
	b.char("function", "Job Position")
	b.integer("message_bounce", "Bounce")
	b.computed("is_blacklisted", "Blacklist", fBoolean, func(*callCtx, *model, int32) any { return false })
	b.logAccess()
	// The o2m user_ids and child_ids are searchable through their inverse.
	m.rule = func(c *callCtx, r int32) bool {
		co := m.i64("company_id", r)
		return !m.bln("partner_share", r) || co == 0 || c.inCompanies(co)
	}
	m.prepareCreate = func(c *callCtx, vals map[string]any) error {
		if _, ok := vals["type"]; !ok {
			vals["type"] = "contact"
		}
		if _, ok := vals["partner_share"]; !ok {
			vals["partner_share"] = true
		}
		if n, ok := vals["name"]; (!ok || !truthy(n)) && !truthy(vals["parent_id"]) {
			// res_partner_check_name: CHECK((type='contact' AND name IS NOT NULL) or (type!='contact'))
			if t, _ := vals["type"].(string); t == "contact" {
				return validationError("The operation cannot be completed: Contacts require a name\n\nModel: Contact (res.partner)\nConstraint: res_partner_check_name")
			}
		}
		return nil
	}
	m.afterWrite = func(c *callCtx, r int32, changed map[string]bool, created bool) error {
		if created || changed["email"] {
			m.setRaw(r, m.fields["email_normalized"], normalizeEmail(m.str("email", r)))
		}
		if created || changed["name"] || changed["parent_id"] || changed["is_company"] || changed["type"] {
			return c.recomputePartnerTree(m, r, map[int64]bool{})
		}
		return nil
	}
}

// normalizeEmail is email_normalized as the reference describes it: the
// first valid address (one '@', text on both sides), lower-cased; "" (False)
// when there is none.
func normalizeEmail(text string) string {
	for _, part := range splitAddressList(text) {
		addr := strings.TrimSpace(part)
		if i, j := strings.LastIndex(addr, "<"), strings.LastIndex(addr, ">"); i >= 0 && j > i {
			addr = strings.TrimSpace(addr[i+1 : j])
		} else if strings.ContainsAny(addr, " \t") {
			for _, w := range strings.Fields(addr) {
				if strings.Contains(w, "@") {
					addr = w
					break
				}
			}
		}
		at := strings.LastIndex(addr, "@")
		if at <= 0 || at == len(addr)-1 || strings.Count(addr, "@") != 1 || strings.ContainsAny(addr, " \t\"") {
			continue
		}
		return strings.ToLower(addr)
	}
	return ""
}

// splitAddressList splits on commas and semicolons outside quotes and
// angle brackets.
func splitAddressList(s string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted
		case '<':
			depth++
		case '>':
			if depth > 0 {
				depth--
			}
		case ',', ';':
			if !quoted && depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// partnerDisplay computes the stored display name: "Company, Person" for
// contacts of a company; the address type for unnamed addresses.
func (c *callCtx) partnerDisplay(m *model, r int32) string {
	name := m.str("name", r)
	parent := m.i64("parent_id", r)
	if parent == 0 {
		return name
	}
	if name == "" {
		if t := m.str("type", r); t != "contact" && t != "" {
			name = m.fields["type"].selectionLabel(t)
		}
	}
	if m.bln("is_company", r) {
		return name
	}
	pr, ok := m.visibleRow(parent, c.viewer())
	if !ok {
		return name
	}
	commercial := m.i64("commercial_partner_id", pr)
	company := m.str("name", pr)
	if cr, ok := m.visibleRow(commercial, c.viewer()); ok && m.bln("is_company", cr) {
		company = m.str("name", cr)
	}
	return company + ", " + name
}

// recomputePartnerTree refreshes commercial_partner_id and the display name
// of a partner and its descendants (stored computed fields: changed values
// move the descendants' write_date).
func (c *callCtx) recomputePartnerTree(m *model, r int32, seen map[int64]bool) error {
	id := m.ids[r]
	if seen[id] {
		return nil
	}
	seen[id] = true
	commercial := id
	if parent := m.i64("parent_id", r); parent != 0 && !m.bln("is_company", r) {
		if pr, ok := m.visibleRow(parent, c.viewer()); ok {
			commercial = m.i64("commercial_partner_id", pr)
			if commercial == 0 {
				commercial = parent
			}
		}
	}
	if err := c.setComputed(m, r, "commercial_partner_id", commercial); err != nil {
		return err
	}
	if err := c.setComputed(m, r, c.s.partnerNameField(), c.partnerDisplay(m, r)); err != nil {
		return err
	}
	for _, cr := range m.lookupInts(m.fields["parent_id"], []int64{id}, c.viewer()) {
		if m.hiddenFrom(m.ids[cr], c.viewer()) {
			continue
		}
		if err := c.recomputePartnerTree(m, cr, seen); err != nil {
			return err
		}
	}
	return nil
}

// recomputePartnerShare: a partner is "share" unless one of its users is
// internal (share=False).
func (c *callCtx) recomputePartnerShare(partnerID int64) error {
	partners := c.s.models["res.partner"]
	pr, ok := partners.visibleRow(partnerID, c.viewer())
	if !ok || partners.hiddenFrom(partnerID, c.viewer()) {
		return nil // another open transaction holds it; Odoo would wait
	}
	users := c.s.models["res.users"]
	share := true
	for _, ur := range users.lookupInts(users.fields["partner_id"], []int64{partnerID}, c.viewer()) {
		if !users.bln("share", ur) {
			share = false
		}
	}
	return c.setComputed(partners, pr, "partner_share", share)
}
