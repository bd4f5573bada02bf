package odooemu_test

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kolo/xmlrpc"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/odoo/odooemu"
)

func postRaw(t *testing.T, url, body string) (int, string, string) {
	t.Helper()
	resp, err := http.Post(url, "text/xml", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

func TestCommonService(t *testing.T) {
	c := startEmu(t, odooemu.Options{APIKeys: []string{"key-123"}})
	var v map[string]any
	if err := c.common.Call("version", nil, &v); err != nil {
		t.Fatal(err)
	}
	if v["server_version"] != "17.0" || v["server_serie"] != "17.0" || v["protocol_version"] != int64(1) {
		t.Fatalf("version = %v", v)
	}
	info := v["server_version_info"].([]any)
	if info[0] != int64(17) || info[3] != "final" {
		t.Fatalf("server_version_info = %v", info)
	}
	if c.uid != 2 {
		t.Fatalf("authenticate uid = %d, want 2", c.uid)
	}
	var bad, key, login, out any
	if err := c.common.Call("authenticate", []any{"odoo", "admin", "wrong", map[string]any{}}, &bad); err != nil || bad != false {
		t.Fatalf("bad password: %v %v, want false", bad, err)
	}
	if err := c.common.Call("authenticate", []any{"odoo", "admin", "key-123", map[string]any{}}, &key); err != nil || key != int64(2) {
		t.Fatalf("api key: %v %v", key, err)
	}
	if err := c.common.Call("login", []any{"odoo", "admin", "admin"}, &login); err != nil || login != int64(2) {
		t.Fatalf("login: %v %v", login, err)
	}
	wantFault(t, c.common.Call("authenticate", []any{"odoo", "admin", "admin"}, &out), 1, "TypeError")
	wantFault(t, c.common.Call("authenticate", []any{"nodb", "admin", "admin", map[string]any{}}, &out), 1, `database "nodb" does not exist`)
	out = nil
	if err := c.common.Call("about", nil, &out); err != nil || out != "See http://openerp.com" {
		t.Fatalf("about: %v %v", out, err)
	}
	db, _ := xmlrpc.NewClient(c.emu.URL()+"/xmlrpc/2/db", nil)
	wantFault(t, db.Call("list", nil, &out), 3, "Access Denied")
	out = nil
	if err := db.Call("server_version", nil, &out); err != nil || out != "17.0" {
		t.Fatalf("db.server_version: %v %v", out, err)
	}
	if c.emu.CallCount("common", "authenticate") < 4 {
		t.Fatalf("counters: %v", c.emu.Calls())
	}
}

func TestObjectFaults(t *testing.T) {
	c := startEmu(t, odooemu.Options{})
	var out any
	err := c.object.Call("execute_kw", []any{"odoo", int64(2), "bad", "res.partner", "search", []any{[]any{}}}, &out)
	wantFault(t, err, 3, "Access Denied")
	_, err = c.call("res.partner", "_read", []any{[]any{1}}, nil)
	wantFault(t, err, 4, "Private methods (such as _read) cannot be called remotely.")
	_, err = c.call("res.partner", "init", []any{}, nil)
	wantFault(t, err, 4, "Private methods")
	_, err = c.call("no.model", "search", []any{[]any{}}, nil)
	wantFault(t, err, 2, "Object no.model doesn't exist")
	_, err = c.call("res.partner", "frobnicate", []any{[]any{}}, nil)
	wantFault(t, err, 1, "Traceback (most recent call last):")
	_, err = c.call("res.partner", "read", []any{[]any{1}}, map[string]any{"fields": []any{"nope"}})
	wantFault(t, err, 1, "ValueError: Invalid field 'nope' on model 'res.partner'")
	_, err = c.call("res.partner", "search", []any{[]any{[]any{"nope", "=", 1}}}, nil)
	wantFault(t, err, 1, "Invalid field res.partner.nope")
	_, err = c.call("res.partner", "search", []any{[]any{"|", []any{"name", "=", "x"}}}, nil)
	wantFault(t, err, 1, "ValueError")
	_, err = c.call("res.partner", "search", []any{[]any{[]any{"name", "~", "x"}}}, nil)
	wantFault(t, err, 1, "Invalid leaf")
	_, err = c.call("res.partner", "search", []any{[]any{}}, map[string]any{"order": "name; drop table"})
	wantFault(t, err, 2, `Invalid "order" specified`)
	_, err = c.call("res.partner", "search", []any{[]any{}}, map[string]any{"order": "nope desc"})
	wantFault(t, err, 1, "Invalid field 'nope'")
	_, err = c.call("res.partner", "search_read", []any{[]any{}}, map[string]any{"bogus": 1})
	wantFault(t, err, 1, "TypeError")
	_, err = c.call("res.partner", "search", []any{}, nil)
	wantFault(t, err, 1, "missing 1 required positional argument: 'domain'")
	id := c.create("res.partner", map[string]any{"name": "Gone"})
	c.must("res.partner", "unlink", []any{[]any{id}}, nil)
	_, err = c.call("res.partner", "write", []any{[]any{id}, map[string]any{"name": "x"}}, nil)
	wantFault(t, err, 2, "Record does not exist or has been deleted.")
	_, err = c.call("res.partner", "unlink", []any{[]any{id}}, nil)
	wantFault(t, err, 2, "Record does not exist or has been deleted.")
	if got := c.must("res.partner", "read", []any{[]any{id, int64(3)}}, map[string]any{"fields": []any{"name"}}).([]any); len(got) != 1 {
		t.Fatalf("read with a deleted id = %v, want only the existing record", got)
	}
	_, err = c.call("res.partner", "search", []any{[]any{}}, map[string]any{"context": map[string]any{"allowed_company_ids": []any{int64(99)}}})
	wantFault(t, err, 4, "Access to unauthorized or invalid companies.")
	_, err = c.call("res.partner", "create", []any{map[string]any{"name": "x", "type": "bogus"}}, nil)
	wantFault(t, err, 1, "Wrong value for res.partner.type")
	_, err = c.call("res.partner", "create", []any{map[string]any{"name": "x", "country_id": int64(999999)}}, nil)
	wantFault(t, err, 2, "The operation cannot be completed")
	_, err = c.call("sale.order", "create", []any{map[string]any{}}, nil)
	wantFault(t, err, 2, "mandatory field is not set")
	err = c.object.Call("execute_kw", []any{"other", int64(2), "admin", "res.partner", "search", []any{[]any{}}}, &out)
	wantFault(t, err, 1, "does not exist")
	// execute (positional only) works too.
	if err := c.object.Call("execute", []any{"odoo", int64(2), "admin", "res.partner", "search_count", []any{}}, &out); err != nil || out.(int64) < 1 {
		t.Fatalf("execute: %v %v", out, err)
	}
}

func TestResponseFramingAndValueEncoding(t *testing.T) {
	c := startEmu(t, odooemu.Options{})
	// XML cannot carry control characters, so store one in-process.
	res, err := c.emu.Call(bg, "res.partner", "create", []any{map[string]any{"name": "Bell\x07 Ringer", "email": "", "country_id": int64(5)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := res.(int64)
	req := `<?xml version="1.0"?><methodCall><methodName>execute_kw</methodName><params>
<param><value>odoo</value></param><param><value><i4>2</i4></value></param><param><value><string>admin</string></value></param>
<param><value>res.partner</value></param><param><value>read</value></param>
<param><value><array><data><value><array><data><value><i8>` + itoa(id) + `</i8></value></data></array></value></data></array></value></param>
<param><value><struct><member><name>fields</name><value><array><data><value>name</value><value>email</value><value>country_id</value><value>category_id</value><value>write_date</value></data></array></value></member></struct></value></param>
</params></methodCall>`
	status, ctype, body := postRaw(t, c.emu.URL()+"/xmlrpc/2/object", req)
	if status != 200 || !strings.HasPrefix(ctype, "text/xml") {
		t.Fatalf("status %d type %q", status, ctype)
	}
	for _, want := range []string{
		"<?xml version=\"1.0\"?>\n<methodResponse>\n<params>\n<param>\n<value><array><data>\n<value><struct>\n<member>\n<name>id</name>\n<value><int>",
		"<name>name</name>\n<value><string>Bell Ringer</string></value>", // control character stripped
		"<name>email</name>\n<value><boolean>0</boolean></value>",        // empty char is False
		"<name>country_id</name>\n<value><array><data>\n<value><int>5</int></value>\n<value><string>Belgium</string></value>\n</data></array></value>",
		"<name>category_id</name>\n<value><array><data>\n</data></array></value>",
		"</struct></value>\n</data></array></value>\n</param>\n</params>\n</methodResponse>\n",
	} {
		if !strings.Contains(body, want) {
			t.Fatalf("response lacks %q:\n%s", want, body)
		}
	}
	if !regexpMatch(`<name>write_date</name>\n<value><string>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d</string></value>`, body) {
		t.Fatalf("write_date not 'YYYY-MM-DD HH:MM:SS':\n%s", body)
	}
	// Faults: HTTP 200, integer code, exact framing.
	status, _, body = postRaw(t, c.emu.URL()+"/xmlrpc/2/object", strings.Replace(req, "<string>admin</string>", "<string>nope</string>", 1))
	wantBody := "<?xml version=\"1.0\"?>\n<methodResponse>\n<fault>\n<value><struct>\n<member>\n<name>faultCode</name>\n<value><int>3</int></value>\n</member>\n<member>\n<name>faultString</name>\n<value><string>Access Denied</string></value>\n</member>\n</struct></value>\n</fault>\n</methodResponse>\n"
	if status != 200 || body != wantBody {
		t.Fatalf("fault body (%d):\n%q", status, body)
	}
	// Legacy route: string fault codes.
	_, _, body = postRaw(t, c.emu.URL()+"/xmlrpc/object", strings.Replace(req, "<string>admin</string>", "<string>nope</string>", 1))
	if !strings.Contains(body, "<value><string>AccessDenied</string></value>") {
		t.Fatalf("legacy fault: %s", body)
	}
	// Malformed XML is Fault 1 with a traceback.
	_, _, body = postRaw(t, c.emu.URL()+"/xmlrpc/2/object", "<methodCall><methodName>execute_kw")
	if !strings.Contains(body, "<int>1</int>") || !strings.Contains(body, "Traceback") {
		t.Fatalf("malformed: %s", body)
	}
	// load=None gives plain ids for many2one.
	rec := c.must("res.partner", "read", []any{[]any{id}}, map[string]any{"fields": []any{"country_id"}, "load": ""}).([]any)[0].(map[string]any)
	if rec["country_id"] != int64(5) {
		t.Fatalf("load='' country_id = %#v, want 5", rec["country_id"])
	}
}

func TestParsesEveryValueType(t *testing.T) {
	c := startEmu(t, odooemu.Options{})
	req := `<?xml version="1.0"?><methodCall><methodName>execute_kw</methodName><params>
<param><value>odoo</value></param><param><value><int>2</int></value></param><param><value>admin</value></param>
<param><value>res.partner</value></param><param><value>create</value></param>
<param><value><array><data><value><struct>
 <member><name>name</name><value>  Bare Text  </value></member>
 <member><name>customer_rank</name><value><i8>7</i8></value></member>
 <member><name>is_company</name><value><boolean>1</boolean></value></member>
 <member><name>comment_ignored_by_odoo</name><value><nil/></value></member>
</struct></value></data></array></value></param>
</params></methodCall>`
	_, _, body := postRaw(t, c.emu.URL()+"/xmlrpc/2/object", req)
	if !strings.Contains(body, "Invalid field 'comment_ignored_by_odoo'") {
		t.Fatalf("unknown field with nil value: %s", body)
	}
	req = strings.Replace(req, "<member><name>comment_ignored_by_odoo</name><value><nil/></value></member>",
		"<member><name>phone</name><value/></member><member><name>vat</name><value><base64>QkUwMTIz</base64></value></member>", 1)
	_, _, body = postRaw(t, c.emu.URL()+"/xmlrpc/2/object", req)
	if !strings.Contains(body, "<value><int>") {
		t.Fatalf("create: %s", body)
	}
	ids := c.search("res.partner", []any{[]any{"name", "=", "  Bare Text  "}}, nil)
	if len(ids) != 1 {
		t.Fatalf("bare text value not kept as string: %v", ids)
	}
	rec := c.read("res.partner", ids[0], "customer_rank", "is_company", "phone", "vat")
	if rec["customer_rank"] != int64(7) || rec["is_company"] != true || rec["phone"] != false || rec["vat"] != "BE0123" {
		t.Fatalf("decoded values: %v", rec)
	}
	// doubles and dateTime.iso8601 in a domain.
	req = `<?xml version="1.0"?><methodCall><methodName>execute_kw</methodName><params>
<param><value>odoo</value></param><param><value><int>2</int></value></param><param><value>admin</value></param>
<param><value>res.partner</value></param><param><value>search_count</value></param>
<param><value><array><data><value><array><data>
<value><array><data><value>create_date</value><value>&lt;=</value><value><dateTime.iso8601>29991231T23:59:59</dateTime.iso8601></value></data></array></value>
<value><array><data><value>customer_rank</value><value>&gt;</value><value><double>6.5</double></value></data></array></value>
</data></array></value></data></array></value></param></params></methodCall>`
	_, _, body = postRaw(t, c.emu.URL()+"/xmlrpc/2/object", req)
	if !strings.Contains(body, "<value><int>1</int></value>") || strings.Contains(body, "fault") {
		t.Fatalf("search_count with double and dateTime: %s", body)
	}
}

func TestReturningNoneIsFault1AfterCommit(t *testing.T) {
	c := startEmu(t, odooemu.Options{})
	id := c.create("res.partner", map[string]any{"name": "To archive"})
	// action_archive returns toggle_active()'s None: Odoo commits, then the
	// marshaller fails.
	_, err := c.call("res.partner", "action_archive", []any{[]any{id}}, nil)
	wantFault(t, err, 1, "cannot marshal None unless allow_none is enabled")
	if rec := c.read("res.partner", id, "active"); rec["active"] != false {
		t.Fatalf("archive not committed: %v", rec)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func regexpMatch(pattern, s string) bool { return regexp.MustCompile(pattern).MatchString(s) }
