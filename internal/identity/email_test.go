package identity

import "testing"

func TestKey(t *testing.T) {
	cases := []struct {
		norm, email string
		want        string
		reason      Reason
	}{
		{"jane@example.com", "Jane <JANE@example.com>", "jane@example.com", ReasonOK},
		{"", "  Jane.Doe@Example.COM ", "jane.doe@example.com", ReasonOK},
		{"", "Jane Doe <jane@example.com>", "jane@example.com", ReasonOK},
		{"", "not-an-email, second@example.org", "second@example.org", ReasonOK},
		{"", "a@b.co; c@d.co", "a@b.co", ReasonOK},
		{"", "\"Doe, Jane\" <jd@example.com>", "jd@example.com", ReasonOK},
		{"", "José Müller <jose@example.es>", "jose@example.es", ReasonOK},
		{"", "", "", ReasonNoEmail},
		{"", "   ", "", ReasonNoEmail},
		{"", "jane@", "", ReasonInvalidEmail},
		{"", "jane@localhost", "", ReasonInvalidEmail},
		{"", "ja ne@example.com", "", ReasonInvalidEmail},
		{"", "a@@example.com", "", ReasonInvalidEmail},
	}
	for _, c := range cases {
		got, reason := Key(c.norm, c.email)
		if got != c.want || reason != c.reason {
			t.Errorf("Key(%q,%q) = %q,%q; want %q,%q", c.norm, c.email, got, reason, c.want, c.reason)
		}
	}
}

func TestCustomerIDStableAndKeyed(t *testing.T) {
	a, b := NewHasher("s1"), NewHasher("s2")
	id := a.CustomerID("jane@example.com")
	if id != a.CustomerID("jane@example.com") {
		t.Fatal("not stable")
	}
	if id == b.CustomerID("jane@example.com") {
		t.Fatal("secret does not change the ID")
	}
	if id == a.CustomerID("john@example.com") {
		t.Fatal("different keys collide")
	}
	if len(id) != len(CustomerIDPrefix)+32 {
		t.Fatalf("unexpected length %d", len(id))
	}
}

func FuzzKey(f *testing.F) {
	for _, s := range []string{"Jane <jane@x.com>", "a@b.co;c@d.co", "", "@", "x@y", "\x00@a.bc"} {
		f.Add("", s)
	}
	f.Fuzz(func(t *testing.T, norm, email string) {
		k, reason := Key(norm, email)
		if (k == "") == (reason == ReasonOK) {
			t.Fatalf("key %q with reason %q", k, reason)
		}
		if k != "" && NormaliseEmail(k) != k {
			t.Fatalf("key %q is not normalised", k)
		}
	})
}
