package ddemu

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

type bookOut struct {
	ID         int    `json:"id"`
	Name       string `json:"name"`
	Visibility string `json:"visibility"`
	Contacts   int    `json:"contacts"`
}

func (b *addressBook) out() bookOut {
	return bookOut{ID: b.id, Name: b.name, Visibility: b.visibility, Contacts: len(b.members)}
}

// reservedBookName: names every account already uses.
func reservedBookName(name string) bool {
	return equalFoldTrim(name, "Test") || equalFoldTrim(name, "All Contacts")
}

// bookParam resolves {id}; it answers errors itself and returns nil then.
func (e *Emulator) bookParam(w http.ResponseWriter, raw string) *addressBook {
	id, err := strconv.Atoi(raw)
	if err != nil {
		v2Err(w, "The address book id is not valid.", "ERROR_PARAMETER_INVALID")
		return nil
	}
	b := e.st.books[id]
	if b == nil {
		v2Err(w, "", "ERROR_ADDRESSBOOK_NOT_FOUND")
	}
	return b
}

// GET /v2/address-books?select=&skip=
func (e *Emulator) listBooks(w http.ResponseWriter, r *http.Request, _ params) {
	sel, skip, ok := selectSkip(r)
	if !ok {
		v2Err(w, "select must be 1-1000 and skip not negative.", "ERROR_PARAMETER_INVALID")
		return
	}
	e.st.mu.RLock()
	books := e.st.sortedBooks()
	out := []bookOut{}
	for i := skip; i < len(books) && len(out) < sel; i++ {
		out = append(out, books[i].out())
	}
	e.st.mu.RUnlock()
	writeJSON(w, http.StatusOK, out)
}

// GET /v2/address-books/{id}
func (e *Emulator) getBook(w http.ResponseWriter, _ *http.Request, p params) {
	e.st.mu.RLock()
	defer e.st.mu.RUnlock()
	if b := e.bookParam(w, p["id"]); b != nil {
		writeJSON(w, http.StatusOK, b.out())
	}
}

type bookBody struct {
	Name       string `json:"name"`
	Visibility string `json:"visibility"`
}

func validateBookBody(w http.ResponseWriter, body *bookBody) (name, vis string, ok bool) {
	name = strings.TrimSpace(body.Name)
	if name == "" || len(name) > 128 {
		v2Err(w, "The address book name must be 1-128 characters.", "ERROR_ADDRESSBOOK_INVALID")
		return "", "", false
	}
	vis = "Private"
	if body.Visibility != "" {
		if vis, ok = oneOf(body.Visibility, "Private", "Public"); !ok {
			v2Err(w, "The address book visibility must be Private or Public.", "ERROR_ADDRESSBOOK_INVALID")
			return "", "", false
		}
	}
	return name, vis, true
}

// POST /v2/address-books : 201 (OAS-V2; the readme example says 200).
func (e *Emulator) createBook(w http.ResponseWriter, r *http.Request, _ params) {
	var body bookBody
	if !readJSON(w, r, apiV2, &body) {
		return
	}
	name, vis, ok := validateBookBody(w, &body)
	if !ok {
		return
	}
	e.st.mu.Lock()
	defer e.st.mu.Unlock()
	if reservedBookName(name) || e.st.bookByName(name) != nil {
		v2Err(w, "There is already an address book or segment with that name in the account.", "ERROR_ADDRESSBOOK_DUPLICATE")
		return
	}
	writeJSON(w, http.StatusCreated, e.st.addBook(name, vis, true).out())
}

// PUT /v2/address-books/{id} : rename / change visibility.
func (e *Emulator) updateBook(w http.ResponseWriter, r *http.Request, p params) {
	var body bookBody
	if !readJSON(w, r, apiV2, &body) {
		return
	}
	name, vis, ok := validateBookBody(w, &body)
	if !ok {
		return
	}
	e.st.mu.Lock()
	defer e.st.mu.Unlock()
	b := e.bookParam(w, p["id"])
	if b == nil {
		return
	}
	if !b.writable {
		v2Err(w, "Address book cannot be written to via the API.", "ERROR_ADDRESSBOOK_NOTWRITABLE")
		return
	}
	if o := e.st.bookByName(name); reservedBookName(name) || (o != nil && o != b) {
		v2Err(w, "There is already an address book or segment with that name in the account.", "ERROR_ADDRESSBOOK_DUPLICATE")
		return
	}
	b.name, b.visibility = name, vis
	writeJSON(w, http.StatusOK, b.out())
}

// DELETE /v2/address-books/{id}
func (e *Emulator) deleteBook(w http.ResponseWriter, _ *http.Request, p params) {
	e.st.mu.Lock()
	defer e.st.mu.Unlock()
	b := e.bookParam(w, p["id"])
	if b == nil {
		return
	}
	if !b.writable {
		v2Err(w, "Address book cannot be written to via the API.", "ERROR_ADDRESSBOOK_NOTWRITABLE")
		return
	}
	e.st.deleteBook(b)
	writeEmpty(w, http.StatusNoContent)
}

// GET /v2/address-books/{id}/contacts?withFullData=&select=&skip=
func (e *Emulator) bookContacts(w http.ResponseWriter, r *http.Request, p params) {
	sel, skip, ok := selectSkip(r)
	if !ok {
		v2Err(w, "select must be 1-1000 and skip not negative.", "ERROR_PARAMETER_INVALID")
		return
	}
	full := strings.EqualFold(r.URL.Query().Get("withFullData"), "true")
	e.st.mu.RLock()
	defer e.st.mu.RUnlock()
	b := e.bookParam(w, p["id"])
	if b == nil {
		return
	}
	ids := make([]int64, 0, len(b.members))
	for id := range b.members {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := []v2ContactOut{}
	for i := skip; i < len(ids) && len(out) < sel; i++ {
		if c := e.st.contacts[ids[i]]; c != nil {
			out = append(out, e.st.renderV2(c, full))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// POST /v2/address-books/{id}/contacts : add (create or update) a contact; suppressed -> ERROR_CONTACT_SUPPRESSED.
func (e *Emulator) addBookContact(w http.ResponseWriter, r *http.Request, p params) {
	id, err := strconv.Atoi(p["id"])
	if err != nil || id <= 0 {
		v2Err(w, "The address book id is not valid.", "ERROR_PARAMETER_INVALID")
		return
	}
	var body v2ContactBody
	if !readJSON(w, r, apiV2, &body) {
		return
	}
	if out := e.v2Upsert(w, &body, id); out != nil {
		writeJSON(w, http.StatusOK, out)
	}
}

// DELETE /v2/address-books/{id}/contacts/{contactId} : 204.
func (e *Emulator) removeBookContact(w http.ResponseWriter, _ *http.Request, p params) {
	e.st.mu.Lock()
	defer e.st.mu.Unlock()
	b := e.bookParam(w, p["id"])
	if b == nil {
		return
	}
	cid, err := strconv.ParseInt(p["contactId"], 10, 64)
	c := e.st.contacts[cid]
	if err != nil || c == nil || c.binned {
		v2Err(w, "", "ERROR_CONTACT_NOT_FOUND")
		return
	}
	e.st.removeMember(b, c)
	writeEmpty(w, http.StatusNoContent)
}

// DELETE /v2/address-books/{id}/contacts : empties the whole list (what a
// client gets when it forgets the contact id). Emulated faithfully so tests
// can catch it in Stats.ByRoute.
func (e *Emulator) emptyBookNow(w http.ResponseWriter, _ *http.Request, p params) {
	e.st.mu.Lock()
	defer e.st.mu.Unlock()
	b := e.bookParam(w, p["id"])
	if b == nil {
		return
	}
	n := e.st.emptyBook(b)
	e.log.Warn("address book emptied through DELETE /v2/address-books/{id}/contacts", "list", b.id, "removed", n)
	writeEmpty(w, http.StatusNoContent)
}

// POST /v2/address-books/{id}/contacts/delete-all : 202; applied at once.
func (e *Emulator) deleteAllBookContacts(w http.ResponseWriter, _ *http.Request, p params) {
	e.st.mu.Lock()
	defer e.st.mu.Unlock()
	b := e.bookParam(w, p["id"])
	if b == nil {
		return
	}
	n := e.st.emptyBook(b)
	e.log.Warn("address book emptied through delete-all", "list", b.id, "removed", n)
	writeJSON(w, http.StatusAccepted, map[string]string{"id": newJobID(), "status": "Started"})
}

// POST /v2/address-books/{id}/contacts/delete body [contactId...] : 202; applied at once.
func (e *Emulator) deleteBookContacts(w http.ResponseWriter, r *http.Request, p params) {
	var ids []json.Number
	if !readJSON(w, r, apiV2, &ids) {
		return
	}
	e.st.mu.Lock()
	defer e.st.mu.Unlock()
	b := e.bookParam(w, p["id"])
	if b == nil {
		return
	}
	for _, n := range ids {
		id, err := n.Int64()
		if err != nil {
			continue
		}
		if c := e.st.contacts[id]; c != nil {
			e.st.removeMember(b, c)
		}
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"id": newJobID(), "status": "Started"})
}
