package dotdigital

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

const (
	routeAddressBooks       = "/v2/address-books"
	routeAddressBookContact = "/v2/address-books/{id}/contacts"
	routeAddressBookMember  = "/v2/address-books/{id}/contacts/{contactId}"
	addressBookPageSize     = 1000
	maxAddressBookName      = 128
)

// AddressBook is a v2 address book (a "list" in the current UI; same ids).
type AddressBook struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	Visibility string `json:"visibility"`
	Contacts   int    `json:"contacts"`
}

// ListAddressBooks returns every address book, paging with select/skip.
func (c *Client) ListAddressBooks(ctx context.Context) ([]AddressBook, error) {
	var all []AddressBook
	for skip := 0; ; skip += addressBookPageSize {
		var page []AddressBook
		r := request{method: "GET", route: routeAddressBooks, path: routeAddressBooks, query: map[string][]string{
			"select": {strconv.Itoa(addressBookPageSize)}, "skip": {strconv.Itoa(skip)},
		}}
		if _, err := c.do(ctx, r, &page); err != nil {
			return nil, err
		}
		all = append(all, page...)
		if len(page) < addressBookPageSize {
			return all, nil
		}
	}
}

// CreateAddressBook creates an address book. visibility "" means Private.
// A duplicate or reserved name is an error matching ErrAlreadyExists
// (ERROR_ADDRESSBOOK_DUPLICATE).
func (c *Client) CreateAddressBook(ctx context.Context, name, visibility string) (AddressBook, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > maxAddressBookName {
		return AddressBook{}, invalidArgf("name", "must be 1-%d characters", maxAddressBookName)
	}
	if visibility == "" {
		visibility = VisibilityPrivate
	}
	v, ok := canonicalOf(visibility, VisibilityPrivate, VisibilityPublic)
	if !ok {
		return AddressBook{}, invalidArgf("visibility", "%q is not Private or Public", visibility)
	}
	r, err := jsonRequest("POST", routeAddressBooks, routeAddressBooks, map[string]string{"name": name, "visibility": v})
	if err != nil {
		return AddressBook{}, err
	}
	var out AddressBook
	status, err := c.do(ctx, r, &out)
	if err != nil {
		return AddressBook{}, err
	}
	if out.ID <= 0 {
		return AddressBook{}, &DecodeError{Method: r.method, Route: r.route, Status: status, Err: errMissing("id")}
	}
	return out, nil
}

// EnsureList returns the id of the address book with this name, creating a
// private one if none exists. An exact name match wins over a
// case-insensitive one.
func (c *Client) EnsureList(ctx context.Context, name string) (int64, error) {
	name = strings.TrimSpace(name)
	find := func() (int64, bool, error) {
		books, err := c.ListAddressBooks(ctx)
		if err != nil {
			return 0, false, err
		}
		var folded int64
		for _, b := range books {
			if b.Name == name {
				return b.ID, true, nil
			}
			if folded == 0 && strings.EqualFold(b.Name, name) {
				folded = b.ID
			}
		}
		return folded, folded != 0, nil
	}
	if id, ok, err := find(); err != nil || ok {
		return id, err
	}
	book, err := c.CreateAddressBook(ctx, name, VisibilityPrivate)
	if err == nil {
		return book.ID, nil
	}
	if !errors.Is(err, ErrAlreadyExists) {
		return 0, err
	}
	// Created concurrently by someone else (or a reserved name): look again.
	if id, ok, ferr := find(); ferr == nil && ok {
		return id, nil
	}
	return 0, err
}

type v2ContactBody struct {
	ID     int64  `json:"id"`
	Email  string `json:"email"`
	Status string `json:"status"`
}

// AddContactToList adds the contact with this email to an address book
// (POST /v2/address-books/{id}/contacts with only the email: no opt-in or
// status is sent) and returns its contact id. Dotdigital creates the contact
// if it does not exist; a suppressed contact is refused (ErrSuppressed).
func (c *Client) AddContactToList(ctx context.Context, listID int64, email string) (int64, error) {
	if listID <= 0 {
		return 0, invalidArg("listId", "must be positive")
	}
	email, err := normaliseEmail("email", email)
	if err != nil {
		return 0, err
	}
	path := routeAddressBooks + "/" + strconv.FormatInt(listID, 10) + "/contacts"
	r, err := jsonRequest("POST", routeAddressBookContact, path, map[string]string{"email": email})
	if err != nil {
		return 0, err
	}
	var out v2ContactBody
	status, err := c.do(ctx, r, &out)
	if err != nil {
		return 0, err
	}
	if out.ID <= 0 {
		return 0, &DecodeError{Method: r.method, Route: r.route, Status: status, Err: errMissing("id")}
	}
	return out.ID, nil
}

// RemoveContactFromList removes one contact from an address book
// (DELETE /v2/address-books/{id}/contacts/{contactId}). Non-positive ids are
// refused before any request: without a contact id the route would be the
// one that empties the whole book, which this package never calls.
func (c *Client) RemoveContactFromList(ctx context.Context, listID, contactID int64) error {
	if listID <= 0 {
		return invalidArg("listId", "must be positive")
	}
	if contactID <= 0 {
		return invalidArg("contactId", "must be positive (refusing the delete-all route)")
	}
	path := routeAddressBooks + "/" + strconv.FormatInt(listID, 10) + "/contacts/" + strconv.FormatInt(contactID, 10)
	_, err := c.do(ctx, request{method: "DELETE", route: routeAddressBookMember, path: path}, nil)
	return err
}
