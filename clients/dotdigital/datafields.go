package dotdigital

import (
	"context"
	"errors"
	"strings"
)

const routeDataFields = "/v2/data-fields"

// Data field types and visibilities (reference §4.1).
const (
	DataFieldString  = "String"
	DataFieldNumeric = "Numeric"
	DataFieldDate    = "Date"
	DataFieldBoolean = "Boolean"

	VisibilityPrivate = "Private"
	VisibilityPublic  = "Public"
)

// DataField is a contact data field definition. Visibility defaults to Private.
type DataField struct {
	Name         string `json:"name"`
	Type         string `json:"type"`
	Visibility   string `json:"visibility,omitempty"`
	DefaultValue any    `json:"defaultValue"`
}

// reservedDataFieldNames cannot be created (reference §4.1, medium trust).
var reservedDataFieldNames = map[string]bool{
	"account": true, "campaign": true, "campaignid": true, "contact": true, "contact_api_id": true,
	"contactid": true, "email": true, "id": true, "mobilenumberid": true, "notes": true,
	"unsubscribed": true, "uniquecontactid": true,
}

// canonical validates f and returns it with canonical Type/Visibility spelling.
func (f DataField) canonical() (DataField, error) {
	if !dataFieldNamePattern.MatchString(f.Name) {
		return f, invalidArgf("dataField.name", "%q must be 1-20 characters of [A-Za-z0-9_-]", truncate(f.Name, 40))
	}
	if reservedDataFieldNames[strings.ToLower(f.Name)] {
		return f, invalidArgf("dataField.name", "%q is reserved by Dotdigital", f.Name)
	}
	t, ok := canonicalOf(f.Type, DataFieldString, DataFieldNumeric, DataFieldDate, DataFieldBoolean)
	if !ok {
		return f, invalidArgf("dataField.type", "%q is not String, Numeric, Date or Boolean", f.Type)
	}
	f.Type = t
	if f.Visibility == "" {
		f.Visibility = VisibilityPrivate
	}
	v, ok := canonicalOf(f.Visibility, VisibilityPrivate, VisibilityPublic)
	if !ok {
		return f, invalidArgf("dataField.visibility", "%q is not Private or Public", f.Visibility)
	}
	f.Visibility = v
	if f.DefaultValue != nil {
		if _, err := dataFieldValue(f.DefaultValue); err != nil {
			return f, invalidArgf("dataField.defaultValue", "%v", err)
		}
	}
	return f, nil
}

func canonicalOf(s string, allowed ...string) (string, bool) {
	for _, a := range allowed {
		if strings.EqualFold(strings.TrimSpace(s), a) {
			return a, true
		}
	}
	return "", false
}

// ListDataFields returns the account's data fields (GET /v2/data-fields).
func (c *Client) ListDataFields(ctx context.Context) ([]DataField, error) {
	var out []DataField
	if _, err := c.do(ctx, request{method: "GET", route: routeDataFields, path: routeDataFields}, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// CreateDataField creates a data field (POST /v2/data-fields). An existing
// name is an error matching ErrAlreadyExists (ERROR_NON_UNIQUE_DATAFIELD).
func (c *Client) CreateDataField(ctx context.Context, f DataField) (DataField, error) {
	f, err := f.canonical()
	if err != nil {
		return DataField{}, err
	}
	r, err := jsonRequest("POST", routeDataFields, routeDataFields, f)
	if err != nil {
		return DataField{}, err
	}
	var out DataField
	if _, err := c.do(ctx, r, &out); err != nil {
		return DataField{}, err
	}
	if out.Name == "" {
		out = f
	}
	return out, nil
}

// EnsureDataFields creates the fields that do not exist yet (names compared
// case-insensitively) and returns the names it created. A field created
// concurrently by someone else ("already exists") counts as present. All
// fields are validated before any request. Existing fields of another type
// are left alone and logged: changing a type would need a delete.
func (c *Client) EnsureDataFields(ctx context.Context, fields []DataField) ([]string, error) {
	wanted := make([]DataField, 0, len(fields))
	seen := map[string]bool{}
	for _, f := range fields {
		cf, err := f.canonical()
		if err != nil {
			return nil, err
		}
		key := strings.ToUpper(cf.Name)
		if seen[key] {
			continue
		}
		seen[key] = true
		wanted = append(wanted, cf)
	}
	if len(wanted) == 0 {
		return nil, nil
	}
	existing, err := c.ListDataFields(ctx)
	if err != nil {
		return nil, err
	}
	have := make(map[string]DataField, len(existing))
	for _, f := range existing {
		have[strings.ToUpper(f.Name)] = f
	}
	var created []string
	for _, f := range wanted {
		if ex, ok := have[strings.ToUpper(f.Name)]; ok {
			if !strings.EqualFold(ex.Type, f.Type) {
				c.logger.WarnContext(ctx, "dotdigital: data field exists with another type",
					"field", f.Name, "existing_type", ex.Type, "wanted_type", f.Type)
			}
			continue
		}
		if _, err := c.CreateDataField(ctx, f); err != nil {
			if errors.Is(err, ErrAlreadyExists) {
				continue
			}
			return created, err
		}
		created = append(created, f.Name)
	}
	return created, nil
}
