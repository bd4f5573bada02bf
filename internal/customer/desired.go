package customer

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxText is the safe length of a Dotdigital text data field (the reference
// gives 255 or 1000 depending on the source; 255 is safe everywhere).
const maxText = 255

// maxRecordText keeps Insight string values under the 1000-character limit.
const maxRecordText = 1000

// OrdersCollection is the contact-scoped Insight collection of orders.
const OrdersCollection = "Orders"

// Record is one Insight record (collection OrdersCollection, contact scope).
type Record struct {
	Key  string         `json:"key"`
	JSON map[string]any `json:"json"`
	Hash string         `json:"hash"`
}

// Desired is what Dotdigital should hold for one customer.
type Desired struct {
	Key         string
	Fields      map[string]any    // value per owned data field; nil clears
	FieldValues map[string]string // canonical JSON of each value (for diffs and display)
	Orders      map[string]Record // by record key
	Lists       []string          // sorted list names
	PartnerIDs  []int64           // sorted
	ChangeTime  time.Time         // newest Odoo write_date this state reflects
}

// Build computes the desired Dotdigital state of a customer. Archived
// partners do not count: like a merge source, an archived partner leaves its
// customer, and its orders leave the aggregates and the Insight records
// (BRIEF: Identity).
func Build(c Customer, s Settings) Desired {
	c = c.Active()
	d := Desired{Key: c.Key, Fields: map[string]any{}, FieldValues: map[string]string{}, Orders: map[string]Record{}}
	for _, p := range c.Partners {
		d.PartnerIDs = append(d.PartnerIDs, p.ID)
		if p.WriteDate.After(d.ChangeTime) {
			d.ChangeTime = p.WriteDate
		}
	}
	sort.Slice(d.PartnerIDs, func(i, j int) bool { return d.PartnerIDs[i] < d.PartnerIDs[j] })
	profileFields(&d, c.Partners)
	statusFields(&d, c.Partners, s)
	purchaseFields(&d, c.Orders, s)
	for _, o := range c.Orders {
		if o.WriteDate.After(d.ChangeTime) {
			d.ChangeTime = o.WriteDate
		}
		if o.Recorded() {
			r := OrderRecord(o)
			d.Orders[r.Key] = r
		}
	}
	d.set(FieldSyncedAt, dateValue(d.ChangeTime))
	d.Lists = lists(c.Partners, s)
	return d
}

func (d *Desired) set(field string, v any) {
	if s, ok := v.(string); ok {
		v = truncate(s, maxText)
		if v == "" {
			v = nil
		}
	}
	d.Fields[field] = v
	d.FieldValues[field] = canonical(v)
}

func profileFields(d *Desired, partners []Partner) {
	p, ok := primaryPartner(partners)
	if !ok {
		for _, f := range []string{FieldFirstName, FieldLastName, FieldFullName, FieldCountry, FieldLanguage} {
			d.set(f, nil)
		}
		return
	}
	first, last := splitName(p.Name)
	d.set(FieldFirstName, first)
	d.set(FieldLastName, last)
	d.set(FieldFullName, strings.TrimSpace(p.Name))
	d.set(FieldCountry, p.CountryName)
	d.set(FieldLanguage, p.Lang)
}

// primaryPartner picks the partner whose profile speaks for the customer: an
// active account partner before guests, the most recently changed first.
func primaryPartner(partners []Partner) (Partner, bool) {
	best, found := Partner{}, false
	rank := func(p Partner) int {
		r := 0
		if p.Active {
			r += 2
		}
		if p.HasUser {
			r++
		}
		return r
	}
	for _, p := range partners {
		if !found || rank(p) > rank(best) || (rank(p) == rank(best) && (p.WriteDate.After(best.WriteDate) || (p.WriteDate.Equal(best.WriteDate) && p.ID > best.ID))) {
			best, found = p, true
		}
	}
	return best, found
}

func splitName(name string) (first, last string) {
	parts := strings.Fields(name)
	switch len(parts) {
	case 0:
		return "", ""
	case 1:
		return parts[0], ""
	}
	return parts[0], strings.Join(parts[1:], " ")
}

func statusFields(d *Desired, partners []Partner, s Settings) {
	ids := make([]string, len(d.PartnerIDs))
	for i, id := range d.PartnerIDs {
		ids[i] = strconv.FormatInt(id, 10)
	}
	companies, websites, tags := set{}, set{}, set{}
	account := false
	for _, p := range partners {
		companies.add(p.CompanyName)
		websites.add(p.WebsiteName)
		for _, t := range p.Tags {
			tags.add(t)
		}
		account = account || p.HasUser
	}
	d.set(FieldPartnerIDs, strings.Join(ids, ","))
	d.set(FieldCompanies, companies.join())
	d.set(FieldWebsites, websites.join())
	if len(partners) == 0 {
		d.set(FieldCustomerType, nil)
	} else if account {
		d.set(FieldCustomerType, "account")
	} else {
		d.set(FieldCustomerType, "guest")
	}
	d.set(FieldCategories, tags.join())
	vip := false
	for _, v := range s.VIPTags {
		vip = vip || tags.hasFold(v)
	}
	d.set(FieldIsVIP, vip)
}

func purchaseFields(d *Desired, orders []Order, s Settings) {
	count := 0
	total := 0.0
	var first, last Order
	for _, o := range orders {
		if !o.Confirmed() {
			continue
		}
		count++
		total += convert(o.Total, o.Currency, s)
		if count == 1 || o.DateOrder.Before(first.DateOrder) || (o.DateOrder.Equal(first.DateOrder) && o.ID < first.ID) {
			first = o
		}
		if count == 1 || o.DateOrder.After(last.DateOrder) || (o.DateOrder.Equal(last.DateOrder) && o.ID > last.ID) {
			last = o
		}
	}
	d.set(FieldOrderCount, count)
	d.set(FieldTotalSpent, round2(total))
	if count == 0 {
		d.set(FieldFirstOrderDate, nil)
		d.set(FieldLastOrderDate, nil)
		d.set(FieldLastOrderRef, nil)
		d.set(FieldAvgOrder, nil)
		return
	}
	d.set(FieldFirstOrderDate, dateValue(first.DateOrder))
	d.set(FieldLastOrderDate, dateValue(last.DateOrder))
	d.set(FieldLastOrderRef, last.Name)
	d.set(FieldAvgOrder, round2(total/float64(count)))
}

// convert turns an amount into the reporting currency. An unknown currency is
// counted at par: the order still counts, and reconciliation reports it.
func convert(amount float64, currency string, s Settings) float64 {
	if r, ok := s.CurrencyRates[strings.ToUpper(currency)]; ok && r > 0 {
		return amount * r
	}
	return amount
}

func lists(partners []Partner, s Settings) []string {
	if len(partners) == 0 {
		return nil
	}
	out := set{}
	for _, l := range s.Lists {
		out.add(l)
	}
	for _, p := range partners {
		for _, t := range p.Tags {
			for tag, list := range s.TagLists {
				if strings.EqualFold(tag, t) {
					out.add(list)
				}
			}
		}
	}
	return out.sorted()
}

// OrderRecord builds the Insight record of an order (camelCase shape of the
// vendor's own ecommerce integrations; reference 5.4).
func OrderRecord(o Order) Record {
	products := make([]any, 0, len(o.Lines))
	for _, l := range o.Lines {
		products = append(products, map[string]any{
			"sku": truncate(l.SKU, maxRecordText), "name": truncate(l.Name, maxRecordText),
			"qty": l.Qty, "price": round2(l.Price),
		})
	}
	status := "confirmed"
	if o.State == "cancel" {
		status = "cancelled"
	}
	j := map[string]any{
		"id":            strconv.FormatInt(o.ID, 10),
		"name":          truncate(o.Name, maxRecordText),
		"status":        status,
		"purchaseDate":  o.DateOrder.UTC().Format(time.RFC3339),
		"orderTotal":    round2(o.Total),
		"orderSubtotal": round2(o.Subtotal),
		"currency":      o.Currency,
		"storeName":     truncate(o.CompanyName, maxRecordText),
		"website":       truncate(o.WebsiteName, maxRecordText),
		"products":      products,
	}
	r := Record{Key: RecordKey(o.ID), JSON: j}
	r.Hash = hashOf(j)
	return r
}

// RecordKey is the Insight key of an order: its Odoo id, unique across
// companies and websites of one database.
func RecordKey(orderID int64) string { return strconv.FormatInt(orderID, 10) }

// OrderIDOf is the Odoo order id of a record key (ok false for a key the
// sync did not write).
func OrderIDOf(key string) (int64, bool) {
	id, err := strconv.ParseInt(key, 10, 64)
	return id, err == nil && id > 0
}

func hashOf(v any) string {
	b, _ := json.Marshal(v) // maps marshal with sorted keys
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

func canonical(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	return string(b)
}

func dateValue(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

func truncate(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

type set map[string]struct{}

func (s set) add(v string) {
	if v = strings.TrimSpace(v); v != "" {
		s[v] = struct{}{}
	}
}

func (s set) sorted() []string {
	out := make([]string, 0, len(s))
	for v := range s {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

func (s set) join() string { return strings.Join(s.sorted(), ", ") }

func (s set) hasFold(v string) bool {
	for k := range s {
		if strings.EqualFold(k, v) {
			return true
		}
	}
	return false
}
