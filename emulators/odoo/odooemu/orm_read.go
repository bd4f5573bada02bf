package odooemu

import (
	"fmt"
	"sort"
	"strings"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/odoo/xmlrpcwire"
)

// resolveFields checks a fields argument; empty means every field.
func resolveFields(m *model, names []string) ([]*field, error) {
	if len(names) == 0 {
		return m.fieldList, nil
	}
	out := make([]*field, 0, len(names))
	for _, n := range names {
		f := m.fields[n]
		if f == nil {
			return nil, valueError("Invalid field %s on model %s", pyRepr(n), pyRepr(m.name))
		}
		out = append(out, f)
	}
	return out, nil
}

func ruleAccessError(c *callCtx, m *model, rows []int32) error {
	var recs []string
	for i, r := range rows {
		if i == 5 {
			recs = append(recs, "...")
			break
		}
		recs = append(recs, fmt.Sprintf("%s (id=%d)", c.displayRow(m, r), m.ids[r]))
	}
	return accessError("Due to security restrictions, you are not allowed to access '%s' (%s) records.\n\nRecords: %s\nUser: %s (id=%d)\n\nThis restriction is due to the following rules:\n- %s multi-company\n\nNote: this might be a multi-company issue. Switching company may help - in Odoo, not in real life!\n\nContact your administrator to request access if necessary.",
		m.desc, m.name, strings.Join(recs, ", "), c.userName(), c.uid, m.desc)
}

func (c *callCtx) userName() string {
	users := c.s.models["res.users"]
	if r, ok := users.visibleRow(c.uid, c.viewer()); ok {
		return c.displayRow(users, r)
	}
	return "?"
}

// rowsForRead maps ids to visible rows: missing ids are left out silently,
// ids hidden by record rules raise AccessError.
func (c *callCtx) rowsForRead(m *model, ids []int64) ([]int32, error) {
	rows := make([]int32, 0, len(ids))
	seen := make(map[int64]bool, len(ids))
	var denied []int32
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		r, ok := m.visibleRow(id, c.viewer())
		if !ok {
			continue
		}
		if !c.allowed(m, r) {
			denied = append(denied, r)
			continue
		}
		rows = append(rows, r)
	}
	if len(denied) > 0 {
		return nil, ruleAccessError(c, m, denied)
	}
	return rows, nil
}

// rowsForWrite maps ids to rows for write/unlink: a missing id is a
// MissingError, a hidden one an AccessError.
func (c *callCtx) rowsForWrite(m *model, ids []int64) ([]int32, error) {
	rows := make([]int32, 0, len(ids))
	seen := make(map[int64]bool, len(ids))
	var missing []int64
	var denied []int32
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		r, ok := m.visibleRow(id, c.viewer())
		if !ok {
			missing = append(missing, id)
			continue
		}
		if m.hiddenFrom(id, c.viewer()) {
			return nil, errConcurrentUpdate()
		}
		if !c.allowed(m, r) {
			denied = append(denied, r)
			continue
		}
		rows = append(rows, r)
	}
	if len(missing) > 0 {
		return nil, missingError(m, missing, c.uid)
	}
	if len(denied) > 0 {
		return nil, ruleAccessError(c, m, denied)
	}
	return rows, nil
}

// readRows renders rows as read() does: 'id' first, then the fields.
func (c *callCtx) readRows(m *model, rows []int32, fields []*field, classic bool) []any {
	out := make([]any, len(rows))
	for i, r := range rows {
		rec := make(xmlrpcwire.Struct, 0, len(fields)+1)
		rec = append(rec, xmlrpcwire.Member{Name: "id", Value: m.ids[r]})
		for _, f := range fields {
			if f.name == "id" {
				continue
			}
			rec = append(rec, xmlrpcwire.Member{Name: f.name, Value: c.readValue(m, f, r, classic, false)})
		}
		out[i] = rec
	}
	return out
}

// fieldsGet describes fields like fields_get(allfields, attributes).
func (c *callCtx) fieldsGet(m *model, allfields, attributes []string) (xmlrpcwire.Struct, error) {
	fields := m.fieldList
	if len(allfields) > 0 {
		fields = nil
		for _, n := range allfields {
			if f := m.fields[n]; f != nil {
				fields = append(fields, f)
			}
		}
	}
	want := map[string]bool{}
	for _, a := range attributes {
		want[a] = true
	}
	out := make(xmlrpcwire.Struct, 0, len(fields))
	for _, f := range fields {
		desc := map[string]any{
			"type": f.typ.String(), "string": f.label, "name": f.name,
			"readonly": f.readonly || (f.compute != nil), "required": f.required,
			"store": f.stored || f.name == "id", "sortable": f.stored || f.sortAs != "" || f.name == "id",
			"searchable": f.stored || f.searchAs != "" || f.typ.isX2many() || f.name == "id",
			"groupable":  f.stored && !f.typ.isX2many(), "manual": false, "exportable": true,
			"change_default": false, "company_dependent": false, "depends": []any{},
		}
		if f.help != "" {
			desc["help"] = f.help
		}
		if f.typ.isRelational() {
			desc["relation"] = f.relation
			desc["context"] = map[string]any{}
			desc["domain"] = []any{}
		}
		if f.typ == fOne2many {
			desc["relation_field"] = f.inverse
		}
		if f.typ == fSelection {
			sel := make([]any, len(f.selection))
			for i, kv := range f.selection {
				sel[i] = []any{kv[0], kv[1]}
			}
			desc["selection"] = sel
		}
		if f.typ == fChar {
			desc["trim"] = true
			desc["translate"] = false
		}
		if len(want) > 0 {
			for k := range desc {
				if !want[k] {
					delete(desc, k)
				}
			}
		}
		out = append(out, xmlrpcwire.Member{Name: f.name, Value: desc})
	}
	return out, nil
}

func sortedFieldNames(m *model) []string {
	names := make([]string, 0, len(m.fields))
	for n := range m.fields {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
