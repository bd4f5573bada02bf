package customer

import (
	"encoding/json"
	"sort"
	"strings"
)

// Adopt builds a snapshot from what Dotdigital holds now: the contact's data
// fields (names matched case-insensitively), its list memberships and its
// Insight records. A customer workflow that starts without a snapshot (after
// a backfill, or after its history expired) adopts the existing contact
// instead of rewriting every field and record. A value that Dotdigital
// renders differently from the sync's canonical form is simply rewritten once.
func Adopt(email string, fields map[string]any, lists []string, records map[string]json.RawMessage) Snapshot {
	s := Snapshot{ContactExists: true, Email: email, Fields: map[string]string{}, Orders: map[string]string{}}
	for name, v := range fields {
		for _, f := range Fields {
			if strings.EqualFold(f.Name, name) {
				s.Fields[f.Name] = canonical(v)
			}
		}
	}
	for key, raw := range records {
		var j map[string]any
		if err := json.Unmarshal(raw, &j); err == nil {
			s.Orders[key] = hashOf(j)
		}
	}
	s.Lists = append([]string(nil), lists...)
	sort.Strings(s.Lists)
	return s
}
