package odoo

import (
	"context"
	"errors"
)

// ErrStopScan, returned by a scan callback, ends the scan without an error.
var ErrStopScan = errors.New("odoo: stop scan")

// DefaultPageSize is the page size of scans and of the incremental reader
// (the reference suggests 200-1000 rows with an explicit field list).
const DefaultPageSize = 500

// scanRecords pages through domain by id (keyset: id > last, order id asc),
// which stays correct while records are added or deleted, unlike offsets.
func (c *Client) scanRecords(ctx context.Context, model string, domain Domain, fields []string, afterID int64, pageSize int, callCtx map[string]any, fn func([]Record) error) error {
	if pageSize <= 0 {
		pageSize = DefaultPageSize
	}
	last := afterID
	for {
		recs, err := c.SearchRead(ctx, model, And(domain, Term("id", OpGt, last)), fields,
			ReadOptions{Limit: pageSize, Order: "id asc", Context: callCtx})
		if err != nil {
			return err
		}
		if len(recs) == 0 {
			return nil
		}
		if err := fn(recs); err != nil {
			if errors.Is(err, ErrStopScan) {
				return nil
			}
			return err
		}
		next := recs[len(recs)-1].ID()
		if len(recs) < pageSize || next <= last {
			return nil
		}
		last = next
	}
}

// searchReadAll reads every match in id-keyed pages.
func (c *Client) searchReadAll(ctx context.Context, model string, domain Domain, fields []string, callCtx map[string]any) ([]Record, error) {
	var out []Record
	err := c.scanRecords(ctx, model, domain, fields, 0, c.pageSize(), callCtx, func(recs []Record) error {
		out = append(out, recs...)
		return nil
	})
	return out, err
}

func (c *Client) pageSize() int { return max(c.batch, DefaultPageSize) }

// ScanIDs walks the ids of model (archived included) matching domain, id >
// afterID, in id order and pages of pageSize: the cheap walk for
// reconciliation (compare id sets, find deletions). fn may return ErrStopScan.
func (c *Client) ScanIDs(ctx context.Context, model string, domain Domain, afterID int64, pageSize int, fn func(ids []int64) error) error {
	if pageSize <= 0 {
		pageSize = DefaultPageSize
	}
	last := afterID
	for {
		ids, err := c.Search(ctx, model, And(domain, Term("id", OpGt, last)),
			ReadOptions{Limit: pageSize, Order: "id asc", Context: withArchived(nil)})
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		if err := fn(ids); err != nil {
			if errors.Is(err, ErrStopScan) {
				return nil
			}
			return err
		}
		next := ids[len(ids)-1]
		if len(ids) < pageSize || next <= last {
			return nil
		}
		last = next
	}
}

// ExistingIDs returns the ids (in input order) that still exist, archived
// or not. The others were deleted, or merged away (the merge wizard deletes
// its source partners).
func (c *Client) ExistingIDs(ctx context.Context, model string, ids []int64) ([]int64, error) {
	ids = uniqueIDs(ids)
	found := make(map[int64]bool, len(ids))
	for _, chunk := range chunks(ids, c.batch) {
		got, err := c.Search(ctx, model, Term("id", OpIn, chunk), ReadOptions{Context: withArchived(nil)})
		if err != nil {
			return nil, err
		}
		for _, id := range got {
			found[id] = true
		}
	}
	out := make([]int64, 0, len(found))
	for _, id := range ids {
		if found[id] {
			out = append(out, id)
		}
	}
	return out, nil
}
