package odooemu

// logAccessColumns are ignored in create and write values, as Odoo does.
var logAccessColumns = map[string]bool{"id": true, "create_uid": true, "create_date": true, "write_uid": true, "write_date": true, "parent_path": true}

// checkVals rejects unknown fields (ValueError, Fault 1).
func checkVals(m *model, vals map[string]any) error {
	for _, k := range sortedKeys(vals) {
		if m.fields[k] == nil {
			return valueError("Invalid field %s on model %s", pyRepr(k), pyRepr(m.name))
		}
	}
	return nil
}

// createRecords is create(vals_list).
func (c *callCtx) createRecords(m *model, list []map[string]any) ([]int64, error) {
	ids := make([]int64, 0, len(list))
	for _, vals := range list {
		id, err := c.createOne(m, vals)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func (c *callCtx) createOne(m *model, in map[string]any) (int64, error) {
	if err := checkVals(m, in); err != nil {
		return 0, err
	}
	vals := make(map[string]any, len(in)+4)
	for k, v := range in {
		if !logAccessColumns[k] {
			vals[k] = v
		}
	}
	if m.prepareCreate != nil {
		if err := m.prepareCreate(c, vals); err != nil {
			return 0, err
		}
	}
	converted, x2m, err := c.convertVals(m, vals)
	if err != nil {
		return 0, err
	}
	r := c.tx.insert(m)
	id := m.ids[r]
	if m.hasActive {
		if _, given := vals["active"]; !given {
			m.fields["active"].col.set(r, true)
		}
	}
	c.stampCreate(m, r)
	for _, f := range m.fieldList {
		if v, ok := converted[f]; ok {
			f.col.set(r, v)
		}
	}
	m.index(r) // the new row was not indexed yet
	for _, f := range m.fieldList {
		if cmds, ok := x2m[f]; ok {
			if err := c.applyX2many(m, r, f, cmds); err != nil {
				return 0, err
			}
		}
	}
	for _, f := range m.fieldList {
		if f.required && f.stored && isEmptyValue(f.col.get(r)) {
			return 0, notNullViolation(m, f)
		}
	}
	changed := map[string]bool{}
	for k := range vals {
		changed[k] = true
	}
	if m.afterWrite != nil {
		if err := m.afterWrite(c, r, changed, true); err != nil {
			return 0, err
		}
	}
	if !c.allowed(m, r) {
		return 0, ruleAccessError(c, m, []int32{r})
	}
	c.markChanged(m, id)
	return id, nil
}

func isEmptyValue(v any) bool {
	switch x := v.(type) {
	case string:
		return x == ""
	case int64:
		return x == 0
	case tstamp:
		return x == nullTS
	}
	return false
}

// stampCreate sets the log-access columns of a new row. The row is not yet
// indexed, so plain sets are enough.
func (c *callCtx) stampCreate(m *model, r int32) {
	if f := m.fields["create_date"]; f != nil {
		f.col.set(r, c.tx.now)
		m.fields["write_date"].col.set(r, c.tx.now)
		m.fields["create_uid"].col.set(r, c.uid)
		m.fields["write_uid"].col.set(r, c.uid)
	}
}

// stampWrite moves write_date to the transaction time (an ORM write).
func (c *callCtx) stampWrite(m *model, r int32) {
	if m.wdField != nil {
		m.setRaw(r, m.wdField, c.tx.now)
		m.setRaw(r, m.fields["write_uid"], c.uid)
	}
}

// convertVals converts simple values and sets x2many commands aside.
func (c *callCtx) convertVals(m *model, vals map[string]any) (map[*field]any, map[*field]any, error) {
	conv := map[*field]any{}
	x2m := map[*field]any{}
	for _, k := range sortedKeys(vals) {
		f := m.fields[k]
		if logAccessColumns[k] {
			continue
		}
		if f.typ.isX2many() {
			x2m[f] = vals[k]
			continue
		}
		if !f.stored {
			continue // computed without inverse: ignored
		}
		v, err := c.convertIn(m, f, vals[k])
		if err != nil {
			return nil, nil, err
		}
		conv[f] = v
	}
	return conv, x2m, nil
}

// writeRecords is write(vals) on ids.
func (c *callCtx) writeRecords(m *model, ids []int64, vals map[string]any) error {
	if err := checkVals(m, vals); err != nil {
		return err
	}
	rows, err := c.rowsForWrite(m, ids)
	if err != nil {
		return err
	}
	conv, x2m, err := c.convertVals(m, vals)
	if err != nil {
		return err
	}
	changed := map[string]bool{}
	for k := range vals {
		changed[k] = true
	}
	for _, r := range rows {
		if err := c.tx.touch(m, r); err != nil {
			return err
		}
		for _, f := range m.fieldList {
			if v, ok := conv[f]; ok {
				if f.required && isEmptyValue(v) {
					return notNullViolation(m, f)
				}
				m.setRaw(r, f, v)
			}
		}
		c.stampWrite(m, r)
		for _, f := range m.fieldList {
			if cmds, ok := x2m[f]; ok {
				if err := c.applyX2many(m, r, f, cmds); err != nil {
					return err
				}
			}
		}
		if m.afterWrite != nil {
			if err := m.afterWrite(c, r, changed, false); err != nil {
				return err
			}
		}
		if !c.allowed(m, r) {
			return ruleAccessError(c, m, []int32{r})
		}
		c.markChanged(m, m.ids[r])
	}
	return nil
}

// setComputed stores a recomputed value on another record of the
// transaction. Like Odoo's flush of a stored computed field, it moves
// write_date only when the value changes.
func (c *callCtx) setComputed(m *model, r int32, name string, v any) error {
	f := m.fields[name]
	if equalValue(f.col.get(r), v) {
		return nil
	}
	if err := c.tx.touch(m, r); err != nil {
		return err
	}
	m.setRaw(r, f, v)
	c.stampWrite(m, r)
	c.markChanged(m, m.ids[r])
	return nil
}

func equalValue(a, b any) bool {
	if x, ok := a.([]int64); ok {
		y, _ := b.([]int64)
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	}
	return a == b
}

// markChanged queues a webhook for records of watched models.
func (c *callCtx) markChanged(m *model, id int64) {
	ref := touchRef{m, id}
	if c.tx.hookSet[ref] {
		return
	}
	c.tx.hookSet[ref] = true
	c.tx.hooks = append(c.tx.hooks, webhookHit{model: m, id: id})
}

// unlinkRecords is unlink() on ids, with the database's ON DELETE rules.
func (c *callCtx) unlinkRecords(m *model, ids []int64) error {
	rows, err := c.rowsForWrite(m, ids)
	if err != nil {
		return err
	}
	if m.beforeUnlink != nil {
		if err := m.beforeUnlink(c, rows); err != nil {
			return err
		}
	}
	return c.deleteRows(m, rows)
}

func (c *callCtx) deleteRows(m *model, rows []int32) error {
	deleting := map[int64]bool{}
	for _, r := range rows {
		deleting[m.ids[r]] = true
	}
	// mail.thread deletes the chatter of deleted records.
	if m.name == "res.partner" || m.name == "sale.order" {
		msgs := c.s.models["mail.message"]
		var msgRows []int32
		msgs.scanVisible(c.viewer(), func(r int32) {
			if msgs.str("model", r) == m.name && deleting[msgs.i64("res_id", r)] {
				msgRows = append(msgRows, r)
			}
		})
		for _, r := range msgRows {
			if err := c.tx.remove(msgs, r); err != nil {
				return err
			}
		}
	}
	for _, ref := range c.s.referencing(m) {
		if err := c.applyOnDelete(ref.m, ref.f, m, deleting); err != nil {
			return err
		}
	}
	for _, r := range rows {
		if err := c.tx.remove(m, r); err != nil {
			return err
		}
	}
	if m.afterUnlink != nil {
		return m.afterUnlink(c, rows)
	}
	return nil
}

type refField struct {
	m *model
	f *field
}

// referencing lists the stored relational fields pointing at m.
func (s *store) referencing(m *model) []refField {
	var out []refField
	for _, name := range sortedModelNames(s) {
		om := s.models[name]
		for _, f := range om.fieldList {
			if f.stored && f.relation == m.name && (f.typ == fMany2one || f.typ == fMany2many) {
				out = append(out, refField{om, f})
			}
		}
	}
	return out
}

// rowsReferencing finds live rows of om whose field f points into ids.
func (c *callCtx) rowsReferencing(om *model, f *field, ids map[int64]bool) []int32 {
	var out []int32
	if h := om.hidx[f]; h != nil {
		list := make([]int64, 0, len(ids))
		for id := range ids {
			list = append(list, id)
		}
		return om.lookupInts(f, sortedIDs(list), c.viewer())
	}
	om.scanVisible(c.viewer(), func(r int32) {
		switch col := f.col.(type) {
		case *intCol:
			if ids[col.v[r]] {
				out = append(out, r)
			}
		case *idsCol:
			for _, v := range col.v[r] {
				if ids[v] {
					out = append(out, r)
					break
				}
			}
		}
	})
	return out
}

// applyOnDelete runs the foreign key's ON DELETE action. These are SQL
// effects: no write_date moves.
func (c *callCtx) applyOnDelete(om *model, f *field, target *model, deleting map[int64]bool) error {
	rows := c.rowsReferencing(om, f, deleting)
	var cascade []int32
	for _, r := range rows {
		if om == target && deleting[om.ids[r]] {
			continue
		}
		if om.hiddenFrom(om.ids[r], c.viewer()) {
			return errConcurrentUpdate()
		}
		if f.typ == fMany2many {
			if err := c.tx.touch(om, r); err != nil {
				return err
			}
			var keep []int64
			for _, v := range om.idl(f.name, r) {
				if !deleting[v] {
					keep = append(keep, v)
				}
			}
			om.setRaw(r, f, keep)
			continue
		}
		switch f.ondelete {
		case "restrict":
			return validationError("The operation cannot be completed: another model requires the record being deleted. If possible, archive it instead.\n\nModel: %s (%s), Constraint: %s_%s_fkey",
				om.desc, om.name, tableName(om), f.name)
		case "cascade":
			cascade = append(cascade, r)
		default:
			if err := c.tx.touch(om, r); err != nil {
				return err
			}
			om.setRaw(r, f, int64(0))
		}
	}
	if len(cascade) > 0 {
		return c.deleteRows(om, cascade)
	}
	return nil
}

func tableName(m *model) string {
	b := []byte(m.name)
	for i, ch := range b {
		if ch == '.' {
			b[i] = '_'
		}
	}
	return string(b)
}
