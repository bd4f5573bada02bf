package dotdigital

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	routeContactImport       = "/contacts/v3/import"
	routeContactImportStatus = "/contacts/v3/import/{importId}"
)

// Contact import failure codes seen in the spec examples (camelCase) and the
// docs (PascalCase); compare with ImportFailure.Is, which ignores case.
const (
	FailureInvalidEmail          = "invalidEmail"
	FailureDuplicateIdentifier   = "duplicateIdentifier"
	FailureDuplicate             = "duplicate"
	FailureGloballySuppressed    = "globallySuppressed"
	FailureInvalidAddressBookIDs = "invalidAddressBookIds"
	FailureContactNotFound       = "contactNotFound"
)

// ImportContact is one contact of a bulk import (matched by email).
type ImportContact struct {
	Email      string
	DataFields map[string]any
	Lists      []int64
}

type importContactBody struct {
	MatchIdentifier string            `json:"matchIdentifier"`
	Identifiers     map[string]string `json:"identifiers"`
	DataFields      map[string]any    `json:"dataFields,omitempty"`
	Lists           []int64           `json:"lists,omitempty"`
}

type importContactsBody struct {
	MergeOption string              `json:"mergeOption,omitempty"`
	Contacts    []importContactBody `json:"contacts"`
}

type importIDBody struct {
	ImportID string `json:"importId"`
}

// ImportContacts submits an asynchronous bulk upsert (PUT /contacts/v3/import)
// and returns its import id. Like UpsertContact it never sends subscription
// status. Every email is validated first; one invalid email refuses the
// whole batch with a *ValidationError naming its index.
func (c *Client) ImportContacts(ctx context.Context, contacts []ImportContact, merge MergeOption) (string, error) {
	if len(contacts) == 0 {
		return "", invalidArg("contacts", "at least one contact is required")
	}
	body := importContactsBody{Contacts: make([]importContactBody, 0, len(contacts))}
	if merge != "" {
		v, err := merge.bodyValue()
		if err != nil {
			return "", err
		}
		body.MergeOption = v
	}
	for i, ic := range contacts {
		field := "contacts[" + strconv.Itoa(i) + "]"
		email, err := normaliseEmail(field+".email", ic.Email)
		if err != nil {
			return "", err
		}
		fields, err := dataFieldValues(ic.DataFields)
		if err != nil {
			return "", invalidArgf(field, "%v", err)
		}
		if err := validateLists(ic.Lists); err != nil {
			return "", invalidArgf(field, "%v", err)
		}
		body.Contacts = append(body.Contacts, importContactBody{
			MatchIdentifier: "email",
			Identifiers:     map[string]string{"email": email},
			DataFields:      fields,
			Lists:           ic.Lists,
		})
	}
	r, err := jsonRequest("PUT", routeContactImport, routeContactImport, body)
	if err != nil {
		return "", err
	}
	var out importIDBody
	status, err := c.do(ctx, r, &out)
	if err != nil {
		return "", err
	}
	if out.ImportID == "" {
		return "", &DecodeError{Method: r.method, Route: r.route, Status: status, Err: errMissing("importId")}
	}
	return out.ImportID, nil
}

// ImportFailure is one failure code of a contact in an import report.
type ImportFailure struct {
	Code        string
	Description string
}

// Is compares the failure code case-insensitively (the docs and the spec
// spell them differently, reference §3.1).
func (f ImportFailure) Is(code string) bool { return strings.EqualFold(f.Code, code) }

// ImportOutcome is what an import did with one contact.
type ImportOutcome string

const (
	OutcomeCreated ImportOutcome = "created"
	OutcomeUpdated ImportOutcome = "updated"
	OutcomeFailed  ImportOutcome = "failed"
)

// ContactImportResult is the result for one contact of an import. A contact
// can be created or updated and still carry failures (e.g. list or consent
// parts that did not apply); Outcome is Failed only when it was neither.
type ContactImportResult struct {
	Email     string
	ContactID int64
	Outcome   ImportOutcome
	Failures  []ImportFailure
}

// HasFailure reports whether the result carries the code (case-insensitive).
func (r ContactImportResult) HasFailure(code string) bool {
	for _, f := range r.Failures {
		if f.Is(code) {
			return true
		}
	}
	return false
}

// ContactImportSummary is the report's summary block.
type ContactImportSummary struct {
	NewContacts          int `json:"newContacts"`
	UpdatedContacts      int `json:"updatedContacts"`
	GloballySuppressed   int `json:"globallySuppressed"`
	InvalidEntries       int `json:"invalidEntries"`
	DuplicateIdentifiers int `json:"duplicateIdentifiers"`
}

// ContactImportReport is GET /contacts/v3/import/{id}.
type ContactImportReport struct {
	ImportID string
	Status   string
	Summary  ContactImportSummary
	// Results has one entry per contact the report mentions, in report order
	// (created, updated, then failures of contacts not already listed).
	Results []ContactImportResult
}

// Done reports a successful end (status Finished).
func (r ContactImportReport) Done() bool { return importDone(r.Status) }

// Pending reports a job still running (NotStarted, NotFinished, Processing).
func (r ContactImportReport) Pending() bool { return importPending(r.Status) }

// Failed reports a terminal failure: RejectedByWatchdog, Failed,
// ExceedsAllowedContactLimit, or any status this package does not know
// (treated as terminal so that waiting ends, reference §5.2).
func (r ContactImportReport) Failed() bool { return !r.Done() && !r.Pending() }

// Result returns the result for an email (normalised before comparing).
func (r ContactImportReport) Result(email string) (ContactImportResult, bool) {
	e := strings.ToLower(strings.TrimSpace(email))
	for _, res := range r.Results {
		if res.Email == e {
			return res, true
		}
	}
	return ContactImportResult{}, false
}

// Failures returns the results whose outcome is Failed.
func (r ContactImportReport) Failures() []ContactImportResult {
	var out []ContactImportResult
	for _, res := range r.Results {
		if res.Outcome == OutcomeFailed {
			out = append(out, res)
		}
	}
	return out
}

func importDone(status string) bool {
	return strings.EqualFold(status, "Finished") || strings.EqualFold(status, "Complete")
}

func importPending(status string) bool {
	for _, s := range []string{"NotStarted", "NotFinished", "Processing"} {
		if strings.EqualFold(status, s) {
			return true
		}
	}
	return false
}

type importedContactBody struct {
	ContactID   int64                      `json:"contactId"`
	Identifiers map[string]json.RawMessage `json:"identifiers"`
}

func (b importedContactBody) email() string {
	return strings.ToLower(strings.TrimSpace(rawScalar(b.Identifiers["email"])))
}

type contactImportReportBody struct {
	ImportID string                `json:"importId"`
	Status   string                `json:"status"`
	Summary  ContactImportSummary  `json:"summary"`
	Created  []importedContactBody `json:"created"`
	Updated  []importedContactBody `json:"updated"`
	Failures []struct {
		importedContactBody
		MatchIdentifier string `json:"matchIdentifier"`
		Failures        []struct {
			FailureCode string `json:"failureCode"`
			Description string `json:"description"`
		} `json:"failures"`
	} `json:"failures"`
}

func decodeContactImportReport(raw []byte) (ContactImportReport, error) {
	var b contactImportReportBody
	if err := json.Unmarshal(raw, &b); err != nil {
		return ContactImportReport{}, err
	}
	return b.report(), nil
}

func (b contactImportReportBody) report() ContactImportReport {
	r := ContactImportReport{ImportID: b.ImportID, Status: b.Status, Summary: b.Summary}
	index := map[string]int{} // email -> position in Results
	add := func(ic importedContactBody, o ImportOutcome) int {
		e := ic.email()
		if i, ok := index[e]; ok && e != "" {
			return i
		}
		r.Results = append(r.Results, ContactImportResult{Email: e, ContactID: ic.ContactID, Outcome: o})
		if e != "" {
			index[e] = len(r.Results) - 1
		}
		return len(r.Results) - 1
	}
	for _, ic := range b.Created {
		add(ic, OutcomeCreated)
	}
	for _, ic := range b.Updated {
		add(ic, OutcomeUpdated)
	}
	for _, f := range b.Failures {
		i := add(f.importedContactBody, OutcomeFailed)
		if r.Results[i].ContactID == 0 {
			r.Results[i].ContactID = f.ContactID
		}
		for _, fc := range f.Failures {
			r.Results[i].Failures = append(r.Results[i].Failures, ImportFailure{Code: fc.FailureCode, Description: fc.Description})
		}
	}
	return r
}

// ContactImportStatus fetches the status and report of a contact import.
// An unknown id is an error matching ErrImportNotFound.
func (c *Client) ContactImportStatus(ctx context.Context, importID string) (ContactImportReport, error) {
	if strings.TrimSpace(importID) == "" {
		return ContactImportReport{}, invalidArg("importId", "must not be empty")
	}
	var raw json.RawMessage
	r := request{method: "GET", route: routeContactImportStatus, path: "/contacts/v3/import/" + url.PathEscape(importID)}
	status, err := c.do(ctx, r, &raw)
	if err != nil {
		return ContactImportReport{}, err
	}
	rep, err := decodeContactImportReport(raw)
	if err != nil {
		return ContactImportReport{}, &DecodeError{Method: r.method, Route: r.route, Status: status, Err: jsonErrorWithoutData(err)}
	}
	if rep.ImportID == "" {
		rep.ImportID = importID
	}
	return rep, nil
}

// WaitContactImport polls until the import ends. It returns the final report
// and, for a failed import, an *ImportFailedError. Retryable errors while
// polling (rate limits, 5xx, timeouts) are waited out; others end the wait.
// pollEvery <= 0 means 5 s.
func (c *Client) WaitContactImport(ctx context.Context, importID string, pollEvery time.Duration) (ContactImportReport, error) {
	return waitImport(ctx, pollEvery, func(ctx context.Context) (ContactImportReport, bool, error) {
		rep, err := c.ContactImportStatus(ctx, importID)
		if err != nil {
			return rep, false, err
		}
		if rep.Failed() {
			return rep, true, &ImportFailedError{Kind: "contacts", ImportID: importID, Status: rep.Status}
		}
		return rep, rep.Done(), nil
	})
}

// waitImport runs poll until it reports done, sleeping pollEvery between
// polls (or the server's RetryAfter after a rate limit).
func waitImport[T any](ctx context.Context, pollEvery time.Duration, poll func(context.Context) (T, bool, error)) (T, error) {
	if pollEvery <= 0 {
		pollEvery = 5 * time.Second
	}
	for {
		rep, done, err := poll(ctx)
		wait := pollEvery
		switch {
		case done:
			return rep, err
		case err != nil && !Retryable(err):
			return rep, err
		case err != nil:
			if d, ok := RetryAfter(err); ok && d > wait {
				wait = d
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			var zero T
			return zero, ctx.Err()
		case <-t.C:
		}
	}
}
