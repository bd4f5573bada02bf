package dotdigital

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParseErrorBody(t *testing.T) {
	cases := []struct {
		name     string
		status   int
		body     string
		code     string
		message  string
		details  []ErrorDetail
		contains string
	}{
		{name: "v2 sentence form", status: 400, body: `{"message":"Contact is suppressed. ERROR_CONTACT_SUPPRESSED"}`,
			code: "ERROR_CONTACT_SUPPRESSED", message: "Contact is suppressed. ERROR_CONTACT_SUPPRESSED"},
		{name: "v2 Error: form", status: 404, body: `{"message":"Error: ERROR_CONTACT_NOT_FOUND"}`,
			code: "ERROR_CONTACT_NOT_FOUND"},
		{name: "v2 capitalised key", status: 400, body: `{"Message":"Field already exists. ERROR_NON_UNIQUE_DATAFIELD"}`,
			code: "ERROR_NON_UNIQUE_DATAFIELD"},
		{name: "v2 code with trailing dot", status: 400, body: `{"message":"Error: ERROR_UNKNOWN."}`, code: "ERROR_UNKNOWN"},
		{name: "v2 without code", status: 401, body: `{"message":"Authorization has been denied for this request."}`,
			code: "", message: "Authorization has been denied for this request."},
		{name: "v3 with details description", status: 404,
			body: `{"errorCode":"contacts:contactNotFound","description":"The following contacts could not be found","details":[{"item":"unknown@emailsim.io","description":"Not found using the identifier 'email'"}]}`,
			code: "contacts:contactNotFound", message: "The following contacts could not be found",
			details: []ErrorDetail{{Item: "unknown@emailsim.io", Description: "Not found using the identifier 'email'"}}},
		{name: "v3 with details error", status: 400,
			body: `{"errorCode":"contacts:invalidId","description":"bad","details":[{"item":42,"error":"not valid"}]}`,
			code: "contacts:invalidId", message: "bad", details: []ErrorDetail{{Item: "42", Description: "not valid"}}},
		{name: "v3 string details", status: 400, body: `{"errorCode":"insightData:badJson","description":"x","details":["first"]}`,
			code: "insightData:badJson", details: []ErrorDetail{{Description: "first"}}},
		{name: "plain text", status: 502, body: "Bad Gateway from proxy", code: "", message: "Bad Gateway from proxy"},
		{name: "plain text with v2 code", status: 400, body: "Error: ERROR_APIUSAGE_EXCEEDED", code: "ERROR_APIUSAGE_EXCEEDED"},
		{name: "html", status: 503, body: "<html><body>Service Unavailable</body></html>", code: "", contains: "Service Unavailable"},
		{name: "empty", status: 401, body: "", code: "", message: "Unauthorized"},
		{name: "malformed JSON", status: 500, body: `{"errorCode": "contacts:`, code: "", contains: `{"errorCode"`},
		{name: "truncated v3 JSON keeps the code", status: 404, body: `{"errorCode":"contacts:contactNotFound","description":"xxxx`,
			code: "contacts:contactNotFound"},
		{name: "message of wrong type", status: 400, body: `{"message": 12}`, code: ""},
		{name: "lower-case code is no code", status: 400, body: `{"message":"something went error_x"}`, code: ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, msg, details := parseErrorBody(tc.status, []byte(tc.body))
			if code != tc.code {
				t.Errorf("code = %q, want %q", code, tc.code)
			}
			if tc.message != "" && msg != tc.message {
				t.Errorf("message = %q, want %q", msg, tc.message)
			}
			if tc.contains != "" && !strings.Contains(msg, tc.contains) {
				t.Errorf("message %q does not contain %q", msg, tc.contains)
			}
			if msg == "" {
				t.Error("message must never be empty")
			}
			if tc.details != nil && fmt.Sprint(details) != fmt.Sprint(tc.details) {
				t.Errorf("details = %+v, want %+v", details, tc.details)
			}
		})
	}
}

func TestAPIErrorRetryable(t *testing.T) {
	cases := []struct {
		status int
		code   string
		want   bool
	}{
		{429, "", true},
		{500, "", true},
		{503, "", true},
		{429, "contacts:tooManyActiveImports", true},
		{400, "ERROR_ADDRESSBOOK_IN_USE", true},
		{400, "ERROR_IMPORT_TOOMANYACTIVEIMPORTS", true},
		{400, "ERROR_APIUSAGE_EXCEEDED", true},
		{400, "ERROR_SYSTEM_SERVICETEMPORARILYUNAVAILABLE", true},
		{400, "error_unknown", true}, // codes compare case-insensitively
		{400, "contacts:badJson", false},
		{400, "contacts:invalidId", false},
		{401, "", false},
		{403, "", false},
		{404, "contacts:contactNotFound", false},
		{404, "insightData:collectionNotFound", false},
		{409, "contacts:idAlreadyExists", false},
		{400, "ERROR_CONTACT_SUPPRESSED", false},
		{400, "ERROR_NON_UNIQUE_DATAFIELD", false},
	}
	for _, tc := range cases {
		e := &APIError{Status: tc.status, Code: tc.code}
		if got := e.Retryable(); got != tc.want {
			t.Errorf("%d %s: Retryable = %v, want %v", tc.status, tc.code, got, tc.want)
		}
		if got := Retryable(fmt.Errorf("wrapped: %w", e)); got != tc.want {
			t.Errorf("%d %s: Retryable(wrapped) = %v, want %v", tc.status, tc.code, got, tc.want)
		}
	}
	if Retryable(nil) || Retryable(errors.New("plain")) || Retryable(context.Canceled) {
		t.Error("unclassified errors must not be retryable")
	}
}

func TestErrorClassesOverHTTP(t *testing.T) {
	cases := []struct {
		name      string
		status    int
		body      string
		is        []error
		isNot     []error
		retryable bool
	}{
		{"v3 contact not found", 404, `{"errorCode":"contacts:contactNotFound","description":"not found","details":[{"item":"jane@example.com","description":"x"}]}`,
			[]error{ErrContactNotFound, ErrNotFound}, []error{ErrCollectionNotFound, ErrConflict, ErrAuth}, false},
		{"v2 contact not found", 404, `{"message":"Error: ERROR_CONTACT_NOT_FOUND"}`,
			[]error{ErrContactNotFound, ErrNotFound}, nil, false},
		{"insight collection not found", 404, `{"errorCode":"insightData:collectionNotFound","description":"no"}`,
			[]error{ErrCollectionNotFound, ErrNotFound}, []error{ErrContactNotFound, ErrRecordNotFound}, false},
		{"insight contact not found", 404, `{"errorCode":"insightData:contactNotFound","description":"no"}`,
			[]error{ErrContactNotFound, ErrNotFound}, []error{ErrCollectionNotFound}, false},
		{"insight record not found", 404, `{"errorCode":"insightData:recordNotFound","description":"no"}`,
			[]error{ErrRecordNotFound, ErrNotFound}, []error{ErrCollectionNotFound, ErrContactNotFound}, false},
		{"404 without body", 404, ``, []error{ErrNotFound}, []error{ErrContactNotFound}, false},
		{"conflict", 409, `{"errorCode":"contacts:idAlreadyExists","description":"The id value 'jane@example.com' already exists"}`,
			[]error{ErrConflict}, []error{ErrNotFound}, false},
		{"401 v2 body", 401, `{"message":"Authorization has been denied for this request."}`, []error{ErrAuth}, nil, false},
		{"401 empty", 401, ``, []error{ErrAuth}, nil, false},
		{"invalid email v2", 400, `{"message":"Email is not a valid email address. ERROR_PARAMETER_INVALID"}`,
			[]error{ErrInvalidEmail}, []error{ErrNotFound}, false},
		{"other invalid parameter", 400, `{"message":"Select is out of range. ERROR_PARAMETER_INVALID"}`,
			nil, []error{ErrInvalidEmail}, false},
		{"suppressed", 400, `{"message":"Contact is suppressed. ERROR_CONTACT_SUPPRESSED"}`, []error{ErrSuppressed}, nil, false},
		{"datafield exists", 400, `{"message":"Field already exists. ERROR_NON_UNIQUE_DATAFIELD"}`, []error{ErrAlreadyExists}, nil, false},
		{"5xx", 500, `{"message":"An error has occurred."}`, nil, []error{ErrNotFound}, true},
		{"address book in use", 400, `{"message":"Error: ERROR_ADDRESSBOOK_IN_USE"}`, nil, nil, true},
		{"maintenance", 503, `{"message":"Error: ERROR_SYSTEM_SERVICETEMPORARILYUNAVAILABLE"}`, nil, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, respond(tc.status, tc.body))
			_, err := f.client(t).GetContact(ctxT(t), "Jane@Example.com")
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("want *APIError, got %T %v", err, err)
			}
			if apiErr.Status != tc.status || apiErr.Route != "/contacts/v3/email/{value}" || apiErr.Method != "GET" {
				t.Errorf("APIError = %+v", apiErr)
			}
			for _, want := range tc.is {
				if !errors.Is(err, want) {
					t.Errorf("errors.Is(err, %v) = false", want)
				}
			}
			for _, not := range tc.isNot {
				if errors.Is(err, not) {
					t.Errorf("errors.Is(err, %v) = true", not)
				}
			}
			if Retryable(err) != tc.retryable {
				t.Errorf("Retryable = %v, want %v", Retryable(err), tc.retryable)
			}
			assertNoSecrets(t, err, "jane@example.com")
		})
	}
}

func TestPredicates(t *testing.T) {
	nf := &APIError{Status: 404, Code: "contacts:contactNotFound"}
	if !IsNotFound(nf) || !IsContactNotFound(nf) || IsCollectionNotFound(nf) || IsConflict(nf) || IsAuth(nf) {
		t.Error("contactNotFound predicates wrong")
	}
	if !IsCollectionNotFound(&APIError{Status: 404, Code: "insightData:collectionNotFound"}) {
		t.Error("IsCollectionNotFound")
	}
	if !IsConflict(&EmailConflictError{Err: &APIError{Status: 409, Code: "contacts:idAlreadyExists"}}) {
		t.Error("IsConflict through EmailConflictError")
	}
	if !IsAuth(&APIError{Status: 403}) || !IsAuth(&APIError{Status: 400, Code: "ERROR_INVALID_LOGIN"}) {
		t.Error("IsAuth")
	}
	rec := &InsightRecordError{Key: "SO1", FailureReason: "contactemaildoesnotexist"}
	if !IsContactEmailDoesNotExist(rec) || !Retryable(rec) {
		t.Error("ContactEmailDoesNotExist must match case-insensitively and be retryable")
	}
	other := &InsightRecordError{Key: "SO1", FailureReason: "JsonContainsNestedArray"}
	if IsContactEmailDoesNotExist(other) || Retryable(other) {
		t.Error("other record failures are permanent")
	}
	ve := &ValidationError{Field: "email", Reason: "bad", class: ErrInvalidEmail}
	if !IsInvalidEmail(ve) || !errors.Is(ve, ErrInvalidArgument) || Retryable(ve) {
		t.Error("ValidationError classes")
	}
	if d, ok := RetryAfter(&RateLimitedError{RetryAfter: 3 * time.Second, Err: &APIError{Status: 429}}); !ok || d != 3*time.Second {
		t.Error("RetryAfter")
	}
	if _, ok := RetryAfter(nf); ok {
		t.Error("RetryAfter on a non-rate-limit error")
	}
}

func TestAPIErrorStringRedactsEmails(t *testing.T) {
	e := &APIError{Status: 409, Code: "contacts:idAlreadyExists", Method: "PATCH", Route: routeContactByEmail,
		Message: "The id value 'jane.doe@emailsim.io for the identifier 'email' already exists."}
	s := e.Error()
	if strings.Contains(s, "jane.doe") || !strings.Contains(s, "[redacted]") || !strings.Contains(s, "contacts:idAlreadyExists") {
		t.Errorf("Error() = %q", s)
	}
}

func TestMalformedSuccessBody(t *testing.T) {
	f := newFake(t, respond(200, `{"contactId": 12, "identifiers": {`))
	_, err := f.client(t).GetContact(ctxT(t), "jane@example.com")
	if !errors.Is(err, ErrMalformedResponse) {
		t.Fatalf("want ErrMalformedResponse, got %v", err)
	}
	if Retryable(err) {
		t.Error("malformed body must not be retryable")
	}
	f2 := newFake(t, respond(200, ``))
	_, err = f2.client(t).GetContact(ctxT(t), "jane@example.com")
	if !errors.Is(err, ErrMalformedResponse) {
		t.Fatalf("empty body: want ErrMalformedResponse, got %v", err)
	}
	f3 := newFake(t, respond(200, `{"contactId":"not a number"}`))
	_, err = f3.client(t).GetContact(ctxT(t), "jane@example.com")
	if !errors.Is(err, ErrMalformedResponse) || strings.Contains(err.Error(), "not a number") {
		t.Fatalf("type mismatch: %v", err)
	}
}

func TestNoCredentialsInRequestsOrErrors(t *testing.T) {
	f := newFake(t, respond(http.StatusUnauthorized, ``))
	_, err := f.client(t).GetContact(ctxT(t), "jane@example.com")
	if !IsAuth(err) {
		t.Fatalf("want auth error, got %v", err)
	}
	assertNoSecrets(t, err, "jane@example.com", testUser)
	r := f.last(t)
	if r.AuthUser != testUser || r.AuthPass != testPassword {
		t.Errorf("basic auth not sent correctly: %q", r.AuthUser)
	}
}
