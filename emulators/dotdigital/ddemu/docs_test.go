package ddemu_test

import (
	"os"
	"regexp"
	"testing"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/dotdigital/ddemu"
)

// TestDocumentedTiersMatchRoutes keeps the route/tier table of
// docs/emulator-dotdigital.md in step with the router.
func TestDocumentedTiersMatchRoutes(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/emulator-dotdigital.md")
	if err != nil {
		t.Fatalf("reading the docs: %v", err)
	}
	rowRe := regexp.MustCompile("(?m)^\\| `([A-Z]+ /[^`]+)` \\| (low|medium|high|unlimited) \\|")
	documented := map[string]ddemu.Tier{}
	for _, m := range rowRe.FindAllStringSubmatch(string(doc), -1) {
		documented[m[1]] = ddemu.Tier(m[2])
	}
	e, err := ddemu.New(ddemu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	actual := e.RouteTier()
	for route, tier := range actual {
		if documented[route] != tier {
			t.Errorf("%s: code says %s, docs say %q", route, tier, documented[route])
		}
	}
	for route := range documented {
		if _, ok := actual[route]; !ok {
			t.Errorf("docs list %s, which the emulator does not serve", route)
		}
	}
}
