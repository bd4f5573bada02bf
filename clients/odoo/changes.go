package odoo

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

const (
	// DefaultOverlap is how far back each poll cycle looks for late commits.
	// Odoo kills requests after --limit-time-real (120 s by default).
	DefaultOverlap = 5 * time.Minute
	// DefaultMaxSeen bounds the seen set, hence the cursor (about 11 bytes
	// per entry in JSON).
	DefaultMaxSeen = 1000
	// maxTailReread: the newest second is re-read in full (catching a
	// same-second second change) only if it holds at most this many rows.
	maxTailReread = 100
)

// Cursor is the incremental reader's position. It is plain JSON (store it
// in workflow state) and bounded: under 16 KB with the default MaxSeen.
// The zero Cursor starts from the beginning.
type Cursor struct {
	// Since is a whole second of server time (a write_date read from Odoo):
	// rows before it were read; rows of this second with id <= AfterID too.
	Since time.Time `json:"since,omitzero"`
	// AfterID > 0 when the second Since is being paged by id.
	AfterID int64 `json:"after_id,omitempty"`
	// Floor, when set, is where the seen set stops being complete; the
	// late-commit recheck does not look below it.
	Floor time.Time `json:"floor,omitzero"`
	// Seen is the packed seen set (opaque).
	Seen string `json:"seen,omitempty"`
	// Draining is true while a backlog is being paged (the recheck waits).
	Draining bool `json:"draining,omitempty"`
}

// ChangeOptions tune Changes. Keep Fields, Domain and Context the same
// between calls with one cursor.
type ChangeOptions struct {
	// Fields to read; id and write_date are always added. Empty: the typed
	// reader's list for res.partner, sale.order, res.partner.category.
	Fields []string
	// Overlap is the late-commit window. Zero: DefaultOverlap; negative: none.
	Overlap time.Duration
	// PageSize caps the rows per call. Default DefaultPageSize.
	PageSize int
	// Domain narrows the rows (e.g. Term("state", OpIn, confirmed)).
	Domain Domain
	// Context is added to the call context; active_test is False unless set.
	Context map[string]any
	// MaxSeen bounds the seen set. Default DefaultMaxSeen.
	MaxSeen int
}

// ChangePage is one call's result.
type ChangePage struct {
	// Records changed since the cursor, oldest write_date first (late
	// commits first). A record may appear again in later pages when it
	// changes again.
	Records []Record
	// Next is the cursor for the next call.
	Next Cursor
	// More is true when a backlog remains: call again at once.
	More bool
	// Late counts the Records found by the late-commit recheck.
	Late int
}

type changeRow struct {
	rec Record
	sec int64
}

// Changes reads the next page of records of model changed since cur, by
// write_date (reference 2.3, 2.4, 7.3). Call it again at once while More.
//
// Facts it is built on: write_date is the transaction's start time, stored
// with microseconds but read back in whole seconds; ">=" on a whole-second
// string matches the entire second (16-19), while "=" matches only .000000
// rows on 16-18, so it is never used; ordering by write_date sorts by the
// stored microseconds, not by id.
//
// How a call proceeds:
//
//  1. Recheck (once per poll cycle, skipped while draining a backlog): read
//     rows with write_date in [Since-Overlap, Since) (and, if Since is being
//     paged by id, rows of Since with id <= AfterID) that are not in the
//     seen set, which the server filters out. These are late commits: rows
//     whose transaction started before rows already read but committed after.
//  2. Forward: read from Since in (write_date, id) order, one page. Rows of
//     every second but the last on a full page are complete and emitted;
//     the last, possibly cut, second is read again next time. A page that
//     is one single second (a burst: imports, crons, one big transaction)
//     is paged by id inside that second instead, so any number of writes in
//     one second go through with an O(1) cursor.
//  3. Dedupe: every emitted row is remembered as (id, second, fingerprint of
//     its fields) while it is inside the overlap window; a re-read of the
//     same version is skipped, a record that changed again is emitted again
//     (also within the same second, if its fields differ, for the newest
//     second which is always re-read unless it holds more than a few rows).
//
// Guarantees: every committed change whose write_date is at most Overlap
// older than the newest write_date read is emitted at least once; a version
// is emitted once (no repeats) while the seen set holds it; Since only moves
// to write_dates read from the server (the local clock is never used).
//
// Limits (reconciliation through ScanIDs/SearchCount covers them):
//   - a transaction that commits more than Overlap after it started (or a
//     server clock that jumps back by more than Overlap) can be missed;
//   - when more than MaxSeen rows were emitted within the overlap window
//     (bursts), the oldest seconds are dropped from the seen set and the
//     recheck no longer looks below them (Cursor.Floor);
//   - a record changed twice within one second by two transactions, the
//     second committing after a newer second was read, is seen only once;
//   - changes that do not move write_date (raw SQL, e.g. the partner merge
//     re-pointing orders; changes on the other side of a relation;
//     deletions) are invisible here: see MergeNotesSince and ExistingIDs.
func (c *Client) Changes(ctx context.Context, model string, cur Cursor, opts ChangeOptions) (page ChangePage, err error) {
	ctx, span := c.tracer.Start(ctx, "odoo changes "+model, trace.WithAttributes(attribute.String("odoo.model", model)))
	defer func() {
		if err != nil {
			span.SetAttributes(attribute.String("odoo.error.class", ClassOf(err).String()))
			span.SetStatus(codes.Error, ClassOf(err).String())
		} else {
			span.SetAttributes(attribute.Int("odoo.records", len(page.Records)), attribute.Int("odoo.late", page.Late),
				attribute.Bool("odoo.more", page.More))
		}
		span.End()
	}()
	opts = opts.withDefaults()
	fields, err := c.changeFields(ctx, model, opts.Fields)
	if err != nil {
		return ChangePage{}, err
	}
	seen, err := decodeSeen(cur.Seen)
	if err != nil {
		// Only duplicates can follow: downstream writes are idempotent.
		c.log.Warn("odoo: incremental cursor has a corrupt seen set; starting it afresh", "model", model)
	}
	r := &changeRun{c: c, model: model, opts: opts, fields: fields, seen: seen,
		callCtx: withArchived(opts.Context), since: cur.Since.UTC().Truncate(time.Second)}
	next := Cursor{Since: r.since, AfterID: cur.AfterID, Floor: cur.Floor.UTC()}
	if r.since.IsZero() {
		next.AfterID = 0
	}

	if !cur.Draining && !r.since.IsZero() {
		late, full, err := r.recheck(ctx, next)
		if err != nil {
			return ChangePage{}, err
		}
		page.Records, page.Late = late, len(late)
		if full {
			// More late rows than a page: recheck again next call.
			page.More = true
			next.Draining = false
			page.Next = r.finish(next)
			return page, nil
		}
	}

	fwd, more, err := r.forward(ctx, &next, opts.PageSize-len(page.Records))
	if err != nil {
		return ChangePage{}, err
	}
	page.Records = append(page.Records, fwd...)
	page.More = more
	next.Draining = more
	page.Next = r.finish(next)
	return page, nil
}

func (o ChangeOptions) withDefaults() ChangeOptions {
	if o.Overlap == 0 {
		o.Overlap = DefaultOverlap
	}
	if o.Overlap < 0 {
		o.Overlap = 0
	}
	if o.PageSize <= 0 {
		o.PageSize = DefaultPageSize
	}
	if o.MaxSeen <= 0 {
		o.MaxSeen = DefaultMaxSeen
	}
	return o
}

func (c *Client) changeFields(ctx context.Context, model string, fields []string) ([]string, error) {
	if len(fields) == 0 {
		v, err := c.Version(ctx)
		if err != nil {
			return nil, err
		}
		switch model {
		case ModelPartner:
			fields = PartnerFields(v)
		case ModelSaleOrder:
			fields = OrderFields(v)
		case ModelCategory:
			fields = categoryFieldList
		}
		if fields, err = c.fieldsFor(ctx, model, fields); err != nil {
			return nil, err
		}
	}
	out := append([]string{}, fields...)
	for _, must := range []string{"id", "write_date"} {
		if !containsString(out, must) {
			out = append(out, must)
		}
	}
	return out, nil
}

func containsString(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// changeRun is the state of one Changes call.
type changeRun struct {
	c       *Client
	model   string
	opts    ChangeOptions
	fields  []string
	seen    seenSet
	callCtx map[string]any
	since   time.Time
}

const writeDate = "write_date"

// read runs one search_read and keeps the rows that carry a write_date.
func (r *changeRun) read(ctx context.Context, dom Domain, order string, limit int) ([]changeRow, int, error) {
	recs, err := r.c.SearchRead(ctx, r.model, And(r.opts.Domain, dom), r.fields,
		ReadOptions{Limit: limit, Order: order, Context: r.callCtx})
	if err != nil {
		return nil, 0, err
	}
	rows := make([]changeRow, 0, len(recs))
	for _, rec := range recs {
		wd := rec.Time(writeDate)
		if wd.IsZero() || rec.ID() <= 0 {
			continue
		}
		rows = append(rows, changeRow{rec: rec, sec: wd.Unix()})
	}
	return rows, len(recs), nil
}

// emit returns the rows that are not a re-read of an emitted version, and
// remembers them.
func (r *changeRun) emit(rows []changeRow) []Record {
	var out []Record
	for _, row := range rows {
		fp := fingerprint(row.rec)
		if old, ok := r.seen.get(row.rec.ID(), row.sec); ok && old == fp {
			continue
		}
		r.seen.put(row.rec.ID(), row.sec, fp)
		out = append(out, row.rec)
	}
	return out
}

func second(sec int64) time.Time { return time.Unix(sec, 0).UTC() }

// recheck looks for late commits below the cursor.
func (r *changeRun) recheck(ctx context.Context, cur Cursor) ([]Record, bool, error) {
	lo := r.since.Add(-r.opts.Overlap)
	if cur.Floor.After(lo) {
		lo = cur.Floor
	}
	var ranges []Domain
	if lo.Before(r.since) {
		ranges = append(ranges, Term(writeDate, OpLt, r.since))
	}
	if cur.AfterID > 0 && !lo.After(r.since) {
		ranges = append(ranges, And(
			Term(writeDate, OpGe, r.since),
			Term(writeDate, OpLt, r.since.Add(time.Second)),
			Term("id", OpLe, cur.AfterID)))
	}
	if len(ranges) == 0 {
		return nil, false, nil
	}
	parts := []Domain{Term(writeDate, OpGe, lo), Or(ranges...)}
	for sec, ids := range r.seen.groups(lo.Unix(), r.since.Unix()) {
		parts = append(parts, Not(And(
			Term(writeDate, OpGe, second(sec)),
			Term(writeDate, OpLt, second(sec+1)),
			Term("id", OpIn, ids))))
	}
	rows, n, err := r.read(ctx, And(parts...), "write_date asc, id asc", r.opts.PageSize)
	if err != nil {
		return nil, false, err
	}
	return r.emit(rows), n >= r.opts.PageSize, nil
}

// forward reads the next page from the cursor and moves it.
func (r *changeRun) forward(ctx context.Context, next *Cursor, budget int) ([]Record, bool, error) {
	if budget <= 0 {
		return nil, true, nil
	}
	var from Domain
	switch {
	case r.since.IsZero():
		from = Term(writeDate, OpNe, false)
	case next.AfterID > 0:
		from = Or(
			And(Term(writeDate, OpGe, r.since), Term(writeDate, OpLt, r.since.Add(time.Second)), Term("id", OpGt, next.AfterID)),
			Term(writeDate, OpGe, r.since.Add(time.Second)))
	default:
		from = Term(writeDate, OpGe, r.since)
	}
	rows, n, err := r.read(ctx, from, "write_date asc, id asc", budget)
	if err != nil {
		return nil, false, err
	}
	if n < budget {
		// Everything committed from the cursor on is in hand.
		out := r.emit(rows)
		if len(rows) > 0 {
			last := rows[len(rows)-1].sec
			maxID := int64(0)
			if last == r.since.Unix() {
				maxID = next.AfterID
			}
			for _, row := range rows {
				if row.sec == last {
					maxID = max(maxID, row.rec.ID())
				}
			}
			next.Since, next.AfterID = second(last), maxID
		}
		return out, false, nil
	}
	if len(rows) == 0 {
		return nil, false, nil // nothing usable to move on (rows without write_date)
	}
	first, last := rows[0].sec, rows[len(rows)-1].sec
	if first != last {
		// The last second may be cut by the limit: read it again next time.
		var done []changeRow
		for _, row := range rows {
			if row.sec < last {
				done = append(done, row)
			}
		}
		next.Since, next.AfterID = second(last), 0
		return r.emit(done), true, nil
	}
	// A whole page in one second: page that second by id.
	after := int64(0)
	if first == r.since.Unix() {
		after = next.AfterID
	}
	rows, _, err = r.read(ctx, And(
		Term(writeDate, OpGe, second(first)),
		Term(writeDate, OpLt, second(first+1)),
		Term("id", OpGt, after)), "id asc", budget)
	if err != nil {
		return nil, false, err
	}
	for _, row := range rows {
		after = max(after, row.rec.ID())
	}
	next.Since, next.AfterID = second(first), after
	return r.emit(rows), true, nil
}

// finish prunes and bounds the seen set and packs it into the cursor.
func (r *changeRun) finish(next Cursor) Cursor {
	if !next.Since.IsZero() {
		lo := next.Since.Add(-r.opts.Overlap)
		r.seen.prune(lo.Unix())
		if !next.Floor.After(lo) {
			next.Floor = time.Time{}
		}
	}
	if floor := r.seen.bound(r.opts.MaxSeen); floor > 0 {
		if f := second(floor); f.After(next.Floor) {
			next.Floor = f
		}
	}
	// Re-read a small newest second in full next time (same-second changes),
	// if the seen set still holds all of it.
	if !next.Draining && next.AfterID > 0 && !next.Floor.After(next.Since) &&
		r.seen.countAt(next.Since.Unix()) <= min(maxTailReread, r.opts.PageSize) {
		next.AfterID = 0
	}
	next.Seen = r.seen.encode()
	return next
}

// StartCursor returns a cursor at the newest write_date of model (matching
// domain), to start incremental reading after a backfill. Its first call
// re-reads the overlap window before that point.
func (c *Client) StartCursor(ctx context.Context, model string, domain Domain) (Cursor, error) {
	recs, err := c.SearchRead(ctx, model, And(domain, Term(writeDate, OpNe, false)), []string{writeDate},
		ReadOptions{Limit: 1, Order: "write_date desc, id desc", Context: withArchived(nil)})
	if err != nil || len(recs) == 0 {
		return Cursor{}, err
	}
	return Cursor{Since: recs[0].Time(writeDate).Truncate(time.Second)}, nil
}
