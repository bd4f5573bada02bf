package activities

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/odoo"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/odoo/odooemu"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/identity"
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
	var page []odoo.Partner
	t0 := time.Now()
	err = oc.ScanPartners(ctx, 3000, func(p []odoo.Partner) error { page = p; return odoo.ErrStopScan })
	require.NoError(t, err)
	t.Logf("scan 3000: %v", time.Since(t0))
	keys := map[string]bool{}
	var ks []string
	for _, p := range page {
		if k, _ := p.Key(); k != "" && !keys[k] {
			keys[k] = true
			ks = append(ks, k)
		}
	}
	t0 = time.Now()
	ps, err := oc.PartnersByKeys(ctx, ks[:100])
	require.NoError(t, err)
	t.Logf("PartnersByKeys 100: %v (%d)", time.Since(t0), len(ps))
	t0 = time.Now()
	recs, err := oc.SearchRead(ctx, "res.partner", odoo.Term("email_normalized", "in", ks), []string{"id", "email", "email_normalized"}, odoo.ReadOptions{Context: map[string]any{"active_test": false}})
	require.NoError(t, err)
	t.Logf("email_normalized in %d keys: %v (%d)", len(ks), time.Since(t0), len(recs))
	var ids []int64
	for _, p := range page {
		ids = append(ids, p.ID)
	}
	t0 = time.Now()
	os, err := oc.OrdersByPartners(ctx, ids)
	require.NoError(t, err)
	t.Logf("OrdersByPartners %d: %v (%d)", len(ids), time.Since(t0), len(os))
	_ = identity.Key
}
