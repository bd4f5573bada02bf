package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/config"
)

func TestWebhookTriggersSyncWithoutWaitingForThePoll(t *testing.T) {
	s := startStack(t, stackOptions{webhooks: true, configure: func(c *config.Config) {
		c.Sync.PollInterval = time.Hour // only the webhook can make it poll
	}})
	time.Sleep(time.Second) // the poller's first poll (of the empty database) is done
	p := s.partner(map[string]any{"name": "Will Hook", "email": "will@example.com"})
	start := time.Now()
	s.order(p, s.companies()[0], 1, true)
	s.waitFields("will@example.com", map[string]any{"ORDER_COUNT": 1.0})
	took := time.Since(start)
	t.Logf("order confirmed to contact acknowledged (webhook path): %s", took)
	require.Less(t, took, 10*time.Second)
}

func TestWebhookRejectsBadRequests(t *testing.T) {
	s := startStack(t, stackOptions{})
	url := s.App.HTTPURL + "/webhooks/odoo"
	cases := []struct {
		name, query, body string
		want              int
	}{
		{"no token", "", `{"_model":"sale.order","_id":1}`, 401},
		{"wrong token", "?token=nope", `{"_model":"sale.order","_id":1}`, 401},
		{"not json", "?token=e2e-token", `hello`, 400},
		{"unknown model", "?token=e2e-token", `{"_model":"account.move","_id":1}`, 400},
		{"bad id", "?token=e2e-token", `{"_model":"sale.order","_id":"x"}`, 400},
		{"good", "?token=e2e-token", `{"_model":"sale.order","_id":7,"write_date":"2026-01-01 10:00:00.123456"}`, 202},
	}
	for _, c := range cases {
		require.Equal(t, c.want, post(t, url+c.query, c.body), c.name)
	}
}
