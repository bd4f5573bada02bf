package odoo

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"
)

// Client talks XML-RPC to one Odoo database as one user. It is safe for
// concurrent use. It authenticates lazily, once, on the first call.
type Client struct {
	base      string // scheme://host[/prefix], no trailing slash
	host      string // for span attributes
	db, login string
	key       string
	timeout   time.Duration
	coolOff   time.Duration
	batch     int
	userAgent string
	http      *http.Client
	tracer    trace.Tracer
	log       *slog.Logger
	now       func() time.Time

	mu      sync.Mutex
	sess    *session
	flight  *authFlight
	authErr *AuthError

	fieldsMu sync.Mutex
	fields   map[string]map[string]bool // model -> fields the server has
}

type session struct {
	uid     int64
	version Version
}

// authFlight is one authentication in progress; concurrent first calls wait
// for it instead of authenticating again.
type authFlight struct {
	done chan struct{}
	sess *session
	err  error
}

// New checks the configuration and returns a Client. It does no I/O.
func New(cfg Config) (*Client, error) {
	u, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	c := &Client{
		base:      u.String(),
		host:      u.Host,
		db:        cfg.DB,
		login:     cfg.Login,
		key:       cfg.APIKey,
		timeout:   cfg.Timeout,
		coolOff:   cfg.AuthCoolOff,
		batch:     cfg.BatchSize,
		userAgent: cfg.UserAgent,
		http:      cfg.HTTPClient,
		log:       cfg.Logger,
		now:       time.Now,
		fields:    map[string]map[string]bool{},
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.coolOff <= 0 {
		c.coolOff = DefaultAuthCoolOff
	}
	if c.batch <= 0 {
		c.batch = DefaultBatchSize
	}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	if c.http == nil {
		c.http = defaultHTTPClient()
	}
	if c.log == nil {
		c.log = discardLogger()
	}
	tp := cfg.TracerProvider
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	c.tracer = tp.Tracer(tracerName)
	return c, nil
}

// Version authenticates if needed and returns the server version detected
// through common.version().
func (c *Client) Version(ctx context.Context) (Version, error) {
	s, err := c.session(ctx)
	if err != nil {
		return Version{}, err
	}
	return s.version, nil
}

// UID authenticates if needed and returns the API user's id.
func (c *Client) UID(ctx context.Context) (int64, error) {
	s, err := c.session(ctx)
	if err != nil {
		return 0, err
	}
	return s.uid, nil
}

// session returns the cached session, or authenticates once for all
// concurrent callers. After a refusal it returns the same *AuthError until
// the cool-off has passed.
func (c *Client) session(ctx context.Context) (*session, error) {
	c.mu.Lock()
	if s := c.sess; s != nil {
		c.mu.Unlock()
		return s, nil
	}
	if e := c.authErr; e != nil && c.now().Before(e.RetryAfter) {
		c.mu.Unlock()
		return nil, e
	}
	f := c.flight
	if f == nil {
		f = &authFlight{done: make(chan struct{})}
		c.flight = f
		// Detached from the caller's cancellation: other callers share the
		// result, and a half-done login must not be retried at once.
		go c.authenticate(context.WithoutCancel(ctx), f)
	}
	c.mu.Unlock()
	select {
	case <-f.done:
		return f.sess, f.err
	case <-ctx.Done():
		return nil, &TransportError{Op: "common.authenticate", Err: ctx.Err()}
	}
}

func (c *Client) authenticate(ctx context.Context, f *authFlight) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	sess, err := c.signIn(ctx)

	c.mu.Lock()
	c.flight = nil
	var ae *AuthError
	switch {
	case err == nil:
		c.sess, c.authErr = sess, nil
	case errors.As(err, &ae):
		c.authErr = ae
	}
	c.mu.Unlock()

	switch {
	case err == nil:
		c.log.Info("odoo: authenticated", "host", c.host, "uid", sess.uid, "version", sess.version.String())
	case ae != nil:
		c.log.Warn("odoo: authentication refused; failing fast until cool-off ends", "host", c.host, "reason", ae.Reason, "retry_after", ae.RetryAfter)
	default:
		c.log.Warn("odoo: authentication did not complete", "host", c.host, "class", ClassOf(err).String())
	}
	f.sess, f.err = sess, err
	close(f.done)
}

// signIn runs common.version() then common.authenticate().
func (c *Client) signIn(ctx context.Context) (*session, error) {
	raw, err := c.rpc(ctx, "common", "version", nil, callInfo{})
	if err != nil {
		return nil, err
	}
	ver, err := versionFromInfo(raw)
	if err != nil {
		return nil, &RequestError{Op: "common.version", Reason: err.Error()}
	}
	res, err := c.rpc(ctx, "common", "authenticate", []any{c.db, c.login, c.key, map[string]any{}}, callInfo{})
	if err != nil {
		var f *Fault
		if errors.As(err, &f) && f.Code == 3 {
			return nil, c.newAuthError(f.Message, f)
		}
		return nil, err
	}
	switch v := res.(type) {
	case int64:
		if v > 0 {
			return &session{uid: v, version: ver}, nil
		}
	case bool:
		if !v {
			return nil, c.newAuthError("authenticate returned False (wrong database, login or key, or inactive user)", nil)
		}
	}
	return nil, &RequestError{Op: "common.authenticate", Reason: "unexpected reply type"}
}

func (c *Client) newAuthError(reason string, f *Fault) *AuthError {
	return &AuthError{Reason: reason, Fault: f, RetryAfter: c.now().Add(c.coolOff)}
}

// rejectSession handles Fault 3 on an object call (key revoked or expired,
// user archived): drop the session and fail fast like a refused login.
func (c *Client) rejectSession(f *Fault) *AuthError {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.authErr; e != nil && c.now().Before(e.RetryAfter) {
		return e
	}
	e := c.newAuthError(f.Message, f)
	c.sess, c.authErr = nil, e
	c.log.Warn("odoo: credentials refused on a call; failing fast until cool-off ends", "host", c.host, "retry_after", e.RetryAfter)
	return e
}
