package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/odoo"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/identity"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/shop"
)

// Traffic actions, weighted like a shop's day (as internal/shop does).
const (
	actGuest     = "guest_checkout"
	actReturning = "returning_guest"
	actSignup    = "signup"
	actCancel    = "cancel"
	actTag       = "vip_tag"
	actProfile   = "profile_edit"
	actQuotation = "quotation"
)

var actionWeights = []struct {
	name string
	upTo float64
}{{actGuest, 0.40}, {actReturning, 0.55}, {actSignup, 0.62}, {actCancel, 0.67}, {actTag, 0.77}, {actProfile, 0.95}, {actQuotation, 1}}

// shopper is one customer the traffic acts on.
type shopper struct {
	key      string // normalised email
	email    string
	name     string
	partners []int64
	// known: made by the bench, so its partners, tags and names are known
	// and its field changes can be tracked; seeded customers are acted on
	// but only their orders are tracked.
	known   bool
	single  bool // one partner: its name is the customer's FULLNAME
	account bool
	vip     map[int64]bool
	inUse   bool
}

type placed struct {
	key    string
	order  int64
	change *change
}

// traffic is a shop's traffic through Odoo's XML-RPC API (like
// internal/shop), with every change that should reach Dotdigital
// timestamped when its call returned and handed to the tracker.
type traffic struct {
	oc *odoo.Client
	tr *tracker

	shop.Catalog

	mu       sync.Mutex
	rng      *rand.Rand
	shoppers []*shopper
	recent   []placed
	stats    map[string]int
	errs     []string
	seq      int
	last     time.Time // when the last change was made
	inFlight atomic.Int64
}

func newTraffic(ctx context.Context, oc *odoo.Client, tr *tracker, seed uint64) (*traffic, error) {
	cat, err := shop.LoadCatalog(ctx, oc)
	if err != nil {
		return nil, err
	}
	t := &traffic{oc: oc, tr: tr, rng: rand.New(rand.NewPCG(seed, 0x62656e6368)), stats: map[string]int{}, Catalog: cat}
	return t, nil
}

// addSeeded makes up to n existing (seeded) customers available to the
// traffic: returning guests, sign-ups, tag and profile changes touch them.
func (t *traffic) addSeeded(ctx context.Context, n int) error {
	if n <= 0 {
		return nil
	}
	domain := odoo.And(odoo.Term("email_normalized", "!=", false), odoo.Term("partner_share", "=", true), odoo.Term("is_company", "=", false))
	recs, err := t.oc.SearchRead(ctx, "res.partner", domain, []string{"email", "email_normalized", "name"}, odoo.ReadOptions{Limit: 3 * n})
	if err != nil {
		return fmt.Errorf("read seeded partners: %w", err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	byKey := map[string]*shopper{}
	for _, r := range recs {
		key, _ := identity.Key(r.String("email_normalized"), r.String("email"))
		if key == "" {
			continue
		}
		if s := byKey[key]; s != nil {
			s.partners = append(s.partners, r.ID())
			continue
		}
		if len(byKey) >= n {
			continue
		}
		s := &shopper{key: key, email: key, name: r.String("name"), partners: []int64{r.ID()}}
		byKey[key] = s
		t.shoppers = append(t.shoppers, s)
	}
	return nil
}

// run performs actions at rate per second (each in its own goroutine, at
// most workers at once) until ctx ends or the duration passes.
func (t *traffic) run(ctx context.Context, rate float64, d time.Duration, workers int) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-tick.C:
		}
		select {
		case sem <- struct{}{}:
		default:
			t.note("skipped", fmt.Errorf("all %d traffic workers busy", workers))
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			t.step(context.WithoutCancel(ctx))
		}()
	}
	wg.Wait()
}

// step performs one weighted random action.
func (t *traffic) step(ctx context.Context) {
	t.mu.Lock()
	r := t.rng.Float64()
	t.mu.Unlock()
	act := actQuotation
	for _, w := range actionWeights {
		if r < w.upTo {
			act = w.name
			break
		}
	}
	t.do(ctx, act)
}

// do performs the named action and counts it.
func (t *traffic) do(ctx context.Context, act string) {
	t.inFlight.Add(1)
	defer t.inFlight.Add(-1)
	var err error
	switch act {
	case actGuest:
		_, err = t.guestCheckout(ctx)
	case actReturning:
		err = t.returningGuest(ctx)
	case actSignup:
		err = t.signup(ctx)
	case actCancel:
		err = t.cancel(ctx)
	case actTag:
		err = t.toggleVIP(ctx)
	case actProfile:
		err = t.editProfile(ctx, nil, "")
	default:
		err = t.quotation(ctx)
	}
	t.note(act, err)
}

func (t *traffic) note(act string, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		if len(t.errs) < 20 {
			t.errs = append(t.errs, act+": "+err.Error())
		}
		t.stats["error"]++
		return
	}
	t.stats[act]++
}

func (t *traffic) changed(at time.Time) {
	t.mu.Lock()
	if at.After(t.last) {
		t.last = at
	}
	t.mu.Unlock()
}

func (t *traffic) lastChange() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.last
}

func (t *traffic) statsCopy() map[string]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]int, len(t.stats))
	for k, v := range t.stats {
		out[k] = v
	}
	return out
}

func (t *traffic) errors() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.errs...)
}

var benchFirstNames = []string{"Jane", "John", "Zoë", "Łukasz", "Amélie", "Søren", "Aiko", "Mateo", "Fatima", "Noah", "Olivia", "Chen", "Priya", "Björn", "Inés"}
var benchLastNames = []string{"Doe", "Smith", "Müller", "García", "Nakamura", "O'Brien", "van der Berg", "Kowalski", "Rossi", "Dubois", "Svensson", "Ng"}

// newPerson returns a fresh name and a unique email (example.com is not
// among the seeded domains).
func (t *traffic) newPerson() (name, email string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.seq++
	f, l := benchFirstNames[t.rng.IntN(len(benchFirstNames))], benchLastNames[t.rng.IntN(len(benchLastNames))]
	return f + " " + l, fmt.Sprintf("%s.%s.b%d@example.com", asciiOnly(f), asciiOnly(l), t.seq)
}

func asciiOnly(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

func (t *traffic) pickSite() (siteID, company int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.PickSite(t.rng.IntN)
}

func (t *traffic) pick(ids []int64) int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(ids) == 0 {
		return 0
	}
	return ids[t.rng.IntN(len(ids))]
}

// take reserves a random shopper that matches and is not busy; release it
// with t.release. Shoppers with a field change not yet acknowledged are
// left alone, so that no later write moves their contact's updated time.
func (t *traffic) take(match func(*shopper) bool) *shopper {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(t.shoppers)
	if n == 0 {
		return nil
	}
	start := t.rng.IntN(n)
	for i := 0; i < n; i++ {
		s := t.shoppers[(start+i)%n]
		if s.inUse || (match != nil && !match(s)) || t.tr.busy(s.key) {
			continue
		}
		s.inUse = true
		return s
	}
	return nil
}

func (t *traffic) release(s *shopper) {
	t.mu.Lock()
	s.inUse = false
	t.mu.Unlock()
}

func (t *traffic) createPartner(ctx context.Context, name, email string, company, siteID int64) (int64, error) {
	vals := map[string]any{"name": name, "email": email, "company_id": company, "type": "contact"}
	if c := t.pick(t.Countries); c != 0 {
		vals["country_id"] = c
	}
	if siteID != 0 {
		vals["website_id"] = siteID
	}
	id, err := t.oc.Create(ctx, "res.partner", vals)
	if err != nil {
		return 0, fmt.Errorf("create partner: %w", err)
	}
	t.changed(time.Now())
	return id, nil
}

// placeOrder creates an order with 1-3 lines and confirms it when asked;
// it returns the order id and when the last call returned.
func (t *traffic) placeOrder(ctx context.Context, partner, company, siteID int64, confirm bool) (int64, time.Time, error) {
	t.mu.Lock()
	n := 1 + t.rng.IntN(3)
	lines := make([]any, 0, n)
	for i := 0; i < n; i++ {
		lines = append(lines, []any{0, 0, map[string]any{"product_id": t.Products[t.rng.IntN(len(t.Products))], "product_uom_qty": float64(1 + t.rng.IntN(3))}})
	}
	t.mu.Unlock()
	vals := map[string]any{"partner_id": partner, "company_id": company, "order_line": lines}
	if siteID != 0 {
		vals["website_id"] = siteID
	}
	id, err := t.oc.Create(ctx, "sale.order", vals)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("create order: %w", err)
	}
	if confirm {
		if _, err := t.oc.Call(ctx, "sale.order", "action_confirm", []any{[]int64{id}}, nil); err != nil {
			return 0, time.Time{}, fmt.Errorf("confirm order: %w", err)
		}
	}
	at := time.Now()
	t.changed(at)
	return id, at, nil
}

func (t *traffic) trackOrder(key string, order int64, at time.Time) {
	c := &change{kind: kindOrder, key: key, order: order, at: at}
	t.tr.track(c)
	t.mu.Lock()
	t.recent = append(t.recent, placed{key: key, order: order, change: c})
	if len(t.recent) > 200 {
		t.recent = t.recent[len(t.recent)-200:]
	}
	t.mu.Unlock()
}

// guestCheckout: a new person checks out as a guest (a new customer with a
// confirmed order).
func (t *traffic) guestCheckout(ctx context.Context) (*shopper, error) {
	name, email := t.newPerson()
	siteID, company := t.pickSite()
	pid, err := t.createPartner(ctx, name, email, company, siteID)
	if err != nil {
		return nil, err
	}
	oid, at, err := t.placeOrder(ctx, pid, company, siteID, true)
	if err != nil {
		return nil, err
	}
	key, _ := identity.Key("", email)
	t.trackOrder(key, oid, at)
	s := &shopper{key: key, email: email, name: name, partners: []int64{pid}, known: true, single: true, vip: map[int64]bool{}}
	t.mu.Lock()
	t.shoppers = append(t.shoppers, s)
	t.mu.Unlock()
	return s, nil
}

// returningGuest checks out again as a guest with an earlier email written
// in another case and with stray spaces (a second partner, same customer).
func (t *traffic) returningGuest(ctx context.Context) error {
	s := t.take(nil)
	if s == nil {
		_, err := t.guestCheckout(ctx)
		return err
	}
	defer t.release(s)
	siteID, company := t.pickSite()
	pid, err := t.createPartner(ctx, s.name, "  "+upperFirst(s.email)+" ", company, siteID)
	if err != nil {
		return err
	}
	oid, at, err := t.placeOrder(ctx, pid, company, siteID, true)
	if err != nil {
		return err
	}
	t.trackOrder(s.key, oid, at)
	t.mu.Lock()
	s.partners = append(s.partners, pid)
	s.single = false
	t.mu.Unlock()
	return nil
}

// signup gives an earlier guest an account: an account partner with the
// guest's email and a portal user on it (CUSTOMER_TYPE becomes account).
func (t *traffic) signup(ctx context.Context) error {
	s := t.take(func(s *shopper) bool { return !s.account })
	if s == nil {
		_, err := t.guestCheckout(ctx)
		return err
	}
	defer t.release(s)
	siteID, company := t.pickSite()
	pid, err := t.createPartner(ctx, s.name, upperFirst(s.email), company, siteID)
	if err != nil {
		return err
	}
	if _, err := t.oc.Create(ctx, "res.users", map[string]any{"name": s.name, "login": s.email + "." + strconv.FormatInt(pid, 10), "partner_id": pid,
		"share": true, "company_id": company, "company_ids": []any{[]any{6, 0, []int64{company}}}}); err != nil {
		return fmt.Errorf("sign up: %w", err)
	}
	at := time.Now()
	t.changed(at)
	if s.known {
		t.tr.track(&change{kind: kindStatus, key: s.key, field: customer.FieldCustomerType, want: "account", at: at})
	}
	t.mu.Lock()
	s.partners = append(s.partners, pid)
	s.single, s.account = false, true
	t.mu.Unlock()
	return nil
}

// cancel cancels one of the recent confirmed orders whose record landed
// (through the wizard's context, as confirming Odoo's dialog does).
func (t *traffic) cancel(ctx context.Context) error {
	t.mu.Lock()
	var p placed
	found := -1
	for i := len(t.recent) - 1; i >= 0 && i >= len(t.recent)-20; i-- {
		if t.tr.acked(t.recent[i].change) {
			found, p = i, t.recent[i]
			break
		}
	}
	if found >= 0 {
		t.recent = append(t.recent[:found], t.recent[found+1:]...)
	}
	t.mu.Unlock()
	if found < 0 {
		return t.quotation(ctx)
	}
	if _, err := t.oc.Call(ctx, "sale.order", "action_cancel", []any{[]int64{p.order}}, map[string]any{"context": map[string]any{"disable_cancel_warning": true}}); err != nil {
		return fmt.Errorf("cancel order: %w", err)
	}
	at := time.Now()
	t.changed(at)
	t.tr.track(&change{kind: kindCancel, key: p.key, order: p.order, at: at})
	return nil
}

// toggleVIP adds or removes the VIP tag on a partner of a customer.
func (t *traffic) toggleVIP(ctx context.Context) error {
	if t.VIPTag == 0 {
		return t.quotation(ctx)
	}
	s := t.take(nil)
	if s == nil {
		return nil
	}
	defer t.release(s)
	t.mu.Lock()
	pid := s.partners[t.rng.IntN(len(s.partners))]
	add := t.rng.IntN(2) == 0
	t.mu.Unlock()
	cmd := []any{3, t.VIPTag}
	if add {
		cmd = []any{4, t.VIPTag}
	}
	if err := t.oc.Write(ctx, "res.partner", []int64{pid}, map[string]any{"category_id": []any{cmd}}); err != nil {
		return fmt.Errorf("toggle VIP: %w", err)
	}
	at := time.Now()
	t.changed(at)
	if !s.known {
		return nil
	}
	t.mu.Lock()
	before := anyTrue(s.vip)
	s.vip[pid] = add
	after := anyTrue(s.vip)
	t.mu.Unlock()
	if before != after {
		t.tr.track(&change{kind: kindStatus, key: s.key, field: customer.FieldIsVIP, want: strconv.FormatBool(after), at: at})
	}
	return nil
}

func anyTrue(m map[int64]bool) bool {
	for _, v := range m {
		if v {
			return true
		}
	}
	return false
}

// editProfile renames a customer's only partner (tracked through FULLNAME);
// with no such customer, it changes another one's language (not tracked).
// s may name the shopper to edit (held by the caller) and name the new name.
func (t *traffic) editProfile(ctx context.Context, s *shopper, name string) error {
	if s == nil {
		if s = t.take(func(s *shopper) bool { return s.known && s.single }); s == nil {
			if s = t.take(nil); s == nil {
				return nil
			}
			defer t.release(s)
			t.mu.Lock()
			lang := []string{"en_US", "fr_FR", "de_DE", "nl_NL"}[t.rng.IntN(4)]
			pid := s.partners[t.rng.IntN(len(s.partners))]
			t.mu.Unlock()
			if err := t.oc.Write(ctx, "res.partner", []int64{pid}, map[string]any{"lang": lang}); err != nil {
				return fmt.Errorf("edit profile: %w", err)
			}
			t.changed(time.Now())
			return nil
		}
		defer t.release(s)
	}
	if name == "" {
		name, _ = t.newPerson()
	}
	if err := t.oc.Write(ctx, "res.partner", []int64{s.partners[0]}, map[string]any{"name": name}); err != nil {
		return fmt.Errorf("edit profile: %w", err)
	}
	at := time.Now()
	t.changed(at)
	t.mu.Lock()
	s.name = name
	t.mu.Unlock()
	t.tr.track(&change{kind: kindProfile, key: s.key, field: customer.FieldFullName, want: strings.ToLower(strings.TrimSpace(name)), at: at})
	return nil
}

// quotation creates a draft order that is never confirmed (nothing changes
// in Dotdigital).
func (t *traffic) quotation(ctx context.Context) error {
	s := t.take(nil)
	if s == nil {
		return nil
	}
	defer t.release(s)
	siteID, company := t.pickSite()
	_, _, err := t.placeOrder(ctx, s.partners[0], company, siteID, false)
	return err
}
