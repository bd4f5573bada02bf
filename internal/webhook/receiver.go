// Package webhook receives Odoo 17+ automation webhooks ("Send Webhook
// Notification") for partners and orders. A webhook is only a hint that
// makes the poller poll at once; the poller stays the source of truth, so a
// lost or forged webhook can delay nothing and corrupt nothing.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/changes"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
)

// maxBody bounds a webhook body; Odoo sends one record.
const maxBody = 1 << 20

// Models accepted.
var models = map[string]bool{"res.partner": true, "sale.order": true, "res.partner.category": true}

// Poker delivers a poke to the poller.
type Poker func(ctx context.Context, p changes.Poke) error

// PokeWorkflow pokes the poller workflow by signal.
func PokeWorkflow(c client.Client) Poker {
	return func(ctx context.Context, p changes.Poke) error {
		return c.SignalWorkflow(ctx, names.PollerWorkflowID, "", string(names.SignalPoke), p)
	}
}

// Receiver is the HTTP handler.
type Receiver struct {
	secret []byte
	digest [sha256.Size]byte // of secret, what tokens are compared with
	poke   Poker
	logger *slog.Logger
}

// NewReceiver authenticates with secret: the request carries it as the
// `token` query parameter (Odoo's webhook URL is configured with it, since
// Odoo cannot add headers), as an `X-Webhook-Token` header, or signs the body
// with it (`X-Signature: sha256=<hex HMAC>`) when a proxy can.
func NewReceiver(secret string, poke Poker, logger *slog.Logger) *Receiver {
	return &Receiver{secret: []byte(secret), digest: sha256.Sum256([]byte(secret)), poke: poke, logger: logger}
}

type payload struct {
	Model     string          `json:"_model"`
	ID        json.RawMessage `json:"_id"`
	WriteDate any             `json:"write_date"`
}

func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	if len(body) > maxBody {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	if !rc.authentic(r, body) {
		http.Error(w, "missing or wrong webhook token", http.StatusUnauthorized)
		return
	}
	poke, err := parse(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if err := rc.poke(ctx, poke); err != nil {
		rc.logger.Warn("webhook poke failed; the next poll catches the change", "model", poke.Model, "id", poke.ID, "error", err)
		http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

func (rc *Receiver) authentic(r *http.Request, body []byte) bool {
	if len(rc.secret) == 0 {
		return false // an empty secret would make anyone's HMAC right
	}
	if rc.tokenMatches(r.URL.Query().Get("token")) || rc.tokenMatches(r.Header.Get("X-Webhook-Token")) {
		return true
	}
	sig, ok := strings.CutPrefix(r.Header.Get("X-Signature"), "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, rc.secret)
	m.Write(body)
	return hmac.Equal(got, m.Sum(nil))
}

// tokenMatches compares digests, which have the same length whatever the
// token: ConstantTimeCompare returns at once on different lengths, so
// comparing the raw strings would tell a caller the secret's length.
func (rc *Receiver) tokenMatches(token string) bool {
	if token == "" {
		return false
	}
	got := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(got[:], rc.digest[:]) == 1
}

func parse(body []byte) (changes.Poke, error) {
	var p payload
	if err := json.Unmarshal(body, &p); err != nil {
		return changes.Poke{}, errors.New("body is not a JSON object")
	}
	if !models[p.Model] {
		return changes.Poke{}, fmt.Errorf("_model %q is not one of res.partner, sale.order, res.partner.category", p.Model)
	}
	var id int64
	if err := json.Unmarshal(p.ID, &id); err != nil || id <= 0 {
		return changes.Poke{}, errors.New("_id must be a positive integer")
	}
	poke := changes.Poke{Model: p.Model, ID: id}
	if s, ok := p.WriteDate.(string); ok {
		poke.WriteDate = s
	}
	return poke, nil
}
