package reconcile

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/odoo"
)

func TestExcludedPartnersAreNeitherComparedNorReported(t *testing.T) {
	s := newStack(t, 5) // Dotdigital is empty: every customer is missing
	w := newOdooWriter(t, s.oc)
	staff := w.partner("Staff Member", "staff@example.com")
	noEmailStaff := w.partner("Staff Without Email", false)
	keys, _ := odooKeys(t, s.oc)

	rep, err := Run(context.Background(), Sources{Odoo: s.oc, Dotdigital: s.dc}, Options{Mapping: testSettings,
		ExcludePartners: map[int64]bool{staff: true, noEmailStaff: true}})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range rep.Items {
		if it.Key == "staff@example.com" || (len(it.PartnerIDs) > 0 && (it.PartnerIDs[0] == staff || it.PartnerIDs[0] == noEmailStaff)) {
			t.Errorf("excluded partner reported: %+v", it)
		}
	}
	if rep.Counts[KindMissing] != len(keys)-1 || rep.Customers != len(keys)-1 {
		t.Errorf("missing %d, customers %d; want %d (every key but the excluded one)", rep.Counts[KindMissing], rep.Customers, len(keys)-1)
	}
	n, err := s.oc.SearchCount(context.Background(), "res.partner", nil, odoo.ReadOptions{Context: map[string]any{"active_test": false}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Partners != int(n) {
		t.Errorf("partners scanned %d, want %d (excluded ones are still scanned)", rep.Partners, n)
	}
}

func summaryReport() *Report {
	r := &Report{Counts: map[Kind]int{}, MaxItemsPerKind: 1000, APICalls: APICalls{ByCall: map[string]int{"odoo x": 1}}}
	for _, k := range Kinds {
		r.Counts[k] = 0
	}
	for i := range 30 {
		it := Item{Kind: KindMissing, Key: fmt.Sprintf("m%02d@example.com", i)}
		r.Items = append(r.Items, it)
	}
	r.Counts[KindMissing] = 31 // one more than the report kept
	var many []string
	for i := range 50 {
		many = append(many, fmt.Sprint(1000+i))
	}
	r.Items = append(r.Items,
		Item{Kind: KindOrderMismatch, Key: "o@example.com", MissingRecords: many},
		Item{Kind: KindSkippedPartner, PartnerIDs: []int64{7}, Detail: "no_email"})
	r.Counts[KindOrderMismatch], r.Counts[KindSkippedPartner] = 1, 1
	return r
}

func TestSummarizeKeepsCountsAndCapsItems(t *testing.T) {
	r := summaryReport()
	sum := Summarize(r, 20)
	if sum.Counts[KindMissing] != 31 || sum.MaxItemsPerKind != 20 {
		t.Fatalf("counts %v, cap %d", sum.Counts, sum.MaxItemsPerKind)
	}
	if n := len(itemsOf(&sum, KindMissing)); n != 20 {
		t.Errorf("%d missing items kept, want 20", n)
	}
	o := itemsOf(&sum, KindOrderMismatch)[0]
	if len(o.MissingRecords) != maxSummaryList+1 || o.MissingRecords[maxSummaryList] != "(+30 more)" {
		t.Errorf("missing records %v", o.MissingRecords)
	}
	if len(itemsOf(r, KindOrderMismatch)[0].MissingRecords) != 50 || len(r.Items) != 32 {
		t.Error("Summarize changed the report it was given")
	}
	if Mismatches(r) != 32 {
		t.Errorf("mismatches %d, want 32 (skipped partners are not mismatches)", Mismatches(r))
	}
	b, err := json.Marshal(Summary{Report: sum})
	if err != nil {
		t.Fatal(err)
	}
	var back Summary
	if err := json.Unmarshal(b, &back); err != nil || back.Report.Counts[KindMissing] != 31 {
		t.Fatalf("round trip: %v %v", err, back.Report.Counts)
	}
}

func TestWriteSummary(t *testing.T) {
	sum := Summary{Report: Summarize(summaryReport(), 3), Mismatches: 32, Heal: true, Healed: 32, HealFailed: 1, Host: "worker-1",
		Files: Files{JSON: "/data/reports/r.json", Text: "/data/reports/r.txt", Items: "/data/reports/r.items.jsonl"}}
	var b bytes.Buffer
	if err := WriteSummary(&b, sum); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"missing_in_dotdigital (31, first 3 shown)", "m02@example.com", "Differences: 32.",
		"resync requested for 32 customers", "1 requests failed", "Full report on worker-1:", "/data/reports/r.items.jsonl"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "m03@example.com") {
		t.Errorf("summary shows more than 3 items per kind:\n%s", out)
	}

	clean := Summary{Report: Report{Counts: map[Kind]int{KindSkippedPartner: 2}}}
	b.Reset()
	if err := WriteSummary(&b, clean); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "Consistent: no difference") || strings.Contains(b.String(), "Healing") {
		t.Errorf("clean summary:\n%s", b.String())
	}
}
