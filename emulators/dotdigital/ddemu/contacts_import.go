package ddemu

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// contactImport is a PUT /contacts/v3/import job.
type contactImport struct {
	id     string
	status string
	merge  mergeOption
	rows   []json.RawMessage
	report importReport
}

type importSummary struct {
	NewContacts          int `json:"newContacts"`
	UpdatedContacts      int `json:"updatedContacts"`
	GloballySuppressed   int `json:"globallySuppressed"`
	InvalidEntries       int `json:"invalidEntries"`
	DuplicateIdentifiers int `json:"duplicateIdentifiers"`
}

type importFailureReason struct {
	FailureCode string `json:"failureCode"`
	Description string `json:"description"`
}

type importFailure struct {
	ContactID       int64                 `json:"contactId,omitempty"`
	MatchIdentifier string                `json:"matchIdentifier"`
	Identifiers     map[string]any        `json:"identifiers"`
	Failures        []importFailureReason `json:"failures"`
}

type importReport struct {
	ImportID string          `json:"importId"`
	Status   string          `json:"status"`
	Summary  *importSummary  `json:"summary,omitempty"`
	Created  []contactRef    `json:"created,omitempty"`
	Updated  []contactRef    `json:"updated,omitempty"`
	Failures []importFailure `json:"failures,omitempty"`
}

// PUT /contacts/v3/import : accept a bulk upsert; it is processed asynchronously.
func (e *Emulator) importContactsV3(w http.ResponseWriter, r *http.Request, _ params) {
	var body struct {
		MergeOption string            `json:"mergeOption"`
		Contacts    []json.RawMessage `json:"contacts"`
	}
	if !readJSON(w, r, apiContactsV3, &body) {
		return
	}
	if len(body.Contacts) == 0 {
		v3Fail(w, apiContactsV3, http.StatusBadRequest, "badJson", "The request JSON is badly formed",
			errorDetail{Item: "contacts", Description: "At least one contact is required"})
		return
	}
	merge, ok := parseMergeOption(body.MergeOption)
	if !ok {
		v3Fail(w, apiContactsV3, http.StatusBadRequest, "badJson", "The request JSON is badly formed",
			errorDetail{Item: "mergeOption", Description: "mergeOption must be one of overwrite, overwriteIfNotEmpty, overwriteIfEmpty"})
		return
	}
	e.st.mu.Lock()
	active := 0
	for _, j := range e.st.contactImports {
		if j.status == jobNotFinished {
			active++
		}
	}
	if active >= maxActiveContactImports {
		e.st.mu.Unlock()
		e.stats.update(func(s *Stats) { s.ImportsRejected++ })
		v3Fail(w, apiContactsV3, http.StatusTooManyRequests, "tooManyActiveImports",
			"Your import request cannot be accepted as too many imports are being processed for you account. Please wait for an import to complete and then resubmit.")
		return
	}
	j := &contactImport{id: newJobID(), status: jobNotFinished, merge: merge, rows: body.Contacts}
	e.st.contactImports[j.id] = j
	queued := e.enqueue(jobContactImport, len(j.rows), func(t time.Time) { e.runContactImport(j, t) })
	if !queued {
		delete(e.st.contactImports, j.id)
	}
	e.st.mu.Unlock()
	if !queued {
		v3Fail(w, apiContactsV3, http.StatusTooManyRequests, "tooManyActiveImports", "The import queue is full")
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"importId": j.id})
}

// GET /contacts/v3/import/{importId}
func (e *Emulator) importStatusV3(w http.ResponseWriter, _ *http.Request, p params) {
	id := p["importId"]
	if !validJobID(id) {
		v3Fail(w, apiContactsV3, http.StatusBadRequest, "invalidId", fmt.Sprintf("The id value '%s' is invalid for the identifier 'importId'", id))
		return
	}
	e.st.mu.RLock()
	j := e.st.contactImports[id]
	var rep importReport
	if j != nil {
		rep = j.report
		rep.ImportID, rep.Status = j.id, j.status
	}
	e.st.mu.RUnlock()
	if j == nil {
		v3Fail(w, apiContactsV3, http.StatusNotFound, "importNotFound", fmt.Sprintf("The import request '%s' could not be found!", id))
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// runContactImport applies every row in order, under the store lock.
func (e *Emulator) runContactImport(j *contactImport, t time.Time) {
	var effects []writeEffects
	e.st.mu.Lock()
	rep := importReport{Summary: &importSummary{}}
	seen := map[string]bool{}
	skipSuppressed := e.skipSuppressed.Load()
	for _, raw := range j.rows {
		fx, done := e.st.importRow(raw, j.merge, t, seen, skipSuppressed, &rep)
		if done {
			effects = append(effects, fx)
		}
	}
	j.report, j.status, j.rows = rep, jobFinished, nil
	e.st.mu.Unlock()
	e.stats.update(func(s *Stats) { s.ContactImportsRun++ })
	for _, fx := range effects {
		e.countEffects(fx)
	}
	e.log.Debug("contact import finished", "import", j.id, "created", rep.Summary.NewContacts,
		"updated", rep.Summary.UpdatedContacts, "failures", len(rep.Failures))
}

// importRow upserts one import row; it reports whether a contact was written.
func (s *store) importRow(raw json.RawMessage, merge mergeOption, t time.Time, seen map[string]bool, skipSuppressed bool, rep *importReport) (writeEffects, bool) {
	var body v3ContactBody
	fail := func(c *contact, match string, ids map[string]any, reasons ...importFailureReason) {
		f := importFailure{MatchIdentifier: match, Identifiers: ids, Failures: reasons}
		if c != nil {
			f.ContactID = c.id
		}
		rep.Failures = append(rep.Failures, f)
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		rep.Summary.InvalidEntries++
		fail(nil, "", map[string]any{}, importFailureReason{"invalidContact", "The contact does not match the contact schema"})
		return writeEffects{}, false
	}
	ids := rawIdentifiers(body.Identifiers)
	match := canonicalIdentifier(body.MatchIdentifier)
	matchRaw, hasMatch := body.Identifiers[body.MatchIdentifier]
	if !hasMatch {
		for k, v := range body.Identifiers {
			if canonicalIdentifier(k) == match && match != "" {
				matchRaw, hasMatch = v, true
			}
		}
	}
	if match == "" || !hasMatch {
		rep.Summary.InvalidEntries++
		fail(nil, body.MatchIdentifier, ids, importFailureReason{"invalidMatchIdentifier",
			fmt.Sprintf("The matchIdentifier '%s' is not one of the contact's identifiers", body.MatchIdentifier)})
		return writeEffects{}, false
	}
	wr, probs := s.validate(&body)
	if hasFatal(probs) {
		rep.Summary.InvalidEntries++
		fail(nil, match, ids, reasonsOf(probs)...)
		return writeEffects{}, false
	}
	// Two rows naming one identifier: the first wins, later ones fail.
	var keys []string
	if wr.hasEmail {
		keys = append(keys, "e:"+wr.email)
	}
	if wr.hasMobile {
		keys = append(keys, "m:"+wr.mobile)
	}
	if wr.hasContactID {
		keys = append(keys, "c:"+strconv.FormatInt(wr.contactID, 10))
	}
	for _, k := range keys {
		if seen[k] {
			rep.Summary.DuplicateIdentifiers++
			fail(nil, match, ids, importFailureReason{"duplicateIdentifier", duplicateDescription(k)})
			return writeEffects{}, false
		}
	}
	for _, k := range keys {
		seen[k] = true
	}
	matchValue, _ := jsonString(matchRaw)
	if match == idContactID {
		matchValue = strconv.FormatInt(wr.contactID, 10)
	} else if match == idMobile {
		matchValue = wr.mobile
	}
	c, _ := s.find(match, matchValue)
	if c == nil && match == idContactID {
		rep.Summary.InvalidEntries++
		fail(nil, match, ids, importFailureReason{"contactNotFound", "The contact could not be found"})
		return writeEffects{}, false
	}
	if c != nil && skipSuppressed && c.globallySuppressed() {
		rep.Summary.GloballySuppressed++
		fail(c, match, ids, importFailureReason{"globallySuppressed", "The contact is suppressed at the account level, so can't be updated"})
		return writeEffects{}, false
	}
	if c == nil && !wr.hasEmail && !wr.hasMobile {
		rep.Summary.InvalidEntries++
		fail(nil, match, ids, importFailureReason{"noValidIdentifiers", "A new contact needs an email or mobileNumber identifier"})
		return writeEffects{}, false
	}
	if id, v := s.identifierConflict(c, &wr); id != "" {
		rep.Summary.DuplicateIdentifiers++
		fail(c, match, ids, importFailureReason{"duplicateIdentifier",
			fmt.Sprintf("The %s '%s' already belongs to another contact", id, v)})
		return writeEffects{}, false
	}
	isNew := c == nil
	if isNew {
		c = s.create(&wr, t)
		rep.Summary.NewContacts++
		rep.Created = append(rep.Created, c.ref())
	} else {
		s.setIdentifiers(c, &wr)
		rep.Summary.UpdatedContacts++
		rep.Updated = append(rep.Updated, c.ref())
	}
	fx := s.apply(c, &wr, merge, t, isNew)
	if len(probs) > 0 { // non-fatal: the contact was written, a sub-set was not
		fail(c, match, ids, reasonsOf(probs)...)
	}
	return fx, true
}

func duplicateDescription(key string) string {
	kind, v, _ := strings.Cut(key, ":")
	name := map[string]string{"e": "email", "m": "mobileNumber", "c": "contactId"}[kind]
	return fmt.Sprintf("Duplicate identifier detected for %s '%s'", name, v)
}

func reasonsOf(ps []problem) []importFailureReason {
	out := make([]importFailureReason, 0, len(ps))
	for _, p := range ps {
		out = append(out, importFailureReason{FailureCode: p.code, Description: p.description})
	}
	return out
}

// rawIdentifiers echoes the sent identifiers in failure reports.
func rawIdentifiers(m map[string]json.RawMessage) map[string]any {
	out := make(map[string]any, len(m))
	for k, raw := range m {
		v, err := decodeJSONValue(raw)
		if err == nil {
			out[k] = v
		}
	}
	return out
}
