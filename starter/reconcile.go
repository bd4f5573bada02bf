package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/activities"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/app"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/reconcile"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/workflows"
)

func init() {
	commands["reconcile"] = command{usage: "reconcile [--heal] [--no-wait]",
		help: "compare Odoo with Dotdigital and report the differences; --heal resyncs the healable ones (exit 3: differences found)",
		run:  reconcileCmd, check: func(args []string) error { _, err := parseReconcileArgs(args); return err }}
}

// exitDifferences is the exit code of a reconciliation that found
// differences (0: consistent, 1: it could not run).
const exitDifferences = 3

// reconcileJSON is the --json output.
type reconcileJSON struct {
	WorkflowID string `json:"workflowId"`
	RunID      string `json:"runId"`
	Consistent bool   `json:"consistent"`
	reconcile.Summary
}

type reconcileArgs struct {
	heal, wait bool
}

func parseReconcileArgs(args []string) (reconcileArgs, error) {
	fs := flag.NewFlagSet("reconcile", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	heal := fs.Bool("heal", false, "send a forced resync (lowest priority) to every customer with a healable difference")
	wait := fs.Bool("wait", true, "wait for the result (--wait=false or --no-wait: print the workflow ID and return)")
	noWait := fs.Bool("no-wait", false, "start the run and return at once")
	if err := fs.Parse(args); err != nil {
		return reconcileArgs{}, usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return reconcileArgs{}, usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return reconcileArgs{heal: *heal, wait: *wait && !*noWait}, nil
}

func reconcileCmd(e *env, args []string) error {
	a, err := parseReconcileArgs(args)
	if err != nil {
		return err
	}
	id := names.ReconcileScheduleID + "-manual-" + time.Now().UTC().Format("20060102T150405Z") + "-" + uuid.NewString()[:8]
	run, err := e.client.ExecuteWorkflow(e.ctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: e.settings.WorkflowQueue, WorkflowExecutionTimeout: app.ReconcileWorkflowTimeout,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
	}, names.WorkflowReconcile, workflows.ReconcileInput{Settings: e.settings, Heal: a.heal})
	if err != nil {
		return fmt.Errorf("start reconciliation: %w", err)
	}
	if !a.wait {
		return e.report(map[string]any{"workflowId": id, "runId": run.GetRunID()},
			"reconciliation started as workflow "+id+" (the result: Temporal Web UI, or its report files on the worker)")
	}
	sum, err := e.followReconcile(run)
	if err != nil {
		return err
	}
	if e.json {
		if err := e.report(reconcileJSON{WorkflowID: id, RunID: run.GetRunID(), Consistent: sum.Mismatches == 0, Summary: sum}, ""); err != nil {
			return err
		}
	} else {
		if err := reconcile.WriteSummary(e.out, sum); err != nil {
			return err
		}
		fmt.Fprintf(e.out, "Workflow: %s\n", id)
	}
	if sum.Mismatches > 0 {
		return exitCode(exitDifferences)
	}
	return nil
}

// followReconcile waits for the run; on a terminal it shows the progress
// the activity heartbeats.
func (e *env) followReconcile(run client.WorkflowRun) (reconcile.Summary, error) {
	type outcome struct {
		sum reconcile.Summary
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		var o outcome
		o.err = run.Get(e.ctx, &o.sum)
		done <- o
	}()
	tty := isTerminal(e.out) && !e.json
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case o := <-done:
			if tty {
				fmt.Fprint(e.out, "\r\x1b[K")
			}
			if o.err != nil {
				if e.ctx.Err() != nil {
					return o.sum, errors.New("stopped waiting; the reconciliation goes on as workflow " + run.GetID())
				}
				return o.sum, fmt.Errorf("reconciliation %s: %w", run.GetID(), o.err)
			}
			return o.sum, nil
		case <-tick.C:
			if tty {
				fmt.Fprint(e.out, "\r\x1b[K"+e.reconcileProgress(run))
			}
		}
	}
}

// reconcileProgress reads the activity's last heartbeat.
func (e *env) reconcileProgress(run client.WorkflowRun) string {
	desc, err := e.client.DescribeWorkflowExecution(e.ctx, run.GetID(), run.GetRunID())
	if err != nil {
		return "reconciling (no progress: " + shortText(err.Error()) + ")"
	}
	for _, pa := range desc.GetPendingActivities() {
		var p activities.ReconcileProgress
		if d := pa.GetHeartbeatDetails(); d != nil && converter.GetDefaultDataConverter().FromPayloads(d, &p) == nil && p.Total > 0 {
			s := fmt.Sprintf("reconciling: %d%% (%d of %d partner steps)", 100*p.Done/p.Total, p.Done, p.Total)
			if p.Healed > 0 {
				s += fmt.Sprintf(", %d resyncs requested", p.Healed)
			}
			return s
		}
		if pa.GetAttempt() > 1 {
			return fmt.Sprintf("reconciling (attempt %d: %s)", pa.GetAttempt(), shortText(pa.GetLastFailure().GetMessage()))
		}
	}
	return "reconciling (waiting for a worker of the " + e.settings.DotdigitalQueue + " queue)"
}

func shortText(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
