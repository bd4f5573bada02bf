package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/dotdigital"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/odoo"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/changes"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/reconcile"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/workflows"
)

// verifySummary is the end-of-scenario check: Odoo against Dotdigital,
// read in full through both APIs by internal/reconcile.
type verifySummary struct {
	Customers   int            `json:"customers"`
	Partners    int            `json:"partners"`
	Contacts    int            `json:"contacts"`
	Records     int            `json:"records"`
	Differences int            `json:"differences"`
	Counts      map[string]int `json:"counts"`
	// Items describe the differences (at most 50), one line each.
	Items    []string `json:"items,omitempty"`
	Attempts int      `json:"attempts"`
	Seconds  float64  `json:"seconds"`
}

// verify reconciles Odoo against Dotdigital. Any difference other than
// partners without a valid email (skipped_partner) is a failure. A
// reconciliation is not a snapshot: a difference is only reported when a
// second run, a few seconds later, still finds it.
func verify(ctx context.Context, odooURL, ddURL string, mapping customer.Settings, tmp string) (verifySummary, error) {
	start := time.Now()
	oc, err := odoo.New(odoo.Config{URL: odooURL, DB: odooDB, Login: odooLogin, APIKey: odooPassword})
	if err != nil {
		return verifySummary{}, err
	}
	dc, err := dotdigital.New(dotdigital.Config{APIUser: ddUser, APIPassword: ddPassword, Endpoint: ddURL})
	if err != nil {
		return verifySummary{}, err
	}
	excluded, err := notCustomers(ctx, oc)
	if err != nil {
		return verifySummary{}, err
	}
	var sum verifySummary
	for attempt := 1; attempt <= 2; attempt++ {
		rep, err := reconcile.Run(ctx, reconcile.Sources{Odoo: oc, Dotdigital: dc}, reconcile.Options{Mapping: mapping, TempDir: tmp, MaxItemsPerKind: 50,
			ExcludePartners: excluded})
		if err != nil {
			return sum, fmt.Errorf("reconcile: %w", err)
		}
		sum = verifySummary{Customers: rep.Customers, Partners: rep.Partners, Contacts: rep.Contacts, Records: rep.Records,
			Counts: map[string]int{}, Attempts: attempt}
		for k, n := range rep.Counts {
			sum.Counts[string(k)] = n
			if k != reconcile.KindSkippedPartner {
				sum.Differences += n
			}
		}
		for _, it := range rep.Items {
			if it.Kind != reconcile.KindSkippedPartner && len(sum.Items) < 50 {
				sum.Items = append(sum.Items, describeItem(it))
			}
		}
		if sum.Differences == 0 {
			break
		}
		time.Sleep(5 * time.Second)
	}
	sum.Seconds = time.Since(start).Seconds()
	return sum, nil
}

// notCustomers are the partners the sync never sends, as the service
// defines them: the companies' own partners and internal users' partners
// (partner_share = False).
func notCustomers(ctx context.Context, oc *odoo.Client) (map[int64]bool, error) {
	ids := map[int64]bool{}
	companies, err := oc.SearchRead(ctx, "res.company", odoo.Domain{}, []string{"partner_id"}, odoo.ReadOptions{})
	if err != nil {
		return nil, fmt.Errorf("read companies: %w", err)
	}
	for _, c := range companies {
		ids[c.Many2One("partner_id").ID] = true
	}
	internal, err := oc.Search(ctx, "res.partner", odoo.Term("partner_share", "=", false), odoo.ReadOptions{Context: map[string]any{"active_test": false}})
	if err != nil {
		return nil, fmt.Errorf("read internal users' partners: %w", err)
	}
	for _, id := range internal {
		ids[id] = true
	}
	return ids, nil
}

func describeItem(it reconcile.Item) string {
	var b strings.Builder
	b.WriteString(string(it.Kind) + " " + it.Key)
	for _, f := range it.Fields {
		fmt.Fprintf(&b, " %s odoo=%s dd=%s;", f.Name, f.Odoo, f.Dotdigital)
	}
	if len(it.MissingRecords) > 0 {
		b.WriteString(" missing records " + strings.Join(it.MissingRecords, ","))
	}
	if len(it.ExtraRecords) > 0 {
		b.WriteString(" extra records " + strings.Join(it.ExtraRecords, ","))
	}
	if len(it.StaleRecords) > 0 {
		b.WriteString(" stale records " + strings.Join(it.StaleRecords, ","))
	}
	if len(it.MissingLists) > 0 {
		b.WriteString(" missing lists " + strings.Join(it.MissingLists, ","))
	}
	if len(it.ExtraLists) > 0 {
		b.WriteString(" extra lists " + strings.Join(it.ExtraLists, ","))
	}
	if it.Detail != "" {
		b.WriteString(" (" + it.Detail + ")")
	}
	return b.String()
}

// applyVerification records the check in the result.
func applyVerification(res *ScenarioResult, sum verifySummary, err error) {
	if err != nil {
		res.fail("verification failed to run: %v", err)
		return
	}
	res.Details["reconcile"] = sum
	res.Verified = sum.Differences == 0
	if !res.Verified {
		res.fail("Dotdigital differs from Odoo for %d items %v: %s", sum.Differences, sum.Counts, strings.Join(sum.Items, " | "))
	}
}

// waitQuiet waits until the service has nothing left to do: the poller
// polled after the last change, no customer has pending work, and no lane
// shard holds or runs a request (twice in a row).
func waitQuiet(ctx context.Context, c client.Client, namespace string, shards int, lastChange time.Time, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	calm := 0
	var why string
	for time.Now().Before(deadline) {
		if q, w := quiet(ctx, c, namespace, shards, lastChange); q {
			if calm++; calm >= 2 {
				return nil
			}
		} else {
			calm, why = 0, w
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	return fmt.Errorf("the service did not settle within %s: %s", timeout, why)
}

func quiet(ctx context.Context, c client.Client, namespace string, shards int, lastChange time.Time) (bool, string) {
	qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := c.QueryWorkflow(qctx, names.PollerWorkflowID, "", string(names.QueryProgress))
	if err != nil {
		return false, "poller: " + err.Error()
	}
	var ps workflows.PollerStatus
	if err := v.Get(&ps); err != nil {
		return false, err.Error()
	}
	if !ps.LastPoll.After(lastChange.Add(time.Second)) {
		return false, "the poller has not polled since the last change"
	}
	n, err := c.CountWorkflow(qctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: namespace,
		Query: "WorkflowType = '" + names.WorkflowCustomer + "' AND ExecutionStatus = 'Running' AND " + names.SASyncState.GetName() + " = '" + names.StatePending + "'"})
	if err != nil {
		return false, "count pending customers: " + err.Error()
	}
	if n.GetCount() > 0 {
		return false, fmt.Sprintf("%d customers with pending work", n.GetCount())
	}
	for i := 0; i < shards; i++ {
		v, err := c.QueryWorkflow(qctx, names.LaneWorkflowID(i), "", string(names.QueryLane))
		if err != nil {
			return false, "lane: " + err.Error()
		}
		var ls workflows.LaneStatus
		if err := v.Get(&ls); err != nil {
			return false, err.Error()
		}
		busy := ls.SinglesInFlight + ls.BulkInFlight
		for _, k := range ls.PendingByClass {
			busy += k
		}
		if busy > 0 {
			return false, fmt.Sprintf("lane %d busy (%d)", i, busy)
		}
	}
	return true, ""
}

// pollerStats returns the poller's cumulative counters (zero if it does not answer).
func pollerStats(ctx context.Context, c client.Client) changes.Stats {
	qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var ps workflows.PollerStatus
	if v, err := c.QueryWorkflow(qctx, names.PollerWorkflowID, "", string(names.QueryProgress)); err == nil {
		_ = v.Get(&ps)
	}
	return ps.Stats
}

// blockedCustomers counts customers parked as blocked (a rejection).
func blockedCustomers(ctx context.Context, c client.Client, namespace string) int64 {
	n, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: namespace,
		Query: "WorkflowType = '" + names.WorkflowCustomer + "' AND ExecutionStatus = 'Running' AND " + names.SASyncState.GetName() + " = '" + names.StateBlocked + "'"})
	if err != nil {
		return -1
	}
	return n.GetCount()
}
