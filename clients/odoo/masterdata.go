package odoo

import (
	"context"
	"errors"
	"strings"
	"time"
)

// Models of the master data readers.
const (
	ModelCategory = "res.partner.category"
	ModelCompany  = "res.company"
	ModelWebsite  = "website"
)

// Category is a partner tag (res.partner.category).
type Category struct {
	ID          int64
	Name        string
	DisplayName string // "Parent / Child"
	ParentID    Many2One
	Active      bool
	WriteDate   time.Time
}

// Company is a res.company.
type Company struct {
	ID         int64
	Name       string
	Currency   string
	CurrencyID Many2One
	WriteDate  time.Time
}

// Website is a website (website module).
type Website struct {
	ID        int64
	Name      string
	Domain    string
	CompanyID Many2One
	WriteDate time.Time
}

var (
	categoryFieldList = []string{"id", "name", "display_name", "parent_id", "active", "write_date"}
	companyFieldList  = []string{"id", "name", "currency_id", "write_date"}
	websiteFieldList  = []string{"id", "name", "domain", "company_id", "write_date"}
)

// CategoryFromRecord converts a res.partner.category row.
func CategoryFromRecord(r Record) Category {
	return Category{ID: r.ID(), Name: r.String("name"), DisplayName: r.String("display_name"),
		ParentID: r.Many2One("parent_id"), Active: r.Bool("active"), WriteDate: r.Time("write_date")}
}

// Categories reads tags by id (archived included; deleted ids left out).
func (c *Client) Categories(ctx context.Context, ids []int64) ([]Category, error) {
	fields, err := c.fieldsFor(ctx, ModelCategory, categoryFieldList)
	if err != nil {
		return nil, err
	}
	var out []Category
	for _, chunk := range chunks(uniqueIDs(ids), c.batch) {
		recs, err := c.Read(ctx, ModelCategory, chunk, fields)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			out = append(out, CategoryFromRecord(r))
		}
	}
	return out, nil
}

// AllCategories reads every tag, archived included, in id order.
func (c *Client) AllCategories(ctx context.Context) ([]Category, error) {
	fields, err := c.fieldsFor(ctx, ModelCategory, categoryFieldList)
	if err != nil {
		return nil, err
	}
	recs, err := c.searchReadAll(ctx, ModelCategory, nil, fields, withArchived(nil))
	if err != nil {
		return nil, err
	}
	out := make([]Category, len(recs))
	for i, r := range recs {
		out[i] = CategoryFromRecord(r)
	}
	return out, nil
}

// Companies reads the companies the API user can see, in id order.
func (c *Client) Companies(ctx context.Context) ([]Company, error) {
	fields, err := c.fieldsFor(ctx, ModelCompany, companyFieldList)
	if err != nil {
		return nil, err
	}
	recs, err := c.searchReadAll(ctx, ModelCompany, nil, fields, withArchived(nil))
	if err != nil {
		return nil, err
	}
	out := make([]Company, len(recs))
	for i, r := range recs {
		cur := r.Many2One("currency_id")
		out[i] = Company{ID: r.ID(), Name: r.String("name"), Currency: cur.Name, CurrencyID: cur, WriteDate: r.Time("write_date")}
	}
	return out, nil
}

// Websites reads the websites in id order; none (and no error) when the
// website module is not installed.
func (c *Client) Websites(ctx context.Context) ([]Website, error) {
	fields, err := c.fieldsFor(ctx, ModelWebsite, websiteFieldList)
	if err != nil {
		if isUnknownModel(err) {
			return nil, nil
		}
		return nil, err
	}
	recs, err := c.searchReadAll(ctx, ModelWebsite, nil, fields, nil)
	if err != nil {
		if isUnknownModel(err) {
			return nil, nil
		}
		return nil, err
	}
	out := make([]Website, len(recs))
	for i, r := range recs {
		out[i] = Website{ID: r.ID(), Name: r.String("name"), Domain: r.String("domain"),
			CompanyID: r.Many2One("company_id"), WriteDate: r.Time("write_date")}
	}
	return out, nil
}

// isUnknownModel: Fault 2 "Object x doesn't exist" (reference 1.3).
func isUnknownModel(err error) bool {
	var f *Fault
	return errors.As(err, &f) && f.Code == 2 && strings.Contains(f.Message, "doesn't exist")
}
