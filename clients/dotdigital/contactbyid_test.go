package dotdigital_test

import (
	"testing"

	dd "github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/dotdigital"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/dotdigital/ddemu"
)

func TestWritesByContactIDNeverCreate(t *testing.T) {
	e := startEmu(t, ddemu.Options{})
	c := emuClient(t, e)
	cx := ctx(t)
	a, _, err := c.UpsertContact(cx, "old@example.com", dd.ContactUpdate{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.UpsertContact(cx, "taken@example.com", dd.ContactUpdate{}); err != nil {
		t.Fatal(err)
	}
	// A rename repeated after a lost answer reaches the same end.
	for i := 0; i < 2; i++ {
		got, err := c.ChangeEmailByID(cx, a.ContactID, "New@Example.com")
		if err != nil {
			t.Fatalf("rename %d: %v", i, err)
		}
		if got.ContactID != a.ContactID || got.Email != "new@example.com" {
			t.Fatalf("rename %d: %+v", i, got)
		}
	}
	if _, err := c.GetContact(cx, "old@example.com"); !dd.IsContactNotFound(err) {
		t.Fatalf("the old email still names a contact: %v", err)
	}
	if _, err := c.ChangeEmailByID(cx, a.ContactID, "taken@example.com"); !dd.IsConflict(err) {
		t.Fatalf("rename onto another contact's email: %v, want a conflict", err)
	}
	if _, err := c.UpdateContactByID(cx, a.ContactID, dd.ContactUpdate{DataFields: map[string]any{"FIRSTNAME": nil}}); err != nil {
		t.Fatalf("update by id: %v", err)
	}
	if _, err := c.UpdateContactByID(cx, a.ContactID+1000, dd.ContactUpdate{}); !dd.IsContactNotFound(err) {
		t.Fatalf("update of a missing contact: %v, want not found", err)
	}
	if n := e.Stats().Contacts; n != 2 {
		t.Fatalf("%d contacts, want 2: a write by id never creates one", n)
	}
}
