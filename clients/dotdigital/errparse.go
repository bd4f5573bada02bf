package dotdigital

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"
)

// maxErrorMessage bounds the text kept from an error body.
const maxErrorMessage = 1024

// errorBody is the union of the v3 ({errorCode, description, details}) and v2
// ({message}) error shapes; encoding/json matches keys case-insensitively,
// which v2 needs (reference §2).
type errorBody struct {
	ErrorCode   *string           `json:"errorCode"`
	Description string            `json:"description"`
	Details     []json.RawMessage `json:"details"`
	Message     *string           `json:"message"`
}

type errorDetailBody struct {
	Item        json.RawMessage `json:"item"`
	Description string          `json:"description"`
	Error       string          `json:"error"`
}

// parseErrorBody extracts code, message and details from an error response
// body of either API version; it never fails, falling back to the raw text
// or the status text.
func parseErrorBody(status int, body []byte) (code, message string, details []ErrorDetail) {
	trimmed := bytes.TrimSpace(body)
	var eb errorBody
	if len(trimmed) > 0 && trimmed[0] == '{' && json.Unmarshal(trimmed, &eb) == nil {
		switch {
		case eb.ErrorCode != nil && strings.TrimSpace(*eb.ErrorCode) != "":
			code = sanitiseCode(*eb.ErrorCode)
			message = eb.Description
			details = parseDetails(eb.Details)
			if message == "" && eb.Message != nil {
				message = *eb.Message
			}
		case eb.Message != nil:
			message = *eb.Message
			code = v2Code(message)
		default:
			message = eb.Description
			details = parseDetails(eb.Details)
		}
	} else if len(trimmed) > 0 && trimmed[0] == '{' && salvageCode(trimmed) != "" {
		// JSON cut short (bodies are read up to a limit): keep the code.
		code = salvageCode(trimmed)
		message = sanitiseText(trimmed)
	} else if len(trimmed) > 0 {
		// Plain text or HTML (proxies, gateways): keep a printable prefix and
		// still look for a v2 code at its end.
		text := sanitiseText(trimmed)
		message = text
		code = v2Code(text)
	}
	message = truncate(strings.TrimSpace(message), maxErrorMessage)
	if message == "" {
		message = http.StatusText(status)
	}
	return code, message, details
}

var errorCodeField = regexp.MustCompile(`"(?i:errorCode)"\s*:\s*"([A-Za-z0-9_:.-]{1,100})"`)

// salvageCode finds a v3 errorCode in a JSON body that does not parse.
func salvageCode(b []byte) string {
	if m := errorCodeField.FindSubmatch(b); m != nil {
		return string(m[1])
	}
	return ""
}

func parseDetails(raw []json.RawMessage) []ErrorDetail {
	var out []ErrorDetail
	for _, r := range raw {
		var d errorDetailBody
		if json.Unmarshal(r, &d) != nil {
			// A bare string (or other scalar) as a detail.
			var s string
			if json.Unmarshal(r, &s) == nil {
				out = append(out, ErrorDetail{Description: s})
			}
			continue
		}
		desc := d.Description
		if desc == "" {
			desc = d.Error // the docs' example uses "error" (reference §8.1)
		}
		out = append(out, ErrorDetail{Item: rawScalar(d.Item), Description: desc})
	}
	return out
}

// rawScalar renders a JSON string as its value and anything else as its JSON text.
func rawScalar(r json.RawMessage) string {
	if len(r) == 0 || string(r) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(r, &s) == nil {
		return s
	}
	return string(r)
}

// v2Code returns the last whitespace-separated token of a v2 message when it
// looks like an error code ("Contact is suppressed. ERROR_CONTACT_SUPPRESSED",
// "Error: ERROR_CONTACT_NOT_FOUND"), else "".
func v2Code(message string) string {
	fields := strings.Fields(message)
	if len(fields) == 0 {
		return ""
	}
	tok := strings.TrimRight(fields[len(fields)-1], ".,;:!)\"'")
	tok = strings.TrimLeft(tok, "(\"'")
	if isV2Code(tok) {
		return tok
	}
	return ""
}

// isV2Code: upper-case letters and digits in at least two underscore-joined
// parts (ERROR_UNKNOWN, ERROR_CONTACT_NOT_FOUND).
func isV2Code(s string) bool {
	if len(s) < 3 || s[0] < 'A' || s[0] > 'Z' || !strings.Contains(s, "_") {
		return false
	}
	prevUnderscore := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			prevUnderscore = false
		case c == '_':
			if prevUnderscore {
				return false
			}
			prevUnderscore = true
		default:
			return false
		}
	}
	return !prevUnderscore
}

// sanitiseCode keeps codes usable as span attributes and map keys: printable
// ASCII, no whitespace, bounded.
func sanitiseCode(s string) string {
	s = strings.Join(strings.Fields(s), "_")
	s = strings.Map(func(r rune) rune {
		if r <= 0x20 || r > 0x7e {
			return -1
		}
		return r
	}, s)
	if len(s) > 100 {
		s = s[:100]
	}
	return s
}

// sanitiseText keeps valid UTF-8 and replaces control characters.
func sanitiseText(b []byte) string {
	if len(b) > maxErrorMessage*2 {
		b = b[:maxErrorMessage*2]
	}
	s := strings.ToValidUTF8(string(b), "")
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
