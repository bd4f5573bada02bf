package odooemu

import (
	"fmt"
	"strings"
)

// Fault codes of the /xmlrpc/2 routes (odoo/addons/base/controllers/rpc.py).
const (
	faultGeneric      = 1
	faultUserError    = 2
	faultAccessDenied = 3
	faultAccessError  = 4
)

// odooError is a Python exception raised by the emulated server.
type odooError struct {
	code   int
	pyType string
	msg    string
}

func (e *odooError) Error() string { return e.pyType + ": " + e.msg }

// faultString is the user-facing message for codes 2-4 and a Python
// traceback for code 1, as Odoo sends them.
func (e *odooError) faultString(method string) string {
	if e.code != faultGeneric {
		return e.msg
	}
	return traceback(method, e.pyType, e.msg)
}

func traceback(method, pyType, msg string) string {
	var b strings.Builder
	b.WriteString("Traceback (most recent call last):\n")
	frames := [][3]string{
		{"odoo/addons/base/controllers/rpc.py", "161", "xmlrpc_2\n    response = self._xmlrpc(service)"},
		{"odoo/addons/base/controllers/rpc.py", "139", "_xmlrpc\n    result = dispatch_rpc(service, method, params)"},
		{"odoo/http.py", "389", "dispatch_rpc\n    return dispatch(method, params)"},
		{"odoo/service/model.py", "39", "dispatch\n    res = execute_kw(db, uid, *params[3:])"},
		{"odoo/service/model.py", "61", "execute_kw\n    return execute(db, uid, obj, method, *args, **kw or {})"},
		{"odoo/service/model.py", "68", "execute\n    res = execute_cr(cr, uid, obj, method, *args, **kw)"},
		{"odoo/service/model.py", "52", "execute_cr\n    result = retrying(partial(odoo.api.call_kw, recs, method, args, kw), env)"},
		{"odoo/service/model.py", "137", "retrying\n    result = func()"},
		{"odoo/api.py", "466", "call_kw\n    result = _call_kw_model(method, model, args, kwargs)"},
	}
	if method == "" {
		frames = frames[:3]
	}
	for _, f := range frames {
		fmt.Fprintf(&b, "  File \"/usr/lib/python3/dist-packages/%s\", line %s, in %s\n", f[0], f[1], f[2])
	}
	b.WriteString(pyType)
	b.WriteString(": ")
	b.WriteString(msg)
	b.WriteString("\n")
	return b.String()
}

func userError(format string, a ...any) error {
	return &odooError{faultUserError, "odoo.exceptions.UserError", fmt.Sprintf(format, a...)}
}

func validationError(format string, a ...any) error {
	return &odooError{faultUserError, "odoo.exceptions.ValidationError", fmt.Sprintf(format, a...)}
}

func missingError(m *model, ids []int64, uid int64) error {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprint(id)
	}
	return &odooError{faultUserError, "odoo.exceptions.MissingError",
		fmt.Sprintf("Record does not exist or has been deleted.\n(Record: %s(%s,), User: %d)", m.name, strings.Join(parts, ", "), uid)}
}

func accessError(format string, a ...any) error {
	return &odooError{faultAccessError, "odoo.exceptions.AccessError", fmt.Sprintf(format, a...)}
}

func accessDenied(msg string) error {
	if msg == "" {
		msg = "Access Denied"
	}
	return &odooError{faultAccessDenied, "odoo.exceptions.AccessDenied", msg}
}

func pyErr(pyType, format string, a ...any) error {
	return &odooError{faultGeneric, pyType, fmt.Sprintf(format, a...)}
}

func valueError(format string, a ...any) error { return pyErr("ValueError", format, a...) }

func typeError(format string, a ...any) error { return pyErr("TypeError", format, a...) }

// pyRepr renders a decoded XML-RPC value like Python's repr, for messages.
func pyRepr(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case string:
		return "'" + strings.ReplaceAll(x, "'", "\\'") + "'"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = pyRepr(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case []int64:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = fmt.Sprint(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		parts := make([]string, 0, len(x))
		for _, k := range sortedKeys(x) {
			parts = append(parts, pyRepr(k)+": "+pyRepr(x[k]))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case float64:
		return fmt.Sprint(x)
	}
	return fmt.Sprint(v)
}
