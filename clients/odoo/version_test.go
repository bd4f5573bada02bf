package odoo

import (
	"context"
	"slices"
	"testing"
)

func TestParseVersion(t *testing.T) {
	cases := []struct {
		in           string
		major, minor int
		bad          bool
	}{
		{"16.0", 16, 0, false},
		{"17.0+e", 17, 0, false},
		{"18.0-20241001", 18, 0, false},
		{"saas~17.2", 17, 2, false},
		{"saas~17.2+e", 17, 2, false},
		{"saas-16.4", 16, 4, false},
		{"19.0", 19, 0, false},
		{"18", 18, 0, false},
		{"", 0, 0, true},
		{"saas", 0, 0, true},
		{"3.1", 0, 0, true},
	}
	for _, tc := range cases {
		v, err := ParseVersion(tc.in)
		if (err != nil) != tc.bad || !tc.bad && (v.Major != tc.major || v.Minor != tc.minor) {
			t.Errorf("%q: got %+v, %v", tc.in, v, err)
		}
	}
}

func TestVersionFromInfo(t *testing.T) {
	cases := []struct {
		raw          map[string]any
		major, minor int
	}{
		{versionStruct("17.0", []any{int64(17), int64(0), int64(0), "final", int64(0), ""}), 17, 0},
		{versionStruct("saas~17.2+e", []any{"saas~17", int64(2), int64(0), "final", int64(0), "e"}), 17, 2},
		{versionStruct("16.0", []any{int64(16), int64(0), int64(0), "final", int64(0), ""}), 16, 0},
		{map[string]any{"server_version": "18.0+e"}, 18, 0},
		{map[string]any{"server_serie": "saas~18.3", "server_version_info": []any{}}, 18, 3},
	}
	for _, tc := range cases {
		v, err := versionFromInfo(tc.raw)
		if err != nil || v.Major != tc.major || v.Minor != tc.minor {
			t.Errorf("%v: got %+v %v", tc.raw, v, err)
		}
	}
	if _, err := versionFromInfo("17.0"); err == nil {
		t.Error("non-struct accepted")
	}
	if _, err := versionFromInfo(map[string]any{"protocol_version": int64(1)}); err == nil {
		t.Error("empty struct accepted")
	}
}

func TestVersionRules(t *testing.T) {
	v16, v164, v17, v18, v182 := Version{Major: 16}, Version{Major: 16, Minor: 4}, Version{Major: 17}, Version{Major: 18}, Version{Major: 18, Minor: 2}
	if !slices.Equal(v16.ConfirmedStates(), []string{"sale", "done"}) || !slices.Equal(v17.ConfirmedStates(), []string{"sale"}) || !slices.Equal(v164.ConfirmedStates(), []string{"sale"}) {
		t.Error("confirmed states")
	}
	if v16.HasLockedField() || !v17.HasLockedField() || !v16.HasPrivateType() || v17.HasPrivateType() {
		t.Error("locked/private")
	}
	if !v18.HasPartnerMobile() || v182.HasPartnerMobile() {
		t.Error("mobile")
	}
	if v18.LineUoMField() != "product_uom" || (Version{Major: 19}).LineUoMField() != "product_uom_id" {
		t.Error("uom")
	}
	if slices.Contains(OrderFields(v16), "locked") || !slices.Contains(OrderFields(v17), "locked") {
		t.Error("order fields")
	}
	if !slices.Contains(PartnerFields(v18), "mobile") || slices.Contains(PartnerFields(Version{Major: 19}), "mobile") {
		t.Error("partner fields")
	}
}

// The client detects the version through common.version() and adapts the
// field list it sends.
func TestClientDetectsVersionAndAdaptsFields(t *testing.T) {
	for _, tc := range []struct {
		serverVersion string
		info          []any
		major, minor  int
		locked        bool
	}{
		{"16.0", []any{int64(16), int64(0), int64(0), "final", int64(0), ""}, 16, 0, false},
		{"17.0", []any{int64(17), int64(0), int64(0), "final", int64(0), ""}, 17, 0, true},
		{"18.0+e", []any{int64(18), int64(0), int64(0), "final", int64(0), "e"}, 18, 0, true},
		{"saas~17.2", []any{"saas~17", int64(2), int64(0), "final", int64(0), ""}, 17, 2, true},
	} {
		t.Run(tc.serverVersion, func(t *testing.T) {
			f := newFakeOdoo(t, 17)
			f.setVersion(tc.serverVersion, tc.info)
			f.model("sale.order", "name", "state", "locked", "date_order", "amount_total", "partner_id")
			f.model("sale.order.line", "order_id")
			var sentFields []any
			f.before = func(service, method string, params []any) (any, *rpcFault, bool) {
				if len(params) > 6 && params[4] == "read" {
					sentFields = params[6].(map[string]any)["fields"].([]any)
				}
				return nil, nil, false
			}
			c := f.client(t)
			v, err := c.Version(context.Background())
			if err != nil || v.Major != tc.major || v.Minor != tc.minor {
				t.Fatalf("version %+v %v", v, err)
			}
			if _, err := c.OrdersByIDs(context.Background(), []int64{1}); err != nil {
				t.Fatal(err)
			}
			if slices.Contains(sentFields, any("locked")) != tc.locked {
				t.Fatalf("fields sent %v", sentFields)
			}
			// fields_get narrowed the list to what the server has.
			if slices.Contains(sentFields, any("website_id")) {
				t.Fatalf("asked for a field the server lacks: %v", sentFields)
			}
		})
	}
}
