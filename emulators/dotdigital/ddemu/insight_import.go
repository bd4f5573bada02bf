package ddemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// insightImport is a PUT /insightData/v3/import job.
type insightImport struct {
	id      string
	status  string
	name    string
	scope   string
	typ     string
	records []insightRecordIn
	report  insightReport
}

type insightRecordIn struct {
	Key             json.RawMessage  `json:"key"`
	ContactIdentity *contactIdentity `json:"contactIdentity"`
	JSON            json.RawMessage  `json:"json"`
}

type contactIdentity struct {
	Identifier string          `json:"identifier"`
	Value      json.RawMessage `json:"value"`
}

type insightSummary struct {
	TotalRecords  int `json:"totalRecords"`
	TotalImported int `json:"totalImported"`
	TotalRejected int `json:"totalRejected"`
}

type collectionOwner struct {
	OwnerType       string         `json:"ownerType"`
	ContactIdentity map[string]any `json:"contactIdentity,omitempty"`
}

type insightFailure struct {
	CollectionOwner collectionOwner `json:"collectionOwner"`
	FailureReason   string          `json:"failureReason"`
	Details         []string        `json:"details,omitempty"`
	Key             any             `json:"key"`
	JSON            json.RawMessage `json:"json,omitempty"`
}

type insightReport struct {
	ImportID       string           `json:"importId"`
	Status         string           `json:"status"`
	CollectionName string           `json:"collectionName,omitempty"`
	Summary        *insightSummary  `json:"summary,omitempty"`
	Failures       []insightFailure `json:"failures,omitempty"`
}

// PUT /insightData/v3/import : accept a bulk upsert of records; the
// collection is created (if missing) when the import is processed.
func (e *Emulator) importInsightV3(w http.ResponseWriter, r *http.Request, _ params) {
	var body struct {
		CollectionName  string            `json:"collectionName"`
		CollectionScope string            `json:"collectionScope"`
		CollectionType  string            `json:"collectionType"`
		Records         []insightRecordIn `json:"records"`
	}
	if !readJSON(w, r, apiInsightV3, &body) {
		return
	}
	if !validCollectionName(body.CollectionName) {
		v3Fail(w, apiInsightV3, http.StatusBadRequest, "invalidId", fmt.Sprintf("The collectionName value '%s' is invalid", body.CollectionName))
		return
	}
	scope, typ, ok := collectionKind(w, body.CollectionScope, body.CollectionType)
	if !ok {
		return
	}
	if len(body.Records) == 0 {
		v3Fail(w, apiInsightV3, http.StatusBadRequest, "badJson", "The request JSON is badly formed",
			errorDetail{Item: "records", Description: "At least one record is required"})
		return
	}
	e.st.mu.Lock()
	if col := e.st.collection(body.CollectionName); col != nil && col.scope != scope {
		e.st.mu.Unlock()
		v3Fail(w, apiInsightV3, http.StatusBadRequest, "invalidCollectionScope",
			fmt.Sprintf("The collection '%s' exists with scope '%s'", col.name, col.scope))
		return
	}
	active := 0
	for _, j := range e.st.insightImports {
		if j.status != jobFinished {
			active++
		}
	}
	if active >= maxActiveInsightImports {
		e.st.mu.Unlock()
		e.stats.update(func(s *Stats) { s.ImportsRejected++ })
		v3Fail(w, apiInsightV3, http.StatusTooManyRequests, "tooManyActiveImports",
			"Your import request cannot be accepted as too many imports are being processed for your account. Please wait for an import to complete and then resubmit.")
		return
	}
	j := &insightImport{id: newJobID(), status: jobNotStarted, name: body.CollectionName, scope: scope, typ: typ, records: body.Records}
	e.st.insightImports[j.id] = j
	queued := e.enqueue(jobInsightImport, len(j.records), func(t time.Time) { e.runInsightImport(j, t) })
	if !queued {
		delete(e.st.insightImports, j.id)
	}
	e.st.mu.Unlock()
	if !queued {
		v3Fail(w, apiInsightV3, http.StatusTooManyRequests, "tooManyActiveImports", "The import queue is full")
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"importId": j.id})
}

// GET /insightData/v3/import/{importId} : NotStarted, then Finished with the report.
func (e *Emulator) insightImportStatus(w http.ResponseWriter, _ *http.Request, p params) {
	id := p["importId"]
	if !validJobID(id) {
		v3Fail(w, apiInsightV3, http.StatusBadRequest, "invalidId", fmt.Sprintf("The id value '%s' is invalid for the identifier 'importId'", id))
		return
	}
	e.st.mu.RLock()
	j := e.st.insightImports[id]
	var rep insightReport
	if j != nil {
		rep = j.report
		rep.ImportID, rep.Status = j.id, j.status
	}
	e.st.mu.RUnlock()
	if j == nil {
		v3Fail(w, apiInsightV3, http.StatusNotFound, "importNotFound", fmt.Sprintf("The import request '%s' could not be found!", id))
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// runInsightImport validates each record and upserts the valid ones. Record
// JSON is checked outside the store lock; ownership and writes under it.
func (e *Emulator) runInsightImport(j *insightImport, t time.Time) {
	type checked struct {
		key    string
		body   []byte
		reason string
		detail string
	}
	rows := make([]checked, len(j.records))
	for i, rec := range j.records {
		ck := checked{}
		key, ok := recordKey(rec.Key)
		switch {
		case !ok:
			ck.reason, ck.detail = "InvalidClientKey", fmt.Sprintf("The key must be a string of 1-%d characters", maxRecordKeyLen)
		case len(rec.JSON) == 0 || bytes.Equal(bytes.TrimSpace(rec.JSON), []byte("null")):
			ck.reason, ck.detail = "InvalidJson", "The record has no json"
		default:
			ck.body, ck.reason, ck.detail = checkRecordJSON(rec.JSON)
		}
		ck.key = key
		rows[i] = ck
	}

	e.st.mu.Lock()
	rep := insightReport{CollectionName: j.name, Summary: &insightSummary{TotalRecords: len(j.records)}}
	col := e.st.collection(j.name)
	if col == nil {
		col = e.st.addCollection(j.name, j.scope, j.typ, t)
	}
	seen := map[string]bool{}
	for i, rec := range j.records {
		ck := rows[i]
		owner := collectionOwner{OwnerType: j.scope}
		if rec.ContactIdentity != nil {
			owner.ContactIdentity = map[string]any{"identifier": rec.ContactIdentity.Identifier, "value": rawEcho(rec.ContactIdentity.Value)}
		}
		reject := func(reason string, details ...string) {
			rep.Summary.TotalRejected++
			rep.Failures = append(rep.Failures, insightFailure{CollectionOwner: owner, FailureReason: reason,
				Details: details, Key: rawEcho(rec.Key), JSON: compactOrNil(rec.JSON)})
		}
		if ck.reason != "" {
			reject(ck.reason, ck.detail)
			continue
		}
		if seen[ck.key] {
			reject("DuplicateKey", fmt.Sprintf("The key '%s' appears more than once in this import", ck.key))
			continue
		}
		seen[ck.key] = true
		var ownerID int64
		if col.scope == scopeContact {
			c, reason := e.st.recordOwner(rec.ContactIdentity)
			if c == nil {
				reject(reason)
				continue
			}
			ownerID = c.id
			if existing := col.records[ck.key]; existing != nil && existing.owner != ownerID {
				reject("DuplicateKey", fmt.Sprintf("The key '%s' already belongs to a different contact", ck.key))
				continue
			}
		}
		e.st.upsertRecord(col, ck.key, ownerID, ck.body, t)
		rep.Summary.TotalImported++
	}
	j.report, j.status, j.records = rep, jobFinished, nil
	e.st.mu.Unlock()
	e.stats.update(func(s *Stats) { s.InsightImportsRun++ })
	e.log.Debug("insight import finished", "import", j.id, "imported", rep.Summary.TotalImported, "rejected", rep.Summary.TotalRejected)
}

// recordOwner resolves a record's contactIdentity; the reason names the failure when it cannot.
func (s *store) recordOwner(ci *contactIdentity) (*contact, string) {
	if ci == nil || ci.Identifier == "" {
		return nil, "InvalidContactIdentifier"
	}
	value, ok := jsonString(ci.Value)
	if n, isNum := jsonNumber(ci.Value); isNum {
		value, ok = n, true
	}
	id := canonicalIdentifier(ci.Identifier)
	if !ok || id == "" || value == "" {
		return nil, "InvalidContactIdentifier"
	}
	c, prob := s.findLive(id, value)
	if prob != lookupOK {
		return nil, "InvalidContactIdentifier"
	}
	if c == nil {
		switch id {
		case idEmail:
			return nil, "ContactEmailDoesNotExist"
		case idContactID:
			return nil, "ContactIdDoesNotExist"
		default:
			return nil, "ContactPhoneNumberDoesNotExist"
		}
	}
	return c, ""
}

// recordKey accepts a string key, or a number (the OAS example sends one) as its text.
func recordKey(raw json.RawMessage) (string, bool) {
	s, ok := jsonString(raw)
	if !ok || s == "" {
		if n, isNum := jsonNumber(raw); isNum {
			s, ok = n, true
		}
	}
	return s, ok && s != "" && len(s) <= maxRecordKeyLen
}

func rawEcho(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	v, err := decodeJSONValue(raw)
	if err != nil {
		return nil
	}
	return v
}

func compactOrNil(raw json.RawMessage) json.RawMessage {
	var buf bytes.Buffer
	if len(raw) == 0 || json.Compact(&buf, raw) != nil {
		return nil
	}
	return buf.Bytes()
}
