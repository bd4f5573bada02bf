package workflows

import (
	"sort"
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
	// Moved are partner ids the customer was told left it (at most maxMoved).
	Moved []int64 `json:"moved,omitempty"`
	// LaneOnly: the write goes through the lane (an overdue one is
	// resubmitted there, where a customer's writes never overlap).
	LaneOnly bool `json:"laneOnly,omitempty"`
}

// maxMoved bounds the moved partner ids a customer carries into one write;
// beyond it the write still releases what its snapshot lists.
const maxMoved = 200

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
	moved := h.Moved
	if h.Kind == messages.HintMoved && h.RecordID != 0 {
		moved = append(append([]int64(nil), moved...), h.RecordID)
	}
	if len(moved) > 0 {
		p.Moved = uniqIDs(append(p.Moved, moved...))
		if len(p.Moved) > maxMoved {
			p.Moved = p.Moved[len(p.Moved)-maxMoved:]
		}
	}
	if p.Hints == 0 {
		p.FirstHint = now
	}
	p.Hints++
	p.LastHint = now
}

func (p pending) empty() bool { return p.Class == customer.ClassNone }

// uniqIDs returns the distinct ids in ascending order.
func uniqIDs(ids []int64) []int64 {
	sorted := append([]int64(nil), ids...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	out := sorted[:0]
	for i, id := range sorted {
		if i == 0 || id != sorted[i-1] {
			out = append(out, id)
		}
	}
	return out
}

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
	// Handed maps the workflow IDs this customer recently received a
	// handover from to when (so that a wait for one already received is
	// skipped); entries older than two handover waits are dropped.
	Handed map[string]time.Time `json:"handed,omitempty"`
	// Compacted: the run went idle; it waits for work without a timer.
	Compacted bool `json:"compacted,omitempty"`
	// Gone: the last write found no partner and no contact left.
	Gone bool `json:"gone,omitempty"`
	// OwnedRetries counts retries of a write refused because an order's
	// record was still held by another customer's contact.
	OwnedRetries int `json:"ownedRetries,omitempty"`
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
