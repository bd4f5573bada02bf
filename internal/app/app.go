// Package app wires the service together: telemetry, the Temporal server or
// client, the Odoo and Dotdigital clients, the three workers, the singleton
// workflows and the HTTP endpoints. The worker command and the end-to-end
// tests both start the service through it.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/activities"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/dotdigital"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/odoo"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/backfill"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/config"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/devserver"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/identity"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/progress"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/telemetry"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/webhook"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/workflows"
)

// App is a running service instance.
type App struct {
	Config          *config.Config
	Client          client.Client
	Odoo            *odoo.Client
	Dotdigital      *dotdigital.Client
	Hasher          identity.Hasher
	Settings        workflows.Settings
	TemporalAddress string
	UIURL           string
	HTTPURL         string
	Progress        *progress.Tracker

	logger   *slog.Logger
	pacer    *activities.Pacer
	tel      *telemetry.Telemetry
	server   *devserver.Server
	workers  []worker.Worker
	httpSrv  *http.Server
	ready    atomic.Bool
	stopOnce atomic.Bool
}

// Options tune Start for tests and the demo.
type Options struct {
	// Telemetry to use; nil sets it up from the OTEL_* environment.
	Telemetry *telemetry.Telemetry
	// Getenv for telemetry settings (defaults to an empty environment).
	Getenv func(string) string
	// SkipSingletons does not start the poller, lanes and schedules (tests that drive workflows by hand).
	SkipSingletons bool
}

// Start brings the service up and returns once every worker runs.
func Start(ctx context.Context, cfg *config.Config, logger *slog.Logger, opts Options) (a *App, err error) {
	started := &App{Config: cfg, logger: logger, Hasher: identity.NewHasher(idSecret(cfg)), Progress: progress.New()}
	a = started
	defer func() {
		if err != nil {
			started.Stop(context.Background()) // a is nil on the error returns
		}
	}()
	getenv := opts.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	a.tel = opts.Telemetry
	if a.tel == nil {
		if a.tel, err = telemetry.Setup(ctx, "odoo-dotdigital-sync", getenv); err != nil {
			return nil, err
		}
	}
	a.TemporalAddress = cfg.Temporal.Address
	if a.TemporalAddress == "" {
		if a.server, err = startEmbedded(ctx, cfg); err != nil {
			return nil, err
		}
		a.TemporalAddress, a.UIURL = a.server.FrontendAddress(), a.server.UIURL()
	}
	if a.Client, err = Dial(ctx, cfg, a.TemporalAddress, a.tel, logger); err != nil {
		return nil, err
	}
	EnsureSearchAttributes(ctx, a.Client, cfg.Temporal.Namespace, logger)
	if err := a.buildClients(); err != nil {
		return nil, err
	}
	a.Settings = SettingsFrom(cfg)
	if err := a.startWorkers(); err != nil {
		return nil, err
	}
	if err := a.startHTTP(); err != nil {
		return nil, err
	}
	if !opts.SkipSingletons {
		if err := StartSingletons(ctx, a.Client, a.Settings, cfg); err != nil {
			return nil, err
		}
	}
	a.ready.Store(true)
	return a, nil
}

// EmbeddedIDSecret keys customer IDs when SYNC_ID_SECRET is unset, which
// only the single-process embedded mode allows (Validate enforces it).
const EmbeddedIDSecret = "odoo-dotdigital-sync-embedded"

func idSecret(cfg *config.Config) string {
	if cfg.Sync.IDSecret != "" {
		return cfg.Sync.IDSecret
	}
	return EmbeddedIDSecret
}

func (a *App) buildClients() error {
	var err error
	cfg := a.Config
	a.Odoo, err = odoo.New(odoo.Config{
		URL: cfg.Odoo.URL, DB: cfg.Odoo.DB, Login: cfg.Odoo.Login, APIKey: cfg.Odoo.APIKey,
		Timeout: cfg.Odoo.Timeout, TracerProvider: a.tel.TracerProvider, Logger: a.logger.With("component", "odoo"),
	})
	if err != nil {
		return fmt.Errorf("odoo client: %w", err)
	}
	a.pacer = activities.NewPacer()
	// Every Dotdigital call is counted by tier and outcome (sync_dotdigital_calls).
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 64
	ddHTTP := &http.Client{Transport: telemetry.NewCountingTransport(transport, a.tel.MeterProvider.Meter("odoo-dotdigital-sync"),
		"sync_dotdigital_calls", "dotdigital")}
	a.Dotdigital, err = dotdigital.New(dotdigital.Config{
		HTTPClient:  ddHTTP,
		OnRateLimit: a.pacer.Observe,
		APIUser:     cfg.Dotdigital.APIUser, APIPassword: cfg.Dotdigital.APIPassword, Endpoint: cfg.Dotdigital.Endpoint,
		DiscoveryURL: cfg.Dotdigital.DiscoveryURL,
		Timeout:      cfg.Dotdigital.Timeout, TracerProvider: a.tel.TracerProvider, Logger: a.logger.With("component", "dotdigital"),
	})
	if err != nil {
		return fmt.Errorf("dotdigital client: %w", err)
	}
	return nil
}

// Mapping returns the customer mapping settings of a configuration.
func Mapping(cfg *config.Config) customer.Settings {
	return customer.Settings{
		VIPTags: cfg.Sync.VIPTags, Currency: cfg.Sync.Currency, CurrencyRates: cfg.Sync.CurrencyRates,
		Lists: cfg.Dotdigital.Lists, TagLists: cfg.Dotdigital.TagLists,
	}
}

// SettingsFrom derives the workflow settings from the configuration.
func SettingsFrom(cfg *config.Config) workflows.Settings {
	shards := cfg.Dotdigital.LaneShards
	maxBulk := 5 / shards // the account allows 5 concurrent Insight imports
	if maxBulk < 1 {
		maxBulk = 1
	}
	return workflows.Settings{
		WorkflowQueue: cfg.Temporal.Queues.Workflows, DotdigitalQueue: cfg.Temporal.Queues.Dotdigital, OdooQueue: cfg.Temporal.Queues.Odoo,
		PollInterval: cfg.Sync.PollInterval, Debounce: cfg.Sync.Debounce, IdleTimeout: cfg.Sync.IdleTimeout,
		LaneShards: shards, LaneMaxBulk: maxBulk, ContactBatch: cfg.Dotdigital.ContactBatch,
		InitialLoad: cfg.Sync.InitialLoad, IndexShards: cfg.Sync.IndexShards, IndexSweep: cfg.Sync.IndexSweep,
	}.WithDefaults()
}

func (a *App) startWorkers() error {
	cfg := a.Config
	deps := activities.Deps{
		Odoo: a.Odoo, Dotdigital: a.Dotdigital, Temporal: a.Client, Hasher: a.Hasher, Mapping: Mapping(cfg),
		WorkflowQueue: cfg.Temporal.Queues.Workflows, Namespace: cfg.Temporal.Namespace, Pacer: a.pacer, Progress: a.Progress,
		Overlap: cfg.Sync.Overlap, OrderBatch: cfg.Dotdigital.OrderBatch,
		OdooConcurrency: cfg.Odoo.Concurrency, Logger: a.logger, Meter: a.tel.MeterProvider.Meter("odoo-dotdigital-sync"),
		CustomerInput: func(key string) any { return workflows.CustomerInput{Key: key, Settings: a.Settings} },
		RegistryInput: func() any { return workflows.ExceptionsInput{Settings: a.Settings} },
		BackfillInput: func(upTo int64) any {
			return workflows.BackfillInput{Settings: a.Settings, Options: backfill.Options{UpToPartnerID: upTo}}
		},
		PartnerIndexInput: func(shard int) any { return workflows.PartnerIndexInput{Shard: shard, Settings: a.Settings} },
		IndexShards:       a.Settings.IndexShards,
		LaneInput: func(laneID string) any {
			shard, _ := names.LaneShardOf(laneID)
			return workflows.LaneInput{Shard: shard, Settings: a.Settings}
		},
	}
	// More pollers than the SDK default (2): a burst starts hundreds of
	// customer workflows at once, and task pick-up latency is lag.
	wf := worker.New(a.Client, cfg.Temporal.Queues.Workflows, worker.Options{WorkerStopTimeout: 10 * time.Second,
		MaxConcurrentWorkflowTaskPollers: 8, MaxConcurrentActivityTaskPollers: 4})
	workflows.Register(wf)
	wf.RegisterActivity(activities.NewRouter(deps))
	wf.RegisterActivityWithOptions(activities.NewProbe(deps).LanePressure, activity.RegisterOptions{Name: names.ActivityLanePressure})
	wf.RegisterActivity(activities.NewOps(deps, activities.OpsOptions{AlertWebhook: cfg.Lag.AlertWebhook,
		AlertsInput: func() any { return workflows.LagAlertsInput{Settings: a.Settings} }}))
	dd := worker.New(a.Client, cfg.Temporal.Queues.Dotdigital, worker.Options{
		TaskQueueActivitiesPerSecond:       cfg.Dotdigital.TasksPerSecond,
		MaxConcurrentActivityExecutionSize: cfg.Dotdigital.Concurrency,
		MaxConcurrentActivityTaskPollers:   8,
		WorkerStopTimeout:                  30 * time.Second,
	})
	dd.RegisterActivity(activities.NewLane(deps))
	dd.RegisterActivity(activities.NewReconciler(deps, activities.ReconcileOptions{ReportDir: ReportDir(cfg)}))
	od := worker.New(a.Client, cfg.Temporal.Queues.Odoo, worker.Options{
		MaxConcurrentActivityExecutionSize: cfg.Odoo.Concurrency,
		WorkerStopTimeout:                  30 * time.Second,
	})
	od.RegisterActivity(activities.NewPoll(deps))
	for _, w := range []worker.Worker{wf, dd, od} {
		if err := w.Start(); err != nil {
			return fmt.Errorf("start worker: %w", err)
		}
		a.workers = append(a.workers, w)
	}
	return nil
}

func (a *App) startHTTP() error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.tel.MetricsHandler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", a.readyz)
	if a.Config.Sync.WebhookSecret != "" {
		mux.Handle("POST /webhooks/odoo", webhook.NewReceiver(a.Config.Sync.WebhookSecret, webhook.PokeWorkflow(a.Client), a.logger))
	}
	l, err := net.Listen("tcp", a.Config.HTTPAddr)
	if err != nil {
		return fmt.Errorf("SYNC_HTTP_ADDR %s: %w", a.Config.HTTPAddr, err)
	}
	a.HTTPURL = "http://" + l.Addr().String()
	a.httpSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := a.httpSrv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.logger.Error("http server stopped", "error", err)
		}
	}()
	return nil
}

func (a *App) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	if !a.ready.Load() {
		http.Error(w, "starting\n", http.StatusServiceUnavailable)
		return
	}
	if _, err := a.Client.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		http.Error(w, "temporal unreachable\n", http.StatusServiceUnavailable)
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

// Stop shuts down in order: HTTP, workers (letting activities finish), the
// client, the embedded server, telemetry.
func (a *App) Stop(ctx context.Context) {
	if a.stopOnce.Swap(true) {
		return
	}
	a.ready.Store(false)
	if a.httpSrv != nil {
		_ = a.httpSrv.Shutdown(ctx)
	}
	for _, w := range a.workers {
		w.Stop()
	}
	if a.Client != nil {
		a.Client.Close()
	}
	if a.server != nil {
		a.server.Stop()
	}
	if a.tel != nil {
		_ = a.tel.Shutdown(ctx)
	}
}
