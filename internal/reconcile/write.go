package reconcile

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
)

// WriteJSON writes the whole report as indented JSON.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes a summary for ops: totals, counts per kind, then at most
// perKind items of each kind, one line each. Emails are shown (ops need
// them to act); nothing else personal is, and no credentials exist here.
func WriteText(w io.Writer, r *Report, perKind int) error {
	var b strings.Builder
	took := r.FinishedAt.Sub(r.StartedAt).Round(1e6)
	fmt.Fprintf(&b, "Reconciliation %s (took %s)\n", r.StartedAt.Format("2006-01-02 15:04:05Z07:00"), took)
	fmt.Fprintf(&b, "Odoo: %d customers, %d partners. Dotdigital: %d contacts, %d order records.\n",
		r.Customers, r.Partners, r.Contacts, r.Records)
	fmt.Fprintf(&b, "API calls: Odoo %d, Dotdigital %d. Spilled to disk: %.1f MiB.\n", r.APICalls.Odoo, r.APICalls.Dotdigital,
		float64(r.SpilledBytes)/(1<<20))
	if r.OrphanRecords > 0 {
		fmt.Fprintf(&b, "Order records whose owner contact was not listed: %d.\n", r.OrphanRecords)
	}
	if r.UnkeyedContacts > 0 {
		fmt.Fprintf(&b, "Contacts with an email the sync cannot use: %d.\n", r.UnkeyedContacts)
	}
	for _, msg := range r.Warnings {
		fmt.Fprintf(&b, "Warning: %s\n", msg)
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	total := 0
	for _, k := range Kinds {
		fmt.Fprintf(tw, "%s\t%d\t%s\n", k, r.Counts[k], action(k))
		if k != KindSkippedPartner {
			total += r.Counts[k]
		}
	}
	fmt.Fprintf(tw, "total (without skipped partners)\t%d\t-\n", total)
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, k := range Kinds {
		items := itemsOf(r, k)
		if len(items) == 0 {
			continue
		}
		shown := min(len(items), perKind)
		fmt.Fprintf(&b, "\n%s (%d", k, r.Counts[k])
		if shown < r.Counts[k] {
			fmt.Fprintf(&b, ", first %d shown", shown)
		}
		b.WriteString(")\n")
		for _, it := range items[:shown] {
			b.WriteString("  " + itemLine(it) + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// action says what repairs items of a kind.
func action(k Kind) string {
	switch {
	case k == KindMisplacedRecord:
		return "a resync of both keys heals it"
	case Healable(Item{Kind: k, Key: "x"}):
		return "a resync heals it"
	case k == KindSkippedPartner:
		return "fix the email in Odoo"
	}
	return "needs a decision"
}

func itemsOf(r *Report, k Kind) []Item {
	var out []Item
	for _, it := range r.Items {
		if it.Kind == k {
			out = append(out, it)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// itemLine renders one item on one line.
func itemLine(it Item) string {
	var parts []string
	if it.Key != "" {
		parts = append(parts, it.Key)
	}
	if len(it.PartnerIDs) > 0 {
		parts = append(parts, "partners="+joinIDs(it.PartnerIDs))
	}
	// A misplaced record's contacts are the holder's, which its Detail names.
	if len(it.ContactIDs) > 0 && it.Kind != KindMisplacedRecord {
		parts = append(parts, "contacts="+joinIDs(it.ContactIDs))
	}
	for _, f := range it.Fields {
		parts = append(parts, fmt.Sprintf("%s odoo=%s dotdigital=%s", f.Name, f.Odoo, f.Dotdigital))
	}
	for _, r := range []struct {
		what string
		keys []string
	}{{"missing records", it.MissingRecords}, {"extra records", it.ExtraRecords}, {"stale records", it.StaleRecords}} {
		if len(r.keys) > 0 {
			parts = append(parts, r.what+"="+strings.Join(r.keys, ","))
		}
	}
	if len(it.MissingLists) > 0 {
		parts = append(parts, "not in="+strings.Join(it.MissingLists, ","))
	}
	if len(it.ExtraLists) > 0 {
		parts = append(parts, "should leave="+strings.Join(it.ExtraLists, ","))
	}
	if it.Detail != "" && detailShown[it.Kind] {
		parts = append(parts, it.Detail)
	}
	return strings.Join(parts, "  ")
}

// detailShown are the kinds whose Detail says more than the item's other
// parts (for the others it only repeats them).
var detailShown = map[Kind]bool{KindMissing: true, KindOnlyInDotdigital: true, KindMisplacedRecord: true,
	KindDuplicateContacts: true, KindSkippedPartner: true}

func joinIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ",")
}
