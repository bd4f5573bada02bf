package odooemu

import (
	"math"
)

// flattenAnd lists the leaves joined by top-level ANDs.
func flattenAnd(n *dnode, out []*dnode) []*dnode {
	if n.kind == '&' {
		return flattenAnd(n.b, flattenAnd(n.a, out))
	}
	return append(out, n)
}

// searchRows runs a search: domain (+ active_test, + record rules), order,
// offset and limit (limit < 0: no limit). It returns visible rows.
func (c *callCtx) searchRows(m *model, dom *dnode, offset, limit int, order string) ([]int32, error) {
	terms, err := parseOrder(m, order)
	if err != nil {
		return nil, err
	}
	match, err := c.matcher(m, dom)
	if err != nil {
		return nil, err
	}
	if rows, ok := c.searchByWriteDate(m, dom, terms, match, offset, limit); ok {
		return rows, nil
	}
	rows := c.filterCandidates(m, dom, match)
	c.sortRows(m, rows, terms)
	if offset >= len(rows) {
		return []int32{}, nil
	}
	rows = rows[offset:]
	if limit >= 0 && limit < len(rows) {
		rows = rows[:limit]
	}
	return rows, nil
}

// matcher compiles the domain with the implicit active filter and the record
// rule.
func (c *callCtx) matcher(m *model, dom *dnode) (pred, error) {
	p, err := c.compile(m, dom)
	if err != nil {
		return nil, err
	}
	activeFilter := m.hasActive && c.activeTest && !dom.mentionsActive()
	return func(r int32) bool {
		if activeFilter && !m.isActive(r) {
			return false
		}
		return p(r) && c.allowed(m, r)
	}, nil
}

func (c *callCtx) searchIDs(cc *callCtx, m *model, dom *dnode) ([]int64, error) {
	match, err := cc.matcher(m, dom)
	if err != nil {
		return nil, err
	}
	rows := cc.filterCandidates(m, dom, match)
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = m.ids[r]
	}
	return ids, nil
}

func (c *callCtx) countRows(m *model, dom *dnode) (int, error) {
	match, err := c.matcher(m, dom)
	if err != nil {
		return 0, err
	}
	return len(c.filterCandidates(m, dom, match)), nil
}

// filterCandidates narrows the rows with an index when a top-level leaf
// allows it, then applies the full predicate.
func (c *callCtx) filterCandidates(m *model, dom *dnode, match pred) []int32 {
	viewer := c.viewer()
	var out []int32
	if ids, ok := c.candidateIDs(m, dom); ok {
		m.visibleFromIDs(ids, viewer, func(r int32) {
			if match(r) {
				out = append(out, r)
			}
		})
		return dedupeRows(m, out)
	}
	m.scanVisible(viewer, func(r int32) {
		if match(r) {
			out = append(out, r)
		}
	})
	return out
}

func dedupeRows(m *model, rows []int32) []int32 {
	seen := make(map[int64]bool, len(rows))
	out := rows[:0]
	for _, r := range rows {
		if id := m.ids[r]; !seen[id] {
			seen[id] = true
			out = append(out, r)
		}
	}
	return out
}

// candidateIDs picks the most selective indexable leaf among the top-level
// ANDs: id =/in, an indexed field =/in, a write_date range.
func (c *callCtx) candidateIDs(m *model, dom *dnode) ([]int64, bool) {
	var best []int64
	found := false
	consider := func(ids []int64) {
		if !found || len(ids) < len(best) {
			best, found = ids, true
		}
	}
	for _, leaf := range flattenAnd(dom, nil) {
		if leaf.kind == 'F' {
			return nil, true
		}
		if leaf.kind != 'L' {
			continue
		}
		f := m.fields[leaf.path]
		if f == nil {
			continue
		}
		switch {
		case f.name == "id" && (leaf.op == "=" || leaf.op == "in"):
			var ids []int64
			for _, e := range listOf(leaf.val) {
				if id, ok := asInt(e); ok && truthy(e) {
					ids = append(ids, id)
				}
			}
			consider(ids)
		case m.hidx[f] != nil && (leaf.op == "=" || leaf.op == "in"):
			h := m.hidx[f]
			var ids []int64
			ok := true
			for _, e := range listOf(leaf.val) {
				if !truthy(e) {
					ok = false // NULL is not indexed
					break
				}
				switch x := e.(type) {
				case string:
					if f.typ == fMany2one || f.typ == fMany2many {
						ok = false
					} else {
						ids = append(ids, h.strs[x]...)
					}
				default:
					if n, isInt := asInt(x); isInt {
						ids = append(ids, h.ints[n]...)
					} else {
						ok = false
					}
				}
			}
			if ok {
				consider(ids)
			}
		case f == m.wdField && m.wd != nil && leaf.op != "=":
			lo, hi, ok := writeDateBounds(leaf)
			if !ok {
				continue
			}
			var ids []int64
			m.wd.ascendFrom(okey{lo, math.MinInt64}, func(k okey) bool {
				if k.t > hi {
					return false
				}
				ids = append(ids, k.id)
				return true
			})
			consider(ids)
		}
	}
	return best, found
}

// writeDateBounds turns a write_date comparison into an inclusive range.
func writeDateBounds(leaf *dnode) (lo, hi tstamp, ok bool) {
	if !truthy(leaf.val) {
		return 0, 0, false
	}
	ts, dateOnly, err := parseDatetime(leaf.val)
	if err != nil {
		return 0, 0, false
	}
	if dateOnly && (leaf.op == ">" || leaf.op == "<=") {
		ts += tstamp(86399 * 1_000_000)
	}
	switch leaf.op {
	case ">":
		return ts + 1, math.MaxInt64, true
	case ">=":
		return ts, math.MaxInt64, true
	case "<":
		return math.MinInt64 + 1, ts - 1, true
	case "<=":
		return math.MinInt64 + 1, ts, true
	}
	return 0, 0, false
}

// searchByWriteDate serves order 'write_date asc, id asc' (or both desc)
// straight from the (write_date, id) index, stopping after offset+limit.
func (c *callCtx) searchByWriteDate(m *model, dom *dnode, terms []orderTerm, match pred, offset, limit int) ([]int32, bool) {
	if m.wd == nil || len(m.pending) > 0 || len(terms) < 1 || len(terms) > 2 || terms[0].f != m.wdField {
		return nil, false
	}
	desc := terms[0].desc
	if len(terms) == 2 && (terms[1].f.name != "id" || terms[1].desc != desc) {
		return nil, false
	}
	lo, hi := tstamp(math.MinInt64+1), tstamp(math.MaxInt64)
	for _, leaf := range flattenAnd(dom, nil) {
		if leaf.kind == 'L' && leaf.path == "write_date" {
			if l, h, ok := writeDateBounds(leaf); ok {
				lo, hi = max(lo, l), min(hi, h)
			}
		}
	}
	var out []int32
	skipped := 0
	visit := func(k okey) bool {
		if k.t < lo || k.t > hi {
			return false
		}
		r := m.rowOf[k.id]
		if !match(r) {
			return true
		}
		if skipped < offset {
			skipped++
			return true
		}
		out = append(out, r)
		return limit < 0 || len(out) < limit
	}
	// Rows without a write_date sort last ascending (NULLS LAST); none exist
	// for records written through the ORM.
	if desc {
		m.wd.descendFrom(okey{hi, math.MaxInt64}, visit)
	} else {
		m.wd.ascendFrom(okey{lo, math.MinInt64}, visit)
	}
	if out == nil {
		out = []int32{}
	}
	return out, true
}
