package odoo

import (
	"fmt"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeOdoo is a small in-memory Odoo for unit tests: the 16-18 write_date
// semantics (microseconds stored, seconds returned, raw comparison),
// prefix domains, ordering, limit/offset, active_test, and uncommitted rows
// to play late commits. The real emulator is exercised in integration_test.go.
type fakeOdoo struct {
	t   testing.TB
	srv *httptest.Server

	mu      sync.Mutex
	db      string
	login   string
	key     string
	uid     int64
	version map[string]any
	models  map[string]*fakeModel
	calls   map[string]int
	// before, when set, may answer a call itself (ok=true).
	before func(service, method string, params []any) (res any, f *rpcFault, ok bool)
}

type fakeModel struct {
	fields    map[string]bool
	rows      map[int64]*fakeRow
	hasActive bool
}

type fakeRow struct {
	id      int64
	wd      time.Time // with microseconds
	vals    map[string]any
	pending bool // written by a transaction that has not committed: invisible
}

func newFakeOdoo(t testing.TB, major int) *fakeOdoo {
	f := &fakeOdoo{t: t, db: "db", login: "api@example.com", key: "secret-key-123", uid: 2,
		models: map[string]*fakeModel{}, calls: map[string]int{}}
	f.setVersion(fmt.Sprintf("%d.0", major), []any{int64(major), int64(0), int64(0), "final", int64(0), ""})
	f.srv = httptest.NewServer(rpcHandler(t, f.handle))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeOdoo) setVersion(s string, info []any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.version = versionStruct(s, info)
}

func (f *fakeOdoo) client(t testing.TB, mod ...func(*Config)) *Client {
	cfg := Config{URL: f.srv.URL, DB: f.db, Login: f.login, APIKey: f.key, Timeout: 5 * time.Second}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fakeOdoo) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[name]
}

// model declares a model and its fields.
func (f *fakeOdoo) model(name string, fields ...string) *fakeModel {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := &fakeModel{fields: map[string]bool{"id": true, "write_date": true, "create_date": true, "display_name": true}, rows: map[int64]*fakeRow{}}
	for _, fl := range fields {
		m.fields[fl] = true
		if fl == "active" {
			m.hasActive = true
		}
	}
	f.models[name] = m
	return m
}

// put creates or replaces a row (committed unless pending).
func (f *fakeOdoo) put(model string, id int64, wd time.Time, vals map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.models[model]
	if vals == nil {
		vals = map[string]any{}
	}
	if m.hasActive {
		if _, ok := vals["active"]; !ok {
			vals["active"] = true
		}
	}
	m.rows[id] = &fakeRow{id: id, wd: wd.UTC(), vals: vals}
}

func (f *fakeOdoo) setPending(model string, id int64, pending bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.models[model].rows[id].pending = pending
}

func (f *fakeOdoo) del(model string, id int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.models[model].rows, id)
}

func (f *fakeOdoo) handle(service, method string, params []any) (any, *rpcFault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	name := service + "." + method
	if service == "object" && len(params) >= 5 {
		name = fmt.Sprint(params[3]) + "." + fmt.Sprint(params[4])
	}
	f.calls[name]++
	if f.before != nil {
		if res, flt, ok := f.before(service, method, params); ok {
			return res, flt
		}
	}
	switch service + "." + method {
	case "common.version":
		return f.version, nil
	case "common.authenticate":
		if len(params) != 4 {
			return nil, &rpcFault{1, "TypeError: authenticate() takes 4 arguments"}
		}
		if params[0] == f.db && params[1] == f.login && params[2] == f.key {
			return f.uid, nil
		}
		return false, nil
	case "object.execute_kw":
		return f.execute(params)
	}
	return nil, &rpcFault{1, "Traceback (most recent call last):\n  ...\nNameError: method " + method + " is not supported"}
}

func (f *fakeOdoo) execute(params []any) (any, *rpcFault) {
	if len(params) < 6 {
		return nil, &rpcFault{1, "TypeError: execute_kw() missing arguments"}
	}
	if params[0] != f.db || params[1] != f.uid || params[2] != f.key {
		return nil, &rpcFault{3, "Access Denied"}
	}
	modelName, _ := params[3].(string)
	method, _ := params[4].(string)
	args, _ := params[5].([]any)
	kw := map[string]any{}
	if len(params) > 6 {
		kw, _ = params[6].(map[string]any)
	}
	if strings.HasPrefix(method, "_") {
		return nil, &rpcFault{4, fmt.Sprintf("Private methods (such as %s) cannot be called remotely.", method)}
	}
	m := f.models[modelName]
	if m == nil {
		return nil, &rpcFault{2, fmt.Sprintf("Object %s doesn't exist", modelName)}
	}
	ctx, _ := kw["context"].(map[string]any)
	switch method {
	case "fields_get":
		out := map[string]any{}
		for fl := range m.fields {
			out[fl] = map[string]any{"type": "char"}
		}
		return out, nil
	case "search", "search_read", "search_count":
		dom, _ := args[0].([]any)
		rows, flt := m.search(dom, ctx, kw)
		if flt != nil {
			return nil, flt
		}
		switch method {
		case "search_count":
			return int64(len(rows)), nil
		case "search":
			ids := make([]any, len(rows))
			for i, r := range rows {
				ids[i] = r.id
			}
			return ids, nil
		}
		return m.output(rows, kw["fields"])
	case "read":
		var rows []*fakeRow
		for _, id := range args[0].([]any) {
			if r := m.rows[id.(int64)]; r != nil && !r.pending {
				rows = append(rows, r)
			}
		}
		return m.output(rows, kw["fields"])
	case "unlink":
		for _, id := range args[0].([]any) {
			if m.rows[id.(int64)] == nil {
				return nil, &rpcFault{2, "Record does not exist or has been deleted.\n(Record: x, User: 2)"}
			}
		}
		for _, id := range args[0].([]any) {
			delete(m.rows, id.(int64))
		}
		return true, nil
	}
	return nil, &rpcFault{1, "Traceback (most recent call last):\n  File \"odoo/api.py\", line 1, in call_kw\nAttributeError: type object has no attribute '" + method + "'"}
}

func (m *fakeModel) output(rows []*fakeRow, fieldsArg any) (any, *rpcFault) {
	var fields []string
	if l, ok := fieldsArg.([]any); ok {
		for _, e := range l {
			fields = append(fields, e.(string))
		}
	}
	for _, fl := range fields {
		if !m.fields[fl] {
			return nil, &rpcFault{1, "Traceback (most recent call last):\n  File \"odoo/models.py\"\nValueError: Invalid field '" + fl + "' on model"}
		}
	}
	out := make([]any, 0, len(rows))
	for _, r := range rows {
		rec := map[string]any{"id": r.id}
		for _, fl := range fields {
			switch fl {
			case "id":
			case "write_date":
				rec[fl] = r.wd.Format(DatetimeLayout)
			default:
				rec[fl] = wireOut(r.vals[fl])
			}
		}
		out = append(out, rec)
	}
	return out, nil
}

// wireOut renders a stored value the way Odoo's read does.
func wireOut(v any) any {
	switch x := v.(type) {
	case nil:
		return false
	case string:
		if x == "" {
			return false
		}
		return x
	case Many2One:
		if x.ID == 0 {
			return false
		}
		return []any{x.ID, x.Name}
	case []int64:
		out := make([]any, len(x))
		for i, id := range x {
			out[i] = id
		}
		return out
	case time.Time:
		if x.IsZero() {
			return false
		}
		return x.UTC().Format(DatetimeLayout)
	}
	return v
}

func (m *fakeModel) search(dom []any, ctx map[string]any, kw map[string]any) ([]*fakeRow, *rpcFault) {
	activeTest := true
	if v, ok := ctx["active_test"].(bool); ok && !v {
		activeTest = false
	}
	if m.hasActive && activeTest && !mentions(dom, "active") {
		dom = append([]any{"&", []any{"active", "=", true}}, single(Domain(dom))...)
	}
	var rows []*fakeRow
	for _, r := range m.rows {
		if r.pending {
			continue
		}
		ok, flt := m.match(dom, r)
		if flt != nil {
			return nil, flt
		}
		if ok {
			rows = append(rows, r)
		}
	}
	order, _ := kw["order"].(string)
	if order == "" {
		order = "id asc"
	}
	keys := strings.Split(order, ",")
	sort.Slice(rows, func(i, j int) bool {
		for _, k := range keys {
			parts := strings.Fields(k)
			desc := len(parts) > 1 && strings.EqualFold(parts[1], "desc")
			c := compareField(rows[i], rows[j], parts[0])
			if c != 0 {
				return (c < 0) != desc
			}
		}
		return false
	})
	if off, ok := kw["offset"].(int64); ok && off > 0 {
		rows = rows[min(int(off), len(rows)):]
	}
	if lim, ok := kw["limit"].(int64); ok && lim > 0 && int(lim) < len(rows) {
		rows = rows[:lim]
	}
	return rows, nil
}

func mentions(dom []any, field string) bool {
	for _, el := range dom {
		if l, ok := el.([]any); ok && len(l) == 3 && l[0] == field {
			return true
		}
	}
	return false
}

func compareField(a, b *fakeRow, field string) int {
	va, vb := a.get(field), b.get(field)
	switch x := va.(type) {
	case time.Time:
		return x.Compare(vb.(time.Time))
	case int64:
		y := vb.(int64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case string:
		return strings.Compare(x, fmt.Sprint(vb))
	}
	return 0
}

// get returns the comparable value of a field: ids for relations.
func (r *fakeRow) get(field string) any {
	switch field {
	case "id":
		return r.id
	case "write_date":
		return r.wd
	}
	switch x := r.vals[field].(type) {
	case Many2One:
		return x.ID
	case int:
		return int64(x)
	case nil:
		return false
	default:
		return x
	}
}

func (m *fakeModel) match(dom []any, r *fakeRow) (bool, *rpcFault) {
	pos := 0
	var bad *rpcFault
	var ev func() bool
	ev = func() bool {
		if pos >= len(dom) {
			bad = &rpcFault{1, "ValueError: malformed domain"}
			return false
		}
		el := dom[pos]
		pos++
		switch el {
		case "&":
			a, b := ev(), ev()
			return a && b
		case "|":
			a, b := ev(), ev()
			return a || b
		case "!":
			return !ev()
		}
		leaf, ok := el.([]any)
		if !ok || len(leaf) != 3 {
			bad = &rpcFault{1, fmt.Sprintf("ValueError: Invalid leaf %v", el)}
			return false
		}
		ok, flt := m.leaf(leaf, r)
		if flt != nil {
			bad = flt
		}
		return ok
	}
	res := true
	for pos < len(dom) {
		v := ev()
		res = res && v
	}
	return res, bad
}

func (m *fakeModel) leaf(leaf []any, r *fakeRow) (bool, *rpcFault) {
	if n, ok := leaf[0].(int64); ok { // (1,'=',1) / (0,'=',1)
		return n == leaf[2], nil
	}
	field, _ := leaf[0].(string)
	op, _ := leaf[1].(string)
	val := leaf[2]
	if !m.fields[field] && field != "active" {
		return false, &rpcFault{1, "Traceback (most recent call last):\nValueError: Invalid field " + field + " in leaf"}
	}
	cur := r.get(field)
	if field == "write_date" {
		wd := cur.(time.Time)
		if b, ok := val.(bool); ok && !b {
			switch op {
			case "=":
				return wd.IsZero(), nil
			case "!=":
				return !wd.IsZero(), nil
			}
		}
		s, _ := val.(string)
		ts, ok := ParseDatetime(s)
		if !ok {
			return false, &rpcFault{1, "ValueError: bad datetime"}
		}
		c := wd.Compare(ts) // stored microseconds vs whole second (16-18)
		return cmpOp(op, c), nil
	}
	switch op {
	case "in", "not in":
		list, _ := val.([]any)
		found := false
		for _, e := range list {
			if ids, ok := cur.([]int64); ok {
				for _, id := range ids {
					if id == e {
						found = true
					}
				}
			} else if e == cur {
				found = true
			}
		}
		return found == (op == "in"), nil
	case "ilike", "=ilike", "like", "not ilike":
		s, _ := cur.(string)
		p, _ := val.(string)
		var ok bool
		if op == "=ilike" {
			ok = strings.EqualFold(s, p)
		} else {
			ok = s != "" && strings.Contains(strings.ToLower(s), strings.ToLower(p))
		}
		return ok != (op == "not ilike"), nil
	}
	switch x := cur.(type) {
	case int64:
		y, _ := val.(int64)
		c := 0
		if x < y {
			c = -1
		} else if x > y {
			c = 1
		}
		return cmpOp(op, c), nil
	case string:
		return cmpOp(op, strings.Compare(x, fmt.Sprint(val))), nil
	default:
		eq := cur == val
		if op == "!=" {
			return !eq, nil
		}
		return eq, nil
	}
}

func cmpOp(op string, c int) bool {
	switch op {
	case "=":
		return c == 0
	case "!=":
		return c != 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	}
	return false
}
