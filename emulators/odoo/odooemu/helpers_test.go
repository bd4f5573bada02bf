package odooemu_test

import (
	"context"
	"errors"
	"fmt"
	"net/rpc"
	"regexp"
	"strconv"
	"testing"

	"github.com/kolo/xmlrpc"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/odoo/odooemu"
)

// rpcClient talks to an emulator through kolo/xmlrpc, as the service does.
type rpcClient struct {
	t      testing.TB
	emu    *odooemu.Emulator
	common *xmlrpc.Client
	object *xmlrpc.Client
	db     string
	uid    int64
	pw     string
}

func startEmu(t testing.TB, opts odooemu.Options) *rpcClient {
	t.Helper()
	emu, err := odooemu.New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := emu.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = emu.Close() })
	common, err := xmlrpc.NewClient(emu.URL()+"/xmlrpc/2/common", nil)
	if err != nil {
		t.Fatal(err)
	}
	object, err := xmlrpc.NewClient(emu.URL()+"/xmlrpc/2/object", nil)
	if err != nil {
		t.Fatal(err)
	}
	pw := opts.Password
	if pw == "" {
		pw = "admin"
	}
	db := opts.DB
	if db == "" {
		db = "odoo"
	}
	c := &rpcClient{t: t, emu: emu, common: common, object: object, db: db, pw: pw}
	var uid any
	if err := common.Call("authenticate", []any{db, "admin", pw, map[string]any{}}, &uid); err != nil && opts.Login == "" {
		t.Fatalf("authenticate: %v", err)
	}
	if n, ok := uid.(int64); ok {
		c.uid = n
	}
	return c
}

// clone gives an independent connection: kolo's client runs one call at a
// time, so a webhook receiver that queries Odoo needs its own.
func (c *rpcClient) clone() *rpcClient {
	object, err := xmlrpc.NewClient(c.emu.URL()+"/xmlrpc/2/object", nil)
	if err != nil {
		c.t.Fatal(err)
	}
	cc := *c
	cc.object = object
	return &cc
}

func (c *rpcClient) call(model, method string, args []any, kw map[string]any) (any, error) {
	params := []any{c.db, c.uid, c.pw, model, method, args}
	if kw != nil {
		params = append(params, kw)
	}
	var out any
	err := c.object.Call("execute_kw", params, &out)
	return out, err
}

func (c *rpcClient) must(model, method string, args []any, kw map[string]any) any {
	c.t.Helper()
	out, err := c.call(model, method, args, kw)
	if err != nil {
		c.t.Fatalf("%s.%s: %v", model, method, err)
	}
	return out
}

func (c *rpcClient) create(model string, vals map[string]any) int64 {
	c.t.Helper()
	return c.must(model, "create", []any{vals}, nil).(int64)
}

func (c *rpcClient) read(model string, id int64, fields ...string) map[string]any {
	c.t.Helper()
	out := c.must(model, "read", []any{[]any{id}}, map[string]any{"fields": strs(fields)}).([]any)
	if len(out) != 1 {
		c.t.Fatalf("read %s %d: %d records", model, id, len(out))
	}
	return out[0].(map[string]any)
}

func (c *rpcClient) search(model string, domain []any, kw map[string]any) []int64 {
	c.t.Helper()
	return ints(c.must(model, "search", []any{domain}, kw))
}

func strs(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

func ints(v any) []int64 {
	list, _ := v.([]any)
	out := make([]int64, 0, len(list))
	for _, e := range list {
		out = append(out, e.(int64))
	}
	return out
}

func anyIDs(ids ...int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

var faultRx = regexp.MustCompile(`(?s)^Fault\((-?\d+)\): (.*)$`)

// fault parses kolo's "Fault(3): ..." rpc.ServerError (reference 1.10).
func fault(t testing.TB, err error) (int, string) {
	t.Helper()
	var se rpc.ServerError
	if !errors.As(err, &se) {
		t.Fatalf("want a fault, got %T %v", err, err)
	}
	m := faultRx.FindStringSubmatch(string(se))
	if m == nil {
		t.Fatalf("not a fault string: %q", se)
	}
	code, _ := strconv.Atoi(m[1])
	return code, m[2]
}

func wantFault(t testing.TB, err error, code int, contains string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want Fault %d, got success", code)
	}
	got, msg := fault(t, err)
	if got != code {
		t.Fatalf("want Fault %d, got %d: %s", code, got, msg)
	}
	if contains != "" && !regexp.MustCompile(regexp.QuoteMeta(contains)).MatchString(msg) {
		t.Fatalf("fault %d message %q does not contain %q", code, msg, contains)
	}
}

func sameIDs(t testing.TB, got []int64, want ...int64) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("ids = %v, want %v", got, want)
	}
}

var bg = context.Background()
