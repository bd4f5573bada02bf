package shop

import (
	"context"
	"fmt"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/odoo"
)

// Site is a website and the company it sells for.
type Site struct{ ID, Company int64 }

// Catalog is the master data a simulated shop sells with: companies,
// websites, products, countries and the VIP tag (0 when Odoo has none).
type Catalog struct {
	Companies []int64
	Sites     []Site
	Products  []int64
	Countries []int64
	VIPTag    int64
}

// PickSite picks where an order is placed: a website (and its company)
// three times in four, else a company's backend. intn is the caller's
// random source (rand.Intn-like).
func (c Catalog) PickSite(intn func(int) int) (site, company int64) {
	if len(c.Sites) > 0 && intn(4) > 0 {
		w := c.Sites[intn(len(c.Sites))]
		return w.ID, w.Company
	}
	return 0, c.Companies[intn(len(c.Companies))]
}

// LoadCatalog reads the catalog through the XML-RPC API.
func LoadCatalog(ctx context.Context, c *odoo.Client) (Catalog, error) {
	var cat Catalog
	companies, err := c.Companies(ctx)
	if err != nil {
		return cat, fmt.Errorf("read companies: %w", err)
	}
	for _, co := range companies {
		cat.Companies = append(cat.Companies, co.ID)
	}
	sites, err := c.Websites(ctx)
	if err != nil {
		return cat, fmt.Errorf("read websites: %w", err)
	}
	for _, w := range sites {
		cat.Sites = append(cat.Sites, Site{ID: w.ID, Company: w.CompanyID.ID})
	}
	ids := func(model string, domain odoo.Domain) ([]int64, error) {
		return c.Search(ctx, model, domain, odoo.ReadOptions{Limit: 200})
	}
	if cat.Products, err = ids("product.product", odoo.Domain{}); err != nil {
		return cat, fmt.Errorf("read products: %w", err)
	}
	if cat.Countries, err = ids("res.country", odoo.Domain{}); err != nil {
		return cat, fmt.Errorf("read countries: %w", err)
	}
	vip, err := ids("res.partner.category", odoo.Term("name", "=", "VIP"))
	if err != nil {
		return cat, fmt.Errorf("read tags: %w", err)
	}
	if len(vip) > 0 {
		cat.VIPTag = vip[0]
	}
	if len(cat.Companies) == 0 || len(cat.Products) == 0 {
		return cat, fmt.Errorf("odoo has no companies or products to sell")
	}
	return cat, nil
}
