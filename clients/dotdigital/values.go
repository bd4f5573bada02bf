package dotdigital

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// dataFieldNamePattern is the v2 rule for data-field names (reference §4.1).
var dataFieldNamePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,20}$`)

// maxDataFieldText: text limits conflict (255 vs 1000); the reference says
// validate 255 to be safe (§4.1).
const maxDataFieldText = 255

// dataFieldValues checks names and values and converts them to what the API
// takes: nil (clears the field), strings, booleans, finite numbers, and
// time.Time (sent as RFC 3339 UTC). Errors name the field, never the value.
func dataFieldValues(in map[string]any) (map[string]any, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make(map[string]any, len(in))
	seen := make(map[string]bool, len(in))
	for name, v := range in {
		if !dataFieldNamePattern.MatchString(name) {
			return nil, invalidArgf("dataFields", "name %q must be 1-20 characters of [A-Za-z0-9_-]", truncate(name, 40))
		}
		upper := strings.ToUpper(name)
		if seen[upper] {
			// Names are case-insensitive on the server: two spellings would race.
			return nil, invalidArgf("dataFields", "name %q given twice with different case", name)
		}
		seen[upper] = true
		cv, err := dataFieldValue(v)
		if err != nil {
			return nil, invalidArgf("dataFields", "field %s: %v", name, err)
		}
		out[name] = cv
	}
	return out, nil
}

func dataFieldValue(v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		if !utf8.ValidString(x) {
			return nil, fmt.Errorf("text is not valid UTF-8")
		}
		if n := utf8.RuneCountInString(x); n > maxDataFieldText {
			return nil, fmt.Errorf("text of %d characters exceeds %d", n, maxDataFieldText)
		}
		return x, nil
	case bool, json.Number:
		return x, nil
	case time.Time:
		return x.UTC().Format(time.RFC3339), nil
	case *time.Time:
		if x == nil {
			return nil, nil
		}
		return x.UTC().Format(time.RFC3339), nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v, nil
	case reflect.Float32, reflect.Float64:
		if f := rv.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("number is not finite")
		}
		return v, nil
	case reflect.String:
		return dataFieldValue(rv.String())
	case reflect.Bool:
		return rv.Bool(), nil
	}
	return nil, fmt.Errorf("unsupported value type %T", v)
}

func validateLists(lists []int64) error {
	if len(lists) > 100 {
		return invalidArgf("lists", "%d lists exceed the 100 allowed per contact", len(lists))
	}
	for _, id := range lists {
		if id <= 0 {
			return invalidArgf("lists", "list id %d is not positive", id)
		}
	}
	return nil
}

// parseTime reads the API's timestamps: RFC 3339, or without a zone (UTC).
func parseTime(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.9999999", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// pageBody is the v3 paging envelope (reference §2).
type pageBody[T any] struct {
	Links struct {
		Next *struct {
			Marker string `json:"marker"`
			Link   string `json:"link"`
		} `json:"next"`
	} `json:"_links"`
	Items []T `json:"_items"`
}

// nextMarker returns the marker of the next page, "" on the last page (no
// next link, an empty page, or a next link that points back at this page).
func (p pageBody[T]) nextMarker(current string) string {
	if p.Links.Next == nil || len(p.Items) == 0 {
		return ""
	}
	m := p.Links.Next.Marker
	if m == "" && p.Links.Next.Link != "" {
		if u, err := url.Parse(p.Links.Next.Link); err == nil {
			m = u.Query().Get("marker")
		}
	}
	if m == current {
		return ""
	}
	return m
}

func validateLimit(limit, max int) error {
	if limit < 0 || limit > max {
		return invalidArgf("limit", "must be between 0 (server default) and %d", max)
	}
	return nil
}
