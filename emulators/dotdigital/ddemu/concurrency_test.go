package ddemu_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/dotdigital/ddemu"
)

// TestConcurrentUse hammers one emulator from many goroutines with every
// kind of call while jobs run and knobs change; run it with -race.
func TestConcurrentUse(t *testing.T) {
	e, c := start(t, ddemu.Options{ImportDelay: 2 * time.Millisecond, Limits: map[ddemu.Tier]int{ddemu.TierMedium: 100000}})
	c.post("/insightData/v3/collections/Orders?collectionScope=contact&collectionType=orders", nil).expect(t, http.StatusCreated)
	list, _ := e.CreateList("Customers")
	const workers, perWorker = 6, 60
	var wg sync.WaitGroup
	errs := make(chan string, workers*perWorker)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				email := fmt.Sprintf("w%d-%d@example.com", w, i%20)
				check := func(r *resp, ok ...int) {
					for _, s := range ok {
						if r.status == s {
							return
						}
					}
					errs <- fmt.Sprintf("%d %s", r.status, r.body)
				}
				switch i % 6 {
				case 0:
					check(c.patch("/contacts/v3/email/"+email, map[string]any{"identifiers": map[string]any{"email": email},
						"dataFields": map[string]any{"FIRSTNAME": fmt.Sprint(i)}, "lists": []int{list}}), 200, 201)
				case 1:
					check(c.put("/insightData/v3/contacts/email/"+email+"/Orders/"+fmt.Sprintf("SO-%d-%d", w, i), `{"n":1}`), 201, 204, 404)
				case 2:
					check(c.put("/contacts/v3/import", map[string]any{"contacts": []any{row(email, map[string]any{"LASTNAME": "x"})}}), 202, 429)
				case 3:
					check(c.get("/contacts/v3?limit=50&include=lists"), 200)
				case 4:
					check(c.get("/insightData/v3/contacts/Orders?limit=100"), 200)
				case 5:
					check(c.get("/contacts/v3/email/"+email), 200, 404)
					_ = e.Stats()
					e.SetLimits(map[ddemu.Tier]int{ddemu.TierMedium: 100000 + i})
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 20 {
			_ = e.Suppress(fmt.Sprintf("w0-%d@example.com", i))
			_ = e.SetFaults(ddemu.Faults{})
			c.get("/?view=contacts")
			c.get("/?view=insight")
			c.get("/?view=jobs")
		}
	}()
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
	if s := e.Stats(); s.Calls < workers*perWorker {
		t.Fatalf("calls %d", s.Calls)
	}
}
