package odooemu_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/odoo/odooemu"
)

func TestLoginCooldown(t *testing.T) {
	c := startEmu(t, odooemu.Options{})
	c.emu.SetNow(time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC))
	c.must("res.partner", "search_count", []any{[]any{}}, nil) // a worker that already called
	var out any
	for i := 0; i < 5; i++ {
		out = nil
		if err := c.common.Call("authenticate", []any{"odoo", "admin", "bad", map[string]any{}}, &out); err != nil || out != false {
			t.Fatalf("attempt %d: %v %v", i, out, err)
		}
	}
	// Locked out: even the right password fails, on both services.
	var uid any
	if err := c.common.Call("authenticate", []any{"odoo", "admin", "admin", map[string]any{}}, &uid); err != nil || uid != false {
		t.Fatalf("during cooldown authenticate = %v %v", uid, err)
	}
	var res any
	err := c.object.Call("execute_kw", []any{"odoo", int64(2), "other-secret", "res.partner", "search", []any{[]any{}}}, &res)
	wantFault(t, err, 3, "Too many login failures, please wait a bit before trying again.")
	// A password already checked successfully stays cached (ormcache).
	if _, err := c.call("res.partner", "search_count", []any{[]any{}}, nil); err != nil {
		t.Fatalf("cached credentials: %v", err)
	}
	c.emu.Advance(61 * time.Second)
	uid = nil
	if err := c.common.Call("authenticate", []any{"odoo", "admin", "admin", map[string]any{}}, &uid); err != nil || uid != int64(2) {
		t.Fatalf("after cooldown: %v %v", uid, err)
	}
	c.emu.SetLoginCooldown(0, 0)
	for i := 0; i < 10; i++ {
		out = nil
		_ = c.common.Call("authenticate", []any{"odoo", "admin", "bad", map[string]any{}}, &out)
	}
	uid = nil
	if err := c.common.Call("authenticate", []any{"odoo", "admin", "admin", map[string]any{}}, &uid); err != nil || uid != int64(2) {
		t.Fatalf("cooldown disabled: %v %v", uid, err)
	}
}

func TestFaultInjectionAndLatency(t *testing.T) {
	c := startEmu(t, odooemu.Options{})
	c.emu.SetFaults(odooemu.Faults{BadGateway: 1})
	_, err := c.call("res.partner", "search_count", []any{[]any{}}, nil)
	if err == nil || !strings.Contains(err.Error(), "bad status code - 502") {
		t.Fatalf("502: %v", err)
	}
	c.emu.SetFaults(odooemu.Faults{Unavailable: 1})
	_, err = c.call("res.partner", "search_count", []any{[]any{}}, nil)
	if err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("503: %v", err)
	}
	c.emu.SetFaults(odooemu.Faults{OperationalError: 1})
	_, err = c.call("res.partner", "create", []any{map[string]any{"name": "never"}}, nil)
	wantFault(t, err, 1, "SerializationFailure")
	c.emu.SetFaults(odooemu.Faults{})
	if n := c.must("res.partner", "search_count", []any{[]any{[]any{"name", "=", "never"}}}, nil); n != int64(0) {
		t.Fatalf("faulted create was applied: %v", n)
	}
	c.emu.SetFaults(odooemu.Faults{Slow: 1, SlowDelay: 150 * time.Millisecond})
	began := time.Now()
	c.must("res.partner", "search_count", []any{[]any{}}, nil)
	if d := time.Since(began); d < 150*time.Millisecond {
		t.Fatalf("slow call took %v", d)
	}
	c.emu.SetFaults(odooemu.Faults{})
	c.emu.SetLatency(100 * time.Millisecond)
	began = time.Now()
	var v any
	_ = c.common.Call("version", nil, &v)
	if d := time.Since(began); d < 100*time.Millisecond {
		t.Fatalf("latency not applied: %v", d)
	}
	c.emu.SetLatency(0)
	// A fraction: roughly half of 200 calls fail.
	c.emu.SetFaults(odooemu.Faults{OperationalError: 0.5})
	failed := 0
	for i := 0; i < 200; i++ {
		if _, err := c.call("res.partner", "search_count", []any{[]any{}}, nil); err != nil {
			failed++
		}
	}
	if failed < 60 || failed > 140 {
		t.Fatalf("fault rate 0.5 failed %d/200", failed)
	}
	if c.emu.CallCount("res.partner", "search_count") < 200 {
		t.Fatalf("counter: %v", c.emu.Calls())
	}
}

func TestSeedDeterminism(t *testing.T) {
	end := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	dump := func(seed int64) string {
		emu, err := odooemu.New(odooemu.Options{SeedCustomers: 300, Seed: seed, SeedEnd: end, Now: func() time.Time { return end }})
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, q := range []struct {
			model  string
			fields []any
		}{
			{"res.partner", []any{"name", "email", "email_normalized", "company_id", "website_id", "category_id", "active", "parent_id", "write_date", "create_date", "user_ids"}},
			{"sale.order", []any{"name", "state", "partner_id", "amount_total", "currency_id", "website_id", "write_date", "date_order"}},
			{"sale.order.line", []any{"order_id", "product_id", "display_type", "price_total"}},
		} {
			rows, err := emu.Call(bg, q.model, "search_read", []any{[]any{}}, map[string]any{"fields": q.fields, "order": "id", "context": map[string]any{"active_test": false}})
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%v\n", rows)
		}
		return b.String()
	}
	a, b, other := dump(42), dump(42), dump(43)
	if a != b {
		t.Fatal("same seed, different data")
	}
	if a == other {
		t.Fatal("different seeds, same data")
	}
	emu, _ := odooemu.New(odooemu.Options{SeedCustomers: 2000, Seed: 7, SeedEnd: end})
	count := func(model string, domain []any) int64 {
		n, err := emu.Call(bg, model, "search_count", []any{domain}, map[string]any{"context": map[string]any{"active_test": false}})
		if err != nil {
			t.Fatal(err)
		}
		return n.(int64)
	}
	orders := count("sale.order", []any{})
	if orders < 4500 || orders > 7500 {
		t.Fatalf("orders per customer: %d for 2000", orders)
	}
	for _, check := range []struct {
		name   string
		model  string
		domain []any
	}{
		{"VIP", "res.partner", []any{[]any{"category_id.name", "=", "VIP"}}},
		{"no email", "res.partner", []any{[]any{"email", "=", false}}},
		{"invalid email", "res.partner", []any{[]any{"email", "!=", false}, []any{"email_normalized", "=", false}}},
		{"padded duplicates", "res.partner", []any{[]any{"email", "=like", " %"}}},
		{"second website", "res.partner", []any{[]any{"website_id", "=", 2}}},
		{"companies with contacts", "res.partner", []any{[]any{"child_ids", "!=", false}}},
		{"archived", "res.partner", []any{[]any{"active", "=", false}}},
		{"accounts", "res.partner", []any{[]any{"user_ids", "!=", false}, []any{"partner_share", "=", true}}},
		{"unicode names", "res.partner", []any{[]any{"name", "ilike", "ü"}}},
		{"cancelled", "sale.order", []any{[]any{"state", "=", "cancel"}}},
		{"locked", "sale.order", []any{[]any{"locked", "=", true}}},
		{"USD", "sale.order", []any{[]any{"currency_id.name", "=", "USD"}}},
		{"GBP", "sale.order", []any{[]any{"currency_id.name", "=", "GBP"}}},
		{"sections", "sale.order.line", []any{[]any{"display_type", "=", "line_section"}}},
		{"notes", "sale.order.line", []any{[]any{"display_type", "=", "line_note"}}},
	} {
		if n := count(check.model, check.domain); n == 0 {
			t.Errorf("seed has no %s", check.name)
		}
	}
	// Duplicated emails across partners normalise to one key.
	rows, _ := emu.Call(bg, "res.partner", "search_read", []any{[]any{[]any{"email", "=like", " %"}}}, map[string]any{"fields": []any{"email", "email_normalized"}, "limit": 1})
	r := rows.([]any)[0].(map[string]any)
	if strings.TrimSpace(strings.ToLower(r["email"].(string))) != r["email_normalized"] {
		t.Fatalf("normalisation: %v", r)
	}
}
