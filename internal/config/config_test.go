package config

import (
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

var complete = map[string]string{
	"ODOO_URL": "https://shop.example.com", "ODOO_DB": "shop", "ODOO_LOGIN": "sync", "ODOO_API_KEY": "k",
	"DOTDIGITAL_API_USER": "apiuser-1@apiconnector.com", "DOTDIGITAL_API_PASSWORD": "p",
}

func with(k, v string) map[string]string {
	m := map[string]string{}
	for a, b := range complete {
		m[a] = b
	}
	m[k] = v
	return m
}

func TestDefaultsAndEnvironment(t *testing.T) {
	c, err := Load(nil, env(with("SYNC_POLL_INTERVAL", "3s")))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Sync.PollInterval != 3*time.Second || c.Temporal.Namespace != "default" || c.Dotdigital.TagLists["VIP"] != "VIP Customers" {
		t.Fatalf("unexpected config %+v", c)
	}
}

func TestFlagsOverrideEnvironment(t *testing.T) {
	c, err := Load([]string{"--poll-interval", "7s", "--odoo-db", "other"}, env(with("SYNC_POLL_INTERVAL", "3s")))
	if err != nil {
		t.Fatal(err)
	}
	if c.Sync.PollInterval != 7*time.Second || c.Odoo.DB != "other" {
		t.Fatalf("flags did not win: %v %v", c.Sync.PollInterval, c.Odoo.DB)
	}
}

// A missing or malformed setting stops start-up with one line naming it.
func TestBadSettingsNameTheVariable(t *testing.T) {
	cases := []struct {
		env  map[string]string
		name string
	}{
		{with("ODOO_URL", ""), "ODOO_URL"},
		{with("ODOO_API_KEY", ""), "ODOO_API_KEY"},
		{with("DOTDIGITAL_API_PASSWORD", ""), "DOTDIGITAL_API_PASSWORD"},
		{with("ODOO_URL", "ftp://x"), "ODOO_URL"},
		{with("SYNC_POLL_INTERVAL", "soon"), "SYNC_POLL_INTERVAL"},
		{with("ODOO_CONCURRENCY", "four"), "ODOO_CONCURRENCY"},
		{with("DOTDIGITAL_TASKS_PER_SECOND", "0"), "DOTDIGITAL_TASKS_PER_SECOND"},
		{with("DOTDIGITAL_TAG_LISTS", "VIP"), "DOTDIGITAL_TAG_LISTS"},
		{with("SYNC_CURRENCY_RATES", "EUR=x"), "SYNC_CURRENCY_RATES"},
		{with("TEMPORAL_ADDRESS", "temporal:7233"), "SYNC_ID_SECRET"},
		{with("TEMPORAL_TLS_CERT", "/c.pem"), "TEMPORAL_TLS_KEY"},
		{with("SYNC_INITIAL_LOAD", "later"), "SYNC_INITIAL_LOAD"},
	}
	for _, c := range cases {
		cfg, err := Load(nil, env(c.env))
		if err == nil {
			err = cfg.Validate()
		}
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, c.name) || strings.Contains(msg, "\n") {
			t.Errorf("%s: error %q should be one line naming the setting", c.name, msg)
		}
	}
}

func TestRedactedHidesSecrets(t *testing.T) {
	c, err := Load(nil, env(with("SYNC_ID_SECRET", "s3cret")))
	if err != nil {
		t.Fatal(err)
	}
	r := c.Redacted()
	for _, v := range []string{r.Odoo.APIKey, r.Dotdigital.APIPassword, r.Sync.IDSecret} {
		if v != "***" {
			t.Fatalf("secret not masked: %q", v)
		}
	}
	if c.Odoo.APIKey != "k" {
		t.Fatal("Redacted changed the original")
	}
}
