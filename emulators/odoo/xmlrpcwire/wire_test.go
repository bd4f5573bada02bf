package xmlrpcwire

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/kolo/xmlrpc"
)

func TestDecodeKoloRequest(t *testing.T) {
	when := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	body, err := xmlrpc.EncodeMethodCall("execute_kw", "odoo", 2, "pw", "res.partner", "search_read",
		[]any{[]any{[]any{"write_date", ">=", when}}},
		map[string]any{"fields": []string{"name"}, "limit": 5, "ratio": 0.5, "flag": true, "blob": xmlrpc.Base64("aGk="), "none": nil, "u": uint(7)})
	if err != nil {
		t.Fatal(err)
	}
	call, err := DecodeCall(body)
	if err != nil {
		t.Fatal(err)
	}
	if call.Method != "execute_kw" || len(call.Params) != 7 {
		t.Fatalf("call = %+v", call)
	}
	if call.Params[1] != int64(2) || call.Params[0] != "odoo" {
		t.Fatalf("params = %#v", call.Params[:2])
	}
	leaf := call.Params[5].([]any)[0].([]any)[0].([]any)
	if got, ok := leaf[2].(time.Time); !ok || !got.Equal(when) {
		t.Fatalf("dateTime = %#v", leaf[2])
	}
	kw := call.Params[6].(map[string]any)
	if kw["limit"] != int64(5) || kw["ratio"] != 0.5 || kw["flag"] != true || kw["none"] != "" || kw["u"] != int64(7) {
		t.Fatalf("kwargs = %#v", kw)
	}
	if b, ok := kw["blob"].([]byte); !ok || string(b) != "hi" {
		t.Fatalf("blob = %#v", kw["blob"])
	}
}

func TestDecodeAllTypes(t *testing.T) {
	body := `<?xml version="1.0"?><methodCall><methodName>m</methodName><params>
<param><value><i4>1</i4></value></param><param><value><i8>9000000000</i8></value></param>
<param><value>bare</value></param><param><value/></param><param><value><nil/></value></param>
<param><value><base64>aGk=</base64></value></param><param><value><double>-1.5</double></value></param>
<param><value><boolean>0</boolean></value></param><param><value><string>a&amp;b</string></value></param>
<param><value><array><data></data></array></value></param><param><value><struct></struct></value></param>
</params></methodCall>`
	call, err := DecodeCall([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := []any{int64(1), int64(9000000000), "bare", "", nil, []byte("hi"), -1.5, false, "a&b", []any{}, map[string]any{}}
	for i, w := range want {
		got := call.Params[i]
		if b, ok := w.([]byte); ok {
			if !bytes.Equal(got.([]byte), b) {
				t.Fatalf("param %d = %#v", i, got)
			}
			continue
		}
		if strings.TrimSpace(sprint(got)) != strings.TrimSpace(sprint(w)) {
			t.Fatalf("param %d = %#v, want %#v", i, got, w)
		}
	}
	for _, bad := range []string{"", "<methodCall>", "<methodCall><methodName>x</methodName><params><param><value><boolean>2</boolean></value></param></params></methodCall>",
		"<methodCall><methodName>x</methodName><params><param><value><int>x</int></value></param></params></methodCall>",
		"<methodCall><methodName>x</methodName><params><param><value><dateTime.iso8601>2024-05-01</dateTime.iso8601></value></param></params></methodCall>"} {
		if _, err := DecodeCall([]byte(bad)); err == nil {
			t.Fatalf("accepted %q", bad)
		}
	}
}

func sprint(v any) string {
	var b bytes.Buffer
	_ = writeValue(&b, v, 0)
	if v == nil {
		return "nil"
	}
	return b.String()
}

func TestEncodeLikePython(t *testing.T) {
	out, err := EncodeResponse(Struct{{"a", 12.0}, {"b", "x<&>\x01y"}, {"c", []any{int64(1), false}}, {"d", 1e16}, {"e", 0.1}})
	if err != nil {
		t.Fatal(err)
	}
	want := "<?xml version=\"1.0\"?>\n<methodResponse>\n<params>\n<param>\n<value><struct>\n<member>\n<name>a</name>\n<value><double>12.0</double></value>\n</member>\n<member>\n<name>b</name>\n<value><string>x&lt;&amp;&gt;y</string></value>\n</member>\n<member>\n<name>c</name>\n<value><array><data>\n<value><int>1</int></value>\n<value><boolean>0</boolean></value>\n</data></array></value>\n</member>\n<member>\n<name>d</name>\n<value><double>1e+16</double></value>\n</member>\n<member>\n<name>e</name>\n<value><double>0.1</double></value>\n</member>\n</struct></value>\n</param>\n</params>\n</methodResponse>\n"
	if string(out) != want {
		t.Fatalf("got\n%q\nwant\n%q", out, want)
	}
	if _, err := EncodeResponse([]any{nil}); err != ErrNone {
		t.Fatalf("None: %v", err)
	}
	if _, err := EncodeResponse(int64(1) << 40); err != ErrIntOverflow {
		t.Fatalf("overflow: %v", err)
	}
	// kolo reads what we write, faults included.
	var v map[string]any
	if err := xmlrpc.Response(out).Unmarshal(&v); err != nil || v["a"] != 12.0 {
		t.Fatalf("kolo decode: %v %v", v, err)
	}
	if err := xmlrpc.Response(EncodeFault(3, "Access Denied")).Err(); err == nil || err.Error() != "Fault(3): Access Denied" {
		t.Fatalf("kolo fault: %v", err)
	}
}

// FuzzDecodeCall checks that no input crashes the decoder and that what it
// accepts survives a round trip through the encoder.
func FuzzDecodeCall(f *testing.F) {
	for _, seed := range []string{
		`<methodCall><methodName>x</methodName><params><param><value><int>1</int></value></param></params></methodCall>`,
		`<?xml version="1.0"?><methodCall><methodName>execute_kw</methodName><params><param><value><array><data><value><struct><member><name>a</name><value><nil/></value></member></struct></value></data></array></value></param></params></methodCall>`,
		`<methodCall><methodName>m</methodName><params><param><value>txt</value></param><param><value/></param></params></methodCall>`,
		`<methodCall><methodName>m</methodName><params><param><value><base64>!!</base64></value></param></params></methodCall>`,
		strings.Repeat("<value><array><data>", 300),
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		call, err := DecodeCall(data)
		if err != nil {
			return
		}
		for _, p := range call.Params {
			if p == nil {
				continue
			}
			_, _ = EncodeResponse(p)
		}
	})
}
