package ddemu

import (
	"encoding/json"
	"strings"
)

func lower(s string) string { return strings.ToLower(s) }

func equalFoldTrim(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
