// Package odooconv converts the Odoo client's records into the customer
// model, so that the sync (which loads customers by key) and reconciliation
// (which scans every partner) see a customer the same way.
package odooconv

import (
	"sort"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/odoo"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
)

// Partner converts a partner. tags maps tag (res.partner.category) ids to
// names; ids it does not hold (deleted tags) are left out.
func Partner(p odoo.Partner, tags map[int64]string) customer.Partner {
	cp := customer.Partner{
		ID: p.ID, Name: p.Name, CompanyID: p.CompanyID.ID, CompanyName: p.CompanyID.Name,
		WebsiteName: p.WebsiteID.Name, CountryName: p.CountryID.Name, Lang: p.Lang,
		HasUser: len(p.UserIDs) > 0, Active: p.Active, WriteDate: p.WriteDate,
	}
	for _, id := range p.CategoryIDs {
		if name, ok := tags[id]; ok {
			cp.Tags = append(cp.Tags, name)
		}
	}
	sort.Strings(cp.Tags)
	return cp
}

// Order converts a sale order with whatever lines it was read with.
func Order(o odoo.SaleOrder) customer.Order {
	co := customer.Order{
		ID: o.ID, Name: o.Name, State: o.State, DateOrder: o.DateOrder, Total: o.AmountTotal,
		Subtotal: o.AmountUntaxed, Currency: o.Currency, CompanyID: o.CompanyID.ID, CompanyName: o.CompanyID.Name,
		WebsiteName: o.WebsiteID.Name, PartnerID: o.PartnerID.ID, WriteDate: o.WriteDate,
	}
	for _, l := range o.Lines {
		co.Lines = append(co.Lines, customer.Line{SKU: l.SKU, Name: l.Name, Qty: l.Qty, Price: l.PriceUnit})
	}
	return co
}
