package odoo

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"
)

const (
	// DefaultTimeout bounds one XML-RPC call. Odoo kills a request after
	// --limit-time-real (120 s by default), so waiting longer is pointless.
	DefaultTimeout = 120 * time.Second
	// DefaultAuthCoolOff is how long the client fails fast after Odoo refused
	// the credentials, before it tries once more. Odoo locks an IP out after
	// 5 failures in 60 s; one attempt per two minutes per process stays clear.
	DefaultAuthCoolOff = 2 * time.Minute
	// DefaultBatchSize is how many ids go into one read/search call.
	DefaultBatchSize = 500
	// DefaultUserAgent is sent with every request.
	DefaultUserAgent = "odoo-dotdigital-sync"

	tracerName = "github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/odoo"
)

// Config configures a Client. URL, DB, Login and APIKey are required.
type Config struct {
	// URL is the Odoo base URL, e.g. https://mycompany.odoo.com (no /xmlrpc path).
	URL string
	// DB is the database name.
	DB string
	// Login is the API user's login.
	Login string
	// APIKey is the user's API key (or password). It is sent in every call
	// and never appears in errors, logs or spans.
	APIKey string
	// Timeout bounds each remote call. Default DefaultTimeout.
	Timeout time.Duration
	// HTTPClient sends the requests. Default: a client with its own transport.
	HTTPClient *http.Client
	// TracerProvider makes the spans. Default: the global provider.
	TracerProvider trace.TracerProvider
	// Logger receives authentication events and debug lines (no personal
	// data, no credentials). Default: discard.
	Logger *slog.Logger
	// AuthCoolOff is how long to fail fast after an authentication failure.
	// Default DefaultAuthCoolOff.
	AuthCoolOff time.Duration
	// BatchSize caps the ids per read/search call. Default DefaultBatchSize.
	BatchSize int
	// UserAgent is sent with every request. Default DefaultUserAgent.
	UserAgent string
}

func (cfg Config) validate() (*url.URL, error) {
	var missing []string
	for _, f := range []struct{ name, val string }{{"URL", cfg.URL}, {"DB", cfg.DB}, {"Login", cfg.Login}, {"APIKey", cfg.APIKey}} {
		if strings.TrimSpace(f.val) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return nil, errors.New("odoo: config is missing " + strings.Join(missing, ", "))
	}
	u, err := url.Parse(strings.TrimSpace(cfg.URL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("odoo: config URL must be an absolute http(s) URL")
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.Path = strings.TrimSuffix(u.Path, "/xmlrpc/2")
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

func defaultHTTPClient() *http.Client {
	t, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return &http.Client{}
	}
	t = t.Clone()
	t.MaxIdleConnsPerHost = 8
	return &http.Client{Transport: t}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
