package dotdigital

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

const routeAccountInfo = "/v2/account-info"

// AccountInfo is GET /v2/account-info: the account id and its named
// properties (Name, MainEmail, ApiEndpoint, ApiCallsRemaining, ...), all
// values as strings as the API sends them.
type AccountInfo struct {
	ID         int64
	Properties map[string]string
}

// Property returns a property by name, case-insensitively.
func (a AccountInfo) Property(name string) (string, bool) {
	if v, ok := a.Properties[name]; ok {
		return v, true
	}
	for k, v := range a.Properties {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// Endpoint is the ApiEndpoint property without trailing slashes ("" if absent).
func (a AccountInfo) Endpoint() string {
	v, _ := a.Property("ApiEndpoint")
	return strings.TrimRight(strings.TrimSpace(v), "/")
}

// APICallsRemaining is the flat scheme's ApiCallsRemaining property.
func (a AccountInfo) APICallsRemaining() (int, bool) {
	v, ok := a.Property("ApiCallsRemaining")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	return n, err == nil
}

type accountInfoBody struct {
	ID         json.RawMessage `json:"id"`
	Properties []struct {
		Name  string          `json:"name"`
		Type  string          `json:"type"`
		Value json.RawMessage `json:"value"`
	} `json:"properties"`
}

func (b accountInfoBody) info() AccountInfo {
	info := AccountInfo{Properties: make(map[string]string, len(b.Properties))}
	info.ID, _ = strconv.ParseInt(strings.Trim(string(b.ID), `"`), 10, 64)
	for _, p := range b.Properties {
		if p.Name != "" {
			info.Properties[p.Name] = rawScalar(p.Value)
		}
	}
	return info
}

// AccountInfo calls GET /v2/account-info. With discovery in use it asks the
// discovery host (which answers for every region) and refreshes the cached
// endpoint from the answer; with a configured Endpoint it asks that.
func (c *Client) AccountInfo(ctx context.Context) (AccountInfo, error) {
	if c.staticEndpoint {
		base, _ := c.baseURL(ctx)
		return c.fetchAccountInfo(ctx, base)
	}
	info, err := c.fetchAccountInfo(ctx, c.discoveryURL)
	if err != nil {
		return info, err
	}
	if ep, err := cleanBaseURL(info.Endpoint()); err == nil {
		c.endpoint.set(ep)
	}
	return info, nil
}

func (c *Client) fetchAccountInfo(ctx context.Context, base string) (AccountInfo, error) {
	var body accountInfoBody
	if _, err := c.send(ctx, base, request{method: "GET", route: routeAccountInfo, path: routeAccountInfo}, &body); err != nil {
		return AccountInfo{}, err
	}
	return body.info(), nil
}

// endpointCache holds the discovered endpoint; concurrent first callers share
// one discovery call.
type endpointCache struct {
	mu       sync.Mutex
	value    string
	inflight *discoveryCall
}

type discoveryCall struct {
	done  chan struct{}
	value string
	err   error
}

func (e *endpointCache) set(v string) {
	e.mu.Lock()
	e.value = v
	e.mu.Unlock()
}

// invalidate forgets the endpoint if it is still the one that failed, so a
// burst of 403s triggers one rediscovery, not one each.
func (e *endpointCache) invalidate(failed string) {
	e.mu.Lock()
	if e.value == failed {
		e.value = ""
	}
	e.mu.Unlock()
}

// baseURL returns the endpoint, discovering it when unknown.
func (c *Client) baseURL(ctx context.Context) (string, error) {
	e := c.endpoint
	e.mu.Lock()
	if e.value != "" {
		v := e.value
		e.mu.Unlock()
		return v, nil
	}
	call := e.inflight
	if call == nil {
		call = &discoveryCall{done: make(chan struct{})}
		e.inflight = call
		// Detached from the first caller's cancellation so that its giving up
		// does not fail the others; bounded by the client timeout in send.
		go c.discover(context.WithoutCancel(ctx), call)
	}
	e.mu.Unlock()

	select {
	case <-call.done:
		return call.value, call.err
	case <-ctx.Done():
		return "", c.transportError(ctx, request{method: "GET", route: routeAccountInfo}, ctx.Err())
	}
}

func (c *Client) discover(ctx context.Context, call *discoveryCall) {
	info, err := c.fetchAccountInfo(ctx, c.discoveryURL)
	if err != nil {
		call.err = fmt.Errorf("%w: %w", ErrDiscovery, err)
	} else if ep, cerr := cleanBaseURL(info.Endpoint()); cerr != nil {
		call.err = fmt.Errorf("%w: account-info property ApiEndpoint: %v", ErrDiscovery, cerr)
	} else {
		call.value = ep
		c.logger.InfoContext(ctx, "dotdigital: endpoint discovered", "endpoint", ep)
	}
	e := c.endpoint
	e.mu.Lock()
	if call.err == nil {
		e.value = call.value
	}
	e.inflight = nil
	e.mu.Unlock()
	close(call.done)
}
