package odoo

import (
	"context"
)

// fieldsFor narrows a wanted field list to what this server has. The
// version rules drop what we know is gone; fields_get (asked once per model
// and cached) drops what an addon did not install (website_id without
// website, customer_rank without account). If fields_get fails, the version
// rules alone decide.
func (c *Client) fieldsFor(ctx context.Context, model string, wanted []string) ([]string, error) {
	have, err := c.availableFields(ctx, model)
	if err != nil {
		if ClassOf(err) == ClassAuth || ClassOf(err) == ClassTransient {
			return nil, err
		}
		// Not allowed or no such model: do not ask again.
		c.log.Debug("odoo: fields_get failed; using version field list", "model", model, "class", ClassOf(err).String())
		c.fieldsMu.Lock()
		c.fields[model] = nil
		c.fieldsMu.Unlock()
		return wanted, nil
	}
	if have == nil {
		return wanted, nil
	}
	out := make([]string, 0, len(wanted))
	for _, f := range wanted {
		if have[f] || f == "id" {
			out = append(out, f)
		}
	}
	return out, nil
}

func (c *Client) availableFields(ctx context.Context, model string) (map[string]bool, error) {
	c.fieldsMu.Lock()
	have, ok := c.fields[model]
	c.fieldsMu.Unlock()
	if ok {
		return have, nil
	}
	res, err := c.execute(ctx, model, "fields_get", []any{}, map[string]any{"attributes": []string{"type"}})
	if err != nil {
		return nil, err
	}
	m, ok := res.(map[string]any)
	if !ok {
		return nil, &RequestError{Op: model + ".fields_get", Reason: "reply is not a struct"}
	}
	have = make(map[string]bool, len(m))
	for name := range m {
		have[name] = true
	}
	c.fieldsMu.Lock()
	c.fields[model] = have
	c.fieldsMu.Unlock()
	return have, nil
}

// HasField reports whether the server's model has the field (fields_get,
// cached). It is false when fields_get is refused.
func (c *Client) HasField(ctx context.Context, model, field string) (bool, error) {
	have, err := c.availableFields(ctx, model)
	if err != nil {
		return false, err
	}
	return have[field], nil
}

func withoutField(fields []string, drop string) []string {
	out := fields[:0:0]
	for _, f := range fields {
		if f != drop {
			out = append(out, f)
		}
	}
	return out
}

// chunks splits ids into slices of at most n.
func chunks(ids []int64, n int) [][]int64 {
	if n <= 0 {
		n = DefaultBatchSize
	}
	var out [][]int64
	for len(ids) > 0 {
		k := min(n, len(ids))
		out = append(out, ids[:k])
		ids = ids[k:]
	}
	return out
}

func uniqueIDs(ids []int64) []int64 {
	seen := make(map[int64]bool, len(ids))
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if id > 0 && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
