package odooemu_test

import (
	"testing"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/odoo/odooemu"
)

// BenchmarkSeed100k loads 100k customers (~150k partners, ~300k orders)
// and pages through partners by write_date over XML-RPC, reporting load
// time and per-page time.
func BenchmarkSeed100k(b *testing.B) {
	end := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	began := time.Now()
	emu, err := odooemu.New(odooemu.Options{SeedCustomers: 100_000, Seed: 1, SeedEnd: end})
	if err != nil {
		b.Fatal(err)
	}
	load := time.Since(began)
	b.Logf("seed 100k customers: %v (partners %d, orders %d, lines %d)", load.Round(time.Millisecond),
		emu.RecordCount("res.partner"), emu.RecordCount("sale.order"), emu.RecordCount("sale.order.line"))
	if err := emu.Start("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	defer emu.Close()
	c := &rpcClient{t: b, emu: emu, db: "odoo", uid: 2, pw: "admin"}
	c = c.clone()
	ts := end.Add(-180 * 24 * time.Hour).Format("2006-01-02 15:04:05")
	kw := func(off int) map[string]any {
		return map[string]any{"fields": []any{"name", "email", "email_normalized", "write_date", "company_id", "category_id"},
			"order": "write_date asc, id asc", "limit": 500, "offset": off, "context": map[string]any{"active_test": false}}
	}
	page := func(off int) int {
		rows := c.must("res.partner", "search_read", []any{[]any{[]any{"write_date", ">=", ts}}}, kw(off)).([]any)
		return len(rows)
	}
	first := time.Now()
	if n := page(0); n != 500 {
		b.Fatalf("page size %d", n)
	}
	b.Logf("first page (500 rows, 6 fields) over XML-RPC: %v", time.Since(first).Round(time.Microsecond))
	inproc := time.Now()
	if _, err := emu.Call(bg, "res.partner", "search_read", []any{[]any{[]any{"write_date", ">=", ts}}}, kw(50_000)); err != nil {
		b.Fatal(err)
	}
	b.Logf("same page in process (no HTTP, no XML): %v", time.Since(inproc).Round(time.Microsecond))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		page((i % 100) * 500)
	}
	b.StopTimer()
	b.ReportMetric(load.Seconds(), "load-s")
	orders := time.Now()
	rows := c.must("sale.order", "search_read", []any{[]any{[]any{"partner_id", "in", []any{int64(5000), int64(6000), int64(7000)}}}},
		map[string]any{"fields": []any{"name", "state", "amount_total"}}).([]any)
	b.Logf("orders of 3 partners (index): %d rows in %v", len(rows), time.Since(orders).Round(time.Microsecond))
	byEmail := time.Now()
	c.must("res.partner", "search_read", []any{[]any{[]any{"email_normalized", "=", "jane.doe1@gmail.com"}}}, map[string]any{"fields": []any{"name"}})
	b.Logf("partners by email_normalized (index): %v", time.Since(byEmail).Round(time.Microsecond))
}

// BenchmarkSeedOnly measures the in-process seeding path alone.
func BenchmarkSeedOnly(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := odooemu.New(odooemu.Options{SeedCustomers: 100_000, Seed: 1, SeedEnd: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
			b.Fatal(err)
		}
	}
}
