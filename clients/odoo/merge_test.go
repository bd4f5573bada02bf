package odoo

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseMergeNote(t *testing.T) {
	cases := []struct {
		name string
		body string
		ids  []int64
		ok   bool
	}{
		{"16 plain", "Merged with the following partners: Jane Doe <jane@x.com> (ID 12), Bob <n/a> (ID 13)", []int64{12, 13}, true},
		{"escaped html", "<p>Merged with the following partners: Jane Doe &lt;jane@x.com&gt; (ID 12), Bob &lt;n/a&gt; (ID 13)</p>", []int64{12, 13}, true},
		{"18 list", "<p>Merged with the following partners: A &lt;a@x.com&gt; (ID 3), B &lt;b@x.com&gt; (ID 4), and C &lt;n/a&gt; (ID 5)</p>", []int64{3, 4, 5}, true},
		{"old no spaces", "Merged with the following partners: Jane<jane@x.com>(ID 7)", []int64{7}, true},
		{"tags around", "<div><p><b>Merged with the following partners:</b></p><ul><li>Jane &lt;j@x.com&gt; (ID 21)</li><li>Jim &lt;n/a&gt; (ID 22)</li></ul></div>", []int64{21, 22}, true},
		{"lower case, id colon", "merged with the following partners: x (id: 9)", []int64{9}, true},
		{"duplicate ids", "Merged with the following partners: A (ID 5), A (ID 5)", []int64{5}, true},
		{"no ids", "Merged with the following partners: ", nil, true},
		{"not a merge note", "<p>Order S00042 confirmed (ID 4)</p>", nil, false},
		{"id before prefix ignored", "Note (ID 99). Merged with the following partners: A (ID 5)", []int64{5}, true},
		// Before the prefix, text whose lower-case form has another byte
		// length: the index found must be an index into the text itself.
		// Fuzz seed c4b40b19d0a8db74 panicked (slice bounds out of range).
		{"fuzz c4b40b19d0a8db74", "\xbaMerged with the following partners", nil, true},
		{"invalid utf-8 grows when lowered", "\xba\xba\xbaMerged with the following partners(ID 5)", []int64{5}, true},
		{"dotted capital I shrinks when lowered", strings.Repeat("İ", 40) + "(ID 99)Merged with the following partners: A (ID 6)", []int64{6}, true},
		{"kelvin sign shrinks when lowered", strings.Repeat("\u212a", 40) + "(ID 99)Merged with the following partners: A (ID 7)", []int64{7}, true},
		// Only ASCII letters fold: Odoo writes the prefix in ASCII.
		{"non-ascii look-alike", "Merged wİth the following partners: A (ID 8)", nil, false},
	}
	for _, tc := range cases {
		ids, ok := ParseMergeNote(tc.body)
		if ok != tc.ok || !slices.Equal(ids, tc.ids) {
			t.Errorf("%s: got %v %v, want %v %v", tc.name, ids, ok, tc.ids, tc.ok)
		}
	}
}

func TestMergeNotesSince(t *testing.T) {
	f := newFakeOdoo(t, 17)
	f.model("mail.message", "model", "res_id", "body", "date")
	at := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	f.put("mail.message", 10, at, map[string]any{"model": "res.partner", "res_id": int64(5), "date": at,
		"body": "<p>Merged with the following partners: A &lt;a@x.com&gt; (ID 3), B &lt;n/a&gt; (ID 4)</p>"})
	f.put("mail.message", 11, at, map[string]any{"model": "sale.order", "res_id": int64(5), "date": at,
		"body": "<p>Merged with the following partners: X (ID 1)</p>"})
	f.put("mail.message", 12, at, map[string]any{"model": "res.partner", "res_id": int64(6), "date": at, "body": "<p>Hello</p>"})
	f.put("mail.message", 13, at.Add(time.Hour), map[string]any{"model": "res.partner", "res_id": int64(8), "date": at.Add(time.Hour),
		"body": "Merged with the following partners: C <c@x.com> (ID 8), D <d@x.com> (ID 9)"})
	c := f.client(t)

	notes, err := c.MergeNotesSince(context.Background(), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 2 {
		t.Fatalf("notes %+v", notes)
	}
	if n := notes[0]; n.MessageID != 10 || n.DestinationID != 5 || !slices.Equal(n.SourceIDs, []int64{3, 4}) || !n.Date.Equal(at) {
		t.Fatalf("first %+v", n)
	}
	if n := notes[1]; n.DestinationID != 8 || !slices.Equal(n.SourceIDs, []int64{9}) {
		t.Fatalf("second (destination excluded from sources) %+v", n)
	}
	notes, err = c.MergeNotesSince(context.Background(), 10, 10)
	if err != nil || len(notes) != 1 || notes[0].MessageID != 13 {
		t.Fatalf("after cursor: %+v %v", notes, err)
	}
}
