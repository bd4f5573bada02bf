package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/lag"
)

// alertReceiver is a Slack-like webhook answering with status.
type alertReceiver struct {
	mu     sync.Mutex
	status int
	bodies []map[string]any
	srv    *httptest.Server
}

func newAlertReceiver(t *testing.T, status int) *alertReceiver {
	w := &alertReceiver{status: status}
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var body map[string]any
		raw, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(raw, &body)
		w.mu.Lock()
		w.bodies = append(w.bodies, body)
		st := w.status
		w.mu.Unlock()
		if r.Header.Get("Content-Type") != "application/json" {
			st = http.StatusUnsupportedMediaType
		}
		rw.WriteHeader(st)
		_, _ = rw.Write([]byte("ok"))
	}))
	t.Cleanup(w.srv.Close)
	return w
}

// secretURL is the webhook URL with a path that must never be shown.
func (w *alertReceiver) secretURL() string {
	return w.srv.URL + "/services/T000/B000/very-secret-token"
}

var firingAlert = lag.Alert{Kind: lag.KindFiring, Group: lag.GroupOrders, Lag: 7 * time.Minute, Peak: 7 * time.Minute, Threshold: 5 * time.Minute,
	Since: time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC), At: time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC), Detail: "order backlog: oldest unacknowledged change is 7m0s old"}

func opsPostingTo(url string, logs *bytes.Buffer) *Ops {
	return NewOps(Deps{Logger: slog.New(slog.NewTextHandler(logs, nil))}, OpsOptions{AlertWebhook: url})
}

func TestSendAlertPostsSlackBody(t *testing.T) {
	w := newAlertReceiver(t, http.StatusOK)
	var logs bytes.Buffer
	require.NoError(t, opsPostingTo(w.secretURL(), &logs).SendAlert(context.Background(), firingAlert))
	require.Len(t, w.bodies, 1)
	text, _ := w.bodies[0]["text"].(string)
	assert.True(t, strings.HasPrefix(text, "[FIRING] orders: "), text)
	assert.NotEmpty(t, w.bodies[0]["blocks"])
	assert.Contains(t, logs.String(), "sync lag alert")
	assert.Contains(t, logs.String(), "group=orders")
	assert.NotContains(t, logs.String(), "very-secret-token")
}

func TestSendAlertRetriesServerErrorsOnly(t *testing.T) {
	for _, tc := range []struct {
		status       int
		nonRetryable bool
	}{{500, false}, {503, false}, {429, false}, {400, true}, {404, true}, {410, true}} {
		w := newAlertReceiver(t, tc.status)
		var logs bytes.Buffer
		err := opsPostingTo(w.secretURL(), &logs).SendAlert(context.Background(), firingAlert)
		require.Error(t, err, "status %d", tc.status)
		var appErr *temporal.ApplicationError
		require.True(t, errors.As(err, &appErr), "status %d: %v", tc.status, err)
		assert.Equal(t, tc.nonRetryable, appErr.NonRetryable(), "status %d", tc.status)
		assert.NotContains(t, err.Error(), "very-secret-token")
	}
}

func TestSendAlertNetworkErrorHidesURL(t *testing.T) {
	w := newAlertReceiver(t, http.StatusOK)
	url := w.secretURL()
	w.srv.Close()
	var logs bytes.Buffer
	err := opsPostingTo(url, &logs).SendAlert(context.Background(), firingAlert)
	require.Error(t, err)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr))
	assert.False(t, appErr.NonRetryable())
	assert.NotContains(t, err.Error(), "very-secret-token")
	assert.NotContains(t, err.Error(), "/services/")
}

func TestSendAlertWithoutWebhookOnlyLogs(t *testing.T) {
	var logs bytes.Buffer
	require.NoError(t, opsPostingTo("", &logs).SendAlert(context.Background(), firingAlert))
	assert.Contains(t, logs.String(), "level=WARN")
	resolved := firingAlert
	resolved.Kind = lag.KindResolved
	logs.Reset()
	require.NoError(t, opsPostingTo("", &logs).SendAlert(context.Background(), resolved))
	assert.Contains(t, logs.String(), "level=INFO")
	assert.Contains(t, logs.String(), "kind=resolved")
}
