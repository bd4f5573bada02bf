package dotdigital

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/identity"
)

// normaliseEmail trims and lower-cases an email at the API boundary and
// refuses invalid ones before any request is made.
func normaliseEmail(field, raw string) (string, error) {
	e := identity.NormaliseEmail(raw)
	if e == "" {
		return "", &ValidationError{Field: field, Reason: "not a valid email address", class: ErrInvalidEmail}
	}
	return e, nil
}

// emailSegment normalises an email and escapes it as one path segment.
func emailSegment(field, raw string) (email, segment string, err error) {
	email, err = normaliseEmail(field, raw)
	if err != nil {
		return "", "", err
	}
	return email, url.PathEscape(email), nil
}

// Collection names: OAS-I3 allows dashes, older docs forbid them; the
// reference recommends the intersection (§5.1).
var collectionNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{1,254}$`)

func validateCollection(name string) error {
	if !collectionNamePattern.MatchString(name) {
		return invalidArg("collection", "must match [A-Za-z_][A-Za-z0-9_]* and be 2 to 255 characters")
	}
	return nil
}

// maxRecordKey: key limits are undocumented; the reference recommends <= 100.
const maxRecordKey = 100

// validateRecordKey checks a key that travels in a URL path. Slashes are
// refused: an encoded %2F is rejected or decoded by many servers, which would
// address a different route.
func validateRecordKey(key string) error {
	if strings.ContainsAny(key, `/\`) {
		return invalidArg("key", "must not contain slashes when used in a path")
	}
	return validateImportKey(key)
}

// validateImportKey checks a key sent in a JSON body.
func validateImportKey(key string) error {
	if key == "" {
		return invalidArg("key", "must not be empty")
	}
	if len(key) > maxRecordKey {
		return invalidArgf("key", "longer than %d bytes", maxRecordKey)
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f {
			return invalidArg("key", "contains control characters")
		}
	}
	return nil
}
