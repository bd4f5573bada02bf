package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/dotdigital/ddemu"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/config"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/messages"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
)

// The plain "resync" signal with no payload is what the Web UI and
// `temporal workflow signal --name resync` send.
func TestResyncSignalFromUIOrCLI(t *testing.T) {
	s := startStack(t, stackOptions{})
	p := s.partner(map[string]any{"name": "Una Ui", "email": "una@example.com"})
	s.order(p, s.companies()[0], 1, true)
	s.waitFields("una@example.com", map[string]any{"ORDER_COUNT": 1.0})
	syncs := s.status("una@example.com").Syncs
	require.NoError(t, s.App.Client.SignalWorkflow(s.ctx, s.App.Hasher.CustomerID("una@example.com"), "", string(names.SignalResync), nil))
	s.eventually("a forced rewrite", syncTimeout, func() (bool, string) {
		st := s.status("una@example.com")
		return st.Syncs > syncs && st.State == names.StateOK, st.State
	})
}

// Suppressed contacts still get data updates; the sync never touches
// subscription status.
func TestSuppressedContactKeepsItsStatus(t *testing.T) {
	s := startStack(t, stackOptions{})
	p := s.partner(map[string]any{"name": "Sue Suppressed", "email": "sue@example.com"})
	s.order(p, s.companies()[0], 1, true)
	s.waitFields("sue@example.com", map[string]any{"ORDER_COUNT": 1.0})
	require.NoError(t, s.DD.Suppress("sue@example.com"))
	s.order(p, s.companies()[0], 1, true)
	s.waitFields("sue@example.com", map[string]any{"ORDER_COUNT": 2.0})
	info, ok := s.DD.Contact("sue@example.com")
	require.True(t, ok)
	require.Equal(t, "suppressed", info.Status)
	st := s.DD.Stats()
	require.Zero(t, st.ChannelStatusWrites, "no write carried a subscription status")
	require.Zero(t, st.Resubscribes)
}

// A partner without a valid email is not synced, and ops see it listed with
// the reason; fixing the email clears it and syncs the customer.
func TestSkippedPartnerIsReportedUntilFixed(t *testing.T) {
	s := startStack(t, stackOptions{})
	p := s.partner(map[string]any{"name": "Ivy Invalid", "email": "ivy(at)example.com"})
	s.order(p, s.companies()[0], 1, true)
	s.eventually("listed in the exceptions registry", syncTimeout, func() (bool, string) {
		v, err := s.App.Client.QueryWorkflow(s.ctx, names.ExceptionsWorkflowID, "", string(names.QueryExceptions))
		if err != nil {
			return false, err.Error()
		}
		var rep messages.SkippedReport
		require.NoError(t, v.Get(&rep))
		for _, e := range rep.Partners {
			if e.PartnerID == p {
				return e.Reason == "invalid_email", e.Reason
			}
		}
		return false, "not listed"
	})
	s.write("res.partner", p, map[string]any{"email": "ivy@example.com"})
	s.waitFields("ivy@example.com", map[string]any{"ORDER_COUNT": 1.0})
}

// The lag alert fires when Dotdigital is throttled hard, once, and clears
// when it recovers, with a Slack-compatible body on the webhook.
func TestLagAlertFiresAndClears(t *testing.T) {
	var mu sync.Mutex
	var alerts []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		// A request cut off by the server's shutdown at the end of the test
		// has no body; the alerts the test waits for are checked by text.
		if json.Unmarshal(b, &body) != nil {
			return
		}
		text, _ := body["text"].(string)
		mu.Lock()
		alerts = append(alerts, text)
		mu.Unlock()
	}))
	defer hook.Close()
	s := startStack(t, stackOptions{ddOptions: ddemu.Options{Window: 2 * time.Second}, configure: func(c *config.Config) {
		c.Lag.Interval = 2 * time.Second
		c.Lag.Orders = 6 * time.Second
		c.Lag.Profiles = 30 * time.Second
		c.Lag.AlertWebhook = hook.URL
	}})
	co := s.companies()[0]
	p := s.partner(map[string]any{"name": "Lara Lag", "email": "lara@example.com"})
	s.order(p, co, 1, true)
	s.waitFields("lara@example.com", map[string]any{"ORDER_COUNT": 1.0})

	// Throttle hard: almost no budget left for writes and imports.
	s.DD.SetLimits(map[ddemu.Tier]int{ddemu.TierLow: 1, ddemu.TierMedium: 1, ddemu.TierHigh: 10000})
	for i := 0; i < 5; i++ {
		q := s.partner(map[string]any{"name": "Late Buyer", "email": "late" + itoa(int64(i)) + "@example.com"})
		s.order(q, co, 1, true)
	}
	firing := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, a := range alerts {
			if strings.HasPrefix(a, "[FIRING] orders") {
				n++
			}
		}
		return n
	}
	s.eventually("the orders alert fires", 90*time.Second, func() (bool, string) { return firing() == 1, "" })

	// Recover.
	s.DD.SetLimits(nil)
	s.eventually("the all-clear", 120*time.Second, func() (bool, string) {
		mu.Lock()
		defer mu.Unlock()
		for _, a := range alerts {
			if strings.HasPrefix(a, "[RESOLVED] orders") {
				return true, ""
			}
		}
		return false, strings.Join(alerts, " | ")
	})
	require.Equal(t, 1, firing(), "one incident, one alert")
	for i := 0; i < 5; i++ {
		s.waitFields("late"+itoa(int64(i))+"@example.com", map[string]any{"ORDER_COUNT": 1.0})
	}
}
