package main

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/dotdigital"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/odoo"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/dotdigital/ddemu"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/odoo/odooemu"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/app"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/config"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/devserver"
)

// rig is everything but the worker: both emulators and the Temporal server
// (SQLite file) in this process; the worker runs in a child process.
type rig struct {
	ctx     context.Context
	dir     string
	Odoo    *odooemu.Emulator
	DD      *ddemu.Emulator
	server  *devserver.Server
	Client  client.Client
	Cfg     *config.Config
	OC      *odoo.Client
	DDC     *dotdigital.Client
	ddCalls *countingTransport
	env     []string
	worker  *workerProc
	seeded  odooemu.SeedStats
	closers []func()
}

func startRig(ctx context.Context, e *env, name string, customers int) (*rig, error) {
	dir, err := os.MkdirTemp(e.dir, name+"-")
	if err != nil {
		return nil, err
	}
	r := &rig{ctx: ctx, dir: dir}
	ok := false
	defer func() {
		if !ok {
			r.close()
		}
	}()
	start := time.Now()
	clock := &pastClock{}
	if r.Odoo, err = odooemu.New(odooemu.Options{DB: odooDB, Login: odooLogin, Password: odooPassword, Version: e.opts.odooVersion,
		SeedCustomers: customers, Seed: e.opts.seed, Now: clock.now, Logger: e.logger}); err != nil {
		return nil, err
	}
	clock.present()
	if err := markNewest(ctx, r.Odoo, e.opts.freshTags); err != nil {
		return nil, err
	}
	if err := r.Odoo.Start("127.0.0.1:0"); err != nil {
		return nil, err
	}
	r.closers = append(r.closers, func() { _ = r.Odoo.Close() })
	e.progress("Odoo emulator seeded with %d customers (%d partners, %d orders) in %s", customers,
		r.Odoo.RecordCount("res.partner"), r.Odoo.RecordCount("sale.order"), time.Since(start).Round(time.Millisecond))
	if r.DD, err = ddemu.New(ddemu.Options{APIUser: ddUser, APIPassword: ddPassword, ImportDelay: e.opts.importDelay, Logger: e.logger}); err != nil {
		return nil, err
	}
	if err := r.DD.Start("127.0.0.1:0"); err != nil {
		return nil, err
	}
	r.closers = append(r.closers, func() { _ = r.DD.Close() })
	if r.server, err = devserver.Start(ctx, devserver.Options{DataDir: filepath.Join(dir, "temporal"), Namespace: "default", FrontendPort: 0, UIPort: -1,
		SearchAttributes: app.SearchAttributeTypes()}); err != nil {
		return nil, err
	}
	r.closers = append(r.closers, r.server.Stop)
	vars := map[string]string{
		"ODOO_URL": r.Odoo.URL(), "ODOO_DB": odooDB, "ODOO_LOGIN": odooLogin, "ODOO_API_KEY": odooPassword,
		"DOTDIGITAL_API_USER": ddUser, "DOTDIGITAL_API_PASSWORD": ddPassword, "DOTDIGITAL_DISCOVERY_URL": r.DD.URL(),
		"TEMPORAL_ADDRESS": r.server.FrontendAddress(), "SYNC_ID_SECRET": "bench", "SYNC_HTTP_ADDR": "127.0.0.1:0",
		"SYNC_POLL_INTERVAL": e.opts.pollInterval.String(), "SYNC_DEBOUNCE": e.opts.debounce.String(), "SYNC_LOG_LEVEL": "warn",
	}
	for k, v := range vars {
		r.env = append(r.env, k+"="+v)
	}
	if r.Cfg, err = config.Load(nil, func(k string) string { return vars[k] }); err != nil {
		return nil, err
	}
	if r.Client, err = app.Dial(ctx, r.Cfg, r.server.FrontendAddress(), nil, e.logger); err != nil {
		return nil, err
	}
	r.closers = append(r.closers, r.Client.Close)
	if r.OC, err = odoo.New(odoo.Config{URL: r.Odoo.URL(), DB: odooDB, Login: odooLogin, APIKey: odooPassword}); err != nil {
		return nil, err
	}
	httpClient, counter := newCountingClient()
	r.ddCalls = counter
	if r.DDC, err = dotdigital.New(dotdigital.Config{APIUser: ddUser, APIPassword: ddPassword, Endpoint: r.DD.URL(), HTTPClient: httpClient}); err != nil {
		return nil, err
	}
	ok = true
	return r, nil
}

// startWorker runs the worker child (the whole service but the Temporal server).
func (r *rig) startWorker(e *env, profile string) error {
	env := append([]string(nil), r.env...)
	if profile != "" {
		env = append(env, childProfileEnv+"="+profile)
	}
	w, err := startWorkerProc(r.ctx, env, e.opts.verbose)
	if err != nil {
		return err
	}
	r.worker = w
	r.closers = append(r.closers, func() {
		if r.worker != nil {
			r.worker.stop()
		}
	})
	return nil
}

func (r *rig) close() {
	for i := len(r.closers) - 1; i >= 0; i-- {
		r.closers[i]()
	}
	r.closers = nil
	_ = os.RemoveAll(r.dir)
}
