package dotdigital

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sentinel error classes. Test with errors.Is (or the Is* helpers); the
// concrete types below carry the details.
var (
	ErrNotFound                 = errors.New("dotdigital: not found")
	ErrContactNotFound          = errors.New("dotdigital: contact not found")
	ErrCollectionNotFound       = errors.New("dotdigital: insight collection not found")
	ErrRecordNotFound           = errors.New("dotdigital: insight record not found")
	ErrImportNotFound           = errors.New("dotdigital: import not found")
	ErrConflict                 = errors.New("dotdigital: identifier already exists")
	ErrAlreadyExists            = errors.New("dotdigital: already exists")
	ErrSuppressed               = errors.New("dotdigital: contact is suppressed")
	ErrAuth                     = errors.New("dotdigital: not authorised")
	ErrInvalidEmail             = errors.New("dotdigital: invalid email address")
	ErrInvalidArgument          = errors.New("dotdigital: invalid argument")
	ErrRateLimited              = errors.New("dotdigital: rate limited")
	ErrContactEmailDoesNotExist = errors.New("dotdigital: insight record rejected: contact email does not exist")
	ErrMalformedResponse        = errors.New("dotdigital: malformed response body")
	ErrImportFailed             = errors.New("dotdigital: import failed")
	ErrDiscovery                = errors.New("dotdigital: endpoint discovery failed")
)

// ErrorDetail is one entry of a v3 error body's details array.
type ErrorDetail struct {
	Item        string
	Description string
}

// APIError is a non-2xx answer from Dotdigital. Code is the v3 errorCode
// (e.g. "contacts:contactNotFound") or the v2 ERROR_* token, "" when the body
// had none. Route is the route template, never the concrete path. Message and
// Details are the server's text and may contain the identifiers the request
// used; Error() redacts anything that looks like an email.
type APIError struct {
	Status  int
	Code    string
	Message string
	Details []ErrorDetail
	Method  string
	Route   string
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "dotdigital: %s %s: %d", e.Method, e.Route, e.Status)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if m := redactEmails(e.Message); m != "" && m != e.Code {
		b.WriteString(": " + truncate(m, 300))
	}
	return b.String()
}

// Retryable reports whether the same call may succeed later (reference §8.2).
func (e *APIError) Retryable() bool {
	if e.Status == 429 || e.Status >= 500 {
		return true
	}
	return codeIn(e.Code, retryableCodes)
}

// Is maps the status and code to the sentinel classes.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Status == 404 || codeIn(e.Code, notFoundCodes)
	case ErrContactNotFound:
		return codeIn(e.Code, contactNotFoundCodes)
	case ErrCollectionNotFound:
		return codeIs(e.Code, "insightData:collectionNotFound")
	case ErrRecordNotFound:
		return codeIn(e.Code, []string{"insightData:recordNotFound", "ERROR_TRANSACTIONAL_DATA_DOES_NOT_EXIST"})
	case ErrImportNotFound:
		return codeIn(e.Code, []string{"contacts:importNotFound", "insightData:importNotFound"})
	case ErrConflict:
		return e.Status == 409 || codeIs(e.Code, "contacts:idAlreadyExists")
	case ErrAlreadyExists:
		return codeIn(e.Code, []string{"ERROR_NON_UNIQUE_DATAFIELD", "ERROR_ADDRESSBOOK_DUPLICATE"})
	case ErrSuppressed:
		return codeIn(e.Code, []string{"ERROR_CONTACT_SUPPRESSED", "ERROR_CONTACT_SUPPRESSEDFORADDRESSBOOK"})
	case ErrAuth:
		return e.Status == 401 || e.Status == 403 || codeIn(e.Code, authCodes)
	case ErrInvalidEmail:
		return codeIs(e.Code, "ERROR_INVALID_EMAIL") ||
			(codeIs(e.Code, "ERROR_PARAMETER_INVALID") && strings.Contains(strings.ToLower(e.Message), "email"))
	case ErrRateLimited:
		return e.Status == 429 || codeIs(e.Code, "ERROR_APIUSAGE_EXCEEDED")
	}
	return false
}

var (
	// retryableCodes: reference §8.2 "Retry? Yes" rows and the v3 concurrency limits.
	retryableCodes = []string{
		"contacts:tooManyActiveImports", "contacts:tooManyBulkDeleteJobs",
		"insightData:tooManyActiveImports",
		"ERROR_ADDRESSBOOK_IN_USE", "ERROR_IMPORT_TOOMANYACTIVEIMPORTS", "ERROR_APIUSAGE_EXCEEDED",
		"ERROR_SYSTEM_SERVICETEMPORARILYUNAVAILABLE", "ERROR_UNKNOWN",
	}
	contactNotFoundCodes = []string{"contacts:contactNotFound", "insightData:contactNotFound", "ERROR_CONTACT_NOT_FOUND"}
	notFoundCodes        = []string{
		"contacts:contactNotFound", "contacts:importNotFound", "insightData:contactNotFound",
		"insightData:collectionNotFound", "insightData:recordNotFound", "insightData:importNotFound",
		"ERROR_CONTACT_NOT_FOUND", "ERROR_ADDRESSBOOK_NOT_FOUND", "ERROR_DATAFIELD_NOTFOUND",
		"ERROR_TRANSACTIONAL_DATA_DOES_NOT_EXIST",
	}
	authCodes = []string{"ERROR_INVALID_LOGIN", "ERROR_APIUSER_INVALID", "ERROR_APIUSER_NOT_FOUND"}
)

func codeIs(code, want string) bool { return code != "" && strings.EqualFold(code, want) }

func codeIn(code string, set []string) bool {
	for _, w := range set {
		if codeIs(code, w) {
			return true
		}
	}
	return false
}

// RateLimitedError is a 429 (tiered per-minute limits or concurrency limits
// such as contacts:tooManyActiveImports) or the flat scheme's
// ERROR_APIUSAGE_EXCEEDED. RetryAfter is when the budget is expected back.
// It unwraps to the *APIError that carried it.
type RateLimitedError struct {
	RetryAfter time.Duration
	Scope      string
	Err        *APIError
}

func (e *RateLimitedError) Error() string {
	scope := e.Scope
	if scope == "" {
		scope = "unknown"
	}
	return fmt.Sprintf("dotdigital: rate limited (scope %s), retry after %s: %v", scope, e.RetryAfter, e.Err)
}

func (e *RateLimitedError) Unwrap() error { return e.Err }

// Retryable is always true: the budget comes back.
func (e *RateLimitedError) Retryable() bool { return true }

func (e *RateLimitedError) Is(target error) bool { return target == ErrRateLimited }

// TransportError is a failure to get a complete response: connection errors,
// timeouts (Config.Timeout or the caller's deadline), truncated bodies. Err
// never holds the request URL.
type TransportError struct {
	Method  string
	Route   string
	Timeout bool
	Err     error
}

func (e *TransportError) Error() string {
	kind := "transport error"
	if e.Timeout {
		kind = "timeout"
	}
	return fmt.Sprintf("dotdigital: %s %s: %s: %v", e.Method, e.Route, kind, e.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }

// Retryable is true except when the caller cancelled the context.
func (e *TransportError) Retryable() bool { return !errors.Is(e.Err, context.Canceled) }

// ValidationError is an argument refused before any request was sent. It
// never echoes the offending value when that value could be personal data.
type ValidationError struct {
	Field  string
	Reason string
	class  error // ErrInvalidEmail or ErrInvalidArgument
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("dotdigital: invalid %s: %s", e.Field, e.Reason)
}

func (e *ValidationError) Is(target error) bool {
	return target == ErrInvalidArgument || target == e.class
}

// Retryable is false: the same arguments will be refused again.
func (e *ValidationError) Retryable() bool { return false }

func invalidArg(field, reason string) error {
	return &ValidationError{Field: field, Reason: reason, class: ErrInvalidArgument}
}

func invalidArgf(field, format string, args ...any) error {
	return invalidArg(field, fmt.Sprintf(format, args...))
}

// DecodeError is a 2xx answer whose body could not be decoded.
type DecodeError struct {
	Method string
	Route  string
	Status int
	Err    error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("dotdigital: %s %s: %d: malformed response body: %v", e.Method, e.Route, e.Status, e.Err)
}

func (e *DecodeError) Unwrap() error        { return e.Err }
func (e *DecodeError) Is(target error) bool { return target == ErrMalformedResponse }
func (e *DecodeError) Retryable() bool      { return false }

// EmailConflictError is ChangeEmail's answer when the new email already
// belongs to another contact (409 contacts:idAlreadyExists). Both contacts
// are left as they were.
type EmailConflictError struct{ Err *APIError }

func (e *EmailConflictError) Error() string {
	return "dotdigital: change email: the new email already belongs to another contact: " + e.Err.Error()
}

func (e *EmailConflictError) Unwrap() error   { return e.Err }
func (e *EmailConflictError) Retryable() bool { return false }

// ImportFailedError is a bulk import that ended in a failed status
// (e.g. RejectedByWatchdog, Failed).
type ImportFailedError struct {
	Kind     string // "contacts" or "insight"
	ImportID string
	Status   string
}

func (e *ImportFailedError) Error() string {
	return fmt.Sprintf("dotdigital: %s import %s ended with status %q", e.Kind, e.ImportID, e.Status)
}

func (e *ImportFailedError) Is(target error) bool { return target == ErrImportFailed }
func (e *ImportFailedError) Retryable() bool      { return false }

// InsightRecordError is one record an insight import rejected.
type InsightRecordError struct {
	Key           string
	FailureReason string
	Details       []string
}

func (e *InsightRecordError) Error() string {
	return fmt.Sprintf("dotdigital: insight record %q rejected: %s", e.Key, e.FailureReason)
}

func (e *InsightRecordError) Is(target error) bool {
	return target == ErrContactEmailDoesNotExist && strings.EqualFold(e.FailureReason, FailureContactEmailDoesNotExist)
}

// Retryable: a record whose contact did not exist yet succeeds once the
// contact is created; other rejections are data problems.
func (e *InsightRecordError) Retryable() bool { return errors.Is(e, ErrContactEmailDoesNotExist) }

// Retryable reports whether err is worth retrying later: 429, 5xx, the
// retryable codes of reference §8.2, network errors and timeouts.
func Retryable(err error) bool {
	var r interface{ Retryable() bool }
	if errors.As(err, &r) {
		return r.Retryable()
	}
	return false
}

// RetryAfter returns how long to wait before retrying when the server said
// so (rate limits); false when err carries no such hint.
func RetryAfter(err error) (time.Duration, bool) {
	var rl *RateLimitedError
	if errors.As(err, &rl) {
		return rl.RetryAfter, true
	}
	return 0, false
}

// IsNotFound reports any not-found answer (404 or a *NotFound code).
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// IsContactNotFound reports that the contact addressed does not exist
// (contacts:contactNotFound, insightData:contactNotFound, ERROR_CONTACT_NOT_FOUND).
func IsContactNotFound(err error) bool { return errors.Is(err, ErrContactNotFound) }

// IsCollectionNotFound reports insightData:collectionNotFound.
func IsCollectionNotFound(err error) bool { return errors.Is(err, ErrCollectionNotFound) }

// IsConflict reports an identifier conflict (409, contacts:idAlreadyExists).
func IsConflict(err error) bool { return errors.Is(err, ErrConflict) }

// IsContactEmailDoesNotExist reports an insight record rejected because its
// contact does not exist (yet).
func IsContactEmailDoesNotExist(err error) bool { return errors.Is(err, ErrContactEmailDoesNotExist) }

// IsInvalidEmail reports an email refused by this package or by Dotdigital.
func IsInvalidEmail(err error) bool { return errors.Is(err, ErrInvalidEmail) }

// IsAuth reports bad credentials or a forbidden call (401, 403 after rediscovery).
func IsAuth(err error) bool { return errors.Is(err, ErrAuth) }

// IsRateLimited reports a *RateLimitedError.
func IsRateLimited(err error) bool { return errors.Is(err, ErrRateLimited) }

// retryClass names err's class for span attributes and logs.
func retryClass(err error) string {
	switch {
	case err == nil:
		return "none"
	case IsRateLimited(err):
		return "rate_limited"
	case Retryable(err):
		return "retryable"
	default:
		return "permanent"
	}
}

// redactEmails replaces every whitespace-separated token containing '@'.
func redactEmails(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	fields := strings.Fields(s)
	for i, f := range fields {
		if strings.Contains(f, "@") {
			fields[i] = "[redacted]"
		}
	}
	return strings.Join(fields, " ")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

func errMissing(field string) error { return fmt.Errorf("response lacks %s", field) }
