package odooemu

import (
	"fmt"
	"html"
	"strings"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/odoo/xmlrpcwire"
)

const mergeWizard = "base.partner.merge.automatic.wizard"

func (s *store) defineMergeWizard() {
	m, b := s.newModel(mergeWizard, "Merge Partner Wizard")
	m.transient = true
	b.sel("state", "State", [][2]string{{"option", "Option"}, {"selection", "Selection"}, {"finished", "Finished"}})
	b.boolean("group_by_email", "Email")
	b.boolean("group_by_name", "Name")
	b.boolean("group_by_is_company", "Is Company")
	b.boolean("group_by_vat", "VAT")
	b.boolean("group_by_parent_id", "Parent Company")
	b.m2m("partner_ids", "Contacts", "res.partner")
	b.m2o("dst_partner_id", "Destination Contact", "res.partner")
	b.boolean("exclude_contact", "A user associated to the contact")
	b.boolean("exclude_journal_item", "Journal Items associated to the contact")
	b.integer("maximum_group", "Maximum of Group of Contacts")
	b.integer("number_group", "Group of Contacts")
	displayField(b, func(_ *callCtx, m *model, r int32) string {
		return fmt.Sprintf("%s,%d", m.name, m.ids[r])
	}, "")
	m.fields["display_name"].searchAs = ""
	m.fields["display_name"].sortAs = ""
	b.logAccess()
	m.prepareCreate = func(_ *callCtx, vals map[string]any) error {
		setDefault(vals, "state", "option")
		return nil
	}
}

func addMergeMethods(s *store) {
	m := s.models[mergeWizard]
	m.add(&methodSpec{name: "action_merge", pyClass: "MergePartnerAutomatic", records: true,
		fn: func(c *callCtx, m *model, ids []int64, _ map[string]any) (any, error) {
			if len(ids) != 1 {
				return nil, valueError("Expected singleton: %s(%s)", m.name, joinIDs(ids))
			}
			rows, err := c.rowsForWrite(m, ids)
			if err != nil {
				return nil, err
			}
			w := rows[0]
			if src := m.idl("partner_ids", w); len(src) > 0 {
				if err := c.mergePartners(src, m.i64("dst_partner_id", w)); err != nil {
					return nil, err
				}
			}
			if err := c.writeRecords(m, ids, map[string]any{"state": "finished", "partner_ids": []any{[]any{int64(5)}}, "dst_partner_id": false}); err != nil {
				return nil, err
			}
			return xmlrpcwire.Struct{
				{Name: "type", Value: "ir.actions.act_window"},
				{Name: "res_model", Value: m.name},
				{Name: "res_id", Value: ids[0]},
				{Name: "view_mode", Value: "form"},
				{Name: "target", Value: "new"},
			}, nil
		}})
}

// partnerComputedFields are stored computed fields that _update_values skips.
var partnerComputedFields = map[string]bool{
	"email_normalized": true, "commercial_partner_id": true, "complete_name": true,
	"display_name": true, "partner_share": true, "parent_path": true,
}

// mergePartners is base.partner.merge.automatic.wizard._merge
// (odoo/addons/base/wizard/base_partner_merge.py) as seen by the API user
// (an administrator, so the same-email check is skipped).
func (c *callCtx) mergePartners(partnerIDs []int64, dstID int64) error {
	partners := c.s.models["res.partner"]
	var rows []int32
	for _, id := range partnerIDs {
		if r, ok := partners.visibleRow(id, c.viewer()); ok {
			rows = append(rows, r)
		}
	}
	if len(rows) < 2 {
		return nil
	}
	if len(rows) > 3 {
		return userError("For safety reasons, you cannot merge more than 3 contacts together. You can re-open the wizard several times if needed.")
	}
	selected := map[int64]bool{}
	for _, r := range rows {
		selected[partners.ids[r]] = true
	}
	for _, r := range rows {
		p, err := c.withSudo().withActiveTest(false).hierarchyLeaf(partners, partners.fields["id"], "child_of", []any{partners.ids[r]}, nil)
		if err != nil {
			return err
		}
		for _, other := range rows {
			if other != r && p(other) {
				return userError("You cannot merge a contact with one of his parent.")
			}
		}
	}
	users := c.s.models["res.users"]
	var userRows []int32
	for _, r := range rows {
		userRows = append(userRows, users.lookupInts(users.fields["partner_id"], []int64{partners.ids[r]}, c.viewer())...)
	}
	if len(userRows) > 1 {
		return userError("You cannot merge contacts linked to more than one user")
	}
	dst := int32(-1)
	if dstID != 0 && selected[dstID] {
		dst, _ = partners.visibleRow(dstID, c.viewer())
	} else {
		// Reference §5.3: by default the most recently created active partner.
		for _, r := range rows {
			if dst < 0 || betterDestination(partners, r, dst) {
				dst = r
			}
		}
	}
	dstID = partners.ids[dst]
	var srcRows []int32
	var srcIDs []int64
	for _, r := range rows {
		if r != dst {
			srcRows = append(srcRows, r)
			srcIDs = append(srcIDs, partners.ids[r])
		}
	}
	if co := partners.i64("company_id", dst); co != 0 {
		for _, ur := range userRows {
			if err := c.writeRecords(users, []int64{users.ids[ur]}, map[string]any{
				"company_ids": []any{[]any{int64(4), co}}, "company_id": co}); err != nil {
				return err
			}
		}
	}
	if err := c.repointForeignKeys(srcIDs, dstID); err != nil {
		return err
	}
	if err := c.repointMessages(srcIDs, dstID); err != nil {
		return err
	}
	if err := c.copyMergeValues(partners, srcRows, dst); err != nil {
		return err
	}
	if err := c.recomputePartnerShare(dstID); err != nil {
		return err
	}
	if err := c.logMerge(partners, srcRows, dstID); err != nil {
		return err
	}
	return c.deleteRows(partners, srcRows)
}

// betterDestination orders active before archived, then newer create_date.
func betterDestination(p *model, a, b int32) bool {
	if p.isActive(a) != p.isActive(b) {
		return p.isActive(a)
	}
	ca, cb := p.ts("create_date", a), p.ts("create_date", b)
	if ca != cb {
		return ca > cb
	}
	return p.ids[a] > p.ids[b]
}

// repointForeignKeys is _update_foreign_keys: a raw SQL UPDATE of every
// column pointing at res_partner, so no write_date moves and no webhook.
func (c *callCtx) repointForeignKeys(srcIDs []int64, dstID int64) error {
	partners := c.s.models["res.partner"]
	src := map[int64]bool{}
	for _, id := range srcIDs {
		src[id] = true
	}
	for _, ref := range c.s.referencing(partners) {
		if ref.m.name == mergeWizard {
			continue
		}
		for _, r := range c.rowsReferencing(ref.m, ref.f, src) {
			id := ref.m.ids[r]
			if ref.m == partners && id == dstID && ref.f.name == "parent_id" {
				continue // would make the destination its own parent
			}
			if err := c.tx.touch(ref.m, r); err != nil {
				return err
			}
			if ref.f.typ == fMany2one {
				ref.m.setRaw(r, ref.f, dstID)
				continue
			}
			var out []int64
			seen := map[int64]bool{}
			for _, v := range ref.m.idl(ref.f.name, r) {
				if src[v] {
					v = dstID
				}
				if !seen[v] {
					seen[v] = true
					out = append(out, v)
				}
			}
			ref.m.setRaw(r, ref.f, sortedIDs(out))
		}
	}
	// The category relation table is res_partner_res_partner_category_rel
	// (partner side): rows of the sources move to the destination.
	cat := partners.fields["category_id"]
	dr, _ := partners.visibleRow(dstID, c.viewer())
	merged := append([]int64(nil), partners.idl("category_id", dr)...)
	for _, id := range srcIDs {
		if sr, ok := partners.visibleRow(id, c.viewer()); ok {
			for _, t := range partners.idl("category_id", sr) {
				if !containsID(merged, t) {
					merged = append(merged, t)
				}
			}
		}
	}
	if len(merged) != len(partners.idl("category_id", dr)) {
		if err := c.tx.touch(partners, dr); err != nil {
			return err
		}
		partners.setRaw(dr, cat, sortedIDs(merged))
	}
	return nil
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// repointMessages is _update_reference_fields for the chatter (ORM writes
// on mail.message).
func (c *callCtx) repointMessages(srcIDs []int64, dstID int64) error {
	msgs := c.s.models["mail.message"]
	src := map[int64]bool{}
	for _, id := range srcIDs {
		src[id] = true
	}
	var ids []int64
	msgs.scanVisible(c.viewer(), func(r int32) {
		if msgs.str("model", r) == "res.partner" && src[msgs.i64("res_id", r)] {
			ids = append(ids, msgs.ids[r])
		}
	})
	if len(ids) == 0 {
		return nil
	}
	return c.writeRecords(msgs, sortedIDs(ids), map[string]any{"res_id": dstID})
}

// copyMergeValues is _update_values: non-empty simple fields of the sources
// fill the destination (its own non-empty values win), by an ORM write.
func (c *callCtx) copyMergeValues(partners *model, srcRows []int32, dst int32) error {
	vals := map[string]any{}
	for _, f := range partners.fieldList {
		if !f.stored || f.typ.isX2many() || partnerComputedFields[f.name] || logAccessColumns[f.name] {
			continue
		}
		for _, r := range append(append([]int32(nil), srcRows...), dst) {
			if v := c.readValue(partners, f, r, false, false); truthy(v) {
				vals[f.name] = v
			}
		}
	}
	parent, hasParent := vals["parent_id"]
	delete(vals, "parent_id")
	dstID := partners.ids[dst]
	if err := c.writeRecords(partners, []int64{dstID}, vals); err != nil {
		return err
	}
	if p, _ := asInt(parent); hasParent && p != dstID {
		return c.writeRecords(partners, []int64{dstID}, map[string]any{"parent_id": p})
	}
	return nil
}

// logMerge posts the mail module's chatter note on the destination.
func (c *callCtx) logMerge(partners *model, srcRows []int32, dstID int64) error {
	parts := make([]string, len(srcRows))
	for i, r := range srcRows {
		email := partners.str("email", r)
		if email == "" {
			email = "n/a"
		}
		parts[i] = fmt.Sprintf("%s <%s> (ID %d)", partners.str("name", r), email, partners.ids[r])
	}
	body := "<p>" + html.EscapeString("Merged with the following partners: "+strings.Join(parts, ", ")) + "</p>"
	users := c.s.models["res.users"]
	author := int64(0)
	if ur, ok := users.visibleRow(c.uid, c.viewer()); ok {
		author = users.i64("partner_id", ur)
	}
	msgs := c.s.models["mail.message"]
	_, err := c.createRecords(msgs, []map[string]any{{
		"model": "res.partner", "res_id": dstID, "body": body, "message_type": "notification",
		"author_id": author, "record_name": c.displayName(partners, dstID), "is_internal": true,
	}})
	return err
}
