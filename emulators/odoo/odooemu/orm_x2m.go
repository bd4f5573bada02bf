package odooemu

// x2many commands (fields.Command): 0 create, 1 update, 2 delete, 3 unlink,
// 4 link, 5 clear, 6 set. A plain list of ids means "set"; False means clear.
type x2cmd struct {
	code int64
	id   int64
	vals map[string]any
	ids  []int64
}

func parseCommands(m *model, f *field, v any) ([]x2cmd, error) {
	if !truthy(v) {
		return []x2cmd{{code: 5}}, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, valueError("Wrong value for %s.%s: %s", m.name, f.name, pyRepr(v))
	}
	if _, isList := list[0].([]any); !isList {
		ids, err := intList(list)
		if err != nil {
			return nil, valueError("Wrong value for %s.%s: %s", m.name, f.name, pyRepr(v))
		}
		return []x2cmd{{code: 6, ids: ids}}, nil
	}
	var out []x2cmd
	for _, e := range list {
		cmd, ok := e.([]any)
		if !ok || len(cmd) == 0 {
			return nil, valueError("Wrong value for %s.%s: %s", m.name, f.name, pyRepr(v))
		}
		code, ok := asIntStrict(cmd[0])
		if !ok || code < 0 || code > 6 {
			return nil, valueError("Wrong value for %s.%s: %s", m.name, f.name, pyRepr(v))
		}
		x := x2cmd{code: code}
		if len(cmd) > 1 {
			x.id, _ = asInt(cmd[1])
		}
		if len(cmd) > 2 {
			switch code {
			case 0, 1:
				vals, ok := cmd[2].(map[string]any)
				if !ok {
					return nil, valueError("Wrong value for %s.%s: %s", m.name, f.name, pyRepr(v))
				}
				x.vals = vals
			case 6:
				ids, err := intList(listOf(cmd[2]))
				if err != nil {
					return nil, valueError("Wrong value for %s.%s: %s", m.name, f.name, pyRepr(v))
				}
				x.ids = ids
			}
		}
		if (code == 0 || code == 1) && x.vals == nil {
			return nil, typeError("Command %d needs values", code)
		}
		out = append(out, x)
	}
	return out, nil
}

func intList(list []any) ([]int64, error) {
	out := make([]int64, 0, len(list))
	for _, e := range list {
		if !truthy(e) {
			continue
		}
		id, ok := asIntStrict(e)
		if !ok {
			return nil, valueError("invalid id %s", pyRepr(e))
		}
		out = append(out, id)
	}
	return out, nil
}

// applyX2many runs commands on field f of row r of m.
func (c *callCtx) applyX2many(m *model, r int32, f *field, v any) error {
	cmds, err := parseCommands(m, f, v)
	if err != nil {
		return err
	}
	target := c.s.models[f.relation]
	switch {
	case f.stored:
		return c.applyM2m(m, r, f, target, cmds)
	case f.typ == fOne2many:
		return c.applyO2m(m, r, f, target, cmds)
	default:
		return c.applyReverseM2m(m, r, f, target, cmds)
	}
}

func (c *callCtx) checkTargets(target *model, ids []int64, m *model, f *field) error {
	for _, id := range ids {
		if _, ok := target.visibleRow(id, c.viewer()); !ok {
			return fkViolation(m, f)
		}
	}
	return nil
}

func (c *callCtx) applyM2m(m *model, r int32, f *field, target *model, cmds []x2cmd) error {
	cur := append([]int64(nil), m.idl(f.name, r)...)
	has := func(id int64) bool {
		for _, x := range cur {
			if x == id {
				return true
			}
		}
		return false
	}
	for _, cmd := range cmds {
		switch cmd.code {
		case 0:
			ids, err := c.createRecords(target, []map[string]any{cmd.vals})
			if err != nil {
				return err
			}
			cur = append(cur, ids[0])
		case 1:
			if err := c.writeRecords(target, []int64{cmd.id}, cmd.vals); err != nil {
				return err
			}
		case 2:
			cur = removeID(cur, cmd.id)
			if err := c.unlinkRecords(target, []int64{cmd.id}); err != nil {
				return err
			}
		case 3:
			cur = removeID(cur, cmd.id)
		case 4:
			if err := c.checkTargets(target, []int64{cmd.id}, m, f); err != nil {
				return err
			}
			if !has(cmd.id) {
				cur = append(cur, cmd.id)
			}
		case 5:
			cur = nil
		case 6:
			if err := c.checkTargets(target, cmd.ids, m, f); err != nil {
				return err
			}
			cur = nil
			for _, id := range cmd.ids {
				if !has(id) {
					cur = append(cur, id)
				}
			}
		}
	}
	m.setRaw(r, f, sortedIDs(cur))
	return nil
}

// o2mChildren lists the visible children of record id through f.
func (c *callCtx) o2mChildren(f *field, id int64) []int64 {
	target := c.s.models[f.relation]
	inv := target.fields[f.inverse]
	var rows []int32
	if target.hidx[inv] != nil {
		rows = target.lookupInts(inv, []int64{id}, c.viewer())
	} else {
		target.scanVisible(c.viewer(), func(r int32) {
			if inv.col.(*intCol).v[r] == id {
				rows = append(rows, r)
			}
		})
	}
	ids := make([]int64, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, target.ids[r])
	}
	return sortedIDs(ids)
}

func (c *callCtx) applyO2m(m *model, r int32, f *field, target *model, cmds []x2cmd) error {
	parent := m.ids[r]
	inv := target.fields[f.inverse]
	detach := func(id int64) error {
		if inv.required {
			return c.unlinkRecords(target, []int64{id})
		}
		return c.writeRecords(target, []int64{id}, map[string]any{inv.name: false})
	}
	for _, cmd := range cmds {
		switch cmd.code {
		case 0:
			vals := make(map[string]any, len(cmd.vals)+1)
			for k, v := range cmd.vals {
				vals[k] = v
			}
			vals[inv.name] = parent
			if _, err := c.createRecords(target, []map[string]any{vals}); err != nil {
				return err
			}
		case 1:
			if err := c.writeRecords(target, []int64{cmd.id}, cmd.vals); err != nil {
				return err
			}
		case 2:
			if err := c.unlinkRecords(target, []int64{cmd.id}); err != nil {
				return err
			}
		case 3:
			if err := detach(cmd.id); err != nil {
				return err
			}
		case 4:
			if err := c.writeRecords(target, []int64{cmd.id}, map[string]any{inv.name: parent}); err != nil {
				return err
			}
		case 5, 6:
			keep := map[int64]bool{}
			for _, id := range cmd.ids {
				keep[id] = true
			}
			for _, id := range c.o2mChildren(f, parent) {
				if !keep[id] {
					if err := detach(id); err != nil {
						return err
					}
				}
			}
			for _, id := range cmd.ids {
				if err := c.writeRecords(target, []int64{id}, map[string]any{inv.name: parent}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// applyReverseM2m edits the relation table from the other side (e.g. a
// tag's partner_ids): the partners' rows change by SQL, so their
// write_date does not move.
func (c *callCtx) applyReverseM2m(m *model, r int32, f *field, target *model, cmds []x2cmd) error {
	me := m.ids[r]
	inv := target.fields[f.inverse]
	link := func(id int64, on bool) error {
		tr, ok := target.visibleRow(id, c.viewer())
		if !ok || target.hiddenFrom(id, c.viewer()) {
			return fkViolation(m, f)
		}
		if err := c.tx.touch(target, tr); err != nil {
			return err
		}
		cur := append([]int64(nil), target.idl(inv.name, tr)...)
		cur = removeID(cur, me)
		if on {
			cur = append(cur, me)
		}
		target.setRaw(tr, inv, sortedIDs(cur))
		return nil
	}
	current := func() []int64 {
		var ids []int64
		for _, tr := range target.lookupInts(inv, []int64{me}, c.viewer()) {
			ids = append(ids, target.ids[tr])
		}
		return ids
	}
	for _, cmd := range cmds {
		switch cmd.code {
		case 0:
			vals := make(map[string]any, len(cmd.vals)+1)
			for k, v := range cmd.vals {
				vals[k] = v
			}
			vals[inv.name] = []any{[]any{int64(4), me}}
			if _, err := c.createRecords(target, []map[string]any{vals}); err != nil {
				return err
			}
		case 1:
			if err := c.writeRecords(target, []int64{cmd.id}, cmd.vals); err != nil {
				return err
			}
		case 2:
			if err := c.unlinkRecords(target, []int64{cmd.id}); err != nil {
				return err
			}
		case 3:
			if err := link(cmd.id, false); err != nil {
				return err
			}
		case 4:
			if err := link(cmd.id, true); err != nil {
				return err
			}
		case 5, 6:
			for _, id := range current() {
				if err := link(id, false); err != nil {
					return err
				}
			}
			for _, id := range cmd.ids {
				if err := link(id, true); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
