package ddemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"
)

// Insight collection scopes and types (OAS-I3).
const (
	scopeContact = "contact"
	scopeAccount = "account"
)

var collectionTypes = []string{"cartInsight", "catalog", "consentInsight", "custom", "easyEditorExtensions",
	"nostoEmailCampaigns", "orders", "productCategories", "webInsight", "wishList"}

const (
	maxCollections     = 1000
	maxRecordKeyLen    = 255  // UNCONFIRMED; the client keeps keys <= 100
	maxJSONKeyLen      = 255  // UNCONFIRMED
	maxJSONStringValue = 1000 // M2 truncates strings to 1000 characters
)

// collection is an Insight data collection.
type collection struct {
	name    string
	scope   string
	typ     string
	created time.Time
	records map[string]*insightRecord
	order   []*insightRecord // ascending seq (creation order); deleted records are skipped and compacted lazily
	deleted int
	byOwner map[int64][]*insightRecord // contact-scoped records per owner, in creation order
}

// insightRecord is one record; json holds the client's JSON, compacted.
type insightRecord struct {
	key     string
	json    []byte
	created time.Time
	updated time.Time
	owner   int64 // 0 for account scope
	seq     uint64
	deleted bool
}

// validCollectionName follows OAS-I3: ^[-A-Za-z_][-A-Za-z0-9_]{1,255}$.
func validCollectionName(n string) bool {
	if len(n) < 2 || len(n) > 255 {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(isAlpha(c) || c == '_' || c == '-' || (i > 0 && isDigit(c))) {
			return false
		}
	}
	return true
}

func (s *store) collection(name string) *collection { return s.collections[lower(name)] }

func (s *store) addCollection(name, scope, typ string, t time.Time) *collection {
	col := &collection{name: name, scope: scope, typ: typ, created: t,
		records: map[string]*insightRecord{}, byOwner: map[int64][]*insightRecord{}}
	s.collections[lower(name)] = col
	return col
}

func (s *store) sortedCollections() []*collection {
	out := make([]*collection, 0, len(s.collections))
	for _, c := range s.collections {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// upsert stores a record; created reports a new key. The caller has checked ownership.
func (s *store) upsertRecord(col *collection, key string, owner int64, body []byte, t time.Time) (created bool) {
	if r := col.records[key]; r != nil {
		r.json, r.updated = body, t
		return false
	}
	s.nextSeq++
	r := &insightRecord{key: key, json: body, created: t, updated: t, owner: owner, seq: s.nextSeq}
	col.records[key] = r
	col.order = append(col.order, r)
	if owner != 0 {
		col.byOwner[owner] = append(col.byOwner[owner], r)
	}
	return true
}

func (col *collection) deleteRecord(r *insightRecord) {
	if r.deleted {
		return
	}
	r.deleted = true
	delete(col.records, r.key)
	if r.owner != 0 {
		recs := slices.DeleteFunc(col.byOwner[r.owner], func(x *insightRecord) bool { return x == r })
		if len(recs) == 0 {
			delete(col.byOwner, r.owner)
		} else {
			col.byOwner[r.owner] = recs
		}
	}
	col.deleted++
	if col.deleted > 1024 && col.deleted > len(col.order)/4 {
		col.order = slices.DeleteFunc(col.order, func(x *insightRecord) bool { return x.deleted })
		col.deleted = 0
	}
}

// dropOwner deletes all records of a purged contact.
func (col *collection) dropOwner(owner int64) {
	for _, r := range slices.Clone(col.byOwner[owner]) {
		col.deleteRecord(r)
	}
}

func (col *collection) empty() int {
	n := len(col.records)
	col.records = map[string]*insightRecord{}
	for _, r := range col.order {
		r.deleted = true
	}
	col.order, col.deleted = nil, 0
	col.byOwner = map[int64][]*insightRecord{}
	return n
}

// checkRecordJSON validates a record's JSON the way the import failure
// reasons describe (OAS-I3): an object, no arrays directly inside arrays,
// property names of [A-Za-z0-9_-] within length, strings within length.
// It returns the compacted JSON, or a failure reason and detail.
func checkRecordJSON(raw []byte) (compact []byte, reason, detail string) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || t[0] != '{' {
		return nil, "InvalidJson", "The record json must be a JSON object"
	}
	d := json.NewDecoder(bytes.NewReader(t))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, "InvalidJson", "The record json is not valid JSON"
	}
	if reason, detail := walkRecordJSON(v, "", false); reason != "" {
		return nil, reason, detail
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, t); err != nil {
		return nil, "InvalidJson", "The record json is not valid JSON"
	}
	return buf.Bytes(), "", ""
}

func walkRecordJSON(v any, path string, inArray bool) (reason, detail string) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if k == "" || len(k) > maxJSONKeyLen {
				return "JsonKeyTooLong", fmt.Sprintf("Property name '%s' must be 1-%d characters", truncate(k, 40), maxJSONKeyLen)
			}
			for i := 0; i < len(k); i++ {
				if c := k[i]; !(isAlnum(c) || c == '_' || c == '-') {
					return "JsonKeyInvalidCharacters", fmt.Sprintf("Property name '%s' contains characters other than A-Z, a-z, 0-9, '_' and '-'", truncate(k, 40))
				}
			}
			if r, d := walkRecordJSON(e, path+"."+k, false); r != "" {
				return r, d
			}
		}
	case []any:
		if inArray {
			return "JsonContainsNestedArray", fmt.Sprintf("Property '%s' holds an array directly inside an array", trimDot(path))
		}
		for _, e := range x {
			if r, d := walkRecordJSON(e, path, true); r != "" {
				return r, d
			}
		}
	case string:
		if len([]rune(x)) > maxJSONStringValue {
			return "JsonValueTooLong", fmt.Sprintf("Property '%s' exceeds %d characters", trimDot(path), maxJSONStringValue)
		}
	case json.Number:
		if _, err := x.Float64(); err != nil {
			return "JsonNumberValueTooLarge", fmt.Sprintf("Property '%s' holds a number out of range", trimDot(path))
		}
	}
	return "", ""
}

func trimDot(p string) string {
	if len(p) > 0 && p[0] == '.' {
		return p[1:]
	}
	return p
}
