package dotdigital

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

const contactReportJSON = `{"importId": "d7de900d", "status": "Finished",
 "summary": {"newContacts": 1, "updatedContacts": 1, "globallySuppressed": 0, "invalidEntries": 1, "duplicateIdentifiers": 0},
 "created": [{"contactId": 1, "identifiers": {"email": "New@x.com"}}],
 "updated": [{"contactId": 2, "identifiers": {"email": "old@x.com"}}],
 "failures": [
   {"matchIdentifier": "email", "identifiers": {"email": "bob@x@y"}, "failures": [{"failureCode": "InvalidEmail", "description": "Invalid value for 'email'"}]},
   {"contactId": 2, "matchIdentifier": "email", "identifiers": {"email": "old@x.com"}, "failures": [{"failureCode": "consentRecordsNotApplied", "description": "x"}]}]}`

func TestImportContacts(t *testing.T) {
	f := newFake(t, respond(202, `{"importId":"abc-123"}`))
	c := f.client(t)
	id, err := c.ImportContacts(ctxT(t), []ImportContact{
		{Email: " A@Example.com", DataFields: map[string]any{"FIRSTNAME": "A", "LASTNAME": nil}, Lists: []int64{3}},
		{Email: "b@example.com"},
	}, MergeOverwriteIfEmpty)
	mustNoErr(t, err)
	if id != "abc-123" {
		t.Errorf("id %q", id)
	}
	r := f.last(t)
	if r.Method != "PUT" || r.Path != "/contacts/v3/import" {
		t.Errorf("%s %s", r.Method, r.Path)
	}
	body := decodeBody(t, r.Body)
	if body["mergeOption"] != "overwriteIfEmpty" {
		t.Errorf("mergeOption %v", body["mergeOption"])
	}
	contacts := body["contacts"].([]any)
	first := contacts[0].(map[string]any)
	if first["matchIdentifier"] != "email" || first["identifiers"].(map[string]any)["email"] != "a@example.com" ||
		first["dataFields"].(map[string]any)["LASTNAME"] != nil || len(first["lists"].([]any)) != 1 {
		t.Errorf("first contact %v", first)
	}
	if _, has := first["channelProperties"]; has {
		t.Error("import must not send channelProperties")
	}
	if _, has := contacts[1].(map[string]any)["dataFields"]; has {
		t.Error("contact without fields must not send dataFields")
	}

	before := f.count()
	_, err = c.ImportContacts(ctxT(t), []ImportContact{{Email: "ok@example.com"}, {Email: "broken"}}, "")
	var ve *ValidationError
	if !errors.As(err, &ve) || !IsInvalidEmail(err) || ve.Field != "contacts[1].email" {
		t.Fatalf("got %v", err)
	}
	if _, err := c.ImportContacts(ctxT(t), nil, ""); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("empty import: %v", err)
	}
	if f.count() != before {
		t.Error("refused imports reached the server")
	}

	busy := newFake(t, respond(429, `{"errorCode":"contacts:tooManyActiveImports","description":"too many"}`))
	_, err = busy.client(t).ImportContacts(ctxT(t), []ImportContact{{Email: "a@example.com"}}, "")
	if d, ok := RetryAfter(err); !ok || d != importBusyRetryAfter || !Retryable(err) {
		t.Fatalf("too many imports: %v (%v)", err, d)
	}
	bad := newFake(t, respond(400, `{"errorCode":"contacts:badJson","description":"The request JSON is badly formed"}`))
	_, err = bad.client(t).ImportContacts(ctxT(t), []ImportContact{{Email: "a@example.com"}}, "")
	if Retryable(err) {
		t.Fatalf("badJson must not be retryable: %v", err)
	}
}

func TestContactImportStatus(t *testing.T) {
	f := newFake(t, respond(200, contactReportJSON))
	rep, err := f.client(t).ContactImportStatus(ctxT(t), "d7de900d")
	mustNoErr(t, err)
	if r := f.last(t); r.Path != "/contacts/v3/import/d7de900d" {
		t.Errorf("path %s", r.Path)
	}
	if !rep.Done() || rep.Failed() || rep.Pending() || rep.Summary.NewContacts != 1 || rep.Summary.InvalidEntries != 1 {
		t.Errorf("report %+v", rep)
	}
	if len(rep.Results) != 3 {
		t.Fatalf("results %+v", rep.Results)
	}
	created, ok := rep.Result("new@x.com")
	if !ok || created.Outcome != OutcomeCreated || created.ContactID != 1 {
		t.Errorf("created %+v", created)
	}
	updated, _ := rep.Result("OLD@x.com")
	if updated.Outcome != OutcomeUpdated || updated.ContactID != 2 || !updated.HasFailure("CONSENTRECORDSNOTAPPLIED") {
		t.Errorf("updated with partial failure %+v", updated)
	}
	failed, _ := rep.Result("bob@x@y")
	if failed.Outcome != OutcomeFailed || !failed.HasFailure(FailureInvalidEmail) || failed.HasFailure(FailureDuplicate) {
		t.Errorf("failed %+v", failed)
	}
	if fs := rep.Failures(); len(fs) != 1 || fs[0].Email != "bob@x@y" {
		t.Errorf("Failures() %+v", fs)
	}

	nf := newFake(t, respond(404, `{"errorCode":"contacts:importNotFound","description":"x"}`))
	_, err = nf.client(t).ContactImportStatus(ctxT(t), "nope")
	if !errors.Is(err, ErrImportNotFound) || !IsNotFound(err) {
		t.Fatalf("got %v", err)
	}
	bad := newFake(t, respond(200, `{"status": 12}`))
	_, err = bad.client(t).ContactImportStatus(ctxT(t), "x")
	if !errors.Is(err, ErrMalformedResponse) {
		t.Fatalf("got %v", err)
	}
}

func TestImportStatusVocabulary(t *testing.T) {
	cases := []struct {
		status                string
		done, pending, failed bool
	}{
		{"Finished", true, false, false},
		{"Complete", true, false, false},
		{"finished", true, false, false},
		{"NotStarted", false, true, false},
		{"NotFinished", false, true, false},
		{"Processing", false, true, false},
		{"RejectedByWatchdog", false, false, true},
		{"Failed", false, false, true},
		{"ExceedsAllowedContactLimit", false, false, true},
		{"SomethingNew", false, false, true},
		{"", false, false, true},
	}
	for _, tc := range cases {
		cr := ContactImportReport{Status: tc.status}
		ir := InsightImportReport{Status: tc.status}
		if cr.Done() != tc.done || cr.Pending() != tc.pending || cr.Failed() != tc.failed ||
			ir.Done() != tc.done || ir.Pending() != tc.pending || ir.Failed() != tc.failed {
			t.Errorf("%q: contact %v/%v/%v insight %v/%v/%v", tc.status, cr.Done(), cr.Pending(), cr.Failed(), ir.Done(), ir.Pending(), ir.Failed())
		}
	}
}

func TestWaitContactImport(t *testing.T) {
	var polls atomic.Int32
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		switch polls.Add(1) {
		case 1:
			writeRaw(w, 200, `{"importId":"i","status":"NotFinished"}`)
		case 2:
			w.Header().Set("X-RateLimit-Reset", "0")
			writeRaw(w, 429, ``)
		case 3:
			writeRaw(w, 503, ``)
		default:
			writeRaw(w, 200, contactReportJSON)
		}
	})
	rep, err := f.client(t).WaitContactImport(ctxT(t), "i", 10*time.Millisecond)
	mustNoErr(t, err)
	if !rep.Done() || polls.Load() != 4 {
		t.Errorf("done=%v polls=%d", rep.Done(), polls.Load())
	}

	failed := newFake(t, respond(200, `{"importId":"i","status":"RejectedByWatchdog"}`))
	rep, err = failed.client(t).WaitContactImport(ctxT(t), "i", time.Millisecond)
	var ife *ImportFailedError
	if !errors.As(err, &ife) || ife.Status != "RejectedByWatchdog" || !errors.Is(err, ErrImportFailed) || rep.Status != "RejectedByWatchdog" {
		t.Fatalf("got %v", err)
	}

	auth := newFake(t, respond(401, ``))
	if _, err := auth.client(t).WaitContactImport(ctxT(t), "i", time.Millisecond); !IsAuth(err) {
		t.Fatalf("non-retryable error must end the wait: %v", err)
	}
	if auth.count() != 1 {
		t.Errorf("polled %d times after a 401", auth.count())
	}

	pending := newFake(t, respond(200, `{"importId":"i","status":"NotFinished"}`))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := pending.client(t).WaitContactImport(ctx, "i", 5*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
}
