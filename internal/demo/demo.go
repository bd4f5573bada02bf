// Package demo runs the service against both emulators in-process: a seeded
// Odoo, a Dotdigital account, simulated shop traffic and a live one-line
// status, so `go run ./worker --demo` shows the whole flow on one machine.
package demo

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/odoo"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/dotdigital/ddemu"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/odoo/odooemu"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/app"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/backfill"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/config"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/shop"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/workflows"
)

// Settings of the demo (environment variables, documented in the README).
const (
	envCustomers = "DEMO_CUSTOMERS"     // seeded customers (default 200)
	envRate      = "DEMO_ACTIONS_PER_S" // shop actions per second (default 2)
)

// Demo holds the emulators of a demo run.
type Demo struct {
	OdooURL       string
	DotdigitalURL string
	odoo          *odooemu.Emulator
	dd            *ddemu.Emulator
	logger        *slog.Logger
	wg            sync.WaitGroup
	cancel        context.CancelFunc
}

// Start starts both emulators and points cfg at them.
func Start(ctx context.Context, cfg *config.Config, logger *slog.Logger) (*Demo, error) {
	customers := envInt(envCustomers, 200)
	d := &Demo{logger: logger}
	var err error
	if cfg.Sync.WebhookSecret == "" {
		cfg.Sync.WebhookSecret = "demo-webhook-token"
	}
	// Odoo 17 automation webhooks post to the worker's receiver.
	webhook := "http://" + cfg.HTTPAddr + "/webhooks/odoo?token=" + cfg.Sync.WebhookSecret
	d.odoo, err = odooemu.New(odooemu.Options{DB: "odoo", Login: "admin", Password: "admin", Version: 17, SeedCustomers: customers, Seed: 42,
		WebhookURL: webhook, Logger: logger.With("component", "odoo-emulator")})
	if err != nil {
		return nil, fmt.Errorf("demo: odoo emulator: %w", err)
	}
	if err := d.odoo.Start("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("demo: odoo emulator: %w", err)
	}
	d.dd, err = ddemu.New(ddemu.Options{APIUser: "demo@apiconnector.com", APIPassword: "demo",
		Limits: map[ddemu.Tier]int{ddemu.TierLow: 600, ddemu.TierMedium: 3000, ddemu.TierHigh: 6000},
		Logger: logger.With("component", "dotdigital-emulator")})
	if err != nil {
		d.Stop()
		return nil, fmt.Errorf("demo: dotdigital emulator: %w", err)
	}
	if err := d.dd.Start("127.0.0.1:0"); err != nil {
		d.Stop()
		return nil, fmt.Errorf("demo: dotdigital emulator: %w", err)
	}
	d.OdooURL, d.DotdigitalURL = d.odoo.URL(), d.dd.URL()
	cfg.Odoo.URL, cfg.Odoo.DB, cfg.Odoo.Login, cfg.Odoo.APIKey = d.OdooURL, "odoo", "admin", "admin"
	cfg.Dotdigital.APIUser, cfg.Dotdigital.APIPassword = "demo@apiconnector.com", "demo"
	// Region discovery runs against the emulator's account-info, as against r1.
	cfg.Dotdigital.DiscoveryURL = d.DotdigitalURL
	return d, nil
}

// Run starts the shop traffic and the status line; it returns at once.
func (d *Demo) Run(ctx context.Context, a *app.App) {
	ctx, d.cancel = context.WithCancel(ctx)
	client, err := odoo.New(odoo.Config{URL: d.OdooURL, DB: "odoo", Login: "admin", APIKey: "admin"})
	if err != nil {
		d.logger.Error("demo shop client", "error", err)
		return
	}
	s, err := shop.New(ctx, client, time.Now().UnixNano(), d.logger.With("component", "shop"))
	if err != nil {
		d.logger.Error("demo shop", "error", err)
		return
	}
	rate := float64(envInt(envRate, 2))
	d.wg.Add(2)
	go func() { defer d.wg.Done(); s.Run(ctx, rate) }()
	go func() { defer d.wg.Done(); d.statusLine(ctx, a, s) }()
}

// statusLine prints one line every two seconds: changes seen, synced,
// backlog, lag p95, and Dotdigital calls.
func (d *Demo) statusLine(ctx context.Context, a *app.App, s *shop.Shop) {
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fmt.Fprintln(os.Stdout)
			return
		case <-t.C:
		}
		var poller workflows.PollerStatus
		if v, err := a.Client.QueryWorkflow(ctx, names.PollerWorkflowID, "", string(names.QueryProgress)); err == nil {
			_ = v.Get(&poller)
		}
		backlog, orders := 0, 0
		for i := 0; i < a.Settings.LaneShards; i++ {
			var ls workflows.LaneStatus
			if v, err := a.Client.QueryWorkflow(ctx, names.LaneWorkflowID(i), "", string(names.QueryLane)); err == nil && v.Get(&ls) == nil {
				for c, n := range ls.PendingByClass {
					backlog += n
					if c == "order" {
						orders += n
					}
				}
				backlog += ls.SinglesInFlight
			}
		}
		load := ""
		if v, err := a.Client.QueryWorkflow(ctx, names.BackfillWorkflowID, "", string(names.QueryProgress)); err == nil {
			var bp backfill.Progress
			if v.Get(&bp) == nil && !bp.Done {
				load = fmt.Sprintf("initial load %.0f%% | ", bp.Percent())
			}
		}
		synced, blocked := a.Progress.Counts()
		st := d.dd.Stats()
		actions := 0
		for _, n := range s.Stats() {
			actions += n
		}
		fmt.Fprintf(os.Stdout, "\r%sshop actions %d | changes seen %d | synced %d | blocked %d | backlog %d (orders %d) | lag p95 orders %s, profiles %s | Dotdigital calls %d (429: %d)   ",
			load, actions, poller.Stats.Partners+poller.Stats.Orders+poller.Stats.Categories, synced, blocked, backlog, orders,
			a.Progress.Percentile("order", 0.95).Round(time.Millisecond), a.Progress.Percentile("profile", 0.95).Round(time.Millisecond), st.Calls, st.Status429)
	}
}

// Stop stops the traffic and both emulators.
func (d *Demo) Stop() {
	if d.cancel != nil {
		d.cancel()
	}
	d.wg.Wait()
	if d.odoo != nil {
		_ = d.odoo.Close()
	}
	if d.dd != nil {
		_ = d.dd.Close()
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v >= 0 {
		return v
	}
	return def
}
