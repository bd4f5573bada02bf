package odoo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/odoo/odooemu"
)

// Integration tests against the Odoo emulator (emulators/odoo/odooemu),
// which speaks the real XML-RPC protocol, for each supported version.

const emuKey = "integration-api-key-0123456789"

var emuVersions = []int{16, 17, 18}

func startEmu(t *testing.T, version int, mod ...func(*odooemu.Options)) (*odooemu.Emulator, *Client) {
	t.Helper()
	opts := odooemu.Options{DB: "shop", Login: "sync@example.com", Password: "admin-password", APIKeys: []string{emuKey},
		Version: version, SeedCustomers: 20, Seed: 7}
	for _, m := range mod {
		m(&opts)
	}
	e, err := odooemu.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	c, err := New(Config{URL: e.URL(), DB: "shop", Login: "sync@example.com", APIKey: emuKey, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return e, c
}

func forVersions(t *testing.T, fn func(t *testing.T, v int)) {
	for _, v := range emuVersions {
		t.Run(fmt.Sprintf("odoo%d", v), func(t *testing.T) { fn(t, v) })
	}
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestIntegrationVersionAndAuth(t *testing.T) {
	forVersions(t, func(t *testing.T, v int) {
		e, c := startEmu(t, v)
		ctx := context.Background()
		ver := must[Version](t)(c.Version(ctx))
		if ver.Major != v {
			t.Fatalf("version %+v", ver)
		}
		if uid := must[int64](t)(c.UID(ctx)); uid != e.AdminUID() {
			t.Fatalf("uid %d", uid)
		}
		for range 5 {
			must[int64](t)(c.SearchCount(ctx, ModelPartner, nil, ReadOptions{}))
		}
		if n := e.Calls()["common.authenticate"]; n != 1 {
			t.Fatalf("authenticate calls %d", n)
		}

		// A wrong key: one attempt, then fail fast (no lock-out).
		e.ResetCalls()
		bad, _ := New(Config{URL: e.URL(), DB: "shop", Login: "sync@example.com", APIKey: "wrong-key-value"})
		for range 10 {
			_, err := bad.SearchCount(ctx, ModelPartner, nil, ReadOptions{})
			if !errors.Is(err, ErrAuthFailed) || ClassOf(err) != ClassAuth || strings.Contains(err.Error(), "wrong-key-value") {
				t.Fatalf("wrong key: %v", err)
			}
		}
		if n := e.Calls()["common.authenticate"]; n != 1 {
			t.Fatalf("wrong key tried %d times", n)
		}
		// The good client is not locked out by the bad one.
		if _, err := c.SearchCount(ctx, ModelPartner, nil, ReadOptions{}); err != nil {
			t.Fatal(err)
		}
		// Wrong database: no session either.
		wrongDB, _ := New(Config{URL: e.URL(), DB: "nope", Login: "sync@example.com", APIKey: emuKey})
		if _, err := wrongDB.UID(ctx); err == nil || Retryable(err) {
			t.Fatalf("wrong database: %v (must fail, not be retried)", err)
		}
	})
}

func TestIntegrationErrorClasses(t *testing.T) {
	forVersions(t, func(t *testing.T, v int) {
		e, c := startEmu(t, v)
		ctx := context.Background()
		pid := must[int64](t)(c.Create(ctx, ModelPartner, map[string]any{"name": "Temp", "email": "temp@example.com"}))
		if err := c.Unlink(ctx, ModelPartner, []int64{pid}); err != nil {
			t.Fatal(err)
		}
		check := func(name string, err error, want Class) {
			t.Helper()
			if ClassOf(err) != want {
				t.Fatalf("%s: class %v (%v), want %v", name, ClassOf(err), err, want)
			}
			if err != nil && strings.Contains(err.Error(), emuKey) {
				t.Fatalf("%s: key in error", name)
			}
		}
		check("missing", c.Write(ctx, ModelPartner, []int64{pid}, map[string]any{"name": "x"}), ClassMissing)
		_, err := c.Call(ctx, ModelPartner, "_compute_display_name", []any{[]int64{1}}, nil)
		check("private method", err, ClassAccess)
		_, err = c.SearchRead(ctx, "res.nothing", nil, []string{"name"}, ReadOptions{})
		check("unknown model", err, ClassValidation)
		_, err = c.SearchRead(ctx, ModelPartner, nil, []string{"no_such_field"}, ReadOptions{})
		check("unknown field", err, ClassServer)
		_, err = c.SearchRead(ctx, ModelPartner, Term("no_such_field", OpEq, 1), []string{"name"}, ReadOptions{})
		check("bad domain", err, ClassServer)
		_, err = c.SearchRead(ctx, ModelPartner, nil, []string{"name"}, ReadOptions{Order: "name; drop table"})
		check("bad order", err, ClassValidation)
		// A user error: confirming a cancelled order.
		oid := makeOrder(t, c, 3, 1)
		must[any](t)(c.Call(ctx, ModelSaleOrder, "action_cancel", []any{[]int64{oid}}, nil))
		_, err = c.Call(ctx, ModelSaleOrder, "action_confirm", []any{[]int64{oid}}, nil)
		check("confirm cancelled", err, ClassValidation)

		e.SetFaults(odooemu.Faults{OperationalError: 1})
		_, err = c.SearchCount(ctx, ModelPartner, nil, ReadOptions{})
		check("serialization failure", err, ClassTransient)
		e.SetFaults(odooemu.Faults{BadGateway: 1})
		_, err = c.SearchCount(ctx, ModelPartner, nil, ReadOptions{})
		var te *TransportError
		if !errors.As(err, &te) || te.StatusCode != 502 {
			t.Fatalf("502: %v", err)
		}
		e.SetFaults(odooemu.Faults{Unavailable: 1})
		_, err = c.SearchCount(ctx, ModelPartner, nil, ReadOptions{})
		check("503", err, ClassTransient)
		e.SetFaults(odooemu.Faults{})

		e.SetLatency(2 * time.Second)
		slow, _ := New(Config{URL: e.URL(), DB: "shop", Login: "sync@example.com", APIKey: emuKey, Timeout: 200 * time.Millisecond})
		_, err = slow.UID(ctx)
		if !errors.Is(err, context.DeadlineExceeded) || !Retryable(err) {
			t.Fatalf("timeout: %v", err)
		}
		cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		_, err = c.SearchCount(cctx, ModelPartner, nil, ReadOptions{})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("caller deadline: %v", err)
		}
		e.SetLatency(0)
	})
}

// makeOrder creates a draft order with a section line and qty product lines.
func makeOrder(t *testing.T, c *Client, partnerID int64, qty int) int64 {
	t.Helper()
	ctx := context.Background()
	products := must[[]int64](t)(c.Search(ctx, ModelProduct, Term("default_code", OpNe, false), ReadOptions{Limit: 2, Order: "id asc"}))
	lines := []any{[]any{int64(0), int64(0), map[string]any{"display_type": "line_section", "name": "Section"}}}
	for i := range qty {
		lines = append(lines, []any{int64(0), int64(0), map[string]any{"product_id": products[i%len(products)], "product_uom_qty": 2.0, "price_unit": 10.0}})
	}
	return must[int64](t)(c.Create(ctx, ModelSaleOrder, map[string]any{"partner_id": partnerID, "order_line": lines}))
}

func TestIntegrationReaders(t *testing.T) {
	forVersions(t, func(t *testing.T, v int) {
		e, c := startEmu(t, v)
		ctx := context.Background()
		email := fmt.Sprintf("shopper.%d@example.com", v)
		tag := must[int64](t)(c.Create(ctx, ModelCategory, map[string]any{"name": "VIP"}))
		guest := must[int64](t)(c.Create(ctx, ModelPartner, map[string]any{"name": "Guest", "email": "Shopper <" + strings.ToUpper(email) + ">", "company_id": int64(1)}))
		account := must[int64](t)(c.Create(ctx, ModelPartner, map[string]any{"name": "Account", "email": email, "company_id": false,
			"category_id": []any{[]any{int64(6), int64(0), []any{tag}}}}))
		archived := must[int64](t)(c.Create(ctx, ModelPartner, map[string]any{"name": "Old", "email": email, "company_id": int64(2)}))
		noErr(t, c.Write(ctx, ModelPartner, []int64{archived}, map[string]any{"active": false}))
		must[int64](t)(c.Create(ctx, ModelPartner, map[string]any{"name": "Lookalike", "email": "x" + email}))

		partners := must[[]Partner](t)(c.PartnersByKeys(ctx, []string{email}))
		got := []int64{}
		for _, p := range partners {
			got = append(got, p.ID)
		}
		slices.Sort(got)
		if !slices.Equal(got, []int64{guest, account, archived}) {
			t.Fatalf("PartnersByKeys %v, want %v", got, []int64{guest, account, archived})
		}
		byID := must[[]Partner](t)(c.PartnersByIDs(ctx, []int64{account, archived, 999999}))
		if len(byID) != 2 || byID[0].ID != account || !slices.Equal(byID[0].CategoryIDs, []int64{tag}) || byID[1].Active || byID[0].WriteDate.IsZero() {
			t.Fatalf("PartnersByIDs %+v", byID)
		}
		if byID[0].EmailNormalized != email {
			t.Fatalf("email_normalized %q", byID[0].EmailNormalized)
		}

		// Orders: one confirmed with auto-lock, one plain confirmed, one cancelled, one draft.
		o1 := makeOrder(t, c, guest, 2)
		o2 := makeOrder(t, c, account, 1)
		o3 := makeOrder(t, c, account, 1)
		o4 := makeOrder(t, c, guest, 1)
		must[any](t)(c.Call(ctx, ModelSaleOrder, "action_confirm", []any{[]int64{o1}}, nil))
		e.SetAutoDone(true)
		must[any](t)(c.Call(ctx, ModelSaleOrder, "action_confirm", []any{[]int64{o2}}, nil))
		e.SetAutoDone(false)
		must[any](t)(c.Call(ctx, ModelSaleOrder, "action_cancel", []any{[]int64{o3}}, nil))

		orders := must[[]SaleOrder](t)(c.OrdersByPartners(ctx, []int64{guest, account}))
		if len(orders) != 4 {
			t.Fatalf("OrdersByPartners %d", len(orders))
		}
		state := map[int64]SaleOrder{}
		for _, o := range orders {
			state[o.ID] = o
		}
		if o := state[o1]; o.State != StateSale || !o.Confirmed() || o.Locked || len(o.Lines) != 2 || o.Lines[0].SKU == "" || o.AmountTotal <= 0 || o.Currency == "" || o.DateOrder.IsZero() {
			t.Fatalf("o1 %+v", o)
		}
		if o := state[o2]; o.State != StateDone || !o.Locked || !o.Confirmed() {
			t.Fatalf("o2 (auto done) state %q raw %q locked %v", o.State, o.RawState, o.Locked)
		}
		if v == 16 && state[o2].RawState != "done" || v >= 17 && state[o2].RawState != "sale" {
			t.Fatalf("raw state %q on %d", state[o2].RawState, v)
		}
		if !state[o3].Cancelled() || state[o4].State != StateDraft {
			t.Fatalf("o3 %q o4 %q", state[o3].State, state[o4].State)
		}
		ver := must[Version](t)(c.Version(ctx))
		confirmed := must[[]SaleOrder](t)(c.OrdersByPartners(ctx, []int64{guest, account}, ver.ConfirmedStates()...))
		if len(confirmed) != 2 {
			t.Fatalf("confirmed %d", len(confirmed))
		}
		byIDs := must[[]SaleOrder](t)(c.OrdersByIDs(ctx, []int64{o2, o1}))
		if len(byIDs) != 2 || byIDs[0].ID != o2 || len(byIDs[1].Lines) != 2 {
			t.Fatalf("OrdersByIDs %+v", byIDs)
		}
		for _, l := range byIDs[1].Lines {
			if l.DisplayType != "" || !l.ProductID.Valid() || l.Qty != 2 || l.PriceUnit != 10 || l.PriceSubtotal != 20 {
				t.Fatalf("line %+v", l)
			}
		}

		cats := must[[]Category](t)(c.Categories(ctx, []int64{tag}))
		all := must[[]Category](t)(c.AllCategories(ctx))
		if len(cats) != 1 || cats[0].Name != "VIP" || len(all) < 1 {
			t.Fatalf("categories %+v / %d", cats, len(all))
		}
		comps := must[[]Company](t)(c.Companies(ctx))
		webs := must[[]Website](t)(c.Websites(ctx))
		if len(comps) != 2 || comps[0].Currency == "" || len(webs) != 2 || !webs[1].CompanyID.Valid() {
			t.Fatalf("companies %+v websites %+v", comps, webs)
		}

		// Merge the guest into the account partner: the guest vanishes, its
		// orders move without their write_date, a note appears.
		before := must[[]SaleOrder](t)(c.OrdersByIDs(ctx, []int64{o1}))[0].WriteDate
		wiz := must[int64](t)(c.Create(ctx, "base.partner.merge.automatic.wizard", map[string]any{
			"partner_ids": []any{[]any{int64(6), int64(0), []any{guest, account}}}, "dst_partner_id": account}))
		must[any](t)(c.Call(ctx, "base.partner.merge.automatic.wizard", "action_merge", []any{[]int64{wiz}}, nil))
		notes := must[[]MergeNote](t)(c.MergeNotesSince(ctx, 0, 10))
		if len(notes) == 0 {
			t.Fatal("no merge note")
		}
		last := notes[len(notes)-1]
		if last.DestinationID != account || !slices.Equal(last.SourceIDs, []int64{guest}) || last.Date.IsZero() {
			t.Fatalf("merge note %+v", last)
		}
		if more := must[[]MergeNote](t)(c.MergeNotesSince(ctx, last.MessageID, 10)); len(more) != 0 {
			t.Fatalf("notes after cursor %+v", more)
		}
		if ex := must[[]int64](t)(c.ExistingIDs(ctx, ModelPartner, []int64{guest, account, archived})); !slices.Equal(ex, []int64{account, archived}) {
			t.Fatalf("ExistingIDs %v", ex)
		}
		moved := must[[]SaleOrder](t)(c.OrdersByIDs(ctx, []int64{o1}))[0]
		if moved.PartnerID.ID != account || !moved.WriteDate.Equal(before) {
			t.Fatalf("merged order partner %d write_date %v (was %v)", moved.PartnerID.ID, moved.WriteDate, before)
		}

		// Full scans see every record, archived included.
		n := 0
		if err := c.ScanPartners(ctx, 7, func(page []Partner) error { n += len(page); return nil }); err != nil {
			t.Fatal(err)
		}
		if n != e.RecordCount(ModelPartner) {
			t.Fatalf("ScanPartners %d, emulator has %d", n, e.RecordCount(ModelPartner))
		}
		n = 0
		if err := c.ScanOrders(ctx, 5, func(page []SaleOrder) error { n += len(page); return nil }); err != nil {
			t.Fatal(err)
		}
		if n != e.RecordCount(ModelSaleOrder) {
			t.Fatalf("ScanOrders %d, emulator has %d", n, e.RecordCount(ModelSaleOrder))
		}
		count := must[int64](t)(c.SearchCount(ctx, ModelPartner, nil, ReadOptions{Context: map[string]any{"active_test": false}}))
		if int(count) != e.RecordCount(ModelPartner) {
			t.Fatalf("search_count %d", count)
		}
		fields := must[map[string]FieldInfo](t)(c.FieldsGet(ctx, ModelSaleOrder))
		if _, ok := fields["locked"]; ok != (v >= 17) {
			t.Fatalf("locked field present=%v on %d", ok, v)
		}
		if fields["partner_id"].Relation != ModelPartner || fields["partner_id"].Type != "many2one" {
			t.Fatalf("partner_id %+v", fields["partner_id"])
		}
	})
}

// The incremental reader under a same-second burst of 1000 writes (in an
// order unrelated to ids) and a late commit, on every version.
func TestIntegrationChangesBurstAndLateCommit(t *testing.T) {
	forVersions(t, func(t *testing.T, v int) {
		e, c := startEmu(t, v)
		ctx := context.Background()
		opts := ChangeOptions{PageSize: 100, Overlap: time.Minute, Fields: []string{"name", "email"}}
		poll := func(cur *Cursor) (map[int64]int, int) {
			t.Helper()
			got := map[int64]int{}
			late := 0
			for i := 0; ; i++ {
				if i > 1000 {
					t.Fatal("no progress")
				}
				page := must[ChangePage](t)(c.Changes(ctx, ModelPartner, *cur, opts))
				b := must[[]byte](t)(json.Marshal(page.Next))
				if len(b) > 16<<10 {
					t.Fatalf("cursor %d bytes", len(b))
				}
				*cur = Cursor{}
				if err := json.Unmarshal(b, cur); err != nil {
					t.Fatal(err)
				}
				for _, r := range page.Records {
					got[r.ID()]++
				}
				late += page.Late
				if !page.More {
					return got, late
				}
			}
		}
		var cur Cursor
		initial, _ := poll(&cur)
		if len(initial) != e.RecordCount(ModelPartner) {
			t.Fatalf("first poll %d of %d partners", len(initial), e.RecordCount(ModelPartner))
		}
		if again, _ := poll(&cur); len(again) != 0 {
			t.Fatalf("idle poll emitted %d", len(again))
		}

		// 1000 partners, then 1000 writes inside one second, newest id first,
		// each its own transaction a microsecond apart.
		vals := make([]map[string]any, 1000)
		for i := range vals {
			vals[i] = map[string]any{"name": fmt.Sprintf("Burst %d", i), "email": fmt.Sprintf("burst%d@example.com", i)}
		}
		ids := must[[]int64](t)(c.CreateMany(ctx, ModelPartner, vals))
		created, _ := poll(&cur)
		if len(created) != 1000 {
			t.Fatalf("created: %d emitted", len(created))
		}
		base := e.Now().Add(time.Minute).Truncate(time.Second)
		e.SetNow(base)
		for i := len(ids) - 1; i >= 0; i-- {
			noErr(t, c.Write(ctx, ModelPartner, []int64{ids[i]}, map[string]any{"name": fmt.Sprintf("Burst %d v2", i)}))
			e.Advance(time.Microsecond)
		}
		e.ResetCalls()
		burst, _ := poll(&cur)
		if n := e.CallCount(ModelPartner, "search_read"); n > 40 {
			t.Fatalf("%d search_read calls for a 1000-row burst in pages of 100", n)
		}
		if len(burst) != 1000 {
			t.Fatalf("burst: %d distinct emitted", len(burst))
		}
		for id, n := range burst {
			if n != 1 {
				t.Fatalf("partner %d emitted %d times", id, n)
			}
		}
		if !cur.Since.Equal(base) {
			t.Fatalf("cursor at %v, want %v", cur.Since, base)
		}

		// A transaction starts, writes, and commits only after later writes
		// were polled: its write_date is older than the cursor.
		e.Advance(2 * time.Second)
		tx := e.Begin()
		if err := tx.Write(ModelPartner, []int64{ids[0]}, map[string]any{"name": "late"}); err != nil {
			t.Fatal(err)
		}
		e.Advance(3 * time.Second)
		noErr(t, c.Write(ctx, ModelPartner, []int64{ids[1]}, map[string]any{"name": "on time"}))
		got, _ := poll(&cur)
		if len(got) != 1 || got[ids[1]] != 1 {
			t.Fatalf("before commit: %v", got)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		got, late := poll(&cur)
		if len(got) != 1 || got[ids[0]] != 1 || late != 1 {
			t.Fatalf("late commit: %v (late %d)", got, late)
		}
		if again, _ := poll(&cur); len(again) != 0 {
			t.Fatalf("idle after late commit: %v", again)
		}
		// Many writes in one transaction (one write_date): all arrive.
		tx = e.Begin()
		for _, id := range ids[:300] {
			if err := tx.Write(ModelPartner, []int64{id}, map[string]any{"name": "bulk"}); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if bulk, _ := poll(&cur); len(bulk) != 300 {
			t.Fatalf("bulk transaction: %d emitted", len(bulk))
		}
	})
}

// Confirmed orders through the incremental reader with a state domain.
func TestIntegrationChangesConfirmedOrders(t *testing.T) {
	forVersions(t, func(t *testing.T, v int) {
		_, c := startEmu(t, v)
		ctx := context.Background()
		ver := must[Version](t)(c.Version(ctx))
		opts := ChangeOptions{Domain: Term("state", OpIn, ver.ConfirmedStates())}
		cur := must[Cursor](t)(c.StartCursor(ctx, ModelSaleOrder, nil))
		page := must[ChangePage](t)(c.Changes(ctx, ModelSaleOrder, cur, opts))
		cur = page.Next
		partner := must[int64](t)(c.Create(ctx, ModelPartner, map[string]any{"name": "Buyer", "email": "buyer@example.com"}))
		oid := makeOrder(t, c, partner, 1)
		page = must[ChangePage](t)(c.Changes(ctx, ModelSaleOrder, cur, opts))
		for _, r := range page.Records {
			if r.ID() == oid {
				t.Fatal("draft order emitted")
			}
		}
		cur = page.Next
		must[any](t)(c.Call(ctx, ModelSaleOrder, "action_confirm", []any{[]int64{oid}}, nil))
		page = must[ChangePage](t)(c.Changes(ctx, ModelSaleOrder, cur, opts))
		var found *SaleOrder
		for _, r := range page.Records {
			if r.ID() == oid {
				o := OrderFromRecord(r)
				found = &o
			}
		}
		if found == nil || !found.Confirmed() || found.AmountTotal <= 0 || found.PartnerID.ID != partner {
			t.Fatalf("confirmed order not emitted: %+v", found)
		}
	})
}
