package odooemu_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/odoo/odooemu"
)

type hookReceiver struct {
	mu      sync.Mutex
	bodies  []string
	queries []string
	tokens  []string
	visible []bool
	onPost  func(body map[string]any) bool
	status  int
	delay   time.Duration
	srv     *httptest.Server
}

func newReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{status: 200}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		_ = json.Unmarshal(b, &body)
		vis := false
		if h.onPost != nil {
			vis = h.onPost(body)
		}
		h.mu.Lock()
		h.bodies = append(h.bodies, string(b))
		h.tokens = append(h.tokens, r.URL.Query().Get("token")+"|"+r.Header.Get("Content-Type"))
		h.visible = append(h.visible, vis)
		h.mu.Unlock()
		time.Sleep(h.delay)
		w.WriteHeader(h.status)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) snapshot() ([]string, []string, []bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.bodies...), append([]string(nil), h.tokens...), append([]bool(nil), h.visible...)
}

func TestWebhookPrecommit17(t *testing.T) {
	h := newReceiver(t)
	c := startEmu(t, odooemu.Options{Version: 17, WebhookURL: h.srv.URL + "/hook?token=s3cret"})
	// The receiver asks Odoo straight away, as a sync service would.
	rc := c.clone()
	h.onPost = func(body map[string]any) bool {
		if body["_model"] != "res.partner" {
			return false
		}
		id := int64(body["_id"].(float64))
		got, err := rc.call("res.partner", "search", []any{[]any{[]any{"id", "=", id}, []any{"name", "=", body["name"]}}}, nil)
		return err == nil && len(ints(got)) == 1
	}
	c.emu.SetNow(time.Date(2024, 5, 1, 10, 0, 0, 123456000, time.UTC))
	id := c.create("res.partner", map[string]any{"name": "Hooked", "email": "Hook@X.com", "company_id": int64(1), "country_id": int64(5)})
	bodies, tokens, visible := h.snapshot()
	if len(bodies) != 1 {
		t.Fatalf("webhooks: %v", bodies)
	}
	want := `{"_action": "Sync contact to Dotdigital(#101)", "_id": ` + itoa(id) + `, "_model": "res.partner", "active": true, "category_id": [], "commercial_partner_id": ` + itoa(id) +
		`, "company_id": 1, "email": "Hook@X.com", "email_normalized": "hook@x.com", "id": ` + itoa(id) + `, "name": "Hooked", "website_id": false, "write_date": "2024-05-01 10:00:00.123456"}`
	if bodies[0] != want {
		t.Fatalf("payload\n got %s\nwant %s", bodies[0], want)
	}
	if tokens[0] != "s3cret|application/json" {
		t.Fatalf("token/content type: %v", tokens)
	}
	if visible[0] {
		t.Fatal("17 sends before commit: the receiver must not see the new partner yet")
	}
	// Orders: confirm sends one webhook; merge re-pointing sends none for orders.
	o := newOrder(t, c, id)
	c.must("sale.order", "action_confirm", []any{anyIDs(o)}, nil)
	bodies, _, _ = h.snapshot()
	last := bodies[len(bodies)-1]
	if !strings.Contains(last, `"_model": "sale.order"`) || !strings.Contains(last, `"state": "sale"`) || !strings.Contains(last, `"partner_id": `+itoa(id)) {
		t.Fatalf("order webhook: %s", last)
	}
	n := len(bodies)
	dup := c.create("res.partner", map[string]any{"name": "Dup", "email": "hook@x.com"})
	wiz := c.create("base.partner.merge.automatic.wizard", map[string]any{"partner_ids": []any{[]any{int64(6), int64(0), anyIDs(id, dup)}}, "dst_partner_id": dup})
	c.must("base.partner.merge.automatic.wizard", "action_merge", []any{anyIDs(wiz)}, nil)
	bodies, _, _ = h.snapshot()
	for _, b := range bodies[n+1:] {
		if strings.Contains(b, `"_model": "sale.order"`) {
			t.Fatalf("merge re-pointing sent an order webhook: %s", b)
		}
	}
	if !strings.Contains(bodies[len(bodies)-1], `"_id": `+itoa(dup)) {
		t.Fatalf("merge destination write should notify: %v", bodies[n:])
	}
	// A failing or slow receiver never fails the call (1 s timeout).
	h.status = 500
	h.delay = 1500 * time.Millisecond
	began := time.Now()
	c.must("res.partner", "write", []any{anyIDs(dup), map[string]any{"phone": "1"}}, nil)
	if d := time.Since(began); d > 1400*time.Millisecond {
		t.Fatalf("slow receiver held the call %v", d)
	}
}

func TestWebhookPostcommit18AndNone16(t *testing.T) {
	h := newReceiver(t)
	c := startEmu(t, odooemu.Options{Version: 18, WebhookURL: h.srv.URL})
	rc := c.clone()
	h.onPost = func(body map[string]any) bool {
		got, err := rc.call("res.partner", "search", []any{[]any{[]any{"id", "=", int64(body["_id"].(float64))}}}, nil)
		return err == nil && len(ints(got)) == 1
	}
	c.create("res.partner", map[string]any{"name": "After"})
	_, _, visible := h.snapshot()
	if len(visible) != 1 || !visible[0] {
		t.Fatalf("18 postcommit: receiver should see the record: %v", visible)
	}
	h16 := newReceiver(t)
	c16 := startEmu(t, odooemu.Options{Version: 16, WebhookURL: h16.srv.URL})
	c16.create("res.partner", map[string]any{"name": "No hook"})
	if b, _, _ := h16.snapshot(); len(b) != 0 {
		t.Fatalf("16 has no webhooks: %v", b)
	}
}
