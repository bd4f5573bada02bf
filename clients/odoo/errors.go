package odoo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"time"
)

// Class sorts every error this package returns into what the caller should do
// about it. Retry only ClassTransient (see Retryable).
type Class int

const (
	// ClassNone is the class of a nil error.
	ClassNone Class = iota
	// ClassUnknown is the class of an error this package did not make.
	ClassUnknown
	// ClassAuth: bad login/key, inactive user, expired key, login cool-down
	// (authenticate returned False, or Fault 3). Never retry in a loop: Odoo
	// locks the caller out after repeated failures.
	ClassAuth
	// ClassAccess: Fault 4 (ACL, record rule, private method, company not allowed).
	ClassAccess
	// ClassMissing: Fault 2 raised by MissingError (write/unlink/method on a
	// deleted record).
	ClassMissing
	// ClassValidation: other Fault 2 (UserError, ValidationError, unknown model,
	// bad order) and requests this package refused to encode.
	ClassValidation
	// ClassServer: Fault 1 that is not a database hiccup (bad domain, unknown
	// field or method, server bug). Retrying will not help.
	ClassServer
	// ClassTransient: HTTP non-2xx, network errors, timeouts, cancellation,
	// unreadable responses, Fault 1 caused by a database concurrency or
	// connection problem. Retry with backoff.
	ClassTransient
)

var classNames = [...]string{"none", "unknown", "auth", "access", "missing", "validation", "server", "transient"}

func (c Class) String() string {
	if c < 0 || int(c) >= len(classNames) {
		return fmt.Sprintf("class(%d)", int(c))
	}
	return classNames[c]
}

// classified is implemented by every error type of this package.
type classified interface {
	error
	class() Class
}

// ClassOf tells what kind of failure err is. It looks through wrapping.
func ClassOf(err error) Class {
	if err == nil {
		return ClassNone
	}
	var c classified
	if errors.As(err, &c) {
		return c.class()
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return ClassTransient
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return ClassTransient
	}
	return ClassUnknown
}

// Retryable reports whether repeating the same call later may succeed.
// Only transient failures are; authentication failures are deliberately not.
func Retryable(err error) bool { return ClassOf(err) == ClassTransient }

// Fault is an XML-RPC fault answered by Odoo (/xmlrpc/2 integer codes:
// 1 other, 2 UserError family, 3 AccessDenied, 4 AccessError).
type Fault struct {
	Code int
	// Message is Odoo's faultString, shortened: for Code 1 only the last line
	// of the traceback is kept. Email addresses and the API key are masked.
	Message string
	// Model and Method name the call (empty for the common service).
	Model, Method string

	cls Class
}

func (f *Fault) Error() string {
	where := f.Method
	if f.Model != "" {
		where = f.Model + "." + f.Method
	}
	return fmt.Sprintf("odoo %s: fault %d (%s): %s", where, f.Code, f.cls, f.Message)
}

func (f *Fault) class() Class { return f.cls }

// Class returns the fault's class.
func (f *Fault) Class() Class { return f.cls }

// ErrAuthFailed matches (errors.Is) every authentication failure.
var ErrAuthFailed = errors.New("odoo: authentication failed")

// AuthError reports that Odoo refused the credentials. After one, the client
// fails fast with the same error until RetryAfter, so that a wrong key does
// not trip Odoo's login lock-out (5 failures in 60 s by default).
type AuthError struct {
	// Reason is short and free of credentials: "authenticate returned False",
	// "Access Denied", or Odoo's cool-down text.
	Reason string
	// Fault is the Fault 3 when there was one (nil when authenticate returned False).
	Fault *Fault
	// RetryAfter is when the client will try to authenticate again.
	RetryAfter time.Time
}

func (e *AuthError) Error() string {
	return fmt.Sprintf("odoo: authentication failed: %s (next attempt after %s)", e.Reason, e.RetryAfter.UTC().Format(time.RFC3339))
}

func (e *AuthError) class() Class { return ClassAuth }

// Is makes errors.Is(err, ErrAuthFailed) true.
func (e *AuthError) Is(target error) bool { return target == ErrAuthFailed }

// Unwrap gives the Fault 3, if any, to errors.As.
func (e *AuthError) Unwrap() error {
	if e.Fault == nil {
		return nil
	}
	return e.Fault
}

// TransportError is a failure below XML-RPC: network, timeout, cancellation,
// HTTP status, or a body that is not an XML-RPC response. Always transient.
type TransportError struct {
	// Op names the call, e.g. "res.partner.search_read" or "common.authenticate".
	Op string
	// StatusCode is the HTTP status when the server answered non-2xx, else 0.
	StatusCode int
	// RetryAfter is the server's Retry-After hint (429/503), zero if none.
	RetryAfter time.Duration
	// Err is the cause (context.Canceled, context.DeadlineExceeded, *net.OpError, ...).
	Err error
}

func (e *TransportError) Error() string {
	switch {
	case e.StatusCode != 0:
		return fmt.Sprintf("odoo %s: HTTP status %d", e.Op, e.StatusCode)
	case e.Err != nil:
		return fmt.Sprintf("odoo %s: %v", e.Op, e.Err)
	default:
		return fmt.Sprintf("odoo %s: transport failure", e.Op)
	}
}

func (e *TransportError) class() Class { return ClassTransient }

// Unwrap exposes the cause, so errors.Is(err, context.DeadlineExceeded) works.
func (e *TransportError) Unwrap() error { return e.Err }

// RequestError means the client refused to send a request (a value that
// cannot be encoded, a value Odoo would misread), or a reply did not have
// the expected shape. Not retryable.
type RequestError struct {
	Op     string
	Reason string
}

func (e *RequestError) Error() string { return fmt.Sprintf("odoo %s: %s", e.Op, e.Reason) }

func (e *RequestError) class() Class { return ClassValidation }

// maxFaultMessage bounds Fault.Message, so that a traceback or a long
// validation text does not flood logs and workflow histories.
const maxFaultMessage = 300

// Markers of Fault 1 tracebacks that come from the database being busy or
// unreachable rather than from the request: worth retrying.
var transientMarkers = []string{
	"operationalerror",
	"serializationfailure",
	"could not serialize access",
	"transactionrollbackerror",
	"deadlock detected",
	"deadlockdetected",
	"locknotavailable",
	"could not obtain lock",
	"querycanceled",
	"canceling statement due to",
	"interfaceerror",
	"connection already closed",
	"server closed the connection",
	"connection pool is full",
	"poolerror",
	"too many connections",
}

// Psycopg errors that are deterministic: the same request fails again.
var permanentPsycopg = []string{"integrityerror", "programmingerror", "dataerror", "notsupportederror", "uniqueviolation", "undefinedcolumn", "undefinedtable"}

// newFault classifies an XML-RPC fault. key is masked out of the message.
func newFault(code int, text, model, method, key string) *Fault {
	f := &Fault{Code: code, Model: model, Method: method, cls: classifyFault(code, text)}
	msg := text
	if code == 1 {
		msg = lastLine(text)
	}
	f.Message = shorten(scrub(msg, key), maxFaultMessage)
	return f
}

func classifyFault(code int, text string) Class {
	lower := strings.ToLower(text)
	switch code {
	case 3:
		return ClassAuth
	case 4:
		return ClassAccess
	case 2:
		if strings.Contains(lower, "missingerror") ||
			strings.Contains(lower, "does not exist or has been deleted") ||
			strings.Contains(lower, "record does not exist") {
			return ClassMissing
		}
		return ClassValidation
	case 1:
		// A wrong database name surfaces as an OperationalError, but it is a
		// configuration error: retrying cannot help.
		if strings.Contains(lower, "database \"") && strings.Contains(lower, "does not exist") {
			return ClassServer
		}
		for _, m := range permanentPsycopg {
			if strings.Contains(lower, m) {
				return ClassServer
			}
		}
		for _, m := range transientMarkers {
			if strings.Contains(lower, m) {
				return ClassTransient
			}
		}
		if strings.Contains(lower, "psycopg") {
			return ClassTransient
		}
		return ClassServer
	default:
		// Codes other than 1-4 do not come from /xmlrpc/2 (legacy string codes
		// or a proxy): treat like an unclassified server error.
		return ClassServer
	}
}

// lastLine returns the last non-empty line: for a Python traceback, the
// exception and its message.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, " \t\r\n"), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return l
		}
	}
	return ""
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

var emailPattern = regexp.MustCompile(`[^\s<>()\[\],;:"'@]+@[^\s<>()\[\],;:"'@]+\.[A-Za-z]{2,}`)

// scrub removes what must never reach an error string: the API key and
// email addresses (Odoo validation messages quote the offending value).
func scrub(s, key string) string {
	if key != "" && len(key) >= 4 {
		s = strings.ReplaceAll(s, key, "***")
	}
	return emailPattern.ReplaceAllString(s, "<email>")
}
