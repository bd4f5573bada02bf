package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/dotdigital/ddemu"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/odoo/odooemu"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/app"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/backfill"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/config"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
)

// backfillService is a running service (embedded Temporal, workers, no
// singletons) over both emulators; the starter talks to it through its env.
func backfillService(t *testing.T, customers int, importDelay time.Duration) *app.App {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	oe, err := odooemu.New(odooemu.Options{DB: "odoo", Login: "admin", Password: "admin", SeedCustomers: customers, Seed: 11, Logger: quiet})
	require.NoError(t, err)
	require.NoError(t, oe.Start("127.0.0.1:0"))
	t.Cleanup(func() { _ = oe.Close() })
	de, err := ddemu.New(ddemu.Options{ImportDelay: importDelay, Logger: quiet})
	require.NoError(t, err)
	require.NoError(t, de.Start("127.0.0.1:0"))
	t.Cleanup(func() { _ = de.Close() })
	vars := map[string]string{
		"ODOO_URL": oe.URL(), "ODOO_DB": "odoo", "ODOO_LOGIN": "admin", "ODOO_API_KEY": "admin",
		"DOTDIGITAL_API_USER": "demo@apiconnector.com", "DOTDIGITAL_API_PASSWORD": "demo", "DOTDIGITAL_ENDPOINT": de.URL(),
		"SYNC_DATA_DIR": "", "SYNC_TEMPORAL_PORT": "0", "SYNC_UI_PORT": "-1", "SYNC_HTTP_ADDR": "127.0.0.1:0",
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
	return a
}

func starter(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return out.String() + errOut.String(), code
}

func TestBackfillCommandStartsFinishesAndDoesNotRepeat(t *testing.T) {
	backfillService(t, 200, 10*time.Millisecond)

	out, code := starter(t, "backfill", "--wait", "--json", "--page-partners", "100")
	require.Equal(t, 0, code, out)
	var res backfill.Result
	require.NoError(t, json.Unmarshal([]byte(out), &res), out)
	require.True(t, res.Progress.Done)
	require.Greater(t, res.Progress.Customers, int64(200))
	require.Greater(t, res.Progress.Pages, 2)

	out, code = starter(t, "backfill")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "the backfill already finished; run it again with --restart")

	out, code = starter(t, "backfill", "--restart", "--wait")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "backfill restarted from the first partner")
	require.Contains(t, out, "backfill finished: 100.0%")
	require.Contains(t, out, "customers sent", "plain lines, not a terminal bar")

	out, code = starter(t, "backfill", "--bogus")
	require.Equal(t, 2, code, out)
}

func TestBackfillCommandAttachesAndResumesATerminatedRun(t *testing.T) {
	a := backfillService(t, 600, 300*time.Millisecond) // slow imports: time to act mid-way
	ctx := context.Background()

	out, code := starter(t, "backfill", "--page-partners", "60", "--parallel", "1")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "backfill started from the first partner")

	out, code = starter(t, "backfill")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "attached to the running backfill")

	var p backfill.Progress
	require.Eventually(t, func() bool {
		v, err := a.Client.QueryWorkflow(ctx, names.BackfillWorkflowID, "", string(names.QueryProgress))
		return err == nil && v.Get(&p) == nil && p.Pages >= 3
	}, 60*time.Second, 50*time.Millisecond)
	require.NoError(t, a.Client.TerminateWorkflow(ctx, names.BackfillWorkflowID, "", "ops stopped it"))

	out, code = starter(t, "backfill", "--wait", "--json", "--page-partners", "60")
	require.Equal(t, 0, code, out)
	var res backfill.Result
	require.NoError(t, json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &res), out)
	require.True(t, res.Progress.Done)
	require.Equal(t, 2, res.Progress.Runs, "the second run carried the first one's checkpoint")
	total := res.Progress.TotalPartners
	require.Equal(t, total, res.Progress.Partners, "every partner counted once across both runs")
	require.GreaterOrEqual(t, res.Progress.Pages, int(total/60))
	require.LessOrEqual(t, res.Progress.Pages, int(total/60)+1)
}
