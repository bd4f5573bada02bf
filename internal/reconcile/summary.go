package reconcile

import (
	"fmt"
	"io"
	"strings"
)

// DefaultSummaryItems is how many items of each kind a Summary keeps.
const DefaultSummaryItems = 20

// maxSummaryList caps the record keys and ids of one item in a summary: a
// customer whose whole order history is missing would otherwise carry
// thousands of keys into a Temporal payload.
const maxSummaryList = 20

// Files are where a run's full output was written (on the host that ran it).
type Files struct {
	// JSON is the whole report (WriteJSON): counts, and up to
	// Report.MaxItemsPerKind items of each kind.
	JSON string `json:"json,omitempty"`
	// Text is the readable report (WriteText) with the same items.
	Text string `json:"text,omitempty"`
	// Items holds every item, uncapped, one JSON object a line.
	Items string `json:"items,omitempty"`
}

// Summary is the small outcome of a run that travels through Temporal (an
// activity and workflow result) and that the ops CLI prints: the report
// with a few items of each kind, what healing did, and where the full
// report is.
type Summary struct {
	// Report holds the complete counts and totals, and at most
	// Report.MaxItemsPerKind items of each kind (each with at most 20 record
	// keys and ids; the files have them all).
	Report Report `json:"report"`
	// Mismatches counts the items of every kind except skipped_partner:
	// the differences between Odoo and Dotdigital.
	Mismatches int `json:"mismatches"`
	// Heal says whether healing was asked; Healed counts the customers a
	// forced resync was requested for (after the run they are being
	// rewritten at the lowest priority), HealFailed those whose request
	// could not be delivered.
	Heal       bool `json:"heal"`
	Healed     int  `json:"healed"`
	HealFailed int  `json:"healFailed,omitempty"`
	// Host is the machine that holds Files.
	Host  string `json:"host,omitempty"`
	Files Files  `json:"files"`
}

// Mismatches counts the items of a report that are differences between the
// two systems: every kind but skipped partners (which the sync skips by
// design).
func Mismatches(r *Report) int {
	n := 0
	for _, k := range Kinds { // not the map: workflows call this (determinism)
		if k != KindSkippedPartner {
			n += r.Counts[k]
		}
	}
	return n
}

// Summarize returns a copy of the report with at most perKind items of
// each kind (DefaultSummaryItems when perKind <= 0) and long lists of one
// item cut, sized for a Temporal payload.
func Summarize(r *Report, perKind int) Report {
	if perKind <= 0 {
		perKind = DefaultSummaryItems
	}
	out := *r
	out.Counts = make(map[Kind]int, len(r.Counts))
	for k, c := range r.Counts {
		out.Counts[k] = c
	}
	out.MaxItemsPerKind = min(perKind, max(r.MaxItemsPerKind, 1))
	out.Items = nil
	kept := map[Kind]int{}
	for _, it := range r.Items {
		if kept[it.Kind] >= out.MaxItemsPerKind {
			continue
		}
		kept[it.Kind]++
		out.Items = append(out.Items, trimItem(it))
	}
	out.Warnings = append([]string(nil), r.Warnings...)
	out.APICalls.ByCall = make(map[string]int, len(r.APICalls.ByCall))
	for k, v := range r.APICalls.ByCall {
		out.APICalls.ByCall[k] = v
	}
	return out
}

func trimItem(it Item) Item {
	ids := func(s []int64) []int64 { return append([]int64(nil), s[:min(len(s), maxSummaryList)]...) }
	keys := func(s []string) []string {
		if len(s) <= maxSummaryList {
			return append([]string(nil), s...)
		}
		out := append([]string(nil), s[:maxSummaryList]...)
		return append(out, fmt.Sprintf("(+%d more)", len(s)-maxSummaryList))
	}
	it.PartnerIDs, it.ContactIDs = ids(it.PartnerIDs), ids(it.ContactIDs)
	it.MissingRecords, it.ExtraRecords, it.StaleRecords = keys(it.MissingRecords), keys(it.ExtraRecords), keys(it.StaleRecords)
	it.MisplacedRecords = keys(it.MisplacedRecords)
	it.Fields = append([]FieldDiff(nil), it.Fields...)
	it.MissingLists, it.ExtraLists = append([]string(nil), it.MissingLists...), append([]string(nil), it.ExtraLists...)
	return it
}

// WriteSummary writes a summary for ops: the report (WriteText, with the
// items the summary kept), what healing did, and where the full report is.
func WriteSummary(w io.Writer, s Summary) error {
	if err := WriteText(w, &s.Report, s.Report.MaxItemsPerKind); err != nil {
		return err
	}
	_, err := io.WriteString(w, SummaryFooter(s))
	return err
}

// SummaryFooter is the part of WriteSummary after the report: the verdict,
// healing and the report files.
func SummaryFooter(s Summary) string {
	var b strings.Builder
	b.WriteString("\n")
	if s.Mismatches == 0 {
		b.WriteString("Consistent: no difference between Odoo and Dotdigital.\n")
	} else {
		fmt.Fprintf(&b, "Differences: %d.\n", s.Mismatches)
	}
	switch {
	case s.Heal && s.HealFailed > 0:
		fmt.Fprintf(&b, "Healing: resync requested for %d customers at the lowest priority; %d requests failed (run again to retry).\n", s.Healed, s.HealFailed)
	case s.Heal:
		fmt.Fprintf(&b, "Healing: resync requested for %d customers at the lowest priority.\n", s.Healed)
	case healable(&s.Report) > 0:
		fmt.Fprintf(&b, "Healing: off; %d differences are healable by a resync (run with --heal).\n", healable(&s.Report))
	}
	if s.Files.JSON != "" || s.Files.Text != "" || s.Files.Items != "" {
		where := "Full report"
		if s.Host != "" {
			where += " on " + s.Host
		}
		b.WriteString(where + ":\n")
		for _, f := range []struct{ what, path string }{{"json", s.Files.JSON}, {"text", s.Files.Text}, {"items", s.Files.Items}} {
			if f.path != "" {
				fmt.Fprintf(&b, "  %-6s %s\n", f.what, f.path)
			}
		}
	}
	return b.String()
}

// healable counts the items of the healable kinds.
func healable(r *Report) int {
	n := 0
	for _, k := range Kinds {
		if Healable(Item{Kind: k, Key: "x", HolderKey: "y"}) {
			n += r.Counts[k]
		}
	}
	return n
}
