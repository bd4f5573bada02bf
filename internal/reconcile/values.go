package reconcile

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// tolerance is how far two amounts may differ and still agree: Dotdigital
// may store numbers with a different rounding than Odoo's 2-decimal amounts.
const tolerance = 0.005

// sameValue reports whether the value the sync would write (as
// customer.Build made it) and the value Dotdigital holds agree, for a data
// field of type typ (String, Numeric, Date, Boolean). It compares meaning,
// not spelling: 3 and 3.0, "2024-05-01T10:00:00Z" and
// "2024-05-01T10:00:00.000Z", "" and null.
func sameValue(typ string, odoo, dd any) bool {
	switch typ {
	case "Numeric":
		a, aok := toFloat(odoo)
		b, bok := toFloat(dd)
		if !aok || !bok {
			return !aok && !bok && isEmpty(odoo) && isEmpty(dd)
		}
		return math.Abs(a-b) <= tolerance
	case "Date":
		a, aok := toTime(odoo)
		b, bok := toTime(dd)
		if !aok || !bok {
			return !aok && !bok && isEmpty(odoo) && isEmpty(dd)
		}
		return a.Equal(b)
	case "Boolean":
		a, aok := toBool(odoo)
		b, bok := toBool(dd)
		if !aok || !bok {
			return !aok && !bok && isEmpty(odoo) && isEmpty(dd)
		}
		return a == b
	case "String":
		return toText(odoo) == toText(dd)
	}
	return canonical(odoo) == canonical(dd)
}

func isEmpty(v any) bool {
	if v == nil {
		return true
	}
	s, ok := v.(string)
	return ok && strings.TrimSpace(s) == ""
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	return 0, false
}

// dateLayouts are the forms a Date data field comes back in.
var dateLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.9999999", "2006-01-02 15:04:05", "2006-01-02"}

func toTime(v any) (time.Time, bool) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, false
	}
	s = strings.TrimSpace(s)
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC().Truncate(time.Second), true
		}
	}
	return time.Time{}, false
}

func toBool(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		b, err := strconv.ParseBool(strings.TrimSpace(x))
		return b, err == nil
	}
	return false, false
}

func toText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return strings.TrimSpace(x)
	}
	return strings.Trim(canonical(v), `"`)
}

// canonical is the display form of a value: its JSON.
func canonical(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	return string(b)
}
