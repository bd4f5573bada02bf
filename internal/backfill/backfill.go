// Package backfill holds what the initial load (workflows.Backfill) passes
// around: its options, the resumable checkpoint, the page requests and
// results that travel between the workflow and its activities (partner id
// ranges and counters, never customer records, so payloads stay small), and
// the progress shown in the Web UI and by `starter backfill`.
//
// A page is a range of Odoo partner ids (AfterID, UpToID]. A customer (one
// normalised email) is loaded and sent by the page that holds its lowest
// partner id, so that it is sent once even when its partners span pages.
package backfill

import (
	"time"
)

// Options tune a backfill. Zero values take the defaults of WithDefaults.
type Options struct {
	// PagePartners is the number of Odoo partners per page. The default
	// (3/2 of the contact batch) makes a page about one contact import,
	// since a customer has about 1.5 partners.
	PagePartners int `json:"pagePartners,omitempty"`
	// Parallel is the number of pages in flight: reading page N+1 from Odoo
	// overlaps the imports of page N.
	Parallel int `json:"parallel,omitempty"`
	// InsightImports is the number of Insight imports one page keeps in
	// flight. The account allows 5 at once for everything (the live lanes
	// too), so Parallel x InsightImports should stay below 5.
	InsightImports int `json:"insightImports,omitempty"`
	// HeartbeatTimeout: a page whose worker died is retried after this long.
	HeartbeatTimeout time.Duration `json:"heartbeatTimeout,omitempty"`
	// PageTimeout bounds one attempt of a page.
	PageTimeout time.Duration `json:"pageTimeout,omitempty"`
	// RetryDelay: a page (or plan) that failed for good (its activity's
	// retries exhausted, or a non-retryable error such as bad credentials)
	// is tried again after this long; the backfill never gives up by itself.
	RetryDelay time.Duration `json:"retryDelay,omitempty"`
	// MaxListed is how many failed customers the progress lists.
	MaxListed int `json:"maxListed,omitempty"`
	// MaxRejectedKeys bounds the keys of failed customers kept for the
	// result (beyond it they are only counted).
	MaxRejectedKeys int `json:"maxRejectedKeys,omitempty"`
	// UpToPartnerID (0: none) ends the load at the newest partner that
	// existed when a fresh deployment began: partners created later are
	// synced live, and a bulk import of them could land after (and undo) a
	// newer live write.
	UpToPartnerID int64 `json:"upToPartnerId,omitempty"`
}

// WithDefaults fills zero values; contactBatch is DOTDIGITAL_CONTACT_BATCH.
func (o Options) WithDefaults(contactBatch int) Options {
	if contactBatch <= 0 {
		contactBatch = 2000
	}
	if o.PagePartners <= 0 {
		o.PagePartners = contactBatch * 3 / 2
	}
	if o.Parallel <= 0 {
		o.Parallel = 2
	}
	if o.InsightImports <= 0 {
		o.InsightImports = 1
	}
	if o.HeartbeatTimeout <= 0 {
		o.HeartbeatTimeout = 30 * time.Second
	}
	if o.PageTimeout <= 0 {
		o.PageTimeout = 15 * time.Minute
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = time.Minute
	}
	if o.MaxListed <= 0 {
		o.MaxListed = 50
	}
	if o.MaxRejectedKeys <= 0 {
		o.MaxRejectedKeys = 20000
	}
	return o
}

// PlanRequest asks for the bounds of the next pages after AfterID.
type PlanRequest struct {
	AfterID      int64 `json:"afterId"`
	PagePartners int   `json:"pagePartners"`
	Pages        int   `json:"pages"`
	// UpToID (0: none; negative: no partner at all) is the last partner id
	// the load covers.
	UpToID int64 `json:"upToId,omitempty"`
}

// Plan is the answer: the upper partner id of each next page, ascending
// (page i is (Bounds[i-1], Bounds[i]]); none when no partner is left. Total
// is the number of partners in Odoo (archived included), for the percentage.
type Plan struct {
	Bounds []int64 `json:"bounds,omitempty"`
	Total  int64   `json:"total"`
}

// PageRequest is the input of one page: partners with AfterID < id <= UpToID.
type PageRequest struct {
	AfterID        int64 `json:"afterId"`
	UpToID         int64 `json:"upToId"`
	ContactBatch   int   `json:"contactBatch"`
	InsightImports int   `json:"insightImports"`
}

// Skip reasons of partners that are not sent (counted, not listed: the
// exceptions registry lists partners without a valid email).
const (
	SkipNoEmail      = "no_email"
	SkipInvalidEmail = "invalid_email"
	SkipExcluded     = "not_a_customer" // the companies' own partners and internal users
	SkipArchived     = "archived"       // partners of a customer all of whose partners are archived
)

// Failure reasons of customers Dotdigital did not take in full (besides the
// contact import codes invalid_email, email_conflict and contact_rejected).
const (
	FailContactNotAcknowledged = "contact_not_acknowledged" // missing from the import report
	FailContactImport          = "contact_import_failed"    // the whole import ended in a failed status
	FailInsightImport          = "insight_import_failed"
	FailRecordRejected         = "rejected_record"
	FailContactMissing         = "contact_missing" // ContactEmailDoesNotExist after retries
)

// Failure is one customer Dotdigital did not take in full. Its key goes into
// the result so that ops can resync it (`starter resync <email>`).
type Failure struct {
	Key    string `json:"key"`
	Reason string `json:"reason"`
	Detail string `json:"detail,omitempty"`
}

// PageResult is what one page did.
type PageResult struct {
	AfterID  int64 `json:"afterId"`
	UpToID   int64 `json:"upToId"`
	Partners int   `json:"partners"` // partners in the range
	// Skipped counts partners not sent, by reason (Skip* constants).
	Skipped map[string]int `json:"skipped,omitempty"`
	// Customers whose lowest partner id is in this page: the ones it sent.
	Customers int `json:"customers"`
	// Shared: keys of this page whose lowest partner id is on an earlier page.
	Shared          int       `json:"shared"`
	ContactsCreated int       `json:"contactsCreated"`
	ContactsUpdated int       `json:"contactsUpdated"`
	OrdersSent      int       `json:"ordersSent"`
	OrdersImported  int       `json:"ordersImported"`
	ContactImports  int       `json:"contactImports"`
	InsightImports  int       `json:"insightImports"`
	Failures        []Failure `json:"failures,omitempty"`
	// Bound: partners the page bound to their customer in the partner index.
	Bound int `json:"bound,omitempty"`
	// Resynced: customers that changed in Odoo while the page was in
	// flight; they were told to resync (a live write may have landed before
	// the page's older data).
	Resynced int `json:"resynced,omitempty"`
	// Time spent reading Odoo and waiting for each kind of import.
	ReadSeconds    float64 `json:"readSeconds"`
	ContactSeconds float64 `json:"contactSeconds"`
	InsightSeconds float64 `json:"insightSeconds"`
}

// Checkpoint is the durable state of a backfill: where it is and what it
// did. It travels through continue-as-new and can seed a new run.
type Checkpoint struct {
	Progress Progress `json:"progress"`
	// Rejected holds the keys of failed customers (at most MaxRejectedKeys);
	// RejectedDropped counts the ones beyond.
	Rejected        []string `json:"rejected,omitempty"`
	RejectedDropped int      `json:"rejectedDropped,omitempty"`
	SchemaReady     bool     `json:"schemaReady,omitempty"`
}

// Result is what a finished backfill returns.
type Result struct {
	Progress        Progress `json:"progress"`
	Rejected        []string `json:"rejected,omitempty"`
	RejectedDropped int      `json:"rejectedDropped,omitempty"`
}

// Result of the checkpoint.
func (c Checkpoint) Result() Result {
	return Result{Progress: c.Progress, Rejected: c.Rejected, RejectedDropped: c.RejectedDropped}
}

// Add folds a finished page into the checkpoint (counters only: AfterID
// advances separately, over pages finished in order).
func (c *Checkpoint) Add(r PageResult, o Options) {
	p := &c.Progress
	p.Pages++
	p.Partners += int64(r.Partners)
	//workflowcheck:ignore (sums: the order does not matter)
	for reason, n := range r.Skipped {
		if p.Skipped == nil {
			p.Skipped = map[string]int64{}
		}
		p.Skipped[reason] += int64(n)
	}
	p.Customers += int64(r.Customers)
	p.ContactsCreated += int64(r.ContactsCreated)
	p.ContactsUpdated += int64(r.ContactsUpdated)
	p.OrdersSent += int64(r.OrdersSent)
	p.OrdersImported += int64(r.OrdersImported)
	p.ContactImports += int64(r.ContactImports)
	p.InsightImports += int64(r.InsightImports)
	p.ReadSeconds += r.ReadSeconds
	p.ContactSeconds += r.ContactSeconds
	p.InsightSeconds += r.InsightSeconds
	for _, f := range r.Failures {
		p.FailedCustomers++
		if p.Failures == nil {
			p.Failures = map[string]int64{}
		}
		p.Failures[f.Reason]++
		p.Recent = append(p.Recent, f)
		if len(c.Rejected) < o.MaxRejectedKeys {
			c.Rejected = append(c.Rejected, f.Key)
		} else {
			c.RejectedDropped++
		}
	}
	if over := len(p.Recent) - o.MaxListed; over > 0 {
		p.Recent = append([]Failure(nil), p.Recent[over:]...)
	}
}
