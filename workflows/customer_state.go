package workflows

import (
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/messages"
)

// CustomerInput starts (or continues) a customer workflow.
type CustomerInput struct {
	Key      string         `json:"key"`
	Settings Settings       `json:"settings"`
	State    *CustomerState `json:"state,omitempty"` // carried over by continue-as-new
}

// pending is the coalesced work a customer still has to do.
type pending struct {
	Class     customer.Class `json:"class,omitempty"` // ClassNone = nothing pending
	Since     time.Time      `json:"since,omitempty"` // oldest unacknowledged Odoo change
	Force     bool           `json:"force,omitempty"`
	Successor string         `json:"successor,omitempty"`
	Hints     int            `json:"hints,omitempty"`
	LastHint  time.Time      `json:"lastHint,omitempty"`  // workflow time of the newest hint (debounce)
	FirstHint time.Time      `json:"firstHint,omitempty"` // workflow time of the oldest hint (debounce cap)
}

func (p *pending) add(h messages.Hint, now time.Time) {
	c := h.Class
	if c == customer.ClassNone {
		c = customer.ClassProfile
	}
	if p.Class == customer.ClassNone || c < p.Class {
		p.Class = c
	}
	since := h.ChangeTime
	if since.IsZero() {
		since = h.SeenAt
	}
	if since.IsZero() {
		since = now
	}
	if p.Since.IsZero() || since.Before(p.Since) {
		p.Since = since
	}
	p.Force = p.Force || h.Force
	if h.Successor != "" {
		p.Successor = h.Successor
	}
	if p.Hints == 0 {
		p.FirstHint = now
	}
	p.Hints++
	p.LastHint = now
}

func (p pending) empty() bool { return p.Class == customer.ClassNone }

// CustomerState is the durable state of one customer.
type CustomerState struct {
	Snapshot     customer.Snapshot     `json:"snapshot"`
	Pending      pending               `json:"pending"`
	InFlight     *messages.LaneRequest `json:"inFlight,omitempty"`
	InFlightAt   time.Time             `json:"inFlightAt,omitempty"`
	Seq          int64                 `json:"seq"`
	Blocked      *messages.Blocked     `json:"blocked,omitempty"`
	LastError    string                `json:"lastError,omitempty"`
	Failures     int                   `json:"failures,omitempty"`
	RetryAt      time.Time             `json:"retryAt,omitempty"`
	LastSyncedAt time.Time             `json:"lastSyncedAt,omitempty"`
	LastLag      time.Duration         `json:"lastLag,omitempty"`
	LastOrder    string                `json:"lastOrder,omitempty"`
	LastClass    string                `json:"lastClass,omitempty"`
	// PressureUntil: this customer's last direct write met a low budget; it
	// sends writes through the lane (bulk) until then.
	PressureUntil time.Time `json:"pressureUntil,omitempty"`
	Syncs         int       `json:"syncs"`
	// Awaiting maps the workflow IDs this customer waits a handover from to the deadline.
	Awaiting map[string]time.Time `json:"awaiting,omitempty"`
	// Published search attribute values, so that only changes are upserted.
	Published published `json:"published"`
}

type published struct {
	State     string    `json:"state,omitempty"`
	Reason    string    `json:"reason,omitempty"`
	Class     string    `json:"class,omitempty"`
	Since     time.Time `json:"since,omitempty"`
	SyncedAt  time.Time `json:"syncedAt,omitempty"`
	Partners  string    `json:"partners,omitempty"`
	SyncClass string    `json:"syncClass,omitempty"`
	LagMillis int64     `json:"lagMillis,omitempty"`
	Published bool      `json:"published,omitempty"`
}
