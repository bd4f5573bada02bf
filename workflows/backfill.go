package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/backfill"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
)

// BackfillInput starts (or continues) the initial load. A zero Checkpoint
// starts from the first partner; a checkpoint from an earlier run resumes.
type BackfillInput struct {
	Settings   Settings            `json:"settings"`
	Options    backfill.Options    `json:"options,omitzero"`
	Checkpoint backfill.Checkpoint `json:"checkpoint,omitzero"`
}

// Backfill loads every Odoo customer into Dotdigital by bulk imports, page
// by page of partners in id order, without a workflow per customer. Pages
// run Options.Parallel at once on the Dotdigital queue at the lowest
// priority (live order work goes first), so that reading one page from Odoo
// overlaps the imports of the previous one. The checkpoint advances after
// every page (over pages finished in order), is queryable, and survives a
// crash (activities are retried, the workflow replays) and continue-as-new.
// It never gives up by itself: a page that keeps failing is retried after
// Options.RetryDelay, with the error shown in the progress.
func Backfill(ctx workflow.Context, in BackfillInput) (backfill.Result, error) {
	s := in.Settings.WithDefaults()
	b := &backfillRun{in: in, settings: s, opts: in.Options.WithDefaults(s.ContactBatch), cp: in.Checkpoint}
	return b.run(ctx)
}

// backfillPage is a planned page; pages stay in id order until the
// checkpoint passes them.
type backfillPage struct {
	req     backfill.PageRequest
	started bool
	done    bool
}

type backfillRun struct {
	in       BackfillInput
	settings Settings
	opts     backfill.Options
	cp       backfill.Checkpoint
	pages    []*backfillPage
	inFlight int
	planned  int64 // upper bound of the last planned page
	drained  bool  // the last plan found no partner after planned
}

type pageOutcome struct {
	page *backfillPage
	res  backfill.PageResult
}

func (b *backfillRun) run(ctx workflow.Context) (backfill.Result, error) {
	p := &b.cp.Progress
	if p.StartedAt.IsZero() {
		p.StartedAt = workflow.Now(ctx)
	}
	p.Runs++
	p.Done, p.InFlight = false, 0
	b.planned = p.AfterID
	if err := workflow.SetQueryHandler(ctx, string(names.QueryProgress), func() (backfill.Progress, error) { return b.cp.Progress, nil }); err != nil {
		return backfill.Result{}, err
	}
	if err := workflow.SetQueryHandler(ctx, string(names.QueryCheckpoint), func() (backfill.Checkpoint, error) { return b.cp, nil }); err != nil {
		return backfill.Result{}, err
	}
	b.publish(ctx)
	if err := b.ensureSchema(ctx); err != nil {
		return b.cp.Result(), err
	}
	finished := workflow.NewBufferedChannel(ctx, b.opts.Parallel)
	stopping := false
	for {
		stopping = stopping || b.historyFull(ctx)
		if !stopping && !b.drained && b.unstarted() == 0 {
			if err := b.plan(ctx); err != nil {
				return b.cp.Result(), err
			}
		}
		for !stopping && b.inFlight < b.opts.Parallel && b.unstarted() > 0 {
			b.start(ctx, finished)
		}
		if b.inFlight == 0 {
			if stopping {
				// Every started page finished: the checkpoint covers them all.
				p.InFlight = 0
				return b.cp.Result(), workflow.NewContinueAsNewError(ctx, names.WorkflowBackfill,
					BackfillInput{Settings: b.in.Settings, Options: b.in.Options, Checkpoint: b.cp})
			}
			if b.drained && b.unstarted() == 0 {
				break
			}
			continue
		}
		var out pageOutcome
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(finished, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, &out) })
		sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) {})
		sel.Select(ctx)
		if ctx.Err() != nil {
			return b.cp.Result(), ctx.Err()
		}
		b.finish(ctx, out)
	}
	p.Done, p.InFlight = true, 0
	p.FinishedAt = workflow.Now(ctx)
	p.UpdatedAt = p.FinishedAt
	b.publish(ctx)
	workflow.GetLogger(ctx).Info("backfill done", "pages", p.Pages, "customers", p.Customers, "failed", p.FailedCustomers)
	return b.cp.Result(), nil
}

func (b *backfillRun) unstarted() int {
	n := 0
	for _, pg := range b.pages {
		if !pg.started {
			n++
		}
	}
	return n
}

func (b *backfillRun) historyFull(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	return info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() > b.settings.HistoryLimit
}

// ensureSchema creates the data fields, lists and collection the imports
// need (idempotent), once per backfill: the backfill may run before the
// bootstrap workflow did.
func (b *backfillRun) ensureSchema(ctx workflow.Context) error {
	if b.cp.SchemaReady {
		return nil
	}
	ao := dotdigitalActivityOptions(b.settings, 2*time.Minute, PriorityBulk)
	ao.HeartbeatTimeout = 0
	actx := workflow.WithActivityOptions(ctx, ao)
	for {
		err := workflow.ExecuteActivity(actx, laneActivities.EnsureSchema).Get(ctx, nil)
		if err == nil {
			b.cp.SchemaReady = true
			return nil
		}
		if err := b.failedForNow(ctx, "schema", err); err != nil {
			return err
		}
	}
}

// plan asks Odoo for the bounds of the next pages.
func (b *backfillRun) plan(ctx workflow.Context) error {
	actx := workflow.WithActivityOptions(ctx, backfillPlanOptions(b.settings, b.opts))
	req := backfill.PlanRequest{AfterID: b.planned, PagePartners: b.opts.PagePartners, Pages: max(2*b.opts.Parallel, 4), UpToID: b.opts.UpToPartnerID}
	for {
		var plan backfill.Plan
		err := workflow.ExecuteActivity(actx, pollActivities.BackfillPlan, req).Get(ctx, &plan)
		if err != nil {
			if err := b.failedForNow(ctx, "plan", err); err != nil {
				return err
			}
			continue
		}
		b.cp.Progress.TotalPartners = plan.Total
		after := b.planned
		for _, hi := range plan.Bounds {
			if hi <= after {
				continue // ids only grow; a stale answer must not go backwards
			}
			b.pages = append(b.pages, &backfillPage{req: backfill.PageRequest{AfterID: after, UpToID: hi,
				ContactBatch: b.settings.ContactBatch, InsightImports: b.opts.InsightImports}})
			after = hi
		}
		b.drained = after == b.planned
		b.planned = after
		return nil
	}
}

// backfillPlanOptions: Odoo queue, lowest priority; a plan that keeps
// failing surfaces in the progress after 10 minutes.
func backfillPlanOptions(s Settings, o backfill.Options) workflow.ActivityOptions {
	ao := odooActivityOptions(s, 2*time.Minute)
	ao.HeartbeatTimeout = o.HeartbeatTimeout
	ao.ScheduleToCloseTimeout = 10 * time.Minute
	ao.Priority = temporal.Priority{PriorityKey: PriorityBulk}
	return ao
}

// backfillPageOptions: Dotdigital queue at the lowest priority, so that live
// order work goes first; a dead worker's page is retried after the
// heartbeat timeout.
func backfillPageOptions(s Settings, o backfill.Options) workflow.ActivityOptions {
	ao := dotdigitalActivityOptions(s, o.PageTimeout, PriorityBulk)
	ao.HeartbeatTimeout = o.HeartbeatTimeout
	ao.ScheduleToCloseTimeout = max(ao.ScheduleToCloseTimeout, 2*o.PageTimeout)
	return ao
}

// start runs the next unstarted page in its own coroutine, which retries it
// until it succeeds and reports to finished.
func (b *backfillRun) start(ctx workflow.Context, finished workflow.Channel) {
	var pg *backfillPage
	for _, candidate := range b.pages {
		if !candidate.started {
			pg = candidate
			break
		}
	}
	pg.started = true
	b.inFlight++
	b.cp.Progress.InFlight = b.inFlight
	actx := workflow.WithActivityOptions(ctx, backfillPageOptions(b.settings, b.opts))
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var res backfill.PageResult
			err := workflow.ExecuteActivity(actx, laneActivities.BackfillPage, pg.req).Get(ctx, &res)
			if err == nil {
				finished.Send(ctx, pageOutcome{page: pg, res: res})
				return
			}
			if b.failedForNow(ctx, "page", err) != nil {
				return // cancelled
			}
		}
	})
}

// failedForNow records an error that outlived its activity's retries and
// waits before the caller tries again; it returns an error only when the
// workflow is cancelled.
func (b *backfillRun) failedForNow(ctx workflow.Context, what string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	msg := err.Error()
	if len(msg) > 300 {
		msg = msg[:300]
	}
	b.cp.Progress.Errors++
	b.cp.Progress.LastError = what + ": " + msg
	workflow.GetLogger(ctx).Warn("backfill step failed; retrying later", "step", what, "error", err, "retryIn", b.opts.RetryDelay)
	b.publish(ctx)
	if err := workflow.Sleep(ctx, b.opts.RetryDelay); err != nil {
		return err
	}
	return ctx.Err()
}

// finish folds a page into the checkpoint and moves the resume point over
// the pages finished in order.
func (b *backfillRun) finish(ctx workflow.Context, out pageOutcome) {
	p := &b.cp.Progress
	b.cp.Add(out.res, b.opts)
	out.page.done = true
	b.inFlight--
	for len(b.pages) > 0 && b.pages[0].done {
		p.AfterID = b.pages[0].req.UpToID
		b.pages = b.pages[1:]
	}
	p.InFlight = b.inFlight
	p.UpdatedAt = workflow.Now(ctx)
	b.publish(ctx)
}

// publish shows the progress in the Web UI.
func (b *backfillRun) publish(ctx workflow.Context) {
	workflow.SetCurrentDetails(ctx, b.cp.Progress.Markdown(workflow.Now(ctx)))
}
