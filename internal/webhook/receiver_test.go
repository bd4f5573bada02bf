package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/changes"
)

const (
	secret = "s3cret-token-0123"
	body   = `{"_model":"res.partner","_id":42,"write_date":"2024-05-01 10:00:00"}`
)

type pokes struct {
	mu  sync.Mutex
	got []changes.Poke
}

func (p *pokes) poke(_ context.Context, pk changes.Poke) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got = append(p.got, pk)
	return nil
}

func (p *pokes) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.got)
}

func receiver(s string) (*Receiver, *pokes) {
	p := &pokes{}
	return NewReceiver(s, p.poke, slog.New(slog.NewTextHandler(io.Discard, nil))), p
}

func sign(key, b string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(b))
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// send posts body with the token as the query parameter (how="query"), the
// X-Webhook-Token header ("header") or an X-Signature keyed with it ("sign").
func send(t *testing.T, rc *Receiver, how, token string) int {
	t.Helper()
	target := "/webhooks/odoo"
	if how == "query" {
		target += "?token=" + url.QueryEscape(token)
	}
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	switch how {
	case "header":
		req.Header.Set("X-Webhook-Token", token)
	case "sign":
		req.Header.Set("X-Signature", sign(token, body))
	}
	w := httptest.NewRecorder()
	rc.ServeHTTP(w, req)
	return w.Code
}

func TestRightTokenIsAccepted(t *testing.T) {
	for _, how := range []string{"query", "header", "sign"} {
		rc, p := receiver(secret)
		if code := send(t, rc, how, secret); code != http.StatusAccepted {
			t.Errorf("%s: right token answered %d, want 202", how, code)
		}
		if p.count() != 1 || p.got[0] != (changes.Poke{Model: "res.partner", ID: 42, WriteDate: "2024-05-01 10:00:00"}) {
			t.Errorf("%s: pokes %+v, want the partner's", how, p.got)
		}
	}
}

func TestWrongTokensOfAnyLengthAreRejected(t *testing.T) {
	wrong := []string{
		"",                        // none
		"s",                       // shorter
		secret[:len(secret)-1],    // a prefix
		secret + "4",              // longer, the secret as prefix
		" " + secret,              // padded
		strings.ToUpper(secret),   // same length
		"s3cret-token-0124",       // same length, last byte
		strings.Repeat(secret, 8), // much longer
		secret + "\x00",           // NUL suffix
		strings.Repeat("x", 64),   // a sha256 hex digest's length
	}
	for _, how := range []string{"query", "header", "sign"} {
		for _, tok := range wrong {
			if how == "sign" && tok == secret+"\x00" {
				continue // HMAC pads its key with zeros: the same key (needs the secret anyway)
			}
			rc, p := receiver(secret)
			if code := send(t, rc, how, tok); code != http.StatusUnauthorized {
				t.Errorf("%s: token %q answered %d, want 401", how, tok, code)
			}
			if p.count() != 0 {
				t.Errorf("%s: token %q poked the poller", how, tok)
			}
		}
	}
}

// A request carrying the digest of the secret instead of the secret is
// refused: the digests are only what is compared.
func TestDigestOfSecretIsNotAToken(t *testing.T) {
	d := sha256.Sum256([]byte(secret))
	rc, _ := receiver(secret)
	for _, tok := range []string{string(d[:]), hex.EncodeToString(d[:])} {
		if code := send(t, rc, "header", tok); code != http.StatusUnauthorized {
			t.Errorf("digest token answered %d, want 401", code)
		}
	}
}

// With no secret nothing authenticates, not even an HMAC keyed with "".
func TestEmptySecretAcceptsNothing(t *testing.T) {
	rc, p := receiver("")
	for _, how := range []string{"query", "header", "sign"} {
		if code := send(t, rc, how, ""); code != http.StatusUnauthorized {
			t.Errorf("%s: answered %d with an empty secret, want 401", how, code)
		}
	}
	if p.count() != 0 {
		t.Error("an empty secret let a webhook poke the poller")
	}
}
