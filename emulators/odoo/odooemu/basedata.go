package odooemu

import (
	"fmt"
	"time"
)

// countries is a realistic subset of res.country (name, ISO code, phone code).
var countries = []struct {
	name, code string
	phone      int64
}{
	{"Afghanistan", "AF", 93}, {"Argentina", "AR", 54}, {"Australia", "AU", 61}, {"Austria", "AT", 43},
	{"Belgium", "BE", 32}, {"Brazil", "BR", 55}, {"Bulgaria", "BG", 359}, {"Canada", "CA", 1},
	{"Chile", "CL", 56}, {"China", "CN", 86}, {"Colombia", "CO", 57}, {"Croatia", "HR", 385},
	{"Cyprus", "CY", 357}, {"Czech Republic", "CZ", 420}, {"Denmark", "DK", 45}, {"Egypt", "EG", 20},
	{"Estonia", "EE", 372}, {"Finland", "FI", 358}, {"France", "FR", 33}, {"Germany", "DE", 49},
	{"Greece", "GR", 30}, {"Hong Kong", "HK", 852}, {"Hungary", "HU", 36}, {"Iceland", "IS", 354},
	{"India", "IN", 91}, {"Indonesia", "ID", 62}, {"Ireland", "IE", 353}, {"Israel", "IL", 972},
	{"Italy", "IT", 39}, {"Japan", "JP", 81}, {"Latvia", "LV", 371}, {"Lithuania", "LT", 370},
	{"Luxembourg", "LU", 352}, {"Malta", "MT", 356}, {"Mexico", "MX", 52}, {"Morocco", "MA", 212},
	{"Netherlands", "NL", 31}, {"New Zealand", "NZ", 64}, {"Norway", "NO", 47}, {"Poland", "PL", 48},
	{"Portugal", "PT", 351}, {"Romania", "RO", 40}, {"Singapore", "SG", 65}, {"Slovakia", "SK", 421},
	{"Slovenia", "SI", 386}, {"South Africa", "ZA", 27}, {"South Korea", "KR", 82}, {"Spain", "ES", 34},
	{"Sweden", "SE", 46}, {"Switzerland", "CH", 41}, {"Türkiye", "TR", 90}, {"Ukraine", "UA", 380},
	{"United Arab Emirates", "AE", 971}, {"United Kingdom", "GB", 44}, {"United States", "US", 1},
	{"Vietnam", "VN", 84}, {"Åland Islands", "AX", 358}, {"Côte d'Ivoire", "CI", 225},
}

var currencies = []struct {
	name, symbol, full string
	rate               float64
	active             bool
}{
	{"EUR", "€", "Euro", 1, true}, {"USD", "$", "United States dollar", 1.08, true},
	{"GBP", "£", "Pound sterling", 0.85, true}, {"CHF", "CHF", "Swiss franc", 0.95, true},
	{"SEK", "kr", "Swedish krona", 11.2, true}, {"DKK", "kr", "Danish krone", 7.46, false},
	{"PLN", "zł", "Polish złoty", 4.3, false},
}

// products are product.product master data (code, name, price).
var products = []struct {
	code, name string
	price      float64
}{
	{"FURN_0001", "Office Chair", 70}, {"FURN_0002", "Large Desk", 1799}, {"FURN_0003", "Corner Desk Left Sit", 85},
	{"FURN_0004", "Drawer Black", 25}, {"FURN_0005", "Cabinet with Doors", 140}, {"FURN_0006", "Storage Box", 15.8},
	{"FURN_0007", "Desk Organizer", 5.1}, {"FURN_0008", "Pedal Bin", 47}, {"FURN_0009", "Flipover", 1950},
	{"FURN_0010", "Acoustic Bloc Screens", 295}, {"FURN_0011", "Large Cabinet", 320}, {"FURN_0012", "Three-Seat Sofa", 1500},
	{"E-COM01", "Conference Chair (Steel)", 33}, {"E-COM02", "Conference Chair (Aluminium)", 39.4},
	{"E-COM03", "Customizable Desk (Steel, White)", 750}, {"E-COM04", "Customizable Desk (Aluminium, Black)", 800.4},
	{"E-COM05", "Office Lamp", 40}, {"E-COM06", "Whiteboard Pen", 1.2}, {"E-COM07", "Monitor Stand", 3.19},
	{"E-COM08", "Desk Pad", 1.98}, {"E-COM09", "Cable Management Box", 100}, {"E-COM10", "Magnetic Board", 1.98},
	{"E-COM11", "Wood Panel", 12.5}, {"E-COM12", "Bolt", 0.5}, {"GIFT-50", "Gift Card 50", 50},
	{"SRV-DEL", "Home Delivery", 9.99}, {"SRV-ASM", "Assembly Service", 49}, {"KIT-ÉTÉ", "Kit Été Jardin", 129.9},
	{"ACC-0001", "Café Mug \u201cBonjour\u201d", 7.5}, {"ACC-0002", "Notebook A5 (Ruled)", 4.25},
}

var partnerTags = []struct {
	name   string
	color  int64
	parent string
}{
	{"VIP", 3, ""}, {"Newsletter", 10, ""}, {"Wholesale", 5, ""}, {"B2B", 4, ""}, {"Retail", 2, ""},
	{"Gold", 3, "VIP"}, {"Platinum", 9, "VIP"}, {"Churn risk", 1, ""},
}

// loadBaseData creates what a fresh database with sale, website_sale and
// mail holds: companies, websites, currencies, countries, users, taxes,
// pricelists, products and tags.
func (s *store) loadBaseData(now time.Time, login string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	tx := s.begin(now, 1)
	c := &callCtx{s: s, tx: tx, uid: 1, activeTest: true, sudo: true, companies: []int64{1, 2}, context: map[string]any{}}
	create := func(model string, vals map[string]any) int64 {
		ids, err := c.createRecords(s.models[model], []map[string]any{vals})
		if err != nil {
			panic(fmt.Sprintf("odooemu base data %s: %v", model, err))
		}
		return ids[0]
	}
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("%v", r)
			}
		}()
		for _, cur := range currencies {
			create("res.currency", map[string]any{"name": cur.name, "symbol": cur.symbol, "full_name": cur.full,
				"rounding": 0.01, "decimal_places": int64(2), "rate": cur.rate, "active": cur.active,
				"position": map[bool]string{true: "before", false: "after"}[cur.name != "EUR"]})
		}
		country := map[string]int64{}
		for _, co := range countries {
			country[co.code] = create("res.country", map[string]any{"name": co.name, "code": co.code, "phone_code": co.phone})
		}
		p1 := create("res.partner", map[string]any{"name": "YourCompany", "is_company": true, "email": "info@yourcompany.example.com", "country_id": country["BE"], "lang": "en_US"})
		create("res.partner", map[string]any{"name": "OdooBot", "email": "odoobot@example.com", "active": false})
		create("res.partner", map[string]any{"name": "Mitchell Admin", "email": "admin@yourcompany.example.com", "country_id": country["BE"], "lang": "en_US"})
		create("res.partner", map[string]any{"name": "Public user", "active": false})
		p5 := create("res.partner", map[string]any{"name": "YourCompany UK", "is_company": true, "email": "uk@yourcompany.example.com", "country_id": country["GB"], "lang": "en_GB"})
		create("res.partner", map[string]any{"name": "Default User Template", "active": false})
		create("res.partner", map[string]any{"name": "Portal User Template", "active": false})
		create("res.company", map[string]any{"name": "YourCompany", "partner_id": p1, "currency_id": int64(1), "country_id": country["BE"], "sequence": int64(0), "active": true})
		create("res.company", map[string]any{"name": "YourCompany UK", "partner_id": p5, "currency_id": int64(3), "country_id": country["GB"], "sequence": int64(10), "active": true})
		both := []any{[]any{int64(6), int64(0), []any{int64(1), int64(2)}}}
		create("res.users", map[string]any{"login": "__system__", "partner_id": int64(2), "company_id": int64(1), "company_ids": both, "active": false})
		create("res.users", map[string]any{"login": login, "partner_id": int64(3), "company_id": int64(1), "company_ids": both, "active": true})
		create("res.users", map[string]any{"login": "default", "partner_id": int64(6), "company_id": int64(1), "company_ids": both, "active": false})
		create("res.users", map[string]any{"login": "public", "partner_id": int64(4), "company_id": int64(1), "company_ids": both, "active": false, "share": true})
		create("res.users", map[string]any{"login": "portaltemplate", "partner_id": int64(7), "company_id": int64(1), "company_ids": both, "active": false, "share": true})
		create("website", map[string]any{"name": "My Website", "domain": "https://shop.yourcompany.example.com", "company_id": int64(1), "user_id": int64(4), "sequence": int64(10), "specific_user_account": false})
		create("website", map[string]any{"name": "UK Shop", "domain": "https://uk.yourcompany.example.com", "company_id": int64(2), "user_id": int64(4), "sequence": int64(20), "specific_user_account": true})
		create("uom.uom", map[string]any{"name": "Units", "active": true})
		create("uom.uom", map[string]any{"name": "Dozens", "active": true})
		create("uom.uom", map[string]any{"name": "kg", "active": true})
		create("account.tax", map[string]any{"name": "21%", "amount": 21.0, "amount_type": "percent", "type_tax_use": "sale", "company_id": int64(1), "active": true, "sequence": int64(1)})
		create("account.tax", map[string]any{"name": "20%", "amount": 20.0, "amount_type": "percent", "type_tax_use": "sale", "company_id": int64(2), "active": true, "sequence": int64(1)})
		create("account.tax", map[string]any{"name": "0% EU", "amount": 0.0, "amount_type": "percent", "type_tax_use": "sale", "company_id": int64(1), "active": true, "sequence": int64(2)})
		create("product.pricelist", map[string]any{"name": "Public Pricelist", "currency_id": int64(1), "company_id": int64(1), "sequence": int64(1), "active": true})
		create("product.pricelist", map[string]any{"name": "USD Pricelist", "currency_id": int64(2), "company_id": int64(1), "sequence": int64(2), "active": true})
		create("product.pricelist", map[string]any{"name": "UK Pricelist", "currency_id": int64(3), "company_id": int64(2), "sequence": int64(3), "active": true})
		taxes := []any{[]any{int64(6), int64(0), []any{int64(1), int64(2)}}}
		for i, p := range products {
			typ := "consu"
			if p.code[:3] == "SRV" {
				typ = "service"
			}
			create("product.product", map[string]any{"name": p.name, "default_code": p.code, "list_price": p.price,
				"standard_price": roundTo(p.price*0.6, 2), "type": typ, "uom_id": int64(1), "taxes_id": taxes,
				"sale_ok": true, "active": true, "barcode": fmt.Sprintf("5400000%06d", i+1)})
		}
		tagIDs := map[string]int64{}
		for _, t := range partnerTags {
			vals := map[string]any{"name": t.name, "color": t.color, "active": true}
			if t.parent != "" {
				vals["parent_id"] = tagIDs[t.parent]
			}
			tagIDs[t.name] = create("res.partner.category", vals)
		}
	}()
	if err != nil {
		tx.rollback()
		return err
	}
	tx.commit()
	return nil
}
