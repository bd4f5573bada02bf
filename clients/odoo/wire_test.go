package odoo

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Test side of the wire: decode the client's methodCall, and answer the way
// Odoo does (Python's xmlrpc.client.Marshaller framing, reference 1.4/1.5).

type xnode struct {
	XMLName xml.Name
	Content string  `xml:",chardata"`
	Nodes   []xnode `xml:",any"`
}

// parseCall decodes a methodCall into its method name and params.
func parseCall(body []byte) (string, []any, error) {
	var root xnode
	if err := xml.Unmarshal(body, &root); err != nil {
		return "", nil, err
	}
	if root.XMLName.Local != "methodCall" {
		return "", nil, fmt.Errorf("root is %s", root.XMLName.Local)
	}
	var method string
	var params []any
	for _, n := range root.Nodes {
		switch n.XMLName.Local {
		case "methodName":
			method = strings.TrimSpace(n.Content)
		case "params":
			for _, p := range n.Nodes {
				if len(p.Nodes) != 1 || p.Nodes[0].XMLName.Local != "value" {
					return "", nil, fmt.Errorf("bad param")
				}
				v, err := parseValue(p.Nodes[0])
				if err != nil {
					return "", nil, err
				}
				params = append(params, v)
			}
		}
	}
	return method, params, nil
}

// emptyValue marks <value/>, which Python reads as ”.
type emptyValue struct{}

func parseValue(v xnode) (any, error) {
	if len(v.Nodes) == 0 {
		if v.Content == "" {
			return emptyValue{}, nil
		}
		return v.Content, nil
	}
	t := v.Nodes[0]
	switch t.XMLName.Local {
	case "int", "i4", "i8":
		return strconv.ParseInt(strings.TrimSpace(t.Content), 10, 64)
	case "double":
		return strconv.ParseFloat(strings.TrimSpace(t.Content), 64)
	case "boolean":
		return strings.TrimSpace(t.Content) == "1", nil
	case "string":
		return t.Content, nil
	case "dateTime.iso8601":
		return time.Parse("20060102T15:04:05", strings.TrimSpace(t.Content))
	case "nil":
		return nil, nil
	case "array":
		out := []any{}
		for _, data := range t.Nodes {
			for _, e := range data.Nodes {
				x, err := parseValue(e)
				if err != nil {
					return nil, err
				}
				out = append(out, x)
			}
		}
		return out, nil
	case "struct":
		out := map[string]any{}
		for _, m := range t.Nodes {
			var name string
			var val any
			for _, part := range m.Nodes {
				switch part.XMLName.Local {
				case "name":
					name = part.Content
				case "value":
					x, err := parseValue(part)
					if err != nil {
						return nil, err
					}
					val = x
				}
			}
			out[name] = val
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown type %s", t.XMLName.Local)
}

// pyMarshal writes v like Python's Marshaller (allow_none=False).
func pyMarshal(b *bytes.Buffer, v any) {
	switch x := v.(type) {
	case bool:
		if x {
			b.WriteString("<value><boolean>1</boolean></value>\n")
		} else {
			b.WriteString("<value><boolean>0</boolean></value>\n")
		}
	case int:
		fmt.Fprintf(b, "<value><int>%d</int></value>\n", x)
	case int64:
		fmt.Fprintf(b, "<value><int>%d</int></value>\n", x)
	case float64:
		s := strconv.FormatFloat(x, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eE") && !math.IsInf(x, 0) {
			s += ".0"
		}
		fmt.Fprintf(b, "<value><double>%s</double></value>\n", s)
	case string:
		b.WriteString("<value><string>")
		_ = xml.EscapeText(b, []byte(x))
		b.WriteString("</string></value>\n")
	case []int64:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = e
		}
		pyMarshal(b, l)
	case []any:
		b.WriteString("<value><array><data>\n")
		for _, e := range x {
			pyMarshal(b, e)
		}
		b.WriteString("</data></array></value>\n")
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString("<value><struct>\n")
		for _, k := range keys {
			b.WriteString("<member>\n<name>")
			_ = xml.EscapeText(b, []byte(k))
			b.WriteString("</name>\n")
			pyMarshal(b, x[k])
			b.WriteString("</member>\n")
		}
		b.WriteString("</struct></value>\n")
	case Record:
		pyMarshal(b, map[string]any(x))
	case nil:
		panic("Odoo cannot marshal None")
	default:
		panic(fmt.Sprintf("pyMarshal: %T", v))
	}
}

func pyResponse(v any) []byte {
	var b bytes.Buffer
	b.WriteString("<?xml version=\"1.0\"?>\n<methodResponse>\n<params>\n<param>\n")
	pyMarshal(&b, v)
	b.WriteString("</param>\n</params>\n</methodResponse>\n")
	return b.Bytes()
}

func pyFault(code int, msg string) []byte {
	var b bytes.Buffer
	b.WriteString("<?xml version=\"1.0\"?>\n<methodResponse>\n<fault>\n")
	pyMarshal(&b, map[string]any{"faultCode": int64(code), "faultString": msg})
	b.WriteString("</fault>\n</methodResponse>\n")
	return b.Bytes()
}

// rpcFault is a fault a stub handler answers.
type rpcFault struct {
	code int
	msg  string
}

// rpcHandler adapts a function to an Odoo-like /xmlrpc/2/<service> handler.
func rpcHandler(t testing.TB, fn func(service, method string, params []any) (any, *rpcFault)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		service := strings.TrimPrefix(r.URL.Path, "/xmlrpc/2/")
		method, params, err := parseCall(body)
		if err != nil {
			t.Errorf("stub: undecodable call: %v", err)
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		for i, p := range params {
			if hasEmpty(p) {
				t.Errorf("stub: %s.%s param %d holds <value/> (Python reads '')", service, method, i)
			}
		}
		res, f := fn(service, method, params)
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		if f != nil {
			_, _ = w.Write(pyFault(f.code, f.msg))
			return
		}
		_, _ = w.Write(pyResponse(res))
	})
}

func hasEmpty(v any) bool {
	switch x := v.(type) {
	case emptyValue:
		return true
	case []any:
		for _, e := range x {
			if hasEmpty(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if hasEmpty(e) {
				return true
			}
		}
	}
	return false
}

func versionStruct(serverVersion string, info []any) map[string]any {
	return map[string]any{
		"server_version":      serverVersion,
		"server_version_info": info,
		"server_serie":        serverVersion,
		"protocol_version":    int64(1),
	}
}

func TestPyFramingDecodesLikeOdoo(t *testing.T) {
	// The exact bytes from reference 1.4 must decode to the documented values.
	body := []byte("<?xml version=\"1.0\"?>\n<methodResponse>\n<params>\n<param>\n<value><array><data>\n<value><struct>\n<member>\n<name>id</name>\n<value><int>7</int></value>\n</member>\n<member>\n<name>country_id</name>\n<value><array><data>\n<value><int>21</int></value>\n<value><string>Belgium</string></value>\n</data></array></value>\n</member>\n<member>\n<name>email</name>\n<value><boolean>0</boolean></value>\n</member>\n</struct></value>\n</data></array></value>\n</param>\n</params>\n</methodResponse>\n")
	c := &Client{}
	v, err := c.decode(body, "x", callInfo{})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := toRecords(v, "x")
	if err != nil || len(recs) != 1 {
		t.Fatalf("records %v %v", recs, err)
	}
	r := recs[0]
	if r.ID() != 7 || r.Many2One("country_id") != (Many2One{21, "Belgium"}) || r.String("email") != "" || !r.Has("email") {
		t.Fatalf("decoded %#v", r)
	}
	// Our own framing must match that shape.
	if got := string(pyResponse([]any{map[string]any{"id": int64(7), "email": false, "country_id": []any{int64(21), "Belgium"}}})); !strings.Contains(got, "<member>\n<name>country_id</name>\n<value><array><data>\n<value><int>21</int></value>\n") {
		t.Fatalf("framing differs: %s", got)
	}
}
