package odooemu

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure an Emulator. The zero value is a usable Odoo 17.
type Options struct {
	DB, Login, Password string   // defaults "odoo", "admin", "admin"
	APIKeys             []string // accepted in the password slot as well as Password
	Version             int      // 16, 17 or 18 (default 17)
	SeedCustomers       int      // 0 = only base records
	Seed                int64    // deterministic seed for the generator
	// SeedEnd is the newest create/write time the generator uses; seeded
	// records spread over the year before it (default: now, to the minute).
	SeedEnd time.Time
	Latency time.Duration // added to every RPC
	// FaultRate is the fraction of object calls that fail transiently: half
	// answer Fault 1 (serialization failure), a quarter HTTP 502, a quarter
	// HTTP 503. SetFaults gives finer control.
	FaultRate  float64
	WebhookURL string // POST like Odoo 17+ "Send Webhook Notification" on create/write of res.partner and sale.order
	// WebhookTiming is "precommit" (sent inside the transaction, before the
	// change is visible: 17) or "postcommit" (after commit). Default: 17
	// precommit, 18 postcommit. Odoo 16 has no webhooks.
	WebhookTiming string
	// WebhookFields overrides the fields sent per model (read with load=None).
	WebhookFields map[string][]string
	// LoginCooldownAfter failures from one source within
	// LoginCooldownDuration lock it out (Odoo: 5 and 60 s). 0 keeps the
	// default; a negative value disables the cooldown.
	LoginCooldownAfter    int
	LoginCooldownDuration time.Duration
	// AutoDone emulates sale.group_auto_done_setting: confirmed orders become
	// 'done' (16) or locked (17+).
	AutoDone bool
	// Now replaces the wall clock (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

// Faults sets the fractions (0..1) of object calls that misbehave.
type Faults struct {
	OperationalError float64       // Fault 1 with a psycopg2 SerializationFailure traceback; nothing applied
	BadGateway       float64       // HTTP 502 from a proxy; nothing applied
	Unavailable      float64       // HTTP 503; nothing applied
	Slow             float64       // answered after SlowDelay (the call is applied)
	SlowDelay        time.Duration // default 2 s
	Timeout          float64       // held until the client gives up or TimeoutAfter passes, then HTTP 504; nothing applied
	TimeoutAfter     time.Duration // default 60 s
}

// config holds the knobs that change at run time.
type config struct {
	mu       sync.Mutex
	latency  time.Duration
	faults   Faults
	rng      *rand.Rand
	autoDone bool
}

// Emulator is an in-memory Odoo server speaking XML-RPC.
type Emulator struct {
	opts  Options
	log   *slog.Logger
	clk   *clock
	conf  *config
	s     *store
	auth  *authState
	hooks *webhookSender
	calls sync.Map // "model.method" -> *atomic.Int64

	mu  sync.Mutex
	srv *http.Server
	url string
}

// New builds an emulator with base records and, if asked, seeded customers.
func New(opts Options) (*Emulator, error) {
	if opts.DB == "" {
		opts.DB = "odoo"
	}
	if opts.Login == "" {
		opts.Login = "admin"
	}
	if opts.Password == "" {
		opts.Password = "admin"
	}
	if opts.Version == 0 {
		opts.Version = 17
	}
	if opts.Version < 16 || opts.Version > 18 {
		return nil, fmt.Errorf("odooemu: unsupported version %d (16, 17 or 18)", opts.Version)
	}
	if opts.FaultRate < 0 || opts.FaultRate > 1 {
		return nil, errors.New("odooemu: FaultRate must be within 0..1")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	switch opts.WebhookTiming {
	case "":
		opts.WebhookTiming = "precommit"
		if opts.Version >= 18 {
			opts.WebhookTiming = "postcommit"
		}
	case "precommit", "postcommit":
	default:
		return nil, fmt.Errorf("odooemu: WebhookTiming %q (precommit or postcommit)", opts.WebhookTiming)
	}
	if opts.LoginCooldownAfter == 0 {
		opts.LoginCooldownAfter = 5
	}
	if opts.LoginCooldownDuration == 0 {
		opts.LoginCooldownDuration = 60 * time.Second
	}
	e := &Emulator{opts: opts, log: opts.Logger, clk: newClock(opts.Now)}
	e.conf = &config{latency: opts.Latency, rng: rand.New(rand.NewPCG(uint64(opts.Seed), 0x0d00)), autoDone: opts.AutoDone}
	e.conf.faults = Faults{OperationalError: opts.FaultRate / 2, BadGateway: opts.FaultRate / 4, Unavailable: opts.FaultRate / 4}
	e.s = newStore(opts.Version, e.clk, e.conf)
	e.s.defineModels()
	keys := map[string]bool{}
	for _, k := range opts.APIKeys {
		if k != "" {
			keys[k] = true
		}
	}
	e.auth = &authState{login: opts.Login, password: opts.Password, keys: keys, uid: adminUID,
		after: max(opts.LoginCooldownAfter, 0), window: opts.LoginCooldownDuration,
		failures: map[string]failure{}, ok: map[authKey]bool{}, now: e.clk.now}
	if err := e.s.loadBaseData(e.clk.now(), opts.Login); err != nil {
		return nil, err
	}
	if opts.WebhookURL != "" {
		if opts.Version < 17 {
			e.log.Warn("webhooks need Odoo 17 or later; WebhookURL ignored", "version", opts.Version)
		} else {
			e.hooks = newWebhookSender(opts.WebhookURL, opts.WebhookFields, e.log)
		}
	}
	if opts.SeedCustomers > 0 {
		end := opts.SeedEnd
		if end.IsZero() {
			end = e.clk.now().Truncate(time.Minute)
		}
		if _, err := e.seed(opts.SeedCustomers, opts.Seed, end); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// Handler serves /xmlrpc/2/{common,object,db} and the legacy /xmlrpc/ routes.
func (e *Emulator) Handler() http.Handler { return http.HandlerFunc(e.serveHTTP) }

// Start listens on addr ("127.0.0.1:0" picks a free port) and serves in the
// background.
func (e *Emulator) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: e.Handler(), ReadHeaderTimeout: 10 * time.Second}
	e.mu.Lock()
	e.srv = srv
	e.url = "http://" + ln.Addr().String()
	e.mu.Unlock()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			e.log.Error("odoo emulator stopped", "err", err)
		}
	}()
	return nil
}

// URL is the base URL once started, e.g. "http://127.0.0.1:8069".
func (e *Emulator) URL() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.url
}

// Close stops the server, waiting up to 5 s for calls in flight.
func (e *Emulator) Close() error {
	e.mu.Lock()
	srv := e.srv
	e.srv = nil
	e.mu.Unlock()
	if srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		return srv.Close()
	}
	return nil
}

// Version is the emulated major version.
func (e *Emulator) Version() int { return e.opts.Version }

// DB is the database name clients must send.
func (e *Emulator) DB() string { return e.opts.DB }

// AdminUID is the uid that authenticate returns (2, as in Odoo).
func (e *Emulator) AdminUID() int64 { return adminUID }

// Now is the server clock (write_date of a transaction started now).
func (e *Emulator) Now() time.Time { return e.clk.now() }

// SetNow freezes the server clock at t; calls then share one timestamp
// until Advance or another SetNow (many writes in one second).
func (e *Emulator) SetNow(t time.Time) { e.clk.set(t) }

// Advance moves the (frozen or running) clock forward by d.
func (e *Emulator) Advance(d time.Duration) { e.clk.advance(d) }

// UseRealClock returns to the wall clock without offset.
func (e *Emulator) UseRealClock() { e.clk.unfreeze() }

// SetLatency changes the delay added to every RPC.
func (e *Emulator) SetLatency(d time.Duration) {
	e.conf.mu.Lock()
	defer e.conf.mu.Unlock()
	e.conf.latency = d
}

// SetFaults replaces the injected fault mix (zero value: no faults).
func (e *Emulator) SetFaults(f Faults) {
	e.conf.mu.Lock()
	defer e.conf.mu.Unlock()
	e.conf.faults = f
}

// SetLoginCooldown changes base.login_cooldown_after/_duration; after <= 0
// disables the cooldown. Failure counters are reset.
func (e *Emulator) SetLoginCooldown(after int, window time.Duration) {
	e.auth.setCooldown(after, window)
}

// SetAutoDone toggles sale.group_auto_done_setting.
func (e *Emulator) SetAutoDone(on bool) {
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	e.conf.autoDone = on
}

// Calls returns the number of calls per "model.method" (object service)
// and "common.method" / "db.method", failed ones included.
func (e *Emulator) Calls() map[string]int64 {
	out := map[string]int64{}
	e.calls.Range(func(k, v any) bool {
		out[k.(string)] = v.(*atomic.Int64).Load()
		return true
	})
	return out
}

// CallCount is the number of calls of model.method so far.
func (e *Emulator) CallCount(model, method string) int64 {
	if v, ok := e.calls.Load(model + "." + method); ok {
		return v.(*atomic.Int64).Load()
	}
	return 0
}

// ResetCalls zeroes the call counters.
func (e *Emulator) ResetCalls() { e.calls.Clear() }

func (e *Emulator) count(key string) {
	v, ok := e.calls.Load(key)
	if !ok {
		v, _ = e.calls.LoadOrStore(key, new(atomic.Int64))
	}
	v.(*atomic.Int64).Add(1)
}

// RecordCount is the number of committed records of a model (archived
// included), for tests and progress output.
func (e *Emulator) RecordCount(model string) int {
	e.s.mu.RLock()
	defer e.s.mu.RUnlock()
	m := e.s.models[model]
	if m == nil {
		return 0
	}
	n := 0
	for id := range m.rowOf {
		if p, ok := m.pending[id]; !ok || p.shadow >= 0 {
			n++
		}
	}
	for _, p := range m.pending {
		if p.deleted && p.shadow >= 0 {
			n++
		}
	}
	return n
}
