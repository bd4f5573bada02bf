// Package devserver runs a single-process Temporal server (frontend, history,
// matching and worker services) on a SQLite file, plus the Temporal Web UI,
// inside the worker binary. It is what `go run ./worker` uses when no
// Temporal address is configured, so one command is enough to run the
// service and its state survives a restart.
package devserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uiserveroptions "github.com/temporalio/ui-server/v2/server/server_options"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
)

const host = "127.0.0.1"

// Options configure the embedded server.
type Options struct {
	// DataDir holds temporal.db (and its WAL) and temporal.log. Empty means
	// an in-memory database (tests).
	DataDir string
	// Namespace is created on first start (and on every start if missing).
	Namespace string
	// FrontendPort is the gRPC port (0 picks a free one).
	FrontendPort int
	// UIPort is the Web UI port (0 picks a free one; -1 disables the UI).
	UIPort int
	// SearchAttributes are registered with the namespace (name -> type).
	SearchAttributes map[string]enumspb.IndexedValueType
	// LogLevel of the server's own log (default "warn"); it goes to
	// DataDir/temporal.log, or nowhere without a DataDir.
	LogLevel string
	// DynamicConfig overrides, by key.
	DynamicConfig map[string]any
}

// Server is a running embedded Temporal server.
type Server struct {
	server       temporal.Server
	ui           *uiserver.Server
	frontendAddr string
	uiURL        string
}

// FrontendAddress is host:port of the gRPC frontend, for SDK clients and the temporal CLI.
func (s *Server) FrontendAddress() string { return s.frontendAddr }

// UIURL is the Web UI address, or "" when the UI is disabled.
func (s *Server) UIURL() string { return s.uiURL }

// Start builds and starts the server; it returns once the frontend answers.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Namespace == "" {
		return nil, errors.New("devserver: namespace is required")
	}
	if opts.LogLevel == "" {
		opts.LogLevel = "warn"
	}
	frontendPort, err := portOrFree(opts.FrontendPort)
	if err != nil {
		return nil, err
	}
	httpPort, err := freePort()
	if err != nil {
		return nil, err
	}
	sqlConf, err := prepareDatabase(opts)
	if err != nil {
		return nil, err
	}
	conf, err := serverConfig(sqlConf, frontendPort, httpPort)
	if err != nil {
		return nil, err
	}
	logger, err := serverLogger(opts)
	if err != nil {
		return nil, err
	}
	hosts := map[primitives.ServiceName]static.Hosts{}
	for name, svc := range conf.Services {
		hosts[primitives.ServiceName(name)] = static.SingleLocalHost(net.JoinHostPort(host, strconv.Itoa(svc.RPC.GRPCPort)))
	}
	srv, err := temporal.NewServer(
		temporal.WithConfig(conf),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(hosts),
		temporal.WithLogger(logger),
		temporal.WithDynamicConfigClient(dynamicConfig(opts.DynamicConfig)),
	)
	if err != nil {
		return nil, fmt.Errorf("devserver: build server: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("devserver: start server: %w", err)
	}
	s := &Server{server: srv, frontendAddr: net.JoinHostPort(host, strconv.Itoa(frontendPort))}
	if opts.UIPort >= 0 {
		if err := s.startUI(opts, logger); err != nil {
			srv.Stop()
			return nil, err
		}
	}
	return s, waitForPort(ctx, s.frontendAddr)
}

// Stop stops the UI and the server. Workers and clients should be stopped first.
func (s *Server) Stop() {
	if s.ui != nil {
		s.ui.Stop()
	}
	s.server.Stop()
}

func (s *Server) startUI(opts Options, logger log.Logger) error {
	port, err := portOrFree(opts.UIPort)
	if err != nil {
		return err
	}
	s.ui = uiserver.NewServer(uiserveroptions.WithConfigProvider(&uiconfig.Config{
		Host:                host,
		Port:                port,
		TemporalGRPCAddress: s.frontendAddr,
		EnableUI:            true,
		DefaultNamespace:    opts.Namespace,
		CORS:                uiconfig.CORS{CookieInsecure: true},
		HideLogs:            true,
		DisableNewsFetch:    true,
	}))
	go func() {
		// Start blocks until Stop; an error here (port taken) must not kill the sync.
		if err := s.ui.Start(); err != nil {
			logger.Error("Temporal Web UI stopped: " + err.Error())
		}
	}()
	s.uiURL = fmt.Sprintf("http://%s:%d", host, port)
	return nil
}

func prepareDatabase(opts Options) (*config.SQL, error) {
	conf := &config.SQL{PluginName: sqliteplugin.PluginName}
	if opts.DataDir == "" {
		conf.ConnectAttributes = map[string]string{"mode": "memory", "cache": "shared"}
		conf.DatabaseName = fmt.Sprintf("sync-%d", time.Now().UnixNano())
	} else {
		if err := os.MkdirAll(opts.DataDir, 0o750); err != nil {
			return nil, fmt.Errorf("devserver: data dir: %w", err)
		}
		conf.DatabaseName = filepath.Join(opts.DataDir, "temporal.db")
		// WAL + synchronous=NORMAL: without them a file-backed SQLite manages
		// ~9 workflows/s here instead of ~100 (reference temporal.md 1.3).
		conf.ConnectAttributes = map[string]string{"mode": "rwc", "journal_mode": "wal", "synchronous": "NORMAL", "busy_timeout": "10000"}
		if _, err := os.Stat(conf.DatabaseName); errors.Is(err, os.ErrNotExist) {
			if err := sqliteschema.SetupSchema(conf); err != nil {
				return nil, fmt.Errorf("devserver: create schema: %w", err)
			}
		}
	}
	ns, err := sqliteschema.NewNamespaceConfig(clusterName, opts.Namespace, false, opts.SearchAttributes)
	if err != nil {
		return nil, fmt.Errorf("devserver: namespace config: %w", err)
	}
	if err := sqliteschema.CreateNamespaces(conf, ns); err != nil {
		return nil, fmt.Errorf("devserver: create namespace: %w", err)
	}
	return conf, nil
}

const clusterName = "active"

func serverConfig(sqlConf *config.SQL, frontendPort, httpPort int) (*config.Config, error) {
	conf := &config.Config{}
	conf.Global.Membership.MaxJoinDuration = 30 * time.Second
	conf.Global.Membership.BroadcastAddress = host
	conf.Persistence.DefaultStore = "sqlite"
	conf.Persistence.VisibilityStore = "sqlite"
	conf.Persistence.NumHistoryShards = 1
	conf.Persistence.DataStores = map[string]config.DataStore{"sqlite": {SQL: sqlConf}}
	frontendAddr := net.JoinHostPort(host, strconv.Itoa(frontendPort))
	conf.ClusterMetadata = &cluster.Config{
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{clusterName: {
			Enabled:                true,
			InitialFailoverVersion: 1,
			RPCAddress:             frontendAddr,
			HTTPAddress:            net.JoinHostPort(host, strconv.Itoa(httpPort)),
			ClusterID:              "odoo-dotdigital-sync",
		}},
	}
	conf.DCRedirectionPolicy.Policy = "noop"
	conf.Services = map[string]config.Service{}
	for _, name := range []string{"frontend", "history", "matching", "worker"} {
		var svc config.Service
		svc.RPC.BindOnIP = host
		if name == "frontend" {
			svc.RPC.GRPCPort, svc.RPC.HTTPPort = frontendPort, httpPort
		} else {
			p, err := freePort()
			if err != nil {
				return nil, err
			}
			svc.RPC.GRPCPort = p
		}
		conf.Services[name] = svc
	}
	conf.Archival.History.State = "disabled"
	conf.Archival.Visibility.State = "disabled"
	conf.NamespaceDefaults.Archival.History.State = "disabled"
	conf.NamespaceDefaults.Archival.Visibility.State = "disabled"
	conf.PublicClient.HostPort = frontendAddr
	return conf, nil
}

func dynamicConfig(overrides map[string]any) dynamicconfig.StaticClient {
	dc := dynamicconfig.StaticClient{
		// Search attributes added through the operator API are usable at once.
		dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key(): true,
		// The default persistence QPS starves the UI's workflow list under load
		// ("System Persistence Max QPS Reached"); the CLI dev server raises them too.
		dynamicconfig.FrontendPersistenceMaxQPS.Key():                    10000,
		dynamicconfig.HistoryPersistenceMaxQPS.Key():                     45000,
		dynamicconfig.MatchingPersistenceMaxQPS.Key():                    10000,
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key():                 8096,
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 100,
	}
	for k, v := range overrides {
		dc[dynamicconfig.MakeKey(k)] = v
	}
	return dc
}

func serverLogger(opts Options) (log.Logger, error) {
	// The server's own log is for Temporal experts: keep it out of the
	// service's output (a file next to the database, or nowhere in tests).
	cfg := log.Config{Level: opts.LogLevel, Format: "json", OutputFile: os.DevNull}
	if opts.DataDir != "" {
		cfg.OutputFile = filepath.Join(opts.DataDir, "temporal.log")
	}
	return log.NewZapLogger(log.BuildZapLogger(cfg)), nil
}

func portOrFree(p int) (int, error) {
	if p > 0 {
		return p, nil
	}
	return freePort()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("devserver: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitForPort(ctx context.Context, addr string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			return c.Close()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("devserver: frontend %s did not come up: %w", addr, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
