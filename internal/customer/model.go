// Package customer turns what Odoo holds about one customer (every partner
// sharing a normalised email, and their sales orders) into what Dotdigital
// should hold (one contact's data fields, list memberships and one Insight
// record per order), and computes the smallest write that brings a
// previously written state up to date. It does no I/O.
package customer

import "time"

// Partner is the part of an Odoo res.partner the sync uses.
type Partner struct {
	ID          int64
	Name        string
	CompanyID   int64
	CompanyName string
	WebsiteName string
	CountryName string
	Lang        string
	Tags        []string
	HasUser     bool // a portal or internal login: an "account" rather than a guest
	Active      bool
	WriteDate   time.Time
}

// Line is one product line of an order.
type Line struct {
	SKU   string  `json:"sku"`
	Name  string  `json:"name"`
	Qty   float64 `json:"qty"`
	Price float64 `json:"price"`
}

// Order is the part of an Odoo sale.order the sync uses.
type Order struct {
	ID          int64
	Name        string
	State       string // draft, sent, sale, done, cancel
	DateOrder   time.Time
	Total       float64
	Subtotal    float64
	Currency    string
	CompanyID   int64
	CompanyName string
	WebsiteName string
	PartnerID   int64
	Lines       []Line
	WriteDate   time.Time
}

// Confirmed reports whether the order counts as a purchase.
func (o Order) Confirmed() bool { return o.State == "sale" || o.State == "done" }

// Recorded reports whether the order has an Insight record: confirmed orders
// and cancelled ones (so that a cancellation rewrites the record's status).
func (o Order) Recorded() bool { return o.Confirmed() || o.State == "cancel" }

// Customer is everything Odoo holds under one key.
type Customer struct {
	Key      string
	Partners []Partner
	Orders   []Order
}

// Active returns the customer without its archived partners and their orders.
func (c Customer) Active() Customer {
	out := Customer{Key: c.Key}
	active := map[int64]bool{}
	for _, p := range c.Partners {
		if p.Active {
			out.Partners = append(out.Partners, p)
			active[p.ID] = true
		}
	}
	for _, o := range c.Orders {
		if active[o.PartnerID] {
			out.Orders = append(out.Orders, o)
		}
	}
	return out
}

// Settings shape the mapping; they come from configuration.
type Settings struct {
	VIPTags       []string
	Currency      string             // reporting currency of TOTAL_SPENT / AVG_ORDER
	CurrencyRates map[string]float64 // order currency -> reporting currency
	Lists         []string           // every contact joins these
	TagLists      map[string]string  // tag name -> list name
}

// Priority classes, highest first (BRIEF: Priorities).
type Class int

const (
	ClassNone    Class = 0
	ClassOrder   Class = 1
	ClassStatus  Class = 2
	ClassProfile Class = 3
)

func (c Class) String() string {
	switch c {
	case ClassOrder:
		return "order"
	case ClassStatus:
		return "status"
	case ClassProfile:
		return "profile"
	}
	return "none"
}
