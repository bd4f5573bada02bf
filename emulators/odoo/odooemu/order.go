package odooemu

import (
	"cmp"
	"regexp"
	"slices"
	"strings"
)

// orderTerm is one "field [asc|desc] [nulls first|last]" of an order spec.
type orderTerm struct {
	f          *field
	desc       bool
	nullsFirst bool
}

var orderRx = regexp.MustCompile(`(?i)^(\s*([a-z0-9:_]+|"[a-z0-9:_]+")(\.id)?(\s+(desc|asc))?(\s+nulls\s+(first|last))?\s*(,|$))+$`)

// parseOrder validates an order spec the way models.py does: a bad shape is
// a UserError (Fault 2), an unknown field a ValueError (Fault 1).
func parseOrder(m *model, spec string) ([]orderTerm, error) {
	if strings.TrimSpace(spec) == "" {
		spec = m.order
	}
	if !orderRx.MatchString(spec) || strings.HasSuffix(strings.TrimSpace(spec), ",") {
		return nil, userError("Invalid \"order\" specified (%s). A valid \"order\" specification is a comma-separated list of valid field names (optionally followed by asc/desc for the direction)", spec)
	}
	var terms []orderTerm
	for _, part := range strings.Split(spec, ",") {
		words := strings.Fields(part)
		name := strings.Trim(words[0], `"`)
		name = strings.TrimSuffix(name, ".id")
		f := m.fields[name]
		if f == nil {
			return nil, valueError("Invalid field %s on model %s", pyRepr(name), pyRepr(m.name))
		}
		if !f.stored && f.name != "id" {
			if f.sortAs == "" {
				return nil, valueError("Cannot convert %s.%s to SQL because it is not stored", m.name, f.name)
			}
			f = m.fields[f.sortAs]
		}
		if f.typ.isX2many() {
			return nil, valueError("Cannot order by %s.%s: it is a %s field", m.name, f.name, f.typ)
		}
		t := orderTerm{f: f}
		for i := 1; i < len(words); i++ {
			switch strings.ToLower(words[i]) {
			case "desc":
				t.desc = true
			case "first":
				t.nullsFirst = true
			}
		}
		// PostgreSQL: NULLS LAST for ASC, NULLS FIRST for DESC, unless said.
		if len(words) < 3 || !strings.EqualFold(words[len(words)-2], "nulls") {
			t.nullsFirst = t.desc
		}
		terms = append(terms, t)
	}
	return terms, nil
}

// sortRows orders rows by terms, then by id so results are stable.
func (c *callCtx) sortRows(m *model, rows []int32, terms []orderTerm) {
	type keyed struct {
		cmp    func(a, b int32) int // nulls handled by isNull
		isNull func(r int32) bool
		t      orderTerm
	}
	keys := make([]keyed, 0, len(terms))
	for _, t := range terms {
		f := t.f
		k := keyed{t: t, isNull: func(int32) bool { return false }}
		switch {
		case f.name == "id":
			k.cmp = func(a, b int32) int { return cmp.Compare(m.ids[a], m.ids[b]) }
		case f.typ == fMany2one:
			col := f.col.(*intCol).v
			target := c.s.models[f.relation]
			names := map[int64]string{}
			for _, r := range rows {
				if id := col[r]; id != 0 {
					if _, ok := names[id]; !ok {
						names[id] = c.displayName(target, id)
					}
				}
			}
			k.isNull = func(r int32) bool { return col[r] == 0 }
			k.cmp = func(a, b int32) int {
				if x := strings.Compare(names[col[a]], names[col[b]]); x != 0 {
					return x
				}
				return cmp.Compare(col[a], col[b])
			}
		default:
			switch col := f.col.(type) {
			case *strCol:
				k.isNull = func(r int32) bool { return col.v[r] == "" }
				k.cmp = func(a, b int32) int { return strings.Compare(col.v[a], col.v[b]) }
			case *intCol:
				k.cmp = func(a, b int32) int { return cmp.Compare(col.v[a], col.v[b]) }
			case *floatCol:
				k.cmp = func(a, b int32) int { return cmp.Compare(col.v[a], col.v[b]) }
			case *boolCol:
				k.cmp = func(a, b int32) int { return cmp.Compare(b2i(col.v[a]), b2i(col.v[b])) }
			case *timeCol:
				k.isNull = func(r int32) bool { return col.v[r] == nullTS }
				k.cmp = func(a, b int32) int { return cmp.Compare(col.v[a], col.v[b]) }
			}
		}
		keys = append(keys, k)
	}
	slices.SortStableFunc(rows, func(a, b int32) int {
		for _, k := range keys {
			na, nb := k.isNull(a), k.isNull(b)
			switch {
			case na && nb:
				continue
			case na:
				if k.t.nullsFirst {
					return -1
				}
				return 1
			case nb:
				if k.t.nullsFirst {
					return 1
				}
				return -1
			}
			x := k.cmp(a, b)
			if k.t.desc {
				x = -x
			}
			if x != 0 {
				return x
			}
		}
		return cmp.Compare(m.ids[a], m.ids[b])
	})
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
