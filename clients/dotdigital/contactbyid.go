package dotdigital

import (
	"context"
	"errors"
	"strconv"
)

const routeContactByID = "/contacts/v3/contactId/{value}"

// The writes below address a contact by its immutable contactId. Unlike the
// upsert by email, a PATCH by contactId never creates a contact (contactId
// can only match, reference §3.1): a retry after a lost answer finds the
// same contact, and a contact deleted meanwhile is an ErrContactNotFound,
// not a new, subscribed contact.

// UpdateContactByID writes data fields and list additions to an existing
// contact. A missing contact is an error matching ErrContactNotFound.
func (c *Client) UpdateContactByID(ctx context.Context, contactID int64, u ContactUpdate) (Contact, error) {
	if contactID <= 0 {
		return Contact{}, invalidArgf("contactId", "must be positive, got %d", contactID)
	}
	fields, err := dataFieldValues(u.DataFields)
	if err != nil {
		return Contact{}, err
	}
	if err := validateLists(u.Lists); err != nil {
		return Contact{}, err
	}
	return c.patchByID(ctx, contactID, upsertBody{DataFields: fields, Lists: u.Lists})
}

// ChangeEmailByID gives the contact the identifier newEmail. It is
// idempotent: repeating it after the contact already has newEmail succeeds.
// If newEmail belongs to another contact the answer is an
// *EmailConflictError (IsConflict) and nothing changes.
func (c *Client) ChangeEmailByID(ctx context.Context, contactID int64, newEmail string) (Contact, error) {
	if contactID <= 0 {
		return Contact{}, invalidArgf("contactId", "must be positive, got %d", contactID)
	}
	newEmail, err := normaliseEmail("newEmail", newEmail)
	if err != nil {
		return Contact{}, err
	}
	ct, err := c.patchByID(ctx, contactID, upsertBody{Identifiers: map[string]string{"email": newEmail}})
	var apiErr *APIError
	if err != nil && errors.As(err, &apiErr) && IsConflict(apiErr) {
		return Contact{}, &EmailConflictError{Err: apiErr}
	}
	return ct, err
}

func (c *Client) patchByID(ctx context.Context, contactID int64, body upsertBody) (Contact, error) {
	id := strconv.FormatInt(contactID, 10)
	r, err := jsonRequest("PATCH", routeContactByID, "/contacts/v3/contactId/"+id, body)
	if err != nil {
		return Contact{}, err
	}
	var out contactBody
	if _, err := c.do(ctx, r, &out); err != nil {
		return Contact{}, err
	}
	return out.contact(), nil
}
