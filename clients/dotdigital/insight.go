package dotdigital

import (
	"bytes"
	"context"
	"encoding/json"
	"iter"
	"net/url"
	"strconv"
	"time"
)

const (
	routeContactRecord      = "/insightData/v3/contacts/email/{value}/{collection}/{key}"
	routeContactRecords     = "/insightData/v3/contacts/email/{value}/{collection}"
	routeCollectionRecords  = "/insightData/v3/contacts/{collection}"
	routeCreateCollection   = "/insightData/v3/collections/{collection}"
	maxRecordsPage          = 5000
	defaultContactRecordsPg = 1000
)

// Collection scopes and the types the sync uses (reference §5.1).
const (
	ScopeContact = "contact"
	ScopeAccount = "account"

	CollectionTypeOrders = "orders"
	CollectionTypeCustom = "custom"

	// FailureContactEmailDoesNotExist is the insight import failure for a
	// record whose contact does not exist (yet).
	FailureContactEmailDoesNotExist = "ContactEmailDoesNotExist"
)

// Record is a stored insight record.
type Record struct {
	Key            string
	JSON           json.RawMessage
	Created        time.Time
	Updated        time.Time
	OwnerContactID int64
}

type recordBody struct {
	Key            json.RawMessage `json:"key"`
	JSON           json.RawMessage `json:"json"`
	Created        string          `json:"created"`
	Updated        string          `json:"updated"`
	OwnerContactID int64           `json:"ownerContactId"`
}

func (b recordBody) record() Record {
	return Record{
		Key:            rawScalar(b.Key),
		JSON:           unwrapJSONString(b.JSON),
		Created:        parseTime(b.Created),
		Updated:        parseTime(b.Updated),
		OwnerContactID: b.OwnerContactID,
	}
}

// unwrapJSONString returns the inner document when the API returns the
// record as an escaped JSON string (v2 style), else raw unchanged.
func unwrapJSONString(raw json.RawMessage) json.RawMessage {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || t[0] != '"' {
		return raw
	}
	var s string
	if json.Unmarshal(t, &s) != nil || !json.Valid([]byte(s)) {
		return raw
	}
	return json.RawMessage(s)
}

// recordJSON encodes a record and requires a JSON object.
func recordJSON(field string, record any) (json.RawMessage, error) {
	b, err := json.Marshal(record)
	if err != nil {
		return nil, invalidArgf(field, "cannot encode as JSON: %v", err)
	}
	if t := bytes.TrimSpace(b); len(t) == 0 || t[0] != '{' {
		return nil, invalidArg(field, "must encode to a JSON object")
	}
	return b, nil
}

func contactRecordPath(seg, collection, key string) string {
	return "/insightData/v3/contacts/email/" + seg + "/" + url.PathEscape(collection) + "/" + url.PathEscape(key)
}

// PutOrderRecord creates or replaces one contact-scoped insight record
// (PUT /insightData/v3/contacts/email/{email}/{collection}/{key}); the body
// is record itself, which must encode to a JSON object. created is true for
// 201, false for 204 (replaced). A missing collection is ErrCollectionNotFound
// (create it or use ImportInsight, which creates it); a missing contact is
// ErrContactNotFound.
func (c *Client) PutOrderRecord(ctx context.Context, collection, email, key string, record any) (bool, error) {
	_, seg, err := emailSegment("email", email)
	if err != nil {
		return false, err
	}
	if err := validateCollection(collection); err != nil {
		return false, err
	}
	if err := validateRecordKey(key); err != nil {
		return false, err
	}
	body, err := recordJSON("record", record)
	if err != nil {
		return false, err
	}
	if len(body) > maxRequestBody {
		return false, invalidArg("record", "exceeds the 50 MB request limit")
	}
	r := request{method: "PUT", route: routeContactRecord, path: contactRecordPath(seg, collection, key), body: body}
	status, err := c.do(ctx, r, nil)
	if err != nil {
		return false, err
	}
	return status == 201, nil
}

// GetContactRecord fetches one record of a contact. Missing record:
// ErrRecordNotFound; missing collection or contact: as PutOrderRecord.
func (c *Client) GetContactRecord(ctx context.Context, collection, email, key string) (Record, error) {
	_, seg, err := emailSegment("email", email)
	if err != nil {
		return Record{}, err
	}
	if err := validateCollection(collection); err != nil {
		return Record{}, err
	}
	if err := validateRecordKey(key); err != nil {
		return Record{}, err
	}
	var body recordBody
	r := request{method: "GET", route: routeContactRecord, path: contactRecordPath(seg, collection, key)}
	if _, err := c.do(ctx, r, &body); err != nil {
		return Record{}, err
	}
	return body.record(), nil
}

// DeleteContactRecord deletes one record of a contact.
func (c *Client) DeleteContactRecord(ctx context.Context, collection, email, key string) error {
	_, seg, err := emailSegment("email", email)
	if err != nil {
		return err
	}
	if err := validateCollection(collection); err != nil {
		return err
	}
	if err := validateRecordKey(key); err != nil {
		return err
	}
	_, err = c.do(ctx, request{method: "DELETE", route: routeContactRecord, path: contactRecordPath(seg, collection, key)}, nil)
	return err
}

// ListContactRecords returns all records of one contact in a collection,
// following every page.
func (c *Client) ListContactRecords(ctx context.Context, collection, email string) ([]Record, error) {
	_, seg, err := emailSegment("email", email)
	if err != nil {
		return nil, err
	}
	if err := validateCollection(collection); err != nil {
		return nil, err
	}
	path := "/insightData/v3/contacts/email/" + seg + "/" + url.PathEscape(collection)
	var all []Record
	marker := ""
	for {
		page, err := c.recordPage(ctx, routeContactRecords, path, marker, defaultContactRecordsPg)
		if err != nil {
			return nil, err
		}
		all = append(all, page.Records...)
		if page.NextMarker == "" {
			return all, nil
		}
		marker = page.NextMarker
	}
}

// RecordPage is one page of insight records; NextMarker is "" on the last page.
type RecordPage struct {
	Records    []Record
	NextMarker string
}

// ListCollectionRecords returns one page of all records of a contact-scoped
// collection (GET /insightData/v3/contacts/{collection}). limit 0 means the
// server default; at most 5000 (the server may return fewer per page).
func (c *Client) ListCollectionRecords(ctx context.Context, collection, marker string, limit int) (RecordPage, error) {
	if err := validateCollection(collection); err != nil {
		return RecordPage{}, err
	}
	if err := validateLimit(limit, maxRecordsPage); err != nil {
		return RecordPage{}, err
	}
	return c.recordPage(ctx, routeCollectionRecords, "/insightData/v3/contacts/"+url.PathEscape(collection), marker, limit)
}

// AllCollectionRecords iterates over every record of a contact-scoped
// collection. Iteration stops at the first error, which is yielded.
func (c *Client) AllCollectionRecords(ctx context.Context, collection string, limit int) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		marker := ""
		for {
			page, err := c.ListCollectionRecords(ctx, collection, marker, limit)
			if err != nil {
				yield(Record{}, err)
				return
			}
			for _, r := range page.Records {
				if !yield(r, nil) {
					return
				}
			}
			if page.NextMarker == "" {
				return
			}
			marker = page.NextMarker
		}
	}
}

func (c *Client) recordPage(ctx context.Context, route, path, marker string, limit int) (RecordPage, error) {
	q := url.Values{}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if marker != "" {
		q.Set("marker", marker)
	}
	var body pageBody[recordBody]
	if _, err := c.do(ctx, request{method: "GET", route: route, path: path, query: q}, &body); err != nil {
		return RecordPage{}, err
	}
	page := RecordPage{Records: make([]Record, 0, len(body.Items)), NextMarker: body.nextMarker(marker)}
	for _, b := range body.Items {
		page.Records = append(page.Records, b.record())
	}
	return page, nil
}

// CreateCollection creates an insight collection
// (POST /insightData/v3/collections/{name}). created is false when it
// already existed (200).
func (c *Client) CreateCollection(ctx context.Context, name, scope, collectionType string) (bool, error) {
	if err := validateCollection(name); err != nil {
		return false, err
	}
	s, ok := canonicalOf(scope, ScopeContact, ScopeAccount)
	if !ok {
		return false, invalidArgf("scope", "%q is not contact or account", scope)
	}
	if !isIdentifierWord(collectionType) {
		return false, invalidArgf("type", "%q is not a collection type", truncate(collectionType, 40))
	}
	q := url.Values{"collectionScope": {s}, "collectionType": {collectionType}}
	r := request{method: "POST", route: routeCreateCollection, path: "/insightData/v3/collections/" + url.PathEscape(name), query: q}
	status, err := c.do(ctx, r, nil)
	if err != nil {
		return false, err
	}
	return status == 201, nil
}

// isIdentifierWord: the collectionType enum values are single ASCII words
// (cartInsight, orders, ...); new values are passed through.
func isIdentifierWord(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
