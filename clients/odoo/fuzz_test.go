package odoo

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// Any XML-RPC value Odoo (or something pretending to be it) sends decodes
// without panicking, and every getter copes with it.
func FuzzRecordGetters(f *testing.F) {
	for _, seed := range []string{
		"<value><boolean>0</boolean></value>",
		"<value><string></string></value>",
		"<value><string>Jane</string></value>",
		"<value><int>7</int></value>",
		"<value><double>12.5</double></value>",
		"<value><array><data>\n<value><int>21</int></value>\n<value><string>Belgium</string></value>\n</data></array></value>",
		"<value><array><data></data></array></value>",
		"<value><array><data><value><int>-3</int></value><value><boolean>1</boolean></value></data></array></value>",
		"<value><string>2024-05-01 10:00:00</string></value>",
		"<value><string>2024-02-30 25:61:61</string></value>",
		"<value><dateTime.iso8601>20240501T10:00:00</dateTime.iso8601></value>",
		"<value><struct><member><name>x</name><value><int>1</int></value></member></struct></value>",
		"<value>untyped</value>",
		"<value><double>1e308</double></value>",
		"<value><i8>9223372036854775807</i8></value>",
	} {
		f.Add(seed)
	}
	c := &Client{}
	f.Fuzz(func(t *testing.T, value string) {
		body := "<?xml version=\"1.0\"?>\n<methodResponse>\n<params>\n<param>\n<value><array><data>\n<value><struct>\n" +
			"<member>\n<name>id</name>\n<value><int>1</int></value>\n</member>\n" +
			"<member>\n<name>f</name>\n" + value + "\n</member>\n" +
			"</struct></value>\n</data></array></value>\n</param>\n</params>\n</methodResponse>\n"
		v, err := c.decode([]byte(body), "fuzz", callInfo{})
		if err != nil {
			if ClassOf(err) == ClassUnknown || ClassOf(err) == ClassNone {
				t.Fatalf("unclassified decode error %v", err)
			}
			return
		}
		recs, err := toRecords(v, "fuzz")
		if err != nil || len(recs) == 0 {
			return
		}
		exercise(recs[0])
		// And after a JSON round trip (how records travel through Temporal).
		if b, err := json.Marshal(recs[0]); err == nil {
			var back Record
			if json.Unmarshal(b, &back) == nil {
				exercise(back)
			}
		}
	})
}

func exercise(r Record) {
	_ = r.String("f")
	_ = r.Int("f")
	_ = r.Float("f")
	_ = r.Bool("f")
	m := r.Many2One("f")
	if m.ID < 0 {
		panic("negative many2one id")
	}
	for _, id := range r.IDs("f") {
		if id <= 0 {
			panic("non-positive id in IDs")
		}
	}
	if t := r.Time("f"); !t.IsZero() && t.Location().String() != "UTC" {
		panic("non-UTC time")
	}
	_ = PartnerFromRecord(r)
	_ = OrderFromRecord(r)
	_ = CategoryFromRecord(r)
	_ = fingerprint(r)
}

func FuzzParseMergeNote(f *testing.F) {
	for _, seed := range []string{
		"<p>Merged with the following partners: Jane &lt;jane@x.com&gt; (ID 12), Bob &lt;n/a&gt; (ID 13)</p>",
		"Merged with the following partners: A <a@x.com> (ID 3), B <b@x.com> (ID 4), and C <n/a> (ID 5)",
		"Merged with the following partners: x(ID 99999999999999999999)",
		"<<<Merged with the following partners:>>> (ID 1",
		"merged WITH the following partners: (id: 0) (ID -4) (ID 7)",
		"&lt;p&gt;Merged with the following partners: &amp;lt;x&amp;gt; (ID 2)",
		"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		ids, ok := ParseMergeNote(body)
		if !ok && len(ids) > 0 {
			t.Fatal("ids without a note")
		}
		seen := map[int64]bool{}
		for _, id := range ids {
			if id <= 0 || seen[id] {
				t.Fatalf("bad or repeated id %d", id)
			}
			seen[id] = true
		}
		if ok && !strings.Contains(strings.ToLower(body), "partners") && !strings.Contains(body, "&") {
			t.Fatal("note detected without its text")
		}
	})
}

func FuzzParseVersion(f *testing.F) {
	for _, seed := range []string{"16.0", "17.0+e", "saas~17.2", "saas-18.3+e", "18.0-20241001", "", "saas~", "99999.99999", "1.2.3.4"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseVersion(s)
		if err != nil {
			return
		}
		if v.Major < 8 || v.Major > 99 || v.Minor < 0 {
			t.Fatalf("implausible %+v from %q", v, s)
		}
		_ = v.ConfirmedStates()
		_ = v.LineUoMField()
		// The struct path agrees with the string path.
		got, err := versionFromInfo(map[string]any{"server_version": s})
		if err != nil || got.Major != v.Major || got.Minor != v.Minor {
			t.Fatalf("struct path %+v %v, string path %+v", got, err, v)
		}
	})
}

func FuzzFaultClassification(f *testing.F) {
	for _, tc := range faultCases {
		f.Add(tc.code, tc.text)
	}
	f.Add(1, "Traceback\n\n\n")
	f.Add(-1, "")
	f.Fuzz(func(t *testing.T, code int, text string) {
		key := "fuzz-api-key-value"
		fl := newFault(code, text+key, "res.partner", "read", key)
		cls := ClassOf(fl)
		if cls < ClassAuth || cls > ClassTransient {
			t.Fatalf("class %v", cls)
		}
		if strings.Contains(fl.Error(), key) {
			t.Fatal("key in error")
		}
		if len(fl.Message) > maxFaultMessage+len("…") {
			t.Fatalf("message %d bytes", len(fl.Message))
		}
		if utf8.ValidString(text) && !utf8.ValidString(fl.Message) {
			t.Fatal("shortening broke UTF-8")
		}
		switch code {
		case 2:
			if cls != ClassMissing && cls != ClassValidation {
				t.Fatalf("code 2 -> %v", cls)
			}
		case 3:
			if cls != ClassAuth {
				t.Fatalf("code 3 -> %v", cls)
			}
		case 4:
			if cls != ClassAccess {
				t.Fatalf("code 4 -> %v", cls)
			}
		}
	})
}

func FuzzDecodeSeen(f *testing.F) {
	s := newSeenSet()
	s.put(5, 1714557600, 42)
	s.put(9, 1714557600, 43)
	s.put(2, 1714557601, 44)
	f.Add(s.encode())
	f.Add("")
	f.Add("AQA")
	f.Fuzz(func(t *testing.T, str string) {
		got, err := decodeSeen(str)
		if err != nil {
			if got.len() != 0 {
				t.Fatal("partial set on error")
			}
			return
		}
		again, err := decodeSeen(got.encode())
		if err != nil || again.len() != got.len() {
			t.Fatalf("re-encode: %v %d/%d", err, again.len(), got.len())
		}
		for k, v := range got.m {
			if again.m[k] != v {
				t.Fatal("round trip changed an entry")
			}
		}
	})
}
