// Package e2e tests the whole service end to end: the embedded Temporal
// server, the workers, and both emulators, driven through Odoo XML-RPC and
// checked through the Dotdigital REST API, as a real deployment would be.
// It is the one test package that links the Temporal server.
package e2e

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/dotdigital"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/odoo"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/dotdigital/ddemu"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/odoo/odooemu"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/app"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/config"
)

// stack is one running service with its emulators.
type stack struct {
	t    *testing.T
	ctx  context.Context
	Odoo *odooemu.Emulator
	DD   *ddemu.Emulator
	App  *app.App
	// Clients as a real user would use them: XML-RPC into Odoo, REST into Dotdigital.
	OC  *odoo.Client
	DDC *dotdigital.Client

	cfg    *config.Config
	logger *slog.Logger
}

type stackOptions struct {
	odooVersion int
	ddOptions   ddemu.Options
	configure   func(*config.Config)
	// webhooks: the Odoo emulator posts automation webhooks to the worker.
	webhooks bool
	// persistent: the embedded Temporal server keeps its state in a SQLite
	// file, so that restart brings the same deployment back.
	persistent bool
	// seed runs before the service starts (Odoo data that exists when a
	// deployment begins: the initial load sees it).
	seed func(s *stack)
}

func testLogger() *slog.Logger {
	if os.Getenv("E2E_VERBOSE") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func startStack(t *testing.T, opts stackOptions) *stack {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	logger := testLogger()
	if opts.odooVersion == 0 {
		opts.odooVersion = 17
	}
	s := &stack{t: t, ctx: ctx}
	httpAddr := freeAddr(t)
	odooOpts := odooemu.Options{DB: "odoo", Login: "admin", Password: "admin", Version: opts.odooVersion, Logger: logger}
	if opts.webhooks {
		odooOpts.WebhookURL = "http://" + httpAddr + "/webhooks/odoo?token=e2e-token"
	}
	var err error
	s.Odoo, err = odooemu.New(odooOpts)
	require.NoError(t, err)
	require.NoError(t, s.Odoo.Start("127.0.0.1:0"))
	t.Cleanup(func() { _ = s.Odoo.Close() })
	ddo := opts.ddOptions
	ddo.APIUser, ddo.APIPassword, ddo.Logger = "demo@apiconnector.com", "demo", logger
	if ddo.ImportDelay == 0 {
		ddo.ImportDelay = 100 * time.Millisecond
	}
	s.DD, err = ddemu.New(ddo)
	require.NoError(t, err)
	require.NoError(t, s.DD.Start("127.0.0.1:0"))
	t.Cleanup(func() { _ = s.DD.Close() })

	cfg, err := config.Load(nil, func(string) string { return "" })
	require.NoError(t, err)
	cfg.Odoo.URL, cfg.Odoo.DB, cfg.Odoo.Login, cfg.Odoo.APIKey = s.Odoo.URL(), "odoo", "admin", "admin"
	cfg.Dotdigital.APIUser, cfg.Dotdigital.APIPassword = "demo@apiconnector.com", "demo"
	cfg.Dotdigital.Endpoint = ""
	cfg.Temporal.DataDir, cfg.Temporal.FrontendPort, cfg.Temporal.UIPort = "", 0, -1
	if opts.persistent {
		cfg.Temporal.DataDir = t.TempDir()
	}
	cfg.HTTPAddr = httpAddr
	cfg.Sync.PollInterval = 200 * time.Millisecond
	cfg.Sync.Debounce = 200 * time.Millisecond
	cfg.Sync.IdleTimeout = time.Minute
	cfg.Sync.WebhookSecret = "e2e-token"
	cfg.Dotdigital.TasksPerSecond = 200
	if opts.configure != nil {
		opts.configure(cfg)
	}
	s.OC, err = odoo.New(odoo.Config{URL: s.Odoo.URL(), DB: "odoo", Login: "admin", APIKey: "admin"})
	require.NoError(t, err)
	s.DDC, err = dotdigital.New(dotdigital.Config{APIUser: "demo@apiconnector.com", APIPassword: "demo", Endpoint: s.DD.URL()})
	require.NoError(t, err)
	if opts.seed != nil {
		opts.seed(s)
	}
	s.cfg, s.logger = cfg, logger
	s.startService()
	return s
}

// startService starts the service (workers and, without a Temporal
// address, the embedded server) on the stack's configuration.
func (s *stack) startService() {
	s.t.Helper()
	// Region discovery through account-info on the emulator (as on r1).
	a, err := startApp(s.ctx, s.cfg, s.logger, s.DD.URL())
	require.NoError(s.t, err)
	s.App = a
	s.t.Cleanup(func() { a.Stop(context.Background()) })
}

// restart stops the service, the embedded Temporal server with it, and
// starts both again on the same data (a persistent stack).
func (s *stack) restart() {
	s.t.Helper()
	require.NotEmpty(s.t, s.cfg.Temporal.DataDir, "restart needs a persistent stack")
	s.App.Stop(context.Background())
	s.startService()
}

func startApp(ctx context.Context, cfg *config.Config, logger *slog.Logger, discovery string) (*app.App, error) {
	if cfg.Dotdigital.Endpoint == "" {
		cfg.Dotdigital.DiscoveryURL = discovery
	}
	return app.Start(ctx, cfg, logger, app.Options{})
}

// eventually polls cond until it holds or the deadline passes.
func (s *stack) eventually(what string, timeout time.Duration, cond func() (bool, string)) {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		ok, detail := cond()
		if ok {
			return
		}
		last = detail
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("%s: not reached within %s (last: %s)", what, timeout, last)
}

// contact returns the Dotdigital contact with all data fields and lists.
func (s *stack) contact(email string) (dotdigital.Contact, bool) {
	c, err := s.DDC.GetContact(s.ctx, email, dotdigital.WithAllDataFields(), dotdigital.WithLists())
	if err != nil {
		if dotdigital.IsNotFound(err) || dotdigital.Retryable(err) {
			return c, false // not there (yet), or an injected fault: look again later
		}
		s.t.Fatalf("get contact: %v", err)
	}
	return c, true
}

func (s *stack) records(email string) map[string]map[string]any {
	recs, err := s.DDC.ListContactRecords(s.ctx, "Orders", email)
	if err != nil {
		if dotdigital.IsNotFound(err) {
			return nil
		}
		s.t.Fatalf("list records: %v", err)
	}
	out := map[string]map[string]any{}
	for _, r := range recs {
		var j map[string]any
		require.NoError(s.t, json.Unmarshal(r.JSON, &j))
		out[r.Key] = j
	}
	return out
}

func field(c dotdigital.Contact, name string) any {
	for k, v := range c.DataFields {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

// inList reports whether the contact is in the named list.
func (s *stack) inList(email, list string) bool {
	c, ok := s.contact(email)
	if !ok {
		return false
	}
	for _, l := range c.Lists {
		if strings.EqualFold(l.Name, list) {
			return true
		}
	}
	return false
}

// assertOneContactFor checks that exactly one contact holds the email
// (Dotdigital matches emails case-insensitively; a duplicate would be a
// second contact whose email normalises to the same key).
func (s *stack) assertOneContactFor(key string) {
	s.t.Helper()
	n := 0
	for c, err := range s.DDC.AllContacts(s.ctx, dotdigital.ContactFilter{}) {
		require.NoError(s.t, err)
		if strings.EqualFold(strings.TrimSpace(c.Email), key) {
			n++
		}
	}
	require.Equal(s.t, 1, n, "contacts for %s", key)
}

func countQuery(s *stack, where string) *workflowservice.CountWorkflowExecutionsRequest {
	return &workflowservice.CountWorkflowExecutionsRequest{Namespace: s.App.Config.Temporal.Namespace,
		Query: "WorkflowType = 'CustomerSync' AND " + where}
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

func post(t *testing.T, url, body string) int {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}
