package odoo

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"
)

// Values sent to Odoo go through toWire first, because kolo/xmlrpc encodes
// nil as <value/> (read by Python as ''), time.Time as dateTime.iso8601
// (which Odoo does not compare like its own datetime strings), and does not
// escape struct member names.

// toWireArgs converts positional args. A nil inside becomes False.
func toWireArgs(args []any) ([]any, error) {
	out := make([]any, 0, len(args))
	for i, a := range args {
		w, err := toWire(a, fmt.Sprintf("args[%d]", i))
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

// toWireKwargs converts keyword args. A nil value leaves the key out, since
// omitting an optional kwarg is the only way to say "none" over XML-RPC.
func toWireKwargs(kw map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(kw))
	for k, v := range kw {
		if v == nil || isNilPointer(v) {
			continue
		}
		if !validMemberName(k) {
			return nil, fmt.Errorf("kwargs key %q cannot be sent", k)
		}
		w, err := toWire(v, "kwargs."+k)
		if err != nil {
			return nil, err
		}
		out[k] = w
	}
	return out, nil
}

// toWire turns a Go value into one kolo encodes the way Odoo expects:
// nil -> False, time.Time -> "YYYY-MM-DD HH:MM:SS" UTC, Many2One -> id or False,
// ints -> int64, Domain and slices -> []any, maps -> map[string]any.
func toWire(v any, path string) (any, error) {
	switch x := v.(type) {
	case nil:
		return false, nil
	case bool, string, int64:
		return x, nil
	case int:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("%s: NaN or infinite float", path)
		}
		return x, nil
	case time.Time:
		if x.IsZero() {
			return false, nil
		}
		return FormatDatetime(x), nil
	case Many2One:
		if x.ID == 0 {
			return false, nil
		}
		return x.ID, nil
	case []int64:
		out := make([]any, len(x))
		for i, id := range x {
			out[i] = id
		}
		return out, nil
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out, nil
	case Domain:
		return toWireSlice(reflect.ValueOf([]any(x)), path)
	case Record:
		return toWireMap(reflect.ValueOf(map[string]any(x)), path)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return false, nil
		}
		return toWire(rv.Elem().Interface(), path)
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.String:
		return rv.String(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u := rv.Uint()
		if u > math.MaxInt64 {
			return nil, fmt.Errorf("%s: integer out of range", path)
		}
		return int64(u), nil
	case reflect.Float32, reflect.Float64:
		return toWire(rv.Float(), path)
	case reflect.Slice, reflect.Array:
		return toWireSlice(rv, path)
	case reflect.Map:
		return toWireMap(rv, path)
	}
	return nil, fmt.Errorf("%s: cannot send a %T", path, v)
}

func toWireSlice(rv reflect.Value, path string) (any, error) {
	out := make([]any, rv.Len())
	for i := range out {
		w, err := toWire(rv.Index(i).Interface(), fmt.Sprintf("%s[%d]", path, i))
		if err != nil {
			return nil, err
		}
		out[i] = w
	}
	return out, nil
}

func toWireMap(rv reflect.Value, path string) (any, error) {
	if rv.Type().Key().Kind() != reflect.String {
		return nil, fmt.Errorf("%s: map keys must be strings", path)
	}
	out := make(map[string]any, rv.Len())
	it := rv.MapRange()
	for it.Next() {
		k := it.Key().String()
		if !validMemberName(k) {
			return nil, fmt.Errorf("%s: key %q cannot be sent", path, k)
		}
		w, err := toWire(it.Value().Interface(), path+"."+k)
		if err != nil {
			return nil, err
		}
		out[k] = w
	}
	return out, nil
}

// validMemberName rejects what kolo would put unescaped into <name>.
func validMemberName(k string) bool {
	return k != "" && !strings.ContainsAny(k, "<>&\x00") && !strings.ContainsFunc(k, func(r rune) bool { return r < 0x20 })
}

func isNilPointer(v any) bool {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
		return rv.IsNil()
	}
	return false
}
