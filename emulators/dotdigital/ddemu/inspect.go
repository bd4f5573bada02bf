package ddemu

import (
	"html/template"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// The inspection page is read-only, unauthenticated and outside the rate
// limits: a human's window on the emulated account. Tests use the REST API.
// Its one write surface is faultsPath, so that tools outside the process
// (which cannot call InjectFault) can arm targeted faults.

// faultsPath lists (GET), arms (POST) and clears (DELETE) targeted faults.
const faultsPath = "/_emulator/faults"

// maxFaultBody bounds a POST to faultsPath; one fault is a few hundred bytes.
const maxFaultBody = 64 << 10

const inspectPageSize = 50

func (e *Emulator) isInspectorPath(path string) bool {
	return path == "/" || path == "" || path == "/_emulator" || strings.HasPrefix(path, "/_emulator/")
}

type inspectContact struct {
	ID                      int64
	Email, Mobile, Status   string
	Created, Updated, Lists string
	Fields                  string
	Records                 int
}

type inspectRecord struct {
	Collection, Key, Owner, Updated, JSON string
}

type inspectJob struct {
	Kind, ID, Status, Summary string
}

type inspectPage struct {
	View        string
	Stats       Stats
	Tiers       []Tier
	Routes      []routeRow
	Contacts    []inspectContact
	Lists       []bookOut
	Fields      []dataFieldOut
	Collections []collectionSummary
	Records     []inspectRecord
	Jobs        []inspectJob
	Collection  string
	Page, Pages int
	Prev, Next  int
}

type routeRow struct {
	Name   string
	Tier   Tier
	Total  int64
	Counts string
}

func (e *Emulator) inspect(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == faultsPath {
		e.serveFaults(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "the inspection page is read-only", http.StatusMethodNotAllowed)
		return
	}
	if r.URL.Path == "/_emulator/stats.json" {
		writeJSON(w, http.StatusOK, e.Stats())
		return
	}
	view := r.URL.Query().Get("view")
	if view == "" {
		view = "contacts"
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	page = max(page, 1)
	p := inspectPage{View: view, Stats: e.Stats(), Tiers: Tiers, Page: page, Collection: r.URL.Query().Get("collection")}
	tiers := e.RouteTier()
	for name, rs := range p.Stats.ByRoute {
		var parts []string
		for st, n := range rs.ByStatus {
			parts = append(parts, strconv.Itoa(st)+": "+strconv.FormatInt(n, 10))
		}
		sort.Strings(parts)
		p.Routes = append(p.Routes, routeRow{Name: name, Tier: tiers[name], Total: rs.Total, Counts: strings.Join(parts, ", ")})
	}
	sort.Slice(p.Routes, func(i, j int) bool { return p.Routes[i].Name < p.Routes[j].Name })

	e.st.mu.RLock()
	total := 0
	switch view {
	case "contacts":
		total = e.inspectContacts(&p)
	case "lists":
		for _, b := range e.st.sortedBooks() {
			p.Lists = append(p.Lists, b.out())
		}
	case "fields":
		for _, f := range e.st.sortedFields() {
			p.Fields = append(p.Fields, f.out())
		}
	case "insight":
		total = e.inspectInsight(&p, r.URL.Query().Get("collection"))
	case "jobs":
		e.inspectJobs(&p)
	}
	e.st.mu.RUnlock()
	p.Pages = max(1, (total+inspectPageSize-1)/inspectPageSize)
	p.Prev, p.Next = page-1, page+1
	if p.Next > p.Pages {
		p.Next = 0
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := inspectTemplate.Execute(w, p); err != nil {
		e.log.Error("rendering inspection page", "err", err)
	}
}

// serveFaults is the HTTP face of InjectFault, PendingFaults and
// ClearInjectedFaults. POST takes the JSON object or the KIND:ROUTE text form
// of ParseTargetedFault and answers 201 with the pending faults.
func (e *Emulator) serveFaults(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		writeJSON(w, http.StatusOK, e.PendingFaults())
	case http.MethodPost:
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFaultBody))
		if err != nil {
			http.Error(w, "reading the fault: "+err.Error(), http.StatusBadRequest)
			return
		}
		f, err := ParseTargetedFault(string(body))
		if err == nil {
			err = e.InjectFault(f)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		writeJSON(w, http.StatusCreated, e.PendingFaults())
	case http.MethodDelete:
		writeJSON(w, http.StatusOK, map[string]int{"cleared": e.ClearInjectedFaults()})
	default:
		w.Header().Set("Allow", "GET, HEAD, POST, DELETE")
		http.Error(w, "use GET, POST or DELETE", http.StatusMethodNotAllowed)
	}
}

func (e *Emulator) inspectContacts(p *inspectPage) int {
	live := make([]*contact, 0, len(e.st.order))
	for _, c := range e.st.order {
		if !c.purged {
			live = append(live, c)
		}
	}
	start := (p.Page - 1) * inspectPageSize
	fields := e.st.sortedFields()
	for i := start; i < len(live) && i < start+inspectPageSize; i++ {
		c := live[i]
		status := c.emailStatus
		if c.binned {
			status = "binned (" + status + ")"
		}
		var fv, ls []string
		for _, f := range fields {
			if v := c.value(f); v != nil {
				fv = append(fv, f.name+"="+truncate(toText(renderValue(v)), 40))
			}
		}
		for _, id := range c.lists {
			if b := e.st.books[id]; b != nil {
				ls = append(ls, b.name)
			}
		}
		n := 0
		for _, col := range e.st.collections {
			n += len(col.byOwner[c.id])
		}
		p.Contacts = append(p.Contacts, inspectContact{ID: c.id, Email: c.email, Mobile: c.mobile, Status: status,
			Created: formatTime(c.created), Updated: formatTime(c.updated), Lists: strings.Join(ls, ", "),
			Fields: strings.Join(fv, "; "), Records: n})
	}
	return len(live)
}

func (e *Emulator) inspectInsight(p *inspectPage, name string) int {
	cols := e.st.sortedCollections()
	for _, col := range cols {
		p.Collections = append(p.Collections, collectionSummary{col.name, col.typ, col.scope, len(col.records)})
	}
	var col *collection
	if name != "" {
		col = e.st.collection(name)
	} else if len(cols) > 0 {
		col = cols[0]
	}
	if col == nil {
		return 0
	}
	live := make([]*insightRecord, 0, len(col.records))
	for _, r := range col.order {
		if !r.deleted {
			live = append(live, r)
		}
	}
	start := (p.Page - 1) * inspectPageSize
	for i := start; i < len(live) && i < start+inspectPageSize; i++ {
		r := live[i]
		owner := "account"
		if c := e.st.contacts[r.owner]; c != nil {
			owner = strconv.FormatInt(c.id, 10) + " " + c.email
		}
		p.Records = append(p.Records, inspectRecord{Collection: col.name, Key: r.key, Owner: owner,
			Updated: formatTime(r.updated), JSON: truncate(string(r.json), 300)})
	}
	return len(live)
}

func (e *Emulator) inspectJobs(p *inspectPage) {
	for id, j := range e.st.contactImports {
		sum := ""
		if s := j.report.Summary; s != nil {
			sum = "new " + strconv.Itoa(s.NewContacts) + ", updated " + strconv.Itoa(s.UpdatedContacts) +
				", failures " + strconv.Itoa(len(j.report.Failures))
		}
		p.Jobs = append(p.Jobs, inspectJob{"contacts import", id, j.status, sum})
	}
	for id, j := range e.st.insightImports {
		sum := ""
		if s := j.report.Summary; s != nil {
			sum = j.name + ": imported " + strconv.Itoa(s.TotalImported) + ", rejected " + strconv.Itoa(s.TotalRejected)
		}
		p.Jobs = append(p.Jobs, inspectJob{"insight import", id, j.status, sum})
	}
	for id, j := range e.st.deleteJobs {
		p.Jobs = append(p.Jobs, inspectJob{"contacts delete", id, j.status, ""})
	}
	sort.Slice(p.Jobs, func(i, k int) bool {
		if p.Jobs[i].Kind != p.Jobs[k].Kind {
			return p.Jobs[i].Kind < p.Jobs[k].Kind
		}
		return p.Jobs[i].ID < p.Jobs[k].ID
	})
}

func toText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	default:
		b, _ := jsonMarshal(x)
		return string(b)
	}
}

var inspectTemplate = template.Must(template.New("inspect").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Dotdigital emulator</title>
<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;font-size:13px}
td,th{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}nav a{margin-right:1em}
.num{text-align:right}code{font-size:12px}</style></head><body>
<h1>Dotdigital emulator</h1>
<p>Contacts {{.Stats.Contacts}} (binned {{.Stats.BinnedContacts}}) &middot; lists {{.Stats.Lists}} &middot;
Insight records {{.Stats.InsightRecords}} &middot; API calls {{.Stats.Calls}} &middot; 429s {{.Stats.Status429}}
(call rate {{.Stats.Throttled}}) &middot; flat cap {{.Stats.FlatCapped}} &middot; 401s {{.Stats.Unauthorized}} &middot;
imports run: contacts {{.Stats.ContactImportsRun}}, insight {{.Stats.InsightImportsRun}} &middot;
faults: 5xx {{.Stats.Faults5xx}}, timeouts {{.Stats.FaultsTimeout}}, slow {{.Stats.FaultsSlow}}, applied+5xx {{.Stats.FaultsApplied5xx}}, targeted {{.Stats.FaultsTargeted}}</p>
<table><tr>{{range .Tiers}}<th>{{.}}</th>{{end}}</tr><tr>{{range .Tiers}}<td class="num">{{index $.Stats.CallsByTier .}}</td>{{end}}</tr></table>
<nav><p><a href="?view=contacts">Contacts</a><a href="?view=lists">Lists</a><a href="?view=fields">Data fields</a>
<a href="?view=insight">Insight data</a><a href="?view=jobs">Jobs</a><a href="?view=calls">API calls</a>
<a href="/_emulator/stats.json">stats.json</a><a href="/_emulator/faults">pending faults</a></p></nav>
{{if eq .View "contacts"}}<h2>Contacts</h2>
<table><tr><th>id</th><th>email</th><th>mobile</th><th>status</th><th>created</th><th>updated</th><th>lists</th><th>records</th><th>data fields</th></tr>
{{range .Contacts}}<tr><td>{{.ID}}</td><td>{{.Email}}</td><td>{{.Mobile}}</td><td>{{.Status}}</td><td>{{.Created}}</td><td>{{.Updated}}</td><td>{{.Lists}}</td><td class="num">{{.Records}}</td><td><code>{{.Fields}}</code></td></tr>{{end}}</table>{{end}}
{{if eq .View "lists"}}<h2>Lists</h2><table><tr><th>id</th><th>name</th><th>visibility</th><th>contacts</th></tr>
{{range .Lists}}<tr><td>{{.ID}}</td><td>{{.Name}}</td><td>{{.Visibility}}</td><td class="num">{{.Contacts}}</td></tr>{{end}}</table>{{end}}
{{if eq .View "fields"}}<h2>Data fields</h2><table><tr><th>name</th><th>type</th><th>visibility</th><th>default</th></tr>
{{range .Fields}}<tr><td>{{.Name}}</td><td>{{.Type}}</td><td>{{.Visibility}}</td><td>{{.DefaultValue}}</td></tr>{{end}}</table>{{end}}
{{if eq .View "insight"}}<h2>Insight data</h2><table><tr><th>collection</th><th>scope</th><th>type</th><th>records</th></tr>
{{range .Collections}}<tr><td><a href="?view=insight&collection={{.CollectionName}}">{{.CollectionName}}</a></td><td>{{.CollectionScope}}</td><td>{{.CollectionType}}</td><td class="num">{{.RecordCount}}</td></tr>{{end}}</table>
<h3>Records</h3><table><tr><th>collection</th><th>key</th><th>owner</th><th>updated</th><th>json</th></tr>
{{range .Records}}<tr><td>{{.Collection}}</td><td>{{.Key}}</td><td>{{.Owner}}</td><td>{{.Updated}}</td><td><code>{{.JSON}}</code></td></tr>{{end}}</table>{{end}}
{{if eq .View "jobs"}}<h2>Jobs</h2><table><tr><th>kind</th><th>id</th><th>status</th><th>summary</th></tr>
{{range .Jobs}}<tr><td>{{.Kind}}</td><td>{{.ID}}</td><td>{{.Status}}</td><td>{{.Summary}}</td></tr>{{end}}</table>{{end}}
{{if eq .View "calls"}}<h2>API calls by route</h2><table><tr><th>route</th><th>tier</th><th>calls</th><th>by status</th></tr>
{{range .Routes}}<tr><td>{{.Name}}</td><td>{{.Tier}}</td><td class="num">{{.Total}}</td><td>{{.Counts}}</td></tr>{{end}}</table>{{end}}
{{if or (eq .View "contacts") (eq .View "insight")}}<p>Page {{.Page}} of {{.Pages}}
{{if gt .Prev 0}}<a href="?view={{.View}}&collection={{.Collection}}&page={{.Prev}}">previous</a>{{end}}
{{if gt .Next 0}}<a href="?view={{.View}}&collection={{.Collection}}&page={{.Next}}">next</a>{{end}}</p>{{end}}
</body></html>
`))
