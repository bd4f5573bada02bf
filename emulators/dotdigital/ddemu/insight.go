package ddemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
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
// property names of [A-Za-z0-9_-] within length, strings within length,
// numbers within float64 range. It returns the compacted JSON, or a failure
// reason and detail. It scans bytes rather than decoding into maps: Insight
// imports carry hundreds of thousands of records.
func checkRecordJSON(raw []byte) (compact []byte, reason, detail string) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || t[0] != '{' || !json.Valid(t) {
		return nil, "InvalidJson", "The record json must be a JSON object"
	}
	out := make([]byte, 0, len(t))
	stack := make([]byte, 0, 8)
	expectKey, key := false, ""
	for i := 0; i < len(t); {
		c := t[i]
		switch c {
		case ' ', '\t', '\n', '\r':
			i++
			continue
		case '{', '[':
			if c == '[' && len(stack) > 0 && stack[len(stack)-1] == '[' {
				return nil, "JsonContainsNestedArray", fmt.Sprintf("Property '%s' holds an array directly inside an array", key)
			}
			stack = append(stack, c)
			expectKey = c == '{'
			out = append(out, c)
			i++
		case '}', ']':
			stack = stack[:len(stack)-1]
			expectKey = false
			out = append(out, c)
			i++
		case ',':
			expectKey = stack[len(stack)-1] == '{'
			out = append(out, c)
			i++
		case ':':
			out = append(out, c)
			i++
		case '"':
			j := i + 1
			for t[j] != '"' {
				if t[j] == '\\' {
					j++
				}
				j++
			}
			str := t[i : j+1]
			if expectKey {
				key = unquote(str)
				if key == "" || len(key) > maxJSONKeyLen {
					return nil, "JsonKeyTooLong", fmt.Sprintf("Property name '%s' must be 1-%d characters", truncate(key, 40), maxJSONKeyLen)
				}
				for k := 0; k < len(key); k++ {
					if ch := key[k]; !(isAlnum(ch) || ch == '_' || ch == '-') {
						return nil, "JsonKeyInvalidCharacters", fmt.Sprintf("Property name '%s' contains characters other than A-Z, a-z, 0-9, '_' and '-'", truncate(key, 40))
					}
				}
				expectKey = false
			} else if len(str)-2 > maxJSONStringValue && utf8.RuneCountInString(unquote(str)) > maxJSONStringValue {
				return nil, "JsonValueTooLong", fmt.Sprintf("Property '%s' exceeds %d characters", key, maxJSONStringValue)
			}
			out = append(out, str...)
			i = j + 1
		default: // number or literal
			j := i
			for j < len(t) && !strings.ContainsRune(" \t\n\r,}]", rune(t[j])) {
				j++
			}
			tok := t[i:j]
			if c == '-' || isDigit(c) {
				if _, err := strconv.ParseFloat(string(tok), 64); err != nil {
					return nil, "JsonNumberValueTooLarge", fmt.Sprintf("Property '%s' holds a number out of range", key)
				}
			}
			out = append(out, tok...)
			i = j
		}
	}
	return out, "", ""
}

// unquote decodes a JSON string token.
func unquote(tok []byte) string {
	if bytes.IndexByte(tok, '\\') < 0 {
		return string(tok[1 : len(tok)-1])
	}
	var s string
	_ = json.Unmarshal(tok, &s)
	return s
}
