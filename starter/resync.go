package main

import (
	"flag"
	"fmt"
	"io"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/changes"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/workflows"
)

// resyncMany starts a BulkResync workflow for --all, --tag or --since.
func resyncMany(e *env, args []string) error {
	fs := flag.NewFlagSet("resync", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	all := fs.Bool("all", false, "every customer")
	tag := fs.String("tag", "", "customers with a partner carrying this Odoo tag")
	since := fs.String("since", "", "customers with a partner changed since TIME (RFC 3339, e.g. 2026-11-28T00:00:00Z, or a date)")
	wait := fs.Bool("wait", false, "wait until every customer was told")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	var f changes.ResyncFilter
	f.Tag = *tag
	if *since != "" {
		t, err := parseTime(*since)
		if err != nil {
			return usageError{err.Error()}
		}
		f.Since = t
	}
	if !*all && f.Tag == "" && f.Since.IsZero() {
		return usageError{"give an email, --all, --tag NAME or --since TIME"}
	}
	id := fmt.Sprintf("resync-%s", time.Now().UTC().Format("20060102T150405"))
	run, err := e.client.ExecuteWorkflow(e.ctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: e.settings.WorkflowQueue, WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
	}, names.WorkflowResync, workflows.ResyncInput{Settings: e.settings, Filter: f})
	if err != nil {
		return fmt.Errorf("start resync: %w", err)
	}
	if !*wait {
		return e.report(map[string]any{"workflowId": id, "runId": run.GetRunID()},
			fmt.Sprintf("bulk resync started as workflow %s (progress: Web UI, or starter resync ... --wait)", id))
	}
	var p changes.ResyncPage
	if err := run.Get(e.ctx, &p); err != nil {
		return err
	}
	return e.report(p, fmt.Sprintf("resync requested for %d customers (%d partners read, %d without a valid email)", p.Customers, p.Partners, p.Skipped))
}

// parseTime accepts RFC 3339 or a date.
func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time (use RFC 3339, e.g. 2026-11-28T00:00:00Z, or 2026-11-28)", s)
}
