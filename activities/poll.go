package activities

import (
	"context"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/odoo"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/changes"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/identity"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/messages"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
)

// pageSize of incremental reads (reference: 200-1000 rows per search_read).
const pageSize = 500

var (
	// The change reader de-duplicates re-reads by a fingerprint of these
	// fields, so they include everything the sync maps: a second change in
	// the same second (Odoo reports whole seconds) is then still seen.
	partnerChangeFields = []string{"id", "name", "email", "email_normalized", "active", "company_id", "website_id", "category_id",
		"country_id", "lang", "user_ids", "create_date", "write_date"}
	orderChangeFields    = []string{"id", "partner_id", "state", "amount_total", "date_order", "company_id", "write_date"}
	categoryChangeFields = []string{"id", "name", "active", "parent_id", "write_date"}
)

// Poll holds the change-capture activities (task queue odoo-api).
type Poll struct {
	odoo      *odoo.Client
	temporal  client.Client
	namespace string
	hasher    identity.Hasher
	queue     string
	input     func(key string) any
	// registryInput builds the start argument of the exceptions registry.
	registryInput func() any
	backfillInput func(upToPartnerID int64) any
	overlap       time.Duration
	logger        *slog.Logger
	seen          metric.Int64Counter
	excluded      *exclusions
	index         binder
}

// NewPoll builds the change-capture activities.
func NewPoll(d Deps) *Poll {
	p := &Poll{odoo: d.Odoo, temporal: d.Temporal, namespace: d.Namespace, hasher: d.Hasher, queue: d.WorkflowQueue,
		input: d.CustomerInput, registryInput: d.RegistryInput, backfillInput: d.BackfillInput, overlap: d.Overlap, logger: d.Logger,
		excluded: newExclusions(d.Odoo), index: newPartnerIndex(d)}
	if d.Meter != nil {
		p.seen, _ = d.Meter.Int64Counter("sync_changes_seen", metric.WithDescription("Odoo changes seen by the poller, by model"))
	}
	return p
}

// routed is one hint for one key.
type routed struct {
	key  string
	hint messages.Hint
}

// PollChanges reads what changed in Odoo since the cursors (partners,
// orders, tags, merge notes), routes each change to its customer, and returns
// the advanced cursors. Routing is idempotent (a hint makes a customer reload
// from Odoo), so a retried poll only repeats hints.
func (p *Poll) PollChanges(ctx context.Context, req changes.PollRequest) (changes.PollResult, error) {
	res := changes.PollResult{Cursors: req.Cursors, Stats: changes.Stats{Polls: 1}}
	seen := map[string]bool{}
	var hints []routed
	seenAt := now()

	partnerPage, err := p.odoo.Changes(ctx, "res.partner", req.Cursors.Partners, odoo.ChangeOptions{Fields: partnerChangeFields, Overlap: p.overlap, PageSize: pageSize})
	if err != nil {
		return res, temporalError("read partner changes", err)
	}
	excluded, err := p.excluded.set(ctx)
	if err != nil {
		return res, err
	}
	var skipped []messages.SkippedPartner
	for _, r := range partnerPage.Records {
		id := r.Int("id")
		seen["res.partner/"+strconv.FormatInt(id, 10)] = true
		if excluded[id] {
			continue // the companies' own partners and internal users are not customers
		}
		key, reason := identity.Key(r.String("email_normalized"), r.String("email"))
		if key == "" {
			res.Stats.Skipped++
			if r.Bool("active") {
				skipped = append(skipped, skippedPartner(r, reason, seenAt))
			}
			continue
		}
		class := customer.ClassProfile
		if r.Time("create_date").Equal(r.Time("write_date")) || !r.Bool("active") {
			class = customer.ClassStatus // a new partner (guest checkout, sign-up) or an archive
		}
		hints = append(hints, routed{key, messages.Hint{Kind: messages.HintPartner, Class: class, Model: "res.partner", RecordID: id, ChangeTime: r.Time("write_date"), SeenAt: seenAt}})
	}
	res.Stats.Partners = len(partnerPage.Records)
	if err := p.reportSkipped(ctx, skipped); err != nil {
		return res, err
	}
	moved, err := p.movedPartners(ctx, partnerPage.Records, seenAt)
	if err != nil {
		return res, err
	}
	hints = append(hints, moved...)

	orderPage, err := p.odoo.Changes(ctx, "sale.order", req.Cursors.Orders, odoo.ChangeOptions{Fields: orderChangeFields, Overlap: p.overlap, PageSize: pageSize})
	if err != nil {
		return res, temporalError("read order changes", err)
	}
	orderHints, err := p.orderHints(ctx, orderPage.Records, seen, seenAt)
	if err != nil {
		return res, err
	}
	hints = append(hints, orderHints...)
	res.Stats.Orders = len(orderPage.Records)

	catPage, err := p.odoo.Changes(ctx, "res.partner.category", req.Cursors.Categories, odoo.ChangeOptions{Fields: categoryChangeFields, Overlap: p.overlap, PageSize: pageSize})
	if err != nil {
		return res, temporalError("read tag changes", err)
	}
	catHints, err := p.categoryHints(ctx, catPage.Records, seenAt)
	if err != nil {
		return res, err
	}
	hints = append(hints, catHints...)
	res.Stats.Categories = len(catPage.Records)

	notes, err := p.odoo.MergeNotesSince(ctx, req.Cursors.MergeNoteID, pageSize)
	if err != nil {
		return res, temporalError("read merge notes", err)
	}
	mergeHints, lastNote, err := p.mergeHints(ctx, notes, seenAt)
	if err != nil {
		return res, err
	}
	hints = append(hints, mergeHints...)
	res.Stats.Merges = len(notes)

	for i := range hints {
		h := &hints[i].hint
		switch {
		case h.ChangeTime.IsZero():
			h.ChangeTime = h.SeenAt // no Odoo time (tag renames, moves): lag counts from now
		case h.ChangeTime.Before(req.WatchingSince):
			h.ChangeTime = req.WatchingSince
		}
	}
	if err := p.route(ctx, hints); err != nil {
		return res, err
	}
	res.Stats.Routed = len(hints)
	p.countSeen(ctx, res.Stats)

	res.Cursors = changes.Cursors{Partners: partnerPage.Next, Orders: orderPage.Next, Categories: catPage.Next, MergeNoteID: req.Cursors.MergeNoteID}
	if lastNote > res.Cursors.MergeNoteID {
		res.Cursors.MergeNoteID = lastNote
	}
	res.More = partnerPage.More || orderPage.More || catPage.More || len(notes) == pageSize
	for _, pk := range req.Pokes {
		if !seen[pk.Model+"/"+strconv.FormatInt(pk.ID, 10)] {
			res.Unseen = append(res.Unseen, pk)
		}
	}
	return res, nil
}

func (p *Poll) orderHints(ctx context.Context, records []odoo.Record, seen map[string]bool, seenAt time.Time) ([]routed, error) {
	if len(records) == 0 {
		return nil, nil
	}
	var partnerIDs []int64
	for _, r := range records {
		seen["sale.order/"+strconv.FormatInt(r.Int("id"), 10)] = true
		partnerIDs = append(partnerIDs, r.Many2One("partner_id").ID)
	}
	keys, err := p.keysOf(ctx, partnerIDs)
	if err != nil {
		return nil, err
	}
	excluded, err := p.excluded.set(ctx)
	if err != nil {
		return nil, err
	}
	var out []routed
	for _, r := range records {
		if excluded[r.Many2One("partner_id").ID] {
			continue
		}
		key := keys[r.Many2One("partner_id").ID]
		if key == "" {
			continue // the partner has no valid email: reported with the partner
		}
		class := customer.ClassProfile // quotations change nothing a segment sees
		switch r.String("state") {
		case "sale", "done", "cancel":
			class = customer.ClassOrder
		}
		out = append(out, routed{key, messages.Hint{Kind: messages.HintOrder, Class: class, Model: "sale.order", RecordID: r.Int("id"), ChangeTime: r.Time("write_date"), SeenAt: seenAt}})
	}
	return out, nil
}

// keysOf maps partner ids to customer keys (archived partners included).
func (p *Poll) keysOf(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	partners, err := p.odoo.PartnersByIDs(ctx, uniq(ids))
	if err != nil {
		return nil, temporalError("read partners", err)
	}
	for _, pt := range partners {
		out[pt.ID], _ = identity.Key(pt.EmailNormalized, pt.Email)
	}
	return out, nil
}

// categoryHints: a renamed or changed tag does not move its partners'
// write_date, so every partner carrying it is told.
func (p *Poll) categoryHints(ctx context.Context, records []odoo.Record, seenAt time.Time) ([]routed, error) {
	if len(records) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(records))
	for i, r := range records {
		ids[i] = r.Int("id")
	}
	partners, err := p.odoo.SearchRead(ctx, "res.partner", odoo.Term("category_id", "in", ids), []string{"id", "email", "email_normalized"},
		odoo.ReadOptions{Context: map[string]any{"active_test": false}})
	if err != nil {
		return nil, temporalError("read tagged partners", err)
	}
	var out []routed
	for _, pt := range partners {
		if key, _ := identity.Key(pt.String("email_normalized"), pt.String("email")); key != "" {
			out = append(out, routed{key, messages.Hint{Kind: messages.HintCategory, Class: customer.ClassStatus, Model: "res.partner.category", SeenAt: seenAt}})
		}
	}
	return out, nil
}

// mergeHints: the merge wizard deletes the source partners and re-points
// their orders by SQL without moving write_date. The destination's customer
// reloads (and finds the orders); the customers the partner index binds a
// source partner to learn it vanished and where it went.
func (p *Poll) mergeHints(ctx context.Context, notes []odoo.MergeNote, seenAt time.Time) ([]routed, int64, error) {
	var last int64
	var out []routed
	for _, n := range notes {
		if n.MessageID > last {
			last = n.MessageID
		}
		keys, err := p.keysOf(ctx, []int64{n.DestinationID})
		if err != nil {
			return nil, 0, err
		}
		dst := keys[n.DestinationID]
		if dst != "" {
			out = append(out, routed{dst, messages.Hint{Kind: messages.HintMerge, Class: customer.ClassStatus, Model: "res.partner", RecordID: n.DestinationID, ChangeTime: n.Date, SeenAt: seenAt}})
		}
		owners, err := p.index.owners(ctx, n.SourceIDs)
		if err != nil {
			return nil, 0, err
		}
		for _, pid := range sortedIDs(owners) {
			if key := owners[pid]; key != dst {
				out = append(out, movedHint(key, pid, dst, n.Date, seenAt))
			}
		}
	}
	return out, last, nil
}

// movedPartners tells the customers the partner index binds a changed
// partner to, when the partner's key is now another one (email changed,
// removed or made invalid): the old customer follows the partner (renames
// its contact or empties it). A brand-new partner is bound to nobody yet.
// The new key's customer learns where the partner came from when it claims
// it (customer writes bind before they write).
func (p *Poll) movedPartners(ctx context.Context, records []odoo.Record, seenAt time.Time) ([]routed, error) {
	keyOf := map[int64]string{}
	var ids []int64
	for _, r := range records {
		if r.Time("create_date").Equal(r.Time("write_date")) {
			continue
		}
		id := r.Int("id")
		keyOf[id], _ = identity.Key(r.String("email_normalized"), r.String("email"))
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	owners, err := p.index.owners(ctx, ids)
	if err != nil {
		return nil, err
	}
	var out []routed
	for _, pid := range sortedIDs(owners) {
		if owner, now := owners[pid], keyOf[pid]; owner != now {
			h := movedHint(owner, pid, now, time.Time{}, seenAt)
			out = append(out, h)
			if now != "" {
				out = append(out, routed{now, messages.Hint{Kind: messages.HintPartner, Class: customer.ClassStatus, Model: "res.partner", RecordID: pid,
					SeenAt: seenAt, MovedFrom: p.hasher.CustomerID(owner)}})
			}
		}
	}
	return out, nil
}

// movedHint tells the customer of key that partner pid left it for successor
// ("" when the partner has no valid email any more or vanished).
func movedHint(key string, pid int64, successor string, changed, seenAt time.Time) routed {
	return routed{key, messages.Hint{Kind: messages.HintMoved, Class: customer.ClassStatus, Model: "res.partner", RecordID: pid,
		ChangeTime: changed, SeenAt: seenAt, Successor: successor}}
}

func sortedIDs[V any](m map[int64]V) []int64 {
	out := make([]int64, 0, len(m))
	for id := range m {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// route delivers hints, several at a time. Hints for one key are merged
// first: one signal per customer per poll.
func (p *Poll) route(ctx context.Context, hints []routed) error {
	merged := map[string]messages.Hint{}
	var order []string
	for _, h := range hints {
		if h.key == "" {
			continue
		}
		if old, ok := merged[h.key]; ok {
			h.hint = mergeHint(old, h.hint)
		} else {
			order = append(order, h.key)
		}
		merged[h.key] = h.hint
	}
	sort.SliceStable(order, func(i, j int) bool { return merged[order[i]].Class < merged[order[j]].Class })
	return parallel(ctx, 8, len(order), func(ctx context.Context, i int) error {
		key := order[i]
		if err := RouteHint(ctx, p.temporal, p.hasher, p.queue, p.input(key), key, merged[key]); err != nil {
			return temporalError("route change", err)
		}
		heartbeat(ctx, "routed", i)
		return nil
	})
}

func mergeHint(a, b messages.Hint) messages.Hint {
	out := b
	if a.Class != customer.ClassNone && (b.Class == customer.ClassNone || a.Class < b.Class) {
		out.Class = a.Class
	}
	if !a.ChangeTime.IsZero() && (b.ChangeTime.IsZero() || a.ChangeTime.Before(b.ChangeTime)) {
		out.ChangeTime = a.ChangeTime
	}
	if out.MovedFrom == "" {
		out.MovedFrom = a.MovedFrom
	}
	if out.Successor == "" {
		out.Successor = a.Successor
	}
	out.Force = a.Force || b.Force
	out.Moved = mergeMoved(a, b)
	return out
}

// mergeMoved keeps every partner id two merged hints say moved (bounded:
// each is one partner of one customer).
func mergeMoved(a, b messages.Hint) []int64 {
	var ids []int64
	for _, h := range []messages.Hint{a, b} {
		ids = append(ids, h.Moved...)
		if h.Kind == messages.HintMoved && h.RecordID != 0 {
			ids = append(ids, h.RecordID)
		}
	}
	return uniq(ids)
}

func (p *Poll) countSeen(ctx context.Context, s changes.Stats) {
	if p.seen == nil {
		return
	}
	for model, n := range map[string]int{"res.partner": s.Partners, "sale.order": s.Orders, "res.partner.category": s.Categories, "merge": s.Merges} {
		if n > 0 {
			p.seen.Add(ctx, int64(n), metric.WithAttributes(attribute.String("model", model)))
		}
	}
}

func skippedPartner(r odoo.Record, reason identity.Reason, at time.Time) messages.SkippedPartner {
	email := strings.TrimSpace(r.String("email"))
	if len(email) > 64 {
		email = email[:64]
	}
	return messages.SkippedPartner{PartnerID: r.Int("id"), Reason: string(reason), Email: email,
		Company: r.Many2One("company_id").Name, FirstSeen: at, LastSeen: at}
}

// reportSkipped hands partners without a valid email to the exceptions registry.
func (p *Poll) reportSkipped(ctx context.Context, batch []messages.SkippedPartner) error {
	if len(batch) == 0 || p.registryInput == nil {
		return nil
	}
	_, err := p.temporal.SignalWithStartWorkflow(ctx, names.ExceptionsWorkflowID, string(names.SignalSkipped), batch, client.StartWorkflowOptions{
		ID: names.ExceptionsWorkflowID, TaskQueue: p.queue, WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, names.WorkflowExceptions, p.registryInput())
	if err != nil {
		return temporalError("report skipped partners", err)
	}
	return nil
}

// RecheckSkipped re-reads listed partners and returns those that still have
// no valid email (fixed and deleted partners leave the list).
func (p *Poll) RecheckSkipped(ctx context.Context, ids []int64) ([]messages.SkippedPartner, error) {
	var out []messages.SkippedPartner
	at := now()
	for start := 0; start < len(ids); start += pageSize {
		chunk := ids[start:min(start+pageSize, len(ids))]
		recs, err := p.odoo.Read(ctx, "res.partner", chunk, []string{"id", "email", "email_normalized", "active", "company_id"})
		if err != nil {
			return nil, temporalError("re-read skipped partners", err)
		}
		for _, r := range recs {
			if key, reason := identity.Key(r.String("email_normalized"), r.String("email")); key == "" && r.Bool("active") {
				out = append(out, skippedPartner(r, reason, at))
			}
		}
		heartbeat(ctx, start)
	}
	return out, nil
}

// BeginInitialLoad starts a fresh deployment: the poller's cursors are set
// to Odoo's newest write_date (and newest message), so that it follows
// changes from now on, and the Backfill workflow loads every existing
// customer by bulk import (at the lowest priority, without a workflow per
// customer). Changes during the backfill are caught by the poller's
// overlap window; both paths write idempotently.
func (p *Poll) BeginInitialLoad(ctx context.Context) (changes.Cursors, error) {
	var cur changes.Cursors
	var err error
	for model, c := range map[string]*odoo.Cursor{"res.partner": &cur.Partners, "sale.order": &cur.Orders, "res.partner.category": &cur.Categories} {
		if *c, err = p.odoo.StartCursor(ctx, model, odoo.Domain{}); err != nil {
			return cur, temporalError("start cursor "+model, err)
		}
		// The backfill covers what exists: no late-commit re-read below the start.
		c.Floor = c.Since
	}
	ids, err := p.odoo.Search(ctx, "mail.message", odoo.Domain{}, odoo.ReadOptions{Limit: 1, Order: "id desc"})
	if err != nil {
		return cur, temporalError("newest message", err)
	}
	if len(ids) > 0 {
		cur.MergeNoteID = ids[0]
	}
	if p.backfillInput != nil {
		// The load covers the partners that exist now; newer ones are live.
		newest, err := p.odoo.Search(ctx, odoo.ModelPartner, odoo.Domain{}, odoo.ReadOptions{Limit: 1, Order: "id desc",
			Context: map[string]any{"active_test": false}})
		if err != nil {
			return cur, temporalError("newest partner", err)
		}
		upTo := int64(-1) // no partner yet: the load has nothing to cover
		if len(newest) > 0 {
			upTo = newest[0]
		}
		_, err = p.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID: names.BackfillWorkflowID, TaskQueue: p.queue,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		}, names.WorkflowBackfill, p.backfillInput(upTo))
		if err != nil {
			return cur, temporalError("start backfill", err)
		}
	}
	return cur, nil
}
