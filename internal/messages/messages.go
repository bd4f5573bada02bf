// Package messages defines what travels between workflows, activities and the
// ops tools: change hints, lane requests and results, and the customer state
// that the status query returns. Everything here is serialised into Temporal
// history, so it stays small and carries no secrets.
package messages

import (
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
)

// HintKind says what changed in Odoo.
type HintKind string

// Hint kinds.
const (
	HintPartner  HintKind = "partner"  // a partner of the customer was created or written
	HintOrder    HintKind = "order"    // an order of the customer was created or written
	HintCategory HintKind = "category" // a tag of one of its partners was renamed or changed
	HintMerge    HintKind = "merge"    // partners were merged into one of its partners
	HintMoved    HintKind = "moved"    // one of its partners now belongs to another key (email change, merge)
	HintResync   HintKind = "resync"   // an operator asked for a full rewrite
	HintRetry    HintKind = "retry"    // a failed write is tried again
)

// Hint is a change notice. Signals are hints: the customer reloads its state
// from Odoo, the source of truth, before it writes anything.
type Hint struct {
	Kind       HintKind       `json:"kind"`
	Class      customer.Class `json:"class"`
	Model      string         `json:"model,omitempty"`
	RecordID   int64          `json:"recordId,omitempty"`
	ChangeTime time.Time      `json:"changeTime,omitempty"` // Odoo write_date of the change
	SeenAt     time.Time      `json:"seenAt,omitempty"`     // when the sync saw it
	// MovedFrom is the workflow ID of the customer a partner came from.
	MovedFrom string `json:"movedFrom,omitempty"`
	// Successor is the key a vanished partner now belongs to (HintMoved).
	Successor string `json:"successor,omitempty"`
	Force     bool   `json:"force,omitempty"`
	// Moved are partner ids that left the customer (several hints merged).
	Moved []int64 `json:"moved,omitempty"`
}

// LaneRequest asks a lane shard to bring one customer up to date.
type LaneRequest struct {
	CustomerID string         `json:"customerId"` // workflow ID
	Key        string         `json:"key"`
	Seq        int64          `json:"seq"`
	Class      customer.Class `json:"class"`
	Since      time.Time      `json:"since,omitempty"` // oldest unacknowledged Odoo change
	Force      bool           `json:"force,omitempty"`
	// Successor: this customer lost its partners to that key; try to hand the
	// contact over (email change) before anything else.
	Successor string `json:"successor,omitempty"`
	// Pressured: the customer saw the write budget under pressure when it
	// chose the lane; the lane switches to bulk imports at once.
	Pressured bool `json:"pressured,omitempty"`
	// Moved are partner ids the customer was told it lost (email change,
	// merge, unlink): the write releases their binding and follows them.
	Moved []int64 `json:"moved,omitempty"`
}

// Outcome of a lane write.
type Outcome string

// Outcomes.
const (
	OutcomeOK      Outcome = "ok"
	OutcomePartial Outcome = "partial" // some writes acknowledged, the rest is retried
	OutcomeBlocked Outcome = "blocked" // a non-retryable rejection; needs a fix in Odoo or a resync
	OutcomeFailed  Outcome = "failed"  // retries exhausted; the customer tries again later
	OutcomeHanded  Outcome = "handed"  // the contact now belongs to the successor key
	// OutcomeRedirected: nothing was written; the write budget has no room
	// for a single write now, so the customer hands the request to the lane.
	OutcomeRedirected Outcome = "redirected"
	// OutcomeAwaiting: nothing was written; partners of this customer came
	// from other customers (LaneResult.Awaiting) whose contact may be handed
	// over to it, so it waits for their handover before creating a contact.
	OutcomeAwaiting Outcome = "awaiting"
)

// LaneResult tells a customer what happened to its request.
type LaneResult struct {
	Seq        int64              `json:"seq"`
	Outcome    Outcome            `json:"outcome"`
	Snapshot   *customer.Snapshot `json:"snapshot,omitempty"`
	AckAt      time.Time          `json:"ackAt,omitempty"`
	ChangeTime time.Time          `json:"changeTime,omitempty"`
	Class      customer.Class     `json:"class,omitempty"`
	Reason     string             `json:"reason,omitempty"` // machine code (blocked/failed)
	Detail     string             `json:"detail,omitempty"` // human text, no personal data
	Record     string             `json:"record,omitempty"` // e.g. "sale.order 42"
	Bulk       bool               `json:"bulk,omitempty"`
	LastOrder  string             `json:"lastOrder,omitempty"`
	Writes     int                `json:"writes,omitempty"` // API writes made
	// WritePressure: the single-write budget ran low while writing; the
	// customer sends its next writes through the lane (bulk) for a while.
	WritePressure bool `json:"writePressure,omitempty"`
	// Awaiting lists the workflow IDs of the customers to wait a handover
	// from (OutcomeAwaiting).
	Awaiting []string `json:"awaiting,omitempty"`
	// Gone: the customer has no partner in Odoo and no contact in
	// Dotdigital any more (handed over, or never written): its workflow ends.
	Gone bool `json:"gone,omitempty"`
}

// DirectRequest is a customer's single write that bypasses the lane.
type DirectRequest struct {
	Request  LaneRequest       `json:"request"`
	Snapshot customer.Snapshot `json:"snapshot"`
}

// Handover gives a customer the contact (and snapshot) of the customer its
// partner came from, after the contact's email was changed to its key. With
// Released instead, the sender only says that it let go of partners or
// Insight records that are now this customer's: a write that waited for
// them (a record still held by the sender's contact) is retried at once.
type Handover struct {
	From     string            `json:"from"`
	Snapshot customer.Snapshot `json:"snapshot"`
	Conflict bool              `json:"conflict,omitempty"` // the rename was refused: both contacts exist
	Released bool              `json:"released,omitempty"`
}

// Bind is one customer's change to the partner index: the partners its
// contact now carries (Claim) and those it no longer does (Release, applied
// only where the customer still holds them).
type Bind struct {
	Key     string  `json:"key"`
	Claim   []int64 `json:"claim,omitempty"`
	Release []int64 `json:"release,omitempty"`
	// IfAbsent claims only partners nobody holds (the initial load must not
	// undo a newer claim of the live sync).
	IfAbsent bool `json:"ifAbsent,omitempty"`
}

// BindResult maps each claimed partner that another customer held to that
// customer's key.
type BindResult struct {
	Previous map[int64]string `json:"previous,omitempty"`
}

// Blocked describes why a customer cannot sync.
type Blocked struct {
	Reason string    `json:"reason"`
	Detail string    `json:"detail"`
	Record string    `json:"record,omitempty"`
	Since  time.Time `json:"since"`
	Last   time.Time `json:"last"`
	Fix    string    `json:"fix,omitempty"`
}

// CustomerStatus is what the state query returns.
type CustomerStatus struct {
	Key          string            `json:"key"`
	State        string            `json:"state"`
	PartnerIDs   []int64           `json:"partnerIds"`
	Snapshot     customer.Snapshot `json:"snapshot"`
	PendingClass string            `json:"pendingClass,omitempty"`
	PendingSince time.Time         `json:"pendingSince,omitempty"`
	InFlight     *LaneRequest      `json:"inFlight,omitempty"`
	Blocked      *Blocked          `json:"blocked,omitempty"`
	LastError    string            `json:"lastError,omitempty"`
	LastSyncedAt time.Time         `json:"lastSyncedAt,omitempty"`
	LastLag      time.Duration     `json:"lastLag,omitempty"`
	LastOrder    string            `json:"lastOrder,omitempty"`
	Syncs        int               `json:"syncs"`
}

// SyncSummary is what a lane activity returns to the lane (results reach
// each customer directly by signal, so the lane's history stays small).
type SyncSummary struct {
	Customers int `json:"customers"`
	OK        int `json:"ok"`
	Blocked   int `json:"blocked"`
	Writes    int `json:"writes"`
	// WritePressure: the budget of single writes ran low (or a call was
	// retried) recently; ImportPressure: the budget of bulk imports did.
	// The lane moves work to the other path while it lasts.
	WritePressure  bool `json:"writePressure,omitempty"`
	ImportPressure bool `json:"importPressure,omitempty"`
	// Deferred: the import budget had no room for the batch's class, so
	// nothing was sent; the lane takes the requests back and gathers them
	// with newer ones into a larger batch after RetryAfter.
	Deferred   bool          `json:"deferred,omitempty"`
	RetryAfter time.Duration `json:"retryAfter,omitempty"`
}

// SkippedPartner is an Odoo partner that cannot sync: it has no valid email.
type SkippedPartner struct {
	PartnerID int64     `json:"partnerId"`
	Reason    string    `json:"reason"`          // no_email, invalid_email
	Email     string    `json:"email,omitempty"` // the unusable value, truncated, to help fix it
	Company   string    `json:"company,omitempty"`
	FirstSeen time.Time `json:"firstSeen"`
	LastSeen  time.Time `json:"lastSeen"`
}

// SkippedReport is what the exceptions registry's query returns.
type SkippedReport struct {
	Partners []SkippedPartner `json:"partners"`
	Dropped  int              `json:"dropped,omitempty"` // not kept because the registry was full
}
