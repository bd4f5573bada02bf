package config

import (
	"fmt"
	"log/slog"
	"net/url"
)

// masked replaces a secret that is set.
const masked = "***"

// Redacted returns a copy that is safe to log: the secrets are "***" and the
// alert webhook URL keeps only its scheme and host (the rest of a Slack
// webhook URL is its credential).
func (c Config) Redacted() Config {
	mask := func(s *string) {
		if *s != "" {
			*s = masked
		}
	}
	mask(&c.Odoo.APIKey)
	mask(&c.Dotdigital.APIPassword)
	mask(&c.Temporal.APIKey)
	mask(&c.Sync.IDSecret)
	mask(&c.Sync.WebhookSecret)
	c.Lag.AlertWebhook = redactURL(c.Lag.AlertWebhook)
	return c
}

// printable is Config without its methods, so that printing it does not
// call String or LogValue again.
type printable Config

// LogValue makes a Config logged by slog (as itself or as a pointer) its
// redacted form, rendered as before: %+v by text handlers, JSON by JSON ones.
func (c Config) LogValue() slog.Value { return slog.AnyValue(printable(c.Redacted())) }

// String makes fmt's %v and %+v print the redacted form.
func (c Config) String() string { return fmt.Sprintf("%+v", printable(c.Redacted())) }

// GoString makes fmt's %#v print the redacted form.
func (c Config) GoString() string { return fmt.Sprintf("%#v", printable(c.Redacted())) }

// redactURL keeps the scheme and host of a URL that has any: enough to tell
// which service it points at.
func redactURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return masked
	}
	return u.Scheme + "://" + u.Host + "/" + masked
}
