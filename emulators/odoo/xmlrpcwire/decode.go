// Package xmlrpcwire reads XML-RPC method calls and writes method responses
// the way Odoo's server does (Python's xmlrpc.client Unmarshaller on the way
// in, Odoo's OdooMarshaller on the way out). It is server-side only: clients
// use github.com/kolo/xmlrpc.
//
// Decoded values use these Go types: int64 (int, i4, i8), bool, string
// (string and bare text), float64 (double), time.Time (dateTime.iso8601),
// []byte (base64), []any (array), map[string]any (struct) and nil (<nil/>,
// Python's None). A <value/> with no content is "" as in Python.
package xmlrpcwire

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Call is a decoded methodCall.
type Call struct {
	Method string
	Params []any
}

// DecodeError says why a request body could not be read. Odoo answers such
// requests with Fault 1 and the Python exception, so the text mimics it.
type DecodeError struct {
	PyType string // e.g. "xml.parsers.expat.ExpatError", "ValueError"
	Msg    string
}

func (e *DecodeError) Error() string { return e.PyType + ": " + e.Msg }

func syntaxErr(format string, a ...any) error {
	return &DecodeError{PyType: "xml.parsers.expat.ExpatError", Msg: fmt.Sprintf(format, a...)}
}

func valueErr(format string, a ...any) error {
	return &DecodeError{PyType: "ValueError", Msg: fmt.Sprintf(format, a...)}
}

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 200

// DecodeCall parses an XML-RPC methodCall document.
func DecodeCall(body []byte) (*Call, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		switch strings.ToLower(label) {
		case "utf-8", "us-ascii", "ascii", "iso-8859-1", "latin-1":
			return in, nil
		}
		return nil, fmt.Errorf("unknown encoding: %s", label)
	}
	p := &parser{d: d}
	root, err := p.nextStart()
	if err != nil {
		return nil, err
	}
	if root.Name.Local != "methodCall" {
		return nil, valueErr("expected methodCall, got %s", root.Name.Local)
	}
	call := &Call{Params: []any{}}
	for {
		tok, err := p.next()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "methodName":
				s, err := p.text()
				if err != nil {
					return nil, err
				}
				call.Method = strings.TrimSpace(s)
			case "params":
				params, err := p.params()
				if err != nil {
					return nil, err
				}
				call.Params = params
			default:
				if err := d.Skip(); err != nil {
					return nil, syntaxErr("%v", err)
				}
			}
		case xml.EndElement:
			if call.Method == "" {
				return nil, valueErr("methodName missing")
			}
			return call, nil
		}
	}
}

type parser struct {
	d     *xml.Decoder
	depth int
}

func (p *parser) next() (xml.Token, error) {
	tok, err := p.d.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, syntaxErr("no element found")
		}
		return nil, syntaxErr("%v", err)
	}
	return tok, nil
}

func (p *parser) nextStart() (xml.StartElement, error) {
	for {
		tok, err := p.next()
		if err != nil {
			return xml.StartElement{}, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, nil
		case xml.EndElement:
			return xml.StartElement{}, syntaxErr("unexpected end element %s", t.Name.Local)
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return xml.StartElement{}, syntaxErr("unexpected text %q", string(t))
			}
		}
	}
}

// text reads character data up to the end of the current element.
func (p *parser) text() (string, error) {
	var sb strings.Builder
	for {
		tok, err := p.next()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.CharData:
			sb.Write(t)
		case xml.EndElement:
			return sb.String(), nil
		case xml.StartElement:
			return "", syntaxErr("unexpected element %s in text", t.Name.Local)
		}
	}
}

func (p *parser) params() ([]any, error) {
	out := []any{}
	for {
		tok, err := p.next()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "param" {
				return nil, valueErr("unexpected %s in params", t.Name.Local)
			}
			v, err := p.param()
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		case xml.EndElement:
			return out, nil
		}
	}
}

func (p *parser) param() (any, error) {
	var v any
	seen := false
	for {
		tok, err := p.next()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "value" {
				return nil, valueErr("unexpected %s in param", t.Name.Local)
			}
			v, err = p.value()
			if err != nil {
				return nil, err
			}
			seen = true
		case xml.EndElement:
			if !seen {
				return nil, valueErr("param without value")
			}
			return v, nil
		}
	}
}

// value parses the content of a <value> element (already opened).
func (p *parser) value() (any, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, valueErr("value nesting too deep")
	}
	var text strings.Builder
	var result any
	typed := false
	for {
		tok, err := p.next()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.CharData:
			if !typed {
				text.Write(t)
			}
		case xml.StartElement:
			if typed {
				return nil, valueErr("two types in one value")
			}
			result, err = p.typed(t)
			if err != nil {
				return nil, err
			}
			typed = true
		case xml.EndElement:
			if typed {
				return result, nil
			}
			// No type element: the text is a string (Python keeps it as is).
			return text.String(), nil
		}
	}
}

func (p *parser) typed(t xml.StartElement) (any, error) {
	name := t.Name.Local
	switch name {
	case "int", "i4", "i8", "i1", "i2", "biginteger":
		s, err := p.text()
		if err != nil {
			return nil, err
		}
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return nil, valueErr("invalid literal for int() with base 10: %q", s)
		}
		return n, nil
	case "boolean":
		s, err := p.text()
		if err != nil {
			return nil, err
		}
		switch s {
		case "0":
			return false, nil
		case "1":
			return true, nil
		}
		return nil, &DecodeError{PyType: "TypeError", Msg: "bad boolean value"}
	case "string":
		return p.text()
	case "double", "float", "bigdecimal":
		s, err := p.text()
		if err != nil {
			return nil, err
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil, valueErr("could not convert string to float: %q", s)
		}
		return f, nil
	case "dateTime.iso8601":
		s, err := p.text()
		if err != nil {
			return nil, err
		}
		return parseISO8601(s)
	case "base64":
		s, err := p.text()
		if err != nil {
			return nil, err
		}
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
		if err != nil {
			return nil, &DecodeError{PyType: "binascii.Error", Msg: "Incorrect padding"}
		}
		return b, nil
	case "nil":
		if _, err := p.text(); err != nil {
			return nil, err
		}
		return nil, nil
	case "array":
		return p.array()
	case "struct":
		return p.structure()
	}
	return nil, &DecodeError{PyType: "ResponseError", Msg: fmt.Sprintf("unknown tag %q", name)}
}

// parseISO8601 accepts what Python's xmlrpc.client does with use_datetime:
// time.strptime(data, "%Y%m%dT%H:%M:%S") (the form kolo sends). Other forms
// fail in Odoo too, with Fault 1.
func parseISO8601(s string) (time.Time, error) {
	if t, err := time.Parse("20060102T15:04:05", strings.TrimSpace(s)); err == nil {
		return t, nil
	}
	return time.Time{}, valueErr("time data %q does not match format '%%Y%%m%%dT%%H:%%M:%%S'", s)
}

func (p *parser) array() (any, error) {
	out := []any{}
	inData := false
	for {
		tok, err := p.next()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch {
			case t.Name.Local == "data" && !inData:
				inData = true
			case t.Name.Local == "value" && inData:
				v, err := p.value()
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			default:
				return nil, valueErr("unexpected %s in array", t.Name.Local)
			}
		case xml.EndElement:
			if t.Name.Local == "data" {
				inData = false
				continue
			}
			return out, nil
		}
	}
}

func (p *parser) structure() (any, error) {
	out := map[string]any{}
	for {
		tok, err := p.next()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "member" {
				return nil, valueErr("unexpected %s in struct", t.Name.Local)
			}
			k, v, err := p.member()
			if err != nil {
				return nil, err
			}
			out[k] = v
		case xml.EndElement:
			return out, nil
		}
	}
}

func (p *parser) member() (string, any, error) {
	var name string
	var val any
	hasName, hasVal := false, false
	for {
		tok, err := p.next()
		if err != nil {
			return "", nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "name":
				name, err = p.text()
				if err != nil {
					return "", nil, err
				}
				hasName = true
			case "value":
				val, err = p.value()
				if err != nil {
					return "", nil, err
				}
				hasVal = true
			default:
				return "", nil, valueErr("unexpected %s in member", t.Name.Local)
			}
		case xml.EndElement:
			if !hasName || !hasVal {
				return "", nil, valueErr("incomplete struct member")
			}
			return name, val, nil
		}
	}
}
