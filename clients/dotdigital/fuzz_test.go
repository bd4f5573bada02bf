package dotdigital

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode"
)

// FuzzEmailBoundary: whatever a caller passes, either the call is refused as
// an invalid email before any request, or exactly one path segment carries
// the trimmed, lower-cased address and decodes back to it.
func FuzzEmailBoundary(f *testing.F) {
	for _, s := range []string{"jane@example.com", "  Jane.Doe+Shop@Example.COM ", "a/b@example.com", "a%2Fb@x.co",
		"o'hara#x?y@example.com", "no-at-sign", "a@b", "@example.com", "a@@b.com", "名前@例え.jp", "a b@c.com",
		"x@y.z/../../v2/address-books/1/contacts", "\tA@B.CO\n", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		email, seg, err := emailSegment("email", raw)
		if err != nil {
			if !IsInvalidEmail(err) || Retryable(err) {
				t.Fatalf("refusal must be a non-retryable invalid-email error: %v", err)
			}
			if raw != "" && strings.Contains(err.Error(), raw) && len(raw) > 3 {
				t.Fatalf("error echoes the input: %v", err)
			}
			return
		}
		if email != strings.ToLower(strings.TrimSpace(raw)) {
			t.Fatalf("normalised %q to %q", raw, email)
		}
		if strings.ContainsAny(seg, "/?#") {
			t.Fatalf("segment %q would change the route", seg)
		}
		if back, err := url.PathUnescape(seg); err != nil || back != email {
			t.Fatalf("segment %q decodes to %q (%v), want %q", seg, back, err, email)
		}
		u, err := url.Parse("https://h/contacts/v3/email/" + seg)
		if err != nil || u.Path != "/contacts/v3/email/"+email || u.RawQuery != "" || u.Fragment != "" {
			t.Fatalf("URL with segment %q parses to path %q", seg, u.Path)
		}
	})
}

// FuzzParseErrorBody: any body yields a non-empty bounded message and a code
// without whitespace; a v2 message ending in a code token yields that code.
func FuzzParseErrorBody(f *testing.F) {
	for _, s := range []string{
		`{"message":"Contact is suppressed. ERROR_CONTACT_SUPPRESSED"}`,
		`{"message":"Error: ERROR_CONTACT_NOT_FOUND"}`,
		`{"Message":"Authorization has been denied for this request."}`,
		`{"errorCode":"contacts:contactNotFound","description":"d","details":[{"item":"a@b.com","description":"x"}]}`,
		`{"errorCode":"contacts:invalidId","details":[{"item":1,"error":"e"}, "s", 3, null]}`,
		`{"errorCode":"c 0000000000000000","x":[{"y":0}, "0",10, null]}`,
		`{"errorCode":`, `<html>502</html>`, ``, `null`, `[]`, `"string"`, `{"message":null}`, "\xff\xfe",
	} {
		f.Add(400, []byte(s))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		code, msg, details := parseErrorBody(status, body)
		if msg == "" && http.StatusText(status) != "" {
			t.Fatal("empty message")
		}
		if len(msg) > maxErrorMessage+4 {
			t.Fatalf("message of %d bytes", len(msg))
		}
		if strings.IndexFunc(code, unicode.IsSpace) >= 0 {
			t.Fatalf("code %q has whitespace", code)
		}
		_ = details
		e := &APIError{Status: status, Code: code, Message: msg, Details: details, Method: "GET", Route: "/r"}
		_ = e.Error()
		_ = e.Retryable()
	})
}

// FuzzV2MessageCode: a v2 message made of text plus a code token yields the code.
func FuzzV2MessageCode(f *testing.F) {
	f.Add("Contact is suppressed.", "ERROR_CONTACT_SUPPRESSED")
	f.Add("Error:", "ERROR_UNKNOWN")
	f.Add("", "ERROR_A_B")
	f.Fuzz(func(t *testing.T, text, code string) {
		if !isV2Code(code) {
			return
		}
		msg := strings.TrimSpace(text + " " + code)
		body, _ := json.Marshal(map[string]string{"message": msg})
		got, _, _ := parseErrorBody(400, body)
		if got != code {
			t.Fatalf("message %q: code %q, want %q", msg, got, code)
		}
	})
}

// FuzzRateLimitHeaders: parsing never panics, counts are -1 or non-negative,
// ResetAt stays within [now, now+1h], and a 429's RetryAfter within the
// tiered cap.
func FuzzRateLimitHeaders(f *testing.F) {
	now := time.Unix(1_700_000_000, 0)
	f.Add("150", "0", "42", "lowCallRate")
	f.Add("150", "149", "1700000030", "mediumCallRate")
	f.Add("x", "-1", "1e300", "")
	f.Add("", "", "NaN", "\x00scope")
	f.Add("99999999999999999999", "3.5", "Mon, 02 Jan 2006 15:04:05 GMT", "a")
	f.Add("1", "1", "-5", "b")
	f.Fuzz(func(t *testing.T, limit, remaining, reset, scope string) {
		h := http.Header{}
		for k, v := range map[string]string{headerLimit: limit, headerRemaining: remaining, headerReset: reset, headerScope: scope} {
			if v != "" {
				h.Set(k, v)
			}
		}
		s, ok := parseRateLimit(h, now)
		if !ok {
			return
		}
		if s.Limit < -1 || s.Remaining < -1 {
			t.Fatalf("counts %+v", s)
		}
		if !s.ResetAt.IsZero() && (s.ResetAt.Before(now) || s.ResetAt.After(now.Add(time.Hour))) {
			t.Fatalf("ResetAt %v out of range", s.ResetAt)
		}
		for _, r := range s.Scope {
			if r < 0x20 || r > 0x7e {
				t.Fatalf("scope %q not printable", s.Scope)
			}
		}
		d := retryAfterFor(&APIError{Status: 429}, h, s, ok, now)
		if d < minRetryAfter || d > tieredWindow {
			t.Fatalf("RetryAfter %v", d)
		}
	})
}

// FuzzImportReports: any body decodes or fails cleanly; status predicates
// are exclusive and exhaustive; results never panic.
func FuzzImportReports(f *testing.F) {
	f.Add([]byte(contactReportJSON))
	f.Add([]byte(insightReportJSON))
	f.Add([]byte(`{"status":"NotFinished"}`))
	f.Add([]byte(`{"created":[{"identifiers":{"email":null}}],"failures":[{"failures":[{}]}]}`))
	f.Add([]byte(`{"failures":[{"key":{"a":1},"details":[1,"x",null],"collectionOwner":{"contactIdentity":{"identifier":"EMAIL","value":5}}}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if cr, err := decodeContactImportReport(body); err == nil {
			if n := btoi(cr.Done()) + btoi(cr.Pending()) + btoi(cr.Failed()); n != 1 {
				t.Fatalf("contact status %q: %d predicates true", cr.Status, n)
			}
			for _, r := range cr.Results {
				if r.Outcome != OutcomeCreated && r.Outcome != OutcomeUpdated && r.Outcome != OutcomeFailed {
					t.Fatalf("outcome %q", r.Outcome)
				}
				_, _ = cr.Result(r.Email)
			}
			_ = cr.Failures()
		}
		if ir, err := decodeInsightImportReport(body); err == nil {
			if n := btoi(ir.Done()) + btoi(ir.Pending()) + btoi(ir.Failed()); n != 1 {
				t.Fatalf("insight status %q: %d predicates true", ir.Status, n)
			}
			for _, fl := range ir.Failures {
				if fl.ContactEmailDoesNotExist() != IsContactEmailDoesNotExist(fl.Err()) {
					t.Fatal("predicate and error class disagree")
				}
			}
			_ = ir.MissingContacts()
		}
	})
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
