package odooemu

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/odoo/xmlrpcwire"
)

const adminUID int64 = 2

const maxBody = 64 << 20

var privateMethod = regexp.MustCompile(`^(_.*|init)$`)

// rpcAnswer is what the handler writes: a value, a fault, or a bare HTTP
// status (injected proxy errors).
type rpcAnswer struct {
	value  any
	err    error
	status int
}

func (e *Emulator) serveHTTP(w http.ResponseWriter, r *http.Request) {
	service, legacy, ok := routeOf(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "405 Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		http.Error(w, "bad request body", http.StatusBadRequest)
		return
	}
	e.conf.mu.Lock()
	latency := e.conf.latency
	e.conf.mu.Unlock()
	if latency > 0 && !sleepCtx(r.Context(), latency) {
		return
	}
	ans := e.dispatch(r.Context(), sourceOf(r), service, body)
	if ans.status != 0 {
		http.Error(w, http.StatusText(ans.status), ans.status)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(e.encodeAnswer(ans, legacy))
}

func (e *Emulator) encodeAnswer(ans rpcAnswer, legacy bool) []byte {
	if ans.err == nil {
		out, err := xmlrpcwire.EncodeResponse(ans.value)
		if err == nil {
			return out
		}
		pyType := "TypeError"
		if errors.Is(err, xmlrpcwire.ErrIntOverflow) {
			pyType = "OverflowError"
		}
		ans.err = pyErr(pyType, "%s", err.Error())
	}
	oe, ok := ans.err.(*odooError)
	if !ok {
		oe = &odooError{faultGeneric, "Exception", ans.err.Error()}
	}
	if legacy {
		return legacyFault(oe)
	}
	return xmlrpcwire.EncodeFault(oe.code, oe.faultString("x"))
}

// legacyFault is xmlrpc_handle_exception_string: string fault codes.
func legacyFault(oe *odooError) []byte {
	switch oe.code {
	case faultAccessDenied:
		return xmlrpcwire.EncodeFaultString("AccessDenied", oe.msg)
	case faultAccessError:
		return xmlrpcwire.EncodeFaultString("warning -- AccessError\n\n"+oe.msg, "")
	case faultUserError:
		kind := oe.pyType[strings.LastIndex(oe.pyType, ".")+1:]
		if kind == "ValidationError" {
			kind = "UserError"
		}
		return xmlrpcwire.EncodeFaultString("warning -- "+kind+"\n\n"+oe.msg, "")
	}
	return xmlrpcwire.EncodeFaultString(oe.msg, traceback("x", oe.pyType, oe.msg))
}

func routeOf(path string) (service string, legacy, ok bool) {
	switch {
	case strings.HasPrefix(path, "/xmlrpc/2/"):
		return strings.TrimPrefix(path, "/xmlrpc/2/"), false, true
	case strings.HasPrefix(path, "/xmlrpc/"):
		return strings.TrimPrefix(path, "/xmlrpc/"), true, true
	}
	return "", false, false
}

// sourceOf is request.httprequest.remote_addr: the cooldown key.
func sourceOf(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (e *Emulator) dispatch(ctx context.Context, source, service string, body []byte) rpcAnswer {
	call, err := xmlrpcwire.DecodeCall(body)
	if err != nil {
		var de *xmlrpcwire.DecodeError
		if errors.As(err, &de) {
			return rpcAnswer{err: pyErr(de.PyType, "%s", de.Msg)}
		}
		return rpcAnswer{err: pyErr("ValueError", "%s", err.Error())}
	}
	switch service {
	case "common":
		e.count("common." + call.Method)
		return e.common(source, call)
	case "db":
		e.count("db." + call.Method)
		return e.dbService(call)
	case "object":
		return e.object(ctx, source, call)
	}
	return rpcAnswer{err: pyErr("KeyError", "%s", pyRepr(service))}
}

func (e *Emulator) versionInfo() xmlrpcwire.Struct {
	v := strconv.Itoa(e.opts.Version) + ".0"
	return xmlrpcwire.Struct{
		{Name: "server_version", Value: v},
		{Name: "server_version_info", Value: []any{int64(e.opts.Version), int64(0), int64(0), "final", int64(0), ""}},
		{Name: "server_serie", Value: v},
		{Name: "protocol_version", Value: int64(1)},
	}
}

func argCountError(fn string, want, got int) error {
	return typeError("%s() takes %d positional arguments but %d were given", fn, want, got)
}

func (e *Emulator) common(source string, call *xmlrpcwire.Call) rpcAnswer {
	p := call.Params
	switch call.Method {
	case "version":
		return rpcAnswer{value: e.versionInfo()}
	case "about":
		if len(p) > 1 {
			return rpcAnswer{err: argCountError("exp_about", 1, len(p))}
		}
		if len(p) == 1 && truthy(p[0]) {
			return rpcAnswer{value: []any{"See http://openerp.com", e.versionInfo()[0].Value}}
		}
		return rpcAnswer{value: "See http://openerp.com"}
	case "login", "authenticate":
		want := 3
		if call.Method == "authenticate" {
			want = 4
		}
		if len(p) != want {
			return rpcAnswer{err: argCountError("exp_"+call.Method, want, len(p))}
		}
		db, _ := p[0].(string)
		if db != e.opts.DB {
			return rpcAnswer{err: dbMissing(p[0])}
		}
		if call.Method == "authenticate" {
			if _, ok := p[3].(map[string]any); !ok {
				return rpcAnswer{err: typeError("'%s' object is not a mapping", pyTypeName(p[3]))}
			}
		}
		login, _ := p[1].(string)
		pw, _ := p[2].(string)
		uid := e.auth.authenticate(source, login, pw, e.userActive(adminUID))
		if uid == 0 {
			return rpcAnswer{value: false}
		}
		return rpcAnswer{value: uid}
	}
	return rpcAnswer{err: pyErr("KeyError", "'exp_%s'", call.Method)}
}

func dbMissing(db any) error {
	name, _ := db.(string)
	return pyErr("psycopg2.OperationalError", "connection to server on socket \"/var/run/postgresql/.s.PGSQL.5432\" failed: FATAL:  database \"%s\" does not exist", name)
}

func (e *Emulator) dbService(call *xmlrpcwire.Call) rpcAnswer {
	switch call.Method {
	case "list":
		return rpcAnswer{err: accessDenied("")} // list_db = False
	case "server_version":
		return rpcAnswer{value: e.versionInfo()[0].Value}
	case "db_exist":
		if len(call.Params) != 1 {
			return rpcAnswer{err: argCountError("exp_db_exist", 1, len(call.Params))}
		}
		name, _ := call.Params[0].(string)
		return rpcAnswer{value: name == e.opts.DB}
	case "list_lang":
		out := make([]any, len(partnerLangs))
		for i, l := range partnerLangs {
			out[i] = []any{l[0], l[1]}
		}
		return rpcAnswer{value: out}
	case "create_database", "duplicate_database", "drop", "dump", "restore", "change_admin_password",
		"rename", "migrate_databases", "list_countries":
		return rpcAnswer{err: accessDenied("")} // wrong master password
	}
	return rpcAnswer{err: pyErr("KeyError", "'exp_%s'", call.Method)}
}

func (e *Emulator) userActive(uid int64) bool {
	e.s.mu.RLock()
	defer e.s.mu.RUnlock()
	users := e.s.models["res.users"]
	r, ok := users.rowOf[uid]
	return ok && users.bln("active", r)
}

// object is /xmlrpc/2/object: execute_kw and execute.
func (e *Emulator) object(ctx context.Context, source string, call *xmlrpcwire.Call) rpcAnswer {
	p := call.Params
	var args []any
	var kwargs map[string]any
	switch call.Method {
	case "execute_kw":
		if len(p) < 6 || len(p) > 7 {
			return rpcAnswer{err: typeError("execute_kw() takes from 6 to 7 positional arguments but %d were given", len(p))}
		}
		list, ok := p[5].([]any)
		if !ok {
			return rpcAnswer{err: typeError("odoo.service.model.execute() argument after * must be an iterable, not %s", pyTypeName(p[5]))}
		}
		args = list
		if len(p) == 7 && truthy(p[6]) {
			kw, ok := p[6].(map[string]any)
			if !ok {
				return rpcAnswer{err: typeError("odoo.service.model.execute() argument after ** must be a mapping, not %s", pyTypeName(p[6]))}
			}
			kwargs = kw
		}
	case "execute":
		if len(p) < 5 {
			return rpcAnswer{err: typeError("execute() missing %d required positional arguments", 5-len(p))}
		}
		args = p[5:]
	default:
		e.count("object." + call.Method)
		return rpcAnswer{err: pyErr("KeyError", "'exp_%s'", call.Method)}
	}
	modelName, _ := p[3].(string)
	method, _ := p[4].(string)
	e.count(modelName + "." + method)
	if db, _ := p[0].(string); db != e.opts.DB {
		return rpcAnswer{err: dbMissing(p[0])}
	}
	uid, err := uidArg(p[1])
	if err != nil {
		return rpcAnswer{err: err}
	}
	pw, _ := p[2].(string)
	if err := e.auth.check(source, uid, pw, e.userActive(uid)); err != nil {
		return rpcAnswer{err: err}
	}
	if ans, stop := e.injectFault(ctx); stop {
		return ans
	}
	v, err := e.run(ctx, uid, modelName, method, args, kwargs, nil)
	return rpcAnswer{value: v, err: err}
}

func uidArg(v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		if err == nil {
			return n, nil
		}
	case bool:
		return map[bool]int64{false: 0, true: 1}[x], nil
	case float64:
		return int64(x), nil
	}
	return 0, valueError("invalid literal for int() with base 10: %s", pyRepr(v))
}

// injectFault draws the configured transient failures for one object call.
func (e *Emulator) injectFault(ctx context.Context) (rpcAnswer, bool) {
	e.conf.mu.Lock()
	f := e.conf.faults
	x := e.conf.rng.Float64()
	e.conf.mu.Unlock()
	switch {
	case x < f.Timeout:
		wait := f.TimeoutAfter
		if wait <= 0 {
			wait = 60 * time.Second
		}
		sleepCtx(ctx, wait)
		return rpcAnswer{status: http.StatusGatewayTimeout}, true
	case x < f.Timeout+f.BadGateway:
		return rpcAnswer{status: http.StatusBadGateway}, true
	case x < f.Timeout+f.BadGateway+f.Unavailable:
		return rpcAnswer{status: http.StatusServiceUnavailable}, true
	case x < f.Timeout+f.BadGateway+f.Unavailable+f.OperationalError:
		return rpcAnswer{err: errConcurrentUpdate()}, true
	case x < f.Timeout+f.BadGateway+f.Unavailable+f.OperationalError+f.Slow:
		d := f.SlowDelay
		if d <= 0 {
			d = 2 * time.Second
		}
		sleepCtx(ctx, d)
	}
	return rpcAnswer{}, false
}
