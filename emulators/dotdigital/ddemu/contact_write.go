package ddemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// mergeOption says how sent data fields merge into existing values.
type mergeOption int

const (
	mergeOverwrite           mergeOption = iota // set every sent field; null clears
	mergeOverwriteIfNotEmpty                    // skip sent nulls/empties
	mergeOverwriteIfEmpty                       // only fill fields that are empty
)

// parseMergeOption accepts the PATCH query form (kebab-case) and the import
// body form (camelCase), case-insensitively.
func parseMergeOption(s string) (mergeOption, bool) {
	switch strings.ToLower(strings.ReplaceAll(s, "-", "")) {
	case "", "overwrite":
		return mergeOverwrite, true
	case "overwriteifnotempty":
		return mergeOverwriteIfNotEmpty, true
	case "overwriteifempty":
		return mergeOverwriteIfEmpty, true
	}
	return mergeOverwrite, false
}

// v3ContactBody is the request body of v3 contact writes and of each import row.
type v3ContactBody struct {
	MatchIdentifier   string                     `json:"matchIdentifier"`
	Identifiers       map[string]json.RawMessage `json:"identifiers"`
	DataFields        map[string]json.RawMessage `json:"dataFields"`
	ChannelProperties *struct {
		Email *struct {
			EmailType          string `json:"emailType"`
			OptInType          string `json:"optInType"`
			Status             string `json:"status"`
			ResubscribeOptions *struct {
				ResubscribeWithNoChallenge *bool `json:"resubscribeWithNoChallenge"`
			} `json:"resubscribeOptions"`
		} `json:"email"`
		SMS *struct {
			Status string `json:"status"`
		} `json:"sms"`
		WhatsApp *struct {
			Status string `json:"status"`
		} `json:"whatsApp"`
	} `json:"channelProperties"`
	Lists          []json.Number   `json:"lists"`
	Preferences    json.RawMessage `json:"preferences"`
	ConsentRecords []consentRecord `json:"consentRecords"`
}

// contactWrite is a validated write.
type contactWrite struct {
	email, mobile              string
	hasEmail, hasMobile        bool
	contactID                  int64
	hasContactID               bool
	fields                     []fieldWrite
	emailStatus                string // "" = leave unchanged
	emailType, optInType       string // response forms; "" = unchanged
	smsStatus                  string
	resubscribeWithNoChallenge bool
	lists                      []int
	consent                    []consentRecord
}

type fieldWrite struct {
	field *dataField
	value any // nil clears
}

// problem is one reason a write (or an import row) is refused. code is the
// import failureCode; fatal problems stop the contact being written, others
// (unknown lists) are reported while the contact is still imported.
type problem struct {
	code        string
	item        string
	description string
	fatal       bool
}

func fatalProblem(code, item, format string, a ...any) problem {
	return problem{code: code, item: item, description: fmt.Sprintf(format, a...), fatal: true}
}

// validate turns a body into a write, checking identifiers, data fields
// (which must exist and fit their types), channel properties and lists.
// Call with the store lock held (it reads field and list definitions).
func (s *store) validate(b *v3ContactBody) (contactWrite, []problem) {
	w := contactWrite{resubscribeWithNoChallenge: true}
	var probs []problem
	for name, raw := range b.Identifiers {
		switch canonicalIdentifier(name) {
		case idEmail:
			v, ok := jsonString(raw)
			if ok && v == "" && !bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
				ok = false
			}
			if !ok {
				probs = append(probs, fatalProblem("invalidEmail", idEmail, "Invalid value for 'email'"))
				continue
			}
			if v == "" { // null: no email sent
				continue
			}
			e := normaliseEmail(v)
			if !validEmail(e) {
				probs = append(probs, fatalProblem("invalidEmail", e, "Invalid value for 'email'"))
				continue
			}
			w.email, w.hasEmail = e, true
		case idMobile:
			v, ok := jsonString(raw)
			if !ok {
				if n, isNum := jsonNumber(raw); isNum {
					v, ok = n, true
				}
			}
			if !ok {
				probs = append(probs, fatalProblem("invalidPhoneNumber", idMobile, "Invalid value for 'mobileNumber'"))
				continue
			}
			if v == "" {
				continue
			}
			m, valid := normaliseMobile(v)
			if !valid {
				probs = append(probs, fatalProblem("invalidPhoneNumber", v, "Invalid value for 'mobileNumber'"))
				continue
			}
			w.mobile, w.hasMobile = m, true
		case idContactID:
			n, ok := jsonNumber(raw)
			if !ok {
				n, ok = jsonString(raw)
			}
			id, err := strconv.ParseInt(n, 10, 64)
			if !ok || err != nil || id <= 0 {
				probs = append(probs, fatalProblem("invalidContactId", idContactID, "Invalid value for 'contactId'"))
				continue
			}
			w.contactID, w.hasContactID = id, true
		default:
			probs = append(probs, fatalProblem("invalidIdentifier", name,
				"The identifier '%s' is not an identifier in this account", name))
		}
	}
	names := make([]string, 0, len(b.DataFields))
	for name := range b.DataFields {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		f := s.fields[strings.ToUpper(name)]
		if f == nil {
			probs = append(probs, fatalProblem("invalidContact", name, "The data field '%s' does not exist", name))
			continue
		}
		v, err := decodeJSONValue(b.DataFields[name])
		if err != nil {
			probs = append(probs, fatalProblem("invalidContact", name, "Invalid value for data field '%s'", f.name))
			continue
		}
		val, verr := f.coerce(v)
		if verr != nil {
			probs = append(probs, fatalProblem("invalidContact", f.name, "%s", verr.msg))
			continue
		}
		w.fields = append(w.fields, fieldWrite{field: f, value: val})
	}
	if cp := b.ChannelProperties; cp != nil {
		if e := cp.Email; e != nil {
			var ok bool
			if e.Status != "" {
				if w.emailStatus, ok = oneOf(e.Status, statusSubscribed, statusUnsubscribed, statusSuppressed); !ok {
					probs = append(probs, fatalProblem("invalidContactStatus", "channelProperties.email.status", "Invalid value '%s' for the email status", e.Status))
				}
			}
			if e.EmailType != "" {
				if w.emailType, ok = oneOf(e.EmailType, "Html", "PlainText"); !ok {
					probs = append(probs, fatalProblem("invalidContact", "channelProperties.email.emailType", "Invalid value '%s' for emailType", e.EmailType))
				}
			}
			if e.OptInType != "" {
				if w.optInType, ok = oneOf(e.OptInType, "Unknown", "Single", "Double", "VerifiedDouble"); !ok {
					probs = append(probs, fatalProblem("invalidContact", "channelProperties.email.optInType", "Invalid value '%s' for optInType", e.OptInType))
				}
			}
			if ro := e.ResubscribeOptions; ro != nil && ro.ResubscribeWithNoChallenge != nil {
				w.resubscribeWithNoChallenge = *ro.ResubscribeWithNoChallenge
			}
		}
		if sms := cp.SMS; sms != nil && sms.Status != "" {
			var ok bool
			if w.smsStatus, ok = oneOf(sms.Status, statusNoSubscription, statusSubscribed, statusUnsubscribed, statusSuppressed); !ok {
				probs = append(probs, fatalProblem("invalidContactStatus", "channelProperties.sms.status", "Invalid value '%s' for the SMS status", sms.Status))
			}
		}
	}
	if len(b.Lists) > 100 {
		probs = append(probs, fatalProblem("invalidAddressBookIds", "lists", "At most 100 lists can be given"))
	}
	for _, n := range b.Lists {
		id, err := strconv.Atoi(n.String())
		if err != nil || s.books[id] == nil {
			probs = append(probs, problem{code: "invalidAddressBookIds", item: n.String(), description: fmt.Sprintf("The list '%s' does not exist", n)})
			continue
		}
		if !s.books[id].writable {
			probs = append(probs, problem{code: "invalidAddressBookIds", item: n.String(), description: fmt.Sprintf("The list '%s' cannot be written to via the API", n)})
			continue
		}
		w.lists = append(w.lists, id)
	}
	if len(b.ConsentRecords) > 5 {
		probs = append(probs, fatalProblem("consentRecordsNotApplied", "consentRecords", "At most 5 consent records can be given"))
	}
	for _, cr := range b.ConsentRecords {
		if cr.Text == "" || cr.DateTimeConsented == "" || cr.URL == "" || cr.IPAddress == "" || cr.UserAgent == "" {
			probs = append(probs, fatalProblem("consentRecordsNotApplied", "consentRecords",
				"The provided consent records could not be applied as they were incorrectly formatted"))
			break
		}
	}
	if !hasFatal(probs) {
		for _, cr := range b.ConsentRecords {
			cr.DateTimeCreated = ""
			w.consent = append(w.consent, cr)
		}
	}
	return w, probs
}

func hasFatal(ps []problem) bool {
	for _, p := range ps {
		if p.fatal {
			return true
		}
	}
	return false
}

// oneOf matches s case-insensitively against the allowed values and returns the canonical one.
func oneOf(s string, allowed ...string) (string, bool) {
	for _, a := range allowed {
		if strings.EqualFold(s, a) {
			return a, true
		}
	}
	return "", false
}

func jsonString(raw json.RawMessage) (string, bool) {
	t := bytes.TrimSpace(raw)
	if bytes.Equal(t, []byte("null")) {
		return "", true
	}
	// Fast path: a string without escapes (raw comes from a parsed document, so it is valid JSON).
	if len(t) >= 2 && t[0] == '"' && t[len(t)-1] == '"' && bytes.IndexByte(t, '\\') < 0 {
		return string(t[1 : len(t)-1]), true
	}
	var s string
	if err := json.Unmarshal(t, &s); err != nil {
		return "", false
	}
	return s, true
}

// jsonNumber returns the text of a raw JSON number (not of a string).
func jsonNumber(raw json.RawMessage) (string, bool) {
	v, err := decodeJSONValue(raw)
	if err != nil {
		return "", false
	}
	n, ok := v.(json.Number)
	return n.String(), ok
}

// decodeJSONValue decodes a raw value keeping numbers as json.Number. Scalars
// take a fast path: imports decode hundreds of thousands of them.
func decodeJSONValue(raw json.RawMessage) (any, error) {
	t := bytes.TrimSpace(raw)
	if len(t) > 0 {
		switch c := t[0]; {
		case c == '"':
			if s, ok := jsonString(t); ok {
				return s, nil
			}
		case c == 'n' && bytes.Equal(t, []byte("null")):
			return nil, nil
		case c == 't' && bytes.Equal(t, []byte("true")):
			return true, nil
		case c == 'f' && bytes.Equal(t, []byte("false")):
			return false, nil
		case c == '-' || isDigit(c):
			if json.Valid(t) {
				return json.Number(t), nil
			}
		}
	}
	d := json.NewDecoder(bytes.NewReader(t))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
}
