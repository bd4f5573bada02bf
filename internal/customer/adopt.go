package customer

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
)

// Adopt builds a snapshot from what Dotdigital holds now: the contact's data
// fields (names matched case-insensitively), its list memberships and its
// Insight records. A customer whose snapshot is unknown (first sight, a
// customer only the initial load wrote, a run that lost its state) plans its
// next write against this instead of against nothing, so that removals
// (fields to clear, lists to leave, records to delete) are sent. The partner
// ids come from ODOO_PARTNER_IDS: which partners the contact speaks for. A
// value that Dotdigital renders differently from the sync's canonical form
// is simply rewritten once.
func Adopt(email string, contactID int64, fields map[string]any, lists []string, records map[string]json.RawMessage) Snapshot {
	s := Snapshot{ContactExists: true, ContactID: contactID, Email: email, Fields: map[string]string{}, Orders: map[string]string{}}
	for name, v := range fields {
		for _, f := range Fields {
			if strings.EqualFold(f.Name, name) {
				s.Fields[f.Name] = canonical(v)
				if f.Name == FieldPartnerIDs {
					s.PartnerIDs = ParsePartnerIDs(v)
				}
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

// ParsePartnerIDs reads an ODOO_PARTNER_IDS value ("12,40"); anything that
// is not an id is skipped.
func ParsePartnerIDs(v any) []int64 {
	text, _ := v.(string)
	var out []int64
	for _, part := range strings.Split(text, ",") {
		if id, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64); err == nil && id > 0 {
			out = append(out, id)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
