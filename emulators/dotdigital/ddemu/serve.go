package ddemu

import (
	"crypto/subtle"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxBodyBytes is the documented 50 MB request limit of the import endpoints, applied everywhere.
const maxBodyBytes = 50 << 20

// serve runs every request through: routing -> Basic auth (a 401 consumes
// no budget) -> call-rate budget (429 / flat 400) -> targeted faults, else
// the fault dice (decided before the call has any effect) -> the route's handler.
func (e *Emulator) serve(w http.ResponseWriter, r *http.Request) {
	path := r.URL.EscapedPath()
	if e.isInspectorPath(path) {
		e.inspect(w, r)
		return
	}
	rt, p, methodMismatch := e.router.match(r.Method, path)
	if rt == nil {
		e.noRoute(w, r, methodMismatch)
		return
	}
	t := time.Now()
	if !e.authorised(r) {
		e.setRateHeaders(w, e.lim.peek(rt.tier, t), t)
		e.stats.update(func(s *Stats) { s.Unauthorized++ })
		w.Header().Set("WWW-Authenticate", `Basic realm="Dotdigital API"`)
		if rt.api == apiV2 {
			writeJSON(w, http.StatusUnauthorized, v2Error{Message: "Authorization has been denied for this request."})
		} else {
			writeEmpty(w, http.StatusUnauthorized)
		}
		return
	}
	d := e.lim.take(rt.tier, t)
	e.setRateHeaders(w, d, t)
	rec := &statusRecorder{ResponseWriter: w}
	start := time.Now()
	defer func() {
		e.stats.recordCall(rt, rec.statusCode())
		e.log.Debug("dotdigital call", "route", rt.name, "status", rec.statusCode(), "duration", time.Since(start))
	}()
	if !d.allowed {
		if d.flat {
			e.stats.update(func(s *Stats) { s.FlatCapped++ })
			v2Fail(rec, http.StatusBadRequest,
				"Your account has generated excess API activity and is being temporarily capped. Please contact support.",
				"ERROR_APIUSAGE_EXCEEDED")
			return
		}
		e.stats.update(func(s *Stats) { s.Throttled++ })
		if rt.api == apiV2 {
			writeJSON(rec, http.StatusTooManyRequests, v2Error{Message: "Too many requests"})
		} else {
			v3Fail(rec, rt.api, http.StatusTooManyRequests, "tooManyRequests", "Too many requests")
		}
		return
	}
	fd := e.decideFault(rt, r)
	if fd.slow > 0 && !e.sleep(r, fd.slow) {
		return
	}
	r.Body = http.MaxBytesReader(rec, r.Body, maxBodyBytes)
	if e.applyFault(rec, r, rt, p, fd) {
		return
	}
	rt.handle(rec, r, p)
}

// decideFault picks the fault of an admitted call: a pending targeted fault
// first (deterministic, so it must not depend on the dice), else the dice.
// Faults are counted here, when decided, whatever the client does next.
func (e *Emulator) decideFault(rt *route, r *http.Request) faultDecision {
	if k, ok := e.targets.take(rt.name, r.URL.Path); ok {
		kind, _ := k.outcome()
		e.stats.update(func(s *Stats) { s.FaultsTargeted++ })
		e.log.Info("targeted fault fired", "route", rt.name, "kind", k)
		return faultDecision{kind: kind, timeout: e.dice.get().TimeoutDelay}
	}
	fd := e.dice.roll()
	e.stats.update(func(s *Stats) {
		if fd.slow > 0 {
			s.FaultsSlow++
		}
		switch fd.kind {
		case fault5xx:
			s.Faults5xx++
		case faultTimeout:
			s.FaultsTimeout++
		case faultApplied5xx:
			s.FaultsApplied5xx++
		}
	})
	return fd
}

// applyFault answers the call as fd decided and reports whether it did;
// false means no fault, and the handler serves the call normally.
func (e *Emulator) applyFault(rec *statusRecorder, r *http.Request, rt *route, p params, fd faultDecision) bool {
	switch fd.kind {
	case fault5xx:
		write5xx(rec, rt.api, fd.status503)
	case faultTimeout:
		// Gateways answer a timed-out call with HTML, not the API's JSON.
		if e.sleep(r, fd.timeout) {
			rec.Header().Set("Content-Type", "text/html")
			rec.WriteHeader(http.StatusGatewayTimeout)
			_, _ = fmt.Fprint(rec, "<html><body><h1>504 Gateway Time-out</h1>\nThe server didn't respond in time.\n</body></html>\n")
		}
		rec.status = http.StatusGatewayTimeout
	case faultApplied5xx:
		rt.handle(&discardWriter{header: http.Header{}}, r, p)
		write5xx(rec, rt.api, fd.status503)
	default:
		return false
	}
	return true
}

// sleep waits d, or until the client goes away or the emulator closes; it
// reports whether the full delay passed.
func (e *Emulator) sleep(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-e.done:
		return false
	}
}

// write5xx answers an injected server error in the route's dialect.
func write5xx(w http.ResponseWriter, a api, is503 bool) {
	switch {
	case a == apiV2 && is503:
		v2Fail(w, http.StatusServiceUnavailable, "The service is temporarily unavailable.", "ERROR_SYSTEM_SERVICETEMPORARILYUNAVAILABLE")
	case a == apiV2:
		v2Fail(w, http.StatusInternalServerError, "An error has occurred.", "ERROR_UNKNOWN")
	case is503:
		v3Fail(w, a, http.StatusServiceUnavailable, "serviceUnavailable", "The service is temporarily unavailable, please retry later")
	default:
		v3Fail(w, a, http.StatusInternalServerError, "internalServerError", "An unexpected error occurred")
	}
}

func (e *Emulator) authorised(r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return false
	}
	u := subtle.ConstantTimeCompare([]byte(user), []byte(e.opts.APIUser))
	p := subtle.ConstantTimeCompare([]byte(pass), []byte(e.opts.APIPassword))
	return u&p == 1
}

// setRateHeaders writes X-RateLimit-* for limited tiers of the tiered scheme.
func (e *Emulator) setRateHeaders(w http.ResponseWriter, d rateDecision, t time.Time) {
	if !d.headers {
		return
	}
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(d.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(d.remaining))
	if e.opts.ResetFormat == ResetEpoch {
		h.Set("X-RateLimit-Reset", strconv.FormatInt(int64(math.Ceil(float64(d.resetAt.UnixNano())/1e9)), 10))
	} else {
		secs := int64(math.Ceil(d.resetAt.Sub(t).Seconds()))
		h.Set("X-RateLimit-Reset", strconv.FormatInt(max(secs, 0), 10))
	}
	h.Set("X-RateLimit-Scope", d.scope)
}

// noRoute answers paths no route matches, like ASP.NET Web API does.
func (e *Emulator) noRoute(w http.ResponseWriter, r *http.Request, methodMismatch bool) {
	e.stats.update(func(s *Stats) { s.NotFound++ })
	a, _ := apiOfPath(r.URL.Path)
	if methodMismatch {
		if a == apiV2 {
			writeJSON(w, http.StatusMethodNotAllowed, v2Error{Message: fmt.Sprintf("The requested resource does not support http method '%s'.", r.Method)})
		} else {
			v3Fail(w, a, http.StatusMethodNotAllowed, "methodNotAllowed", fmt.Sprintf("The method '%s' is not supported on this resource", r.Method))
		}
		return
	}
	if a == apiV2 || !strings.Contains(strings.ToLower(r.URL.Path), "/v3") {
		writeJSON(w, http.StatusNotFound, v2Error{Message: fmt.Sprintf("No HTTP resource was found that matches the request URI '%s%s'.", e.baseURL(r), r.URL.RequestURI())})
		return
	}
	v3Fail(w, a, http.StatusNotFound, "notFound", "No resource matches the request URI")
}

// baseURL is the scheme://host the client used (or Options.PublicURL), without a trailing slash.
func (e *Emulator) baseURL(r *http.Request) string {
	if e.opts.PublicURL != "" {
		return strings.TrimRight(e.opts.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// statusRecorder remembers the status written through it.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) statusCode() int {
	if s.status == 0 {
		return http.StatusOK
	}
	return s.status
}

// discardWriter swallows the real answer of an "applied, then 5xx" call.
type discardWriter struct{ header http.Header }

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}
