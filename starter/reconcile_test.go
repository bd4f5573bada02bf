package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/dotdigital/ddemu"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/odoo/odooemu"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/app"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/config"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/reconcile"
)

// reconcileService is a running service (embedded Temporal, workers, no
// singletons) over a seeded Odoo and an empty Dotdigital, with its reports
// in a directory of the test.
func reconcileService(t *testing.T, customers int) (reports string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	oe, err := odooemu.New(odooemu.Options{DB: "odoo", Login: "admin", Password: "admin", SeedCustomers: customers, Seed: 5, Logger: quiet})
	require.NoError(t, err)
	require.NoError(t, oe.Start("127.0.0.1:0"))
	t.Cleanup(func() { _ = oe.Close() })
	de, err := ddemu.New(ddemu.Options{ImportDelay: 10 * time.Millisecond, Logger: quiet})
	require.NoError(t, err)
	require.NoError(t, de.Start("127.0.0.1:0"))
	t.Cleanup(func() { _ = de.Close() })
	reports = t.TempDir()
	vars := map[string]string{
		"ODOO_URL": oe.URL(), "ODOO_DB": "odoo", "ODOO_LOGIN": "admin", "ODOO_API_KEY": "admin",
		"DOTDIGITAL_API_USER": "demo@apiconnector.com", "DOTDIGITAL_API_PASSWORD": "demo", "DOTDIGITAL_ENDPOINT": de.URL(),
		"SYNC_DATA_DIR": "", "SYNC_TEMPORAL_PORT": "0", "SYNC_UI_PORT": "-1", "SYNC_HTTP_ADDR": "127.0.0.1:0",
		"SYNC_REPORT_DIR": reports,
	}
	cfg, err := config.Load(nil, func(k string) string { return vars[k] })
	require.NoError(t, err)
	cfg.Temporal.DataDir = ""
	a, err := app.Start(ctx, cfg, quiet, app.Options{SkipSingletons: true})
	require.NoError(t, err)
	t.Cleanup(func() { a.Stop(context.Background()) })
	for k, v := range vars {
		t.Setenv(k, v)
	}
	t.Setenv("TEMPORAL_ADDRESS", a.TemporalAddress)
	t.Setenv("SYNC_ID_SECRET", app.EmbeddedIDSecret)
	return reports
}

func TestReconcileCommand(t *testing.T) {
	reports := reconcileService(t, 30)

	// Dotdigital is empty: every customer is missing (exit 3), shown for people...
	out, code := starter(t, "reconcile")
	require.Equal(t, exitDifferences, code, out)
	for _, want := range []string{"missing_in_dotdigital", "first 20 shown", "Healing: off;", "run with --heal", "Full report", reports, "Workflow: reconcile-manual-"} {
		require.Contains(t, out, want)
	}

	// ... and for scripts.
	out, code = starter(t, "reconcile", "--json")
	require.Equal(t, exitDifferences, code, out)
	var res reconcileJSON
	require.NoError(t, json.Unmarshal([]byte(out), &res), out)
	require.False(t, res.Consistent)
	require.True(t, strings.HasPrefix(res.WorkflowID, "reconcile-manual-"))
	require.Greater(t, res.Report.Counts[reconcile.KindMissing], 20)
	require.Equal(t, res.Report.Counts[reconcile.KindMissing], res.Mismatches)
	require.Len(t, keysOfKind(res.Report, reconcile.KindMissing), 20, "the summary keeps 20 items per kind")
	raw, err := os.ReadFile(res.Files.JSON)
	require.NoError(t, err)
	var full reconcile.Report
	require.NoError(t, json.Unmarshal(raw, &full))
	require.Len(t, keysOfKind(full, reconcile.KindMissing), res.Report.Counts[reconcile.KindMissing], "the file has every item")

	// After a backfill, Odoo and Dotdigital agree: exit 0.
	out, code = starter(t, "backfill", "--wait", "--json")
	require.Equal(t, 0, code, out)
	out, code = starter(t, "reconcile", "--json")
	require.Equal(t, 0, code, out)
	require.NoError(t, json.Unmarshal([]byte(out), &res), out)
	require.True(t, res.Consistent, out)

	out, code = starter(t, "reconcile", "--no-wait", "--json")
	require.Equal(t, 0, code, out)
	var started map[string]string
	require.NoError(t, json.Unmarshal([]byte(out), &started), out)
	require.True(t, strings.HasPrefix(started["workflowId"], "reconcile-manual-"))

	out, code = starter(t, "reconcile", "now")
	require.Equal(t, 2, code, out)
	require.Contains(t, out, "usage: starter reconcile")
}

func keysOfKind(r reconcile.Report, k reconcile.Kind) []string {
	var out []string
	for _, it := range r.Items {
		if it.Kind == k {
			out = append(out, it.Key)
		}
	}
	return out
}
