package odoo

import (
	"context"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/identity"
)

// ModelPartner is res.partner.
const ModelPartner = "res.partner"

// Partner is a res.partner as the sync needs it.
type Partner struct {
	ID                  int64
	Name                string
	DisplayName         string
	Email               string
	EmailNormalized     string
	Phone               string
	Mobile              string // empty from 18.2, where the field is gone
	IsCompany           bool
	ParentID            Many2One
	CommercialPartnerID Many2One
	CompanyID           Many2One // zero: shared across companies
	WebsiteID           Many2One // zero unless the website uses specific user accounts
	CategoryIDs         []int64
	UserIDs             []int64 // not empty: the partner has a login (portal or internal)
	Active              bool
	CustomerRank        int
	Lang                string
	CountryCode         string
	CountryID           Many2One
	// Type is contact, invoice, delivery, other, or private (16.0 only).
	Type       string
	CreateDate time.Time
	WriteDate  time.Time
}

// Key is the customer key (normalised email) and why there is none.
func (p Partner) Key() (string, identity.Reason) { return identity.Key(p.EmailNormalized, p.Email) }

var partnerFieldList = []string{
	"id", "name", "display_name", "email", "email_normalized", "phone", "mobile", "is_company",
	"parent_id", "commercial_partner_id", "company_id", "website_id", "category_id", "user_ids",
	"active", "customer_rank", "lang", "country_id", "country_code", "type", "create_date", "write_date",
}

// PartnerFields is the res.partner field list the typed readers ask a server
// of this version for (before fields_get narrowing).
func PartnerFields(v Version) []string {
	if v.HasPartnerMobile() {
		return append([]string(nil), partnerFieldList...)
	}
	return withoutField(partnerFieldList, "mobile")
}

// PartnerFromRecord converts a res.partner row (read with PartnerFields).
func PartnerFromRecord(r Record) Partner {
	return Partner{
		ID:                  r.ID(),
		Name:                r.String("name"),
		DisplayName:         r.String("display_name"),
		Email:               r.String("email"),
		EmailNormalized:     r.String("email_normalized"),
		Phone:               r.String("phone"),
		Mobile:              r.String("mobile"),
		IsCompany:           r.Bool("is_company"),
		ParentID:            r.Many2One("parent_id"),
		CommercialPartnerID: r.Many2One("commercial_partner_id"),
		CompanyID:           r.Many2One("company_id"),
		WebsiteID:           r.Many2One("website_id"),
		CategoryIDs:         r.IDs("category_id"),
		UserIDs:             r.IDs("user_ids"),
		Active:              r.Bool("active"),
		CustomerRank:        int(r.Int("customer_rank")),
		Lang:                r.String("lang"),
		CountryCode:         r.String("country_code"),
		CountryID:           r.Many2One("country_id"),
		Type:                r.String("type"),
		CreateDate:          r.Time("create_date"),
		WriteDate:           r.Time("write_date"),
	}
}

func (c *Client) partnerFields(ctx context.Context) ([]string, error) {
	v, err := c.Version(ctx)
	if err != nil {
		return nil, err
	}
	return c.fieldsFor(ctx, ModelPartner, PartnerFields(v))
}

// keysPerCall bounds the ilike terms of one PartnersByKeys call.
const keysPerCall = 100

// ilikeFallbackKeys: see PartnersByKeys.
const ilikeFallbackKeys = 10

// PartnersByKeys returns every partner, archived ones included, whose
// customer key (identity.Key of email_normalized and email) is one of keys.
// It searches email_normalized in keys OR (for up to ilikeFallbackKeys keys)
// email ilike each key, then keeps only exact key matches (ilike also finds
// "xa@b.com" for "a@b.com").
func (c *Client) PartnersByKeys(ctx context.Context, keys []string) ([]Partner, error) {
	want := map[string]bool{}
	var norm []string
	for _, k := range keys {
		if n := identity.NormaliseEmail(k); n != "" && !want[n] {
			want[n] = true
			norm = append(norm, n)
		}
	}
	if len(norm) == 0 {
		return nil, nil
	}
	fields, err := c.partnerFields(ctx)
	if err != nil {
		return nil, err
	}
	var out []Partner
	seen := map[int64]bool{}
	for start := 0; start < len(norm); start += keysPerCall {
		batch := norm[start:min(start+keysPerCall, len(norm))]
		ors := []Domain{Term("email_normalized", OpIn, batch)}
		// The free-text fallback (partners whose email Odoo could not
		// normalise but that hold the address) costs a scan of every partner
		// per key, in Odoo as in the emulator: only small lookups (a single
		// customer's sync) afford it; bulk lookups rely on email_normalized,
		// which Odoo computes for every partner with a valid email.
		if len(norm) <= ilikeFallbackKeys {
			for _, k := range batch {
				ors = append(ors, Term("email", OpILike, k))
			}
		}
		recs, err := c.searchReadAll(ctx, ModelPartner, Or(ors...), fields, withArchived(nil))
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			p := PartnerFromRecord(r)
			if k, _ := p.Key(); want[k] && !seen[p.ID] {
				seen[p.ID] = true
				out = append(out, p)
			}
		}
	}
	return out, nil
}

// PartnersByIDs reads partners by id, archived ones included. Deleted ids
// are left out (see ExistingIDs to tell which).
func (c *Client) PartnersByIDs(ctx context.Context, ids []int64) ([]Partner, error) {
	fields, err := c.partnerFields(ctx)
	if err != nil {
		return nil, err
	}
	var out []Partner
	for _, chunk := range chunks(uniqueIDs(ids), c.batch) {
		recs, err := c.Read(ctx, ModelPartner, chunk, fields)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			out = append(out, PartnerFromRecord(r))
		}
	}
	return out, nil
}

// ScanPartners walks every partner (archived included) in id order, a page
// at a time. See ScanPartnersAfter.
func (c *Client) ScanPartners(ctx context.Context, pageSize int, fn func(page []Partner) error) error {
	return c.ScanPartnersAfter(ctx, 0, pageSize, fn)
}

// ScanPartnersAfter walks partners with id > afterID in id order. The last
// id of a page is the resume point. fn may return ErrStopScan to end early.
func (c *Client) ScanPartnersAfter(ctx context.Context, afterID int64, pageSize int, fn func(page []Partner) error) error {
	fields, err := c.partnerFields(ctx)
	if err != nil {
		return err
	}
	return c.scanRecords(ctx, ModelPartner, nil, fields, afterID, pageSize, withArchived(nil), func(recs []Record) error {
		page := make([]Partner, len(recs))
		for i, r := range recs {
			page[i] = PartnerFromRecord(r)
		}
		return fn(page)
	})
}
