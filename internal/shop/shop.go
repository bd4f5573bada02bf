// Package shop simulates a web shop's traffic against Odoo through its real
// XML-RPC API: guest checkouts (some repeating an earlier email in another
// case), account sign-ups, confirmed and cancelled orders, quotations, VIP
// tag changes and profile edits. The demo and the benchmarks drive the
// service with it.
package shop

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand"
	"strings"
	"sync"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/odoo"
)

// Action names, for statistics.
const (
	ActGuestCheckout  = "guest_checkout"
	ActReturningGuest = "returning_guest"
	ActSignup         = "signup"
	ActCancel         = "cancel"
	ActTag            = "tag"
	ActProfile        = "profile"
	ActQuotation      = "quotation"
)

// Shop drives one Odoo database.
type Shop struct {
	odoo   *odoo.Client
	rng    *rand.Rand
	logger *slog.Logger

	Catalog

	mu        sync.Mutex
	customers []person // emails seen, for returning guests
	orders    []int64  // confirmed orders, for cancellations
	partners  []int64
	stats     map[string]int
}

type person struct {
	email, name string
}

// New reads the master data (companies, websites, products, countries, the
// VIP tag) the simulation needs.
func New(ctx context.Context, c *odoo.Client, seed int64, logger *slog.Logger) (*Shop, error) {
	cat, err := LoadCatalog(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("shop: %w", err)
	}
	s := &Shop{odoo: c, rng: rand.New(rand.NewSource(seed)), logger: logger, Catalog: cat, stats: map[string]int{}}
	return s, nil
}

// Stats returns how many of each action ran.
func (s *Shop) Stats() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.stats))
	for k, v := range s.stats {
		out[k] = v
	}
	return out
}

// Run performs actions at rate per second until ctx ends.
func (s *Shop) Run(ctx context.Context, rate float64) {
	if rate <= 0 {
		return
	}
	t := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.Step(ctx); err != nil && ctx.Err() == nil {
				s.logger.Warn("shop action failed", "error", err)
			}
		}
	}
}

// Step performs one random action, weighted like a shop's day.
func (s *Shop) Step(ctx context.Context) error {
	s.mu.Lock()
	r := s.rng.Float64()
	s.mu.Unlock()
	var act string
	var err error
	switch {
	case r < 0.40:
		act, err = ActGuestCheckout, s.GuestCheckout(ctx, "")
	case r < 0.55:
		act, err = ActReturningGuest, s.ReturningGuest(ctx)
	case r < 0.62:
		act, err = ActSignup, s.Signup(ctx)
	case r < 0.67:
		act, err = ActCancel, s.CancelRecent(ctx)
	case r < 0.77:
		act, err = ActTag, s.ToggleVIP(ctx)
	case r < 0.95:
		act, err = ActProfile, s.EditProfile(ctx)
	default:
		act, err = ActQuotation, s.Quotation(ctx)
	}
	if err == nil {
		s.mu.Lock()
		s.stats[act]++
		s.mu.Unlock()
	}
	return err
}

var firstNames = []string{"Jane", "John", "Zoë", "Łukasz", "Amélie", "Søren", "Aiko", "Mateo", "Fatima", "Noah", "Olivia", "Chen", "Priya", "Björn", "Inés"}
var lastNames = []string{"Doe", "Smith", "Müller", "García", "Nakamura", "O'Brien", "van der Berg", "Kowalski", "Rossi", "Dubois", "Svensson", "Ng"}

func (s *Shop) newPerson() person {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, l := firstNames[s.rng.Intn(len(firstNames))], lastNames[s.rng.Intn(len(lastNames))]
	email := fmt.Sprintf("%s.%s.%d@example.com", asciiOnly(f), asciiOnly(l), s.rng.Intn(1_000_000_000))
	return person{email: email, name: f + " " + l}
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

// GuestCheckout creates a guest partner and a confirmed order; email "" means a new person.
func (s *Shop) GuestCheckout(ctx context.Context, email string) error {
	p := s.newPerson()
	if email != "" {
		p.email = email
	}
	site, company := s.pickSite()
	vals := map[string]any{"name": p.name, "email": p.email, "company_id": company, "type": "contact"}
	if c := s.pick(s.Countries); c != 0 {
		vals["country_id"] = c
	}
	if site != 0 {
		vals["website_id"] = site
	}
	pid, err := s.odoo.Create(ctx, "res.partner", vals)
	if err != nil {
		return fmt.Errorf("create guest partner: %w", err)
	}
	oid, err := s.order(ctx, pid, company, site)
	if err != nil {
		return err
	}
	if _, err := s.odoo.Call(ctx, "sale.order", "action_confirm", []any{[]int64{oid}}, nil); err != nil {
		return fmt.Errorf("confirm order: %w", err)
	}
	s.mu.Lock()
	s.customers = append(s.customers, p)
	s.partners = append(s.partners, pid)
	s.orders = append(s.orders, oid)
	s.mu.Unlock()
	return nil
}

// ReturningGuest checks out again as a guest with an earlier email written
// in another case and with stray spaces.
func (s *Shop) ReturningGuest(ctx context.Context) error {
	s.mu.Lock()
	if len(s.customers) == 0 {
		s.mu.Unlock()
		return s.GuestCheckout(ctx, "")
	}
	p := s.customers[s.rng.Intn(len(s.customers))]
	s.mu.Unlock()
	return s.GuestCheckout(ctx, "  "+strings.ToUpper(p.email[:1])+p.email[1:]+" ")
}

// Signup gives an earlier guest an account (a portal user, which creates the
// account partner with the same email).
func (s *Shop) Signup(ctx context.Context) error {
	s.mu.Lock()
	if len(s.customers) == 0 {
		s.mu.Unlock()
		return s.GuestCheckout(ctx, "")
	}
	p := s.customers[s.rng.Intn(len(s.customers))]
	s.mu.Unlock()
	_, company := s.pickSite()
	// A free sign-up makes a portal user, whose new account partner carries
	// the guest's email in another case (Odoo does not look guests up by
	// email): one more partner for the same customer.
	uid, err := s.odoo.Create(ctx, "res.users", map[string]any{"name": p.name, "login": p.email, "email": strings.ToUpper(p.email[:1]) + p.email[1:],
		"share": true, "company_id": company, "company_ids": []any{[]any{6, 0, []int64{company}}}})
	if err != nil {
		return fmt.Errorf("sign up: %w", err)
	}
	users, err := s.odoo.Read(ctx, "res.users", []int64{uid}, []string{"partner_id"})
	if err != nil || len(users) == 0 {
		return fmt.Errorf("sign up: read user: %w", err)
	}
	pid := users[0].Many2One("partner_id").ID
	s.mu.Lock()
	s.partners = append(s.partners, pid)
	s.mu.Unlock()
	return nil
}

// CancelRecent cancels one of the recent confirmed orders.
func (s *Shop) CancelRecent(ctx context.Context) error {
	s.mu.Lock()
	if len(s.orders) == 0 {
		s.mu.Unlock()
		return nil
	}
	i := len(s.orders) - 1 - s.rng.Intn(min(len(s.orders), 20))
	oid := s.orders[i]
	s.orders = append(s.orders[:i], s.orders[i+1:]...)
	s.mu.Unlock()
	// disable_cancel_warning: what confirming Odoo's cancellation wizard does.
	if _, err := s.odoo.Call(ctx, "sale.order", "action_cancel", []any{[]int64{oid}}, map[string]any{"context": map[string]any{"disable_cancel_warning": true}}); err != nil {
		return fmt.Errorf("cancel order: %w", err)
	}
	return nil
}

// ToggleVIP adds or removes the VIP tag on a known partner.
func (s *Shop) ToggleVIP(ctx context.Context) error {
	pid := s.pickPartner()
	if pid == 0 || s.VIPTag == 0 {
		return nil
	}
	s.mu.Lock()
	add := s.rng.Intn(2) == 0
	s.mu.Unlock()
	cmd := []any{3, s.VIPTag}
	if add {
		cmd = []any{4, s.VIPTag}
	}
	return s.odoo.Write(ctx, "res.partner", []int64{pid}, map[string]any{"category_id": []any{cmd}})
}

// EditProfile changes a known partner's name, language or country.
func (s *Shop) EditProfile(ctx context.Context) error {
	pid := s.pickPartner()
	if pid == 0 {
		return nil
	}
	p := s.newPerson()
	s.mu.Lock()
	choice := s.rng.Intn(3)
	s.mu.Unlock()
	vals := map[string]any{}
	switch choice {
	case 0:
		vals["name"] = p.name
	case 1:
		vals["lang"] = []string{"en_US", "fr_FR", "de_DE", "nl_NL"}[s.rng.Intn(4)]
	default:
		if c := s.pick(s.Countries); c != 0 {
			vals["country_id"] = c
		}
	}
	return s.odoo.Write(ctx, "res.partner", []int64{pid}, vals)
}

// Quotation creates a draft order that is never confirmed.
func (s *Shop) Quotation(ctx context.Context) error {
	pid := s.pickPartner()
	if pid == 0 {
		return nil
	}
	site, company := s.pickSite()
	_, err := s.order(ctx, pid, company, site)
	return err
}

func (s *Shop) order(ctx context.Context, partner, company, site int64) (int64, error) {
	s.mu.Lock()
	n := 1 + s.rng.Intn(3)
	var lines []any
	for i := 0; i < n; i++ {
		lines = append(lines, []any{0, 0, map[string]any{
			"product_id": s.Products[s.rng.Intn(len(s.Products))], "product_uom_qty": float64(1 + s.rng.Intn(3)),
		}})
	}
	s.mu.Unlock()
	vals := map[string]any{"partner_id": partner, "company_id": company, "order_line": lines}
	if site != 0 {
		vals["website_id"] = site
	}
	id, err := s.odoo.Create(ctx, "sale.order", vals)
	if err != nil {
		return 0, fmt.Errorf("create order: %w", err)
	}
	return id, nil
}

func (s *Shop) pickSite() (site, company int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.PickSite(s.rng.Intn)
}

func (s *Shop) pick(ids []int64) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(ids) == 0 {
		return 0
	}
	return ids[s.rng.Intn(len(ids))]
}

func (s *Shop) pickPartner() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.partners) == 0 {
		return 0
	}
	return s.partners[s.rng.Intn(len(s.partners))]
}
