package ddemu

import (
	"fmt"
	"net/http"
)

// answerLookupProblem answers a bad identifier or value in a path.
func answerLookupProblem(w http.ResponseWriter, a api, prob lookupProblem, identifier, value string) {
	if prob == lookupBadIdentifier {
		v3Fail(w, a, http.StatusBadRequest, "invalidId", fmt.Sprintf("The identifier '%s' is not a valid identifier", identifier))
		return
	}
	v3Fail(w, a, http.StatusBadRequest, "invalidId",
		fmt.Sprintf("The id value '%s' is invalid for the identifier '%s'", value, canonicalIdentifier(identifier)))
}

// answerContactNotFound is the documented 404 with details.
func answerContactNotFound(w http.ResponseWriter, a api, identifier, value string) {
	v3Fail(w, a, http.StatusNotFound, "contactNotFound", "The following contacts could not be found",
		errorDetail{Item: value, Description: fmt.Sprintf("Not found using the identifier '%s'", canonicalIdentifier(identifier))})
}

// answerProblems answers a refused single-contact write: identifier problems
// as contacts:invalidId, everything else as contacts:invalidContacts with details.
func answerProblems(w http.ResponseWriter, probs []problem) {
	for _, p := range probs {
		switch p.code {
		case "invalidEmail":
			v3Fail(w, apiContactsV3, http.StatusBadRequest, "invalidId", fmt.Sprintf("The id value '%s' is invalid for the identifier 'email'", p.item))
			return
		case "invalidPhoneNumber":
			v3Fail(w, apiContactsV3, http.StatusBadRequest, "invalidId", fmt.Sprintf("The id value '%s' is invalid for the identifier 'mobileNumber'", p.item))
			return
		case "invalidIdentifier", "invalidContactId":
			v3Fail(w, apiContactsV3, http.StatusBadRequest, "invalidId", p.description)
			return
		}
	}
	details := make([]errorDetail, 0, len(probs))
	for _, p := range probs {
		details = append(details, errorDetail{Item: p.item, Description: p.description})
	}
	v3Fail(w, apiContactsV3, http.StatusBadRequest, "invalidContacts", "Invalid contact data", details...)
}

func answerConflict(w http.ResponseWriter, identifier, value string) {
	v3Fail(w, apiContactsV3, http.StatusConflict, "idAlreadyExists",
		fmt.Sprintf("The id value '%s' for the identifier '%s' already exists. All identifiers must be unique!", value, identifier))
}

func (e *Emulator) countEffects(fx writeEffects) {
	if fx.statusWrite || fx.resubscribe {
		e.stats.update(func(s *Stats) {
			if fx.statusWrite {
				s.ChannelStatusWrites++
			}
			if fx.resubscribe {
				s.Resubscribes++
			}
		})
	}
}

// GET /contacts/v3/{identifier}/{value}
func (e *Emulator) getContactV3(w http.ResponseWriter, r *http.Request, p params) {
	e.st.mu.RLock()
	c, prob := e.st.findLive(p["identifier"], p["value"])
	var out contactOut
	if c != nil {
		out = e.st.render(c, fullContact)
	}
	e.st.mu.RUnlock()
	switch {
	case prob != lookupOK:
		answerLookupProblem(w, apiContactsV3, prob, p["identifier"], p["value"])
	case c == nil:
		answerContactNotFound(w, apiContactsV3, p["identifier"], p["value"])
	default:
		writeJSON(w, http.StatusOK, out)
	}
}

// PATCH /contacts/v3/{identifier}/{value}?merge-option= : upsert one contact.
func (e *Emulator) patchContactV3(w http.ResponseWriter, r *http.Request, p params) {
	merge, ok := parseMergeOption(r.URL.Query().Get("merge-option"))
	if !ok {
		v3Fail(w, apiContactsV3, http.StatusBadRequest, "invalidMergeOption",
			"merge-option must be one of overwrite, overwrite-if-not-empty, overwrite-if-empty")
		return
	}
	var body v3ContactBody
	if !readJSON(w, r, apiContactsV3, &body) {
		return
	}
	t := now()
	e.st.mu.Lock()
	c, prob := e.st.find(p["identifier"], p["value"])
	if prob != lookupOK {
		e.st.mu.Unlock()
		answerLookupProblem(w, apiContactsV3, prob, p["identifier"], p["value"])
		return
	}
	wr, probs := e.st.validate(&body)
	wr.hasContactID = false // contactId can never be set or changed
	if len(probs) > 0 {
		e.st.mu.Unlock()
		answerProblems(w, probs)
		return
	}
	status := http.StatusOK
	if c == nil {
		if canonicalIdentifier(p["identifier"]) == idContactID {
			e.st.mu.Unlock()
			answerContactNotFound(w, apiContactsV3, p["identifier"], p["value"])
			return
		}
		if !wr.hasEmail && !wr.hasMobile {
			e.st.mu.Unlock()
			v3Fail(w, apiContactsV3, http.StatusBadRequest, "invalidContacts", "Invalid contact data",
				errorDetail{Item: "identifiers", Description: "A new contact needs an 'email' or 'mobileNumber' identifier in the request body"})
			return
		}
		status = http.StatusCreated
	}
	if id, v := e.st.identifierConflict(c, &wr); id != "" {
		e.st.mu.Unlock()
		answerConflict(w, id, v)
		return
	}
	isNew := c == nil
	if isNew {
		c = e.st.create(&wr, t)
	} else {
		e.st.setIdentifiers(c, &wr)
	}
	fx := e.st.apply(c, &wr, merge, t, isNew)
	out := e.st.render(c, fullContact)
	e.st.mu.Unlock()
	e.countEffects(fx)
	writeJSON(w, status, out)
}

// POST /contacts/v3 : create only; 409 when any identifier exists.
func (e *Emulator) createContactV3(w http.ResponseWriter, r *http.Request, _ params) {
	var body v3ContactBody
	if !readJSON(w, r, apiContactsV3, &body) {
		return
	}
	t := now()
	e.st.mu.Lock()
	wr, probs := e.st.validate(&body)
	wr.hasContactID = false
	if len(probs) > 0 {
		e.st.mu.Unlock()
		answerProblems(w, probs)
		return
	}
	if !wr.hasEmail && !wr.hasMobile {
		e.st.mu.Unlock()
		v3Fail(w, apiContactsV3, http.StatusBadRequest, "invalidContacts", "Invalid contact data",
			errorDetail{Item: "identifiers", Description: "The identifiers must contain an 'email' or 'mobileNumber'"})
		return
	}
	if id, v := e.st.identifierConflict(nil, &wr); id != "" {
		e.st.mu.Unlock()
		answerConflict(w, id, v)
		return
	}
	c := e.st.create(&wr, t)
	fx := e.st.apply(c, &wr, mergeOverwrite, t, true)
	out := e.st.render(c, fullContact)
	e.st.mu.Unlock()
	e.countEffects(fx)
	writeJSON(w, http.StatusCreated, out)
}

// PUT /contacts/v3/{identifier}/{value} : replace the whole contact. Data
// fields not sent are cleared; identifiers become exactly those sent;
// channel statuses change only when sent; list memberships are kept and the
// sent lists added (whether PUT drops memberships is UNCONFIRMED).
func (e *Emulator) replaceContactV3(w http.ResponseWriter, r *http.Request, p params) {
	var body v3ContactBody
	if !readJSON(w, r, apiContactsV3, &body) {
		return
	}
	t := now()
	e.st.mu.Lock()
	defer e.st.mu.Unlock()
	c, prob := e.st.findLive(p["identifier"], p["value"])
	if prob != lookupOK {
		answerLookupProblem(w, apiContactsV3, prob, p["identifier"], p["value"])
		return
	}
	if c == nil {
		answerContactNotFound(w, apiContactsV3, p["identifier"], p["value"])
		return
	}
	wr, probs := e.st.validate(&body)
	if len(probs) > 0 {
		answerProblems(w, probs)
		return
	}
	if !wr.hasEmail && !wr.hasMobile {
		v3Fail(w, apiContactsV3, http.StatusBadRequest, "invalidContacts", "Invalid contact data",
			errorDetail{Item: "identifiers", Description: "The identifiers must contain an 'email' or 'mobileNumber'"})
		return
	}
	if id, v := e.st.identifierConflict(c, &wr); id != "" {
		answerConflict(w, id, v)
		return
	}
	e.st.setIdentifiers(c, &wr)
	if !wr.hasEmail && c.email != "" {
		delete(e.st.byEmail, c.email)
		c.email = ""
	}
	if !wr.hasMobile && c.mobile != "" {
		delete(e.st.byMobile, c.mobile)
		c.mobile = ""
	}
	sent := map[*dataField]bool{}
	for _, fw := range wr.fields {
		sent[fw.field] = true
	}
	for _, f := range e.st.fields {
		if !sent[f] && f.name != "LASTSUBSCRIBED" {
			c.setValue(f, nil)
		}
	}
	fx := e.st.apply(c, &wr, mergeOverwrite, t, false)
	e.countEffects(fx)
	writeJSON(w, http.StatusOK, e.st.render(c, fullContact))
}

// DELETE /contacts/v3/{identifier}/{value} : move to the recycle bin.
func (e *Emulator) deleteContactV3(w http.ResponseWriter, _ *http.Request, p params) {
	t := now()
	e.st.mu.Lock()
	c, prob := e.st.findLive(p["identifier"], p["value"])
	if c != nil {
		e.st.bin(c, t)
	}
	e.st.mu.Unlock()
	switch {
	case prob != lookupOK:
		answerLookupProblem(w, apiContactsV3, prob, p["identifier"], p["value"])
	case c == nil:
		answerContactNotFound(w, apiContactsV3, p["identifier"], p["value"])
	default:
		writeJSON(w, http.StatusOK, map[string]int64{"contactId": c.id})
	}
}
