package ddemu

import (
	"net/http"
	"net/url"
	"strings"
)

// params holds the unescaped path wildcards of a matched route.
type params map[string]string

// handlerFunc serves one matched API route.
type handlerFunc func(w http.ResponseWriter, r *http.Request, p params)

// route is one API endpoint: its pattern, call-rate tier and error dialect.
type route struct {
	method  string
	pattern string // e.g. "/contacts/v3/{identifier}/{value}"
	name    string // "METHOD pattern", the key of per-route stats
	segs    []string
	tier    Tier
	api     api
	handle  handlerFunc
	score   uint64 // literal segments weigh more the earlier they occur
	nLitSeg int
}

// router matches escaped request paths segment by segment. Literal segments
// compare case-insensitively (the real service is ASP.NET, whose routes are
// case-insensitive); among several matches the most specific wins, the way
// net/http's ServeMux ranks patterns, but without its panics on overlapping
// patterns such as /v2/contacts/{id}/address-books vs /v2/contacts/suppressed-since/{date}.
type router struct {
	routes []*route
}

func (rt *router) add(method, pattern string, tier Tier, a api, h handlerFunc) {
	segs := strings.Split(strings.Trim(pattern, "/"), "/")
	r := &route{method: method, pattern: pattern, name: method + " " + pattern, segs: segs, tier: tier, api: a, handle: h}
	for i, s := range segs {
		if !isWildcard(s) {
			r.score |= 1 << uint(63-i)
			r.nLitSeg++
		}
	}
	rt.routes = append(rt.routes, r)
}

func isWildcard(seg string) bool { return strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") }

// match returns the best route for the method and path, or (nil, nil,
// methodMismatch) when the path matches some route under another method.
func (rt *router) match(method, escapedPath string) (*route, params, bool) {
	segs := strings.Split(strings.Trim(escapedPath, "/"), "/")
	var best *route
	pathMatched := false
	for _, r := range rt.routes {
		if len(r.segs) != len(segs) || !r.matches(segs) {
			continue
		}
		pathMatched = true
		if r.method != method && !(method == http.MethodHead && r.method == http.MethodGet) {
			continue
		}
		if best == nil || r.score > best.score {
			best = r
		}
	}
	if best == nil {
		return nil, nil, pathMatched
	}
	p := params{}
	for i, s := range best.segs {
		if isWildcard(s) {
			v, err := url.PathUnescape(segs[i])
			if err != nil {
				v = segs[i]
			}
			p[s[1:len(s)-1]] = v
		}
	}
	return best, p, false
}

func (r *route) matches(segs []string) bool {
	for i, s := range r.segs {
		if isWildcard(s) {
			if segs[i] == "" {
				return false
			}
			continue
		}
		if !strings.EqualFold(s, segs[i]) {
			return false
		}
	}
	return true
}

// apiOfPath guesses the error dialect of an unmatched path.
func apiOfPath(path string) (api, bool) {
	p := strings.ToLower(path)
	switch {
	case strings.HasPrefix(p, "/v2/"):
		return apiV2, true
	case strings.HasPrefix(p, "/contacts/v3"):
		return apiContactsV3, true
	case strings.HasPrefix(p, "/insightdata/v3"):
		return apiInsightV3, true
	}
	return apiV2, false
}
