package odooemu

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/odoo/xmlrpcwire"
)

// webhookHit is a record created or written in a transaction.
type webhookHit struct {
	model *model
	id    int64
}

// webhookRule is one automation rule with a "Send Webhook Notification"
// server action (ir.actions.server state='webhook').
type webhookRule struct {
	actionName string
	actionID   int64
	fields     []string
}

var defaultWebhookRules = map[string]webhookRule{
	"res.partner": {"Sync contact to Dotdigital", 101, []string{"active", "category_id", "commercial_partner_id", "company_id", "email", "email_normalized", "name", "website_id", "write_date"}},
	"sale.order":  {"Sync order to Dotdigital", 102, []string{"amount_total", "company_id", "currency_id", "date_order", "name", "partner_id", "state", "website_id", "write_date"}},
}

type webhookSender struct {
	url    string
	rules  map[string]webhookRule
	client *http.Client
	log    *slog.Logger
}

func newWebhookSender(url string, fields map[string][]string, log *slog.Logger) *webhookSender {
	rules := map[string]webhookRule{}
	for name, r := range defaultWebhookRules {
		if f, ok := fields[name]; ok {
			r.fields = f
		}
		rules[name] = r
	}
	// 1 s timeout, as ir_actions.py's requests.post(..., timeout=1).
	return &webhookSender{url: url, rules: rules, client: &http.Client{Timeout: time.Second}, log: log}
}

// build renders the payloads: _action, _id, _model plus
// record.read(fields, load=None)[0], as json.dumps(sort_keys=True,
// default=str). The store lock is held.
func (w *webhookSender) build(c *callCtx, hits []webhookHit) [][]byte {
	var out [][]byte
	for _, h := range hits {
		rule, ok := w.rules[h.model.name]
		if !ok {
			continue
		}
		r, ok := h.model.visibleRow(h.id, c.viewer())
		if !ok {
			continue // deleted later in the same transaction
		}
		vals := map[string]any{
			"_action": fmt.Sprintf("%s(#%d)", rule.actionName, rule.actionID),
			"_id":     h.id,
			"_model":  h.model.name,
		}
		if len(rule.fields) > 0 {
			vals["id"] = h.id
			for _, name := range rule.fields {
				if f := h.model.fields[name]; f != nil {
					vals[name] = c.readValue(h.model, f, r, false, true)
				}
			}
		}
		out = append(out, pyJSON(vals))
	}
	return out
}

// send posts each payload; failures are only logged (fire and forget).
func (w *webhookSender) send(ctx context.Context, payloads [][]byte) {
	for _, body := range payloads {
		req, err := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodPost, w.url, bytes.NewReader(body))
		if err != nil {
			w.log.Warn("webhook call failed", "err", err)
			return
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := w.client.Do(req)
		if err != nil {
			w.log.Warn("webhook call failed", "err", redactURL(err.Error(), w.url))
			continue
		}
		_ = resp.Body.Close()
		if resp.StatusCode >= 400 {
			w.log.Warn("webhook call failed", "status", resp.StatusCode)
		}
	}
}

// redactURL keeps tokens in the webhook URL out of logs.
func redactURL(msg, url string) string {
	if i := strings.IndexByte(url, '?'); i >= 0 {
		msg = strings.ReplaceAll(msg, url, url[:i]+"?…")
	}
	return msg
}

// pyJSON encodes like Python's json.dumps(v, sort_keys=True): ", " and ": "
// separators, ASCII only, floats as repr.
func pyJSON(v any) []byte {
	var b bytes.Buffer
	writePyJSON(&b, v)
	return b.Bytes()
}

func writePyJSON(b *bytes.Buffer, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case int:
		b.WriteString(strconv.Itoa(x))
	case float64:
		b.WriteString(xmlrpcwire.PyFloatRepr(x))
	case string:
		writePyString(b, x)
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writePyJSON(b, e)
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			writePyString(b, k)
			b.WriteString(": ")
			writePyJSON(b, x[k])
		}
		b.WriteByte('}')
	default:
		writePyString(b, fmt.Sprint(v))
	}
}

func writePyString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20 || (r >= 0x7f && r < 0x10000):
			fmt.Fprintf(b, `\u%04x`, r)
		case r >= 0x10000:
			hi, lo := utf16.EncodeRune(r)
			fmt.Fprintf(b, `\u%04x\u%04x`, hi, lo)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}
