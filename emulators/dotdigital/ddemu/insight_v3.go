package ddemu

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"time"
)

type insightRecordOut struct {
	Key            string          `json:"key"`
	JSON           json.RawMessage `json:"json"`
	Created        string          `json:"created"`
	Updated        string          `json:"updated"`
	OwnerContactID int64           `json:"ownerContactId,omitempty"`
}

func (r *insightRecord) out() insightRecordOut {
	return insightRecordOut{Key: r.key, JSON: r.json, Created: formatTime(r.created), Updated: formatTime(r.updated), OwnerContactID: r.owner}
}

type collectionSummary struct {
	CollectionName  string `json:"collectionName"`
	CollectionType  string `json:"collectionType"`
	CollectionScope string `json:"collectionScope"`
	RecordCount     int    `json:"recordCount"`
}

func answerCollectionNotFound(w http.ResponseWriter, name string) {
	v3Fail(w, apiInsightV3, http.StatusNotFound, "collectionNotFound", "The collection could not be found",
		errorDetail{Item: name, Description: "Not found"})
}

func answerRecordNotFound(w http.ResponseWriter, col, key string) {
	v3Fail(w, apiInsightV3, http.StatusNotFound, "recordNotFound", "The Insight data record could not be found",
		errorDetail{Item: key, Description: fmt.Sprintf("Not found in the contacts collection '%s'", col)})
}

// contactCollection resolves the contact and contact-scoped collection of a
// path; it answers errors itself (collection first, as the Adobe app's
// fallback to bulk import relies on collectionNotFound) and returns nils then.
func (e *Emulator) contactCollection(w http.ResponseWriter, p params) (*contact, *collection) {
	name := p["collection"]
	if !validCollectionName(name) {
		v3Fail(w, apiInsightV3, http.StatusBadRequest, "invalidId", fmt.Sprintf("The collectionName value '%s' is invalid", name))
		return nil, nil
	}
	col := e.st.collection(name)
	if col == nil || col.scope != scopeContact {
		answerCollectionNotFound(w, name)
		return nil, nil
	}
	c, prob := e.st.findLive(p["identifier"], p["value"])
	if prob != lookupOK {
		answerLookupProblem(w, apiInsightV3, prob, p["identifier"], p["value"])
		return nil, nil
	}
	if c == nil {
		answerContactNotFound(w, apiInsightV3, p["identifier"], p["value"])
		return nil, nil
	}
	return c, col
}

// accountCollection resolves an account-scoped collection.
func (e *Emulator) accountCollection(w http.ResponseWriter, name string) *collection {
	if !validCollectionName(name) {
		v3Fail(w, apiInsightV3, http.StatusBadRequest, "invalidId", fmt.Sprintf("The collectionName value '%s' is invalid", name))
		return nil
	}
	col := e.st.collection(name)
	if col == nil || col.scope != scopeAccount {
		answerCollectionNotFound(w, name)
		return nil
	}
	return col
}

// readRecordBody reads a single-record PUT body: the record's JSON object itself.
func readRecordBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		v3Fail(w, apiInsightV3, http.StatusRequestEntityTooLarge, "requestTooLarge", "The request body exceeds 50 MB")
		return nil, false
	}
	compact, reason, detail := checkRecordJSON(raw)
	if reason != "" {
		v3Fail(w, apiInsightV3, http.StatusBadRequest, "badJson", "The request JSON is badly formed",
			errorDetail{Item: reason, Description: detail})
		return nil, false
	}
	return compact, true
}

func validRecordKey(w http.ResponseWriter, key string) bool {
	if key == "" || len(key) > maxRecordKeyLen {
		v3Fail(w, apiInsightV3, http.StatusBadRequest, "invalidId", fmt.Sprintf("The record id must be 1-%d characters", maxRecordKeyLen))
		return false
	}
	return true
}

// PUT /insightData/v3/contacts/{identifier}/{value}/{collection}/{recordId} : 201 created, 204 replaced.
func (e *Emulator) putContactRecord(w http.ResponseWriter, r *http.Request, p params) {
	key := p["recordId"]
	if !validRecordKey(w, key) {
		return
	}
	body, ok := readRecordBody(w, r)
	if !ok {
		return
	}
	t := now()
	e.st.mu.Lock()
	defer e.st.mu.Unlock()
	c, col := e.contactCollection(w, p)
	if col == nil {
		return
	}
	if rec := col.records[key]; rec != nil && rec.owner != c.id {
		v3Fail(w, apiInsightV3, http.StatusConflict, "idAlreadyExists",
			fmt.Sprintf("The record key '%s' already exists in collection '%s' for a different contact", key, col.name))
		return
	}
	if e.st.upsertRecord(col, key, c.id, body, t) {
		writeEmpty(w, http.StatusCreated)
	} else {
		writeEmpty(w, http.StatusNoContent)
	}
}

// GET /insightData/v3/contacts/{identifier}/{value}/{collection}/{recordId}
func (e *Emulator) getContactRecord(w http.ResponseWriter, _ *http.Request, p params) {
	e.st.mu.RLock()
	defer e.st.mu.RUnlock()
	c, col := e.contactCollection(w, p)
	if col == nil {
		return
	}
	rec := col.records[p["recordId"]]
	if rec == nil || rec.owner != c.id {
		answerRecordNotFound(w, col.name, p["recordId"])
		return
	}
	writeJSON(w, http.StatusOK, rec.out())
}

// DELETE /insightData/v3/contacts/{identifier}/{value}/{collection}/{recordId} : 204.
func (e *Emulator) deleteContactRecord(w http.ResponseWriter, _ *http.Request, p params) {
	e.st.mu.Lock()
	defer e.st.mu.Unlock()
	c, col := e.contactCollection(w, p)
	if col == nil {
		return
	}
	rec := col.records[p["recordId"]]
	if rec == nil || rec.owner != c.id {
		answerRecordNotFound(w, col.name, p["recordId"])
		return
	}
	col.deleteRecord(rec)
	writeEmpty(w, http.StatusNoContent)
}

type deleteRecordsResult struct {
	Summary struct {
		TotalRecords  int `json:"totalRecords"`
		TotalDeleted  int `json:"totalDeleted"`
		TotalNotFound int `json:"totalNotFound"`
	} `json:"summary"`
	NotFound []string `json:"notFound"`
}

func readDeleteKeys(w http.ResponseWriter, r *http.Request) ([]string, bool) {
	var body struct {
		Keys []string `json:"keys"`
	}
	if !readJSON(w, r, apiInsightV3, &body) {
		return nil, false
	}
	if len(body.Keys) == 0 {
		v3Fail(w, apiInsightV3, http.StatusBadRequest, "noRecordsSpecified", "You must speify the keys for the records to be deleted from the collection.")
		return nil, false
	}
	if len(body.Keys) > 5000 {
		v3Fail(w, apiInsightV3, http.StatusBadRequest, "tooManyRecords", "At most 5000 keys can be deleted in one call")
		return nil, false
	}
	return body.Keys, true
}

func deleteKeys(col *collection, keys []string, owner int64) deleteRecordsResult {
	var res deleteRecordsResult
	res.NotFound = []string{}
	res.Summary.TotalRecords = len(keys)
	for _, k := range keys {
		rec := col.records[k]
		if rec == nil || rec.owner != owner {
			res.Summary.TotalNotFound++
			res.NotFound = append(res.NotFound, k)
			continue
		}
		col.deleteRecord(rec)
		res.Summary.TotalDeleted++
	}
	return res
}

// DELETE /insightData/v3/contacts/{identifier}/{value}/{collection}/deleteRecords body {"keys":[...]}
func (e *Emulator) deleteContactRecords(w http.ResponseWriter, r *http.Request, p params) {
	keys, ok := readDeleteKeys(w, r)
	if !ok {
		return
	}
	e.st.mu.Lock()
	defer e.st.mu.Unlock()
	c, col := e.contactCollection(w, p)
	if col == nil {
		return
	}
	writeJSON(w, http.StatusOK, deleteKeys(col, keys, c.id))
}

// DELETE /insightData/v3/accounts/{collection}/deleteRecords
func (e *Emulator) deleteAccountRecords(w http.ResponseWriter, r *http.Request, p params) {
	keys, ok := readDeleteKeys(w, r)
	if !ok {
		return
	}
	e.st.mu.Lock()
	defer e.st.mu.Unlock()
	col := e.accountCollection(w, p["collection"])
	if col == nil {
		return
	}
	writeJSON(w, http.StatusOK, deleteKeys(col, keys, 0))
}

// listRecords pages through recs (ascending seq) after pq.after, filtered by ~modified.
func (e *Emulator) listRecords(w http.ResponseWriter, r *http.Request, pq pageQuery, recs []*insightRecord, limit int, since time.Time) {
	i := sort.Search(len(recs), func(i int) bool { return recs[i].seq > pq.after })
	items := make([]insightRecordOut, 0, min(limit, 256))
	var last uint64
	more := false
	for ; i < len(recs); i++ {
		rec := recs[i]
		if rec.deleted || rec.updated.Before(since) {
			continue
		}
		if len(items) == limit {
			more = true
			break
		}
		items = append(items, rec.out())
		last = rec.seq
	}
	writeJSON(w, http.StatusOK, map[string]any{"_links": e.links(r, pq, last, more), "_items": items})
}

// recordPage parses ~modified/limit/marker of record listings. Collection-wide
// listings return at most 1000 items per page (OAS-I3 caps _items at 1000).
func recordPage(w http.ResponseWriter, r *http.Request, pageMax int) (pageQuery, int, time.Time, bool) {
	pq, ok := parsePageQuery(r, "~modified", "limit")
	if !ok {
		invalidFilter(w, apiInsightV3, "The marker value is invalid")
		return pq, 0, time.Time{}, false
	}
	limit, ok := pq.limit(min(pageMax, defaultPageLimit), maxPageLimit)
	if !ok {
		invalidFilter(w, apiInsightV3, "The limit must be between 1 and 5000")
		return pq, 0, time.Time{}, false
	}
	var since time.Time
	if s := pq.vals["~modified"]; s != "" {
		if since, ok = parseGteFilter(s); !ok {
			invalidFilter(w, apiInsightV3, "The filter value '"+s+"' is invalid")
			return pq, 0, time.Time{}, false
		}
	}
	return pq, min(limit, pageMax), since, true
}

// GET /insightData/v3/contacts/{identifier}/{value}/{collection}
func (e *Emulator) listContactRecords(w http.ResponseWriter, r *http.Request, p params) {
	pq, limit, since, ok := recordPage(w, r, maxPageLimit)
	if !ok {
		return
	}
	e.st.mu.RLock()
	defer e.st.mu.RUnlock()
	c, col := e.contactCollection(w, p)
	if col == nil {
		return
	}
	e.listRecords(w, r, pq, col.byOwner[c.id], limit, since)
}

// GET /insightData/v3/contacts/{collection} and /insightData/v3/account/{collection}
func (e *Emulator) listCollectionRecords(scope string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p params) {
		pq, limit, since, ok := recordPage(w, r, 1000)
		if !ok {
			return
		}
		e.st.mu.RLock()
		defer e.st.mu.RUnlock()
		name := p["collection"]
		if !validCollectionName(name) {
			v3Fail(w, apiInsightV3, http.StatusBadRequest, "invalidId", fmt.Sprintf("The collectionName value '%s' is invalid", name))
			return
		}
		col := e.st.collection(name)
		if col == nil || col.scope != scope {
			answerCollectionNotFound(w, name)
			return
		}
		e.listRecords(w, r, pq, col.order, limit, since)
	}
}

// PUT/GET/DELETE /insightData/v3/account/{collection}/{recordId}
func (e *Emulator) putAccountRecord(w http.ResponseWriter, r *http.Request, p params) {
	key := p["recordId"]
	if !validRecordKey(w, key) {
		return
	}
	body, ok := readRecordBody(w, r)
	if !ok {
		return
	}
	e.st.mu.Lock()
	defer e.st.mu.Unlock()
	col := e.accountCollection(w, p["collection"])
	if col == nil {
		return
	}
	if e.st.upsertRecord(col, key, 0, body, now()) {
		writeEmpty(w, http.StatusCreated)
	} else {
		writeEmpty(w, http.StatusNoContent)
	}
}

func (e *Emulator) getAccountRecord(w http.ResponseWriter, _ *http.Request, p params) {
	e.st.mu.RLock()
	defer e.st.mu.RUnlock()
	col := e.accountCollection(w, p["collection"])
	if col == nil {
		return
	}
	rec := col.records[p["recordId"]]
	if rec == nil {
		answerRecordNotFound(w, col.name, p["recordId"])
		return
	}
	writeJSON(w, http.StatusOK, rec.out())
}

func (e *Emulator) deleteAccountRecord(w http.ResponseWriter, _ *http.Request, p params) {
	e.st.mu.Lock()
	defer e.st.mu.Unlock()
	col := e.accountCollection(w, p["collection"])
	if col == nil {
		return
	}
	rec := col.records[p["recordId"]]
	if rec == nil {
		answerRecordNotFound(w, col.name, p["recordId"])
		return
	}
	col.deleteRecord(rec)
	writeEmpty(w, http.StatusNoContent)
}

// POST /insightData/v3/collections/{collection}?collectionScope=&collectionType= : 201 created, 200 exists.
func (e *Emulator) createCollection(w http.ResponseWriter, r *http.Request, p params) {
	name := p["collection"]
	if !validCollectionName(name) {
		v3Fail(w, apiInsightV3, http.StatusBadRequest, "invalidId", fmt.Sprintf("The collectionName value '%s' is invalid", name))
		return
	}
	scope, typ, ok := collectionKind(w, r.URL.Query().Get("collectionScope"), r.URL.Query().Get("collectionType"))
	if !ok {
		return
	}
	e.st.mu.Lock()
	defer e.st.mu.Unlock()
	if col := e.st.collection(name); col != nil {
		if col.scope != scope {
			v3Fail(w, apiInsightV3, http.StatusBadRequest, "invalidId",
				fmt.Sprintf("The collection '%s' already exists with scope '%s'", col.name, col.scope))
			return
		}
		writeEmpty(w, http.StatusOK)
		return
	}
	if len(e.st.collections) >= maxCollections {
		writeEmpty(w, http.StatusPreconditionFailed)
		return
	}
	e.st.addCollection(name, scope, typ, now())
	writeEmpty(w, http.StatusCreated)
}

// collectionKind validates scope and type (case-insensitive).
func collectionKind(w http.ResponseWriter, scope, typ string) (string, string, bool) {
	s, ok := oneOf(scope, scopeContact, scopeAccount)
	if !ok {
		v3Fail(w, apiInsightV3, http.StatusBadRequest, "invalidCollectionScope",
			fmt.Sprintf("The collectionScope value '%s' is invalid; use 'contact' or 'account'", scope))
		return "", "", false
	}
	t, ok := oneOf(typ, collectionTypes...)
	if !ok {
		v3Fail(w, apiInsightV3, http.StatusBadRequest, "invalidCollectionType",
			fmt.Sprintf("The collectionType value '%s' is invalid", typ))
		return "", "", false
	}
	return s, t, true
}

// GET /insightData/v3/collections and /insightData/v3/account
func (e *Emulator) listCollections(scope string) handlerFunc {
	return func(w http.ResponseWriter, _ *http.Request, _ params) {
		e.st.mu.RLock()
		out := []collectionSummary{}
		for _, col := range e.st.sortedCollections() {
			if scope == "" || col.scope == scope {
				out = append(out, collectionSummary{col.name, col.typ, col.scope, len(col.records)})
			}
		}
		e.st.mu.RUnlock()
		writeJSON(w, http.StatusOK, out)
	}
}

// GET /insightData/v3/contacts/{identifier}/{value} : the collections holding records of a contact.
func (e *Emulator) contactCollections(w http.ResponseWriter, _ *http.Request, p params) {
	e.st.mu.RLock()
	defer e.st.mu.RUnlock()
	c, prob := e.st.findLive(p["identifier"], p["value"])
	if prob != lookupOK {
		answerLookupProblem(w, apiInsightV3, prob, p["identifier"], p["value"])
		return
	}
	if c == nil {
		answerContactNotFound(w, apiInsightV3, p["identifier"], p["value"])
		return
	}
	out := []collectionSummary{}
	for _, col := range e.st.sortedCollections() {
		if n := len(col.byOwner[c.id]); n > 0 {
			out = append(out, collectionSummary{col.name, col.typ, col.scope, n})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// asyncJob is a collection delete/empty job (GET /insightData/v3/async/{jobId}).
type asyncJob struct {
	JobID   string `json:"jobId"`
	Status  string `json:"status"`
	Summary *struct {
		TotalRecords   int `json:"totalRecords"`
		TotalProcessed int `json:"totalProcessed"`
		TotalFailed    int `json:"totalFailed"`
	} `json:"summary,omitempty"`
}

// startAsync registers and queues a collection job; run returns the records processed.
func (e *Emulator) startAsync(w http.ResponseWriter, run func() int) {
	active := 0
	for _, j := range e.st.asyncJobs {
		if j.Status != jobFinished {
			active++
		}
	}
	if active >= maxActiveAsyncJobs {
		v3Fail(w, apiInsightV3, http.StatusTooManyRequests, "tooManyAsyncJobs", "Too many asynchronous jobs are running; retry later")
		return
	}
	j := &asyncJob{JobID: newJobID(), Status: jobNotStarted}
	e.st.asyncJobs[j.JobID] = j
	if !e.enqueue(jobInsightAsync, 0, func(time.Time) {
		e.st.mu.Lock()
		n := run()
		j.Status = jobFinished
		j.Summary = &struct {
			TotalRecords   int `json:"totalRecords"`
			TotalProcessed int `json:"totalProcessed"`
			TotalFailed    int `json:"totalFailed"`
		}{n, n, 0}
		e.st.mu.Unlock()
	}) {
		delete(e.st.asyncJobs, j.JobID)
		v3Fail(w, apiInsightV3, http.StatusTooManyRequests, "tooManyAsyncJobs", "The job queue is full")
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"jobId": j.JobID})
}

// DELETE /insightData/v3/collections/{collection} and /empty
func (e *Emulator) dropCollection(deleteIt bool) handlerFunc {
	return func(w http.ResponseWriter, _ *http.Request, p params) {
		name := p["collection"]
		if !validCollectionName(name) {
			v3Fail(w, apiInsightV3, http.StatusBadRequest, "invalidId", fmt.Sprintf("The collectionName value '%s' is invalid", name))
			return
		}
		e.st.mu.Lock()
		defer e.st.mu.Unlock()
		col := e.st.collection(name)
		if col == nil {
			answerCollectionNotFound(w, name)
			return
		}
		e.startAsync(w, func() int {
			n := col.empty()
			if deleteIt && e.st.collections[lower(col.name)] == col {
				delete(e.st.collections, lower(col.name))
			}
			return n
		})
	}
}

// DELETE /insightData/v3/contacts/{identifier}/{value}/{collection}/empty
func (e *Emulator) emptyContactCollection(w http.ResponseWriter, _ *http.Request, p params) {
	e.st.mu.Lock()
	defer e.st.mu.Unlock()
	c, col := e.contactCollection(w, p)
	if col == nil {
		return
	}
	e.startAsync(w, func() int {
		recs := slices.Clone(col.byOwner[c.id])
		for _, rec := range recs {
			col.deleteRecord(rec)
		}
		return len(recs)
	})
}

// GET /insightData/v3/async/{jobId}
func (e *Emulator) asyncStatus(w http.ResponseWriter, _ *http.Request, p params) {
	e.st.mu.RLock()
	j := e.st.asyncJobs[p["jobId"]]
	var out asyncJob
	if j != nil {
		out = *j
	}
	e.st.mu.RUnlock()
	if j == nil {
		v3Fail(w, apiInsightV3, http.StatusNotFound, "asyncJobNotFound", fmt.Sprintf("The job ID '%s' could not be found!", p["jobId"]))
		return
	}
	writeJSON(w, http.StatusOK, out)
}
