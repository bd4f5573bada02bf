package activities

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/lag"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
)

// SendAlert logs a lag alert, counts it (sync_lag_alerts{group,kind}) and
// posts it as a Slack-compatible message to the configured webhook.
// Network errors, 429 and 5xx answers are retried by Temporal; any other 4xx
// means the webhook or the message is wrong, and is not retried. Neither the
// webhook URL (a credential) nor personal data reach logs or errors.
func (o *Ops) SendAlert(ctx context.Context, a lag.Alert) error {
	if !activity.IsActivity(ctx) || activity.GetInfo(ctx).Attempt <= 1 {
		o.logAlert(ctx, a)
	}
	if o.webhook == "" {
		return nil
	}
	body, err := lag.SlackBody(a)
	if err != nil {
		return temporal.NewNonRetryableApplicationError("encode alert: "+err.Error(), names.ErrNonRetryable, nil)
	}
	pctx, cancel := context.WithTimeout(ctx, alertTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(pctx, http.MethodPost, o.webhook, bytes.NewReader(body))
	if err != nil {
		return temporal.NewNonRetryableApplicationError("alert webhook: invalid URL", names.ErrNonRetryable, nil)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := o.http.Do(req)
	if err != nil {
		return temporal.NewApplicationError("alert webhook: "+webhookError(err), names.ErrTransient)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	status := strconv.Itoa(resp.StatusCode)
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode >= 500:
		opts := temporal.ApplicationErrorOptions{}
		if d, ok := webhookRetryAfter(resp.Header.Get("Retry-After")); ok {
			opts.NextRetryDelay = d
		}
		return temporal.NewApplicationErrorWithOptions("alert webhook answered "+status, names.ErrTransient, opts)
	}
	return temporal.NewNonRetryableApplicationError("alert webhook answered "+status+" (check SYNC_ALERT_WEBHOOK_URL)", names.ErrNonRetryable, nil)
}

func (o *Ops) logAlert(ctx context.Context, a lag.Alert) {
	level := slog.LevelWarn
	if a.Kind == lag.KindResolved {
		level = slog.LevelInfo
	}
	o.logger.Log(ctx, level, "sync lag alert", "kind", a.Kind, "group", a.Group, "lag", lag.Round(a.Lag).String(),
		"threshold", a.Threshold.String(), "since", a.Since.UTC().Format(time.RFC3339), "peak", lag.Round(a.Peak).String(), "detail", a.Detail)
	if o.alerts != nil {
		o.alerts.Add(ctx, 1, metric.WithAttributes(attribute.String("group", a.Group), attribute.String("kind", a.Kind)))
	}
}

// webhookError returns a client error's cause without the request URL, which
// for Slack webhooks is a credential.
func webhookError(err error) string {
	var u *url.Error
	if errors.As(err, &u) {
		if u.Timeout() {
			return "timed out"
		}
		return u.Err.Error()
	}
	return err.Error()
}

// retryAfter parses a Retry-After header given in seconds.
func webhookRetryAfter(v string) (time.Duration, bool) {
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, false
	}
	return min(time.Duration(n)*time.Second, 10*time.Minute), true
}
