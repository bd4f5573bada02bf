package activities

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/odoo"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/odoo/odooemu"
)

func TestProbeOdooCosts(t *testing.T) {
	if os.Getenv("PROBE") == "" {
		t.Skip()
	}
	oemu, err := odooemu.New(odooemu.Options{SeedCustomers: 100000, Seed: 1})
	require.NoError(t, err)
	require.NoError(t, oemu.Start("127.0.0.1:0"))
	defer oemu.Close()
	oc, err := odoo.New(odoo.Config{URL: oemu.URL(), DB: "odoo", Login: "admin", APIKey: "admin"})
	require.NoError(t, err)
	ctx := context.Background()
	arch := map[string]any{"active_test": false}
	for round := 0; round < 2; round++ {
		t0 := time.Now()
		ids, err := oc.Search(ctx, "res.partner", odoo.Term("id", ">", 20000), odoo.ReadOptions{Limit: 3000, Order: "id asc", Context: arch})
		require.NoError(t, err)
		t.Logf("bounds ids 3000: %v", time.Since(t0))
		var page []odoo.Partner
		t0 = time.Now()
		err = oc.ScanPartnersAfter(ctx, 20000, 3000, func(p []odoo.Partner) error { page = p; return odoo.ErrStopScan })
		require.NoError(t, err)
		t.Logf("scan 3000: %v", time.Since(t0))
		seen := map[string]bool{}
		var ks []string
		for _, p := range page {
			if k, _ := p.Key(); k != "" && !seen[k] {
				seen[k] = true
				ks = append(ks, k)
			}
		}
		t0 = time.Now()
		more, err := oc.Search(ctx, "res.partner", odoo.Term("email_normalized", "in", ks), odoo.ReadOptions{Context: arch})
		require.NoError(t, err)
		t.Logf("ids email_normalized in %d keys: %v (%d)", len(ks), time.Since(t0), len(more))
		t0 = time.Now()
		irr, err := oc.SearchRead(ctx, "res.partner", odoo.And(odoo.Term("email", "!=", false), odoo.Or(odoo.Term("email_normalized", "=", false), odoo.Term("email", "ilike", ","), odoo.Term("email", "ilike", ";"))), []string{"id", "email", "email_normalized"}, odoo.ReadOptions{Context: arch})
		require.NoError(t, err)
		t.Logf("irregular: %v (%d)", time.Since(t0), len(irr))
		_ = ids
		var pids []int64
		for _, p := range page {
			pids = append(pids, p.ID)
		}
		t0 = time.Now()
		v, _ := oc.Version(ctx)
		orecs, err := oc.SearchRead(ctx, "sale.order", odoo.Term("partner_id", "in", pids), odoo.OrderFields(v), odoo.ReadOptions{})
		require.NoError(t, err)
		t.Logf("orders of %d partners: %v (%d)", len(pids), time.Since(t0), len(orecs))
		var oids []int64
		for _, r := range orecs {
			oids = append(oids, r.ID())
		}
		t0 = time.Now()
		lrecs, err := oc.SearchRead(ctx, "sale.order.line", odoo.Term("order_id", "in", oids), odoo.OrderLineFields(v), odoo.ReadOptions{})
		require.NoError(t, err)
		t.Logf("lines of %d orders: %v (%d)", len(oids), time.Since(t0), len(lrecs))
		var rids []int64
		for _, r := range orecs {
			if st := r.String("state"); st == "sale" || st == "done" || st == "cancel" {
				rids = append(rids, r.ID())
			}
		}
		t0 = time.Now()
		lrecs, err = oc.SearchRead(ctx, "sale.order.line", odoo.And(odoo.Term("order_id", "in", rids), odoo.Term("display_type", "=", false)), []string{"order_id", "product_id", "name", "product_uom_qty", "price_unit"}, odoo.ReadOptions{})
		require.NoError(t, err)
		t.Logf("narrow lines of %d orders: %v (%d)", len(rids), time.Since(t0), len(lrecs))
		t0 = time.Now()
		orecs, err = oc.SearchRead(ctx, "sale.order", odoo.Term("partner_id", "in", pids), []string{"name", "state", "locked", "date_order", "amount_untaxed", "amount_total", "currency_id", "partner_id", "company_id", "website_id", "write_date"}, odoo.ReadOptions{})
		require.NoError(t, err)
		t.Logf("narrow orders of %d partners: %v (%d)", len(pids), time.Since(t0), len(orecs))
		t0 = time.Now()
		prs, err := oc.SearchRead(ctx, "res.partner", odoo.Term("id", ">", 20000), []string{"name", "email", "email_normalized", "company_id", "website_id", "country_id", "lang", "category_id", "user_ids", "active", "write_date"}, odoo.ReadOptions{Limit: 3000, Order: "id asc", Context: arch})
		require.NoError(t, err)
		t.Logf("narrow partners: %v (%d)", time.Since(t0), len(prs))
	}
}
