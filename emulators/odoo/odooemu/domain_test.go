package odooemu_test

import (
	"context"
	"testing"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/odoo/odooemu"
)

type fixture struct {
	c                              *rpcClient
	acme, jane, john, zoe, arch, x int64
	vip, gold, news                int64
}

// newFixture creates partners tagged ref='T' so domains can be checked
// against exact id lists.
func newFixture(t *testing.T, opts odooemu.Options) *fixture {
	c := startEmu(t, opts)
	f := &fixture{c: c}
	tagIDs := func(name string) int64 {
		ids := c.search("res.partner.category", []any{[]any{"name", "=", name}}, nil)
		if len(ids) != 1 {
			t.Fatalf("tag %s: %v", name, ids)
		}
		return ids[0]
	}
	f.vip, f.gold, f.news = tagIDs("VIP"), tagIDs("Gold"), tagIDs("Newsletter")
	f.acme = c.create("res.partner", map[string]any{"name": "Acme", "is_company": true, "ref": "T", "email": "info@acme.example", "company_id": int64(1), "customer_rank": int64(3)})
	f.jane = c.create("res.partner", map[string]any{"name": "Jane Doe", "parent_id": f.acme, "ref": "T", "email": "Jane Doe <Jane.Doe@Example.com>", "company_id": int64(1),
		"category_id": []any{[]any{int64(6), int64(0), anyIDs(f.gold)}}, "country_id": int64(5), "lang": "fr_BE"})
	f.john = c.create("res.partner", map[string]any{"name": "John 100%_Smith", "ref": "T", "email": "john@example.org", "company_id": int64(2), "customer_rank": int64(1),
		"category_id": []any{[]any{int64(4), f.news}}})
	f.zoe = c.create("res.partner", map[string]any{"name": "Zoë Ünïcode", "ref": "T", "phone": "+32 1"})
	f.arch = c.create("res.partner", map[string]any{"name": "Archived", "ref": "T", "active": false, "email": "old@example.org", "category_id": []any{[]any{int64(4), f.vip}}})
	f.x = c.create("res.partner", map[string]any{"name": "X", "ref": "T", "email": "bad-email"})
	return f
}

func TestDomainOperators(t *testing.T) {
	f := newFixture(t, odooemu.Options{})
	T := []any{"ref", "=", "T"}
	cases := []struct {
		name   string
		domain []any
		want   []int64
	}{
		{"implicit and", []any{T, []any{"is_company", "=", true}}, []int64{f.acme}},
		{"or", []any{T, "|", []any{"name", "=", "X"}, []any{"name", "=", "Acme"}}, []int64{f.acme, f.x}},
		{"not", []any{T, "!", []any{"email", "!=", false}}, []int64{f.zoe}},
		{"nested", []any{"&", T, "|", "!", []any{"is_company", "=", false}, []any{"name", "ilike", "zo"}}, []int64{f.acme, f.zoe}},
		{"= False is empty", []any{T, []any{"email", "=", false}}, []int64{f.zoe}},
		{"!= value includes NULL", []any{T, []any{"email", "!=", "bad-email"}}, []int64{f.acme, f.jane, f.john, f.zoe}},
		{"< > numbers", []any{T, []any{"customer_rank", ">", 0}, []any{"customer_rank", "<", 3}}, []int64{f.john}},
		{"<= >=", []any{T, []any{"customer_rank", ">=", 1}, []any{"customer_rank", "<=", 3}}, []int64{f.acme, f.john}},
		{"in", []any{T, []any{"name", "in", []any{"X", "Acme", "nobody"}}}, []int64{f.acme, f.x}},
		{"in [] matches nothing", []any{T, []any{"id", "in", []any{}}}, []int64{}},
		{"not in includes NULL", []any{T, []any{"email", "not in", []any{"bad-email"}}}, []int64{f.acme, f.jane, f.john, f.zoe}},
		{"like is case-sensitive", []any{T, []any{"name", "like", "doe"}}, []int64{}},
		{"ilike", []any{T, []any{"name", "ilike", "DOE"}}, []int64{f.jane}},
		{"like wildcards pass through", []any{T, []any{"name", "like", "100%_S"}}, []int64{f.john}},
		{"=like", []any{T, []any{"name", "=like", "J%"}}, []int64{f.jane, f.john}},
		{"=ilike", []any{T, []any{"email_normalized", "=ilike", "JANE.DOE@example.com"}}, []int64{f.jane}},
		{"not like", []any{T, []any{"name", "not like", "o"}}, []int64{f.acme, f.x}},
		{"not ilike", []any{T, []any{"name", "not ilike", "O"}}, []int64{f.acme, f.x}},
		{"=? False is true", []any{T, []any{"name", "=?", false}}, []int64{f.acme, f.jane, f.john, f.zoe, f.x}},
		{"=? value", []any{T, []any{"name", "=?", "X"}}, []int64{f.x}},
		{"constant true", []any{T, []any{1, "=", 1}}, []int64{f.acme, f.jane, f.john, f.zoe, f.x}},
		{"constant false", []any{T, []any{0, "=", 1}}, []int64{}},
		{"many2one id", []any{T, []any{"parent_id", "=", f.acme}}, []int64{f.jane}},
		{"many2one name", []any{T, []any{"parent_id", "ilike", "acm"}}, []int64{f.jane}},
		{"many2one False", []any{T, []any{"parent_id", "!=", false}}, []int64{f.jane}},
		{"many2many in = has any", []any{T, []any{"category_id", "in", anyIDs(f.gold, f.news)}}, []int64{f.jane, f.john}},
		{"many2many name", []any{T, []any{"category_id", "=", "Newsletter"}}, []int64{f.john}},
		{"many2many empty", []any{T, []any{"category_id", "=", false}}, []int64{f.acme, f.zoe, f.x}},
		{"child_of tag tree", []any{T, []any{"category_id", "child_of", f.vip}}, []int64{f.jane}},
		{"child_of partners", []any{T, []any{"id", "child_of", []any{f.acme}}}, []int64{f.acme, f.jane}},
		{"parent_of", []any{T, []any{"id", "parent_of", f.jane}}, []int64{f.acme, f.jane}},
		{"dotted path", []any{T, []any{"parent_id.email", "ilike", "acme"}}, []int64{f.jane}},
		{"one2many", []any{T, []any{"child_ids", "!=", false}}, []int64{f.acme}},
		{"related country_code", []any{T, []any{"country_code", "=", "BE"}}, []int64{f.jane}},
		{"email_normalized computed", []any{T, []any{"email_normalized", "=", "jane.doe@example.com"}}, []int64{f.jane}},
		{"invalid email normalizes to False", []any{T, []any{"email", "!=", false}, []any{"email_normalized", "=", false}}, []int64{f.x}},
		{"date-only widened >=", []any{T, []any{"create_date", ">=", "2000-01-01"}, []any{"name", "=", "X"}}, []int64{f.x}},
		{"date-only widened <", []any{T, []any{"create_date", "<", "2000-01-01"}}, []int64{}},
		{"unicode ilike", []any{T, []any{"name", "ilike", "ünï"}}, []int64{f.zoe}},
		{"any", []any{T, []any{"category_id", "any", []any{[]any{"name", "=", "Gold"}}}}, []int64{f.jane}},
		{"not any", []any{T, []any{"child_ids", "not any", []any{[]any{"name", "ilike", "jane"}}}}, []int64{f.jane, f.john, f.zoe, f.x}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := f.c.search("res.partner", tc.domain, map[string]any{"order": "id"})
			if tc.want == nil {
				tc.want = []int64{}
			}
			sameIDs(t, got, tc.want...)
		})
	}
	// Operators that do not exist in 16.
	c16 := startEmu(t, odooemu.Options{Version: 16})
	_, err := c16.call("res.partner", "search", []any{[]any{[]any{"category_id", "any", []any{}}}}, nil)
	wantFault(t, err, 1, "Invalid leaf")
}

func TestActiveTest(t *testing.T) {
	f := newFixture(t, odooemu.Options{})
	c := f.c
	T := []any{"ref", "=", "T"}
	if got := c.search("res.partner", []any{T}, map[string]any{"order": "id"}); len(got) != 5 {
		t.Fatalf("default hides archived: %v", got)
	}
	got := c.search("res.partner", []any{T}, map[string]any{"order": "id", "context": map[string]any{"active_test": false}})
	sameIDs(t, got, f.acme, f.jane, f.john, f.zoe, f.arch, f.x)
	got = c.search("res.partner", []any{T, []any{"active", "in", []any{true, false}}}, map[string]any{"order": "id"})
	sameIDs(t, got, f.acme, f.jane, f.john, f.zoe, f.arch, f.x)
	got = c.search("res.partner", []any{T, []any{"active", "=", false}}, nil)
	sameIDs(t, got, f.arch)
	// read by id returns archived records.
	if rec := c.read("res.partner", f.arch, "active", "name"); rec["active"] != false {
		t.Fatalf("read archived: %v", rec)
	}
	if n := c.must("res.partner", "search_count", []any{[]any{T}}, nil); n != int64(5) {
		t.Fatalf("search_count = %v", n)
	}
	// Archiving is a write: write_date moves, and archived tags drop out of
	// many2many reads.
	c.emu.SetNow(c.emu.Now().Add(time.Hour))
	c.must("res.partner", "write", []any{anyIDs(f.x), map[string]any{"active": false}}, nil)
	if rec := c.read("res.partner", f.x, "write_date"); rec["write_date"] != c.emu.Now().Format("2006-01-02 15:04:05") {
		t.Fatalf("archive did not move write_date: %v", rec)
	}
}

func TestAllowedCompanies(t *testing.T) {
	f := newFixture(t, odooemu.Options{})
	c := f.c
	T := []any{"ref", "=", "T"}
	ctx := func(ids ...int64) map[string]any {
		return map[string]any{"order": "id", "context": map[string]any{"allowed_company_ids": anyIDs(ids...)}}
	}
	sameIDs(t, c.search("res.partner", []any{T}, ctx(1)), f.acme, f.jane, f.zoe, f.x)
	sameIDs(t, c.search("res.partner", []any{T}, ctx(2)), f.john, f.zoe, f.x)
	sameIDs(t, c.search("res.partner", []any{T}, ctx(1, 2)), f.acme, f.jane, f.john, f.zoe, f.x)
	_, err := c.call("res.partner", "read", []any{anyIDs(f.john)}, map[string]any{"fields": []any{"name"}, "context": map[string]any{"allowed_company_ids": anyIDs(1)}})
	wantFault(t, err, 4, "not allowed to access 'Contact' (res.partner)")
	// Internal users' partners (partner_share False) are visible everywhere.
	if got := c.search("res.partner", []any{[]any{"id", "=", 3}}, ctx(2)); len(got) != 1 {
		t.Fatalf("admin partner hidden: %v", got)
	}
}

func TestOrderLimitOffset(t *testing.T) {
	f := newFixture(t, odooemu.Options{})
	c := f.c
	T := []any{"ref", "=", "T"}
	sameIDs(t, c.search("res.partner", []any{T}, map[string]any{"order": "name asc"}), f.acme, f.jane, f.john, f.x, f.zoe)
	sameIDs(t, c.search("res.partner", []any{T}, map[string]any{"order": "is_company desc, name desc"}), f.acme, f.zoe, f.x, f.john, f.jane)
	sameIDs(t, c.search("res.partner", []any{T}, map[string]any{"order": "name", "limit": 2, "offset": 1}), f.jane, f.john)
	sameIDs(t, c.search("res.partner", []any{T}, map[string]any{"order": "id desc", "limit": 2}), f.x, f.zoe)
	// Default order: complete_name ASC, id DESC ("Acme, Jane Doe" sorts after "Acme").
	sameIDs(t, c.search("res.partner", []any{T}, nil), f.acme, f.jane, f.john, f.x, f.zoe)
	// Ordering by a many2one sorts by the target's name; NULLs last.
	got := c.search("res.partner", []any{T}, map[string]any{"order": "parent_id, id"})
	if got[0] != f.jane {
		t.Fatalf("order by parent_id: %v", got)
	}
	rows := c.must("res.partner", "search_read", []any{[]any{T}}, map[string]any{"fields": []any{"name"}, "limit": 1, "order": "write_date asc, id asc"}).([]any)
	if len(rows) != 1 || rows[0].(map[string]any)["id"] != f.acme {
		t.Fatalf("search_read paged: %v", rows)
	}
	names := c.must("res.partner", "name_search", []any{"doe"}, map[string]any{"limit": 5}).([]any)
	if len(names) != 1 || names[0].([]any)[1] != "Acme, Jane Doe" {
		t.Fatalf("name_search: %v", names)
	}
	fg := c.must("res.partner", "fields_get", []any{}, map[string]any{"attributes": []any{"type", "string", "relation"}}).(map[string]any)
	if d := fg["country_id"].(map[string]any); d["type"] != "many2one" || d["relation"] != "res.country" || len(d) != 3 {
		t.Fatalf("fields_get country_id: %v", d)
	}
	if _, ok := fg["email_normalized"]; !ok {
		t.Fatal("fields_get lacks email_normalized")
	}
}

// Regression: 'write_date desc' without an upper bound used to return no
// rows (the open upper bound overflowed in the index walk).
func TestNewestFirstWithoutBound(t *testing.T) {
	e, err := odooemu.New(odooemu.Options{SeedCustomers: 20, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Call(context.Background(), "res.partner", "search_read", []any{[]any{}},
		map[string]any{"fields": []any{"write_date"}, "limit": int64(3), "order": "write_date desc, id desc"})
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := res.([]any)
	if len(rows) != 3 {
		t.Fatalf("got %d rows, want 3", len(rows))
	}
}
