package odoo

import (
	"encoding/json"
	"math"
	"strings"
	"time"
)

// Odoo's datetime wire format: UTC, no zone, whole seconds.
const (
	DatetimeLayout = "2006-01-02 15:04:05"
	DateLayout     = "2006-01-02"
)

// FormatDatetime renders t the way Odoo writes and compares datetimes.
func FormatDatetime(t time.Time) string { return t.UTC().Format(DatetimeLayout) }

// ParseDatetime reads an Odoo datetime or date string as UTC. It also
// accepts microseconds (webhook payloads) and RFC 3339.
func ParseDatetime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{DatetimeLayout, "2006-01-02 15:04:05.999999999", DateLayout, time.RFC3339Nano, "20060102T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// Many2One is a many2one value: read gives [id, "display name"], or a bare
// id with load=None, or False (zero Many2One) when empty.
type Many2One struct {
	ID   int64
	Name string
}

// Valid reports whether the relation is set.
func (m Many2One) Valid() bool { return m.ID > 0 }

// Record is one row from read/search_read, as decoded from XML-RPC. Odoo
// writes False for every empty value, so use the getters: each returns the
// zero value for False, nil, a missing field, or a value of another type.
// A Record that went through JSON (numbers become float64) reads the same.
type Record map[string]any

// ID returns the record id.
func (r Record) ID() int64 { return r.Int("id") }

// Has reports whether the field is present in the row (even if False).
func (r Record) Has(field string) bool {
	_, ok := r[field]
	return ok
}

// Raw returns the decoded value as is.
func (r Record) Raw(field string) any { return r[field] }

// String returns a char/text/html/selection value; "" for False.
func (r Record) String(field string) string {
	s, _ := r[field].(string)
	return s
}

// Int returns an integer value; the id for a many2one; 0 for False.
func (r Record) Int(field string) int64 {
	switch v := r[field].(type) {
	case []any:
		return r.Many2One(field).ID
	case Many2One:
		return v.ID
	default:
		n, _ := asInt(v)
		return n
	}
}

// Float returns a float/monetary value (Odoo may send 0 as an int); 0 for False.
func (r Record) Float(field string) float64 {
	switch v := r[field].(type) {
	case float64:
		return finite(v)
	case float32:
		return finite(float64(v))
	case int64:
		return float64(v)
	case int:
		return float64(v)
	case int32:
		return float64(v)
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return 0
		}
		return finite(f)
	}
	return 0
}

func finite(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}

// Bool returns a boolean value; false for anything else.
func (r Record) Bool(field string) bool {
	b, _ := r[field].(bool)
	return b
}

// Many2One returns [id, name], a bare id (load=None), or the zero value.
func (r Record) Many2One(field string) Many2One {
	return asMany2One(r[field])
}

// IDs returns a one2many/many2many list of ids; nil for False.
func (r Record) IDs(field string) []int64 {
	return asIDs(r[field])
}

// Time returns a datetime or date as UTC; the zero time for False.
func (r Record) Time(field string) time.Time {
	switch v := r[field].(type) {
	case string:
		t, _ := ParseDatetime(v)
		return t
	case time.Time:
		return v.UTC()
	}
	return time.Time{}
}

func asMany2One(v any) Many2One {
	switch x := v.(type) {
	case []any:
		// [id, "name"]; the name decodes as nil when it is "". Any other
		// list (an x2many) is not a many2one.
		if len(x) != 2 {
			return Many2One{}
		}
		name, isName := x[1].(string)
		if !isName && x[1] != nil {
			return Many2One{}
		}
		id, ok := asInt(x[0])
		if !ok || id <= 0 {
			return Many2One{}
		}
		return Many2One{ID: id, Name: name}
	case Many2One:
		return x
	case map[string]any: // a Many2One that went through JSON
		id, ok := asInt(x["ID"])
		if !ok || id <= 0 {
			return Many2One{}
		}
		name, _ := x["Name"].(string)
		return Many2One{ID: id, Name: name}
	default:
		if id, ok := asInt(x); ok && id > 0 {
			return Many2One{ID: id}
		}
	}
	return Many2One{}
}

func asIDs(v any) []int64 {
	switch x := v.(type) {
	case []int64:
		return append([]int64(nil), x...)
	case []any:
		out := make([]int64, 0, len(x))
		for _, e := range x {
			if id, ok := asInt(e); ok && id > 0 {
				out = append(out, id)
			}
		}
		return out
	}
	return nil
}

// asInt converts any integer-looking decoded value. Floats are accepted
// when integral and in range (JSON turns every number into float64).
func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case int32:
		return int64(x), true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) || x != math.Trunc(x) || x >= 1<<63 || x < -(1<<63) {
			return 0, false
		}
		return int64(x), true
	case json.Number:
		n, err := x.Int64()
		return n, err == nil
	}
	return 0, false
}
