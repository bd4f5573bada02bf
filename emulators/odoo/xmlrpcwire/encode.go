package xmlrpcwire

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Member is one ordered struct member. Python dicts keep insertion order, so
// answers are built as Struct to come out in Odoo's order.
type Member struct {
	Name  string
	Value any
}

// Struct is an ordered XML-RPC struct.
type Struct []Member

// ErrNone is what Python's marshaller raises for None with allow_none=False.
var ErrNone = errors.New("cannot marshal None unless allow_none is enabled")

// ErrIntOverflow is Python's OverflowError for ints outside int32.
var ErrIntOverflow = errors.New("int exceeds XML-RPC limits")

// EncodeResponse frames one return value as Odoo does:
// "<?xml version=\"1.0\"?>\n<methodResponse>\n<params>...".
func EncodeResponse(v any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("<?xml version=\"1.0\"?>\n<methodResponse>\n<params>\n<param>\n")
	if err := writeValue(&b, v, 0); err != nil {
		return nil, err
	}
	b.WriteString("</param>\n</params>\n</methodResponse>\n")
	return b.Bytes(), nil
}

// EncodeFault frames a fault with an integer code (the /xmlrpc/2 routes).
func EncodeFault(code int, msg string) []byte {
	var b bytes.Buffer
	b.WriteString("<?xml version=\"1.0\"?>\n<methodResponse>\n<fault>\n")
	_ = writeValue(&b, Struct{{"faultCode", code}, {"faultString", msg}}, 0)
	b.WriteString("</fault>\n</methodResponse>\n")
	return b.Bytes()
}

func writeValue(b *bytes.Buffer, v any, depth int) error {
	if depth > maxDepth {
		return errors.New("value nesting too deep")
	}
	switch x := v.(type) {
	case nil:
		return ErrNone
	case bool:
		if x {
			b.WriteString("<value><boolean>1</boolean></value>\n")
		} else {
			b.WriteString("<value><boolean>0</boolean></value>\n")
		}
	case int:
		return writeInt(b, int64(x))
	case int32:
		return writeInt(b, int64(x))
	case int64:
		return writeInt(b, x)
	case float64:
		b.WriteString("<value><double>")
		b.WriteString(PyFloatRepr(x))
		b.WriteString("</double></value>\n")
	case string:
		b.WriteString("<value><string>")
		writeEscaped(b, StripControl(x))
		b.WriteString("</string></value>\n")
	case []byte:
		// Odoo's marshaller dumps bytes as a string.
		b.WriteString("<value><string>")
		writeEscaped(b, StripControl(string(x)))
		b.WriteString("</string></value>\n")
	case time.Time:
		// Odoo dumps datetimes as 'YYYY-MM-DD HH:MM:SS' strings.
		b.WriteString("<value><string>")
		b.WriteString(x.UTC().Format("2006-01-02 15:04:05"))
		b.WriteString("</string></value>\n")
	case []any:
		b.WriteString("<value><array><data>\n")
		for _, e := range x {
			if err := writeValue(b, e, depth+1); err != nil {
				return err
			}
		}
		b.WriteString("</data></array></value>\n")
	case []int64:
		b.WriteString("<value><array><data>\n")
		for _, e := range x {
			if err := writeInt(b, e); err != nil {
				return err
			}
		}
		b.WriteString("</data></array></value>\n")
	case []string:
		b.WriteString("<value><array><data>\n")
		for _, e := range x {
			_ = writeValue(b, e, depth+1)
		}
		b.WriteString("</data></array></value>\n")
	case Struct:
		b.WriteString("<value><struct>\n")
		for _, m := range x {
			b.WriteString("<member>\n<name>")
			writeEscaped(b, m.Name)
			b.WriteString("</name>\n")
			if err := writeValue(b, m.Value, depth+1); err != nil {
				return err
			}
			b.WriteString("</member>\n")
		}
		b.WriteString("</struct></value>\n")
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		s := make(Struct, 0, len(keys))
		for _, k := range keys {
			s = append(s, Member{k, x[k]})
		}
		return writeValue(b, s, depth)
	default:
		return fmt.Errorf("cannot marshal %T objects", v)
	}
	return nil
}

func writeInt(b *bytes.Buffer, n int64) error {
	if n > math.MaxInt32 || n < math.MinInt32 {
		return ErrIntOverflow
	}
	b.WriteString("<value><int>")
	b.WriteString(strconv.FormatInt(n, 10))
	b.WriteString("</int></value>\n")
	return nil
}

// writeEscaped escapes like Python's xmlrpc.client.escape: &, < and > only.
func writeEscaped(b *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		default:
			b.WriteByte(c)
		}
	}
}

// StripControl removes control characters 0-31 except tab, LF and CR, as
// Odoo's marshaller does before writing strings.
func StripControl(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 32 && c != '\t' && c != '\n' && c != '\r' {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r < 32 && r != '\t' && r != '\n' && r != '\r' {
			return -1
		}
		return r
	}, s)
}

// PyFloatRepr formats a float as Python's repr does ("12.0", "0.1", "1e+16").
func PyFloatRepr(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	abs := math.Abs(f)
	if f == 0 || (abs >= 1e-4 && abs < 1e16) {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.ContainsRune(s, '.') {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // e.g. 1e+16, 1.5e-05
	return s
}

// EncodeFaultString frames a fault of the legacy /xmlrpc/<service> routes,
// whose faultCode is a string.
func EncodeFaultString(code, msg string) []byte {
	var b bytes.Buffer
	b.WriteString("<?xml version=\"1.0\"?>\n<methodResponse>\n<fault>\n")
	_ = writeValue(&b, Struct{{"faultCode", code}, {"faultString", msg}}, 0)
	b.WriteString("</fault>\n</methodResponse>\n")
	return b.Bytes()
}
