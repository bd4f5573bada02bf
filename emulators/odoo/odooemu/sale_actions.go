package odooemu

import (
	"fmt"
	"strings"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/odoo/xmlrpcwire"
)

// addSaleMethods registers sale.order's workflow buttons.
func addSaleMethods(s *store) {
	m := s.models["sale.order"]
	action := func(name string, minV, maxV int, fn func(c *callCtx, m *model, ids []int64, rows []int32) (any, error)) {
		m.add(&methodSpec{name: name, pyClass: "SaleOrder", records: true, minVersion: minV, maxVersion: maxV,
			fn: func(c *callCtx, m *model, ids []int64, _ map[string]any) (any, error) {
				rows, err := c.rowsForWrite(m, ids)
				if err != nil {
					return nil, err
				}
				return fn(c, m, ids, rows)
			}})
	}
	action("action_confirm", 0, 0, func(c *callCtx, m *model, ids []int64, rows []int32) (any, error) {
		for _, r := range rows {
			if st := m.str("state", r); st != "draft" && st != "sent" {
				return nil, userError("Some orders are not in a state requiring confirmation.")
			}
		}
		vals := map[string]any{"state": "sale", "date_order": fmtDatetime(c.tx.now)}
		if err := c.writeRecords(m, ids, vals); err != nil {
			return nil, err
		}
		if c.s.conf.autoDone {
			if c.version() == 16 {
				return true, c.writeRecords(m, ids, map[string]any{"state": "done"})
			}
			return true, c.writeRecords(m, ids, map[string]any{"locked": true})
		}
		return true, nil
	})
	action("action_quotation_sent", 0, 0, func(c *callCtx, m *model, ids []int64, rows []int32) (any, error) {
		for _, r := range rows {
			if m.str("state", r) != "draft" {
				return nil, userError("Only draft orders can be marked as sent directly.")
			}
		}
		return true, c.writeRecords(m, ids, map[string]any{"state": "sent"})
	})
	action("action_cancel", 0, 0, func(c *callCtx, m *model, ids []int64, rows []int32) (any, error) {
		if c.version() >= 17 {
			for _, r := range rows {
				if m.bln("locked", r) {
					return nil, userError("You cannot cancel a locked order. Please unlock it first if you want to cancel it.")
				}
			}
			// 17+: _show_cancel_wizard() is true for any non-draft order unless
			// the context says disable_cancel_warning; the button then opens
			// the sale.order.cancel wizard instead of cancelling.
			showWizard := false
			for _, r := range rows {
				if m.str("state", r) != "draft" {
					showWizard = true
				}
			}
			if showWizard && !truthy(c.context["disable_cancel_warning"]) {
				if len(rows) != 1 {
					return nil, valueError("Expected singleton: sale.order(%s)", joinIDs(ids))
				}
				return actionWindow(
					xmlrpcwire.Member{Name: "name", Value: "Cancel Sales Order"},
					xmlrpcwire.Member{Name: "view_mode", Value: "form"},
					xmlrpcwire.Member{Name: "res_model", Value: "sale.order.cancel"},
					xmlrpcwire.Member{Name: "view_id", Value: int64(1042)},
					xmlrpcwire.Member{Name: "type", Value: "ir.actions.act_window"},
					xmlrpcwire.Member{Name: "context", Value: xmlrpcwire.Struct{
						{Name: "default_order_id", Value: m.ids[rows[0]]},
						{Name: "mark_so_as_canceled", Value: true},
						{Name: "default_email_layout_xmlid", Value: "mail.mail_notification_layout_with_responsible_signature"},
					}},
					xmlrpcwire.Member{Name: "target", Value: "new"},
				), nil
			}
		}
		return true, c.writeRecords(m, ids, map[string]any{"state": "cancel"})
	})
	action("action_draft", 0, 0, func(c *callCtx, m *model, _ []int64, rows []int32) (any, error) {
		var ids []int64
		for _, r := range rows {
			if st := m.str("state", r); st == "cancel" || st == "sent" {
				ids = append(ids, m.ids[r])
			}
		}
		if len(ids) == 0 {
			return true, nil
		}
		return true, c.writeRecords(m, ids, map[string]any{"state": "draft"})
	})
	action("action_lock", 17, 0, func(c *callCtx, m *model, ids []int64, _ []int32) (any, error) {
		return true, c.writeRecords(m, ids, map[string]any{"locked": true})
	})
	action("action_unlock", 0, 0, func(c *callCtx, m *model, ids []int64, rows []int32) (any, error) {
		if c.version() == 16 {
			return true, c.writeRecords(m, ids, map[string]any{"state": "sale"})
		}
		return true, c.writeRecords(m, ids, map[string]any{"locked": false})
	})
	action("action_done", 16, 16, func(c *callCtx, m *model, ids []int64, _ []int32) (any, error) {
		return true, c.writeRecords(m, ids, map[string]any{"state": "done"})
	})
}

func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprint(id)
	}
	return strings.Join(parts, ", ")
}
