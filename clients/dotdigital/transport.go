package dotdigital

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

const (
	// maxResponseBody bounds a success body (import reports, record pages).
	maxResponseBody = 64 << 20
	// maxErrorBody bounds how much of an error body is parsed.
	maxErrorBody = 256 << 10
	// maxRequestBody is Dotdigital's import body limit (reference §3.1, §5.2).
	maxRequestBody = 50 << 20
)

// request is one HTTP call. path is already escaped; route is its template
// (no personal data) for spans, logs and errors. body is kept as bytes so the
// request can be re-sent (rediscovery, redirects).
type request struct {
	method string
	route  string
	path   string
	query  url.Values
	body   []byte
}

func jsonRequest(method, route, path string, payload any) (request, error) {
	r := request{method: method, route: route, path: path}
	if payload == nil {
		return r, nil
	}
	b, err := json.Marshal(payload)
	if err != nil {
		return r, invalidArgf("body", "cannot encode as JSON: %v", err)
	}
	if len(b) > maxRequestBody {
		return r, invalidArgf("body", "%d bytes exceeds the 50 MB request limit", len(b))
	}
	r.body = b
	return r, nil
}

// do sends r to the account's endpoint and decodes a 2xx body into out (when
// out is non-nil). A 403 from a discovered endpoint clears the cached
// endpoint and, if rediscovery yields a different one, sends r once more
// (reference §1: the wrong region answers 403 Access is denied).
func (c *Client) do(ctx context.Context, r request, out any) (int, error) {
	base, err := c.baseURL(ctx)
	if err != nil {
		return 0, err
	}
	status, err := c.send(ctx, base, r, out)
	if status != http.StatusForbidden || c.staticEndpoint {
		return status, err
	}
	c.endpoint.invalidate(base)
	fresh, derr := c.baseURL(ctx)
	if derr != nil || fresh == base {
		c.logger.WarnContext(ctx, "dotdigital: 403 persists after endpoint rediscovery", "route", r.route)
		return status, err
	}
	c.logger.InfoContext(ctx, "dotdigital: endpoint changed after 403, resending", "route", r.route)
	return c.send(ctx, fresh, r, out)
}

// send performs one HTTP call against base with its own span and timeout.
func (c *Client) send(ctx context.Context, base string, r request, out any) (status int, err error) {
	ctx, span := c.tracer.Start(ctx, "dotdigital "+r.method+" "+r.route,
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("http.request.method", r.method),
			attribute.String("url.template", r.route),
			attribute.String("server.address", hostOf(base)),
		))
	start := time.Now()
	var rs RateStatus
	var hasRS bool
	defer func() { c.finish(ctx, span, r, status, err, rs, hasRS, time.Since(start)) }()

	attemptCtx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	target := base + r.path
	if len(r.query) > 0 {
		target += "?" + r.query.Encode()
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body) // also sets GetBody, so the body is re-sendable
	}
	req, err := http.NewRequestWithContext(attemptCtx, r.method, target, body)
	if err != nil {
		return 0, fmt.Errorf("dotdigital: %s %s: cannot build request", r.method, r.route)
	}
	req.SetBasicAuth(c.user, c.password)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	resp, err := c.httpClient.Do(req)
	if err != nil {
		return 0, c.transportError(ctx, r, err)
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBody))
		_ = resp.Body.Close()
	}()
	status = resp.StatusCode

	rs, hasRS = parseRateLimit(resp.Header, c.now())
	if hasRS {
		c.limits.observe(rs)
		if c.onRateLimit != nil {
			c.onRateLimit(rs)
		}
	}

	if status < 200 || status > 299 {
		raw, rerr := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		if rerr != nil && len(raw) == 0 {
			return status, c.transportError(ctx, r, rerr)
		}
		return status, c.apiError(r, status, resp.Header, raw, rs, hasRS)
	}

	raw, rerr := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody+1))
	if rerr != nil {
		return status, c.transportError(ctx, r, rerr)
	}
	if len(raw) > maxResponseBody {
		return status, &DecodeError{Method: r.method, Route: r.route, Status: status, Err: errors.New("response body too large")}
	}
	if out == nil {
		return status, nil
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return status, &DecodeError{Method: r.method, Route: r.route, Status: status, Err: errors.New("empty body")}
	}
	if derr := json.Unmarshal(raw, out); derr != nil {
		return status, &DecodeError{Method: r.method, Route: r.route, Status: status, Err: jsonErrorWithoutData(derr)}
	}
	return status, nil
}

// apiError builds the typed error for a non-2xx response.
func (c *Client) apiError(r request, status int, h http.Header, raw []byte, rs RateStatus, hasRS bool) error {
	code, msg, details := parseErrorBody(status, raw)
	e := &APIError{Status: status, Code: code, Message: msg, Details: details, Method: r.method, Route: r.route}
	if status == http.StatusTooManyRequests || codeIs(code, "ERROR_APIUSAGE_EXCEEDED") {
		scope := rs.Scope
		if scope == "" && codeIs(code, "ERROR_APIUSAGE_EXCEEDED") {
			scope = ScopeFlatHourly
		}
		return &RateLimitedError{RetryAfter: retryAfterFor(e, h, rs, hasRS, c.now()), Scope: scope, Err: e}
	}
	return e
}

// transportError wraps a failed round trip without the URL (it holds the
// email) and classifies timeouts and caller cancellation.
func (c *Client) transportError(parent context.Context, r request, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	timeout := false
	switch {
	case parent.Err() != nil:
		err = parent.Err()
		timeout = errors.Is(err, context.DeadlineExceeded)
	case errors.Is(err, context.DeadlineExceeded):
		timeout = true
		err = fmt.Errorf("no response within %s: %w", c.timeout, context.DeadlineExceeded)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		timeout = true
	}
	return &TransportError{Method: r.method, Route: r.route, Timeout: timeout, Err: err}
}

// finish records the outcome on the span and in the debug log.
func (c *Client) finish(ctx context.Context, span trace.Span, r request, status int, err error, rs RateStatus, hasRS bool, took time.Duration) {
	class := retryClass(err)
	attrs := []attribute.KeyValue{attribute.String("dotdigital.retry_class", class)}
	if status != 0 {
		attrs = append(attrs, attribute.Int("http.response.status_code", status))
	}
	var apiErr *APIError
	code := ""
	if errors.As(err, &apiErr) && apiErr.Code != "" {
		code = apiErr.Code
		attrs = append(attrs, attribute.String("dotdigital.error_code", code))
	}
	if hasRS {
		if rs.Remaining >= 0 {
			attrs = append(attrs, attribute.Int("dotdigital.ratelimit.remaining", rs.Remaining))
		}
		if rs.Scope != "" {
			attrs = append(attrs, attribute.String("dotdigital.ratelimit.scope", rs.Scope))
		}
	}
	if err != nil {
		errType := "transport"
		if status != 0 {
			errType = strconv.Itoa(status)
		}
		attrs = append(attrs, attribute.String("error.type", errType))
		span.SetStatus(codes.Error, err.Error())
	}
	span.SetAttributes(attrs...)
	span.End()
	c.logger.DebugContext(ctx, "dotdigital call",
		"method", r.method, "route", r.route, "status", status, "code", code,
		"retry_class", class, "ratelimit_remaining", rs.Remaining, "took", took)
}

// jsonErrorWithoutData keeps the position of a JSON error but not the
// offending value (json's messages may quote response data).
func jsonErrorWithoutData(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid JSON at offset %d", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("unexpected JSON %s for field %q at offset %d", te.Value, te.Field, te.Offset)
	}
	return errors.New("invalid JSON")
}

func hostOf(base string) string {
	if u, err := url.Parse(base); err == nil {
		return u.Host
	}
	return ""
}
