package odooemu_test

import (
	"strings"
	"testing"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/odoo/odooemu"
)

func TestMergeWizard(t *testing.T) {
	c := startEmu(t, odooemu.Options{})
	t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	c.emu.SetNow(t0)
	vip := c.search("res.partner.category", []any{[]any{"name", "=", "VIP"}}, nil)[0]
	dst := c.create("res.partner", map[string]any{"name": "Jane Doe", "email": "jane@example.com"})
	src1 := c.create("res.partner", map[string]any{"name": "Jane D", "email": "jane@example.com", "phone": "+32 2", "category_id": []any{[]any{int64(4), vip}}})
	src2 := c.create("res.partner", map[string]any{"name": "J. Doe", "email": "JANE@example.com"})
	order := newOrder(t, c, src1)
	c.must("sale.order", "action_confirm", []any{anyIDs(order)}, nil)
	user := c.create("res.users", map[string]any{"login": "jane@example.com", "partner_id": src2, "company_id": int64(1), "share": true})
	before := c.read("sale.order", order, "write_date")["write_date"]

	c.emu.SetNow(t0.Add(time.Hour))
	wiz := c.create("base.partner.merge.automatic.wizard", map[string]any{
		"partner_ids": []any{[]any{int64(6), int64(0), anyIDs(dst, src1, src2)}}, "dst_partner_id": dst})
	act := c.must("base.partner.merge.automatic.wizard", "action_merge", []any{anyIDs(wiz)}, nil).(map[string]any)
	if act["type"] != "ir.actions.act_window" {
		t.Fatalf("action_merge returned %v", act)
	}
	// Sources are deleted, not archived.
	if got := c.search("res.partner", []any{[]any{"id", "in", anyIDs(src1, src2)}}, map[string]any{"context": map[string]any{"active_test": false}}); len(got) != 0 {
		t.Fatalf("sources still there: %v", got)
	}
	// Orders re-pointed by SQL: write_date unchanged.
	rec := c.read("sale.order", order, "partner_id", "partner_invoice_id", "partner_shipping_id", "write_date")
	if rec["partner_id"].([]any)[0] != dst || rec["partner_invoice_id"].([]any)[0] != dst || rec["write_date"] != before {
		t.Fatalf("order after merge: %v (write_date before %v)", rec, before)
	}
	if u := c.read("res.users", user, "partner_id"); u["partner_id"].([]any)[0] != dst {
		t.Fatalf("user not re-pointed: %v", u)
	}
	// Destination: empty fields filled, tags merged, write_date moved.
	d := c.read("res.partner", dst, "phone", "email", "category_id", "write_date", "user_ids")
	if d["phone"] != "+32 2" || d["email"] != "jane@example.com" || d["write_date"] != "2024-05-01 11:00:00" || len(ints(d["category_id"])) != 1 || len(ints(d["user_ids"])) != 1 {
		t.Fatalf("destination: %v", d)
	}
	msgs := c.must("mail.message", "search_read", []any{[]any{
		[]any{"model", "=", "res.partner"}, []any{"res_id", "=", dst}, []any{"body", "ilike", "Merged with the following partners"}}},
		map[string]any{"fields": []any{"body", "res_id", "date", "message_type", "author_id"}}).([]any)
	if len(msgs) != 1 {
		t.Fatalf("merge note: %v", msgs)
	}
	body := msgs[0].(map[string]any)["body"].(string)
	for _, want := range []string{"(ID " + itoa(src1) + ")", "(ID " + itoa(src2) + ")", "Jane D &lt;jane@example.com&gt;"} {
		if !strings.Contains(body, want) {
			t.Fatalf("note %q lacks %q", body, want)
		}
	}
	// Rules: at most 3, no parent/child merge.
	a := c.create("res.partner", map[string]any{"name": "A", "is_company": true})
	b := c.create("res.partner", map[string]any{"name": "B", "parent_id": a})
	wiz = c.create("base.partner.merge.automatic.wizard", map[string]any{"partner_ids": []any{[]any{int64(6), int64(0), anyIDs(a, b)}}})
	_, err := c.call("base.partner.merge.automatic.wizard", "action_merge", []any{anyIDs(wiz)}, nil)
	wantFault(t, err, 2, "You cannot merge a contact with one of his parent.")
	p := []int64{c.create("res.partner", map[string]any{"name": "1"}), c.create("res.partner", map[string]any{"name": "2"}),
		c.create("res.partner", map[string]any{"name": "3"}), c.create("res.partner", map[string]any{"name": "4"})}
	wiz = c.create("base.partner.merge.automatic.wizard", map[string]any{"partner_ids": []any{[]any{int64(6), int64(0), anyIDs(p...)}}})
	_, err = c.call("base.partner.merge.automatic.wizard", "action_merge", []any{anyIDs(wiz)}, nil)
	wantFault(t, err, 2, "you cannot merge more than 3 contacts")
	// Without dst_partner_id: the most recently created active partner stays.
	c.emu.Advance(time.Second)
	newer := c.create("res.partner", map[string]any{"name": "newer"})
	wiz = c.create("base.partner.merge.automatic.wizard", map[string]any{"partner_ids": []any{[]any{int64(6), int64(0), anyIDs(p[0], newer)}}})
	c.must("base.partner.merge.automatic.wizard", "action_merge", []any{anyIDs(wiz)}, nil)
	if got := c.search("res.partner", []any{[]any{"id", "in", anyIDs(p[0], newer)}}, nil); len(got) != 1 || got[0] != newer {
		t.Fatalf("default destination: %v", got)
	}
}
