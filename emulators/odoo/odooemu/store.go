package odooemu

import (
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// store is the in-memory database: models, rows, indexes and the pending
// (uncommitted) state of open transactions. All access holds mu.
type store struct {
	mu      sync.RWMutex
	models  map[string]*model
	version int
	txSeq   atomic.Int64
	seqs    map[string]int64 // ir.sequence numbers; like PostgreSQL sequences they never roll back
	clock   *clock
	conf    *config
}

// model is one Odoo model with columnar storage.
type model struct {
	name       string
	desc       string
	fields     map[string]*field
	fieldList  []*field
	order      string // default _order
	recName    string
	parentName string // for child_of / parent_of
	hasActive  bool
	transient  bool

	ids    []int64 // row -> id (shadow rows carry their record's id)
	alive  []bool
	rowOf  map[int64]int32 // live rows only
	nextID int64
	free   []int32 // dead rows reusable as shadows

	wd      *orderedIndex // (write_date, id) of live rows
	wdField *field
	hidx    map[*field]*hashIndex
	pending map[int64]*pendingRow // by record id

	// rule is the multi-company record rule; nil means none.
	rule func(c *callCtx, r int32) bool
	// prepareCreate fills defaults into raw create values.
	prepareCreate func(c *callCtx, vals map[string]any) error
	// afterWrite recomputes stored computed fields after create or write.
	afterWrite func(c *callCtx, r int32, changed map[string]bool, created bool) error
	// beforeUnlink may refuse a deletion.
	beforeUnlink func(c *callCtx, rows []int32) error
	// afterUnlink runs once the rows are gone (their columns still readable).
	afterUnlink func(c *callCtx, rows []int32) error
	methods     map[string]*methodSpec
}

// pendingRow is a record changed by a transaction that has not committed.
// Other viewers see shadow (its before-image), or nothing if shadow < 0
// (created in the transaction).
type pendingRow struct {
	owner   int64
	row     int32
	shadow  int32
	deleted bool
}

func newStore(version int, clk *clock, conf *config) *store {
	return &store{models: map[string]*model{}, version: version, seqs: map[string]int64{}, clock: clk, conf: conf}
}

func (s *store) newModel(name, desc string) (*model, fieldBuilder) {
	m := &model{
		name: name, desc: desc, fields: map[string]*field{}, order: "id", recName: "name",
		rowOf: map[int64]int32{}, nextID: 1, hidx: map[*field]*hashIndex{},
		pending: map[int64]*pendingRow{}, methods: map[string]*methodSpec{},
	}
	s.models[name] = m
	b := fieldBuilder{m}
	b.add(&field{name: "id", typ: fInteger, label: "ID", readonly: true})
	return m, b
}

// finish builds indexes for the declared fields; call after declaring them.
func (m *model) finish() {
	if f := m.fields["write_date"]; f != nil {
		m.wdField = f
		m.wd = &orderedIndex{}
	}
	if f := m.fields["active"]; f != nil && f.stored {
		m.hasActive = true
	}
	for _, f := range m.fieldList {
		if f.typ == fMany2one && f.ondelete == "" {
			// Odoo's default; a required many2one cannot be set null.
			f.ondelete = "set null"
			if f.required {
				f.ondelete = "restrict"
			}
		}
		if f.indexed {
			m.hidx[f] = newHashIndex()
		}
	}
}

func (m *model) col(name string) column { return m.fields[name].col }

func (m *model) str(name string, r int32) string  { return m.fields[name].col.(*strCol).v[r] }
func (m *model) i64(name string, r int32) int64   { return m.fields[name].col.(*intCol).v[r] }
func (m *model) flt(name string, r int32) float64 { return m.fields[name].col.(*floatCol).v[r] }
func (m *model) bln(name string, r int32) bool    { return m.fields[name].col.(*boolCol).v[r] }
func (m *model) ts(name string, r int32) tstamp   { return m.fields[name].col.(*timeCol).v[r] }
func (m *model) idl(name string, r int32) []int64 { return m.fields[name].col.(*idsCol).v[r] }
func (m *model) isActive(r int32) bool            { return !m.hasActive || m.bln("active", r) }
func (m *model) writeDate(r int32) tstamp         { return m.wdField.col.(*timeCol).v[r] }
func (m *model) liveRow(id int64) (int32, bool)   { r, ok := m.rowOf[id]; return r, ok }
func (m *model) storedFields() (out []*field) {
	for _, f := range m.fieldList {
		if f.stored {
			out = append(out, f)
		}
	}
	return out
}

// reserve makes room for n more rows.
func (m *model) reserve(n int) {
	if n > 1024 {
		rowOf := make(map[int64]int32, len(m.rowOf)+n)
		for id, r := range m.rowOf {
			rowOf[id] = r
		}
		m.rowOf = rowOf
	}
	m.ids = slices.Grow(m.ids, n)
	m.alive = slices.Grow(m.alive, n)
	for _, f := range m.fieldList {
		if f.col != nil {
			f.col.reserve(n)
		}
	}
}

// newRow appends a zeroed row to every column.
func (m *model) newRow() int32 {
	r := int32(len(m.ids))
	m.ids = append(m.ids, 0)
	m.alive = append(m.alive, false)
	for _, f := range m.fieldList {
		if f.col != nil {
			f.col.grow()
		}
	}
	return r
}

func (m *model) copyRow(dst, src int32) {
	m.ids[dst] = m.ids[src]
	for _, f := range m.fieldList {
		if f.col != nil {
			f.col.copyRow(dst, src)
		}
	}
}

func (m *model) allocShadow(src int32) int32 {
	var r int32
	if n := len(m.free); n > 0 {
		r = m.free[n-1]
		m.free = m.free[:n-1]
	} else {
		r = m.newRow()
	}
	m.copyRow(r, src)
	m.alive[r] = false
	return r
}

func (m *model) release(r int32) {
	for _, f := range m.fieldList {
		if ic, ok := f.col.(*idsCol); ok {
			ic.v[r] = nil
		}
	}
	m.free = append(m.free, r)
}

// index adds a live row to every index; unindex removes it.
func (m *model) index(r int32) {
	id := m.ids[r]
	if m.wd != nil {
		m.wd.insert(okey{m.writeDate(r), id})
	}
	for f, h := range m.hidx {
		indexValue(h, f, r, id, true)
	}
}

func (m *model) unindex(r int32) {
	id := m.ids[r]
	if m.wd != nil {
		m.wd.remove(okey{m.writeDate(r), id})
	}
	for f, h := range m.hidx {
		indexValue(h, f, r, id, false)
	}
}

func indexValue(h *hashIndex, f *field, r int32, id int64, add bool) {
	switch c := f.col.(type) {
	case *intCol:
		if add {
			h.addInt(c.v[r], id)
		} else {
			h.removeInt(c.v[r], id)
		}
	case *strCol:
		if add {
			h.addStr(c.v[r], id)
		} else {
			h.removeStr(c.v[r], id)
		}
	case *idsCol:
		for _, v := range c.v[r] {
			if add {
				h.addInt(v, id)
			} else {
				h.removeInt(v, id)
			}
		}
	}
}

// setRaw stores v in a live row, keeping indexes right. The caller has
// touched the row in its transaction.
func (m *model) setRaw(r int32, f *field, v any) {
	if f == m.wdField && m.wd != nil && m.alive[r] {
		m.wd.remove(okey{m.writeDate(r), m.ids[r]})
		f.col.set(r, v)
		m.wd.insert(okey{m.writeDate(r), m.ids[r]})
		return
	}
	if h := m.hidx[f]; h != nil && m.alive[r] {
		indexValue(h, f, r, m.ids[r], false)
		f.col.set(r, v)
		indexValue(h, f, r, m.ids[r], true)
		return
	}
	f.col.set(r, v)
}

// visibleRow resolves a record id to the row a viewer sees.
func (m *model) visibleRow(id, viewer int64) (int32, bool) {
	if len(m.pending) > 0 {
		if p, ok := m.pending[id]; ok && p.owner != viewer {
			if p.shadow < 0 {
				return 0, false
			}
			return p.shadow, true
		}
	}
	r, ok := m.rowOf[id]
	return r, ok
}

// hiddenFrom reports whether a live row's current state is another
// transaction's uncommitted work.
func (m *model) hiddenFrom(id, viewer int64) bool {
	if len(m.pending) == 0 {
		return false
	}
	p, ok := m.pending[id]
	return ok && p.owner != viewer
}

// scanVisible calls fn for every row version visible to viewer.
func (m *model) scanVisible(viewer int64, fn func(r int32)) {
	for r, ok := range m.alive {
		if ok && !m.hiddenFrom(m.ids[r], viewer) {
			fn(int32(r))
		}
	}
	m.pendingShadows(viewer, fn)
}

func (m *model) pendingShadows(viewer int64, fn func(r int32)) {
	for _, p := range m.pending {
		if p.owner != viewer && p.shadow >= 0 {
			fn(p.shadow)
		}
	}
}

// visibleFromLive maps candidate live ids to visible rows, adding the
// before-images of other transactions' pending rows.
func (m *model) visibleFromIDs(ids []int64, viewer int64, fn func(r int32)) {
	for _, id := range ids {
		if m.hiddenFrom(id, viewer) {
			continue
		}
		if r, ok := m.rowOf[id]; ok {
			fn(r)
		}
	}
	m.pendingShadows(viewer, fn)
}

// lookupRows returns the rows visible to viewer whose indexed field f holds
// one of the int values.
func (m *model) lookupInts(f *field, vals []int64, viewer int64) []int32 {
	h := m.hidx[f]
	var out []int32
	seen := map[int64]bool{}
	for _, v := range vals {
		for _, id := range h.ints[v] {
			if !seen[id] && !m.hiddenFrom(id, viewer) {
				seen[id] = true
				out = append(out, m.rowOf[id])
			}
		}
	}
	if len(m.pending) > 0 {
		want := map[int64]bool{}
		for _, v := range vals {
			want[v] = true
		}
		m.pendingShadows(viewer, func(r int32) {
			switch c := f.col.(type) {
			case *intCol:
				if want[c.v[r]] {
					out = append(out, r)
				}
			case *idsCol:
				for _, x := range c.v[r] {
					if want[x] {
						out = append(out, r)
						break
					}
				}
			}
		})
	}
	return out
}

// txn is a database transaction. RPC calls run in one each; Emulator.Begin
// opens one that stays pending (invisible to others) until Commit.
type txn struct {
	s       *store
	id      int64
	now     tstamp // transaction start: write_date of everything written in it
	uid     int64
	touched []touchRef
	hooks   []webhookHit
	hookSet map[touchRef]bool
	done    bool
}

type touchRef struct {
	m  *model
	id int64
}

func (s *store) begin(now time.Time, uid int64) *txn {
	return &txn{s: s, id: s.txSeq.Add(1), now: toTS(now), uid: uid, hookSet: map[touchRef]bool{}}
}

// errConcurrentUpdate is what PostgreSQL reports when two transactions
// write the same row; Odoo surfaces it as Fault 1.
func errConcurrentUpdate() error {
	return pyErr("psycopg2.errors.SerializationFailure", "could not serialize access due to concurrent update")
}

// touch records the before-image of a live row before the transaction
// changes it.
func (t *txn) touch(m *model, r int32) error {
	id := m.ids[r]
	if p, ok := m.pending[id]; ok {
		if p.owner != t.id {
			return errConcurrentUpdate()
		}
		return nil
	}
	m.pending[id] = &pendingRow{owner: t.id, row: r, shadow: m.allocShadow(r)}
	t.touched = append(t.touched, touchRef{m, id})
	return nil
}

// insert creates a live row with a new id, visible only to t until commit.
func (t *txn) insert(m *model) int32 {
	r := m.newRow()
	id := m.nextID
	m.nextID++
	m.ids[r] = id
	m.alive[r] = true
	m.rowOf[id] = r
	for _, f := range m.fieldList {
		if tc, ok := f.col.(*timeCol); ok {
			tc.v[r] = nullTS
		}
	}
	m.pending[id] = &pendingRow{owner: t.id, row: r, shadow: -1}
	t.touched = append(t.touched, touchRef{m, id})
	return r
}

// remove deletes a live row (after touching it).
func (t *txn) remove(m *model, r int32) error {
	if err := t.touch(m, r); err != nil {
		return err
	}
	id := m.ids[r]
	m.unindex(r)
	m.alive[r] = false
	delete(m.rowOf, id)
	m.pending[id].deleted = true
	return nil
}

// commit makes the transaction's rows visible to everyone.
func (t *txn) commit() {
	if t.done {
		return
	}
	t.done = true
	for _, ref := range t.touched {
		p := ref.m.pending[ref.id]
		if p == nil || p.owner != t.id {
			continue
		}
		delete(ref.m.pending, ref.id)
		if p.shadow >= 0 {
			ref.m.release(p.shadow)
		}
		if p.deleted {
			ref.m.release(p.row)
		}
	}
}

// rollback restores every before-image.
func (t *txn) rollback() {
	if t.done {
		return
	}
	t.done = true
	for i := len(t.touched) - 1; i >= 0; i-- {
		ref := t.touched[i]
		m := ref.m
		p := m.pending[ref.id]
		if p == nil || p.owner != t.id {
			continue
		}
		delete(m.pending, ref.id)
		r := p.row
		if p.shadow < 0 { // created here
			if m.alive[r] {
				m.unindex(r)
				m.alive[r] = false
				delete(m.rowOf, ref.id)
			}
			m.release(r)
			continue
		}
		if m.alive[r] {
			m.unindex(r)
		}
		m.copyRow(r, p.shadow)
		m.alive[r] = true
		m.rowOf[ref.id] = r
		m.index(r)
		m.release(p.shadow)
	}
	t.hooks = nil
}

func toTS(t time.Time) tstamp { return tstamp(t.UnixMicro()) }

func (ts tstamp) time() time.Time { return time.UnixMicro(int64(ts)).UTC() }

// sortedIDs is a helper for deterministic iteration.
func sortedIDs(ids []int64) []int64 {
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}
