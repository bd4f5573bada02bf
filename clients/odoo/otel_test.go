package odoo

import (
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func TestSpansPerRemoteCallWithoutPersonalData(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	f := newFakeOdoo(t, 17)
	seedPartners(f)
	c := f.client(t, func(cfg *Config) { cfg.TracerProvider = tp })
	ctx := context.Background()
	if _, err := c.PartnersByKeys(ctx, []string{"jane@example.com"}); err != nil {
		t.Fatal(err)
	}
	_, _ = c.SearchRead(ctx, "res.nothing", Term("email", OpEq, "jane@example.com"), []string{"name"}, ReadOptions{})

	spans := rec.Ended()
	byName := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range spans {
		byName[s.Name()] = s
		for _, a := range s.Attributes() {
			v := a.Value.Emit()
			if strings.Contains(v, "@") || strings.Contains(v, f.key) || strings.Contains(v, "jane") {
				t.Fatalf("span %s attribute %s=%s carries personal data or credentials", s.Name(), a.Key, v)
			}
		}
		if strings.Contains(s.Status().Description, "@") {
			t.Fatalf("status %q", s.Status().Description)
		}
	}
	for _, name := range []string{"odoo common.version", "odoo common.authenticate", "odoo res.partner.fields_get", "odoo res.partner.search_read", "odoo res.nothing.search_read"} {
		if _, ok := byName[name]; !ok {
			t.Fatalf("no span %q in %v", name, names(spans))
		}
	}
	ok := attrs(byName["odoo res.partner.search_read"])
	if ok["odoo.model"] != "res.partner" || ok["odoo.method"] != "search_read" || ok["rpc.method"] != "execute_kw" || ok["odoo.outcome"] != "ok" || ok["http.response.status_code"] != "200" {
		t.Fatalf("attributes %v", ok)
	}
	bad := byName["odoo res.nothing.search_read"]
	ba := attrs(bad)
	if bad.Status().Code != codes.Error || ba["odoo.error.class"] != "validation" || ba["odoo.fault.code"] != "2" || ba["odoo.outcome"] != "fault" {
		t.Fatalf("error span %v %v", bad.Status(), ba)
	}
}

func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]string {
	out := map[attribute.Key]string{}
	for _, a := range s.Attributes() {
		out[a.Key] = a.Value.Emit()
	}
	return out
}

func names(spans []sdktrace.ReadOnlySpan) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name())
	}
	return out
}
