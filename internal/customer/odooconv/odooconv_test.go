package odooconv

import (
	"reflect"
	"testing"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/odoo"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
)

func TestPartner(t *testing.T) {
	wrote := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	p := odoo.Partner{ID: 7, Name: "Jane Doe", CompanyID: odoo.Many2One{ID: 2, Name: "Shop UK"},
		WebsiteID: odoo.Many2One{ID: 3, Name: "uk.shop"}, CountryID: odoo.Many2One{ID: 21, Name: "Belgium"},
		Lang: "nl_BE", CategoryIDs: []int64{9, 4, 99}, UserIDs: []int64{5}, Active: true, WriteDate: wrote}
	got := Partner(p, map[int64]string{4: "VIP", 9: "Newsletter"})
	want := customer.Partner{ID: 7, Name: "Jane Doe", CompanyID: 2, CompanyName: "Shop UK", WebsiteName: "uk.shop",
		CountryName: "Belgium", Lang: "nl_BE", Tags: []string{"Newsletter", "VIP"}, HasUser: true, Active: true, WriteDate: wrote}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v (a deleted tag id is left out, names are sorted)", got, want)
	}
}

func TestOrder(t *testing.T) {
	o := odoo.SaleOrder{ID: 12, Name: "S00012", State: odoo.StateDone, AmountTotal: 121, AmountUntaxed: 100,
		Currency: "EUR", CompanyID: odoo.Many2One{ID: 1, Name: "Shop"}, PartnerID: odoo.Many2One{ID: 7},
		Lines: []odoo.OrderLine{{SKU: "CHAIR", Name: "Chair", Qty: 2, PriceUnit: 50}}}
	got := Order(o)
	if got.ID != 12 || got.State != "done" || got.Total != 121 || got.Subtotal != 100 || got.PartnerID != 7 ||
		got.CompanyName != "Shop" || !reflect.DeepEqual(got.Lines, []customer.Line{{SKU: "CHAIR", Name: "Chair", Qty: 2, Price: 50}}) {
		t.Errorf("got %+v", got)
	}
}
