package odooemu

import (
	"encoding/base64"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

const (
	dateLayout     = "2006-01-02"
	datetimeLayout = "2006-01-02 15:04:05"
)

// parseDatetime reads the forms Odoo and PostgreSQL accept for a datetime
// value: 'YYYY-MM-DD HH:MM:SS[.ffffff]', a 'T' separator, a date alone, or
// an XML-RPC dateTime. dateOnly reports the date-only form.
func parseDatetime(v any) (ts tstamp, dateOnly bool, err error) {
	switch x := v.(type) {
	case time.Time:
		return toTS(x), false, nil
	case string:
		s := strings.TrimSpace(x)
		if len(s) == 10 {
			t, err := time.Parse(dateLayout, s)
			if err != nil {
				return nullTS, false, badTimestamp(x)
			}
			return toTS(t), true, nil
		}
		s = strings.Replace(s, "T", " ", 1)
		for _, layout := range []string{"2006-01-02 15:04:05.999999999", datetimeLayout, "2006-01-02 15:04"} {
			if t, err := time.Parse(layout, s); err == nil {
				return toTS(t.Truncate(time.Microsecond)), false, nil
			}
		}
	}
	return nullTS, false, badTimestamp(v)
}

func badTimestamp(v any) error {
	return pyErr("psycopg2.errors.InvalidDatetimeFormat", "invalid input syntax for type timestamp: %s", pyRepr(v))
}

// fmtDatetime is Odoo's Datetime.to_string: seconds, no zone.
func fmtDatetime(ts tstamp) string { return ts.time().Format(datetimeLayout) }

// pyDatetimeStr is Python's str(datetime): microseconds only when non-zero.
func pyDatetimeStr(ts tstamp) string {
	t := ts.time()
	if t.Nanosecond() == 0 {
		return t.Format(datetimeLayout)
	}
	return t.Format("2006-01-02 15:04:05.000000")
}

func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case int64:
		return x != 0
	case int:
		return x != 0
	case float64:
		return x != 0
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	case []int64:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	case []byte:
		return len(x) > 0
	}
	return true
}

func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case float64:
		return int64(x), true
	}
	return 0, false
}

func roundTo(f float64, digits int) float64 {
	if digits <= 0 {
		return f
	}
	p := math.Pow(10, float64(digits))
	return math.Round(f*p) / p
}

// convertIn turns a value sent by a client into the stored form of f.
// x2many fields are handled by applyX2many.
func (c *callCtx) convertIn(m *model, f *field, v any) (any, error) {
	wrong := func() error { return valueError("Wrong value for %s.%s: %s", m.name, f.name, pyRepr(v)) }
	switch f.typ {
	case fChar, fText, fHTML:
		switch x := v.(type) {
		case nil, bool:
			if x == true {
				return "True", nil
			}
			return "", nil
		case string:
			return x, nil
		case int64, float64:
			return fmt.Sprint(x), nil
		case []byte: // str(xmlrpc.client.Binary): the data as latin-1
			r := make([]rune, len(x))
			for i, b := range x {
				r[i] = rune(b)
			}
			return string(r), nil
		}
		return nil, wrong()
	case fSelection:
		if !truthy(v) {
			return "", nil
		}
		s, ok := v.(string)
		if !ok || !f.hasSelection(s) {
			return nil, wrong()
		}
		return s, nil
	case fBinary:
		switch x := v.(type) {
		case nil, bool:
			return "", nil
		case string:
			return x, nil
		case []byte:
			return base64.StdEncoding.EncodeToString(x), nil
		}
		return nil, wrong()
	case fDate:
		switch x := v.(type) {
		case nil, bool:
			return "", nil
		case time.Time:
			return x.Format(dateLayout), nil
		case string:
			if x == "" {
				return "", nil
			}
			if len(x) >= 10 {
				if _, err := time.Parse(dateLayout, x[:10]); err == nil {
					return x[:10], nil
				}
			}
			return nil, valueError("time data %s does not match format '%%Y-%%m-%%d'", pyRepr(x))
		}
		return nil, wrong()
	case fDatetime:
		switch x := v.(type) {
		case nil, bool:
			return nullTS, nil
		case string:
			if x == "" {
				return nullTS, nil
			}
			// Datetime.to_datetime cuts strings to seconds.
			ts, _, err := parseDatetime(x)
			if err != nil {
				return nil, valueError("time data %s does not match format '%%Y-%%m-%%d %%H:%%M:%%S'", pyRepr(x))
			}
			return ts - ts%1_000_000, nil
		case time.Time:
			return toTS(x), nil
		}
		return nil, wrong()
	case fInteger:
		if v == nil {
			return int64(0), nil
		}
		if n, ok := asInt(v); ok {
			return n, nil
		}
		if s, ok := v.(string); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
			if err != nil {
				return nil, valueError("invalid literal for int() with base 10: %s", pyRepr(s))
			}
			return n, nil
		}
		return nil, wrong()
	case fFloat, fMonetary:
		switch x := v.(type) {
		case nil:
			return 0.0, nil
		case float64:
			return roundTo(x, f.digits), nil
		case string:
			fl, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err != nil {
				return nil, valueError("could not convert string to float: %s", pyRepr(x))
			}
			return roundTo(fl, f.digits), nil
		}
		if n, ok := asInt(v); ok {
			return float64(n), nil
		}
		return nil, wrong()
	case fBoolean:
		return truthy(v), nil
	case fMany2one:
		if !truthy(v) {
			return int64(0), nil
		}
		id, ok := asInt(v)
		if !ok {
			return nil, wrong()
		}
		target := c.s.models[f.relation]
		if _, ok := target.visibleRow(id, c.viewer()); !ok {
			return nil, fkViolation(m, f)
		}
		return id, nil
	}
	return nil, wrong()
}

func fkViolation(m *model, f *field) error {
	return validationError("The operation cannot be completed: another model requires the record being deleted. If possible, archive it instead.\n\nModel: %s (%s)\nConstraint: %s_%s_fkey",
		m.desc, m.name, strings.ReplaceAll(m.name, ".", "_"), f.name)
}

func notNullViolation(m *model, f *field) error {
	return validationError("The operation cannot be completed:\n- Create/update: a mandatory field is not set.\n- Delete: another model requires the record being deleted. If possible, archive it instead.\n\nModel: %s (%s)\nField: %s (%s)",
		m.desc, m.name, f.label, f.name)
}

// readValue renders a field of a row as Odoo's read() does. classic is the
// default load='_classic_read' (many2one as [id, name]); webhook renders
// datetimes with microseconds (json.dumps(default=str)).
func (c *callCtx) readValue(m *model, f *field, r int32, classic, webhook bool) any {
	var raw any
	if f.name == "id" {
		return m.ids[r]
	}
	switch {
	case f.stored:
		raw = f.col.get(r)
	case f.compute != nil:
		raw = f.compute(c, m, r)
	case f.typ == fOne2many:
		raw = c.filterActive(c.s.models[f.relation], c.o2mChildren(f, m.ids[r]))
	default:
		return false
	}
	switch f.typ {
	case fChar, fText, fHTML, fSelection, fDate, fBinary:
		s := raw.(string)
		if s == "" {
			return false
		}
		return s
	case fInteger:
		return raw.(int64)
	case fFloat, fMonetary:
		return raw.(float64)
	case fBoolean:
		return raw.(bool)
	case fDatetime:
		ts := raw.(tstamp)
		if ts == nullTS {
			return false
		}
		if webhook {
			return pyDatetimeStr(ts)
		}
		return fmtDatetime(ts)
	case fMany2one:
		id := raw.(int64)
		if id == 0 {
			return false
		}
		if !classic {
			return id
		}
		return []any{id, c.displayName(c.s.models[f.relation], id)}
	case fOne2many, fMany2many:
		ids := raw.([]int64)
		if f.stored {
			ids = c.filterActive(c.s.models[f.relation], ids)
		}
		out := make([]any, len(ids))
		for i, id := range ids {
			out[i] = id
		}
		return out
	}
	return false
}

// filterActive drops archived targets from a many2many read, as the ORM
// does unless active_test is off.
func (c *callCtx) filterActive(target *model, ids []int64) []int64 {
	if !target.hasActive || !c.activeTest {
		return ids
	}
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if r, ok := target.visibleRow(id, c.viewer()); ok && target.isActive(r) {
			out = append(out, id)
		}
	}
	return out
}

// displayName is computed with sudo: it shows even for records the user
// cannot read.
func (c *callCtx) displayName(m *model, id int64) string {
	r, ok := m.visibleRow(id, c.viewer())
	if !ok {
		return ""
	}
	return c.displayRow(m, r)
}

func (c *callCtx) displayRow(m *model, r int32) string {
	if f := m.fields["display_name"]; f != nil && f.compute != nil {
		return f.compute(c, m, r).(string)
	}
	if f := m.fields[m.recName]; f != nil && f.stored {
		if s, ok := f.col.get(r).(string); ok && s != "" {
			return s
		}
	}
	return fmt.Sprintf("%s,%d", m.name, m.ids[r])
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
