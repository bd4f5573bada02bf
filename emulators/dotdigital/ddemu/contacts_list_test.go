package ddemu_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/dotdigital/ddemu"
)

type listPage struct {
	Links struct {
		Self  struct{ Marker, Link string } `json:"self"`
		First struct{ Marker, Link string } `json:"first"`
		Next  *struct {
			Marker string `json:"marker"`
			Link   string `json:"link"`
		} `json:"next"`
	} `json:"_links"`
	Items []contactDoc `json:"_items"`
}

// listAll follows next markers from the first page and returns every item.
func listAll(t *testing.T, c *client, query string) ([]contactDoc, int) {
	t.Helper()
	var all []contactDoc
	pages := 0
	path := "/contacts/v3?" + query
	for {
		var p listPage
		c.get(path).expect(t, http.StatusOK).decode(t, &p)
		pages++
		all = append(all, p.Items...)
		if p.Links.Next == nil {
			return all, pages
		}
		path = "/contacts/v3?marker=" + url.QueryEscape(p.Links.Next.Marker)
	}
}

func TestListContactsPagingAndFilters(t *testing.T) {
	e, c := start(t, ddemu.Options{})
	vip, _ := e.CreateList("VIP")
	for i := range 25 {
		body := map[string]any{"identifiers": map[string]any{"email": fmt.Sprintf("u%02d@example.com", i)},
			"dataFields": map[string]any{"FIRSTNAME": fmt.Sprintf("U%d", i)}}
		if i%5 == 0 {
			body["lists"] = []int{vip}
		}
		c.patch(fmt.Sprintf("/contacts/v3/email/u%02d@example.com", i), body).expect(t, http.StatusCreated)
	}
	all, pages := listAll(t, c, "limit=10")
	if len(all) != 25 || pages != 3 {
		t.Fatalf("got %d contacts in %d pages, want 25 in 3", len(all), pages)
	}
	for i := 1; i < len(all); i++ {
		if all[i-1].ContactID.String() >= all[i].ContactID.String() && len(all[i-1].ContactID) == len(all[i].ContactID) {
			t.Fatalf("not ascending: %s then %s", all[i-1].ContactID, all[i].ContactID)
		}
	}
	if all[0].DataFields != nil || all[0].Identifiers["email"] == nil {
		t.Fatalf("default listing should hold identifiers only: %+v", all[0])
	}

	// ~modified: touch two contacts after a cut-off
	time.Sleep(10 * time.Millisecond)
	cut := time.Now().UTC()
	time.Sleep(10 * time.Millisecond)
	c.upsert("u03@example.com", map[string]any{"LASTNAME": "x"}).expect(t, http.StatusOK)
	c.upsert("u17@example.com", map[string]any{"LASTNAME": "y"}).expect(t, http.StatusOK)
	mod, _ := listAll(t, c, "limit=1&data-fields=FIRSTNAME|lastname&~modified=gte::"+cut.Format("2006-01-02T15:04:05.000Z"))
	if len(mod) != 2 || mod[0].Identifiers["email"] != "u03@example.com" || mod[1].DataFields["LASTNAME"] != "y" {
		t.Fatalf("~modified listing: %+v", mod)
	}
	if _, ok := mod[0].DataFields["GENDER"]; ok {
		t.Fatalf("data-fields should select fields: %v", mod[0].DataFields)
	}
	created, _ := listAll(t, c, "~created=gte::"+cut.Format("2006-01-02T15:04:05.000Z"))
	if len(created) != 0 {
		t.Fatalf("~created after all creations returned %d", len(created))
	}

	inList, _ := listAll(t, c, fmt.Sprintf("~listId=%d&include=lists|channelProperties&data-fields=[[ALL]]", vip))
	if len(inList) != 5 || len(inList[0].Lists) != 1 || inList[0].Channel.Email.Status != "subscribed" || len(inList[0].DataFields) != 6 {
		t.Fatalf("~listId listing: %d items, first %+v", len(inList), inList[0])
	}

	for _, q := range []string{"limit=0", "limit=5001", "~modified=yesterday", "~modified=gte::2024-01-01T00:00:00Z&~created=gte::2024-01-01T00:00:00Z",
		"~listId=424242", "data-fields=NOPE", "marker=@@@", "include=everything", "~segmentId=1"} {
		c.get("/contacts/v3?"+q).v3err(t, http.StatusBadRequest, "contacts:invalidFilter")
	}
}

func TestListLinksPointAtEmulator(t *testing.T) {
	e, c := start(t, ddemu.Options{})
	for i := range 3 {
		c.upsert(fmt.Sprintf("k%d@example.com", i), nil).expect(t, http.StatusCreated)
	}
	var p listPage
	c.get("/contacts/v3?limit=2").expect(t, http.StatusOK).decode(t, &p)
	if p.Links.Next == nil {
		t.Fatal("no next link")
	}
	u, err := url.Parse(p.Links.Next.Link)
	if err != nil || u.Scheme+"://"+u.Host != e.URL() || u.Query().Get("marker") != p.Links.Next.Marker {
		t.Fatalf("next link %q", p.Links.Next.Link)
	}
	var p2 listPage
	c.get(u.RequestURI()).expect(t, http.StatusOK).decode(t, &p2)
	if len(p2.Items) != 1 || p2.Links.Next != nil {
		t.Fatalf("following the link: %+v", p2)
	}
}
