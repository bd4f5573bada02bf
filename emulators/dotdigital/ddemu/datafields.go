package ddemu

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Data-field types as v2 names them.
const (
	typeString  = "String"
	typeNumeric = "Numeric"
	typeDate    = "Date"
	typeBoolean = "Boolean"
)

// dataField is a contact data-field definition. Values live in each contact's
// vals slice at the field's ordinal; ordinals are never reused, so deleting a
// field drops its values at once and recreating it starts empty.
type dataField struct {
	name         string // upper-cased
	typ          string
	visibility   string
	defaultValue any
	ordinal      int
	builtin      bool
}

// Limits per type from the (old) help page; newer accounts are "limited by account type".
var fieldTypeLimits = map[string]int{typeString: 246, typeNumeric: 50, typeDate: 49, typeBoolean: 50}

// reservedFieldNames cannot be created (Dotdigital help article on data fields).
var reservedFieldNames = map[string]bool{
	"ACCOUNT": true, "CAMPAIGN": true, "CAMPAIGNID": true, "CONTACT": true, "CONTACT_API_ID": true,
	"CONTACTID": true, "EMAIL": true, "HCONTACTID": true, "HEMAIL": true, "HEMAIL256": true, "ID": true,
	"MESSAGECONTENT": true, "MOBILENUMBERID": true, "NOTES": true, "UNSUBSCRIBED": true, "UNIQUECONTACTID": true,
}

// builtinFields exist in every account.
var builtinFields = []struct{ name, typ string }{
	{"FIRSTNAME", typeString}, {"LASTNAME", typeString}, {"FULLNAME", typeString},
	{"GENDER", typeString}, {"POSTCODE", typeString}, {"LASTSUBSCRIBED", typeDate},
}

const (
	maxFieldNameLen  = 20
	maxStringValue   = 1000 // newer docs: text fields hold 1,000 characters
	maxNumericInt    = 18   // digits before the decimal marker
	maxNumericFrac   = 9    // digits after it
	dataFieldsHeader = "[[ALL]]"
)

// validFieldName: 1-20 characters of [A-Za-z0-9_-].
func validFieldName(name string) bool {
	if name == "" || len(name) > maxFieldNameLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(isAlnum(c) || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// canonicalFieldType accepts the type case-insensitively (M2 sends "numeric").
func canonicalFieldType(t string) (string, bool) {
	for _, c := range []string{typeString, typeNumeric, typeDate, typeBoolean} {
		if strings.EqualFold(t, c) {
			return c, true
		}
	}
	return "", false
}

// valueError says why a value does not fit a field; overflow distinguishes
// ERROR_DATAFIELD_VALUE_OVERFLOW from ERROR_DATAFIELD_INVALID in v2.
type valueError struct {
	field    string
	msg      string
	overflow bool
}

func (e *valueError) Error() string { return e.msg }

// coerce turns a decoded JSON value (decoded with UseNumber) into the stored
// representation for the field: string, json.Number, time.Time or bool; nil
// clears. Empty strings clear as well.
func (f *dataField) coerce(v any) (any, *valueError) {
	bad := func(format string, a ...any) (any, *valueError) {
		return nil, &valueError{field: f.name, msg: fmt.Sprintf(format, a...)}
	}
	if v == nil {
		return nil, nil
	}
	if s, ok := v.(string); ok && s == "" {
		return nil, nil
	}
	switch f.typ {
	case typeString:
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case json.Number:
			s = x.String()
		case bool:
			s = strconv.FormatBool(x)
		default:
			return bad("Data field '%s' expects a text value", f.name)
		}
		if utf8.RuneCountInString(s) > maxStringValue {
			return nil, &valueError{field: f.name, overflow: true,
				msg: fmt.Sprintf("Value for data field '%s' exceeds %d characters", f.name, maxStringValue)}
		}
		return s, nil
	case typeNumeric:
		var s string
		switch x := v.(type) {
		case json.Number:
			s = x.String()
		case string:
			s = strings.TrimSpace(x)
		default:
			return bad("Value is not valid for numeric data field '%s'", f.name)
		}
		n, ok := normaliseNumber(s)
		if !ok {
			return bad("Value '%s' is not valid for numeric data field '%s'", truncate(s, 40), f.name)
		}
		if intDigits, fracDigits := numberDigits(n); intDigits > maxNumericInt || fracDigits > maxNumericFrac {
			return nil, &valueError{field: f.name, overflow: true,
				msg: fmt.Sprintf("Value for numeric data field '%s' exceeds 18 digits before or 9 after the decimal point", f.name)}
		}
		return json.Number(n), nil
	case typeDate:
		s, ok := v.(string)
		if !ok {
			return bad("Value is not valid for date data field '%s'", f.name)
		}
		t, ok := parseLooseTime(s)
		if !ok {
			return bad("Value '%s' is not valid for date data field '%s'", truncate(s, 40), f.name)
		}
		return t, nil
	case typeBoolean:
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			switch strings.ToLower(strings.TrimSpace(x)) {
			case "true":
				return true, nil
			case "false":
				return false, nil
			}
		}
		return bad("Value is not valid for boolean data field '%s'", f.name)
	}
	return bad("Data field '%s' has an unknown type", f.name)
}

// normaliseNumber validates a decimal number and returns it as a valid JSON
// number literal: exponents expanded, leading zeros and '+' dropped, "5." and ".5" completed.
func normaliseNumber(s string) (string, bool) {
	if s == "" {
		return "", false
	}
	if strings.ContainsAny(s, "eE") {
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			return "", false
		}
		return strings.TrimRight(strings.TrimRight(r.FloatString(maxNumericFrac+1), "0"), "."), true
	}
	neg := false
	switch s[0] {
	case '-':
		neg, s = true, s[1:]
	case '+':
		s = s[1:]
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" && frac == "" {
		return "", false
	}
	for _, part := range []string{intPart, frac} {
		for i := 0; i < len(part); i++ {
			if !isDigit(part[i]) {
				return "", false
			}
		}
	}
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	out := intPart
	if hasDot && frac != "" {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out, true
}

func numberDigits(n string) (intDigits, fracDigits int) {
	n = strings.TrimPrefix(n, "-")
	intPart, frac, _ := strings.Cut(n, ".")
	return len(strings.TrimLeft(intPart, "0")), len(frac)
}

// parseLooseTime accepts the ISO 8601 forms clients send for dates.
func parseLooseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00",
		"2006-01-02 15:04:05.999999999", "2006-01-02T15:04Z07:00", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// renderValue gives the JSON form of a stored value.
func renderValue(v any) any {
	if t, ok := v.(time.Time); ok {
		return formatTime(t)
	}
	return v
}

// formatTime renders timestamps the way the v3 examples show them: UTC with milliseconds.
func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
