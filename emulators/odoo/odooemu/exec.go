package odooemu

import (
	"context"
	"fmt"
	"maps"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/odoo/xmlrpcwire"
)

// newCallCtx builds env for a call: the user's companies narrowed by
// context.allowed_company_ids (AccessError outside them) and active_test.
// The store lock is held.
func (e *Emulator) newCallCtx(tx *txn, uid int64, ctxMap map[string]any) (*callCtx, error) {
	c := &callCtx{s: e.s, tx: tx, uid: uid, context: ctxMap, activeTest: true}
	if v, ok := ctxMap["active_test"]; ok {
		c.activeTest = truthy(v)
	}
	users := e.s.models["res.users"]
	var userCompanies []int64
	if r, ok := users.visibleRow(uid, tx.id); ok {
		main := users.i64("company_id", r)
		userCompanies = append(userCompanies, main)
		for _, co := range users.idl("company_ids", r) {
			if co != main {
				userCompanies = append(userCompanies, co)
			}
		}
	}
	c.companies = userCompanies
	if raw, ok := ctxMap["allowed_company_ids"]; ok && truthy(raw) {
		list := listOf(raw)
		allowed := make([]int64, 0, len(list))
		for _, x := range list {
			id, ok := asIntStrict(x)
			if !ok || !containsID(userCompanies, id) {
				return nil, accessError("Access to unauthorized or invalid companies.")
			}
			allowed = append(allowed, id)
		}
		c.companies = allowed
	}
	return c, nil
}

// run executes model.method as execute_kw does: private-method check,
// model lookup, context, argument binding, then the method in a
// transaction (its own, or gtx's).
func (e *Emulator) run(ctx context.Context, uid int64, modelName, method string, args []any, kwargs map[string]any, gtx *Tx) (any, error) {
	if privateMethod.MatchString(method) {
		return nil, accessError("Private methods (such as %s) cannot be called remotely.", method)
	}
	m := e.s.models[modelName]
	if m == nil {
		return nil, userError("Object %s doesn't exist", modelName)
	}
	spec := m.methods[method]
	v := e.opts.Version
	if spec == nil || (spec.minVersion > 0 && v < spec.minVersion) || (spec.maxVersion > 0 && v > spec.maxVersion) {
		return nil, pyErr("AttributeError", "The method '%s' does not exist on the model '%s'", method, modelName)
	}
	kw := maps.Clone(kwargs)
	if kw == nil {
		kw = map[string]any{}
	}
	ctxMap := map[string]any{}
	if raw, ok := kw["context"]; ok {
		delete(kw, "context")
		if truthy(raw) {
			cm, ok := raw.(map[string]any)
			if !ok {
				return nil, typeError("'%s' object is not a mapping", pyTypeName(raw))
			}
			ctxMap = cm
		}
	}
	var ids []int64
	if spec.records {
		if len(args) == 0 {
			return nil, pyErr("IndexError", "list index out of range")
		}
		var err error
		if ids, err = idsArg(args[0]); err != nil {
			return nil, err
		}
		args = args[1:]
	}
	bound, err := spec.bind(args, kw)
	if err != nil {
		return nil, err
	}
	call := func(c *callCtx) (res any, err error) {
		// A bug must not kill the connection: answer Fault 1 and roll back.
		defer func() {
			if p := recover(); p != nil {
				e.log.Error("odoo emulator: method panicked", "model", modelName, "method", method, "panic", fmt.Sprint(p))
				res, err = nil, pyErr("Exception", "internal emulator error in %s.%s: %v", modelName, method, p)
			}
		}()
		return spec.fn(c, m, ids, bound)
	}
	if gtx != nil {
		return gtx.exec(ctxMap, call)
	}
	if spec.readOnly {
		e.s.mu.RLock()
		defer e.s.mu.RUnlock()
		tx := e.s.begin(e.clk.now(), uid)
		c, err := e.newCallCtx(tx, uid, ctxMap)
		if err != nil {
			return nil, err
		}
		return call(c)
	}
	return e.runWrite(ctx, uid, ctxMap, call)
}

// runWrite runs a writing call in its own transaction and sends webhooks
// before the commit (17) or after it (18).
func (e *Emulator) runWrite(ctx context.Context, uid int64, ctxMap map[string]any, call func(*callCtx) (any, error)) (any, error) {
	e.s.mu.Lock()
	tx := e.s.begin(e.clk.now(), uid)
	c, err := e.newCallCtx(tx, uid, ctxMap)
	if err != nil {
		e.s.mu.Unlock()
		return nil, err
	}
	res, err := call(c)
	if err != nil {
		tx.rollback()
		e.s.mu.Unlock()
		return nil, err
	}
	if e.hooks == nil || len(tx.hooks) == 0 {
		tx.commit()
		e.s.mu.Unlock()
		return res, nil
	}
	if e.opts.WebhookTiming == "precommit" {
		payloads := e.hooks.build(c, tx.hooks)
		e.s.mu.Unlock() // others read the before-images meanwhile
		e.hooks.send(ctx, payloads)
		e.s.mu.Lock()
		tx.commit()
		e.s.mu.Unlock()
		return res, nil
	}
	tx.commit()
	payloads := e.hooks.build(c, tx.hooks)
	e.s.mu.Unlock()
	e.hooks.send(ctx, payloads)
	return res, nil
}

// Call runs model.method as the admin user in its own transaction, like an
// execute_kw without the HTTP round trip (fast test setup). Results have the
// shapes kolo/xmlrpc decodes into: int64, float64, bool, string, []any,
// map[string]any.
func (e *Emulator) Call(ctx context.Context, model, method string, args []any, kwargs map[string]any) (any, error) {
	e.count(model + "." + method)
	res, err := e.run(ctx, adminUID, model, method, args, kwargs, nil)
	return plain(res), err
}

// plain converts answer values to what an XML-RPC client would decode.
func plain(v any) any {
	switch x := v.(type) {
	case xmlrpcwire.Struct:
		m := make(map[string]any, len(x))
		for _, mem := range x {
			m[mem.Name] = plain(mem.Value)
		}
		return m
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = plain(e)
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plain(e)
		}
		return out
	case []int64:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return out
	case int:
		return int64(x)
	}
	return v
}
