package ddemu

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestRouterPrefersLiteralSegments(t *testing.T) {
	e, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	cases := map[string]string{
		"GET /contacts/v3/import/abc":                                       "GET /contacts/v3/import/{importId}",
		"GET /contacts/v3/email/a@b.co":                                     "GET /contacts/v3/{identifier}/{value}",
		"GET /v2/contacts/suppressed-since/2024-01-01":                      "GET /v2/contacts/suppressed-since/{date}",
		"GET /v2/contacts/42/address-books":                                 "GET /v2/contacts/{idOrEmail}/address-books",
		"DELETE /insightData/v3/contacts/email/a@b.co/Orders/deleteRecords": "DELETE /insightData/v3/contacts/{identifier}/{value}/{collection}/deleteRecords",
		"DELETE /insightData/v3/contacts/email/a@b.co/Orders/SO1":           "DELETE /insightData/v3/contacts/{identifier}/{value}/{collection}/{recordId}",
		"GET /INSIGHTDATA/V3/COLLECTIONS":                                   "GET /insightData/v3/collections",
		"DELETE /v2/address-books/7/contacts":                               "DELETE /v2/address-books/{id}/contacts",
		"GET /v2/accounts/empty-recycle-bin/":                               "",
	}
	for req, want := range cases {
		method, path, _ := strings.Cut(req, " ")
		r, p, _ := e.router.match(method, path)
		got := ""
		if r != nil {
			got = r.name
		}
		if got != want {
			t.Errorf("%s matched %q, want %q (params %v)", req, got, want, p)
		}
	}
	r, p, _ := e.router.match("GET", "/contacts/v3/email/a%2Bb%40example.com")
	if r == nil || p["value"] != "a+b@example.com" {
		t.Fatalf("escaped value: %v", p)
	}
	if _, _, mismatch := e.router.match("PUT", "/v2/account-info"); !mismatch {
		t.Fatal("method mismatch not reported")
	}
}

// referenceCheck is the slow, obviously right version of checkRecordJSON's rules.
func referenceCheck(raw []byte) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || t[0] != '{' || !json.Valid(t) {
		return "InvalidJson"
	}
	d := json.NewDecoder(bytes.NewReader(t))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return "InvalidJson"
	}
	var walk func(v any, inArray bool) string
	walk = func(v any, inArray bool) string {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if k == "" || len(k) > maxJSONKeyLen {
					return "JsonKeyTooLong"
				}
				for i := 0; i < len(k); i++ {
					if c := k[i]; !(isAlnum(c) || c == '_' || c == '-') {
						return "JsonKeyInvalidCharacters"
					}
				}
				if r := walk(e, false); r != "" {
					return r
				}
			}
		case []any:
			if inArray {
				return "JsonContainsNestedArray"
			}
			for _, e := range x {
				if r := walk(e, true); r != "" {
					return r
				}
			}
		case string:
			if utf8.RuneCountInString(x) > maxJSONStringValue {
				return "JsonValueTooLong"
			}
		case json.Number:
			if _, err := x.Float64(); err != nil {
				return "JsonNumberValueTooLarge"
			}
		}
		return ""
	}
	return walk(v, false)
}

func FuzzCheckRecordJSON(f *testing.F) {
	for _, s := range []string{
		`{"id":"SO1","orderTotal":99.5,"products":[{"sku":"A","qty":1}]}`,
		`{"a":[[1]]}`, `{"a":[{"b":[2]}]}`, `{"bad key":1}`, `{"a\u0062":1}`, `{"x":"` + strings.Repeat("é", 1001) + `"}`,
		`{"n":1e400}`, `[1]`, `{}`, ` { "a" : [ 1 , "x" , null , true ] } `, `{"":1}`, `{"a":"\"}]["}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		compact, reason, _ := checkRecordJSON(raw)
		ref := referenceCheck(raw)
		// the scanner stops at the first problem in document order, the
		// reference walks maps in random order: compare only when one of them is clean
		if (reason == "") != (ref == "") {
			t.Fatalf("scanner %q, reference %q for %s", reason, ref, raw)
		}
		if reason == "" {
			var want bytes.Buffer
			if err := json.Compact(&want, bytes.TrimSpace(raw)); err != nil || !bytes.Equal(compact, want.Bytes()) {
				t.Fatalf("compact %s, want %s", compact, want.Bytes())
			}
		}
	})
}

func FuzzEmailAndValues(f *testing.F) {
	for _, s := range []string{"a@b.co", "Jane.Doe+x@Example.COM", "a..b@x.com", "@x.com", "a@b", "é@x.com", "a@-x.com", "12", "1e5", "2024-05-01", "true"} {
		f.Add(s)
	}
	fields := []*dataField{{name: "S", typ: typeString}, {name: "N", typ: typeNumeric}, {name: "D", typ: typeDate}, {name: "B", typ: typeBoolean}}
	f.Fuzz(func(t *testing.T, s string) {
		n := normaliseEmail(s)
		if validEmail(n) && normaliseEmail(n) != n {
			t.Fatalf("normalisation not idempotent: %q", s)
		}
		if validEmail(n) && (strings.Count(n, "@") != 1 || strings.ContainsAny(n, " \t<>")) {
			t.Fatalf("accepted %q", n)
		}
		for _, f := range fields {
			v, err := f.coerce(s)
			if err == nil && v != nil && f.typ == typeNumeric {
				if _, ok := v.(json.Number); !ok || !json.Valid([]byte(v.(json.Number))) {
					t.Fatalf("numeric %q stored as %#v", s, v)
				}
			}
		}
	})
}
