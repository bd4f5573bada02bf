package odooemu

import "strings"

// relIn builds "the relation f of the record holds one of ids" (or, with
// negate, holds none of them; an empty relation then matches).
func (c *callCtx) relIn(m *model, f *field, ids []int64, negate bool) (pred, error) {
	set := make(map[int64]bool, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	switch {
	case f.typ == fMany2one:
		col := f.col.(*intCol).v
		return func(r int32) bool { v := col[r]; return (v != 0 && set[v]) != negate }, nil
	case f.stored: // many2many
		col := f.col.(*idsCol).v
		return func(r int32) bool {
			for _, v := range col[r] {
				if set[v] {
					return !negate
				}
			}
			return negate
		}, nil
	}
	parents := c.inverseParents(f, func(id int64) bool { return set[id] })
	return func(r int32) bool { return parents[m.ids[r]] != negate }, nil
}

// inverseParents returns the ids of the records that a non-stored x2many
// (one2many or reverse many2many) links to visible target rows accepted by
// keep (nil keeps all; active_test applies).
func (c *callCtx) inverseParents(f *field, keep func(id int64) bool) map[int64]bool {
	target := c.s.models[f.relation]
	inv := target.fields[f.inverse]
	out := map[int64]bool{}
	target.scanVisible(c.viewer(), func(r int32) {
		if keep != nil && !keep(target.ids[r]) {
			return
		}
		if c.activeTest && !target.isActive(r) {
			return
		}
		switch col := inv.col.(type) {
		case *intCol:
			if v := col.v[r]; v != 0 {
				out[v] = true
			}
		case *idsCol:
			for _, v := range col.v[r] {
				out[v] = true
			}
		}
	})
	return out
}

func (c *callCtx) relationalLeaf(m *model, f *field, op string, val any, raw []any) (pred, error) {
	target := c.s.models[f.relation]
	list := listOf(val)
	hasNames := false
	for _, e := range list {
		if _, ok := e.(string); ok {
			hasNames = true
		}
	}
	switch op {
	case "like", "ilike", "not like", "not ilike", "=like", "=ilike":
		hasNames = true
	}
	if hasNames {
		// Odoo name-searches the comodel and compares ids.
		positive := op
		switch op {
		case "!=":
			positive = "="
		case "not like":
			positive = "like"
		case "not ilike":
			positive = "ilike"
		case "not in":
			positive = "in"
		}
		if !truthy(val) && strings.Contains(positive, "like") {
			return boolPred(!negativeOps[op]), nil
		}
		ids := c.nameMatch(target, positive, val)
		return c.relIn(m, f, ids, negativeOps[op])
	}
	empty := c.emptyPred(m, f)
	switch op {
	case "=", "!=":
		if !truthy(val) {
			if op == "=" {
				return empty, nil
			}
			return func(r int32) bool { return !empty(r) }, nil
		}
		id, ok := asInt(val)
		if !ok {
			return nil, valueError("Invalid leaf %s", pyRepr(raw))
		}
		return c.relIn(m, f, []int64{id}, op == "!=")
	case "in", "not in":
		var ids []int64
		withNull := false
		for _, e := range list {
			if !truthy(e) {
				withNull = true
				continue
			}
			id, ok := asInt(e)
			if !ok {
				return nil, valueError("Invalid leaf %s", pyRepr(raw))
			}
			ids = append(ids, id)
		}
		p, err := c.relIn(m, f, ids, false)
		if err != nil {
			return nil, err
		}
		if op == "in" {
			return func(r int32) bool { return p(r) || (withNull && empty(r)) }, nil
		}
		return func(r int32) bool { return !p(r) && !(withNull && empty(r)) }, nil
	case "<", "<=", ">", ">=":
		if f.typ != fMany2one {
			break
		}
		col := f.col.(*intCol).v
		return numericLeaf(func(r int32) (float64, bool) { return float64(col[r]), col[r] != 0 }, op, val, raw)
	}
	return nil, valueError("Invalid leaf %s", pyRepr(raw))
}

func boolPred(b bool) pred {
	if b {
		return predTrue
	}
	return predFalse
}

// emptyPred matches records whose relation f is empty.
func (c *callCtx) emptyPred(m *model, f *field) pred {
	switch {
	case f.typ == fMany2one:
		col := f.col.(*intCol).v
		return func(r int32) bool { return col[r] == 0 }
	case f.stored:
		col := f.col.(*idsCol).v
		return func(r int32) bool { return len(col[r]) == 0 }
	}
	parents := c.inverseParents(f, nil)
	return func(r int32) bool { return !parents[m.ids[r]] }
}

// nameMatch returns the ids of target records whose display name matches
// val with a positive operator (=, in, like, ilike, =like, =ilike).
func (c *callCtx) nameMatch(target *model, op string, val any) []int64 {
	var test func(string) bool
	switch op {
	case "=":
		s, _ := val.(string)
		test = func(n string) bool { return n == s }
	case "in":
		set := map[string]bool{}
		for _, e := range listOf(val) {
			if s, ok := e.(string); ok {
				set[s] = true
			}
		}
		test = func(n string) bool { return set[n] }
	default:
		s, _ := val.(string)
		pattern := s
		if !strings.HasPrefix(op, "=") {
			pattern = "%" + s + "%"
		}
		if strings.Contains(op, "ilike") {
			test = func(n string) bool { return ilikeMatch(n, pattern) }
		} else {
			test = func(n string) bool { return likeMatch(n, pattern) }
		}
	}
	var ids []int64
	target.scanVisible(c.viewer(), func(r int32) {
		if c.activeTest && !target.isActive(r) {
			return
		}
		if test(c.displayRow(target, r)) {
			ids = append(ids, target.ids[r])
		}
	})
	// Odoo's partner name search also looks at the email.
	if target.name == "res.partner" && op != "=" && op != "in" {
		if emails := target.fields["email"]; emails != nil {
			col := emails.col.(*strCol).v
			target.scanVisible(c.viewer(), func(r int32) {
				if col[r] != "" && test(col[r]) && (!c.activeTest || target.isActive(r)) {
					ids = append(ids, target.ids[r])
				}
			})
		}
	}
	return ids
}

// hierarchyLeaf implements child_of (the records and their descendants
// through the parent field) and parent_of (and their ancestors).
func (c *callCtx) hierarchyLeaf(m *model, f *field, op string, val any, raw []any) (pred, error) {
	target := m
	if f.name != "id" {
		if !f.typ.isRelational() {
			return nil, valueError("Invalid leaf %s", pyRepr(raw))
		}
		target = c.s.models[f.relation]
	}
	if target.parentName == "" {
		return nil, valueError("Invalid field %s.parent_id in leaf %s", target.name, pyRepr(raw))
	}
	var roots []int64
	for _, e := range listOf(val) {
		switch x := e.(type) {
		case string:
			roots = append(roots, c.nameMatch(target, "ilike", x)...)
		default:
			if id, ok := asInt(x); ok && id != 0 {
				roots = append(roots, id)
			}
		}
	}
	parentCol := target.fields[target.parentName].col.(*intCol).v
	viewer := c.viewer()
	set := map[int64]bool{}
	if op == "child_of" {
		children := map[int64][]int64{}
		target.scanVisible(viewer, func(r int32) {
			if p := parentCol[r]; p != 0 {
				children[p] = append(children[p], target.ids[r])
			}
		})
		queue := append([]int64(nil), roots...)
		for len(queue) > 0 {
			id := queue[0]
			queue = queue[1:]
			if set[id] {
				continue
			}
			set[id] = true
			queue = append(queue, children[id]...)
		}
	} else {
		for _, id := range roots {
			for id != 0 && !set[id] {
				set[id] = true
				r, ok := target.visibleRow(id, viewer)
				if !ok {
					break
				}
				id = parentCol[r]
			}
		}
	}
	ids := make([]int64, 0, len(set))
	for id := range set {
		ids = append(ids, id)
	}
	if f.name == "id" {
		return func(r int32) bool { return set[m.ids[r]] }, nil
	}
	return c.relIn(m, f, ids, false)
}
