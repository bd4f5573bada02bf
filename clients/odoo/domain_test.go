package odoo

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDomainBuilder(t *testing.T) {
	ts := time.Date(2024, 5, 1, 12, 0, 0, 500, time.FixedZone("CEST", 7200))
	a := Term("write_date", OpGe, ts)
	b := Term("email", OpILike, "a@x.com")
	c := Term("email_normalized", OpEq, "a@x.com")
	ids := Term("id", OpIn, []int64{1, 2})
	cases := []struct {
		name string
		got  Domain
		want string
	}{
		{"term time", a, `[["write_date",">=","2024-05-01 10:00:00"]]`},
		{"and", And(a, Or(b, c)), `["\u0026",["write_date",">=","2024-05-01 10:00:00"],"|",["email","ilike","a@x.com"],["email_normalized","=","a@x.com"]]`},
		{"and3", And(a, b, c), `["\u0026","\u0026",["write_date",">=","2024-05-01 10:00:00"],["email","ilike","a@x.com"],["email_normalized","=","a@x.com"]]`},
		{"not", Not(Or(b, c)), `["!","|",["email","ilike","a@x.com"],["email_normalized","=","a@x.com"]]`},
		{"in", ids, `[["id","in",[1,2]]]`},
		{"empty and", And(), `[]`},
		{"and drops true", And(nil, a, Domain{}), `[["write_date",">=","2024-05-01 10:00:00"]]`},
		{"empty or", Or(), `[[0,"=",1]]`},
		{"or with true", Or(a, nil), `[]`},
		{"not true", Not(nil), `[[0,"=",1]]`},
		{"implicit and operand", Or(Domain{a[0], b[0]}, c), `["|","\u0026",["write_date",">=","2024-05-01 10:00:00"],["email","ilike","a@x.com"],["email_normalized","=","a@x.com"]]`},
		{"nil value", Term("parent_id", OpEq, nil), `[["parent_id","=",false]]`},
		{"m2o value", Term("partner_id", OpEq, Many2One{ID: 9, Name: "x"}), `[["partner_id","=",9]]`},
		{"int slice", Term("id", OpNotIn, []int{3}), `[["id","not in",[3]]]`},
	}
	for _, tc := range cases {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(tc.got); err != nil {
			t.Fatal(err)
		}
		if b := strings.TrimSpace(buf.String()); b != strings.ReplaceAll(tc.want, `\u0026`, "&") {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, buf.String(), tc.want)
		}
	}
}

func TestRootsCountsPrefixExpressions(t *testing.T) {
	leaf := []any{"a", "=", 1}
	cases := []struct {
		d    Domain
		want int
	}{
		{Domain{leaf}, 1},
		{Domain{leaf, leaf}, 2},
		{Domain{"&", leaf, leaf}, 1},
		{Domain{"|", leaf, "!", leaf, leaf}, 2},
		{Domain{"!", "&", leaf, leaf}, 1},
	}
	for _, tc := range cases {
		if got := roots(tc.d); got != tc.want {
			t.Errorf("%v: %d, want %d", tc.d, got, tc.want)
		}
	}
}

// Term copies its slice values, so a caller reusing a buffer cannot change
// a domain that was already built.
func TestTermCopiesValues(t *testing.T) {
	ids := []int64{1, 2}
	d := Term("id", OpIn, ids)
	ids[0] = 99
	if !reflect.DeepEqual(d[0].([]any)[2], []int64{1, 2}) {
		t.Fatalf("aliased: %v", d)
	}
}

// A domain goes over the wire as nested arrays with Odoo's value types.
func TestDomainOnTheWire(t *testing.T) {
	d := And(Term("write_date", OpGe, time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)), Term("id", OpIn, []int64{4}), Term("parent_id", OpEq, false))
	w, err := toWire(d, "domain")
	if err != nil {
		t.Fatal(err)
	}
	want := []any{"&", "&", []any{"write_date", ">=", "2024-05-01 10:00:00"}, []any{"id", "in", []any{int64(4)}}, []any{"parent_id", "=", false}}
	if !reflect.DeepEqual(w, want) {
		t.Fatalf("wire %#v", w)
	}
}
