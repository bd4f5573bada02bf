package ddemu

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Email channel statuses (v3 emailChannelStatus values).
const (
	statusSubscribed     = "subscribed"
	statusUnsubscribed   = "unsubscribed"
	statusSuppressed     = "suppressed"
	statusPendingOptIn   = "pendingOptIn"
	statusNoSubscription = "noSubscription"
)

// contact is one Dotdigital contact.
type contact struct {
	id          int64
	email       string // lower-cased; "" when the contact has only a mobile number
	mobile      string
	emailStatus string // v3 emailChannelStatus
	emailType   string // response form: Html | PlainText
	optInType   string // response form: Unknown | Single | Double | VerifiedDouble
	smsStatus   string
	created     time.Time
	updated     time.Time
	binned      bool // in the recycle bin after a delete; PATCH/import undelete it
	purged      bool
	vals        []any // by dataField.ordinal
	lists       []int // sorted address-book ids
	consent     []consentRecord

	unsubscribedAt time.Time
	suppressedAt   time.Time
}

type consentRecord struct {
	Text              string `json:"text"`
	DateTimeConsented string `json:"dateTimeConsented"`
	URL               string `json:"url"`
	IPAddress         string `json:"ipAddress"`
	UserAgent         string `json:"userAgent"`
	DateTimeCreated   string `json:"dateTimeCreated,omitempty"`
}

// globallySuppressed: statuses that block sending for the whole account
// (everything except subscribed, unsubscribed, pending and no subscription).
func (c *contact) globallySuppressed() bool {
	switch c.emailStatus {
	case statusSubscribed, statusUnsubscribed, statusPendingOptIn, statusNoSubscription:
		return false
	}
	return true
}

// optedOut covers the v2 notion of "suppressed": unsubscribed or globally suppressed.
func (c *contact) optedOut() bool {
	return c.emailStatus == statusUnsubscribed || c.globallySuppressed()
}

// topStatus is the contact-level status of a v3 contact.
func (c *contact) topStatus() string {
	if c.binned {
		return "deleted"
	}
	switch c.emailStatus {
	case statusSubscribed, statusUnsubscribed, statusPendingOptIn, statusNoSubscription, statusSuppressed:
		return c.emailStatus
	}
	return statusSuppressed
}

func (c *contact) value(f *dataField) any {
	if f.ordinal < len(c.vals) {
		return c.vals[f.ordinal]
	}
	return nil
}

func (c *contact) setValue(f *dataField, v any) {
	if f.ordinal >= len(c.vals) {
		if v == nil {
			return
		}
		c.vals = append(c.vals, make([]any, f.ordinal+1-len(c.vals))...)
	}
	c.vals[f.ordinal] = v
}

func (c *contact) inList(id int) bool {
	_, ok := slices.BinarySearch(c.lists, id)
	return ok
}

// ---- lookups ----

// Identifier names the emulator knows; custom identifiers are not configured in the emulated account.
const (
	idEmail     = "email"
	idMobile    = "mobileNumber"
	idContactID = "contactId"
)

// lookupProblem says why an identifier/value pair cannot be looked up.
type lookupProblem int

const (
	lookupOK lookupProblem = iota
	lookupBadIdentifier
	lookupBadValue
)

// find returns the contact (binned ones included) for an identifier and value.
func (s *store) find(identifier, value string) (*contact, lookupProblem) {
	switch canonicalIdentifier(identifier) {
	case idEmail:
		e := normaliseEmail(value)
		if !validEmail(e) {
			return nil, lookupBadValue
		}
		return s.byEmail[e], lookupOK
	case idMobile:
		m, ok := normaliseMobile(value)
		if !ok {
			return nil, lookupBadValue
		}
		return s.byMobile[m], lookupOK
	case idContactID:
		id, err := strconv.ParseInt(value, 10, 64)
		if err != nil || id <= 0 {
			return nil, lookupBadValue
		}
		c := s.contacts[id]
		return c, lookupOK
	}
	return nil, lookupBadIdentifier
}

// findLive is find without binned contacts.
func (s *store) findLive(identifier, value string) (*contact, lookupProblem) {
	c, p := s.find(identifier, value)
	if c != nil && c.binned {
		return nil, p
	}
	return c, p
}

func canonicalIdentifier(id string) string {
	switch {
	case strings.EqualFold(id, idEmail):
		return idEmail
	case strings.EqualFold(id, idMobile):
		return idMobile
	case strings.EqualFold(id, idContactID):
		return idContactID
	}
	return ""
}

// ---- mutations ----

// identifierConflict reports an identifier of w that belongs to another live contact.
func (s *store) identifierConflict(c *contact, w *contactWrite) (identifier, value string) {
	if w.hasEmail {
		if o := s.byEmail[w.email]; o != nil && o != c && !o.binned {
			return idEmail, w.email
		}
	}
	if w.hasMobile {
		if o := s.byMobile[w.mobile]; o != nil && o != c && !o.binned {
			return idMobile, w.mobile
		}
	}
	return "", ""
}

// setIdentifiers moves c to the identifiers of w, purging binned contacts
// that still hold them (a recycled identifier goes to the new owner).
func (s *store) setIdentifiers(c *contact, w *contactWrite) {
	if w.hasEmail && w.email != c.email {
		if o := s.byEmail[w.email]; o != nil && o != c {
			s.purge(o)
		}
		if c.email != "" {
			delete(s.byEmail, c.email)
		}
		c.email = w.email
		s.byEmail[c.email] = c
	}
	if w.hasMobile && w.mobile != c.mobile {
		if o := s.byMobile[w.mobile]; o != nil && o != c {
			s.purge(o)
		}
		if c.mobile != "" {
			delete(s.byMobile, c.mobile)
		}
		c.mobile = w.mobile
		if c.mobile != "" {
			s.byMobile[c.mobile] = c
		}
	}
}

// create adds a contact from w; the caller has checked identifier conflicts.
func (s *store) create(w *contactWrite, t time.Time) *contact {
	s.nextContactID++
	c := &contact{
		id: s.nextContactID, emailStatus: statusSubscribed, emailType: "Html", optInType: "Unknown",
		smsStatus: statusNoSubscription, created: t, updated: t,
	}
	s.contacts[c.id] = c
	s.order = append(s.order, c)
	s.setIdentifiers(c, w)
	if w.optInType != "" {
		c.optInType = w.optInType
	}
	if w.emailType != "" {
		c.emailType = w.emailType
	}
	switch {
	case w.emailStatus == statusUnsubscribed:
		c.emailStatus, c.unsubscribedAt = statusUnsubscribed, t
	case w.emailStatus == statusSuppressed:
		c.emailStatus, c.suppressedAt = statusSuppressed, t
	case c.optInType == "VerifiedDouble":
		c.emailStatus = statusPendingOptIn
	default:
		s.markSubscribed(c, t)
	}
	if w.smsStatus != "" {
		c.smsStatus = w.smsStatus
	}
	return c
}

func (s *store) markSubscribed(c *contact, t time.Time) {
	c.emailStatus = statusSubscribed
	if f := s.fields["LASTSUBSCRIBED"]; f != nil {
		c.setValue(f, t)
	}
}

// writeEffects reports what a write did, for the counters.
type writeEffects struct {
	statusWrite bool
	resubscribe bool
}

// apply updates c with w under the merge option; identifiers must already be set.
func (s *store) apply(c *contact, w *contactWrite, merge mergeOption, t time.Time, isNew bool) writeEffects {
	var fx writeEffects
	c.binned = false // a write undeletes a binned contact
	for _, fw := range w.fields {
		old := c.value(fw.field)
		switch merge {
		case mergeOverwriteIfNotEmpty:
			if fw.value == nil {
				continue
			}
		case mergeOverwriteIfEmpty:
			if old != nil {
				continue
			}
		}
		c.setValue(fw.field, fw.value)
	}
	if !isNew {
		if w.emailType != "" {
			c.emailType = w.emailType
		}
		if w.optInType != "" {
			c.optInType = w.optInType
		}
		if w.smsStatus != "" {
			c.smsStatus = w.smsStatus
		}
		if w.emailStatus != "" {
			fx.resubscribe = s.changeEmailStatus(c, w, t)
		}
	}
	fx.statusWrite = w.emailStatus != ""
	for _, id := range w.lists {
		if b := s.books[id]; b != nil {
			s.addMember(b, c)
		}
	}
	for _, cr := range w.consent {
		cr.DateTimeCreated = formatTime(t)
		c.consent = append(c.consent, cr)
	}
	c.updated = t
	return fx
}

// changeEmailStatus applies a requested email channel status to an existing
// contact. Globally suppressed contacts cannot be brought back through the
// API; unsubscribed ones are resubscribed unless a challenge was asked for.
func (s *store) changeEmailStatus(c *contact, w *contactWrite, t time.Time) (resubscribed bool) {
	switch w.emailStatus {
	case statusSubscribed:
		switch c.emailStatus {
		case statusUnsubscribed:
			if w.resubscribeWithNoChallenge {
				s.markSubscribed(c, t)
				return true
			}
		case statusPendingOptIn, statusNoSubscription:
			s.markSubscribed(c, t)
		}
	case statusUnsubscribed:
		if !c.globallySuppressed() && c.emailStatus != statusUnsubscribed {
			c.emailStatus, c.unsubscribedAt = statusUnsubscribed, t
			s.setListStatus(c, "suppressed")
		}
	case statusSuppressed:
		if c.emailStatus != statusSuppressed {
			c.emailStatus, c.suppressedAt = statusSuppressed, t
			s.setListStatus(c, "suppressed")
		}
	}
	return false
}

// bin moves a contact to the recycle bin: it leaves every list and stops being found by GET.
func (s *store) bin(c *contact, t time.Time) {
	for _, id := range c.lists {
		if b := s.books[id]; b != nil {
			delete(b.members, c.id)
		}
	}
	c.lists = nil
	c.binned = true
	c.updated = t
}

// purge removes a contact for good, with its Insight records.
func (s *store) purge(c *contact) {
	if c.purged {
		return
	}
	if !c.binned {
		s.bin(c, c.updated)
	}
	c.purged = true
	delete(s.contacts, c.id)
	if c.email != "" && s.byEmail[c.email] == c {
		delete(s.byEmail, c.email)
	}
	if c.mobile != "" && s.byMobile[c.mobile] == c {
		delete(s.byMobile, c.mobile)
	}
	for _, col := range s.collections {
		col.dropOwner(c.id)
	}
	s.purged++
	if s.purged > 1024 && s.purged > len(s.order)/4 {
		s.order = slices.DeleteFunc(s.order, func(x *contact) bool { return x.purged })
		s.purged = 0
	}
}

// orderIndexAfter is the index of the first contact in order with id > after.
func (s *store) orderIndexAfter(after int64) int {
	return sort.Search(len(s.order), func(i int) bool { return s.order[i].id > after })
}
