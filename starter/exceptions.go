package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/messages"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
)

func init() {
	commands["exceptions"] = command{usage: "exceptions [--reason R]", help: "customers and partners that cannot sync, with the reason and the fix", run: exceptionsCmd}
}

// Exception is one line of the exceptions report.
type Exception struct {
	Kind      string    `json:"kind"`   // blocked_customer or skipped_partner
	Record    string    `json:"record"` // the Odoo record (or the customer's email)
	Reason    string    `json:"reason"`
	Detail    string    `json:"detail,omitempty"`
	FirstSeen time.Time `json:"firstSeen"`
	LastSeen  time.Time `json:"lastSeen"`
	Fix       string    `json:"fix"`
	Workflow  string    `json:"workflowId,omitempty"`
}

var skippedFix = map[string]string{
	"no_email":      "Add an email to the Odoo partner (or ignore it: contacts without email cannot be emailed).",
	"invalid_email": "Correct the partner's email in Odoo; the entry clears within minutes.",
}

func exceptionsCmd(e *env, args []string) error {
	fs := flag.NewFlagSet("exceptions", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	reason := fs.String("reason", "", "only this reason (e.g. invalid_email, no_email, rejected_record, email_conflict, orphan_contact)")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	var out []Exception
	blocked, err := e.blockedCustomers()
	if err != nil {
		return err
	}
	out = append(out, blocked...)
	skipped, dropped, err := e.skippedPartners()
	if err != nil {
		return err
	}
	out = append(out, skipped...)
	if *reason != "" {
		kept := out[:0]
		for _, x := range out {
			if x.Reason == *reason {
				kept = append(kept, x)
			}
		}
		out = kept
	}
	if e.json {
		return json.NewEncoder(e.out).Encode(map[string]any{"exceptions": out, "droppedSkippedPartners": dropped})
	}
	if len(out) == 0 {
		_, err := fmt.Fprintln(e.out, "no exceptions: every customer syncs")
		return err
	}
	w := tabwriter.NewWriter(e.out, 0, 2, 2, ' ', 0)
	fmt.Fprintln(w, "KIND\tRECORD\tREASON\tFIRST SEEN\tLAST SEEN\tDETAIL\tFIX")
	for _, x := range out {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", x.Kind, x.Record, x.Reason, x.FirstSeen.Local().Format("2006-01-02 15:04"),
			x.LastSeen.Local().Format("2006-01-02 15:04"), x.Detail, x.Fix)
	}
	if dropped > 0 {
		fmt.Fprintf(w, "\n%d more partners without a valid email were not listed (registry full)\n", dropped)
	}
	return w.Flush()
}

func (e *env) blockedCustomers() ([]Exception, error) {
	query := fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus = 'Running' AND %s = '%s'", names.WorkflowCustomer, names.SASyncState.GetName(), names.StateBlocked)
	var out []Exception
	var token []byte
	for {
		resp, err := e.client.ListWorkflow(e.ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: e.cfg.Temporal.Namespace, Query: query, NextPageToken: token})
		if err != nil {
			return nil, fmt.Errorf("list blocked customers: %w", err)
		}
		for _, ex := range resp.GetExecutions() {
			id := ex.GetExecution().GetWorkflowId()
			var email string
			if pl, ok := ex.GetMemo().GetFields()["email"]; ok {
				_ = converter.GetDefaultDataConverter().FromPayload(pl, &email)
			}
			x := Exception{Kind: "blocked_customer", Record: email, Workflow: id}
			if v, err := e.client.QueryWorkflow(e.ctx, id, "", string(names.QueryState)); err == nil {
				var st messages.CustomerStatus
				if v.Get(&st) == nil && st.Blocked != nil {
					x.Reason, x.Detail, x.FirstSeen, x.LastSeen, x.Fix = st.Blocked.Reason, st.Blocked.Detail, st.Blocked.Since, st.Blocked.Last, st.Blocked.Fix
					if st.Blocked.Record != "" {
						x.Record = email + " (" + st.Blocked.Record + ")"
					}
				}
			}
			out = append(out, x)
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return out, nil
		}
	}
}

func (e *env) skippedPartners() ([]Exception, int, error) {
	v, err := e.client.QueryWorkflow(e.ctx, names.ExceptionsWorkflowID, "", string(names.QueryExceptions))
	if err != nil {
		return nil, 0, nil // no registry yet: nothing was skipped
	}
	var rep messages.SkippedReport
	if err := v.Get(&rep); err != nil {
		return nil, 0, err
	}
	out := make([]Exception, 0, len(rep.Partners))
	for _, p := range rep.Partners {
		detail := p.Company
		if p.Email != "" {
			detail = fmt.Sprintf("email %q, %s", p.Email, p.Company)
		}
		out = append(out, Exception{Kind: "skipped_partner", Record: fmt.Sprintf("res.partner %d", p.PartnerID), Reason: p.Reason,
			Detail: detail, FirstSeen: p.FirstSeen, LastSeen: p.LastSeen, Fix: skippedFix[p.Reason]})
	}
	return out, rep.Dropped, nil
}
