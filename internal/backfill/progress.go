package backfill

import (
	"sort"
	"strconv"
	"strings"
	"time"
)

// Progress is what the backfill did so far (the progress query's answer and
// the Web UI's current details).
type Progress struct {
	StartedAt  time.Time `json:"startedAt"`
	UpdatedAt  time.Time `json:"updatedAt"`
	FinishedAt time.Time `json:"finishedAt,omitzero"`
	Done       bool      `json:"done"`
	// AfterID: every partner with id <= AfterID was handled (resume point).
	AfterID       int64 `json:"afterId"`
	TotalPartners int64 `json:"totalPartners"`
	Pages         int   `json:"pages"`
	InFlight      int   `json:"inFlight"`
	Partners      int64 `json:"partners"` // partners read
	// Skipped partners by reason (Skip* constants).
	Skipped         map[string]int64 `json:"skipped,omitempty"`
	Customers       int64            `json:"customers"` // customers sent
	ContactsCreated int64            `json:"contactsCreated"`
	ContactsUpdated int64            `json:"contactsUpdated"`
	OrdersSent      int64            `json:"ordersSent"`
	OrdersImported  int64            `json:"ordersImported"`
	ContactImports  int64            `json:"contactImports"`
	InsightImports  int64            `json:"insightImports"`
	FailedCustomers int64            `json:"failedCustomers"`
	// Failures counts failed customers by reason; Recent lists the last ones.
	Failures map[string]int64 `json:"failures,omitempty"`
	Recent   []Failure        `json:"recent,omitempty"`
	// Runs counts workflow runs (continue-as-new); Errors pages or plans
	// that failed for good and were tried again later, LastError the last.
	Runs      int    `json:"runs"`
	Errors    int    `json:"errors,omitempty"`
	LastError string `json:"lastError,omitempty"`
	// Time spent by the pages, summed (pages overlap, so the sum can exceed
	// the elapsed time): where the time goes.
	ReadSeconds    float64 `json:"readSeconds"`
	ContactSeconds float64 `json:"contactSeconds"`
	InsightSeconds float64 `json:"insightSeconds"`
}

// ContactsImported counts contacts Dotdigital created or updated.
func (p Progress) ContactsImported() int64 { return p.ContactsCreated + p.ContactsUpdated }

// Percent of partners read (100 once done).
func (p Progress) Percent() float64 {
	if p.Done {
		return 100
	}
	total := max(p.TotalPartners, p.Partners)
	if total <= 0 {
		return 0
	}
	return 100 * float64(p.Partners) / float64(total)
}

// Elapsed is the time from the start to now (or to the end).
func (p Progress) Elapsed(now time.Time) time.Duration {
	end := now
	if p.Done && !p.FinishedAt.IsZero() {
		end = p.FinishedAt
	}
	if p.StartedAt.IsZero() || end.Before(p.StartedAt) {
		return 0
	}
	return end.Sub(p.StartedAt)
}

// CustomersPerSecond is the average rate since the start.
func (p Progress) CustomersPerSecond(now time.Time) float64 {
	s := p.Elapsed(now).Seconds()
	if s <= 0 {
		return 0
	}
	return float64(p.Customers) / s
}

// ETA is the time left at the average partner rate so far; false until
// the rate is known.
func (p Progress) ETA(now time.Time) (time.Duration, bool) {
	if p.Done {
		return 0, true
	}
	s := p.Elapsed(now).Seconds()
	if s <= 0 || p.Partners == 0 {
		return 0, false
	}
	left := max(p.TotalPartners-p.Partners, 0)
	return time.Duration(float64(left) / (float64(p.Partners) / s) * float64(time.Second)), true
}

// Summary is one line: percent, partners, customers, rate, ETA, failures.
func (p Progress) Summary(now time.Time) string {
	// String building without fmt: this runs in workflow code, and the
	// determinism checker cannot see through fmt's reflection.
	var b strings.Builder
	pct := strconv.FormatFloat(p.Percent(), 'f', 1, 64)
	b.WriteString(strings.Repeat(" ", max(0, 5-len(pct))) + pct + "%  " + group(p.Partners) + "/" + group(max(p.TotalPartners, p.Partners)) +
		" partners  " + group(p.Customers) + " customers  " + group(int64(p.CustomersPerSecond(now)+0.5)) + "/s")
	if p.Done {
		b.WriteString("  done in " + roundDuration(p.Elapsed(now)).String())
	} else if eta, ok := p.ETA(now); ok {
		b.WriteString("  ETA " + roundDuration(eta).String())
	} else {
		b.WriteString("  ETA --")
	}
	if p.FailedCustomers > 0 {
		b.WriteString("  " + group(p.FailedCustomers) + " failed")
	}
	return b.String()
}

// Bar renders a progress bar of width cells, e.g. [=====>    ].
func (p Progress) Bar(width int) string {
	if width < 3 {
		width = 3
	}
	inner := width - 2
	filled := int(p.Percent() / 100 * float64(inner))
	filled = min(max(filled, 0), inner)
	bar := strings.Repeat("=", filled)
	if filled < inner {
		bar += ">" + strings.Repeat(" ", inner-filled-1)
	}
	return "[" + bar + "]"
}

// Markdown renders the progress for the Web UI (workflow current details).
func (p Progress) Markdown(now time.Time) string {
	var b strings.Builder
	state := "running"
	if p.Done {
		state = "done"
	}
	itoa := func(n int) string { return strconv.Itoa(n) }
	b.WriteString("**Backfill " + state + "**: " + p.Summary(now) + "\n\n")
	b.WriteString("| pages | partners read | customers sent | contacts imported | orders imported | failed customers | started |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	b.WriteString("| " + itoa(p.Pages) + " (" + itoa(p.InFlight) + " in flight) | " + group(p.Partners) + " | " + group(p.Customers) + " | " +
		group(p.ContactsImported()) + " (" + group(p.ContactsCreated) + " new) | " + group(p.OrdersImported) + " of " + group(p.OrdersSent) + " | " +
		group(p.FailedCustomers) + " | " + p.StartedAt.UTC().Format(time.RFC3339) + " |\n")
	if len(p.Skipped) > 0 {
		b.WriteString("\nPartners not sent: " + countsLine(p.Skipped) + "\n")
	}
	if len(p.Failures) > 0 {
		b.WriteString("\nFailed customers by reason: " + countsLine(p.Failures) + " (keys in the result; resync them with `starter resync <email>`)\n")
		for _, f := range p.Recent {
			b.WriteString("- `" + f.Key + "` " + f.Reason + " " + f.Detail + "\n")
		}
	}
	if p.LastError != "" {
		b.WriteString("\n" + itoa(p.Errors) + " page errors, retried later; last: " + p.LastError + "\n")
	}
	b.WriteString("\nResume point: partner id " + strconv.FormatInt(p.AfterID, 10) + "; run " + itoa(p.Runs) + ".\n")
	return b.String()
}

func countsLine(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	//workflowcheck:ignore (sorted below)
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " " + group(m[k])
	}
	return strings.Join(parts, ", ")
}

// group formats an integer with thousands separators.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func roundDuration(d time.Duration) time.Duration {
	if d >= time.Minute {
		return d.Round(time.Second)
	}
	return d.Round(100 * time.Millisecond)
}
