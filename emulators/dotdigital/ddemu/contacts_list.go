package ddemu

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	defaultPageLimit = 1000
	maxPageLimit     = 5000
)

// parseGteFilter reads "gte::<ISO 8601 UTC>" (OAS: gte::YYYY-MM-DDTHH:MM:SS(.mmm)Z; other ISO forms accepted).
func parseGteFilter(s string) (time.Time, bool) {
	v, ok := strings.CutPrefix(s, "gte::")
	if !ok {
		return time.Time{}, false
	}
	return parseLooseTime(v)
}

func invalidFilter(w http.ResponseWriter, a api, description string) {
	v3Fail(w, a, http.StatusBadRequest, "invalidFilter", description)
}

// GET /contacts/v3 : list contacts in ascending contactId order with marker paging.
func (e *Emulator) listContactsV3(w http.ResponseWriter, r *http.Request, _ params) {
	pq, ok := parsePageQuery(r, "~created", "~modified", "~listId", "~segmentId", "limit", "data-fields", "include")
	if !ok {
		invalidFilter(w, apiContactsV3, "The marker value is invalid")
		return
	}
	limit, ok := pq.limit(defaultPageLimit, maxPageLimit)
	if !ok {
		invalidFilter(w, apiContactsV3, "The limit must be between 1 and 5000")
		return
	}
	var since time.Time
	var byModified bool
	if v, c := pq.vals["~created"], pq.vals["~modified"]; v != "" && c != "" {
		invalidFilter(w, apiContactsV3, "~created and ~modified cannot be used together")
		return
	} else if v != "" || c != "" {
		raw := v
		if c != "" {
			raw, byModified = c, true
		}
		if since, ok = parseGteFilter(raw); !ok {
			invalidFilter(w, apiContactsV3, "The filter value '"+raw+"' is invalid")
			return
		}
	}
	if pq.vals["~segmentId"] != "" {
		if pq.vals["~listId"] != "" {
			invalidFilter(w, apiContactsV3, "~listId and ~segmentId cannot be used together")
		} else {
			invalidFilter(w, apiContactsV3, "Segments are not available in this account")
		}
		return
	}
	listID := -1
	if s := pq.vals["~listId"]; s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			invalidFilter(w, apiContactsV3, "The filter value '"+s+"' is invalid")
			return
		}
		listID = n
	}
	opts := renderOpts{}
	for _, inc := range splitPipe(pq.vals["include"]) {
		switch strings.ToLower(inc) {
		case "channelproperties":
			opts.channel = true
		case "lists":
			opts.lists = true
		case "consentrecords":
			opts.consent = true
		case "preferences":
		default:
			invalidFilter(w, apiContactsV3, "The include value '"+inc+"' is invalid")
			return
		}
	}

	e.st.mu.RLock()
	if listID >= 0 && e.st.books[listID] == nil {
		e.st.mu.RUnlock()
		invalidFilter(w, apiContactsV3, "The list '"+pq.vals["~listId"]+"' does not exist")
		return
	}
	for _, name := range splitPipe(pq.vals["data-fields"]) {
		if name == dataFieldsHeader {
			opts.allFields = true
			continue
		}
		f := e.st.fields[strings.ToUpper(name)]
		if f == nil {
			e.st.mu.RUnlock()
			invalidFilter(w, apiContactsV3, "The data field '"+name+"' does not exist")
			return
		}
		opts.fields = append(opts.fields, f)
	}
	items := make([]contactOut, 0, min(limit, 256))
	var last uint64
	more := false
	for i := e.st.orderIndexAfter(int64(pq.after)); i < len(e.st.order); i++ {
		c := e.st.order[i]
		if c.binned || c.purged {
			continue
		}
		if !since.IsZero() {
			ts := c.created
			if byModified {
				ts = c.updated
			}
			if ts.Before(since) {
				continue
			}
		}
		if listID >= 0 && !c.inList(listID) {
			continue
		}
		if len(items) == limit {
			more = true
			break
		}
		items = append(items, e.st.render(c, opts))
		last = uint64(c.id)
	}
	e.st.mu.RUnlock()
	writeJSON(w, http.StatusOK, map[string]any{"_links": e.links(r, pq, last, more), "_items": items})
}

func splitPipe(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	for _, p := range strings.Split(s, "|") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
