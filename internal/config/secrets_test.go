package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// secretVars are every secret's variable and a value no other setting has.
var secretVars = map[string]string{
	"ODOO_API_KEY":            "odoo-key-4f1c",
	"DOTDIGITAL_API_PASSWORD": "dd-pass-9a2e",
	"TEMPORAL_API_KEY":        "temporal-key-77b0",
	"SYNC_ID_SECRET":          "id-secret-31d5",
	"SYNC_WEBHOOK_SECRET":     "webhook-token-c6e8",
	"SYNC_ALERT_WEBHOOK_URL":  "https://hooks.slack.com/services/T000/B000/slack-token-e5a9",
}

// secretValues are the parts of secretVars that must never be printed (the
// alert URL's scheme and host may be).
var secretValues = []string{"odoo-key-4f1c", "dd-pass-9a2e", "temporal-key-77b0", "id-secret-31d5", "webhook-token-c6e8", "services/T000", "slack-token-e5a9"}

func withSecrets() map[string]string {
	m := with("ODOO_URL", "https://shop.example.com")
	for k, v := range secretVars {
		m[k] = v
	}
	return m
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func assertNoSecret(t *testing.T, where, text string) {
	t.Helper()
	for _, v := range secretValues {
		if strings.Contains(text, v) {
			t.Errorf("%s shows secret %q:\n%s", where, v, text)
		}
	}
}

func TestHelpShowsWhereSecretsComeFromNotTheirValues(t *testing.T) {
	vars := withSecrets()
	delete(vars, "TEMPORAL_API_KEY")
	vars["TEMPORAL_API_KEY_FILE"] = "/run/secrets/temporal"
	delete(vars, "SYNC_WEBHOOK_SECRET")
	var out bytes.Buffer
	_, _, err := load("worker", []string{"--help"}, env(vars), quiet(), &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help: error %v, want flag.ErrHelp", err)
	}
	help := out.String()
	assertNoSecret(t, "--help", help)
	for _, want := range []string{
		"($ODOO_API_KEY or $ODOO_API_KEY_FILE; set from $ODOO_API_KEY)",
		"set from $DOTDIGITAL_API_PASSWORD)",
		"set from $SYNC_ID_SECRET)",
		"set from $SYNC_ALERT_WEBHOOK_URL)",
		"($TEMPORAL_API_KEY or $TEMPORAL_API_KEY_FILE; set from $TEMPORAL_API_KEY_FILE)",
		"($SYNC_WEBHOOK_SECRET or $SYNC_WEBHOOK_SECRET_FILE; unset)",
		// Other settings still show their defaults and variables' values.
		`(default "default")`,
		`(default "https://shop.example.com")`,
		"(default 5s)",
	} {
		if !strings.Contains(help, want) {
			t.Errorf("--help lacks %q:\n%s", want, help)
		}
	}
	// (The TEMPORAL_API_KEY_FILE path does not exist: --help reads no file.)
}

func TestStarterHelpHidesSecretsToo(t *testing.T) {
	var out bytes.Buffer
	_, _, err := load("starter", []string{"--temporal-address", "t:7233", "--help", "status"}, env(withSecrets()), quiet(), &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help: error %v, want flag.ErrHelp", err)
	}
	assertNoSecret(t, "starter --help", out.String())
	if !strings.Contains(out.String(), "set from $SYNC_ID_SECRET") {
		t.Fatalf("starter --help does not say where SYNC_ID_SECRET comes from:\n%s", out.String())
	}
}

func TestSecretsFromFiles(t *testing.T) {
	vars := with("ODOO_API_KEY", "")
	files := map[string]string{
		"ODOO_API_KEY":            "from-file-key\n",
		"DOTDIGITAL_API_PASSWORD": "pa ss \r\n\t ",
		"TEMPORAL_API_KEY":        "tk",
		"SYNC_ID_SECRET":          "  leading kept\n\n",
		"SYNC_WEBHOOK_SECRET":     "wh\n",
		"SYNC_ALERT_WEBHOOK_URL":  "https://hooks.slack.com/services/x\n",
	}
	delete(vars, "DOTDIGITAL_API_PASSWORD")
	for k, v := range files {
		vars[k+"_FILE"] = writeFile(t, v)
	}
	c, _, err := load("worker", nil, env(vars), quiet(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{
		"ODOO_API_KEY": c.Odoo.APIKey, "DOTDIGITAL_API_PASSWORD": c.Dotdigital.APIPassword,
		"TEMPORAL_API_KEY": c.Temporal.APIKey, "SYNC_ID_SECRET": c.Sync.IDSecret,
		"SYNC_WEBHOOK_SECRET": c.Sync.WebhookSecret, "SYNC_ALERT_WEBHOOK_URL": c.Lag.AlertWebhook,
	}
	want := map[string]string{
		"ODOO_API_KEY": "from-file-key", "DOTDIGITAL_API_PASSWORD": "pa ss",
		"TEMPORAL_API_KEY": "tk", "SYNC_ID_SECRET": "  leading kept",
		"SYNC_WEBHOOK_SECRET": "wh", "SYNC_ALERT_WEBHOOK_URL": "https://hooks.slack.com/services/x",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s from file: got %q, want %q", k, got[k], w)
		}
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

// A flag beats the variable, the variable is used without a flag, and the
// file without either.
func TestSecretPrecedence(t *testing.T) {
	file := writeFile(t, "from-file\n")
	cases := []struct {
		name string
		args []string
		vars map[string]string
		want string
	}{
		{"flag over variable", []string{"--odoo-api-key", "from-flag"}, with("ODOO_API_KEY", "from-env"), "from-flag"},
		{"flag over file", []string{"--odoo-api-key=from-flag"}, with("ODOO_API_KEY", ""), "from-flag"},
		{"variable", nil, with("ODOO_API_KEY", "from-env"), "from-env"},
		{"file", nil, with("ODOO_API_KEY", ""), "from-file"},
		{"nothing", nil, with("ODOO_API_KEY", ""), ""},
	}
	for _, tc := range cases {
		if tc.name == "flag over file" || tc.name == "file" {
			tc.vars["ODOO_API_KEY_FILE"] = file
		}
		c, _, err := load("worker", tc.args, env(tc.vars), quiet(), io.Discard)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if c.Odoo.APIKey != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, c.Odoo.APIKey, tc.want)
		}
	}
}

func TestSecretInVariableAndFileIsAnError(t *testing.T) {
	vars := with("SYNC_ID_SECRET", "from-env")
	vars["SYNC_ID_SECRET_FILE"] = writeFile(t, "from-file")
	_, err := Load(nil, env(vars))
	if err == nil {
		t.Fatal("no error with SYNC_ID_SECRET and SYNC_ID_SECRET_FILE both set")
	}
	msg := err.Error()
	if !strings.Contains(msg, "SYNC_ID_SECRET and SYNC_ID_SECRET_FILE") || strings.Contains(msg, "from-") {
		t.Fatalf("error %q should name both variables and no value", msg)
	}
}

func TestUnreadableSecretFile(t *testing.T) {
	dir := t.TempDir()
	big := writeFile(t, strings.Repeat("x", maxSecretFile+1))
	cases := []struct {
		name, path, want string
		is               error
	}{
		{"missing", filepath.Join(dir, "absent"), "cannot be read", fs.ErrNotExist},
		{"directory", dir, "cannot be read", nil},
		{"empty", writeFile(t, " \n"), "is empty", nil},
		{"too large", big, "larger than", nil},
	}
	for _, tc := range cases {
		vars := with("DOTDIGITAL_API_PASSWORD", "")
		vars["DOTDIGITAL_API_PASSWORD_FILE"] = tc.path
		_, err := Load(nil, env(vars))
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, "DOTDIGITAL_API_PASSWORD_FILE="+tc.path) || !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
			t.Errorf("%s: error %q should be one line naming the variable and path and saying %q", tc.name, msg, tc.want)
		}
		if strings.Contains(msg, "xxxx") {
			t.Errorf("%s: error shows the content: %q", tc.name, msg)
		}
		if tc.is != nil && !errors.Is(err, tc.is) {
			t.Errorf("%s: error %q is not %v", tc.name, msg, tc.is)
		}
	}
}

func TestSecretFlagWarnsWithoutTheValue(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	args := []string{"--odoo-api-key", "odoo-key-4f1c", "--alert-webhook=" + secretVars["SYNC_ALERT_WEBHOOK_URL"], "--odoo-db", "shop"}
	if _, _, err := load("worker", args, env(complete), logger, io.Discard); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	assertNoSecret(t, "the warning", out)
	for _, want := range []string{"level=WARN", "flag=--odoo-api-key", "flag=--alert-webhook"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "level=WARN"); n != 2 {
		t.Errorf("%d warnings, want 2 (one per secret flag, none for --odoo-db):\n%s", n, out)
	}

	logs.Reset()
	if _, _, err := load("worker", nil, env(withSecrets()), logger, io.Discard); err != nil {
		t.Fatal(err)
	}
	if logs.Len() != 0 {
		t.Errorf("secrets from variables logged a warning:\n%s", logs.String())
	}
}

func TestAlertWebhookRedacted(t *testing.T) {
	c, err := Load(nil, env(withSecrets()))
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Redacted(); r.Lag.AlertWebhook != "https://hooks.slack.com/***" {
		t.Errorf("Redacted alert webhook %q, want https://hooks.slack.com/***", r.Lag.AlertWebhook)
	}
	if c.Lag.AlertWebhook != secretVars["SYNC_ALERT_WEBHOOK_URL"] {
		t.Error("Redacted changed the original")
	}

	// However the config is logged or printed, no secret shows.
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("starting", "config", c.Redacted(), "ptr", c, "value", *c)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("starting", "config", c)
	assertNoSecret(t, "text log", text.String())
	assertNoSecret(t, "JSON log", js.String())
	if !strings.Contains(text.String(), "AlertWebhook:https://hooks.slack.com/***") || !strings.Contains(text.String(), "APIKey:***") {
		t.Errorf("text log lacks the redacted fields:\n%s", text.String())
	}
	var logged struct {
		Config Config `json:"config"`
	}
	if err := json.Unmarshal(js.Bytes(), &logged); err != nil {
		t.Fatalf("JSON log: %v\n%s", err, js.String())
	}
	if logged.Config.Lag.AlertWebhook != "https://hooks.slack.com/***" || logged.Config.Odoo.URL != "https://shop.example.com" {
		t.Errorf("JSON log config %+v", logged.Config.Lag)
	}
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		assertNoSecret(t, format, fmt.Sprintf(format, c))
		assertNoSecret(t, format+" of value", fmt.Sprintf(format, *c))
	}
}

func TestInvalidAlertWebhookErrorIsRedacted(t *testing.T) {
	cases := map[string]string{
		"ftp://hooks.slack.com/services/T000/B000/slack-token-e5a9": `SYNC_ALERT_WEBHOOK_URL="ftp://hooks.slack.com/***"`,
		"hooks.slack.com/services/T000/B000/slack-token-e5a9":       `SYNC_ALERT_WEBHOOK_URL="***"`,
		"https:///services/T000/B000/slack-token-e5a9":              `SYNC_ALERT_WEBHOOK_URL="***"`,
		"https://hooks slack.com/services/T000/slack-token-e5a9":    `SYNC_ALERT_WEBHOOK_URL="***"`,
	}
	for raw, want := range cases {
		c, err := Load(nil, env(with("SYNC_ALERT_WEBHOOK_URL", raw)))
		if err != nil {
			t.Fatal(err)
		}
		err = c.Validate()
		if err == nil {
			t.Errorf("%s: no error", want)
			continue
		}
		assertNoSecret(t, "the validation error", err.Error())
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %s", err, want)
		}
	}
}
