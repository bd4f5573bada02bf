package odoo

import (
	"context"
	"errors"
	"slices"
	"sort"
	"testing"
	"time"
)

var partnerTestFields = []string{"name", "email", "email_normalized", "phone", "mobile", "is_company", "parent_id",
	"commercial_partner_id", "company_id", "website_id", "category_id", "user_ids", "active", "customer_rank",
	"lang", "country_id", "country_code", "type"}

func seedPartners(f *fakeOdoo) {
	f.model("res.partner", partnerTestFields...)
	at := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	p := func(id int64, email, norm string, active bool) {
		f.put("res.partner", id, at, map[string]any{"name": "P", "email": email, "email_normalized": norm, "active": active,
			"company_id": Many2One{1, "Shop BE"}, "category_id": []int64{3}, "customer_rank": int64(1), "country_code": "BE", "type": "contact"})
	}
	p(1, "jane@example.com", "jane@example.com", true)
	p(2, "Jane <JANE@example.com>", "jane@example.com", false) // archived guest
	p(3, "xjane@example.com", "xjane@example.com", true)       // ilike false positive
	p(4, "Jane Doe <jane@example.com>, other@example.com", "", true)
	p(5, "bob@example.com", "bob@example.com", true)
	p(6, "", "", true)
}

func TestPartnersByKeys(t *testing.T) {
	f := newFakeOdoo(t, 17)
	seedPartners(f)
	c := f.client(t)
	got, err := c.PartnersByKeys(context.Background(), []string{" JANE@example.com ", "nobody@example.com", "not-an-email"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, p := range got {
		ids = append(ids, p.ID)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	if !slices.Equal(ids, []int64{1, 2, 4}) {
		t.Fatalf("ids %v (want archived 2 and parsed 4, not 3)", ids)
	}
	for _, p := range got {
		if p.CompanyID != (Many2One{1, "Shop BE"}) || !slices.Equal(p.CategoryIDs, []int64{3}) || p.CustomerRank != 1 || p.CountryCode != "BE" {
			t.Fatalf("partner %+v", p)
		}
		if k, _ := p.Key(); k != "jane@example.com" {
			t.Fatalf("key %q", k)
		}
	}
	if got, err := c.PartnersByKeys(context.Background(), nil); err != nil || got != nil {
		t.Fatal("empty keys made a call")
	}
}

func TestPartnersByIDsAndExistingIDs(t *testing.T) {
	f := newFakeOdoo(t, 17)
	seedPartners(f)
	c := f.client(t, func(cfg *Config) { cfg.BatchSize = 2 })
	got, err := c.PartnersByIDs(context.Background(), []int64{1, 2, 99, 5, 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[1].ID != 2 || got[1].Active {
		t.Fatalf("partners %+v", got)
	}
	if f.count("res.partner.read") != 2 {
		t.Fatalf("read calls %d, want 2 (batches of 2)", f.count("res.partner.read"))
	}
	ex, err := c.ExistingIDs(context.Background(), "res.partner", []int64{5, 99, 2, 1})
	if err != nil || !slices.Equal(ex, []int64{5, 2, 1}) {
		t.Fatalf("existing %v %v (archived 2 must count)", ex, err)
	}
}

func TestScanPartnersPagesByID(t *testing.T) {
	f := newFakeOdoo(t, 17)
	seedPartners(f)
	c := f.client(t)
	var pages [][]int64
	err := c.ScanPartners(context.Background(), 2, func(page []Partner) error {
		var ids []int64
		for _, p := range page {
			ids = append(ids, p.ID)
		}
		pages = append(pages, ids)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]int64{{1, 2}, {3, 4}, {5, 6}}
	if len(pages) != 3 || !slices.Equal(pages[0], want[0]) || !slices.Equal(pages[2], want[2]) {
		t.Fatalf("pages %v", pages)
	}
	n := 0
	err = c.ScanPartnersAfter(context.Background(), 4, 1, func(page []Partner) error {
		n++
		if page[0].ID != 5 {
			t.Fatalf("resume at %d", page[0].ID)
		}
		return ErrStopScan
	})
	if err != nil || n != 1 {
		t.Fatalf("stop: %v %d", err, n)
	}
	boom := errors.New("boom")
	if err := c.ScanIDs(context.Background(), "res.partner", nil, 0, 4, func([]int64) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("callback error: %v", err)
	}
	var all []int64
	_ = c.ScanIDs(context.Background(), "res.partner", Term("active", OpEq, true), 0, 4, func(ids []int64) error { all = append(all, ids...); return nil })
	if !slices.Equal(all, []int64{1, 3, 4, 5, 6}) {
		t.Fatalf("ScanIDs %v", all)
	}
}

func seedOrders(f *fakeOdoo, major int) {
	f.model("sale.order", "name", "state", "date_order", "amount_untaxed", "amount_tax", "amount_total", "currency_id",
		"partner_id", "company_id", "website_id", "client_order_ref", "locked")
	f.model("sale.order.line", "order_id", "sequence", "product_id", "name", "product_uom_qty", "product_uom",
		"price_unit", "discount", "price_subtotal", "price_total", "display_type")
	f.model("product.product", "default_code")
	at := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	eur := Many2One{1, "EUR"}
	order := func(id, partner int64, state string, locked bool) {
		f.put("sale.order", id, at, map[string]any{"name": "S0000" + string(rune('0'+id)), "state": state, "locked": locked,
			"date_order": at, "amount_untaxed": 100.0, "amount_tax": 21.0, "amount_total": 121.0, "currency_id": eur,
			"partner_id": Many2One{partner, "P"}, "company_id": Many2One{1, "Shop"}, "website_id": Many2One{1, "web"}})
	}
	order(1, 1, "sale", false)
	if major == 16 {
		order(2, 2, "done", false)
	} else {
		order(2, 2, "sale", true)
	}
	order(3, 5, "cancel", false)
	order(4, 1, "draft", false)
	line := func(id, orderID, seq int64, product int64, display string) {
		v := map[string]any{"order_id": Many2One{orderID, "S"}, "sequence": seq, "name": "line", "product_uom_qty": 2.0,
			"price_unit": 50.0, "discount": 0.0, "price_subtotal": 100.0, "price_total": 121.0, "display_type": display}
		if product > 0 {
			v["product_id"] = Many2One{product, "Prod"}
		}
		f.put("sale.order.line", id, at, v)
	}
	line(10, 1, 1, 0, "line_section")
	line(11, 1, 2, 100, "")
	line(12, 1, 3, 101, "")
	line(13, 1, 4, 0, "line_note")
	line(20, 2, 1, 100, "")
	line(30, 3, 1, 101, "")
	f.put("product.product", 100, at, map[string]any{"default_code": "SKU-100"})
	f.put("product.product", 101, at, map[string]any{"default_code": false})
}

func TestOrdersByIDsWithLinesAndStates(t *testing.T) {
	for _, major := range []int{16, 17, 18} {
		f := newFakeOdoo(t, major)
		seedOrders(f, major)
		c := f.client(t)
		orders, err := c.OrdersByIDs(context.Background(), []int64{1, 2, 3, 404})
		if err != nil {
			t.Fatal(err)
		}
		if len(orders) != 3 {
			t.Fatalf("%d: orders %d", major, len(orders))
		}
		o1, o2, o3 := orders[0], orders[1], orders[2]
		if o1.State != StateSale || !o1.Confirmed() || o1.Locked || o1.Currency != "EUR" || o1.AmountTotal != 121 || o1.WebsiteID.ID != 1 {
			t.Fatalf("%d: order 1 %+v", major, o1)
		}
		if o2.State != StateDone || !o2.Locked || !o2.Confirmed() {
			t.Fatalf("%d: order 2 state %q raw %q locked %v", major, o2.State, o2.RawState, o2.Locked)
		}
		if o3.Confirmed() || !o3.Cancelled() {
			t.Fatalf("%d: order 3 %+v", major, o3)
		}
		if len(o1.Lines) != 2 || o1.Lines[0].ID != 11 || o1.Lines[0].SKU != "SKU-100" || o1.Lines[1].SKU != "" || o1.Lines[0].Qty != 2 {
			t.Fatalf("%d: lines %+v", major, o1.Lines)
		}
		if f.count("sale.order.line.search_read") != 1 || f.count("product.product.read") != 1 {
			t.Fatalf("%d: line calls %d, product calls %d", major, f.count("sale.order.line.search_read"), f.count("product.product.read"))
		}
	}
}

func TestOrdersByPartnersAndScan(t *testing.T) {
	f := newFakeOdoo(t, 17)
	seedOrders(f, 17)
	c := f.client(t)
	orders, err := c.OrdersByPartners(context.Background(), []int64{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(orders) != 3 || orders[0].ID != 1 || orders[2].ID != 4 {
		t.Fatalf("orders %+v", orders)
	}
	orders, err = c.OrdersByPartners(context.Background(), []int64{1, 2}, "sale", "cancel")
	if err != nil || len(orders) != 2 {
		t.Fatalf("filtered %+v %v", orders, err)
	}
	var seen []int64
	err = c.ScanOrders(context.Background(), 3, func(page []SaleOrder) error {
		for _, o := range page {
			seen = append(seen, o.ID)
			if o.ID == 3 && len(o.Lines) != 1 {
				t.Fatalf("scan lines %+v", o)
			}
		}
		return nil
	})
	if err != nil || !slices.Equal(seen, []int64{1, 2, 3, 4}) {
		t.Fatalf("scan %v %v", seen, err)
	}
}

func TestMasterData(t *testing.T) {
	f := newFakeOdoo(t, 17)
	f.model("res.partner.category", "name", "parent_id", "active")
	f.model("res.company", "name", "currency_id", "active")
	at := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	f.put("res.partner.category", 1, at, map[string]any{"name": "VIP", "display_name": "VIP"})
	f.put("res.partner.category", 2, at, map[string]any{"name": "Gold", "display_name": "VIP / Gold", "parent_id": Many2One{1, "VIP"}, "active": false})
	f.put("res.company", 1, at, map[string]any{"name": "Shop BE", "currency_id": Many2One{1, "EUR"}})
	c := f.client(t)
	ctx := context.Background()
	all, err := c.AllCategories(ctx)
	if err != nil || len(all) != 2 || all[1].DisplayName != "VIP / Gold" || all[1].ParentID.ID != 1 || all[1].Active {
		t.Fatalf("categories %+v %v", all, err)
	}
	some, err := c.Categories(ctx, []int64{2, 9})
	if err != nil || len(some) != 1 || some[0].Name != "Gold" {
		t.Fatalf("by id %+v %v", some, err)
	}
	comps, err := c.Companies(ctx)
	if err != nil || len(comps) != 1 || comps[0].Currency != "EUR" {
		t.Fatalf("companies %+v %v", comps, err)
	}
	// No website module: no websites, no error.
	for range 2 {
		webs, err := c.Websites(ctx)
		if err != nil || webs != nil {
			t.Fatalf("websites %+v %v", webs, err)
		}
	}
	if n := f.count("website.fields_get"); n != 1 {
		t.Fatalf("fields_get asked %d times for a missing model", n)
	}
	f.model("website", "name", "domain", "company_id")
	f.put("website", 1, at, map[string]any{"name": "Shop", "domain": "https://shop.example.com", "company_id": Many2One{1, "Shop BE"}})
	c2 := f.client(t)
	webs, err := c2.Websites(ctx)
	if err != nil || len(webs) != 1 || webs[0].CompanyID.ID != 1 || webs[0].Domain == "" {
		t.Fatalf("websites %+v %v", webs, err)
	}
}
