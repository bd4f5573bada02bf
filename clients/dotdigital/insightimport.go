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
	routeInsightImport       = "/insightData/v3/import"
	routeInsightImportStatus = "/insightData/v3/import/{importId}"
)

// InsightImport is a bulk upsert of records into one collection. The
// collection is created by the import if missing. Scope "" means contact.
type InsightImport struct {
	CollectionName string
	Scope          string
	Type           string
	Records        []InsightRecord
}

// InsightRecord is one record of an import. Email identifies the owning
// contact (contact scope; must already exist) and is ignored for account
// scope. JSON must encode to a JSON object.
type InsightRecord struct {
	Key   string
	Email string
	JSON  any
}

type contactIdentityBody struct {
	Identifier string `json:"identifier"`
	Value      string `json:"value"`
}

type insightRecordBody struct {
	Key             string               `json:"key"`
	ContactIdentity *contactIdentityBody `json:"contactIdentity,omitempty"`
	JSON            json.RawMessage      `json:"json"`
}

type insightImportBody struct {
	CollectionName  string              `json:"collectionName"`
	CollectionScope string              `json:"collectionScope"`
	CollectionType  string              `json:"collectionType"`
	Records         []insightRecordBody `json:"records"`
}

// ImportInsight submits an asynchronous bulk upsert (PUT /insightData/v3/import)
// and returns its import id. Records whose contact does not exist are not
// refused here: they show up in the report as ContactEmailDoesNotExist.
func (c *Client) ImportInsight(ctx context.Context, imp InsightImport) (string, error) {
	if err := validateCollection(imp.CollectionName); err != nil {
		return "", err
	}
	scope := imp.Scope
	if scope == "" {
		scope = ScopeContact
	}
	scope, ok := canonicalOf(scope, ScopeContact, ScopeAccount)
	if !ok {
		return "", invalidArgf("scope", "%q is not contact or account", imp.Scope)
	}
	typ := imp.Type
	if typ == "" {
		typ = CollectionTypeCustom
	}
	if !isIdentifierWord(typ) {
		return "", invalidArgf("type", "%q is not a collection type", truncate(typ, 40))
	}
	if len(imp.Records) == 0 {
		return "", invalidArg("records", "at least one record is required")
	}
	body := insightImportBody{CollectionName: imp.CollectionName, CollectionScope: scope, CollectionType: typ,
		Records: make([]insightRecordBody, 0, len(imp.Records))}
	for i, rec := range imp.Records {
		field := "records[" + strconv.Itoa(i) + "]"
		if err := validateImportKey(rec.Key); err != nil {
			return "", invalidArgf(field+".key", "%v", err)
		}
		js, err := recordJSON(field+".json", rec.JSON)
		if err != nil {
			return "", err
		}
		rb := insightRecordBody{Key: rec.Key, JSON: js}
		if scope == ScopeContact {
			email, err := normaliseEmail(field+".email", rec.Email)
			if err != nil {
				return "", err
			}
			rb.ContactIdentity = &contactIdentityBody{Identifier: "email", Value: email}
		}
		body.Records = append(body.Records, rb)
	}
	r, err := jsonRequest("PUT", routeInsightImport, routeInsightImport, body)
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

// InsightImportSummary is the report's summary block.
type InsightImportSummary struct {
	TotalRecords  int `json:"totalRecords"`
	TotalImported int `json:"totalImported"`
	TotalRejected int `json:"totalRejected"`
}

// InsightImportFailure is one rejected record. Email is the owning
// contact's email (lower-cased) when the record was identified by email.
type InsightImportFailure struct {
	Key               string
	FailureReason     string
	Details           []string
	OwnerType         string
	ContactIdentifier string
	Email             string
	JSON              json.RawMessage
}

// Err returns the failure as an *InsightRecordError; it matches
// ErrContactEmailDoesNotExist for records whose contact does not exist.
func (f InsightImportFailure) Err() error {
	return &InsightRecordError{Key: f.Key, FailureReason: f.FailureReason, Details: f.Details}
}

// ContactEmailDoesNotExist reports the failure reason, case-insensitively.
func (f InsightImportFailure) ContactEmailDoesNotExist() bool {
	return strings.EqualFold(f.FailureReason, FailureContactEmailDoesNotExist)
}

// InsightImportReport is GET /insightData/v3/import/{id}.
type InsightImportReport struct {
	ImportID       string
	Status         string
	CollectionName string
	Summary        InsightImportSummary
	Failures       []InsightImportFailure
}

// Done reports success: Finished or Complete (the spec and its own example
// disagree, reference §5.2).
func (r InsightImportReport) Done() bool { return importDone(r.Status) }

// Pending reports NotStarted, NotFinished or Processing.
func (r InsightImportReport) Pending() bool { return importPending(r.Status) }

// Failed reports any other status (terminal).
func (r InsightImportReport) Failed() bool { return !r.Done() && !r.Pending() }

// MissingContacts returns the failures whose contact does not exist; they
// succeed once the contacts are created and the records are sent again.
func (r InsightImportReport) MissingContacts() []InsightImportFailure {
	var out []InsightImportFailure
	for _, f := range r.Failures {
		if f.ContactEmailDoesNotExist() {
			out = append(out, f)
		}
	}
	return out
}

type insightImportReportBody struct {
	ImportID       string               `json:"importId"`
	Status         string               `json:"status"`
	CollectionName string               `json:"collectionName"`
	Summary        InsightImportSummary `json:"summary"`
	Failures       []struct {
		CollectionOwner struct {
			OwnerType       string `json:"ownerType"`
			ContactIdentity struct {
				Identifier string          `json:"identifier"`
				Value      json.RawMessage `json:"value"`
			} `json:"contactIdentity"`
		} `json:"collectionOwner"`
		FailureReason string            `json:"failureReason"`
		Details       []json.RawMessage `json:"details"`
		Key           json.RawMessage   `json:"key"`
		JSON          json.RawMessage   `json:"json"`
	} `json:"failures"`
}

func decodeInsightImportReport(raw []byte) (InsightImportReport, error) {
	var b insightImportReportBody
	if err := json.Unmarshal(raw, &b); err != nil {
		return InsightImportReport{}, err
	}
	r := InsightImportReport{ImportID: b.ImportID, Status: b.Status, CollectionName: b.CollectionName, Summary: b.Summary}
	for _, f := range b.Failures {
		id := f.CollectionOwner.ContactIdentity
		out := InsightImportFailure{
			Key:               rawScalar(f.Key),
			FailureReason:     f.FailureReason,
			OwnerType:         f.CollectionOwner.OwnerType,
			ContactIdentifier: id.Identifier,
			JSON:              f.JSON,
		}
		if strings.EqualFold(id.Identifier, "email") {
			out.Email = strings.ToLower(strings.TrimSpace(rawScalar(id.Value)))
		}
		for _, d := range f.Details {
			out.Details = append(out.Details, rawScalar(d))
		}
		r.Failures = append(r.Failures, out)
	}
	return r, nil
}

// InsightImportStatus fetches the status and failures of an insight import.
// An unknown id is an error matching ErrImportNotFound.
func (c *Client) InsightImportStatus(ctx context.Context, importID string) (InsightImportReport, error) {
	if strings.TrimSpace(importID) == "" {
		return InsightImportReport{}, invalidArg("importId", "must not be empty")
	}
	var raw json.RawMessage
	r := request{method: "GET", route: routeInsightImportStatus, path: "/insightData/v3/import/" + url.PathEscape(importID)}
	status, err := c.do(ctx, r, &raw)
	if err != nil {
		return InsightImportReport{}, err
	}
	rep, err := decodeInsightImportReport(raw)
	if err != nil {
		return InsightImportReport{}, &DecodeError{Method: r.method, Route: r.route, Status: status, Err: jsonErrorWithoutData(err)}
	}
	if rep.ImportID == "" {
		rep.ImportID = importID
	}
	return rep, nil
}

// WaitInsightImport polls until the import ends, like WaitContactImport.
// A finished import can still have rejected records: see Failures and
// MissingContacts.
func (c *Client) WaitInsightImport(ctx context.Context, importID string, pollEvery time.Duration) (InsightImportReport, error) {
	return waitImport(ctx, pollEvery, func(ctx context.Context) (InsightImportReport, bool, error) {
		rep, err := c.InsightImportStatus(ctx, importID)
		if err != nil {
			return rep, false, err
		}
		if rep.Failed() {
			return rep, true, &ImportFailedError{Kind: "insight", ImportID: importID, Status: rep.Status}
		}
		return rep, rep.Done(), nil
	})
}
