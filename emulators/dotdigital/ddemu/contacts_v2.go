package ddemu

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// v2 response forms of email channel statuses.
var v2StatusNames = map[string]string{
	statusSubscribed: "Subscribed", statusUnsubscribed: "Unsubscribed", statusSuppressed: "Suppressed",
	statusPendingOptIn: "PendingOptIn", statusNoSubscription: "Unsubscribed", "softBounced": "SoftBounced",
	"hardBounced": "HardBounced", "ispComplained": "IspComplained", "directComplaint": "DirectComplaint",
	"sharedsuppression": "SharedSuppression", "domainSuppressed": "DomainSuppression",
}

type v2DataField struct {
	Key   string `json:"key"`
	Value any    `json:"value"`
}

type v2ContactOut struct {
	ID         int64         `json:"id"`
	Email      string        `json:"email"`
	OptInType  string        `json:"optInType"`
	EmailType  string        `json:"emailType"`
	DataFields []v2DataField `json:"dataFields"`
	Status     string        `json:"status"`
}

type v2SuppressionOut struct {
	SuppressedContact v2ContactOut `json:"suppressedContact"`
	DateRemoved       string       `json:"dateRemoved"`
	Reason            string       `json:"reason"`
}

// renderV2 gives the ApiContact form; data fields only with full data.
func (s *store) renderV2(c *contact, full bool) v2ContactOut {
	st := v2StatusNames[c.emailStatus]
	if st == "" {
		st = "Suppressed"
	}
	if c.binned {
		st = "Deleted"
	}
	out := v2ContactOut{ID: c.id, Email: c.email, OptInType: c.optInType, EmailType: c.emailType, Status: st}
	if full {
		out.DataFields = []v2DataField{}
		for _, f := range s.sortedFields() {
			out.DataFields = append(out.DataFields, v2DataField{Key: f.name, Value: renderValue(c.value(f))})
		}
	}
	return out
}

// v2ContactBody is the ApiContact request form.
type v2ContactBody struct {
	Email      string `json:"email"`
	OptInType  string `json:"optInType"`
	EmailType  string `json:"emailType"`
	DataFields []struct {
		Key   string          `json:"key"`
		Value json.RawMessage `json:"value"`
	} `json:"dataFields"`
}

// v2Upsert creates or updates a contact from a v2 body; book (optional)
// receives it. It answers errors itself and returns nil then.
func (e *Emulator) v2Upsert(w http.ResponseWriter, body *v2ContactBody, book int) *v2ContactOut {
	email := normaliseEmail(body.Email)
	if !validEmail(email) {
		v2Err(w, "Email is not a valid email address.", "ERROR_PARAMETER_INVALID")
		return nil
	}
	wr := contactWrite{email: email, hasEmail: true}
	var ok bool
	if body.OptInType != "" {
		if wr.optInType, ok = oneOf(body.OptInType, "Unknown", "Single", "Double", "VerifiedDouble"); !ok {
			v2Err(w, "The optInType is not valid.", "ERROR_CONTACT_INVALID")
			return nil
		}
	}
	if body.EmailType != "" {
		if wr.emailType, ok = oneOf(body.EmailType, "Html", "PlainText"); !ok {
			v2Err(w, "The emailType is not valid.", "ERROR_CONTACT_INVALID")
			return nil
		}
	}
	t := now()
	e.st.mu.Lock()
	defer e.st.mu.Unlock()
	for _, df := range body.DataFields {
		f := e.st.fields[strings.ToUpper(strings.TrimSpace(df.Key))]
		if f == nil {
			v2Fail(w, http.StatusBadRequest, "The data field '"+df.Key+"' does not exist.", "ERROR_DATAFIELD_NOTFOUND")
			return nil
		}
		var v any
		if len(df.Value) > 0 {
			var err error
			if v, err = decodeJSONValue(df.Value); err != nil {
				v2Err(w, "The value of data field '"+f.name+"' is not valid.", "ERROR_DATAFIELD_INVALID")
				return nil
			}
		}
		val, verr := f.coerce(v)
		if verr != nil {
			code := "ERROR_DATAFIELD_INVALID"
			if verr.overflow {
				code = "ERROR_DATAFIELD_VALUE_OVERFLOW"
			}
			v2Err(w, verr.msg+".", code)
			return nil
		}
		wr.fields = append(wr.fields, fieldWrite{field: f, value: val})
	}
	var b *addressBook
	if book > 0 {
		if b = e.st.books[book]; b == nil {
			v2Err(w, "", "ERROR_ADDRESSBOOK_NOT_FOUND")
			return nil
		}
		if !b.writable {
			v2Err(w, "Address book cannot be written to via the API.", "ERROR_ADDRESSBOOK_NOTWRITABLE")
			return nil
		}
		wr.lists = []int{book}
	}
	c := e.st.byEmail[email]
	if c != nil && !c.binned && c.optedOut() {
		v2Err(w, "Contact is suppressed.", "ERROR_CONTACT_SUPPRESSED")
		return nil
	}
	isNew := c == nil
	if isNew {
		c = e.st.create(&wr, t)
	}
	e.st.apply(c, &wr, mergeOverwrite, t, isNew)
	out := e.st.renderV2(c, true)
	return &out
}

// POST /v2/contacts : create or update by email.
func (e *Emulator) upsertContactV2(w http.ResponseWriter, r *http.Request, _ params) {
	var body v2ContactBody
	if !readJSON(w, r, apiV2, &body) {
		return
	}
	if out := e.v2Upsert(w, &body, 0); out != nil {
		writeJSON(w, http.StatusCreated, out)
	}
}

// findV2 resolves "{id-or-email}". Lookups by id do not return
// unsubscribed or suppressed contacts (OAS-V2 note).
func (s *store) findV2(idOrEmail string) *contact {
	if id, err := strconv.ParseInt(idOrEmail, 10, 64); err == nil {
		c := s.contacts[id]
		if c == nil || c.binned || c.optedOut() {
			return nil
		}
		return c
	}
	c := s.byEmail[normaliseEmail(idOrEmail)]
	if c == nil || c.binned {
		return nil
	}
	return c
}

// GET /v2/contacts/{idOrEmail}
func (e *Emulator) getContactV2(w http.ResponseWriter, _ *http.Request, p params) {
	e.st.mu.RLock()
	c := e.st.findV2(p["idOrEmail"])
	var out v2ContactOut
	if c != nil {
		out = e.st.renderV2(c, true)
	}
	e.st.mu.RUnlock()
	if c == nil {
		v2Err(w, "", "ERROR_CONTACT_NOT_FOUND")
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// DELETE /v2/contacts/{idOrEmail}
func (e *Emulator) deleteContactV2(w http.ResponseWriter, _ *http.Request, p params) {
	e.st.mu.Lock()
	c := e.st.findV2(p["idOrEmail"])
	if c != nil {
		e.st.bin(c, now())
	}
	e.st.mu.Unlock()
	if c == nil {
		v2Err(w, "", "ERROR_CONTACT_NOT_FOUND")
		return
	}
	writeEmpty(w, http.StatusNoContent)
}

// GET /v2/contacts/{idOrEmail}/address-books
func (e *Emulator) contactBooksV2(w http.ResponseWriter, _ *http.Request, p params) {
	e.st.mu.RLock()
	defer e.st.mu.RUnlock()
	c := e.st.byEmail[normaliseEmail(p["idOrEmail"])]
	if id, err := strconv.ParseInt(p["idOrEmail"], 10, 64); err == nil {
		c = e.st.contacts[id]
	}
	if c == nil || c.binned {
		v2Err(w, "", "ERROR_CONTACT_NOT_FOUND")
		return
	}
	out := []bookOut{}
	for _, id := range c.lists {
		if b := e.st.books[id]; b != nil {
			out = append(out, b.out())
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// POST /v2/contacts/unsubscribe : body {"email"}; the contact is created if missing.
func (e *Emulator) unsubscribeContactV2(w http.ResponseWriter, r *http.Request, _ params) {
	var body v2ContactBody
	if !readJSON(w, r, apiV2, &body) {
		return
	}
	email := normaliseEmail(body.Email)
	if !validEmail(email) {
		v2Err(w, "Email is not a valid email address.", "ERROR_PARAMETER_INVALID")
		return
	}
	if err := e.Unsubscribe(email); err != nil {
		v2Err(w, "Email is not a valid email address.", "ERROR_PARAMETER_INVALID")
		return
	}
	e.st.mu.RLock()
	c := e.st.byEmail[email]
	out := v2SuppressionOut{SuppressedContact: e.st.renderV2(c, false), Reason: "Unsubscribed",
		DateRemoved: formatTime(c.unsubscribedAt)}
	if c.emailStatus != statusUnsubscribed {
		out.Reason, out.DateRemoved = "Suppressed", formatTime(c.suppressedAt)
	}
	e.st.mu.RUnlock()
	writeJSON(w, http.StatusCreated, out)
}

// GET /v2/contacts/suppressed-since/{date} and /unsubscribed-since/{date}.
func (e *Emulator) optedOutSinceV2(unsubscribedOnly bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p params) {
		since, ok := parseLooseTime(p["date"])
		if !ok {
			v2Err(w, "The date is not valid.", "ERROR_PARAMETER_INVALID")
			return
		}
		sel, skip, ok := selectSkip(r)
		if !ok {
			v2Err(w, "select must be 1-1000 and skip not negative.", "ERROR_PARAMETER_INVALID")
			return
		}
		e.st.mu.RLock()
		out := []v2SuppressionOut{}
		for _, c := range e.st.order {
			if c.purged || c.binned {
				continue
			}
			var at time.Time
			reason := "Unsubscribed"
			switch {
			case c.emailStatus == statusUnsubscribed:
				at = c.unsubscribedAt
			case c.globallySuppressed() && !unsubscribedOnly:
				at, reason = c.suppressedAt, "Suppressed"
			default:
				continue
			}
			if at.Before(since) {
				continue
			}
			if skip > 0 {
				skip--
				continue
			}
			out = append(out, v2SuppressionOut{SuppressedContact: e.st.renderV2(c, false), DateRemoved: formatTime(at), Reason: reason})
			if len(out) == sel {
				break
			}
		}
		e.st.mu.RUnlock()
		writeJSON(w, http.StatusOK, out)
	}
}

// selectSkip parses v2 paging: select 1..1000 (default 1000), skip >= 0.
func selectSkip(r *http.Request) (sel, skip int, ok bool) {
	q := r.URL.Query()
	sel, skip = 1000, 0
	if s := q.Get("select"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return 0, 0, false
		}
		sel = n
	}
	if s := q.Get("skip"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return 0, 0, false
		}
		skip = n
	}
	return sel, skip, true
}
