package odoo

import (
	"time"
)

// Domain is an Odoo search domain in its wire form: prefix (Polish)
// notation, operators "&", "|", "!" and terms [field, operator, value].
// Build it with Term, And, Or and Not rather than by hand. The zero Domain
// matches every record. A Domain holds only strings, numbers, booleans and
// lists, so it survives JSON (e.g. a Temporal payload).
type Domain []any

// Term operators understood by Odoo 16+ ("any"/"not any" need 17+).
const (
	OpEq        = "="
	OpNe        = "!="
	OpLt        = "<"
	OpLe        = "<="
	OpGt        = ">"
	OpGe        = ">="
	OpIn        = "in"
	OpNotIn     = "not in"
	OpLike      = "like"
	OpILike     = "ilike"
	OpEqILike   = "=ilike"
	OpNotILike  = "not ilike"
	OpChildOf   = "child_of"
	OpEqOrFalse = "=?"
)

// Term is one condition. The value is made wire-safe here: a time.Time
// becomes Odoo's UTC "YYYY-MM-DD HH:MM:SS" string, a Many2One its id, nil
// False, integer slices lists of int64.
func Term(field, op string, value any) Domain {
	return Domain{[]any{field, op, termValue(value)}}
}

// And matches what every domain matches. Empty domains (match all) drop out.
func And(ds ...Domain) Domain { return combine("&", ds, true) }

// Or matches what any domain matches. Or() matches nothing; an empty
// (match-all) operand makes the whole Or match all.
func Or(ds ...Domain) Domain { return combine("|", ds, false) }

// Not negates d. Not of the empty (match-all) domain matches nothing.
func Not(d Domain) Domain {
	if len(d) == 0 {
		return matchNothing()
	}
	d = single(d)
	out := make(Domain, 0, len(d)+1)
	out = append(out, "!")
	return append(out, d...)
}

func matchNothing() Domain { return Domain{[]any{int64(0), "=", int64(1)}} }

func combine(op string, ds []Domain, isAnd bool) Domain {
	parts := make([]Domain, 0, len(ds))
	for _, d := range ds {
		if len(d) == 0 {
			if isAnd {
				continue // TRUE AND x = x
			}
			return Domain{} // TRUE OR x = TRUE
		}
		parts = append(parts, single(d))
	}
	switch len(parts) {
	case 0:
		if isAnd {
			return Domain{}
		}
		return matchNothing()
	case 1:
		return parts[0]
	}
	n := len(parts) - 1
	for _, p := range parts {
		n += len(p)
	}
	out := make(Domain, 0, n)
	for range len(parts) - 1 {
		out = append(out, op)
	}
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// single makes d one prefix expression: a hand-built list of several terms
// (implicit AND) gets its '&' operators, so it can be an operand.
func single(d Domain) Domain {
	n := roots(d)
	if n <= 1 {
		return d
	}
	out := make(Domain, 0, len(d)+n-1)
	for range n - 1 {
		out = append(out, "&")
	}
	return append(out, d...)
}

// roots counts the top-level expressions of a prefix-notation domain.
func roots(d Domain) int {
	n, need := 0, 0
	for _, el := range d {
		if need == 0 {
			n++
			need = 1
		}
		switch el {
		case "&", "|":
			need++ // consumes one slot, opens two
		case "!":
			// consumes one slot, opens one
		default:
			need--
		}
	}
	return n
}

func termValue(v any) any {
	switch x := v.(type) {
	case nil:
		return false
	case time.Time:
		if x.IsZero() {
			return false
		}
		return FormatDatetime(x)
	case Many2One:
		if x.ID == 0 {
			return false
		}
		return x.ID
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case []int:
		out := make([]int64, len(x))
		for i, n := range x {
			out[i] = int64(n)
		}
		return out
	case []int64:
		return append([]int64{}, x...)
	case []string:
		return append([]string{}, x...)
	}
	return v
}
