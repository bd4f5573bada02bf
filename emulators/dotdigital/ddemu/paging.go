package ddemu

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
)

// pageLink and pageLinks are the v3 "_links" of a listing.
type pageLink struct {
	Marker string `json:"marker"`
	Link   string `json:"link"`
}

type pageLinks struct {
	Self  pageLink  `json:"self"`
	First pageLink  `json:"first"`
	Next  *pageLink `json:"next,omitempty"`
}

// markerState is what a v3 paging marker carries: the position (the last
// item of the previous page) and the query the listing was started with, so
// that following the marker alone keeps the filters.
type markerState struct {
	After uint64            `json:"a"`
	Query map[string]string `json:"q,omitempty"`
}

func encodeMarker(m markerState) string {
	b, _ := json.Marshal(m)
	return base64.StdEncoding.EncodeToString(b)
}

func decodeMarker(s string) (markerState, bool) {
	var m markerState
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if b, err = base64.URLEncoding.DecodeString(s); err != nil {
			return m, false
		}
	}
	return m, json.Unmarshal(b, &m) == nil
}

// pageQuery merges the request's listing parameters over those kept in its marker.
type pageQuery struct {
	after uint64
	vals  map[string]string
}

// parsePageQuery reads the named listing parameters and the marker.
func parsePageQuery(r *http.Request, names ...string) (pageQuery, bool) {
	q := r.URL.Query()
	pq := pageQuery{vals: map[string]string{}}
	if ms := q.Get("marker"); ms != "" {
		m, ok := decodeMarker(ms)
		if !ok {
			return pq, false
		}
		pq.after = m.After
		for k, v := range m.Query {
			pq.vals[k] = v
		}
	}
	for _, n := range names {
		if q.Has(n) {
			pq.vals[n] = q.Get(n)
		}
	}
	return pq, true
}

// limit parses the "limit" parameter: default def, 1..max.
func (pq pageQuery) limit(def, maxLimit int) (int, bool) {
	s, ok := pq.vals["limit"]
	if !ok || s == "" {
		return def, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxLimit {
		return 0, false
	}
	return n, true
}

// links builds the _links of a page that started after pq.after; next is
// the position of the page's last item when more items follow.
func (e *Emulator) links(r *http.Request, pq pageQuery, next uint64, more bool) pageLinks {
	mk := func(after uint64) pageLink {
		m := encodeMarker(markerState{After: after, Query: pq.vals})
		v := url.Values{}
		for k, val := range pq.vals {
			v.Set(k, val)
		}
		v.Set("marker", m)
		return pageLink{Marker: m, Link: e.baseURL(r) + r.URL.EscapedPath() + "?" + v.Encode()}
	}
	l := pageLinks{Self: mk(pq.after), First: mk(0)}
	if more {
		n := mk(next)
		l.Next = &n
	}
	return l
}
