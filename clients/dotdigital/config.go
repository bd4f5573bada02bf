package dotdigital

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"
)

const (
	// DefaultDiscoveryURL is the host that answers account-info for every
	// region (reference §1).
	DefaultDiscoveryURL = "https://r1-api.dotdigital.com"
	// DefaultTimeout is the per-call timeout Dotdigital recommends (reference §1: 121 s).
	DefaultTimeout = 121 * time.Second
	// DefaultUserAgent is sent when Config.UserAgent is empty.
	DefaultUserAgent = "odoo-dotdigital-sync"

	tracerName = "github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/dotdigital"
)

// Config configures a Client. Only APIUser and APIPassword are required.
type Config struct {
	APIUser     string
	APIPassword string
	// Endpoint is the regional API base URL (e.g. https://r2-api.dotdigital.com).
	// When set, region discovery is skipped and a 403 is returned as is.
	Endpoint string
	// DiscoveryURL is where GET /v2/account-info is called to learn the
	// account's endpoint. Default DefaultDiscoveryURL.
	DiscoveryURL string
	// Timeout bounds each HTTP call (not a whole paginated walk). Default DefaultTimeout.
	Timeout time.Duration
	// HTTPClient is used for every call; default is a client with its own
	// transport (no shared global connection pool).
	HTTPClient *http.Client
	// TracerProvider makes the spans; default is the global provider.
	TracerProvider trace.TracerProvider
	// Logger receives debug lines per call (no personal data); default discards.
	Logger *slog.Logger
	// UserAgent is sent on every call. Default DefaultUserAgent.
	UserAgent string
	// OnRateLimit, when set, is called synchronously with every rate-limit
	// observation (every response that carries X-RateLimit-* headers), so a
	// caller can slow down before the budget runs out. It must be quick and
	// safe for concurrent use.
	OnRateLimit func(RateStatus)
}

// Client talks to one Dotdigital account. It is safe for concurrent use.
type Client struct {
	user, password string
	discoveryURL   string
	staticEndpoint bool
	timeout        time.Duration
	httpClient     *http.Client
	tracer         trace.Tracer
	logger         *slog.Logger
	userAgent      string
	onRateLimit    func(RateStatus)

	endpoint *endpointCache
	limits   *rateTracker
	now      func() time.Time
}

// New validates cfg and returns a Client. It does no I/O.
func New(cfg Config) (*Client, error) {
	if strings.TrimSpace(cfg.APIUser) == "" {
		return nil, errors.New("dotdigital: APIUser is required")
	}
	if cfg.APIPassword == "" {
		return nil, errors.New("dotdigital: APIPassword is required")
	}
	if cfg.Timeout < 0 {
		return nil, errors.New("dotdigital: Timeout must not be negative")
	}
	c := &Client{
		user:        cfg.APIUser,
		password:    cfg.APIPassword,
		timeout:     cfg.Timeout,
		httpClient:  cfg.HTTPClient,
		logger:      cfg.Logger,
		userAgent:   cfg.UserAgent,
		onRateLimit: cfg.OnRateLimit,
		limits:      newRateTracker(),
		now:         time.Now,
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if c.httpClient == nil {
		c.httpClient = &http.Client{Transport: newTransport()}
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	tp := cfg.TracerProvider
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	c.tracer = tp.Tracer(tracerName)

	disc := cfg.DiscoveryURL
	if disc == "" {
		disc = DefaultDiscoveryURL
	}
	var err error
	if c.discoveryURL, err = cleanBaseURL(disc); err != nil {
		return nil, fmt.Errorf("dotdigital: DiscoveryURL: %w", err)
	}
	c.endpoint = &endpointCache{}
	if cfg.Endpoint != "" {
		ep, err := cleanBaseURL(cfg.Endpoint)
		if err != nil {
			return nil, fmt.Errorf("dotdigital: Endpoint: %w", err)
		}
		c.staticEndpoint = true
		c.endpoint.value = ep
	}
	return c, nil
}

// newTransport clones the default transport so that this client's pool and
// settings are its own; the sync talks to one host with many concurrent calls.
func newTransport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	return t
}

// cleanBaseURL accepts an absolute http(s) URL without query or fragment and
// returns it without trailing slashes.
func cleanBaseURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", errors.New("not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", errors.New("scheme must be http or https")
	}
	if u.Host == "" {
		return "", errors.New("host is missing")
	}
	if u.User != nil {
		return "", errors.New("credentials must not be part of the URL")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", errors.New("query and fragment are not allowed")
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// CloseIdleConnections closes the HTTP client's idle keep-alive connections
// (e.g. on shutdown). The Client stays usable.
func (c *Client) CloseIdleConnections() { c.httpClient.CloseIdleConnections() }

// String redacts the password so that printing a Config cannot leak it.
func (c Config) String() string {
	return fmt.Sprintf("dotdigital.Config{APIUser:%q, APIPassword:[redacted], Endpoint:%q, DiscoveryURL:%q, Timeout:%s}",
		c.APIUser, c.Endpoint, c.DiscoveryURL, c.Timeout)
}

// GoString is String for %#v.
func (c Config) GoString() string { return c.String() }

// LogValue keeps the password out of structured logs.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("api_user", c.APIUser),
		slog.String("endpoint", c.Endpoint),
		slog.String("discovery_url", c.DiscoveryURL),
		slog.Duration("timeout", c.Timeout),
	)
}
