package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/dotdigital"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/odoo"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/dotdigital/ddemu"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/odoo/odooemu"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/app"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/config"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/workflows"
)

const (
	odooDB, odooLogin, odooPassword = "odoo", "admin", "admin"
	ddUser, ddPassword              = "demo@apiconnector.com", "demo"
	webhookToken                    = "bench-token"
)

// env is what every scenario shares: flags, logger, temporary directory.
type env struct {
	opts     *options
	logger   *slog.Logger // the service's logger (discarded unless --verbose)
	dir      string
	progress func(format string, args ...any)
}

// stackOptions shape one in-process stack.
type stackOptions struct {
	name     string
	webhooks bool
	dd       ddemu.Options
	// seedCustomers are generated in Odoo before the service starts; the
	// service's initial load (backfill) brings them to Dotdigital.
	seedCustomers int
	// prepare adds data to Odoo before the service starts.
	prepare   func(*odooemu.Emulator) error
	configure func(*config.Config)
}

// stack is the real service in this process, as e2e/stack_test.go starts
// it: both emulators, the embedded Temporal server on a SQLite file, the
// workers, the singletons and the HTTP endpoints.
type stack struct {
	ctx  context.Context
	dir  string
	Odoo *odooemu.Emulator
	DD   *ddemu.Emulator
	App  *app.App
	Cfg  *config.Config
	// The harness's own clients: XML-RPC into Odoo (the shop's traffic),
	// REST into Dotdigital (reads, counted apart from the service's calls).
	OC      *odoo.Client
	DDC     *dotdigital.Client
	ddCalls *countingTransport
	closers []func()
	// readyAt: the initial load finished; settledAt: nothing left to do.
	readyAt, settledAt time.Time
}

func startStack(ctx context.Context, e *env, o stackOptions) (*stack, error) {
	dir, err := os.MkdirTemp(e.dir, o.name+"-")
	if err != nil {
		return nil, err
	}
	s := &stack{ctx: ctx, dir: dir}
	ok := false
	defer func() {
		if !ok {
			s.close()
		}
	}()
	httpAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	clock := &pastClock{}
	odooOpts := odooemu.Options{DB: odooDB, Login: odooLogin, Password: odooPassword, Version: e.opts.odooVersion,
		SeedCustomers: o.seedCustomers, Seed: e.opts.seed, Now: clock.now, Logger: e.logger}
	if o.webhooks {
		odooOpts.WebhookURL = "http://" + httpAddr + "/webhooks/odoo?token=" + webhookToken
	}
	if s.Odoo, err = odooemu.New(odooOpts); err != nil {
		return nil, err
	}
	if err := s.Odoo.Start("127.0.0.1:0"); err != nil {
		return nil, err
	}
	s.closers = append(s.closers, func() { _ = s.Odoo.Close() })
	if o.prepare != nil {
		if err := o.prepare(s.Odoo); err != nil {
			return nil, fmt.Errorf("prepare Odoo: %w", err)
		}
	}
	clock.present()
	if err := markNewest(ctx, s.Odoo, e.opts.freshTags); err != nil {
		return nil, err
	}
	ddo := o.dd
	ddo.APIUser, ddo.APIPassword, ddo.Logger = ddUser, ddPassword, e.logger
	if ddo.ImportDelay == 0 {
		ddo.ImportDelay = e.opts.importDelay
	}
	if s.DD, err = ddemu.New(ddo); err != nil {
		return nil, err
	}
	if err := s.DD.Start("127.0.0.1:0"); err != nil {
		return nil, err
	}
	s.closers = append(s.closers, func() { _ = s.DD.Close() })

	// The service's own tuning variables (SYNC_*, DOTDIGITAL_* except the
	// connection) apply, so a setting can be tried without code changes;
	// the scenario's settings below take precedence.
	if s.Cfg, err = config.Load(nil, tuningEnv); err != nil {
		return nil, err
	}
	cfg := s.Cfg
	cfg.Odoo.URL, cfg.Odoo.DB, cfg.Odoo.Login, cfg.Odoo.APIKey = s.Odoo.URL(), odooDB, odooLogin, odooPassword
	cfg.Dotdigital.APIUser, cfg.Dotdigital.APIPassword = ddUser, ddPassword
	cfg.Dotdigital.Endpoint, cfg.Dotdigital.DiscoveryURL = "", s.DD.URL() // region discovery through account-info
	cfg.Temporal.DataDir, cfg.Temporal.FrontendPort, cfg.Temporal.UIPort = filepath.Join(dir, "temporal"), 0, -1
	cfg.HTTPAddr = httpAddr
	cfg.Sync.WebhookSecret = webhookToken
	cfg.Sync.IDSecret = "bench"
	if o.configure != nil {
		o.configure(cfg)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if s.App, err = app.Start(ctx, cfg, e.logger, app.Options{}); err != nil {
		return nil, fmt.Errorf("start the service: %w", err)
	}
	s.closers = append(s.closers, func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s.App.Stop(stopCtx)
	})
	if s.OC, err = odoo.New(odoo.Config{URL: s.Odoo.URL(), DB: odooDB, Login: odooLogin, APIKey: odooPassword}); err != nil {
		return nil, err
	}
	httpClient, counter := newCountingClient()
	s.ddCalls = counter
	if s.DDC, err = dotdigital.New(dotdigital.Config{APIUser: ddUser, APIPassword: ddPassword, Endpoint: s.DD.URL(), HTTPClient: httpClient}); err != nil {
		return nil, err
	}
	if err := waitServiceReady(ctx, s.App.Client); err != nil {
		return nil, err
	}
	// Measure a settled service: the initial load and what its first polls
	// route (see docs/performance.md) are done.
	s.readyAt = time.Now()
	if err := waitQuiet(ctx, s.App.Client, cfg.Temporal.Namespace, cfg.Dotdigital.LaneShards, s.readyAt, 10*time.Minute); err != nil {
		return nil, err
	}
	s.settledAt = time.Now()
	ok = true
	return s, nil
}

// close stops the service, then the emulators, and removes the files.
func (s *stack) close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
	s.closers = nil
	_ = os.RemoveAll(s.dir)
}

// ddStats returns the emulator's counters with the harness's own calls
// (reads of the tracker) taken out of Calls.
func (s *stack) ddStats() (ddemu.Stats, int64) {
	st := s.DD.Stats()
	return st, s.ddCalls.calls.Load()
}

// pastClock is the Odoo emulator's clock: an hour behind while the
// database is made (base data, seeded and prepared customers), the wall
// clock from then on. In a real deployment master data (tags, companies)
// and existing customers are not minutes old when the service starts; if
// they were, the poller's first read of its overlap window would resync
// every partner of each "recently changed" tag.
type pastClock struct{ presentNow atomic.Bool }

func (c *pastClock) now() time.Time {
	if c.presentNow.Load() {
		return time.Now()
	}
	return time.Now().Add(-time.Hour)
}

func (c *pastClock) present() { c.presentNow.Store(true) }

// markNewest makes, now, the newest tag, partner and order of the database:
// a tag nobody carries and a partner without email with a draft order
// (skipped by the sync). A fresh deployment's poller starts at the newest
// write_date of each model and first re-reads the five minutes before it
// (its overlap window); for tags, that routes every partner of each tag in
// the window. In a real database the tags (and the existing customers) were
// not all written within five minutes of the newest change; in the
// emulator's base data, and the customers a scenario prepares, they were.
// With fresh=true only the partner and order markers are made (see
// docs/performance.md).
func markNewest(ctx context.Context, em *odooemu.Emulator, fresh bool) error {
	if !fresh {
		if _, err := em.Call(ctx, "res.partner.category", "create", []any{map[string]any{"name": "Bench marker"}}, nil); err != nil {
			return err
		}
	}
	v, err := em.Call(ctx, "res.partner", "create", []any{map[string]any{"name": "Bench marker"}}, nil)
	if err != nil {
		return err
	}
	_, err = em.Call(ctx, "sale.order", "create", []any{map[string]any{"partner_id": asID(v)}}, nil)
	return err
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// waitServiceReady waits until the Dotdigital schema exists (bootstrap
// finished), the poller has polled once, and the initial load (a backfill
// on a fresh deployment) finished.
func waitServiceReady(ctx context.Context, c client.Client) error {
	deadline := time.Now().Add(3 * time.Minute)
	for {
		done, why := serviceReady(ctx, c)
		if done {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the service did not become ready within 3 minutes: %s", why)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func serviceReady(ctx context.Context, c client.Client) (bool, string) {
	if st, err := workflowStatus(ctx, c, names.BootstrapWorkflowID); err != nil || st != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		return false, fmt.Sprintf("bootstrap %v %v", st, err)
	}
	var ps workflows.PollerStatus
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	v, err := c.QueryWorkflow(qctx, names.PollerWorkflowID, "", string(names.QueryProgress))
	if err != nil {
		return false, "poller: " + err.Error()
	}
	if err := v.Get(&ps); err != nil || ps.LastPoll.IsZero() {
		return false, "poller has not polled yet"
	}
	st, err := workflowStatus(ctx, c, names.BackfillWorkflowID)
	var nf *serviceerror.NotFound
	switch {
	case errors.As(err, &nf):
		return true, "" // no initial load by backfill
	case err != nil:
		return false, "backfill: " + err.Error()
	case st == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		return false, "initial load (backfill) running"
	}
	return true, ""
}

func workflowStatus(ctx context.Context, c client.Client, id string) (enumspb.WorkflowExecutionStatus, error) {
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	d, err := c.DescribeWorkflowExecution(dctx, id, "")
	if err != nil {
		return enumspb.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED, err
	}
	return d.GetWorkflowExecutionInfo().GetStatus(), nil
}

// tuningEnv passes the service's tuning variables through from the
// environment.
func tuningEnv(k string) string {
	switch {
	case k == "DOTDIGITAL_ENDPOINT" || strings.HasPrefix(k, "DOTDIGITAL_API_"):
		return ""
	case strings.HasPrefix(k, "SYNC_") && k != "SYNC_DATA_DIR", strings.HasPrefix(k, "DOTDIGITAL_"):
		return os.Getenv(k)
	}
	return ""
}
