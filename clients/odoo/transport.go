package odoo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kolo/xmlrpc"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// maxResponseBytes guards memory against a runaway reply (an unpaged read).
const maxResponseBytes = 512 << 20

// callInfo names an object call for spans and errors. Both empty for the
// common service.
type callInfo struct {
	model, method string
}

func (i callInfo) op(service, rpcMethod string) string {
	if i.model != "" {
		return i.model + "." + i.method
	}
	return service + "." + rpcMethod
}

// execute runs object.execute_kw as the authenticated user.
func (c *Client) execute(ctx context.Context, model, method string, args []any, kwargs map[string]any) (any, error) {
	if !validName(model) || !validName(method) {
		return nil, &RequestError{Op: model + "." + method, Reason: "model and method names may hold only letters, digits, '_' and '.'"}
	}
	info := callInfo{model: model, method: method}
	wargs, err := toWireArgs(args)
	if err != nil {
		return nil, &RequestError{Op: info.op("object", "execute_kw"), Reason: err.Error()}
	}
	wkw, err := toWireKwargs(kwargs)
	if err != nil {
		return nil, &RequestError{Op: info.op("object", "execute_kw"), Reason: err.Error()}
	}
	s, err := c.session(ctx)
	if err != nil {
		return nil, err
	}
	params := []any{c.db, s.uid, c.key, model, method, wargs}
	if len(wkw) > 0 {
		params = append(params, wkw)
	}
	res, err := c.rpc(ctx, "object", "execute_kw", params, info)
	var f *Fault
	if errors.As(err, &f) && f.Code == 3 {
		return nil, c.rejectSession(f)
	}
	return res, err
}

// rpc sends one XML-RPC call with its own timeout, inside a span, and
// decodes the reply into plain Go values (int64, float64, bool, string, nil
// for an empty string, []any, map[string]any).
func (c *Client) rpc(ctx context.Context, service, method string, params []any, info callInfo) (res any, err error) {
	op := info.op(service, method)
	ctx, span := c.tracer.Start(ctx, "odoo "+op, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("rpc.system", "xmlrpc"),
			attribute.String("rpc.service", service),
			attribute.String("rpc.method", method),
			attribute.String("server.address", c.host),
		))
	if info.model != "" {
		span.SetAttributes(attribute.String("odoo.model", info.model), attribute.String("odoo.method", info.method))
	}
	start := time.Now()
	defer func() {
		outcome := "ok"
		if err != nil {
			cls := ClassOf(err)
			outcome = "error"
			span.SetAttributes(attribute.String("error.type", cls.String()), attribute.String("odoo.error.class", cls.String()))
			var f *Fault
			if errors.As(err, &f) {
				outcome = "fault"
				span.SetAttributes(attribute.Int("odoo.fault.code", f.Code))
			}
			// The description carries the class only: fault texts may quote data.
			span.SetStatus(codes.Error, cls.String())
		} else if list, ok := res.([]any); ok {
			span.SetAttributes(attribute.Int("odoo.result.count", len(list)))
		}
		span.SetAttributes(attribute.String("odoo.outcome", outcome))
		span.End()
		c.log.Debug("odoo call", "op", op, "outcome", outcome, "class", ClassOf(err).String(), "duration", time.Since(start))
	}()

	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	req, err := xmlrpc.NewRequest(c.base+"/xmlrpc/2/"+service, method, params)
	if err != nil {
		return nil, &RequestError{Op: op, Reason: "encode request: " + scrub(err.Error(), c.key)}
	}
	req = req.WithContext(ctx)
	req.Header.Set("User-Agent", c.userAgent)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.transportError(ctx, op, err)
	}
	defer resp.Body.Close()
	span.SetAttributes(attribute.Int("http.response.status_code", resp.StatusCode))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, &TransportError{Op: op, StatusCode: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After"))}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, c.transportError(ctx, op, err)
	}
	if len(body) > maxResponseBytes {
		return nil, &RequestError{Op: op, Reason: "response larger than 512 MiB: page the request"}
	}
	return c.decode(body, op, info)
}

func (c *Client) decode(body []byte, op string, info callInfo) (any, error) {
	if !bytes.Contains(body, []byte("<methodResponse")) {
		// A proxy or maintenance page answered with 200.
		return nil, &TransportError{Op: op, Err: errors.New("reply is not an XML-RPC response")}
	}
	// String values are escaped, so a literal <fault> is always the element.
	if bytes.Contains(body, []byte("<fault>")) {
		ferr := xmlrpc.Response(body).Err()
		var fe xmlrpc.FaultError
		if errors.As(ferr, &fe) {
			return nil, newFault(fe.Code, fe.String, info.model, info.method, c.key)
		}
		if ferr != nil {
			return nil, &TransportError{Op: op, Err: fmt.Errorf("undecodable fault: %s", shorten(scrub(ferr.Error(), c.key), 120))}
		}
	}
	var v any
	if err := xmlrpc.Response(body).Unmarshal(&v); err != nil {
		return nil, &TransportError{Op: op, Err: fmt.Errorf("undecodable reply: %s", shorten(scrub(err.Error(), c.key), 120))}
	}
	return v, nil
}

// transportError prefers the context's verdict (timeout or cancellation),
// so errors.Is(err, context.DeadlineExceeded) holds.
func (c *Client) transportError(ctx context.Context, op string, err error) error {
	if ce := ctx.Err(); ce != nil {
		return &TransportError{Op: op, Err: ce}
	}
	return &TransportError{Op: op, Err: scrubbedError{err: err, text: scrub(err.Error(), c.key)}}
}

// scrubbedError keeps the cause for errors.Is/As but prints a masked text.
type scrubbedError struct {
	err  error
	text string
}

func (e scrubbedError) Error() string { return e.text }
func (e scrubbedError) Unwrap() error { return e.err }

func retryAfter(h string) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(h); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

func validName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '.' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
