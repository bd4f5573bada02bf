package odooemu

import (
	"fmt"
	"strings"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/odoo/xmlrpcwire"
)

// param is a Python parameter: required when it has no default.
type param struct {
	name     string
	def      any
	required bool
}

// methodSpec is a public model method and its Python signature.
type methodSpec struct {
	name       string
	pyClass    string // for TypeError messages
	records    bool   // api.multi: args[0] is the ids
	params     []param
	varKw      bool // **kwargs accepted (search_read's read_kwargs)
	minVersion int
	maxVersion int
	readOnly   bool // runs under the read lock
	fn         func(c *callCtx, m *model, ids []int64, a map[string]any) (any, error)
}

func req(name string) param           { return param{name: name, required: true} }
func opt(name string, d any) param    { return param{name: name, def: d} }
func (m *model) add(spec *methodSpec) { m.methods[spec.name] = spec }

// bind maps positional and keyword arguments onto the signature the way
// Python does, with Python's TypeError texts.
func (spec *methodSpec) bind(args []any, kwargs map[string]any) (map[string]any, error) {
	out := map[string]any{}
	fname := spec.pyClass + "." + spec.name + "()"
	if len(args) > len(spec.params) {
		return nil, typeError("%s takes %d positional arguments but %d were given", fname, len(spec.params)+1, len(args)+1)
	}
	for i, a := range args {
		out[spec.params[i].name] = a
	}
	extra := map[string]any{}
	for _, k := range sortedKeys(kwargs) {
		known := false
		for _, p := range spec.params {
			if p.name == k {
				known = true
			}
		}
		if !known {
			if !spec.varKw {
				return nil, typeError("%s got an unexpected keyword argument '%s'", fname, k)
			}
			extra[k] = kwargs[k]
			continue
		}
		if _, dup := out[k]; dup {
			return nil, typeError("%s got multiple values for argument '%s'", fname, k)
		}
		out[k] = kwargs[k]
	}
	for _, p := range spec.params {
		if _, ok := out[p.name]; !ok {
			if p.required {
				return nil, typeError("%s missing 1 required positional argument: '%s'", fname, p.name)
			}
			out[p.name] = p.def
		}
	}
	out["__extra"] = extra
	return out, nil
}

// idsArg reads the ids of a record method (browse accepts an int or a list).
func idsArg(v any) ([]int64, error) {
	switch x := v.(type) {
	case []any:
		ids := make([]int64, 0, len(x))
		for _, e := range x {
			id, ok := asIntStrict(e)
			if !ok {
				if !truthy(e) {
					continue
				}
				return nil, typeError("unhashable type or bad id: %s", pyRepr(e))
			}
			ids = append(ids, id)
		}
		return ids, nil
	case nil, bool:
		if x == true {
			return []int64{1}, nil
		}
		return nil, nil
	case string:
		if x == "" {
			return nil, nil
		}
	}
	if id, ok := asIntStrict(v); ok {
		return []int64{id}, nil
	}
	return nil, typeError("Invalid ids %s", pyRepr(v))
}

func stringList(v any, what string) ([]string, error) {
	if !truthy(v) {
		return nil, nil
	}
	if s, ok := v.(string); ok {
		return []string{s}, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, typeError("%s must be a list, not %T", what, v)
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, typeError("%s must be a list of strings: %s", what, pyRepr(v))
		}
		out = append(out, s)
	}
	return out, nil
}

func intArg(v any, name string, dflt int) (int, error) {
	if v == nil || v == false {
		return dflt, nil
	}
	n, ok := asIntStrict(v)
	if !ok {
		return 0, typeError("'%s' must be an integer, got %s", name, pyRepr(v))
	}
	return int(n), nil
}

func orderArg(v any) (string, error) {
	if !truthy(v) {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", userError("Invalid \"order\" specified (%s). A valid \"order\" specification is a comma-separated list of valid field names (optionally followed by asc/desc for the direction)", pyRepr(v))
	}
	return s, nil
}

func loadClassic(v any) bool {
	s, ok := v.(string)
	return ok && s == "_classic_read"
}

func pyClassName(model string) string {
	var b strings.Builder
	for _, part := range strings.Split(model, ".") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

// addCommonMethods registers the BaseModel methods on m.
func addCommonMethods(s *store, m *model) {
	cls := pyClassName(m.name)
	search := func(c *callCtx, m *model, a map[string]any) ([]int32, error) {
		dom, err := parseDomain(a["domain"], s.version)
		if err != nil {
			return nil, err
		}
		offset, err := intArg(a["offset"], "offset", 0)
		if err != nil {
			return nil, err
		}
		limit, err := intArg(a["limit"], "limit", -1)
		if err != nil {
			return nil, err
		}
		if limit <= 0 { // Python: "limit and ..." - 0 and None mean no limit
			limit = -1
		}
		order, err := orderArg(a["order"])
		if err != nil {
			return nil, err
		}
		return c.searchRows(m, dom, offset, limit, order)
	}
	searchParams := []param{req("domain"), opt("offset", int64(0)), opt("limit", nil), opt("order", nil)}
	if s.version == 16 {
		searchParams = append(searchParams, opt("count", false))
	}
	m.add(&methodSpec{name: "search", pyClass: cls, params: searchParams, readOnly: true,
		fn: func(c *callCtx, m *model, _ []int64, a map[string]any) (any, error) {
			if truthy(a["count"]) {
				dom, err := parseDomain(a["domain"], s.version)
				if err != nil {
					return nil, err
				}
				n, err := c.countRows(m, dom)
				return int64(n), err
			}
			rows, err := search(c, m, a)
			if err != nil {
				return nil, err
			}
			return rowIDs(m, rows), nil
		}})
	m.add(&methodSpec{name: "search_count", pyClass: cls, params: []param{req("domain"), opt("limit", nil)}, readOnly: true,
		fn: func(c *callCtx, m *model, _ []int64, a map[string]any) (any, error) {
			dom, err := parseDomain(a["domain"], s.version)
			if err != nil {
				return nil, err
			}
			n, err := c.countRows(m, dom)
			if lim, ok := asIntStrict(a["limit"]); ok && int64(n) > lim {
				n = int(lim)
			}
			return int64(n), err
		}})
	m.add(&methodSpec{name: "search_read", pyClass: cls, varKw: true, readOnly: true,
		params: []param{opt("domain", nil), opt("fields", nil), opt("offset", int64(0)), opt("limit", nil), opt("order", nil)},
		fn: func(c *callCtx, m *model, _ []int64, a map[string]any) (any, error) {
			names, err := stringList(a["fields"], "fields")
			if err != nil {
				return nil, err
			}
			fields, err := resolveFields(m, names)
			if err != nil {
				return nil, err
			}
			load := any("_classic_read")
			for k, v := range a["__extra"].(map[string]any) {
				if k != "load" {
					return nil, typeError("%s.read() got an unexpected keyword argument '%s'", cls, k)
				}
				load = v
			}
			rows, err := search(c, m, a)
			if err != nil {
				return nil, err
			}
			return c.readRows(m, rows, fields, loadClassic(load)), nil
		}})
	m.add(&methodSpec{name: "read", pyClass: cls, records: true, readOnly: true,
		params: []param{opt("fields", nil), opt("load", "_classic_read")},
		fn: func(c *callCtx, m *model, ids []int64, a map[string]any) (any, error) {
			names, err := stringList(a["fields"], "fields")
			if err != nil {
				return nil, err
			}
			fields, err := resolveFields(m, names)
			if err != nil {
				return nil, err
			}
			rows, err := c.rowsForRead(m, ids)
			if err != nil {
				return nil, err
			}
			return c.readRows(m, rows, fields, loadClassic(a["load"])), nil
		}})
	m.add(&methodSpec{name: "fields_get", pyClass: cls, readOnly: true,
		params: []param{opt("allfields", nil), opt("attributes", nil)},
		fn: func(c *callCtx, m *model, _ []int64, a map[string]any) (any, error) {
			all, err := stringList(a["allfields"], "allfields")
			if err != nil {
				return nil, err
			}
			attrs, err := stringList(a["attributes"], "attributes")
			if err != nil {
				return nil, err
			}
			return c.fieldsGet(m, all, attrs)
		}})
	m.add(&methodSpec{name: "create", pyClass: cls, params: []param{req("vals_list")},
		fn: func(c *callCtx, m *model, _ []int64, a map[string]any) (any, error) {
			switch v := a["vals_list"].(type) {
			case map[string]any:
				ids, err := c.createRecords(m, []map[string]any{v})
				if err != nil {
					return nil, err
				}
				return ids[0], nil
			case []any:
				list := make([]map[string]any, 0, len(v))
				for _, e := range v {
					d, ok := e.(map[string]any)
					if !ok {
						return nil, pyErr("AttributeError", "'%s' object has no attribute 'keys'", pyTypeName(e))
					}
					list = append(list, d)
				}
				ids, err := c.createRecords(m, list)
				if err != nil {
					return nil, err
				}
				return ids, nil
			}
			return nil, pyErr("AttributeError", "'%s' object has no attribute 'keys'", pyTypeName(a["vals_list"]))
		}})
	m.add(&methodSpec{name: "write", pyClass: cls, records: true, params: []param{req("vals")},
		fn: func(c *callCtx, m *model, ids []int64, a map[string]any) (any, error) {
			vals, ok := a["vals"].(map[string]any)
			if !ok {
				return nil, pyErr("AttributeError", "'%s' object has no attribute 'items'", pyTypeName(a["vals"]))
			}
			return true, c.writeRecords(m, ids, vals)
		}})
	m.add(&methodSpec{name: "unlink", pyClass: cls, records: true,
		fn: func(c *callCtx, m *model, ids []int64, _ map[string]any) (any, error) {
			return true, c.unlinkRecords(m, ids)
		}})
	m.add(&methodSpec{name: "exists", pyClass: cls, records: true, readOnly: true,
		fn: func(c *callCtx, m *model, ids []int64, _ map[string]any) (any, error) {
			out := []int64{}
			for _, id := range ids {
				if _, ok := m.visibleRow(id, c.viewer()); ok {
					out = append(out, id)
				}
			}
			return out, nil
		}})
	if m.hasActive {
		// toggle_active returns None, so these answer Fault 1 after commit.
		toggle := func(mode string) func(c *callCtx, m *model, ids []int64, _ map[string]any) (any, error) {
			return func(c *callCtx, m *model, ids []int64, _ map[string]any) (any, error) {
				rows, err := c.rowsForWrite(m, ids)
				if err != nil {
					return nil, err
				}
				var on, off []int64
				for _, r := range rows {
					active := m.isActive(r)
					if (mode == "toggle" || mode == "archive") && active {
						off = append(off, m.ids[r])
					}
					if (mode == "toggle" || mode == "unarchive") && !active {
						on = append(on, m.ids[r])
					}
				}
				if len(off) > 0 {
					if err := c.writeRecords(m, off, map[string]any{"active": false}); err != nil {
						return nil, err
					}
				}
				if len(on) > 0 {
					if err := c.writeRecords(m, on, map[string]any{"active": true}); err != nil {
						return nil, err
					}
				}
				return nil, nil
			}
		}
		m.add(&methodSpec{name: "toggle_active", pyClass: cls, records: true, fn: toggle("toggle")})
		m.add(&methodSpec{name: "action_archive", pyClass: cls, records: true, fn: toggle("archive")})
		m.add(&methodSpec{name: "action_unarchive", pyClass: cls, records: true, fn: toggle("unarchive")})
	}
	m.add(&methodSpec{name: "check_access_rights", pyClass: cls, readOnly: true, maxVersion: 18,
		params: []param{req("operation"), opt("raise_exception", true)},
		fn:     func(*callCtx, *model, []int64, map[string]any) (any, error) { return true, nil }})
	nameSearchParams := []param{opt("name", ""), opt("args", nil), opt("operator", "ilike"), opt("limit", int64(100))}
	if s.version >= 17 {
		nameSearchParams[1] = opt("domain", nil)
	}
	m.add(&methodSpec{name: "name_search", pyClass: cls, params: nameSearchParams, readOnly: true,
		fn: func(c *callCtx, m *model, _ []int64, a map[string]any) (any, error) {
			dom, err := parseDomain(firstNonNil(a["args"], a["domain"]), s.version)
			if err != nil {
				return nil, err
			}
			name, _ := a["name"].(string)
			op, _ := a["operator"].(string)
			limit, err := intArg(a["limit"], "limit", 100)
			if err != nil {
				return nil, err
			}
			if a["limit"] == nil || a["limit"] == false {
				limit = -1
			}
			if name != "" {
				dom = &dnode{kind: '&', a: dom, b: &dnode{kind: 'L', path: "display_name", op: op, val: name, raw: []any{"display_name", op, name}}}
			}
			rows, err := c.searchRows(m, dom, 0, limit, "")
			if err != nil {
				return nil, err
			}
			out := make([]any, len(rows))
			for i, r := range rows {
				out[i] = []any{m.ids[r], c.displayRow(m, r)}
			}
			return out, nil
		}})
	m.add(&methodSpec{name: "name_get", pyClass: cls, records: true, maxVersion: 17, readOnly: true,
		fn: func(c *callCtx, m *model, ids []int64, _ map[string]any) (any, error) {
			rows, err := c.rowsForRead(m, ids)
			if err != nil {
				return nil, err
			}
			out := make([]any, len(rows))
			for i, r := range rows {
				out[i] = []any{m.ids[r], c.displayRow(m, r)}
			}
			return out, nil
		}})
}

func firstNonNil(vs ...any) any {
	for _, v := range vs {
		if v != nil {
			return v
		}
	}
	return nil
}

func rowIDs(m *model, rows []int32) []int64 {
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = m.ids[r]
	}
	return ids
}

func pyTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case int64:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []any:
		return "list"
	case map[string]any:
		return "dict"
	}
	return fmt.Sprintf("%T", v)
}

// actionWindow builds an ir.actions.act_window dictionary.
func actionWindow(members ...xmlrpcwire.Member) xmlrpcwire.Struct { return xmlrpcwire.Struct(members) }
