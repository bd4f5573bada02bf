package ddemu

import (
	"encoding/json"
	"errors"
	"net/http"
)

// readJSON decodes the request body into v. On failure it answers 400
// (badJson / ERROR_MALFORMED_REQUEST) or 413 and returns false.
func readJSON(w http.ResponseWriter, r *http.Request, a api, v any) bool {
	d := json.NewDecoder(r.Body)
	err := d.Decode(v)
	if err == nil && d.More() {
		err = errors.New("trailing data after the JSON value")
	}
	if err == nil {
		return true
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		if a == apiV2 {
			v2Fail(w, http.StatusRequestEntityTooLarge, "The request body exceeds 50 MB.", "ERROR_MALFORMED_REQUEST")
		} else {
			v3Fail(w, a, http.StatusRequestEntityTooLarge, "requestTooLarge", "The request body exceeds 50 MB")
		}
		return false
	}
	if a == apiV2 {
		v2Fail(w, http.StatusBadRequest, "The request body is not valid JSON.", "ERROR_MALFORMED_REQUEST")
	} else {
		v3Fail(w, a, http.StatusBadRequest, "badJson", "The request JSON is badly formed")
	}
	return false
}
