package odooemu_test

import (
	"testing"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/odoo/odooemu"
)

func productID(t *testing.T, c *rpcClient, code string) int64 {
	ids := c.search("product.product", []any{[]any{"default_code", "=", code}}, nil)
	if len(ids) != 1 {
		t.Fatalf("product %s: %v", code, ids)
	}
	return ids[0]
}

func newOrder(t *testing.T, c *rpcClient, partner int64) int64 {
	chair, desk := productID(t, c, "FURN_0001"), productID(t, c, "FURN_0002")
	return c.create("sale.order", map[string]any{
		"partner_id": partner, "website_id": int64(1),
		"order_line": []any{
			[]any{int64(0), int64(0), map[string]any{"display_type": "line_section", "name": "Chairs"}},
			[]any{int64(0), int64(0), map[string]any{"product_id": chair, "product_uom_qty": 2.0}},
			[]any{int64(0), int64(0), map[string]any{"product_id": desk, "product_uom_qty": 1.0, "discount": 10.0}},
			[]any{int64(0), int64(0), map[string]any{"display_type": "line_note", "name": "Leave at the door"}},
		},
	})
}

func TestSaleOrderFlow17(t *testing.T) {
	c := startEmu(t, odooemu.Options{})
	start := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	c.emu.SetNow(start)
	partner := c.create("res.partner", map[string]any{"name": "Buyer", "email": "buyer@example.com", "company_id": int64(1)})
	o1 := newOrder(t, c, partner)
	o2 := newOrder(t, c, partner)
	rec := c.read("sale.order", o1, "name", "state", "amount_untaxed", "amount_tax", "amount_total", "currency_id", "partner_invoice_id", "order_line", "locked", "invoice_status", "date_order", "company_id")
	if rec["name"] != "S00001" || c.read("sale.order", o2, "name")["name"] != "S00002" {
		t.Fatalf("sequence names: %v", rec["name"])
	}
	// 2 x 70 + 1799 * 0.9 = 1759.10 untaxed, 21% tax.
	if rec["state"] != "draft" || rec["amount_untaxed"] != 1759.1 || rec["amount_tax"] != 369.41 || rec["amount_total"] != 2128.51 {
		t.Fatalf("amounts: %v", rec)
	}
	if cur := rec["currency_id"].([]any); cur[1] != "EUR" {
		t.Fatalf("currency: %v", cur)
	}
	if len(rec["order_line"].([]any)) != 4 || rec["locked"] != false || rec["invoice_status"] != "no" {
		t.Fatalf("order: %v", rec)
	}
	lines := c.must("sale.order.line", "search_read", []any{[]any{[]any{"order_id", "in", anyIDs(o1)}}},
		map[string]any{"fields": []any{"product_id", "display_type", "price_subtotal", "price_total", "product_uom", "name"}, "order": "sequence, id"}).([]any)
	if len(lines) != 4 || lines[0].(map[string]any)["display_type"] != "line_section" || lines[1].(map[string]any)["product_id"].([]any)[1] != "[FURN_0001] Office Chair" {
		t.Fatalf("lines: %v", lines)
	}
	c.emu.SetNow(start.Add(time.Hour))
	if got := c.must("sale.order", "action_confirm", []any{anyIDs(o1)}, nil); got != true {
		t.Fatalf("action_confirm = %v", got)
	}
	rec = c.read("sale.order", o1, "state", "date_order", "write_date", "invoice_status")
	if rec["state"] != "sale" || rec["date_order"] != "2024-05-01 11:00:00" || rec["write_date"] != "2024-05-01 11:00:00" || rec["invoice_status"] != "to invoice" {
		t.Fatalf("after confirm: %v", rec)
	}
	_, err := c.call("sale.order", "action_confirm", []any{anyIDs(o1)}, nil)
	wantFault(t, err, 2, "Some orders are not in a state requiring confirmation.")
	_, err = c.call("sale.order", "unlink", []any{anyIDs(o1)}, nil)
	wantFault(t, err, 2, "You can not delete a sent quotation or a confirmed sales order")
	// 17: cancelling a confirmed order opens the cancel wizard unless told not to.
	act := c.must("sale.order", "action_cancel", []any{anyIDs(o1)}, nil).(map[string]any)
	if act["res_model"] != "sale.order.cancel" || c.read("sale.order", o1, "state")["state"] != "sale" {
		t.Fatalf("cancel wizard: %v", act)
	}
	c.must("sale.order", "action_lock", []any{anyIDs(o1)}, nil)
	_, err = c.call("sale.order", "action_cancel", []any{anyIDs(o1)}, map[string]any{"context": map[string]any{"disable_cancel_warning": true}})
	wantFault(t, err, 2, "You cannot cancel a locked order")
	c.must("sale.order", "action_unlock", []any{anyIDs(o1)}, nil)
	c.must("sale.order", "action_cancel", []any{anyIDs(o1)}, map[string]any{"context": map[string]any{"disable_cancel_warning": true}})
	if rec := c.read("sale.order", o1, "state", "invoice_status"); rec["state"] != "cancel" || rec["invoice_status"] != "no" {
		t.Fatalf("after cancel: %v", rec)
	}
	c.must("sale.order", "action_draft", []any{anyIDs(o1)}, nil)
	// Draft orders cancel directly; line edits recompute the order.
	lineIDs := ints(c.read("sale.order", o2, "order_line")["order_line"])
	c.must("sale.order", "write", []any{anyIDs(o2), map[string]any{"order_line": []any{[]any{int64(2), lineIDs[2]}, []any{int64(1), lineIDs[1], map[string]any{"product_uom_qty": 1.0}}}}}, nil)
	if rec := c.read("sale.order", o2, "amount_untaxed", "order_line"); rec["amount_untaxed"] != 70.0 || len(rec["order_line"].([]any)) != 3 {
		t.Fatalf("after line edits: %v", rec)
	}
	c.must("sale.order", "action_cancel", []any{anyIDs(o2)}, nil)
	c.must("sale.order", "unlink", []any{anyIDs(o2)}, nil)
	if n := c.must("sale.order.line", "search_count", []any{[]any{[]any{"order_id", "=", o2}}}, nil); n != int64(0) {
		t.Fatalf("lines not cascaded: %v", n)
	}
	_, err = c.call("sale.order.line", "create", []any{map[string]any{"order_id": o1, "name": "no product"}}, nil)
	wantFault(t, err, 2, "Missing required fields on accountable sale order line")
	// Partners with orders cannot be deleted (FK restrict).
	_, err = c.call("res.partner", "unlink", []any{anyIDs(partner)}, nil)
	wantFault(t, err, 2, "another model requires the record being deleted")
	// Fields by version.
	fg := c.must("sale.order", "fields_get", []any{}, map[string]any{"attributes": []any{"selection"}}).(map[string]any)
	if len(fg["state"].(map[string]any)["selection"].([]any)) != 4 || fg["locked"] == nil {
		t.Fatalf("17 state selection: %v", fg["state"])
	}
}

func TestVersionDifferences(t *testing.T) {
	c16 := startEmu(t, odooemu.Options{Version: 16, AutoDone: true})
	partner := c16.create("res.partner", map[string]any{"name": "Sixteen", "type": "private"})
	o := newOrder(t, c16, partner)
	c16.must("sale.order", "action_confirm", []any{anyIDs(o)}, nil)
	if rec := c16.read("sale.order", o, "state"); rec["state"] != "done" {
		t.Fatalf("16 auto-done: %v", rec)
	}
	_, err := c16.call("sale.order", "read", []any{anyIDs(o)}, map[string]any{"fields": []any{"locked"}})
	wantFault(t, err, 1, "Invalid field 'locked'")
	if got := c16.must("res.partner", "name_get", []any{anyIDs(partner)}, nil).([]any); got[0].([]any)[1] != "Sixteen" {
		t.Fatalf("name_get: %v", got)
	}
	if rec := c16.read("res.partner", partner, "display_name"); rec["display_name"] != "Sixteen" {
		t.Fatalf("16 display_name: %v", rec)
	}
	var v map[string]any
	_ = c16.common.Call("version", nil, &v)
	if v["server_version"] != "16.0" {
		t.Fatalf("16 version: %v", v)
	}
	c17 := startEmu(t, odooemu.Options{Version: 17, AutoDone: true})
	_, err = c17.call("res.partner", "create", []any{map[string]any{"name": "x", "type": "private"}}, nil)
	wantFault(t, err, 1, "Wrong value for res.partner.type")
	o = newOrder(t, c17, 3)
	c17.must("sale.order", "action_confirm", []any{anyIDs(o)}, nil)
	if rec := c17.read("sale.order", o, "state", "locked"); rec["state"] != "sale" || rec["locked"] != true {
		t.Fatalf("17 auto-done: %v", rec)
	}
	c18 := startEmu(t, odooemu.Options{Version: 18})
	_, err = c18.call("res.partner", "name_get", []any{anyIDs(3)}, nil)
	wantFault(t, err, 1, "does not exist on the model")
	if rec := c18.read("res.partner", 3, "mobile", "complete_name"); rec["complete_name"] != "Mitchell Admin" {
		t.Fatalf("18 partner: %v", rec)
	}
}

func TestStoredComputedFieldsAndWriteDate(t *testing.T) {
	c := startEmu(t, odooemu.Options{})
	t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	c.emu.SetNow(t0)
	comp := c.create("res.partner", map[string]any{"name": "Acme", "is_company": true})
	child := c.create("res.partner", map[string]any{"name": "Jane", "parent_id": comp, "email": "Jane <JANE@X.COM>, other@y.com"})
	rec := c.read("res.partner", child, "display_name", "commercial_partner_id", "email_normalized", "write_date")
	if rec["display_name"] != "Acme, Jane" || rec["commercial_partner_id"].([]any)[0] != comp || rec["email_normalized"] != "jane@x.com" {
		t.Fatalf("computed: %v", rec)
	}
	// Renaming the company recomputes the child's stored name: its write_date moves.
	c.emu.SetNow(t0.Add(time.Minute))
	c.must("res.partner", "write", []any{anyIDs(comp), map[string]any{"name": "Acme Corp"}}, nil)
	rec = c.read("res.partner", child, "display_name", "write_date")
	if rec["display_name"] != "Acme Corp, Jane" || rec["write_date"] != "2024-05-01 10:01:00" {
		t.Fatalf("after rename: %v", rec)
	}
	// Tag renames and tag-side membership edits do not touch partners.
	vip := c.search("res.partner.category", []any{[]any{"name", "=", "VIP"}}, nil)[0]
	c.emu.SetNow(t0.Add(2 * time.Minute))
	c.must("res.partner.category", "write", []any{anyIDs(vip), map[string]any{"name": "Very Important", "partner_ids": []any{[]any{int64(4), child}}}}, nil)
	rec = c.read("res.partner", child, "category_id", "write_date")
	if ids := ints(rec["category_id"]); len(ids) != 1 || ids[0] != vip || rec["write_date"] != "2024-05-01 10:01:00" {
		t.Fatalf("tag-side edit: %v", rec)
	}
	if tag := c.read("res.partner.category", vip, "partner_ids", "write_date"); len(ints(tag["partner_ids"])) != 1 || tag["write_date"] != "2024-05-01 10:02:00" {
		t.Fatalf("tag: %v", tag)
	}
	// Partner-side tag edits are partner writes.
	c.emu.SetNow(t0.Add(3 * time.Minute))
	c.must("res.partner", "write", []any{anyIDs(child), map[string]any{"category_id": []any{[]any{int64(3), vip}}, "email": "new@x.com"}}, nil)
	rec = c.read("res.partner", child, "category_id", "write_date", "email_normalized")
	if len(ints(rec["category_id"])) != 0 || rec["write_date"] != "2024-05-01 10:03:00" || rec["email_normalized"] != "new@x.com" {
		t.Fatalf("partner-side edit: %v", rec)
	}
}
