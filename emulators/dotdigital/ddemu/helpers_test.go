package ddemu_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/dotdigital/ddemu"
)

const (
	testUser = "demo@apiconnector.com"
	testPass = "demo"
)

// start runs an emulator on a free port for the test's lifetime.
func start(t testing.TB, opts ddemu.Options) (*ddemu.Emulator, *client) {
	t.Helper()
	if opts.ImportDelay == 0 {
		opts.ImportDelay = 20 * time.Millisecond
	}
	e, err := ddemu.New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := e.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e, &client{t: t, base: e.URL(), user: testUser, pass: testPass, hc: &http.Client{Timeout: 30 * time.Second}}
}

// client speaks to the emulator over HTTP as a real client would.
type client struct {
	t          testing.TB
	base       string
	user, pass string
	hc         *http.Client
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (c *client) do(method, path string, body any) *resp {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			c.t.Fatalf("marshal: %v", err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatalf("request: %v", err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.user != "" {
		req.SetBasicAuth(c.user, c.pass)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("read body: %v", err)
	}
	return &resp{status: res.StatusCode, header: res.Header, body: data}
}

func (c *client) get(path string) *resp              { return c.do(http.MethodGet, path, nil) }
func (c *client) patch(path string, body any) *resp  { return c.do(http.MethodPatch, path, body) }
func (c *client) put(path string, body any) *resp    { return c.do(http.MethodPut, path, body) }
func (c *client) post(path string, body any) *resp   { return c.do(http.MethodPost, path, body) }
func (c *client) delete(path string, body any) *resp { return c.do(http.MethodDelete, path, body) }

// expect fails the test unless the status matches; it returns the response for chaining.
func (r *resp) expect(t testing.TB, status int) *resp {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body: %s", r.status, status, r.body)
	}
	return r
}

func (r *resp) decode(t testing.TB, v any) {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(r.body))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		t.Fatalf("decode %q: %v", r.body, err)
	}
}

// obj decodes a JSON object body.
func (r *resp) obj(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.decode(t, &m)
	return m
}

// v3err checks a v3 error body's errorCode.
func (r *resp) v3err(t testing.TB, status int, code string) map[string]any {
	t.Helper()
	r.expect(t, status)
	m := r.obj(t)
	if m["errorCode"] != code {
		t.Fatalf("errorCode %v, want %s; body %s", m["errorCode"], code, r.body)
	}
	if s, _ := m["description"].(string); s == "" {
		t.Fatalf("v3 error without description: %s", r.body)
	}
	return m
}

// v2err checks a v2 error body ends with the error code.
func (r *resp) v2err(t testing.TB, status int, code string) string {
	t.Helper()
	r.expect(t, status)
	var m struct {
		Message string `json:"message"`
	}
	r.decode(t, &m)
	if code != "" && !strings.HasSuffix(m.Message, " "+code) {
		t.Fatalf("message %q does not end with %s", m.Message, code)
	}
	return m.Message
}

// contactDoc is the part of a v3 contact tests look at.
type contactDoc struct {
	ContactID   json.Number    `json:"contactId"`
	Status      string         `json:"status"`
	Created     string         `json:"created"`
	Updated     string         `json:"updated"`
	Identifiers map[string]any `json:"identifiers"`
	DataFields  map[string]any `json:"dataFields"`
	Channel     struct {
		Email struct {
			EmailType string `json:"emailType"`
			OptInType string `json:"optInType"`
			Status    string `json:"status"`
		} `json:"email"`
	} `json:"channelProperties"`
	Lists []struct {
		ID     int    `json:"id"`
		Name   string `json:"name"`
		Status string `json:"status"`
	} `json:"lists"`
}

func (r *resp) contact(t testing.TB) contactDoc {
	t.Helper()
	var c contactDoc
	r.decode(t, &c)
	return c
}

func parseTS(t testing.TB, s string) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("timestamp %q: %v", s, err)
	}
	return ts
}

// upsert PATCHes a contact by email with the email in the body.
func (c *client) upsert(email string, fields map[string]any) *resp {
	c.t.Helper()
	body := map[string]any{"identifiers": map[string]any{"email": email}}
	if fields != nil {
		body["dataFields"] = fields
	}
	return c.patch("/contacts/v3/email/"+email, body)
}

// ensureField creates a data field (ignoring "already exists").
func (c *client) ensureField(name, typ string) {
	c.t.Helper()
	r := c.post("/v2/data-fields", map[string]any{"name": name, "type": typ})
	if r.status != http.StatusCreated && !strings.Contains(string(r.body), "ERROR_NON_UNIQUE_DATAFIELD") {
		c.t.Fatalf("create field %s: %d %s", name, r.status, r.body)
	}
}

// waitFor polls until cond holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
