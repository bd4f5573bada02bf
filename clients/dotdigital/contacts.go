package dotdigital

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	routeContactByEmail = "/contacts/v3/email/{value}"
	routeContacts       = "/contacts/v3"
	maxContactsPage     = 5000
)

// MergeOption says how an upsert treats fields that already have values.
// The zero value sends nothing (server default: overwrite).
type MergeOption string

const (
	MergeOverwrite           MergeOption = "overwrite"
	MergeOverwriteIfNotEmpty MergeOption = "overwrite-if-not-empty"
	MergeOverwriteIfEmpty    MergeOption = "overwrite-if-empty"
)

// queryValue is the kebab-case spelling of the PATCH query parameter.
func (m MergeOption) queryValue() (string, error) {
	switch m {
	case MergeOverwrite, MergeOverwriteIfNotEmpty, MergeOverwriteIfEmpty:
		return string(m), nil
	}
	return "", invalidArgf("mergeOption", "unknown value %q", string(m))
}

// bodyValue is the camelCase spelling the bulk import body uses (reference §3.1).
func (m MergeOption) bodyValue() (string, error) {
	switch m {
	case MergeOverwrite:
		return "overwrite", nil
	case MergeOverwriteIfNotEmpty:
		return "overwriteIfNotEmpty", nil
	case MergeOverwriteIfEmpty:
		return "overwriteIfEmpty", nil
	}
	return "", invalidArgf("mergeOption", "unknown value %q", string(m))
}

// ContactUpdate is what UpsertContact sends. A DataFields entry with a nil
// value is sent as JSON null, which clears that field; fields not in the map
// are left alone. Lists are list ids the contact is added to (never removed).
type ContactUpdate struct {
	DataFields  map[string]any
	Lists       []int64
	MergeOption MergeOption
}

// Contact is a v3 contact as returned by the API. Email is lower-cased.
type Contact struct {
	ContactID   int64
	Email       string
	Identifiers map[string]string
	// Status is the contact's overall status (subscribed, unsubscribed,
	// suppressed, ...); EmailStatus, EmailType and OptInType come from
	// channelProperties.email when present. Read-only for this package.
	Status      string
	EmailStatus string
	EmailType   string
	OptInType   string
	Created     time.Time
	Updated     time.Time
	DataFields  map[string]any
	Lists       []ContactList
}

// ContactList is a list membership of a contact.
type ContactList struct {
	ID     int64
	Name   string
	Status string
}

type contactBody struct {
	ContactID         int64                      `json:"contactId"`
	Status            string                     `json:"status"`
	Created           string                     `json:"created"`
	Updated           string                     `json:"updated"`
	Identifiers       map[string]json.RawMessage `json:"identifiers"`
	DataFields        map[string]any             `json:"dataFields"`
	ChannelProperties struct {
		Email struct {
			EmailType string `json:"emailType"`
			OptInType string `json:"optInType"`
			Status    string `json:"status"`
		} `json:"email"`
	} `json:"channelProperties"`
	Lists []struct {
		ID     int64  `json:"id"`
		Name   string `json:"name"`
		Status string `json:"status"`
	} `json:"lists"`
}

func (b contactBody) contact() Contact {
	c := Contact{
		ContactID:   b.ContactID,
		Status:      b.Status,
		EmailStatus: b.ChannelProperties.Email.Status,
		EmailType:   b.ChannelProperties.Email.EmailType,
		OptInType:   b.ChannelProperties.Email.OptInType,
		Created:     parseTime(b.Created),
		Updated:     parseTime(b.Updated),
		DataFields:  b.DataFields,
	}
	if len(b.Identifiers) > 0 {
		c.Identifiers = make(map[string]string, len(b.Identifiers))
		for k, v := range b.Identifiers {
			c.Identifiers[k] = rawScalar(v)
		}
		c.Email = strings.ToLower(strings.TrimSpace(c.Identifiers["email"]))
	}
	for _, l := range b.Lists {
		c.Lists = append(c.Lists, ContactList{ID: l.ID, Name: l.Name, Status: l.Status})
	}
	return c
}

// upsertBody deliberately has no channelProperties, status or preferences:
// the sync must never change a contact's subscription status.
type upsertBody struct {
	MatchIdentifier string            `json:"matchIdentifier,omitempty"`
	Identifiers     map[string]string `json:"identifiers,omitempty"`
	DataFields      map[string]any    `json:"dataFields,omitempty"`
	Lists           []int64           `json:"lists,omitempty"`
}

// UpsertContact creates or updates the contact with this email
// (PATCH /contacts/v3/email/{email}). created is true when Dotdigital created
// it (201). A contact in the recycle bin is restored by Dotdigital.
func (c *Client) UpsertContact(ctx context.Context, email string, u ContactUpdate) (Contact, bool, error) {
	email, seg, err := emailSegment("email", email)
	if err != nil {
		return Contact{}, false, err
	}
	fields, err := dataFieldValues(u.DataFields)
	if err != nil {
		return Contact{}, false, err
	}
	if err := validateLists(u.Lists); err != nil {
		return Contact{}, false, err
	}
	var q url.Values
	if u.MergeOption != "" {
		v, err := u.MergeOption.queryValue()
		if err != nil {
			return Contact{}, false, err
		}
		q = url.Values{"merge-option": {v}}
	}
	r, err := jsonRequest("PATCH", routeContactByEmail, "/contacts/v3/email/"+seg, upsertBody{
		Identifiers: map[string]string{"email": email},
		DataFields:  fields,
		Lists:       u.Lists,
	})
	if err != nil {
		return Contact{}, false, err
	}
	r.query = q
	var body contactBody
	status, err := c.do(ctx, r, &body)
	if err != nil {
		return Contact{}, false, err
	}
	return body.contact(), status == 201, nil
}

// ChangeEmail gives the contact that has oldEmail the identifier newEmail
// (PATCH on the old email with matchIdentifier email, as the Magento
// extension does). If newEmail already belongs to another contact the answer
// is an *EmailConflictError (IsConflict) and nothing changes. If no contact
// has oldEmail, the PATCH upsert semantics create one with newEmail.
func (c *Client) ChangeEmail(ctx context.Context, oldEmail, newEmail string) (Contact, error) {
	_, seg, err := emailSegment("oldEmail", oldEmail)
	if err != nil {
		return Contact{}, err
	}
	newEmail, err = normaliseEmail("newEmail", newEmail)
	if err != nil {
		return Contact{}, err
	}
	r, err := jsonRequest("PATCH", routeContactByEmail, "/contacts/v3/email/"+seg, upsertBody{
		MatchIdentifier: "email",
		Identifiers:     map[string]string{"email": newEmail},
	})
	if err != nil {
		return Contact{}, err
	}
	var body contactBody
	if _, err := c.do(ctx, r, &body); err != nil {
		var apiErr *APIError
		if errors.As(err, &apiErr) && IsConflict(apiErr) {
			return Contact{}, &EmailConflictError{Err: apiErr}
		}
		return Contact{}, err
	}
	return body.contact(), nil
}

// ContactOption adds to what GetContact asks for.
type ContactOption func(*contactQuery)

type contactQuery struct {
	dataFields []string
	include    []string
}

// WithDataFields asks for these data fields.
func WithDataFields(names ...string) ContactOption {
	return func(q *contactQuery) { q.dataFields = append(q.dataFields, names...) }
}

// WithAllDataFields asks for every data field.
func WithAllDataFields() ContactOption {
	return func(q *contactQuery) { q.dataFields = []string{"[[ALL]]"} }
}

// WithLists includes the contact's list memberships.
func WithLists() ContactOption {
	return func(q *contactQuery) { q.include = append(q.include, "lists") }
}

func (q contactQuery) values() (url.Values, error) {
	v := url.Values{}
	if len(q.dataFields) > 0 {
		for _, n := range q.dataFields {
			if n != "[[ALL]]" && !dataFieldNamePattern.MatchString(n) {
				return nil, invalidArgf("dataFields", "name %q must be 1-20 characters of [A-Za-z0-9_-]", truncate(n, 40))
			}
		}
		v.Set("data-fields", strings.Join(q.dataFields, "|"))
	}
	if len(q.include) > 0 {
		v.Set("include", strings.Join(q.include, "|"))
	}
	return v, nil
}

// GetContact fetches one contact by email. A missing contact is an error
// matching ErrContactNotFound (IsContactNotFound). The data-fields and
// include parameters are documented on the list route; the single-contact
// route returns the full contact and tolerates them.
func (c *Client) GetContact(ctx context.Context, email string, opts ...ContactOption) (Contact, error) {
	_, seg, err := emailSegment("email", email)
	if err != nil {
		return Contact{}, err
	}
	var cq contactQuery
	for _, o := range opts {
		o(&cq)
	}
	q, err := cq.values()
	if err != nil {
		return Contact{}, err
	}
	r := request{method: "GET", route: routeContactByEmail, path: "/contacts/v3/email/" + seg, query: q}
	var body contactBody
	if _, err := c.do(ctx, r, &body); err != nil {
		return Contact{}, err
	}
	return body.contact(), nil
}

// DeleteContact deletes the contact with this email (it goes to the recycle
// bin; a later upsert restores it). Missing contact: ErrContactNotFound.
func (c *Client) DeleteContact(ctx context.Context, email string) error {
	_, seg, err := emailSegment("email", email)
	if err != nil {
		return err
	}
	_, err = c.do(ctx, request{method: "DELETE", route: routeContactByEmail, path: "/contacts/v3/email/" + seg}, nil)
	return err
}

// ContactFilter selects contacts for ListContacts. Zero values mean "no filter".
type ContactFilter struct {
	ListID        int64
	ModifiedSince time.Time
	Limit         int // 1-5000; 0 = server default
	Marker        string
	DataFields    []string
}

// ContactPage is one page of contacts; NextMarker is "" on the last page.
type ContactPage struct {
	Contacts   []Contact
	NextMarker string
}

// ListContacts returns one page of GET /contacts/v3.
func (c *Client) ListContacts(ctx context.Context, f ContactFilter) (ContactPage, error) {
	if err := validateLimit(f.Limit, maxContactsPage); err != nil {
		return ContactPage{}, err
	}
	if f.ListID < 0 {
		return ContactPage{}, invalidArg("listId", "must not be negative")
	}
	q, err := contactQuery{dataFields: f.DataFields}.values()
	if err != nil {
		return ContactPage{}, err
	}
	if f.ListID > 0 {
		q.Set("~listId", strconv.FormatInt(f.ListID, 10))
	}
	if !f.ModifiedSince.IsZero() {
		// Whole seconds, rounded down: "gte" then never skips a change.
		q.Set("~modified", "gte::"+f.ModifiedSince.UTC().Truncate(time.Second).Format("2006-01-02T15:04:05Z"))
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	if f.Marker != "" {
		q.Set("marker", f.Marker)
	}
	var body pageBody[contactBody]
	if _, err := c.do(ctx, request{method: "GET", route: routeContacts, path: routeContacts, query: q}, &body); err != nil {
		return ContactPage{}, err
	}
	page := ContactPage{Contacts: make([]Contact, 0, len(body.Items)), NextMarker: body.nextMarker(f.Marker)}
	for _, b := range body.Items {
		page.Contacts = append(page.Contacts, b.contact())
	}
	return page, nil
}

// AllContacts iterates over every contact matching f, page by page, starting
// at f.Marker. Iteration stops at the first error, which is yielded.
func (c *Client) AllContacts(ctx context.Context, f ContactFilter) iter.Seq2[Contact, error] {
	return func(yield func(Contact, error) bool) {
		for {
			page, err := c.ListContacts(ctx, f)
			if err != nil {
				yield(Contact{}, err)
				return
			}
			for _, ct := range page.Contacts {
				if !yield(ct, nil) {
					return
				}
			}
			if page.NextMarker == "" {
				return
			}
			f.Marker = page.NextMarker
		}
	}
}
