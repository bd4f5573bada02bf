package odooemu

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// SeedStats says what a seeding run added.
type SeedStats struct {
	Customers, Partners, Users, Orders, Lines int
	Took                                      time.Duration
}

// Seed adds n generated customers (about 1.5 partners and 3 orders each),
// deterministically for a given seed and clock; the newest timestamps are
// the current minute. It writes columns directly (no webhooks) and is
// meant for setting up data sets, e.g. 100k customers in a few seconds.
func (e *Emulator) Seed(n int, seed int64) (SeedStats, error) {
	return e.seed(n, seed, e.clk.now().Truncate(time.Minute))
}

var (
	firstNames = []string{"Jane", "John", "Marie", "Pieter", "Sophie", "Lucas", "Emma", "Noah", "Olivia", "Liam",
		"José", "Zoë", "Łukasz", "Søren", "Chloé", "Björn", "François", "Anaïs", "Mateo", "Aoife", "Siobhán",
		"Ines", "Jürgen", "Renée", "Nikolaj", "Ana", "Mehmet", "Ayşe", "Hiroshi", "Yuki", "Wei", "Li", "Fatima",
		"Omar", "Priya", "Arjun", "Greta", "Lars", "Camille", "Hugo", "Elena", "Dmitri", "Olga", "Seán", "Thu"}
	lastNames = []string{"Doe", "Smith", "Janssens", "Peeters", "Martin", "Dubois", "Müller", "Schmidt", "García",
		"Fernández", "Rossi", "Bianchi", "O'Brien", "Murphy", "Nowak", "Kowalski", "Jensen", "Nielsen",
		"Andersson", "Yılmaz", "Nguyễn", "Tanaka", "田中", "Wang", "Kumar", "Silva", "Costa", "De Smet",
		"Van den Berg", "Lefèvre", "Ó Súilleabháin", "Öztürk", "Novák", "Horváth", "Dvořák", "Papadopoulos"}
	emailDomains = []string{"gmail.com", "yahoo.fr", "outlook.com", "hotmail.co.uk", "proton.me", "example.org",
		"telenet.be", "web.de", "orange.fr", "icloud.com", "skynet.be", "gmx.de"}
	companyWords  = []string{"Solutions", "Trading", "Interiors", "Logistics", "Design Studio", "& Fils", "GmbH", "BV", "Ltd", "SRL"}
	langByCountry = map[string]string{"BE": "nl_BE", "FR": "fr_FR", "NL": "nl_NL", "DE": "de_DE", "GB": "en_GB",
		"US": "en_US", "ES": "es_ES", "IT": "it_IT", "PT": "pt_PT", "PL": "pl_PL", "SE": "sv_SE", "DK": "da_DK"}
	countryWeights = []struct {
		code string
		w    int
	}{{"BE", 30}, {"FR", 15}, {"NL", 10}, {"DE", 10}, {"GB", 10}, {"US", 5}, {"ES", 4}, {"IT", 4}, {"PT", 2},
		{"PL", 2}, {"SE", 2}, {"DK", 1}, {"CH", 2}, {"IE", 1}, {"JP", 1}, {"AE", 1}}
)

type seedPartner struct {
	seq               int // generation order: tie-break of the time sort
	id                int64
	name, email       string
	phone, mobile     string
	isCompany         bool
	parent            *seedPartner
	company           int64
	website           int64
	tags              []int64
	active            bool
	country           int64
	lang              string
	typ               string
	created, wrote    tstamp
	account           bool
	customerRank      int64
	street, city, zip string
}

type seedLine struct {
	product     int
	qty, disc   float64
	displayType string
	text        string
}

type seedOrder struct {
	seq                                   int
	partner, invoice, shipping            *seedPartner
	company, website, pricelist, currency int64
	state                                 string
	locked                                bool
	created, wrote, dateOrder             tstamp
	lines                                 []seedLine
	ref                                   string
}

type generator struct {
	r        *rand.Rand
	start    tstamp
	span     int64 // microseconds
	bursts   []tstamp
	s        *store
	country  map[string]int64
	tags     map[string]int64
	products []int64
}

func (g *generator) pick(list []string) string { return list[g.r.IntN(len(list))] }

// ts draws a time in the seeded year; 10% fall in import bursts that share
// one second (same-second writes).
func (g *generator) ts() tstamp {
	if g.r.IntN(10) == 0 {
		return g.bursts[g.r.IntN(len(g.bursts))] + tstamp(g.r.Int64N(1_000_000))
	}
	return g.start + tstamp(g.r.Int64N(g.span))
}

func (g *generator) after(t tstamp) tstamp {
	end := g.start + tstamp(g.span)
	if t >= end {
		return t
	}
	return t + tstamp(g.r.Int64N(int64(end-t)))
}

func (g *generator) countryCode() string {
	total := 0
	for _, c := range countryWeights {
		total += c.w
	}
	x := g.r.IntN(total)
	for _, c := range countryWeights {
		if x < c.w {
			return c.code
		}
		x -= c.w
	}
	return "BE"
}

var asciiFold = strings.NewReplacer("é", "e", "è", "e", "ë", "e", "ê", "e", "ï", "i", "ö", "o", "ø", "o", "ó", "o",
	"ü", "u", "ú", "u", "ł", "l", "ç", "c", "ş", "s", "ı", "i", "ř", "r", "á", "a", "à", "a", "ễ", "e",
	"'", "", " ", "", "Ł", "L", "Ö", "O", "Ó", "O", "Ø", "O", "Ü", "U", "Å", "A", "ä", "a")

func asciiLocal(s string) string {
	out := strings.ToLower(asciiFold.Replace(s))
	var b strings.Builder
	for _, r := range out {
		if r < 128 {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "customer"
	}
	return b.String()
}

// upperFirst upper-cases the first letter (a whole rune: the text may start
// with a multi-byte letter such as "Ł").
func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// emailVariant writes the same address the way another checkout might.
func (g *generator) emailVariant(email string) string {
	local, domain, _ := strings.Cut(email, "@")
	switch g.r.IntN(5) {
	case 0:
		return "  " + upperFirst(local) + "@" + upperFirst(domain) + " "
	case 1:
		return strings.ToUpper(email)
	case 2:
		return "\"" + local + "\" <" + email + ">"
	case 3:
		return email + " "
	}
	return email
}

func (g *generator) person(company, website int64, created tstamp) *seedPartner {
	code := g.countryCode()
	first, last := g.pick(firstNames), g.pick(lastNames)
	p := &seedPartner{
		name: first + " " + last, active: true, country: g.country[code], lang: langByCountry[code],
		typ: "contact", company: company, website: website, created: created,
		city: g.pick([]string{"Brussels", "Gent", "Paris", "Lyon", "Amsterdam", "Berlin", "London", "Leeds", "Madrid", "Köln", "Zürich"}),
		zip:  fmt.Sprintf("%04d", 1000+g.r.IntN(9000)), street: fmt.Sprintf("%s %d", g.pick([]string{"Rue de la Loi", "Kerkstraat", "Main Street", "Hauptstraße", "Calle Mayor"}), 1+g.r.IntN(200)),
	}
	if g.r.IntN(2) == 0 {
		p.phone = fmt.Sprintf("+32 4%02d %02d %02d %02d", g.r.IntN(100), g.r.IntN(100), g.r.IntN(100), g.r.IntN(100))
	}
	if g.r.IntN(3) == 0 {
		p.mobile = fmt.Sprintf("+32 47%d %02d %02d %02d", g.r.IntN(10), g.r.IntN(100), g.r.IntN(100), g.r.IntN(100))
	}
	return p
}

// customer generates the partners of one customer (one person or one
// company) in the messy shapes real shops have.
func (g *generator) customer(i int) []*seedPartner {
	created := g.ts()
	base := g.person(1, 0, created)
	first, last, _ := strings.Cut(base.name, " ")
	email := fmt.Sprintf("%s.%s%d@%s", asciiLocal(first), asciiLocal(last), i, g.pick(emailDomains))
	roll := g.r.IntN(100)
	var out []*seedPartner
	switch {
	case roll < 3: // no email at all
		base.email = ""
		out = append(out, base)
	case roll < 5: // unusable email
		base.email = []string{strings.Replace(email, "@", "(at)", 1), "n/a", strings.SplitN(email, "@", 2)[0] + "@", base.name}[g.r.IntN(4)]
		out = append(out, base)
	case roll < 10: // company with contacts
		comp := g.person(1, 0, created)
		comp.name = last + " " + g.pick(companyWords)
		comp.isCompany = true
		comp.email = "info@" + asciiLocal(last) + fmt.Sprint(i) + ".example.com"
		if g.r.IntN(5) == 0 {
			comp.company = 0 // shared across companies
		}
		out = append(out, comp)
		for k := 0; k < 1+g.r.IntN(3); k++ {
			ch := g.person(comp.company, 0, g.after(created))
			f, l, _ := strings.Cut(ch.name, " ")
			ch.email = fmt.Sprintf("%s.%s%d.%d@%s", asciiLocal(f), asciiLocal(l), i, k, strings.TrimPrefix(comp.email, "info@"))
			ch.parent = comp
			if k == 2 {
				ch.name, ch.typ, ch.email = "", "delivery", ""
			}
			out = append(out, ch)
		}
	default:
		account := g.r.IntN(100) < 15
		guests := 1
		if g.r.IntN(10) < 3 {
			guests++
		}
		if g.r.IntN(10) == 0 {
			guests++
		}
		if account {
			guests = g.r.IntN(3)
		}
		if g.r.IntN(100) == 0 {
			email = base.name + " <" + email + ">, " + "backup" + fmt.Sprint(i) + "@example.org"
		}
		t := created
		for k := 0; k < guests; k++ {
			p := *base
			p.email = email
			if k > 0 {
				p.email = g.emailVariant(email)
			}
			p.created = t
			if g.r.IntN(50) == 0 {
				p.active = false
			}
			out = append(out, &p)
			t = g.after(t)
		}
		if account {
			p := *base
			p.email = email
			p.created = t
			p.account = true
			if g.r.IntN(5) == 0 {
				p.company = 0
			}
			out = append(out, &p)
		}
		if g.r.IntN(100) < 6 { // same person on the UK shop (specific user account)
			p := *base
			p.email = g.emailVariant(email)
			p.company, p.website = 2, 2
			p.lang = "en_GB"
			p.created = g.after(created)
			out = append(out, &p)
		}
	}
	tagged := out[0]
	for _, p := range out {
		if p.account {
			tagged = p
		}
	}
	if g.r.IntN(100) < 5 {
		tagged.tags = append(tagged.tags, g.tags["VIP"])
		if g.r.IntN(4) == 0 {
			tagged.tags = append(tagged.tags, g.tags["Gold"])
		}
	}
	if g.r.IntN(100) < 30 {
		tagged.tags = append(tagged.tags, g.tags["Newsletter"])
	}
	if out[0].isCompany {
		out[0].tags = append(out[0].tags, g.tags["B2B"])
	}
	for _, p := range out {
		slices.Sort(p.tags)
		p.wrote = p.created
		if g.r.IntN(2) == 0 {
			p.wrote = g.after(p.created)
		}
	}
	return out
}

func (g *generator) orders(partners []*seedPartner, v int) []*seedOrder {
	var buyers []*seedPartner
	for _, p := range partners {
		if p.typ == "contact" {
			buyers = append(buyers, p)
		}
	}
	if len(buyers) == 0 {
		return nil
	}
	n := g.r.IntN(4) + g.r.IntN(4)
	out := make([]*seedOrder, 0, n)
	for k := 0; k < n; k++ {
		p := buyers[g.r.IntN(len(buyers))]
		o := &seedOrder{partner: p, invoice: p, shipping: p, company: p.company}
		if o.company == 0 {
			o.company = 1
		}
		if p.parent != nil {
			o.invoice = p.parent
		}
		o.created = g.after(p.created)
		if g.r.IntN(5) > 0 {
			o.website = o.company // website 1 belongs to company 1, website 2 to company 2
		}
		switch {
		case o.company == 2:
			o.pricelist, o.currency = 3, 3
		case g.r.IntN(100) < 15:
			o.pricelist, o.currency = 2, 2
		default:
			o.pricelist, o.currency = 1, 1
		}
		roll := g.r.IntN(100)
		switch {
		case roll < 12:
			o.state = "draft"
		case roll < 17:
			o.state = "sent"
		case roll < 27:
			o.state = "cancel"
		default:
			o.state = "sale"
			if roll >= 95 {
				if v == 16 {
					o.state = "done"
				} else {
					o.locked = true
				}
			}
		}
		o.dateOrder = o.created
		if o.state == "sale" || o.state == "done" {
			o.dateOrder = o.created + tstamp(g.r.Int64N(3_600_000_000))
		}
		o.wrote = max(o.dateOrder, o.created)
		if g.r.IntN(3) == 0 {
			o.wrote = g.after(o.wrote)
		}
		if g.r.IntN(5) == 0 {
			o.ref = fmt.Sprintf("PO-%05d", g.r.IntN(100000))
		}
		if g.r.IntN(10) == 0 {
			o.lines = append(o.lines, seedLine{displayType: "line_section", text: g.pick([]string{"Furniture", "Accessories", "Services", "Meubles & Décoration"})})
		}
		for l := 0; l < 1+g.r.IntN(3); l++ {
			line := seedLine{product: g.r.IntN(len(g.products)), qty: float64(1 + g.r.IntN(5))}
			if g.r.IntN(10) == 0 {
				line.disc = float64(5 * (1 + g.r.IntN(3)))
			}
			o.lines = append(o.lines, line)
		}
		if g.r.IntN(20) == 0 {
			o.lines = append(o.lines, seedLine{displayType: "line_note", text: g.pick([]string{"Gift wrap please ✨", "Leave at the door", "Livraison le matin"})})
		}
		out = append(out, o)
	}
	return out
}

// bulkRow appends a committed, not yet indexed row with a new id.
func (m *model) bulkRow() int32 {
	r := m.newRow()
	id := m.nextID
	m.nextID++
	m.ids[r] = id
	m.alive[r] = true
	m.rowOf[id] = r
	for _, f := range m.fieldList {
		if tc, ok := f.col.(*timeCol); ok {
			tc.v[r] = nullTS
		}
	}
	return r
}

// rebuildIndexes recomputes every index of m from its live rows.
func (m *model) rebuildIndexes() {
	for f := range m.hidx {
		h := newHashIndex()
		if f.typ == fMany2one || f.typ == fMany2many {
			h.ints = make(map[int64][]int64, len(m.rowOf))
		} else {
			h.strs = make(map[string][]int64, len(m.rowOf))
		}
		m.hidx[f] = h
	}
	var keys []okey
	for r, ok := range m.alive {
		if !ok {
			continue
		}
		id := m.ids[r]
		for f, h := range m.hidx {
			indexValue(h, f, int32(r), id, true)
		}
		if m.wd != nil {
			keys = append(keys, okey{m.writeDate(int32(r)), id})
		}
	}
	if m.wd != nil {
		m.wd.bulkLoad(keys)
	}
}

func (e *Emulator) seed(n int, seed int64, end time.Time) (SeedStats, error) {
	began := time.Now()
	s := e.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.models["res.partner"].pending)+len(s.models["sale.order"].pending) > 0 {
		return SeedStats{}, fmt.Errorf("odooemu: cannot seed while transactions are open")
	}
	g := &generator{r: rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x5eed)), s: s,
		span: 365 * 24 * int64(time.Hour/time.Microsecond), country: map[string]int64{}, tags: map[string]int64{}}
	g.start = toTS(end) - tstamp(g.span)
	for k := 0; k < 300; k++ {
		g.bursts = append(g.bursts, g.start+tstamp(g.r.Int64N(g.span))/1_000_000*1_000_000)
	}
	cm := s.models["res.country"]
	for r, ok := range cm.alive {
		if ok {
			g.country[cm.str("code", int32(r))] = cm.ids[r]
		}
	}
	tm := s.models["res.partner.category"]
	for r, ok := range tm.alive {
		if ok {
			g.tags[tm.str("name", int32(r))] = tm.ids[r]
		}
	}
	pm := s.models["product.product"]
	for r, ok := range pm.alive {
		if ok {
			g.products = append(g.products, pm.ids[r])
		}
	}
	var partners []*seedPartner
	var orders []*seedOrder
	for i := 0; i < n; i++ {
		ps := g.customer(i)
		partners = append(partners, ps...)
		orders = append(orders, g.orders(ps, s.version)...)
	}
	// Parents must exist before children: creation time order keeps that
	// except for same-microsecond ties, which the stable sort resolves by
	// generation order.
	for i, p := range partners {
		p.seq = i
	}
	for i, o := range orders {
		o.seq = i
	}
	slices.SortFunc(partners, func(a, b *seedPartner) int {
		if c := cmpTS(a.created, b.created); c != 0 {
			return c
		}
		return a.seq - b.seq
	})
	slices.SortFunc(orders, func(a, b *seedOrder) int {
		if c := cmpTS(a.created, b.created); c != 0 {
			return c
		}
		return a.seq - b.seq
	})
	lineCount := 0
	for _, o := range orders {
		lineCount += len(o.lines)
	}
	s.models["res.partner"].reserve(len(partners))
	s.models["sale.order"].reserve(len(orders))
	s.models["sale.order.line"].reserve(lineCount)
	for _, o := range orders {
		if o.state == "sale" || o.state == "done" {
			o.partner.customerRank = 1
		}
	}
	st := SeedStats{Customers: n, Partners: len(partners), Orders: len(orders)}
	e.insertSeedPartners(partners)
	st.Users = e.insertSeedUsers(partners)
	st.Lines = e.insertSeedOrders(g, orders)
	for _, name := range []string{"res.partner", "res.users", "sale.order", "sale.order.line"} {
		s.models[name].rebuildIndexes()
	}
	st.Took = time.Since(began)
	return st, nil
}

func cmpTS(a, b tstamp) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (e *Emulator) insertSeedPartners(partners []*seedPartner) {
	m := e.s.models["res.partner"]
	for _, p := range partners {
		r := m.bulkRow()
		p.id = m.ids[r]
		set := func(name string, v any) { m.fields[name].col.set(r, v) }
		set("name", p.name)
		set("email", p.email)
		set("email_normalized", normalizeEmail(p.email))
		set("phone", p.phone)
		set("mobile", p.mobile)
		set("is_company", p.isCompany)
		set("company_id", p.company)
		set("website_id", p.website)
		set("category_id", p.tags)
		set("active", p.active)
		set("country_id", p.country)
		set("lang", p.lang)
		set("type", p.typ)
		set("customer_rank", p.customerRank)
		set("street", p.street)
		set("city", p.city)
		set("zip", p.zip)
		set("partner_share", true)
		set("create_date", p.created)
		set("write_date", p.wrote)
		set("create_uid", adminUID)
		set("write_uid", adminUID)
		display := p.name
		commercial := p.id
		if p.parent != nil {
			set("parent_id", p.parent.id)
			commercial = p.parent.id
			name := p.name
			if name == "" {
				name = m.fields["type"].selectionLabel(p.typ)
			}
			display = p.parent.name + ", " + name
		}
		set("commercial_partner_id", commercial)
		set(e.s.partnerNameField(), display)
	}
}

func (e *Emulator) insertSeedUsers(partners []*seedPartner) int {
	m := e.s.models["res.users"]
	n := 0
	for _, p := range partners {
		if !p.account {
			continue
		}
		login := normalizeEmail(p.email)
		if login == "" {
			continue
		}
		r := m.bulkRow()
		set := func(name string, v any) { m.fields[name].col.set(r, v) }
		set("login", login)
		set("partner_id", p.id)
		company := p.company
		if company == 0 {
			company = 1
		}
		set("company_id", company)
		set("company_ids", []int64{company})
		set("active", true)
		set("share", true)
		set("create_date", p.created)
		set("write_date", p.created)
		set("create_uid", adminUID)
		set("write_uid", adminUID)
		n++
	}
	return n
}

// seedCols resolves the typed columns of a model once, so the bulk loops
// do no map lookups or boxing per value.
type seedCols struct{ m *model }

func (c seedCols) s(name string) []string  { return c.m.fields[name].col.(*strCol).v }
func (c seedCols) i(name string) []int64   { return c.m.fields[name].col.(*intCol).v }
func (c seedCols) f(name string) []float64 { return c.m.fields[name].col.(*floatCol).v }
func (c seedCols) t(name string) []tstamp  { return c.m.fields[name].col.(*timeCol).v }
func (c seedCols) b(name string) []bool    { return c.m.fields[name].col.(*boolCol).v }

func (e *Emulator) insertSeedOrders(g *generator, orders []*seedOrder) int {
	s := e.s
	om, lm, pm := s.models["sale.order"], s.models["sale.order.line"], s.models["product.product"]
	nLines := 0
	taxRate := map[int64]float64{1: 21, 2: 20}
	taxID := map[int64][]int64{1: {1}, 2: {2}}
	productName := make([]string, len(g.products))
	productPrice := make([]float64, len(g.products))
	for i, pid := range g.products {
		productName[i] = e.displayOf(pm, pm.rowOf[pid])
		productPrice[i] = pm.flt("list_price", pm.rowOf[pid])
	}
	locked := om.fields["locked"]
	for _, o := range orders {
		r := om.bulkRow()
		id := om.ids[r]
		oc := seedCols{om} // resolved per order: columns may have moved on growth
		s.seqs["sale.order"]++
		oc.s("name")[r] = fmt.Sprintf("S%05d", s.seqs["sale.order"])
		oc.s("state")[r] = o.state
		if locked != nil {
			oc.b("locked")[r] = o.locked
		}
		oc.t("date_order")[r] = o.dateOrder
		oc.i("partner_id")[r] = o.partner.id
		oc.i("partner_invoice_id")[r] = o.invoice.id
		oc.i("partner_shipping_id")[r] = o.shipping.id
		oc.i("company_id")[r] = o.company
		oc.i("pricelist_id")[r] = o.pricelist
		oc.i("currency_id")[r] = o.currency
		oc.i("user_id")[r] = adminUID
		oc.i("website_id")[r] = o.website
		oc.s("client_order_ref")[r] = o.ref
		oc.t("create_date")[r] = o.created
		oc.t("write_date")[r] = o.wrote
		oc.i("create_uid")[r] = adminUID
		oc.i("write_uid")[r] = adminUID
		var untaxed, tax float64
		hasProducts := false
		for seq, l := range o.lines {
			lr := lm.bulkRow()
			lc := seedCols{lm}
			lc.i("order_id")[lr] = id
			lc.i("sequence")[lr] = int64(10 + seq)
			lc.s("display_type")[lr] = l.displayType
			lc.t("create_date")[lr] = o.created
			lc.t("write_date")[lr] = o.created
			lc.i("create_uid")[lr] = adminUID
			lc.i("write_uid")[lr] = adminUID
			nLines++
			if l.displayType != "" {
				lc.s("name")[lr] = l.text
				continue
			}
			hasProducts = true
			price := productPrice[l.product]
			sub := roundTo(l.qty*price*(1-l.disc/100), 2)
			t := roundTo(sub*taxRate[o.company]/100, 2)
			lc.i("product_id")[lr] = g.products[l.product]
			lc.s("name")[lr] = productName[l.product]
			lc.f("product_uom_qty")[lr] = l.qty
			lc.i("product_uom")[lr] = 1
			lc.f("price_unit")[lr] = price
			lc.f("discount")[lr] = l.disc
			lm.fields["tax_id"].col.(*idsCol).v[lr] = taxID[o.company]
			lc.f("price_subtotal")[lr] = sub
			lc.f("price_tax")[lr] = t
			lc.f("price_total")[lr] = roundTo(sub+t, 2)
			untaxed += sub
			tax += t
		}
		untaxed, tax = roundTo(untaxed, 2), roundTo(tax, 2)
		oc.f("amount_untaxed")[r] = untaxed
		oc.f("amount_tax")[r] = tax
		oc.f("amount_total")[r] = roundTo(untaxed+tax, 2)
		status := "no"
		if (o.state == "sale" || o.state == "done") && hasProducts {
			status = "to invoice"
		}
		oc.s("invoice_status")[r] = status
	}
	return nLines
}

func (e *Emulator) displayOf(m *model, r int32) string {
	c := &callCtx{s: e.s, tx: &txn{}, sudo: true}
	return c.displayRow(m, r)
}
