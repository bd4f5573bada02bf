package ddemu

import (
	"encoding/json"
	"net/http"
	"strings"
)

type dataFieldOut struct {
	Name         string `json:"name"`
	Type         string `json:"type"`
	Visibility   string `json:"visibility"`
	DefaultValue any    `json:"defaultValue"`
}

func (f *dataField) out() dataFieldOut {
	return dataFieldOut{Name: f.name, Type: f.typ, Visibility: f.visibility, DefaultValue: renderValue(f.defaultValue)}
}

// GET /v2/data-fields
func (e *Emulator) listDataFields(w http.ResponseWriter, _ *http.Request, _ params) {
	e.st.mu.RLock()
	fields := e.st.sortedFields()
	out := make([]dataFieldOut, 0, len(fields))
	for _, f := range fields {
		out = append(out, f.out())
	}
	e.st.mu.RUnlock()
	writeJSON(w, http.StatusOK, out)
}

// POST /v2/data-fields : 201 with the field as stored (name upper-cased).
func (e *Emulator) createDataField(w http.ResponseWriter, r *http.Request, _ params) {
	var body struct {
		Name         string          `json:"name"`
		Type         string          `json:"type"`
		Visibility   string          `json:"visibility"`
		DefaultValue json.RawMessage `json:"defaultValue"`
	}
	if !readJSON(w, r, apiV2, &body) {
		return
	}
	name := strings.TrimSpace(body.Name)
	if !validFieldName(name) {
		v2Err(w, "The data field name must be 1-20 characters of letters, digits, '-' and '_'.", "ERROR_DATAFIELD_INVALID")
		return
	}
	upper := strings.ToUpper(name)
	if reservedFieldNames[upper] {
		v2Err(w, "The data field name is reserved.", "ERROR_DATAFIELD_INVALID")
		return
	}
	typ, ok := canonicalFieldType(body.Type)
	if !ok {
		v2Err(w, "The data field type must be String, Numeric, Date or Boolean.", "ERROR_DATAFIELD_INVALID")
		return
	}
	vis := "Private"
	if body.Visibility != "" {
		if vis, ok = oneOf(body.Visibility, "Private", "Public"); !ok {
			v2Err(w, "The data field visibility must be Private or Public.", "ERROR_DATAFIELD_INVALID")
			return
		}
	}
	probe := &dataField{name: upper, typ: typ}
	var def any
	if len(body.DefaultValue) > 0 {
		v, err := decodeJSONValue(body.DefaultValue)
		if err != nil {
			v2Err(w, "The default value is not valid for the data field type.", "ERROR_DATAFIELD_INVALID")
			return
		}
		var verr *valueError
		if def, verr = probe.coerce(v); verr != nil {
			v2Err(w, "The default value is not valid for the data field type.", "ERROR_DATAFIELD_INVALID")
			return
		}
	}
	e.st.mu.Lock()
	defer e.st.mu.Unlock()
	if e.st.fields[upper] != nil {
		v2Err(w, "Field already exists.", "ERROR_NON_UNIQUE_DATAFIELD")
		return
	}
	n := 0
	for _, f := range e.st.fields {
		if f.typ == typ {
			n++
		}
	}
	if n >= fieldTypeLimits[typ] {
		v2Err(w, "The account has no room for another data field of this type.", "ERROR_DATAFIELD_LIMITEXCEEDED")
		return
	}
	f := e.st.addField(upper, typ, vis, def, false)
	writeJSON(w, http.StatusCreated, f.out())
}

// DELETE /v2/data-fields/{name}
func (e *Emulator) deleteDataField(w http.ResponseWriter, _ *http.Request, p params) {
	e.st.mu.Lock()
	defer e.st.mu.Unlock()
	f := e.st.fields[strings.ToUpper(p["name"])]
	switch {
	case f == nil:
		v2Fail(w, http.StatusNotFound, "", "ERROR_DATAFIELD_NOTFOUND")
	case f.builtin:
		writeJSON(w, http.StatusOK, map[string]any{"result": false, "dependencies": []string{"Default contact data fields cannot be deleted"}})
	default:
		delete(e.st.fields, f.name)
		writeJSON(w, http.StatusOK, map[string]any{"result": true, "dependencies": nil})
	}
}
