package odooemu_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/odoo/odooemu"
)

// TestConcurrentClients runs writers, readers and an open transaction at
// once (run with -race).
func TestConcurrentClients(t *testing.T) {
	c := startEmu(t, odooemu.Options{SeedCustomers: 200, Seed: 3})
	tx := c.emu.Begin()
	late, err := tx.Create("res.partner", map[string]any{"name": "late", "email": "late@x.com"})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			cc := c.clone()
			for i := 0; i < 25; i++ {
				id, err := cc.call("res.partner", "create", []any{map[string]any{"name": fmt.Sprintf("w%d-%d", w, i), "email": fmt.Sprintf("w%d@x.com", w)}}, nil)
				if err != nil {
					errs <- err
					return
				}
				if _, err := cc.call("res.partner", "write", []any{[]any{id}, map[string]any{"phone": "1"}}, nil); err != nil {
					errs <- err
					return
				}
				if _, err := cc.call("res.partner", "search_read", []any{[]any{[]any{"email_normalized", "=", fmt.Sprintf("w%d@x.com", w)}}},
					map[string]any{"fields": []any{"name"}, "order": "write_date asc, id asc", "limit": 10}); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := c.search("res.partner", []any{[]any{"id", "=", late}}, nil); len(got) != 0 {
		t.Fatal("open transaction leaked")
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if n := c.must("res.partner", "search_count", []any{[]any{[]any{"name", "=like", "w%"}}}, nil); n != int64(100) {
		t.Fatalf("created %v", n)
	}
}
