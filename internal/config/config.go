// Package config reads the service configuration from environment variables
// and command-line flags (a flag overrides its variable). A missing or
// malformed setting stops start-up with one line that names it. Secrets can
// also come from files (<NAME>_FILE, see secrets.go) and are never shown by
// --help, errors or logs (redact.go).
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
)

// Config is the whole service configuration.
type Config struct {
	Odoo       Odoo
	Dotdigital Dotdigital
	Temporal   Temporal
	Sync       Sync
	Lag        Lag
	HTTPAddr   string // metrics, health and webhook receiver
	Demo       bool
	LogLevel   string
	LogFormat  string
}

// Odoo connection settings.
type Odoo struct {
	URL, DB, Login, APIKey string
	Timeout                time.Duration
	Concurrency            int // activities at once per worker on the Odoo queue
}

// Dotdigital connection and lane settings.
type Dotdigital struct {
	APIUser, APIPassword string
	Endpoint             string // skips region discovery when set
	DiscoveryURL         string // where region discovery asks (default r1)
	Timeout              time.Duration
	TasksPerSecond       float64 // fleet-wide rate of the Dotdigital task queue
	Concurrency          int     // activities at once per worker on the Dotdigital queue
	Lists                []string
	TagLists             map[string]string // Odoo tag name -> Dotdigital list name
	ContactBatch         int
	OrderBatch           int
	LaneShards           int
}

// Temporal connection settings; Address "" means the embedded server.
type Temporal struct {
	Address, Namespace string
	APIKey             string
	TLS                bool
	TLSCert, TLSKey    string
	TLSCA              string
	DataDir            string
	FrontendPort       int
	UIPort             int
	Queues             Queues
}

// Queues are the task queue names (all workers of a fleet must agree).
type Queues struct {
	Workflows, Dotdigital, Odoo string
}

// Sync behaviour.
type Sync struct {
	PollInterval time.Duration
	Overlap      time.Duration
	Debounce     time.Duration
	IdleTimeout  time.Duration
	// IndexShards and IndexSweep shape the partner index (the durable
	// partner -> customer binding): its number of shards (fixed for a
	// deployment) and how often each looks for partners deleted in Odoo.
	IndexShards   int
	IndexSweep    time.Duration
	VIPTags       []string
	IDSecret      string
	WebhookSecret string
	Currency      string
	CurrencyRates map[string]float64
	// InitialLoad: "backfill" (a fresh deployment loads the existing
	// customers by bulk import and polls from now on) or "poll" (the poller
	// starts at the beginning of Odoo's history, a workflow per customer).
	InitialLoad string
	// Reconciliation: the schedule's interval (0 disables it), whether
	// scheduled runs heal, where reports go ("": <DataDir>/reports).
	ReconcileInterval time.Duration
	ReconcileHeal     bool
	ReportDir         string
}

// Lag thresholds and alerting.
type Lag struct {
	Orders, Profiles time.Duration
	Interval         time.Duration
	AlertWebhook     string
}

// Load parses args (without the program name) over the environment.
func Load(args []string, getenv func(string) string) (*Config, error) {
	c, rest, err := LoadArgs("worker", args, getenv)
	if err == nil && len(rest) > 0 {
		err = fmt.Errorf("unexpected argument %q (see --help)", rest[0])
	}
	return c, err
}

// LoadArgs parses the flags at the front of args over the environment and
// returns the arguments after them (the starter's command). --help and flag
// errors go to standard error, warnings to slog.Default().
func LoadArgs(program string, args []string, getenv func(string) string) (*Config, []string, error) {
	return load(program, args, getenv, slog.Default(), os.Stderr)
}

// load is LoadArgs with its logger (warnings) and help output passed in.
func load(program string, args []string, getenv func(string) string, logger *slog.Logger, output io.Writer) (*Config, []string, error) {
	c := &Config{}
	fs := flag.NewFlagSet(program, flag.ContinueOnError)
	fs.SetOutput(output)
	var errs []error
	secrets := secretFlags{fs: fs, getenv: getenv, errs: &errs}
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	str := func(p *string, flagName, envName, def, usage string) {
		fs.StringVar(p, flagName, env(envName, def), usage+" ($"+envName+")")
	}
	dur := func(p *time.Duration, flagName, envName string, def time.Duration, usage string) {
		v := def
		if s := getenv(envName); s != "" {
			d, err := time.ParseDuration(s)
			if err != nil || d < 0 {
				errs = append(errs, fmt.Errorf("%s=%q is not a duration (e.g. 5s, 2m)", envName, s))
			}
			v = d
		}
		fs.DurationVar(p, flagName, v, usage+" ($"+envName+")")
	}
	integer := func(p *int, flagName, envName string, def int, usage string) {
		v := def
		if s := getenv(envName); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s=%q is not an integer", envName, s))
			}
			v = n
		}
		fs.IntVar(p, flagName, v, usage+" ($"+envName+")")
	}
	float := func(p *float64, flagName, envName string, def float64, usage string) {
		v := def
		if s := getenv(envName); s != "" {
			n, err := strconv.ParseFloat(s, 64)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s=%q is not a number", envName, s))
			}
			v = n
		}
		fs.Float64Var(p, flagName, v, usage+" ($"+envName+")")
	}
	boolean := func(p *bool, flagName, envName string, usage string) {
		v := false
		if s := getenv(envName); s != "" {
			b, err := strconv.ParseBool(s)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s=%q is not a boolean", envName, s))
			}
			v = b
		}
		fs.BoolVar(p, flagName, v, usage+" ($"+envName+")")
	}

	str(&c.Odoo.URL, "odoo-url", "ODOO_URL", "", "Odoo base URL, e.g. https://shop.odoo.com")
	str(&c.Odoo.DB, "odoo-db", "ODOO_DB", "", "Odoo database name")
	str(&c.Odoo.Login, "odoo-login", "ODOO_LOGIN", "", "Odoo login of the integration user")
	secrets.define(&c.Odoo.APIKey, "odoo-api-key", "ODOO_API_KEY", "Odoo API key (or password) of the integration user")
	dur(&c.Odoo.Timeout, "odoo-timeout", "ODOO_TIMEOUT", 60*time.Second, "timeout of one Odoo call")
	integer(&c.Odoo.Concurrency, "odoo-concurrency", "ODOO_CONCURRENCY", 4, "Odoo calls at once per worker")

	str(&c.Dotdigital.APIUser, "dotdigital-api-user", "DOTDIGITAL_API_USER", "", "Dotdigital API user")
	secrets.define(&c.Dotdigital.APIPassword, "dotdigital-api-password", "DOTDIGITAL_API_PASSWORD", "Dotdigital API password")
	str(&c.Dotdigital.Endpoint, "dotdigital-endpoint", "DOTDIGITAL_ENDPOINT", "", "Dotdigital API endpoint, e.g. https://r1-api.dotdigital.com (skips region discovery)")
	str(&c.Dotdigital.DiscoveryURL, "dotdigital-discovery-url", "DOTDIGITAL_DISCOVERY_URL", "", "region discovery host (default https://r1-api.dotdigital.com)")
	dur(&c.Dotdigital.Timeout, "dotdigital-timeout", "DOTDIGITAL_TIMEOUT", 121*time.Second, "timeout of one Dotdigital call")
	float(&c.Dotdigital.TasksPerSecond, "dotdigital-tasks-per-second", "DOTDIGITAL_TASKS_PER_SECOND", 10, "fleet-wide Dotdigital activity rate (set the same on every worker)")
	integer(&c.Dotdigital.Concurrency, "dotdigital-concurrency", "DOTDIGITAL_CONCURRENCY", 16, "Dotdigital activities at once per worker")
	var lists, tagLists string
	str(&lists, "dotdigital-lists", "DOTDIGITAL_LISTS", "Odoo Customers", "comma-separated lists every synced contact joins")
	str(&tagLists, "dotdigital-tag-lists", "DOTDIGITAL_TAG_LISTS", "VIP=VIP Customers", "comma-separated TAG=LIST pairs: partners with the Odoo tag are in the list, both ways")
	integer(&c.Dotdigital.ContactBatch, "dotdigital-contact-batch", "DOTDIGITAL_CONTACT_BATCH", 2000, "contacts per bulk import")
	integer(&c.Dotdigital.OrderBatch, "dotdigital-order-batch", "DOTDIGITAL_ORDER_BATCH", 4000, "Insight records per bulk import")
	integer(&c.Dotdigital.LaneShards, "lane-shards", "SYNC_LANE_SHARDS", 4, "number of Dotdigital lane workflows (set the same on every worker)")

	str(&c.Temporal.Address, "temporal-address", "TEMPORAL_ADDRESS", "", "Temporal frontend host:port; empty starts an embedded server")
	str(&c.Temporal.Namespace, "temporal-namespace", "TEMPORAL_NAMESPACE", "default", "Temporal namespace")
	secrets.define(&c.Temporal.APIKey, "temporal-api-key", "TEMPORAL_API_KEY", "Temporal Cloud API key (implies TLS)")
	boolean(&c.Temporal.TLS, "temporal-tls", "TEMPORAL_TLS", "connect to Temporal with TLS")
	str(&c.Temporal.TLSCert, "temporal-tls-cert", "TEMPORAL_TLS_CERT", "", "client certificate file (mTLS)")
	str(&c.Temporal.TLSKey, "temporal-tls-key", "TEMPORAL_TLS_KEY", "", "client key file (mTLS)")
	str(&c.Temporal.TLSCA, "temporal-tls-ca", "TEMPORAL_TLS_CA", "", "CA bundle to verify the server")
	str(&c.Temporal.DataDir, "data-dir", "SYNC_DATA_DIR", ".sync-data", "embedded Temporal server files (SQLite)")
	integer(&c.Temporal.FrontendPort, "temporal-port", "SYNC_TEMPORAL_PORT", 7233, "embedded server gRPC port")
	integer(&c.Temporal.UIPort, "ui-port", "SYNC_UI_PORT", 8233, "embedded Web UI port (-1 disables it)")
	str(&c.Temporal.Queues.Workflows, "queue-workflows", "SYNC_QUEUE_WORKFLOWS", string(names.QueueWorkflows), "task queue of the workflows")
	str(&c.Temporal.Queues.Dotdigital, "queue-dotdigital", "SYNC_QUEUE_DOTDIGITAL", string(names.QueueDotdigital), "task queue of Dotdigital calls")
	str(&c.Temporal.Queues.Odoo, "queue-odoo", "SYNC_QUEUE_ODOO", string(names.QueueOdoo), "task queue of Odoo calls")

	dur(&c.Sync.PollInterval, "poll-interval", "SYNC_POLL_INTERVAL", 5*time.Second, "Odoo poll interval")
	dur(&c.Sync.Overlap, "poll-overlap", "SYNC_POLL_OVERLAP", 5*time.Minute, "re-read window for late-committed Odoo transactions")
	dur(&c.Sync.Debounce, "debounce", "SYNC_DEBOUNCE", 2*time.Second, "profile changes are coalesced for this long")
	dur(&c.Sync.IdleTimeout, "idle-timeout", "SYNC_IDLE_TIMEOUT", 10*time.Minute, "a customer workflow compacts its history (continue-as-new) after this long without work")
	integer(&c.Sync.IndexShards, "index-shards", "SYNC_INDEX_SHARDS", 64, "partner index shards (the same on every worker, fixed for a deployment; about 20,000 partners each)")
	dur(&c.Sync.IndexSweep, "index-sweep", "SYNC_INDEX_SWEEP", 15*time.Minute, "how often the partner index looks for partners deleted in Odoo")
	var vip, rates string
	str(&vip, "vip-tags", "SYNC_VIP_TAGS", "VIP", "comma-separated Odoo tag names that set IS_VIP")
	secrets.define(&c.Sync.IDSecret, "id-secret", "SYNC_ID_SECRET", "secret for customer workflow IDs (same on every worker and starter)")
	secrets.define(&c.Sync.WebhookSecret, "webhook-secret", "SYNC_WEBHOOK_SECRET", "token Odoo webhooks must carry (?token=...); empty disables the receiver")
	str(&c.Sync.InitialLoad, "initial-load", "SYNC_INITIAL_LOAD", "backfill", "first start: backfill (bulk-load existing customers, poll from now) or poll (poll all history)")
	str(&c.Sync.Currency, "currency", "SYNC_CURRENCY", "EUR", "reporting currency of TOTAL_SPENT and AVG_ORDER")
	str(&rates, "currency-rates", "SYNC_CURRENCY_RATES", "EUR=1,USD=0.92,GBP=1.17,CHF=1.05", "CODE=RATE into the reporting currency")
	dur(&c.Sync.ReconcileInterval, "reconcile-interval", "SYNC_RECONCILE_INTERVAL", 24*time.Hour, "how often the reconciliation schedule runs (0 disables it)")
	reconcileHeal := true // default on: resyncs are the lowest priority work
	if v := getenv("SYNC_RECONCILE_HEAL"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("SYNC_RECONCILE_HEAL=%q is not a boolean", v))
		}
		reconcileHeal = b
	}
	fs.BoolVar(&c.Sync.ReconcileHeal, "reconcile-heal", reconcileHeal, "scheduled reconciliations resync each healable difference ($SYNC_RECONCILE_HEAL)")
	str(&c.Sync.ReportDir, "report-dir", "SYNC_REPORT_DIR", "", "reconciliation reports (default <SYNC_DATA_DIR>/reports)")

	dur(&c.Lag.Orders, "lag-orders", "SYNC_LAG_ORDERS", 5*time.Minute, "order sync lag alert threshold")
	dur(&c.Lag.Profiles, "lag-profiles", "SYNC_LAG_PROFILES", 30*time.Minute, "profile sync lag alert threshold")
	dur(&c.Lag.Interval, "lag-interval", "SYNC_LAG_INTERVAL", time.Minute, "how often the lag monitor runs")
	secrets.define(&c.Lag.AlertWebhook, "alert-webhook", "SYNC_ALERT_WEBHOOK_URL", "Slack-compatible webhook for lag alerts")

	str(&c.HTTPAddr, "http-addr", "SYNC_HTTP_ADDR", "127.0.0.1:8080", "address of /metrics, /healthz, /readyz and /webhooks/odoo")
	str(&c.LogLevel, "log-level", "SYNC_LOG_LEVEL", "info", "debug, info, warn or error")
	str(&c.LogFormat, "log-format", "SYNC_LOG_FORMAT", "text", "text or json")
	fs.BoolVar(&c.Demo, "demo", false, "start both emulators with seeded data and simulated shop traffic")

	if len(errs) > 0 {
		return nil, nil, errs[0]
	}
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	if err := secrets.resolve(logger); err != nil {
		return nil, nil, err
	}
	var err error
	c.Dotdigital.Lists = splitList(lists)
	if c.Dotdigital.TagLists, err = parsePairs("DOTDIGITAL_TAG_LISTS", tagLists); err != nil {
		return nil, nil, err
	}
	c.Sync.VIPTags = splitList(vip)
	rateStrings, err := parsePairs("SYNC_CURRENCY_RATES", rates)
	if err != nil {
		return nil, nil, err
	}
	c.Sync.CurrencyRates = map[string]float64{}
	for code, s := range rateStrings {
		r, err := strconv.ParseFloat(s, 64)
		if err != nil || r <= 0 {
			return nil, nil, fmt.Errorf("SYNC_CURRENCY_RATES: rate %q of %s is not a positive number", s, code)
		}
		c.Sync.CurrencyRates[strings.ToUpper(code)] = r
	}
	return c, fs.Args(), nil
}

// Validate checks what must be set for the chosen mode. Demo mode fills the
// Odoo and Dotdigital settings itself, so call it after that.
func (c *Config) Validate() error {
	required := []struct{ name, value string }{
		{"ODOO_URL", c.Odoo.URL}, {"ODOO_DB", c.Odoo.DB}, {"ODOO_LOGIN", c.Odoo.Login},
		{"ODOO_API_KEY", c.Odoo.APIKey}, {"DOTDIGITAL_API_USER", c.Dotdigital.APIUser},
		{"DOTDIGITAL_API_PASSWORD", c.Dotdigital.APIPassword},
	}
	for _, r := range required {
		if strings.TrimSpace(r.value) == "" {
			return fmt.Errorf("%s is required (or run with --demo to use the built-in emulators)", r.name)
		}
	}
	urls := []struct {
		name, value string
		secret      bool // shown redacted in the error
	}{
		{"ODOO_URL", c.Odoo.URL, false}, {"DOTDIGITAL_ENDPOINT", c.Dotdigital.Endpoint, false},
		{"DOTDIGITAL_DISCOVERY_URL", c.Dotdigital.DiscoveryURL, false}, {"SYNC_ALERT_WEBHOOK_URL", c.Lag.AlertWebhook, true},
	}
	for _, u := range urls {
		if u.value == "" {
			continue
		}
		p, err := url.Parse(u.value)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			shown := u.value
			if u.secret {
				shown = redactURL(u.value)
			}
			return fmt.Errorf("%s=%q is not an http(s) URL", u.name, shown)
		}
	}
	switch {
	case c.Sync.PollInterval <= 0:
		return errors.New("SYNC_POLL_INTERVAL must be positive")
	case c.Dotdigital.TasksPerSecond <= 0:
		return errors.New("DOTDIGITAL_TASKS_PER_SECOND must be positive")
	case c.Dotdigital.Concurrency <= 0:
		return errors.New("DOTDIGITAL_CONCURRENCY must be positive")
	case c.Odoo.Concurrency <= 0:
		return errors.New("ODOO_CONCURRENCY must be positive")
	case c.Dotdigital.ContactBatch < 1 || c.Dotdigital.ContactBatch > 5000:
		return errors.New("DOTDIGITAL_CONTACT_BATCH must be between 1 and 5000")
	case c.Dotdigital.OrderBatch < 1 || c.Dotdigital.OrderBatch > 5000:
		return errors.New("DOTDIGITAL_ORDER_BATCH must be between 1 and 5000")
	case c.Dotdigital.LaneShards < 1 || c.Dotdigital.LaneShards > 64:
		return errors.New("SYNC_LANE_SHARDS must be between 1 and 64")
	case c.Sync.IndexShards < 1 || c.Sync.IndexShards > 4096:
		return errors.New("SYNC_INDEX_SHARDS must be between 1 and 4096")
	case c.Sync.IndexSweep <= 0:
		return errors.New("SYNC_INDEX_SWEEP must be positive")
	case c.Temporal.Namespace == "":
		return errors.New("TEMPORAL_NAMESPACE must not be empty")
	case c.Temporal.Address != "" && c.Sync.IDSecret == "":
		return errors.New("SYNC_ID_SECRET is required with an external Temporal cluster (the same on every worker and starter)")
	case (c.Temporal.TLSCert == "") != (c.Temporal.TLSKey == ""):
		return errors.New("TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together")
	}
	if c.Sync.InitialLoad != "backfill" && c.Sync.InitialLoad != "poll" {
		return fmt.Errorf("SYNC_INITIAL_LOAD=%q is not backfill or poll", c.Sync.InitialLoad)
	}
	if _, ok := c.Sync.CurrencyRates[strings.ToUpper(c.Sync.Currency)]; !ok {
		return fmt.Errorf("SYNC_CURRENCY=%s has no rate in SYNC_CURRENCY_RATES", c.Sync.Currency)
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func parsePairs(name, s string) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range splitList(s) {
		k, v, ok := strings.Cut(p, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("%s: %q is not KEY=VALUE", name, p)
		}
		out[k] = v
	}
	return out, nil
}

// SortedKeys returns the keys of m in order (deterministic output and workflow inputs).
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
