package ddemu

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
)

// api says which error dialect a route speaks.
type api int

const (
	apiV2 api = iota
	apiContactsV3
	apiInsightV3
)

// service is the v3 errorCode namespace.
func (a api) service() string {
	if a == apiInsightV3 {
		return "insightData"
	}
	return "contacts"
}

// errorDetail is one item of a v3 error's details array.
type errorDetail struct {
	Item        string `json:"item"`
	Description string `json:"description"`
}

type v3Error struct {
	ErrorCode   string        `json:"errorCode"`
	Description string        `json:"description"`
	Details     []errorDetail `json:"details,omitempty"`
}

type v2Error struct {
	Message string `json:"message"`
}

// writeJSON encodes v without HTML escaping (stored Insight JSON must come
// back as sent) and with the JSON content type.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, "encoding response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// writeEmpty answers with a status and no body (204, 201 of Insight PUT, v3 401).
func writeEmpty(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(status)
}

// v3Fail writes a v3 error body; code is the part after "<service>:".
func v3Fail(w http.ResponseWriter, a api, status int, code, description string, details ...errorDetail) {
	writeJSON(w, status, v3Error{ErrorCode: a.service() + ":" + code, Description: description, Details: details})
}

// v2Fail writes a v2 error body: "<text> ERROR_CODE" (or "Error: ERROR_CODE" when text is empty).
func v2Fail(w http.ResponseWriter, status int, text, code string) {
	msg := text + " " + code
	if text == "" {
		msg = "Error: " + code
	}
	writeJSON(w, status, v2Error{Message: msg})
}

// v2Status maps a v2 error code to an HTTP status: not-found codes get 404,
// everything else 400 (the reference: observed 404 for not found, 400 otherwise).
func v2Status(code string) int {
	switch code {
	case "ERROR_CONTACT_NOT_FOUND", "ERROR_ADDRESSBOOK_NOT_FOUND", "ERROR_TRANSACTIONAL_DATA_DOES_NOT_EXIST",
		"ERROR_IMPORT_NOT_FOUND":
		return http.StatusNotFound
	}
	return http.StatusBadRequest
}

// v2Err writes a v2 error with the status derived from its code.
func v2Err(w http.ResponseWriter, text, code string) {
	v2Fail(w, v2Status(code), text, code)
}
