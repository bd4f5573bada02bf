package odooemu_test

import (
	"testing"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/odoo/odooemu"
)

func TestLateCommitVisibility(t *testing.T) {
	c := startEmu(t, odooemu.Options{})
	t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	c.emu.SetNow(t0)
	existing := c.create("res.partner", map[string]any{"name": "Before", "email": "before@x.com"})

	tx := c.emu.Begin() // starts at 10:00:00
	id, err := tx.Create("res.partner", map[string]any{"name": "Late", "email": "late@x.com"})
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Write("res.partner", []int64{existing}, map[string]any{"name": "Renamed"}); err != nil {
		t.Fatal(err)
	}
	// Meanwhile others commit at 10:05.
	c.emu.SetNow(t0.Add(5 * time.Minute))
	other := c.create("res.partner", map[string]any{"name": "Other"})
	// (base records were written at the real, later time)
	cursor := []any{[]any{"write_date", ">=", "2024-05-01 10:00:00"}, []any{"write_date", "<", "2025-01-01"}}
	got := c.search("res.partner", cursor, map[string]any{"order": "write_date asc, id asc"})
	sameIDs(t, got, existing, other) // existing still at its committed version
	if rec := c.read("res.partner", existing, "name"); rec["name"] != "Before" {
		t.Fatalf("uncommitted write visible: %v", rec)
	}
	if got := c.must("res.partner", "read", []any{anyIDs(id)}, map[string]any{"fields": []any{"name"}}).([]any); len(got) != 0 {
		t.Fatalf("uncommitted create visible: %v", got)
	}
	// Writing a row the open transaction holds fails like PostgreSQL.
	_, err = c.call("res.partner", "write", []any{anyIDs(existing), map[string]any{"phone": "1"}}, nil)
	wantFault(t, err, 1, "could not serialize access due to concurrent update")
	// Inside the transaction its own changes are visible.
	if res, err := tx.Call("res.partner", "search_count", []any{[]any{[]any{"name", "=", "Late"}}}, nil); err != nil || res != int64(1) {
		t.Fatalf("tx sees own create: %v %v", res, err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	// After commit: the rows carry the transaction start time, older than
	// "other", and a cursor at 10:05 would have missed them.
	rows := c.must("res.partner", "search_read", []any{cursor}, map[string]any{"fields": []any{"write_date"}, "order": "write_date asc, id asc"}).([]any)
	if len(rows) != 3 {
		t.Fatalf("after commit: %v", rows)
	}
	for i, want := range []struct {
		id int64
		wd string
	}{{existing, "2024-05-01 10:00:00"}, {id, "2024-05-01 10:00:00"}, {other, "2024-05-01 10:05:00"}} {
		r := rows[i].(map[string]any)
		if r["id"] != want.id || r["write_date"] != want.wd {
			t.Fatalf("row %d = %v, want %v", i, r, want)
		}
	}
	// Rollback restores everything.
	tx2 := c.emu.Begin()
	if err := tx2.Write("res.partner", []int64{existing}, map[string]any{"name": "Nope"}); err != nil {
		t.Fatal(err)
	}
	if err := tx2.Unlink("res.partner", []int64{other}); err != nil {
		t.Fatal(err)
	}
	if got := c.search("res.partner", []any{[]any{"id", "=", other}}, nil); len(got) != 1 {
		t.Fatalf("uncommitted delete visible: %v", got)
	}
	tx2.Rollback()
	if rec := c.read("res.partner", existing, "name"); rec["name"] != "Renamed" {
		t.Fatalf("rollback: %v", rec)
	}
	if got := c.search("res.partner", []any{[]any{"id", "=", other}}, nil); len(got) != 1 {
		t.Fatalf("rollback of delete: %v", got)
	}
	if _, err := tx2.Create("res.partner", map[string]any{"name": "x"}); err != odooemu.ErrTxDone {
		t.Fatalf("call after rollback: %v", err)
	}
}

func TestSameSecondWrites(t *testing.T) {
	c := startEmu(t, odooemu.Options{})
	base := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	var ids []int64
	for i := 0; i < 50; i++ {
		c.emu.SetNow(base.Add(time.Duration(i) * 10 * time.Millisecond)) // 10:00:00.000 .. .490
		ids = append(ids, c.create("res.partner", map[string]any{"name": "Burst"}))
	}
	rows := c.must("res.partner", "search_read", []any{[]any{[]any{"name", "=", "Burst"}}}, map[string]any{"fields": []any{"write_date"}}).([]any)
	for _, r := range rows {
		if r.(map[string]any)["write_date"] != "2024-05-01 10:00:00" {
			t.Fatalf("write_date not truncated: %v", r)
		}
	}
	// '>' on the whole second also matches later microseconds of it (16-18).
	gt := c.search("res.partner", []any{[]any{"name", "=", "Burst"}, []any{"write_date", ">", "2024-05-01 10:00:00"}}, map[string]any{"order": "write_date asc, id asc"})
	sameIDs(t, gt, ids[1:]...)
	// '=' matches only the row stored at .000000: the keyset tiebreak loses rows.
	eq := c.search("res.partner", []any{[]any{"name", "=", "Burst"}, []any{"write_date", "=", "2024-05-01 10:00:00"}}, nil)
	sameIDs(t, eq, ids[0])
	// Paging with >= and offset over the index returns every row once.
	var seen []int64
	for off := 0; ; off += 7 {
		page := c.search("res.partner", []any{[]any{"write_date", ">=", "2024-05-01 10:00:00"}, []any{"write_date", "<", "2025-01-01"}}, map[string]any{"order": "write_date asc, id asc", "limit": 7, "offset": off})
		if len(page) == 0 {
			break
		}
		seen = append(seen, page...)
	}
	sameIDs(t, seen, ids...)
	// Frozen clock: many writes share one timestamp exactly.
	c.emu.SetNow(base.Add(time.Hour))
	a := c.create("res.partner", map[string]any{"name": "Same"})
	b := c.create("res.partner", map[string]any{"name": "Same"})
	sameIDs(t, c.search("res.partner", []any{[]any{"write_date", "=", "2024-05-01 11:00:00"}}, map[string]any{"order": "id"}), a, b)
}
