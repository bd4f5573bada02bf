// Package changes holds the types of change capture: the poller's durable
// cursors, webhook pokes, and poll results.
package changes

import (
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/odoo"
)

// Cursors are the poller's durable positions, one per polled source.
type Cursors struct {
	Partners   odoo.Cursor `json:"partners"`
	Orders     odoo.Cursor `json:"orders"`
	Categories odoo.Cursor `json:"categories"`
	// MergeNoteID is the last mail.message id of a merge note handled.
	MergeNoteID int64 `json:"mergeNoteId"`
}

// Poke is a webhook hint: a record changed; poll now.
type Poke struct {
	Model     string `json:"model"`
	ID        int64  `json:"id"`
	WriteDate string `json:"writeDate,omitempty"`
	Attempts  int    `json:"attempts,omitempty"`
}

// PollRequest is the input of one poll.
type PollRequest struct {
	Cursors Cursors `json:"cursors"`
	Pokes   []Poke  `json:"pokes,omitempty"`
	// WatchingSince is when the poller first polled. Changes older than that
	// (the data that existed before the service ran) count their sync lag
	// from then, not from their write_date.
	WatchingSince time.Time `json:"watchingSince,omitempty"`
}

// PollResult is the output of one poll.
type PollResult struct {
	Cursors Cursors `json:"cursors"`
	Stats   Stats   `json:"stats"`
	More    bool    `json:"more"`
	// Unseen lists pokes whose record the poll did not see (Odoo 17 sends
	// webhooks before commit): the poller polls again shortly.
	Unseen []Poke `json:"unseen,omitempty"`
}

// Stats count what polls saw and did.
type Stats struct {
	Polls      int `json:"polls"`
	Partners   int `json:"partners"`
	Orders     int `json:"orders"`
	Categories int `json:"categories"`
	Merges     int `json:"merges"`
	Routed     int `json:"routed"`
	Skipped    int `json:"skipped"`
	Errors     int `json:"errors"`
}

// Add accumulates o into s.
func (s *Stats) Add(o Stats) {
	s.Polls += o.Polls
	s.Partners += o.Partners
	s.Orders += o.Orders
	s.Categories += o.Categories
	s.Merges += o.Merges
	s.Routed += o.Routed
	s.Skipped += o.Skipped
	s.Errors += o.Errors
}

// ResyncFilter selects partners for a bulk resync; zero values select all.
type ResyncFilter struct {
	Tag   string    `json:"tag,omitempty"`
	Since time.Time `json:"since,omitempty"`
}

// ResyncPage is the progress of a bulk resync.
type ResyncPage struct {
	AfterID   int64 `json:"afterId"`
	Partners  int   `json:"partners"`
	Customers int   `json:"customers"`
	Skipped   int   `json:"skipped"`
	Done      bool  `json:"done"`
}
