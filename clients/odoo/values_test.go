package odoo

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"
)

// A row as Odoo sends it, through the real decoder.
func decodedRow(t *testing.T) Record {
	t.Helper()
	row := map[string]any{
		"id":               int64(7),
		"name":             "Jane",
		"email":            false,
		"phone":            "",
		"active":           true,
		"customer_rank":    int64(3),
		"amount_total":     int64(0), // Python sends 0 for an empty float only as 0.0, but be tolerant
		"price_unit":       12.5,
		"country_id":       []any{int64(21), "Belgium"},
		"company_id":       false,
		"parent_id":        int64(4), // load=None style
		"category_id":      []any{int64(1), int64(5)},
		"user_ids":         []any{},
		"write_date":       "2024-05-01 10:00:00",
		"date":             "2024-05-01",
		"lang":             false,
		"display_type":     false,
		"email_normalized": "jane@example.com",
	}
	c := &Client{}
	v, err := c.decode(pyResponse([]any{row}), "x", callInfo{})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := toRecords(v, "x")
	if err != nil {
		t.Fatal(err)
	}
	return recs[0]
}

func TestRecordGettersOnOdooValues(t *testing.T) {
	r := decodedRow(t)
	checkRow(t, r)
	// The same row after a JSON round trip (Temporal payload) reads the same.
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Record
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	checkRow(t, back)
}

func checkRow(t *testing.T, r Record) {
	t.Helper()
	if r.ID() != 7 || r.String("name") != "Jane" {
		t.Errorf("id/name: %v %v", r.ID(), r.String("name"))
	}
	if r.String("email") != "" || r.String("phone") != "" || r.Raw("phone") != nil {
		t.Errorf("False/empty strings: %q %q %#v", r.String("email"), r.String("phone"), r.Raw("phone"))
	}
	if !r.Bool("active") || r.Bool("email") || r.Bool("missing") {
		t.Error("bools")
	}
	if r.Int("customer_rank") != 3 || r.Int("email") != 0 || r.Float("amount_total") != 0 || r.Float("price_unit") != 12.5 || r.Float("customer_rank") != 3 {
		t.Error("numbers")
	}
	if r.Many2One("country_id") != (Many2One{21, "Belgium"}) || r.Int("country_id") != 21 {
		t.Errorf("m2o %+v", r.Many2One("country_id"))
	}
	if r.Many2One("company_id").Valid() || r.Many2One("parent_id") != (Many2One{ID: 4}) {
		t.Error("m2o False / bare id")
	}
	if r.Many2One("category_id").Valid() || r.Int("category_id") != 0 {
		t.Error("an x2many read as a many2one")
	}
	if !slices.Equal(r.IDs("category_id"), []int64{1, 5}) || len(r.IDs("user_ids")) != 0 || r.IDs("email") != nil {
		t.Error("x2many")
	}
	if want := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC); !r.Time("write_date").Equal(want) || r.Time("write_date").Location() != time.UTC {
		t.Errorf("datetime %v", r.Time("write_date"))
	}
	if !r.Time("date").Equal(time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)) || !r.Time("lang").IsZero() {
		t.Error("date / False date")
	}
	if !r.Has("lang") || r.Has("nope") {
		t.Error("Has")
	}
}

func TestParseDatetimeVariants(t *testing.T) {
	want := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	for _, s := range []string{"2024-05-01 10:00:00", "2024-05-01 10:00:00.000000", "2024-05-01T10:00:00Z", "2024-05-01T12:00:00+02:00", "20240501T10:00:00"} {
		got, ok := ParseDatetime(s)
		if !ok || !got.Equal(want) {
			t.Errorf("%q: %v %v", s, got, ok)
		}
	}
	if got, ok := ParseDatetime("2024-05-01 10:00:00.123456"); !ok || got.Nanosecond() != 123456000 {
		t.Errorf("microseconds: %v", got)
	}
	if _, ok := ParseDatetime("False"); ok {
		t.Error("garbage parsed")
	}
	if FormatDatetime(time.Date(2024, 5, 1, 12, 0, 0, 999, time.FixedZone("x", 7200))) != "2024-05-01 10:00:00" {
		t.Error("format")
	}
}

func TestWireNeverSendsNil(t *testing.T) {
	var nilPtr *string
	args, err := toWireArgs([]any{nil, nilPtr, []any{nil}, map[string]any{"email": nil}, time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC), Many2One{}, Many2One{ID: 3}, []int{1, 2}, uint8(4)})
	if err != nil {
		t.Fatal(err)
	}
	want := []any{false, false, []any{false}, map[string]any{"email": false}, "2024-05-01 10:00:00", false, int64(3), []any{int64(1), int64(2)}, int64(4)}
	if !reflect.DeepEqual(args, want) {
		t.Fatalf("got %#v", args)
	}
	kw, err := toWireKwargs(map[string]any{"limit": nil, "order": "id asc", "fields": []string(nil), "context": map[string]any{"active_test": false}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := kw["limit"]; ok || len(kw) != 2 {
		t.Fatalf("nil kwargs not omitted: %#v", kw)
	}
	for _, bad := range []any{struct{ X int }{1}, map[string]any{"a<b": 1}, map[int]any{1: 2}} {
		if _, err := toWireArgs([]any{bad}); err == nil {
			t.Errorf("%#v accepted", bad)
		}
	}
}

// What goes over the wire for a write with nil and time values is what
// Python would read as False and a datetime string.
func TestWriteSendsOdooValues(t *testing.T) {
	f := newFakeOdoo(t, 17)
	f.model("res.partner", "name")
	var got []any
	f.before = func(service, method string, params []any) (any, *rpcFault, bool) {
		if len(params) > 4 && params[4] == "write" {
			got = params[5].([]any)
			return true, nil, true
		}
		return nil, nil, false
	}
	c := f.client(t)
	err := c.Write(context.Background(), "res.partner", []int64{3}, map[string]any{"email": nil, "date": time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	want := []any{[]any{int64(3)}, map[string]any{"email": false, "date": "2024-05-01 10:00:00"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("sent %#v", got)
	}
}

func TestCallTreatsNoneResultAsSuccess(t *testing.T) {
	f := newFakeOdoo(t, 17)
	f.model("sale.order", "name")
	f.before = func(service, method string, params []any) (any, *rpcFault, bool) {
		if len(params) > 4 && params[4] == "action_lock" {
			return nil, &rpcFault{1, traceback + "TypeError: cannot marshal None unless allow_none is enabled"}, true
		}
		if len(params) > 4 && params[4] == "action_confirm" {
			return true, nil, true
		}
		return nil, nil, false
	}
	c := f.client(t)
	res, err := c.Call(context.Background(), "sale.order", "action_lock", []any{[]int64{1}}, nil)
	if err != nil || res != nil {
		t.Fatalf("None result: %v %v", res, err)
	}
	res, err = c.Call(context.Background(), "sale.order", "action_confirm", []any{[]int64{1}}, map[string]any{"context": map[string]any{"send_email": false}})
	if err != nil || res != true {
		t.Fatalf("confirm: %v %v", res, err)
	}
	if _, err := c.Call(context.Background(), "sale.order", "bad<name", nil, nil); ClassOf(err) != ClassValidation {
		t.Fatalf("bad method name: %v", err)
	}
}
