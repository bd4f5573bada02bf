package odoo

import (
	"context"
	"errors"
	"strings"
)

// ReadOptions are the optional kwargs of search/search_read. Zero fields
// are not sent.
type ReadOptions struct {
	Offset int
	Limit  int
	// Order is "field [asc|desc], ...". Empty: the model's default order.
	Order string
	// Context is sent as the call context, e.g. {"active_test": false} to
	// include archived records, {"allowed_company_ids": [1, 3]}.
	Context map[string]any
}

func (o ReadOptions) kwargs() map[string]any {
	kw := map[string]any{}
	if o.Offset > 0 {
		kw["offset"] = o.Offset
	}
	if o.Limit > 0 {
		kw["limit"] = o.Limit
	}
	if o.Order != "" {
		kw["order"] = o.Order
	}
	if len(o.Context) > 0 {
		kw["context"] = o.Context
	}
	return kw
}

// withArchived returns a context that includes archived records, on top of ctx.
func withArchived(ctx map[string]any) map[string]any {
	out := map[string]any{"active_test": false}
	for k, v := range ctx {
		out[k] = v
	}
	return out
}

func domainArg(d Domain) []any {
	if d == nil {
		return []any{}
	}
	return []any(d)
}

// SearchRead runs search_read. Always name the fields: an empty list reads
// every field, which is slow. Without Limit every match is returned.
func (c *Client) SearchRead(ctx context.Context, model string, domain Domain, fields []string, opts ReadOptions) ([]Record, error) {
	kw := opts.kwargs()
	kw["fields"] = nonNil(fields)
	res, err := c.execute(ctx, model, "search_read", []any{domainArg(domain)}, kw)
	if err != nil {
		return nil, err
	}
	return toRecords(res, model+".search_read")
}

// Search runs search and returns the matching ids.
func (c *Client) Search(ctx context.Context, model string, domain Domain, opts ReadOptions) ([]int64, error) {
	res, err := c.execute(ctx, model, "search", []any{domainArg(domain)}, opts.kwargs())
	if err != nil {
		return nil, err
	}
	return toIDs(res, model+".search")
}

// SearchCount runs search_count. Only opts.Context is used.
func (c *Client) SearchCount(ctx context.Context, model string, domain Domain, opts ReadOptions) (int64, error) {
	res, err := c.execute(ctx, model, "search_count", []any{domainArg(domain)}, ReadOptions{Context: opts.Context}.kwargs())
	if err != nil {
		return 0, err
	}
	n, ok := asInt(res)
	if !ok {
		return 0, &RequestError{Op: model + ".search_count", Reason: "reply is not an integer"}
	}
	return n, nil
}

// Read runs read on ids. Deleted ids are left out of the result (Odoo does
// not raise); archived records are returned.
func (c *Client) Read(ctx context.Context, model string, ids []int64, fields []string) ([]Record, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	res, err := c.execute(ctx, model, "read", []any{ids}, map[string]any{"fields": nonNil(fields)})
	if err != nil {
		return nil, err
	}
	return toRecords(res, model+".read")
}

// FieldInfo describes one field from fields_get.
type FieldInfo struct {
	Name, Type, String, Relation string
	Required, Readonly, Store    bool
}

// FieldsGet returns the model's fields (name, type, label, relation, flags).
func (c *Client) FieldsGet(ctx context.Context, model string) (map[string]FieldInfo, error) {
	res, err := c.execute(ctx, model, "fields_get", []any{}, map[string]any{
		"attributes": []string{"type", "string", "relation", "required", "readonly", "store"},
	})
	if err != nil {
		return nil, err
	}
	m, ok := res.(map[string]any)
	if !ok {
		return nil, &RequestError{Op: model + ".fields_get", Reason: "reply is not a struct"}
	}
	out := make(map[string]FieldInfo, len(m))
	for name, v := range m {
		attrs, _ := v.(map[string]any)
		r := Record(attrs)
		out[name] = FieldInfo{Name: name, Type: r.String("type"), String: r.String("string"), Relation: r.String("relation"),
			Required: r.Bool("required"), Readonly: r.Bool("readonly"), Store: r.Bool("store")}
	}
	return out, nil
}

// Create makes one record and returns its id.
func (c *Client) Create(ctx context.Context, model string, vals map[string]any) (int64, error) {
	res, err := c.execute(ctx, model, "create", []any{vals}, nil)
	if err != nil {
		return 0, err
	}
	if id, ok := asInt(res); ok {
		return id, nil
	}
	// Some versions answer a one-element list for create([vals]).
	if ids := asIDs(res); len(ids) == 1 {
		return ids[0], nil
	}
	return 0, &RequestError{Op: model + ".create", Reason: "reply is not an id"}
}

// CreateMany makes several records in one call (create with a list).
func (c *Client) CreateMany(ctx context.Context, model string, vals []map[string]any) ([]int64, error) {
	if len(vals) == 0 {
		return nil, nil
	}
	list := make([]any, len(vals))
	for i, v := range vals {
		list[i] = v
	}
	res, err := c.execute(ctx, model, "create", []any{list}, nil)
	if err != nil {
		return nil, err
	}
	if id, ok := asInt(res); ok {
		return []int64{id}, nil
	}
	return toIDs(res, model+".create")
}

// Write updates records. A deleted id gives a ClassMissing fault.
func (c *Client) Write(ctx context.Context, model string, ids []int64, vals map[string]any) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := c.execute(ctx, model, "write", []any{ids, vals}, nil)
	return err
}

// Unlink deletes records. A deleted id gives a ClassMissing fault.
func (c *Client) Unlink(ctx context.Context, model string, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := c.execute(ctx, model, "unlink", []any{ids}, nil)
	return err
}

// Call runs any public model method (action_confirm, action_cancel, a
// wizard's action). For record methods args[0] is the list of ids. Nil
// kwargs values are left out. A method that returns None makes Odoo answer
// Fault 1 "cannot marshal None" after committing; Call reports that as
// (nil, nil).
func (c *Client) Call(ctx context.Context, model, method string, args []any, kwargs map[string]any) (any, error) {
	res, err := c.execute(ctx, model, method, nonNilArgs(args), kwargs)
	var f *Fault
	if errors.As(err, &f) && f.Code == 1 && strings.Contains(f.Message, "cannot marshal None") {
		return nil, nil
	}
	return res, err
}

func nonNil(fields []string) []string {
	if fields == nil {
		return []string{}
	}
	return fields
}

func nonNilArgs(args []any) []any {
	if args == nil {
		return []any{}
	}
	return args
}

func toRecords(res any, op string) ([]Record, error) {
	list, ok := res.([]any)
	if !ok {
		return nil, &RequestError{Op: op, Reason: "reply is not a list"}
	}
	out := make([]Record, 0, len(list))
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, &RequestError{Op: op, Reason: "reply holds a non-struct row"}
		}
		out = append(out, Record(m))
	}
	return out, nil
}

func toIDs(res any, op string) ([]int64, error) {
	list, ok := res.([]any)
	if !ok {
		return nil, &RequestError{Op: op, Reason: "reply is not a list of ids"}
	}
	out := make([]int64, 0, len(list))
	for _, e := range list {
		id, ok := asInt(e)
		if !ok {
			return nil, &RequestError{Op: op, Reason: "reply holds a non-integer id"}
		}
		out = append(out, id)
	}
	return out, nil
}
