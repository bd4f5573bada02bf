package odooemu

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

type pred func(r int32) bool

func predTrue(int32) bool  { return true }
func predFalse(int32) bool { return false }

var negativeOps = map[string]bool{"!=": true, "not like": true, "not ilike": true, "not in": true}

// compile turns a domain tree into a row predicate for model m.
func (c *callCtx) compile(m *model, n *dnode) (pred, error) {
	switch n.kind {
	case 'T':
		return predTrue, nil
	case 'F':
		return predFalse, nil
	case '!':
		a, err := c.compile(m, n.a)
		if err != nil {
			return nil, err
		}
		return func(r int32) bool { return !a(r) }, nil
	case '&', '|':
		a, err := c.compile(m, n.a)
		if err != nil {
			return nil, err
		}
		b, err := c.compile(m, n.b)
		if err != nil {
			return nil, err
		}
		if n.kind == '&' {
			return func(r int32) bool { return a(r) && b(r) }, nil
		}
		return func(r int32) bool { return a(r) || b(r) }, nil
	}
	return c.compileLeaf(m, n.path, n.op, n.val, n.raw)
}

func invalidField(m *model, name string, raw []any) error {
	return valueError("Invalid field %s.%s in leaf %s", m.name, name, pyRepr(raw))
}

func (c *callCtx) compileLeaf(m *model, path, op string, val any, raw []any) (pred, error) {
	if op == "=?" {
		if !truthy(val) {
			return predTrue, nil
		}
		op = "="
	}
	name, rest, dotted := strings.Cut(path, ".")
	f := m.fields[name]
	if f == nil {
		return nil, invalidField(m, name, raw)
	}
	if dotted {
		if !f.typ.isRelational() {
			return nil, invalidField(m, path, raw)
		}
		target := c.s.models[f.relation]
		ids, err := c.searchIDs(c.withActiveTest(f.typ != fMany2one && c.activeTest), target,
			&dnode{kind: 'L', path: rest, op: op, val: val, raw: raw})
		if err != nil {
			return nil, err
		}
		return c.relIn(m, f, ids, false)
	}
	if !f.stored && f.name != "id" {
		if f.searchAs != "" {
			return c.compileLeaf(m, f.searchAs, op, val, raw)
		}
		if !f.typ.isX2many() {
			return nil, valueError("Non-stored field %s.%s cannot be searched.", m.name, f.name)
		}
	}
	switch op {
	case "child_of", "parent_of":
		return c.hierarchyLeaf(m, f, op, val, raw)
	case "any", "not any":
		if !f.typ.isRelational() {
			return nil, valueError("Invalid leaf %s: 'any' needs a relational field", pyRepr(raw))
		}
		target := c.s.models[f.relation]
		sub, err := parseDomain(val, c.version())
		if err != nil {
			return nil, err
		}
		ids, err := c.searchIDs(c.withActiveTest(f.typ != fMany2one && c.activeTest), target, sub)
		if err != nil {
			return nil, err
		}
		return c.relIn(m, f, ids, op == "not any")
	}
	if f.name == "id" {
		return numericLeaf(func(r int32) (float64, bool) { return float64(m.ids[r]), true }, op, val, raw)
	}
	switch f.typ {
	case fChar, fText, fHTML, fSelection, fDate, fBinary:
		col := f.col.(*strCol).v
		return stringLeaf(func(r int32) string { return col[r] }, op, val, raw)
	case fInteger:
		col := f.col.(*intCol).v
		return numericLeaf(func(r int32) (float64, bool) { return float64(col[r]), true }, op, val, raw)
	case fFloat, fMonetary:
		col := f.col.(*floatCol).v
		return numericLeaf(func(r int32) (float64, bool) { return col[r], true }, op, val, raw)
	case fBoolean:
		col := f.col.(*boolCol).v
		return boolLeaf(func(r int32) bool { return col[r] }, op, val, raw)
	case fDatetime:
		return datetimeLeaf(f.col.(*timeCol).v, op, val, raw)
	case fMany2one, fMany2many, fOne2many:
		return c.relationalLeaf(m, f, op, val, raw)
	}
	return nil, valueError("Invalid leaf %s", pyRepr(raw))
}

// listOf reads the right side of in / not in: a list, or a scalar as a
// one-element list.
func listOf(val any) []any {
	switch x := val.(type) {
	case []any:
		return x
	case nil:
		return nil
	}
	return []any{val}
}

func stringLeaf(get func(int32) string, op string, val any, raw []any) (pred, error) {
	toStr := func(v any) string {
		switch x := v.(type) {
		case string:
			return x
		case time.Time:
			return x.Format(datetimeLayout)
		case bool, nil:
			return ""
		}
		return fmt.Sprint(v)
	}
	s := toStr(val)
	switch op {
	case "=":
		if !truthy(val) {
			return func(r int32) bool { return get(r) == "" }, nil
		}
		return func(r int32) bool { return get(r) == s }, nil
	case "!=":
		if !truthy(val) {
			return func(r int32) bool { return get(r) != "" }, nil
		}
		return func(r int32) bool { return get(r) != s }, nil
	case "<", "<=", ">", ">=":
		if !truthy(val) {
			return predFalse, nil
		}
		return func(r int32) bool {
			v := get(r)
			return v != "" && cmpOp(strings.Compare(v, s), op)
		}, nil
	case "like", "ilike", "not like", "not ilike", "=like", "=ilike":
		if !truthy(val) && !strings.HasPrefix(op, "=") {
			if strings.HasPrefix(op, "not") {
				return predFalse, nil
			}
			return predTrue, nil
		}
		pattern := s
		if !strings.HasPrefix(op, "=") {
			pattern = "%" + s + "%"
		}
		match := likeMatch
		if strings.Contains(op, "ilike") {
			match = ilikeMatch
		}
		if strings.HasPrefix(op, "not") {
			return func(r int32) bool { v := get(r); return v == "" || !match(v, pattern) }, nil
		}
		return func(r int32) bool { v := get(r); return v != "" && match(v, pattern) }, nil
	case "in", "not in":
		set := map[string]bool{}
		withNull := false
		for _, x := range listOf(val) {
			if !truthy(x) {
				withNull = true
				continue
			}
			set[toStr(x)] = true
		}
		if op == "in" {
			return func(r int32) bool { v := get(r); return (v == "" && withNull) || (v != "" && set[v]) }, nil
		}
		return func(r int32) bool { v := get(r); return (v == "" && !withNull) || (v != "" && !set[v]) }, nil
	}
	return nil, valueError("Invalid leaf %s", pyRepr(raw))
}

func cmpOp(c int, op string) bool {
	switch op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	case "=":
		return c == 0
	case "!=":
		return c != 0
	}
	return false
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	case float64:
		return x, true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	return 0, false
}

func numericLeaf(get func(int32) (float64, bool), op string, val any, raw []any) (pred, error) {
	badValue := func(v any) error {
		return pyErr("psycopg2.errors.InvalidTextRepresentation", "invalid input syntax for type numeric: %s", pyRepr(v))
	}
	switch op {
	case "=", "!=", "<", "<=", ">", ">=":
		if val == false || val == nil {
			// Compared with NULL: = False matches nothing stored (0 is not NULL),
			// != False matches everything.
			return func(int32) bool { return op == "!=" }, nil
		}
		x, ok := toFloat(val)
		if !ok {
			return nil, badValue(val)
		}
		return func(r int32) bool {
			v, _ := get(r)
			switch {
			case v < x:
				return cmpOp(-1, op)
			case v > x:
				return cmpOp(1, op)
			}
			return cmpOp(0, op)
		}, nil
	case "in", "not in":
		set := map[float64]bool{}
		for _, e := range listOf(val) {
			if e == false || e == nil {
				continue
			}
			x, ok := toFloat(e)
			if !ok {
				return nil, badValue(e)
			}
			set[x] = true
		}
		in := op == "in"
		return func(r int32) bool { v, _ := get(r); return set[v] == in }, nil
	case "like", "ilike", "not like", "not ilike", "=like", "=ilike":
		return stringLeaf(func(r int32) string {
			v, _ := get(r)
			return strconv.FormatFloat(v, 'f', -1, 64)
		}, op, val, raw)
	}
	return nil, valueError("Invalid leaf %s", pyRepr(raw))
}

func boolLeaf(get func(int32) bool, op string, val any, raw []any) (pred, error) {
	switch op {
	case "=", "!=":
		want := truthy(val)
		eq := op == "="
		return func(r int32) bool { return (get(r) == want) == eq }, nil
	case "in", "not in":
		hasT, hasF := false, false
		for _, e := range listOf(val) {
			if truthy(e) {
				hasT = true
			} else {
				hasF = true
			}
		}
		in := op == "in"
		return func(r int32) bool {
			v := get(r)
			return ((v && hasT) || (!v && hasF)) == in
		}, nil
	}
	return nil, valueError("Invalid leaf %s", pyRepr(raw))
}

// datetimeLeaf compares stored microseconds with the value, so ('write_date',
// '>', '10:00:00') also matches 10:00:00.4 (16-18 semantics). A date-only
// value is widened: 23:59:59 for > and <=, 00:00:00 otherwise.
func datetimeLeaf(col []tstamp, op string, val any, raw []any) (pred, error) {
	parse := func(v any) (tstamp, error) {
		ts, dateOnly, err := parseDatetime(v)
		if err != nil {
			return nullTS, err
		}
		if dateOnly && (op == ">" || op == "<=") {
			ts += tstamp(86399 * 1_000_000)
		}
		return ts, nil
	}
	switch op {
	case "=", "!=", "<", "<=", ">", ">=":
		if !truthy(val) {
			switch op {
			case "=":
				return func(r int32) bool { return col[r] == nullTS }, nil
			case "!=":
				return func(r int32) bool { return col[r] != nullTS }, nil
			}
			return predFalse, nil
		}
		x, err := parse(val)
		if err != nil {
			return nil, err
		}
		if op == "!=" {
			return func(r int32) bool { return col[r] != x }, nil
		}
		return func(r int32) bool {
			v := col[r]
			if v == nullTS {
				return false
			}
			switch {
			case v < x:
				return cmpOp(-1, op)
			case v > x:
				return cmpOp(1, op)
			}
			return cmpOp(0, op)
		}, nil
	case "in", "not in":
		set := map[tstamp]bool{}
		withNull := false
		for _, e := range listOf(val) {
			if !truthy(e) {
				withNull = true
				continue
			}
			x, err := parse(e)
			if err != nil {
				return nil, err
			}
			set[x] = true
		}
		in := op == "in"
		return func(r int32) bool {
			v := col[r]
			if v == nullTS {
				return withNull == in
			}
			return set[v] == in
		}, nil
	case "like", "ilike", "not like", "not ilike", "=like", "=ilike":
		// PostgreSQL casts the timestamp to text.
		return stringLeaf(func(r int32) string {
			if col[r] == nullTS {
				return ""
			}
			return pyDatetimeStr(col[r])
		}, op, val, raw)
	}
	return nil, valueError("Invalid leaf %s", pyRepr(raw))
}
