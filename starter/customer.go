package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"go.temporal.io/api/serviceerror"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/activities"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/identity"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/messages"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/workflows"
)

func init() {
	commands["status"] = command{usage: "status <email>", help: "a customer's partners, last synced values, pending work, last error, lag", run: statusCmd,
		check: func(args []string) error { _, err := emailArg(args); return err }}
	commands["resync"] = command{usage: "resync <email> | --all | --tag NAME | --since TIME", help: "force a full rewrite of customers (low priority)", run: resyncCmd,
		check: checkResync}
}

func emailArg(args []string) (string, error) {
	if len(args) != 1 {
		return "", usageError{"expects exactly one email"}
	}
	key := identity.NormaliseEmail(args[0])
	if key == "" {
		return "", usageError{fmt.Sprintf("%q is not a valid email address", args[0])}
	}
	return key, nil
}

func statusCmd(e *env, args []string) error {
	key, err := emailArg(args)
	if err != nil {
		return err
	}
	id := e.hasher.CustomerID(key)
	v, err := e.client.QueryWorkflow(e.ctx, id, "", string(names.QueryState))
	if err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return fmt.Errorf("no sync record for %s (workflow %s): the email was never synced, or its record expired; run: starter resync %s", key, id, key)
		}
		return fmt.Errorf("query %s: %w", id, err)
	}
	var st messages.CustomerStatus
	if err := v.Get(&st); err != nil {
		return err
	}
	if e.json {
		return json.NewEncoder(e.out).Encode(struct {
			WorkflowID string `json:"workflowId"`
			messages.CustomerStatus
		}{id, st})
	}
	w := tabwriter.NewWriter(e.out, 0, 2, 2, ' ', 0)
	fmt.Fprintf(w, "Customer\t%s\nWorkflow\t%s\nState\t%s\n", st.Key, id, st.State)
	fmt.Fprintf(w, "Odoo partners\t%s\n", joinInts(st.PartnerIDs))
	if !st.LastSyncedAt.IsZero() {
		fmt.Fprintf(w, "Last synced\t%s (lag %s)\n", st.LastSyncedAt.Local().Format(time.RFC3339), st.LastLag.Round(time.Millisecond))
	}
	if st.LastOrder != "" {
		fmt.Fprintf(w, "Last order\t%s\n", st.LastOrder)
	}
	if st.PendingClass != "" {
		fmt.Fprintf(w, "Pending\t%s work since %s\n", st.PendingClass, st.PendingSince.Local().Format(time.RFC3339))
	}
	if st.Blocked != nil {
		fmt.Fprintf(w, "Blocked\t%s: %s\nFix\t%s\n", st.Blocked.Reason, st.Blocked.Detail, st.Blocked.Fix)
	} else if st.LastError != "" {
		fmt.Fprintf(w, "Last error\t%s\n", st.LastError)
	}
	fmt.Fprintf(w, "Syncs\t%d\nInsight records\t%d\nLists\t%s\n", st.Syncs, len(st.Snapshot.Orders), strings.Join(st.Snapshot.Lists, ", "))
	fmt.Fprintln(w, "\nLast synced values")
	for _, f := range customer.Fields {
		if v, ok := st.Snapshot.Fields[f.Name]; ok {
			fmt.Fprintf(w, "  %s\t%s\n", f.Name, v)
		}
	}
	return w.Flush()
}

func resyncCmd(e *env, args []string) error {
	if len(args) == 1 && !strings.HasPrefix(args[0], "-") {
		key, err := emailArg(args)
		if err != nil {
			return err
		}
		hint := messages.Hint{Kind: messages.HintResync, Class: customer.ClassOrder, Force: true, SeenAt: time.Now().UTC()}
		if err := activities.RouteHint(e.ctx, e.client, e.hasher, e.settings.WorkflowQueue, workflows.CustomerInput{Key: key, Settings: e.settings}, key, hint); err != nil {
			return fmt.Errorf("resync %s: %w", key, err)
		}
		return e.report(map[string]any{"resync": key, "workflowId": e.hasher.CustomerID(key)},
			fmt.Sprintf("resync of %s requested (workflow %s); follow it with: starter status %s", key, e.hasher.CustomerID(key), key))
	}
	return resyncMany(e, args)
}

func (e *env) report(v any, human string) error {
	if e.json {
		return json.NewEncoder(e.out).Encode(v)
	}
	_, err := fmt.Fprintln(e.out, human)
	return err
}

func joinInts(ids []int64) string {
	s := append([]int64(nil), ids...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	parts := make([]string, len(s))
	for i, id := range s {
		parts[i] = fmt.Sprint(id)
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func checkResync(args []string) error {
	if len(args) == 1 && !strings.HasPrefix(args[0], "-") {
		_, err := emailArg(args)
		return err
	}
	for i, a := range args {
		if (a == "--since" || a == "-since") && i+1 < len(args) {
			if _, err := parseTime(args[i+1]); err != nil {
				return err
			}
		}
		if v, ok := strings.CutPrefix(a, "--since="); ok {
			if _, err := parseTime(v); err != nil {
				return err
			}
		}
	}
	return nil
}
