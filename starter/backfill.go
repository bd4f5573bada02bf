package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/backfill"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/workflows"
)

func init() {
	commands["backfill"] = command{usage: "backfill [--wait] [--restart] [--page-partners N] [--parallel N]",
		help: "load every Odoo customer into Dotdigital by bulk imports (resumable; attaches to a running one)", run: backfillCmd}
}

func backfillCmd(e *env, args []string) error {
	fs := flag.NewFlagSet("backfill", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	wait := fs.Bool("wait", false, "follow the progress until the backfill ends")
	restart := fs.Bool("restart", false, "start over from the first partner (ends a running backfill)")
	pagePartners := fs.Int("page-partners", 0, "Odoo partners per page (default 3/2 of DOTDIGITAL_CONTACT_BATCH)")
	parallel := fs.Int("parallel", 0, "pages in flight (default 2)")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	if *pagePartners < 0 || *parallel < 0 {
		return usageError{"--page-partners and --parallel must be positive"}
	}
	in := workflows.BackfillInput{Settings: e.settings, Options: backfill.Options{PagePartners: *pagePartners, Parallel: *parallel}}
	run, note, err := e.startBackfill(in, *restart)
	if err != nil {
		return err
	}
	if run == nil { // a finished backfill, not restarted
		return nil
	}
	if !*wait {
		return e.report(map[string]any{"workflowId": names.BackfillWorkflowID, "runId": run.GetRunID(), "note": note},
			note+"\nfollow it with: starter backfill --wait (or the Temporal Web UI, workflow "+names.BackfillWorkflowID+")")
	}
	if !e.json {
		fmt.Fprintln(e.out, note)
	}
	return e.followBackfill(run)
}

// startBackfill starts the backfill, attaches to the running one, or resumes
// the checkpoint of a run that ended without finishing (terminated,
// cancelled). A finished one is reported, not repeated, unless restart.
func (e *env) startBackfill(in workflows.BackfillInput, restart bool) (client.WorkflowRun, string, error) {
	opts := client.StartWorkflowOptions{
		ID: names.BackfillWorkflowID, TaskQueue: e.settings.WorkflowQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}
	note := "backfill started from the first partner"
	if restart {
		opts.WorkflowIDConflictPolicy = enumspb.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING
		note = "backfill restarted from the first partner"
	} else {
		desc, err := e.client.DescribeWorkflowExecution(e.ctx, names.BackfillWorkflowID, "")
		var nf *serviceerror.NotFound
		switch {
		case errors.As(err, &nf):
		case err != nil:
			return nil, "", fmt.Errorf("look up the backfill: %w", err)
		default:
			info := desc.GetWorkflowExecutionInfo()
			switch info.GetStatus() {
			case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
				note = "attached to the running backfill (started " + info.GetStartTime().AsTime().Local().Format(time.RFC3339) + ")"
			case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
				var res backfill.Result
				if err := e.client.GetWorkflow(e.ctx, names.BackfillWorkflowID, info.GetExecution().GetRunId()).Get(e.ctx, &res); err != nil {
					return nil, "", fmt.Errorf("read the finished backfill: %w", err)
				}
				return nil, "", e.printBackfillResult(res, "the backfill already finished; run it again with --restart")
			default:
				// Ended without finishing: carry on from its checkpoint (the
				// query replays the closed run on a worker).
				v, err := e.client.QueryWorkflow(e.ctx, names.BackfillWorkflowID, info.GetExecution().GetRunId(), string(names.QueryCheckpoint))
				if err != nil {
					return nil, "", fmt.Errorf("read the checkpoint of the last backfill (%s): %w; start over with --restart", info.GetStatus(), err)
				}
				if err := v.Get(&in.Checkpoint); err != nil {
					return nil, "", err
				}
				note = fmt.Sprintf("backfill resumed after partner id %d (the last run was %s)", in.Checkpoint.Progress.AfterID,
					info.GetStatus().String())
			}
		}
	}
	run, err := e.client.ExecuteWorkflow(e.ctx, opts, names.WorkflowBackfill, in)
	if err != nil {
		return nil, "", fmt.Errorf("start backfill: %w", err)
	}
	return run, note, nil
}

// followBackfill shows the progress until the run ends: one updating line
// on a terminal, a plain line every 10 s otherwise.
func (e *env) followBackfill(run client.WorkflowRun) error {
	tty := isTerminal(e.out)
	every := 10 * time.Second
	if tty {
		every = time.Second
	}
	type outcome struct {
		res backfill.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		var o outcome
		o.err = run.Get(e.ctx, &o.res) // follows continue-as-new runs
		done <- o
	}()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case o := <-done:
			if tty && !e.json {
				fmt.Fprint(e.out, "\r\x1b[K")
			}
			if o.err != nil {
				if e.ctx.Err() != nil {
					return errors.New("stopped waiting; the backfill goes on (follow it again with: starter backfill --wait)")
				}
				return fmt.Errorf("backfill: %w", o.err)
			}
			return e.printBackfillResult(o.res, "backfill finished")
		case <-tick.C:
			if e.json {
				continue // --json prints the final progress only
			}
			p, err := e.backfillProgress()
			switch {
			case err != nil && tty:
				fmt.Fprintf(e.out, "\r\x1b[Kwaiting for a worker to answer (%v)", shortErr(err))
			case err != nil:
				fmt.Fprintf(e.out, "%s waiting for a worker to answer (%v)\n", time.Now().Format("15:04:05"), shortErr(err))
			case tty:
				fmt.Fprintf(e.out, "\r\x1b[K%s %s", p.Bar(24), p.Summary(time.Now()))
			default:
				fmt.Fprintf(e.out, "%s backfill %s\n", time.Now().Format("15:04:05"), p.Summary(time.Now()))
			}
		}
	}
}

func (e *env) backfillProgress() (backfill.Progress, error) {
	var p backfill.Progress
	v, err := e.client.QueryWorkflow(e.ctx, names.BackfillWorkflowID, "", string(names.QueryProgress))
	if err != nil {
		return p, err
	}
	return p, v.Get(&p)
}

func (e *env) printBackfillResult(res backfill.Result, title string) error {
	if e.json {
		return json.NewEncoder(e.out).Encode(res)
	}
	p := res.Progress
	fmt.Fprintf(e.out, "%s: %s\n", title, p.Summary(time.Now()))
	fmt.Fprintf(e.out, "  %d pages, %d partners read, %d customers sent, %d contacts imported (%d new), %d of %d orders imported\n",
		p.Pages, p.Partners, p.Customers, p.ContactsImported(), p.ContactsCreated, p.OrdersImported, p.OrdersSent)
	for _, reason := range sortedKeys(p.Skipped) {
		fmt.Fprintf(e.out, "  partners not sent (%s): %d\n", reason, p.Skipped[reason])
	}
	if p.FailedCustomers > 0 {
		fmt.Fprintf(e.out, "  %d customers Dotdigital did not take in full:", p.FailedCustomers)
		for _, reason := range sortedKeys(p.Failures) {
			fmt.Fprintf(e.out, " %s %d", reason, p.Failures[reason])
		}
		fmt.Fprintln(e.out)
		for _, k := range res.Rejected {
			fmt.Fprintf(e.out, "    %s\n", k)
		}
		if res.RejectedDropped > 0 {
			fmt.Fprintf(e.out, "    ... and %d more (not kept)\n", res.RejectedDropped)
		}
		fmt.Fprintln(e.out, "  fix the data, then resync each with: starter resync <email>")
	}
	return nil
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func shortErr(err error) string {
	s := err.Error()
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return s
}
