package e2e

import (
	"bufio"
	"encoding/json"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/sdk/client"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/dotdigital"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/odoo"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/config"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/identity"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/reconcile"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/workflows"
)

// runReconcile runs a reconciliation through Temporal, as the starter does
// (small pages, so that paging is exercised), and returns its summary.
func (s *stack) runReconcile(heal bool) (reconcile.Summary, string) {
	s.t.Helper()
	id := "reconcile-e2e-" + uuid.NewString()
	run, err := s.App.Client.ExecuteWorkflow(s.ctx, client.StartWorkflowOptions{ID: id, TaskQueue: s.App.Settings.WorkflowQueue},
		names.WorkflowReconcile, workflows.ReconcileInput{Settings: s.App.Settings, Heal: heal, PageSize: 3})
	require.NoError(s.t, err)
	var sum reconcile.Summary
	require.NoError(s.t, run.Get(s.ctx, &sum))
	return sum, id
}

// keysOf returns the keys of the summary's items of one kind, sorted.
func keysOf(sum reconcile.Summary, k reconcile.Kind) []string {
	var out []string
	for _, it := range sum.Report.Items {
		if it.Kind == k {
			out = append(out, it.Key)
		}
	}
	sort.Strings(out)
	return out
}

func itemOf(t *testing.T, sum reconcile.Summary, k reconcile.Kind, key string) reconcile.Item {
	t.Helper()
	for _, it := range sum.Report.Items {
		if it.Kind == k && it.Key == key {
			return it
		}
	}
	t.Fatalf("no %s item for %s in %+v", k, key, sum.Report.Items)
	return reconcile.Item{}
}

// skippedPartners returns, independently of the reconciliation, the Odoo
// partners the sync skips: customers (not a company's own partner, not an
// internal user) without a valid email, archived ones included.
func (s *stack) skippedPartners() []int64 {
	s.t.Helper()
	archived := odoo.ReadOptions{Context: map[string]any{"active_test": false}, Order: "id asc"}
	companies, err := s.OC.SearchRead(s.ctx, "res.company", odoo.Domain{}, []string{"partner_id"}, odoo.ReadOptions{})
	require.NoError(s.t, err)
	excluded := map[int64]bool{}
	for _, c := range companies {
		excluded[c.Many2One("partner_id").ID] = true
	}
	partners, err := s.OC.SearchRead(s.ctx, "res.partner", odoo.Domain{}, []string{"id", "email", "email_normalized", "partner_share"}, archived)
	require.NoError(s.t, err)
	var out []int64
	for _, p := range partners {
		if excluded[p.ID()] || !p.Bool("partner_share") {
			continue
		}
		if k, _ := identity.Key(p.String("email_normalized"), p.String("email")); k == "" {
			out = append(out, p.ID())
		}
	}
	return out
}

// TestReconcileFindsPlantedMismatchesAndHeals syncs a few customers for
// real, plants one difference of each kind in Dotdigital behind the sync's
// back, and expects a reconciliation through Temporal to report exactly
// those; then a healing run's resyncs repair every healable one.
func TestReconcileFindsPlantedMismatchesAndHeals(t *testing.T) {
	reports := t.TempDir()
	s := startStack(t, stackOptions{configure: func(c *config.Config) { c.Sync.ReportDir = reports }})
	const customersList = "Odoo Customers"

	// The daily schedule exists, heals by default, and skips overlaps.
	desc, err := s.App.Client.ScheduleClient().GetHandle(s.ctx, names.ReconcileScheduleID).Describe(s.ctx)
	require.NoError(t, err)
	require.Equal(t, 24*time.Hour, desc.Schedule.Spec.Intervals[0].Every)
	action := desc.Schedule.Action.(*client.ScheduleWorkflowAction)
	require.Equal(t, names.WorkflowReconcile, action.Workflow)
	require.Contains(t, string(action.Args[0].(interface{ GetData() []byte }).GetData()), `"heal":true`)

	// Customers synced for real: a partner and a confirmed order each.
	emails := map[string]string{
		"missing": "rc.missing@example.com", "field": "rc.field@example.com", "recordGone": "rc.record.gone@example.com",
		"recordExtra": "rc.record.extra@example.com", "list": "rc.list@example.com", "fine": "rc.fine@example.com",
	}
	co := s.companies()[0]
	orders := map[string]int64{}
	for role, email := range emails {
		p := s.partner(map[string]any{"name": "Rita " + strings.ToUpper(role[:1]) + role[1:], "email": email})
		orders[role] = s.order(p, co, 1, true)
	}
	for role, email := range emails {
		s.waitFields(email, map[string]any{"ORDER_COUNT": 1.0, "FIRSTNAME": "Rita"})
		s.waitRecords(email, map[int64]string{orders[role]: "confirmed"})
		s.eventually("in the customers list", syncTimeout, func() (bool, string) { return s.inList(email, customersList), "" })
		s.eventually("customer idle", syncTimeout, func() (bool, string) {
			st := s.status(email)
			return st.State == names.StateOK, st.State
		})
	}
	clean, _ := s.runReconcile(false)
	require.Zero(t, clean.Mismatches, "before planting: %+v", clean.Report.Items)

	// Plant one difference of each kind through the REST API, bypassing the sync.
	listID, err := s.DDC.EnsureList(s.ctx, customersList)
	require.NoError(t, err)
	require.NoError(t, s.DDC.DeleteContact(s.ctx, emails["missing"]))
	const stray = "rc.stray@example.net"
	_, _, err = s.DDC.UpsertContact(s.ctx, stray, dotdigital.ContactUpdate{
		DataFields: map[string]any{customer.FieldPartnerIDs: "999999"}, Lists: []int64{listID}})
	require.NoError(t, err)
	_, _, err = s.DDC.UpsertContact(s.ctx, emails["field"], dotdigital.ContactUpdate{DataFields: map[string]any{customer.FieldFirstName: "Wrongname"}})
	require.NoError(t, err)
	goneKey := customer.RecordKey(orders["recordGone"])
	require.NoError(t, s.DDC.DeleteContactRecord(s.ctx, "Orders", emails["recordGone"], goneKey))
	const extraKey = "99999999"
	_, err = s.DDC.PutOrderRecord(s.ctx, "Orders", emails["recordExtra"], extraKey,
		map[string]any{"id": extraKey, "status": "confirmed", "orderTotal": 1.0, "currency": "EUR"})
	require.NoError(t, err)
	c, ok := s.contact(emails["list"])
	require.True(t, ok)
	require.NoError(t, s.DDC.RemoveContactFromList(s.ctx, listID, c.ContactID))

	sum, id := s.runReconcile(false)
	if r, ok := s.record(emails["recordGone"], orders["recordGone"]); ok {
		st := s.status(emails["recordGone"])
		t.Logf("DIAG: the deleted record is back: %+v; customer %+v", r, st)
	}
	want := map[reconcile.Kind][]string{
		reconcile.KindMissing:          {emails["missing"]},
		reconcile.KindOnlyInDotdigital: {stray},
		reconcile.KindFieldMismatch:    {emails["field"]},
		reconcile.KindOrderMismatch:    {emails["recordExtra"], emails["recordGone"]},
		reconcile.KindListMismatch:     {emails["list"]},
	}
	for _, k := range reconcile.Kinds {
		if k == reconcile.KindSkippedPartner {
			continue
		}
		require.Equal(t, want[k], keysOf(sum, k), "items of kind %s", k)
		require.Equal(t, len(want[k]), sum.Report.Counts[k], "count of kind %s", k)
	}
	require.Equal(t, 6, sum.Mismatches)
	var skipped []int64
	for _, it := range sum.Report.Items {
		if it.Kind == reconcile.KindSkippedPartner {
			skipped = append(skipped, it.PartnerIDs...)
		}
	}
	slices.Sort(skipped)
	require.Equal(t, s.skippedPartners(), skipped, "skipped partners are those without a valid email, and only customers")

	field := itemOf(t, sum, reconcile.KindFieldMismatch, emails["field"])
	require.Len(t, field.Fields, 1)
	require.Equal(t, customer.FieldFirstName, field.Fields[0].Name)
	require.Equal(t, `"Wrongname"`, field.Fields[0].Dotdigital)
	require.Equal(t, []string{goneKey}, itemOf(t, sum, reconcile.KindOrderMismatch, emails["recordGone"]).MissingRecords)
	require.Equal(t, []string{extraKey}, itemOf(t, sum, reconcile.KindOrderMismatch, emails["recordExtra"]).ExtraRecords)
	require.Equal(t, []string{customersList}, itemOf(t, sum, reconcile.KindListMismatch, emails["list"]).MissingLists)
	require.Zero(t, sum.Healed, "no healing unless asked")

	// The report files: the whole report as JSON, the readable one, every item.
	for _, f := range []string{sum.Files.JSON, sum.Files.Text, sum.Files.Items} {
		require.True(t, strings.HasPrefix(f, reports), "%s is in the report directory", f)
	}
	raw, err := os.ReadFile(sum.Files.JSON)
	require.NoError(t, err)
	var full reconcile.Report
	require.NoError(t, json.Unmarshal(raw, &full))
	require.Equal(t, sum.Report.Counts, full.Counts)
	text, err := os.ReadFile(sum.Files.Text)
	require.NoError(t, err)
	require.Contains(t, string(text), `FIRSTNAME odoo="Rita" dotdigital="Wrongname"`)
	f, err := os.Open(sum.Files.Items)
	require.NoError(t, err)
	lines := 0
	for sc := bufio.NewScanner(f); sc.Scan(); lines++ {
		var it reconcile.Item
		require.NoError(t, json.Unmarshal(sc.Bytes(), &it))
	}
	f.Close()
	require.Equal(t, 6+len(skipped), lines)

	// The Web UI shows the readable summary as the run's current details.
	v, err := s.App.Client.QueryWorkflow(s.ctx, id, "", "__temporal_workflow_metadata")
	require.NoError(t, err)
	var md sdkpb.WorkflowMetadata
	require.NoError(t, v.Get(&md))
	require.Contains(t, md.GetCurrentDetails(), "field_mismatch")
	require.Contains(t, md.GetCurrentDetails(), sum.Files.JSON)

	// Heal: a forced resync of each healable customer. The stray contact
	// (Odoo data under a key no partner has) is emptied of Odoo data, kept
	// for its subscription history and reported as an orphan contact.
	healed, _ := s.runReconcile(true)
	require.Equal(t, 6, healed.Healed, "one resync per healable customer, the ghost included")
	require.Zero(t, healed.HealFailed)
	var after reconcile.Summary
	s.eventually("healed", syncTimeout, func() (bool, string) {
		after, _ = s.runReconcile(false)
		return after.Mismatches == 0, strings.Join(itemKeys(after), ", ")
	})
	s.waitOrphanReported(stray)
	s.waitEmptied(stray)
	_, kept := s.contact(stray)
	require.True(t, kept, "the ghost contact is kept, never deleted")
	s.waitFields(emails["field"], map[string]any{"FIRSTNAME": "Rita"})
	require.Empty(t, s.records(emails["recordExtra"])[extraKey], "the stray record was deleted")
}

func itemKeys(sum reconcile.Summary) []string {
	var out []string
	for _, it := range sum.Report.Items {
		if it.Kind != reconcile.KindSkippedPartner {
			out = append(out, string(it.Kind)+":"+it.Key)
		}
	}
	return out
}
