package odooemu

import "strings"

// dnode is a parsed domain: '&', '|', '!' nodes, leaves, and constants.
type dnode struct {
	kind byte // '&' '|' '!' 'L' 'T' 'F'
	a, b *dnode
	path string
	op   string
	val  any
	raw  []any
}

var termOperators16 = map[string]bool{
	"=": true, "!=": true, "<=": true, "<": true, ">": true, ">=": true, "=?": true,
	"=like": true, "=ilike": true, "like": true, "not like": true, "ilike": true,
	"not ilike": true, "in": true, "not in": true, "child_of": true, "parent_of": true,
}

// parseDomain reads a domain in prefix notation (odoo/osv/expression.py).
func parseDomain(v any, version int) (*dnode, error) {
	if !truthy(v) {
		return &dnode{kind: 'T'}, nil
	}
	items, ok := v.([]any)
	if !ok {
		return nil, valueError("Invalid domain: %s", pyRepr(v))
	}
	var nodes []*dnode
	pos := 0
	for pos < len(items) {
		n, err := parseTerm(items, &pos, version)
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, n)
	}
	return andAll(nodes), nil
}

func andAll(nodes []*dnode) *dnode {
	if len(nodes) == 0 {
		return &dnode{kind: 'T'}
	}
	n := nodes[len(nodes)-1]
	for i := len(nodes) - 2; i >= 0; i-- {
		n = &dnode{kind: '&', a: nodes[i], b: n}
	}
	return n
}

func parseTerm(items []any, pos *int, version int) (*dnode, error) {
	if *pos >= len(items) {
		return nil, valueError("Invalid domain %s: an operator is missing an operand", pyRepr(items))
	}
	it := items[*pos]
	*pos++
	switch x := it.(type) {
	case string:
		switch x {
		case "&", "|":
			a, err := parseTerm(items, pos, version)
			if err != nil {
				return nil, err
			}
			b, err := parseTerm(items, pos, version)
			if err != nil {
				return nil, err
			}
			return &dnode{kind: x[0], a: a, b: b}, nil
		case "!":
			a, err := parseTerm(items, pos, version)
			if err != nil {
				return nil, err
			}
			return &dnode{kind: '!', a: a}, nil
		}
	case []any:
		return parseLeaf(x, version)
	}
	return nil, valueError("Invalid leaf %s", pyRepr(it))
}

func parseLeaf(x []any, version int) (*dnode, error) {
	if len(x) != 3 {
		return nil, valueError("Invalid leaf %s", pyRepr(x))
	}
	op, ok := x[1].(string)
	if !ok {
		return nil, valueError("Invalid leaf %s", pyRepr(x))
	}
	op = strings.ToLower(op)
	if op == "<>" {
		op = "!="
	}
	// Constant leaves (1, '=', 1) and (0, '=', 1).
	if left, isInt := asIntStrict(x[0]); isInt {
		right, rok := asIntStrict(x[2])
		if op == "=" && rok && right == 1 && (left == 1 || left == 0) {
			if left == 1 {
				return &dnode{kind: 'T'}, nil
			}
			return &dnode{kind: 'F'}, nil
		}
		return nil, valueError("Invalid leaf %s", pyRepr(x))
	}
	path, ok := x[0].(string)
	if !ok || path == "" {
		return nil, valueError("Invalid leaf %s", pyRepr(x))
	}
	valid := termOperators16[op] || (version >= 17 && (op == "any" || op == "not any"))
	if !valid {
		return nil, valueError("Invalid leaf %s", pyRepr(x))
	}
	return &dnode{kind: 'L', path: path, op: op, val: x[2], raw: x}, nil
}

func asIntStrict(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	}
	return 0, false
}

// mentionsActive reports whether a leaf names the active field, which turns
// off the implicit ('active', '=', True) (models.py _where_calc).
func (n *dnode) mentionsActive() bool {
	switch n.kind {
	case 'L':
		return n.path == "active"
	case '&', '|':
		return n.a.mentionsActive() || n.b.mentionsActive()
	case '!':
		return n.a.mentionsActive()
	}
	return false
}
