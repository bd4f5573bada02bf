// Package identity derives the customer key (the normalised email) from Odoo
// partner data, and the opaque workflow ID that stands for a customer in
// Temporal so that no plaintext email reaches workflow IDs, search attributes
// or logs.
package identity

import (
	"net/mail"
	"strings"
	"unicode"
)

// Reason says why a partner has no usable customer key.
type Reason string

const (
	// ReasonOK means a key was found.
	ReasonOK Reason = ""
	// ReasonNoEmail means the partner has no email at all.
	ReasonNoEmail Reason = "no_email"
	// ReasonInvalidEmail means the partner has an email that holds no valid address.
	ReasonInvalidEmail Reason = "invalid_email"
)

// maxEmailLength is the RFC 5321 path limit; Dotdigital path values allow 256.
const maxEmailLength = 254

// NormaliseEmail trims and lower-cases one address. It returns "" when the
// input is not a single valid address. Use it at every boundary where an email
// enters or leaves the service.
func NormaliseEmail(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if !validAddress(s) {
		return ""
	}
	return s
}

// Key returns the customer key for a partner: email_normalized when Odoo has
// it, else the first valid address parsed from the free-text email field
// (which may hold "Name <addr>" or several addresses separated by , or ;).
func Key(emailNormalized, email string) (string, Reason) {
	if k := NormaliseEmail(emailNormalized); k != "" {
		return k, ReasonOK
	}
	if strings.TrimSpace(email) == "" && strings.TrimSpace(emailNormalized) == "" {
		return "", ReasonNoEmail
	}
	for _, part := range splitAddresses(email) {
		if k := parseOne(part); k != "" {
			return k, ReasonOK
		}
	}
	return "", ReasonInvalidEmail
}

func splitAddresses(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '\n' })
}

func parseOne(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if k := NormaliseEmail(s); k != "" {
		return k
	}
	if a, err := mail.ParseAddress(s); err == nil {
		return NormaliseEmail(a.Address)
	}
	// "Name <addr>" with characters net/mail rejects in the display name.
	if i, j := strings.LastIndex(s, "<"), strings.LastIndex(s, ">"); i >= 0 && j > i {
		return NormaliseEmail(s[i+1 : j])
	}
	return ""
}

// validAddress accepts the pragmatic subset of addresses that both Odoo's
// email_normalized and Dotdigital accept: local@domain.tld, no spaces, no
// control characters, one @, a dot in the domain, sane lengths.
func validAddress(s string) bool {
	if len(s) < 3 || len(s) > maxEmailLength {
		return false
	}
	at := strings.IndexByte(s, '@')
	if at <= 0 || at != strings.LastIndexByte(s, '@') || at == len(s)-1 {
		return false
	}
	local, domain := s[:at], s[at+1:]
	if len(local) > 64 || strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		return false
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune(`<>()[]\,;:"`, r) {
			return false
		}
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") {
			return false
		}
	}
	return len(labels[len(labels)-1]) >= 2
}
