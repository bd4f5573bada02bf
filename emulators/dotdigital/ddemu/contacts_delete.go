package ddemu

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// deleteJob is a POST /contacts/v3/delete job.
type deleteJob struct {
	id      string
	status  string
	entries []map[string]json.RawMessage
	report  deleteReport
}

type deleteSummary struct {
	RequestedContacts int `json:"requestedContacts"`
	DeletedContacts   int `json:"deletedContacts"`
	UnknownContacts   int `json:"unknownContacts"`
	InvalidEntries    int `json:"invalidEntries"`
}

type deleteFailure struct {
	Identifier map[string]any        `json:"identifier"`
	Failures   []importFailureReason `json:"failures"`
}

type deleteReport struct {
	DeleteID string           `json:"deleteId"`
	Status   string           `json:"status"`
	Summary  *deleteSummary   `json:"summary,omitempty"`
	Deleted  []map[string]any `json:"deleted,omitempty"`
	Failures []deleteFailure  `json:"failures,omitempty"`
}

const maxBulkDelete = 5000

// POST /contacts/v3/delete : bulk delete by contactId, email or mobileNumber (async).
func (e *Emulator) bulkDeleteV3(w http.ResponseWriter, r *http.Request, _ params) {
	var entries []map[string]json.RawMessage
	if !readJSON(w, r, apiContactsV3, &entries) {
		return
	}
	if len(entries) == 0 {
		v3Fail(w, apiContactsV3, http.StatusBadRequest, "noContactsSpecified", "You must specifiy 1 or more contacts to be deleted!")
		return
	}
	if len(entries) > maxBulkDelete {
		v3Fail(w, apiContactsV3, http.StatusBadRequest, "tooManyContacts", fmt.Sprintf("At most %d contacts can be deleted in one request", maxBulkDelete))
		return
	}
	e.st.mu.Lock()
	active := 0
	for _, j := range e.st.deleteJobs {
		if j.status != jobFinished {
			active++
		}
	}
	if active >= maxActiveDeleteJobs {
		e.st.mu.Unlock()
		e.stats.update(func(s *Stats) { s.ImportsRejected++ })
		v3Fail(w, apiContactsV3, http.StatusTooManyRequests, "tooManyBulkDeleteJobs",
			"Your bulk delete request cannot be accepted as too many bulk delete jobs are being processed for you account. Please wait for a bulk delete job to complete and then resubmit.")
		return
	}
	j := &deleteJob{id: newJobID(), status: jobNotStarted, entries: entries}
	e.st.deleteJobs[j.id] = j
	queued := e.enqueue(jobContactDelete, len(entries), func(t time.Time) { e.runDelete(j, t) })
	if !queued {
		delete(e.st.deleteJobs, j.id)
	}
	e.st.mu.Unlock()
	if !queued {
		v3Fail(w, apiContactsV3, http.StatusTooManyRequests, "tooManyBulkDeleteJobs", "The delete queue is full")
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"deleteId": j.id})
}

// GET /contacts/v3/delete/{deleteId}
func (e *Emulator) deleteStatusV3(w http.ResponseWriter, _ *http.Request, p params) {
	id := p["deleteId"]
	if !validJobID(id) {
		v3Fail(w, apiContactsV3, http.StatusBadRequest, "invalidDeleteId", fmt.Sprintf("The id value '%s' is not a recognized deletion job identifier", id))
		return
	}
	e.st.mu.RLock()
	j := e.st.deleteJobs[id]
	var rep deleteReport
	if j != nil {
		rep = j.report
		rep.DeleteID, rep.Status = j.id, j.status
	}
	e.st.mu.RUnlock()
	if j == nil {
		v3Fail(w, apiContactsV3, http.StatusNotFound, "importNotFound", fmt.Sprintf("The import request '%s' could not be found!", id))
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func (e *Emulator) runDelete(j *deleteJob, t time.Time) {
	e.st.mu.Lock()
	rep := deleteReport{Summary: &deleteSummary{RequestedContacts: len(j.entries)}}
	for _, entry := range j.entries {
		echo := rawIdentifiers(entry)
		if len(entry) != 1 {
			rep.Summary.InvalidEntries++
			rep.Failures = append(rep.Failures, deleteFailure{Identifier: echo,
				Failures: []importFailureReason{{"invalidIdentifier", "Exactly one identifier must be given"}}})
			continue
		}
		for name, raw := range entry {
			value, ok := jsonString(raw)
			if n, isNum := jsonNumber(raw); isNum {
				value, ok = n, true
			}
			c, prob := e.st.findLive(name, value)
			switch {
			case !ok || prob != lookupOK:
				rep.Summary.InvalidEntries++
				code := "invalidIdentifier"
				if canonicalIdentifier(name) == idEmail {
					code = "invalidEmail"
				}
				rep.Failures = append(rep.Failures, deleteFailure{Identifier: echo,
					Failures: []importFailureReason{{code, fmt.Sprintf("Invalid value for '%s'", name)}}})
			case c == nil:
				rep.Summary.UnknownContacts++
				rep.Failures = append(rep.Failures, deleteFailure{Identifier: echo,
					Failures: []importFailureReason{{"contactNotFound", "The contact could not be found"}}})
			default:
				e.st.bin(c, t)
				rep.Summary.DeletedContacts++
				rep.Deleted = append(rep.Deleted, echo)
			}
		}
	}
	j.report, j.status, j.entries = rep, jobFinished, nil
	e.st.mu.Unlock()
	e.stats.update(func(s *Stats) { s.BulkDeletesRun++ })
}
