package dotdigital_test

// Integration tests: the client against the Dotdigital emulator
// (emulators/dotdigital/ddemu), over real HTTP, through the exported API only.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dd "github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/dotdigital"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/dotdigital/ddemu"
)

const (
	emuUser     = "apiuser-999@apiconnector.com"
	emuPassword = "emu-Secret-9"
)

func startEmu(t *testing.T, opts ddemu.Options) *ddemu.Emulator {
	t.Helper()
	opts.APIUser, opts.APIPassword = emuUser, emuPassword
	if opts.ImportDelay == 0 {
		opts.ImportDelay = 10 * time.Millisecond
	}
	e, err := ddemu.New(opts)
	if err != nil {
		t.Fatalf("ddemu.New: %v", err)
	}
	if err := e.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// emuClient discovers the endpoint through the emulator's account-info.
func emuClient(t *testing.T, e *ddemu.Emulator, mod ...func(*dd.Config)) *dd.Client {
	t.Helper()
	cfg := dd.Config{APIUser: emuUser, APIPassword: emuPassword, DiscoveryURL: e.URL()}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := dd.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections) // runs before the emulator's Close
	return c
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

var syncFields = []dd.DataField{
	{Name: "FIRSTNAME", Type: dd.DataFieldString},
	{Name: "LASTNAME", Type: dd.DataFieldString},
	{Name: "ORDER_COUNT", Type: dd.DataFieldNumeric},
	{Name: "TOTAL_SPENT", Type: dd.DataFieldNumeric},
	{Name: "LAST_ORDER_DATE", Type: dd.DataFieldDate},
	{Name: "IS_VIP", Type: dd.DataFieldBoolean},
}

func TestEmuDiscoveryAndAccountInfo(t *testing.T) {
	e := startEmu(t, ddemu.Options{})
	c := emuClient(t, e)
	info, err := c.AccountInfo(ctx(t))
	must(t, err)
	if info.Endpoint() != e.URL() {
		t.Errorf("ApiEndpoint %q, want %q (trailing slash stripped)", info.Endpoint(), e.URL())
	}
	if raw, _ := info.Property("ApiEndpoint"); !strings.HasSuffix(raw, "/") {
		t.Errorf("emulator ApiEndpoint %q has no trailing slash (reference §1 example has one)", raw)
	}
	// Discovery on first use, cached afterwards, shared by concurrent callers.
	c2 := emuClient(t, e)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() { defer wg.Done(); _, err := c2.ListDataFields(ctx(t)); must(t, err) }()
	}
	wg.Wait()
	_, err = c2.ListDataFields(ctx(t))
	must(t, err)
	if n := e.Stats().ByRoute["GET /v2/account-info"].Total; n != 2 {
		t.Errorf("account-info called %d times, want 2 (one per client)", n)
	}

	bad, _ := dd.New(dd.Config{APIUser: emuUser, APIPassword: "wrong", DiscoveryURL: e.URL()})
	_, err = bad.ListDataFields(ctx(t))
	if !dd.IsAuth(err) || dd.Retryable(err) || !errors.Is(err, dd.ErrDiscovery) {
		t.Fatalf("wrong password: %v", err)
	}
	if strings.Contains(err.Error(), "wrong") || strings.Contains(err.Error(), emuPassword) {
		t.Errorf("error leaks the password: %v", err)
	}
	static, _ := dd.New(dd.Config{APIUser: emuUser, APIPassword: "wrong", Endpoint: e.URL()})
	_, err = static.GetContact(ctx(t), "a@example.com")
	var apiErr *dd.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 401 || !dd.IsAuth(err) {
		t.Fatalf("v3 401: %v", err)
	}
}

func TestEmuRediscoveryAfterWrongRegion(t *testing.T) {
	e := startEmu(t, ddemu.Options{})
	wrong := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"message":"Access is denied"}`))
	}))
	t.Cleanup(wrong.Close)
	// The discovery host first points at the wrong region, then at the emulator.
	var discoveries atomic.Int32
	disc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ep := e.URL() + "/"
		if discoveries.Add(1) == 1 {
			ep = wrong.URL + "/"
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":1,"properties":[{"name":"ApiEndpoint","type":"String","value":%q}]}`, ep)
	}))
	t.Cleanup(disc.Close)
	c, err := dd.New(dd.Config{APIUser: emuUser, APIPassword: emuPassword, DiscoveryURL: disc.URL})
	must(t, err)
	_, err = c.EnsureDataFields(ctx(t), syncFields)
	must(t, err)
	ct, created, err := c.UpsertContact(ctx(t), "Region@Example.com", dd.ContactUpdate{DataFields: map[string]any{"FIRSTNAME": "R"}})
	must(t, err)
	if !created || ct.Email != "region@example.com" || discoveries.Load() != 2 {
		t.Errorf("created %v contact %+v discoveries %d", created, ct, discoveries.Load())
	}
}

func TestEmuContactsUpsertNullChangeEmail(t *testing.T) {
	e := startEmu(t, ddemu.Options{ContactIDBase: 1 << 32})
	c := emuClient(t, e)
	created, err := c.EnsureDataFields(ctx(t), syncFields)
	must(t, err)
	if len(created) != len(syncFields)-2 { // FIRSTNAME, LASTNAME are built in
		t.Errorf("created %v", created)
	}
	again, err := c.EnsureDataFields(ctx(t), syncFields)
	must(t, err)
	if len(again) != 0 {
		t.Errorf("second ensure created %v", again)
	}
	if _, err := c.CreateDataField(ctx(t), dd.DataField{Name: "order_count", Type: "Numeric"}); !errors.Is(err, dd.ErrAlreadyExists) {
		t.Errorf("duplicate data field: %v", err)
	}

	when := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	ct, isNew, err := c.UpsertContact(ctx(t), " Jane.Doe@Example.COM", dd.ContactUpdate{DataFields: map[string]any{
		"FIRSTNAME": "Jane", "LASTNAME": "Doe", "ORDER_COUNT": 2, "TOTAL_SPENT": 99.5, "LAST_ORDER_DATE": when, "IS_VIP": true,
	}})
	must(t, err)
	if !isNew || ct.ContactID <= 1<<32 || ct.Email != "jane.doe@example.com" {
		t.Fatalf("create: new=%v %+v", isNew, ct)
	}
	ct2, isNew, err := c.UpsertContact(ctx(t), "jane.doe@example.com", dd.ContactUpdate{DataFields: map[string]any{"LASTNAME": nil, "ORDER_COUNT": 3}})
	must(t, err)
	if isNew || ct2.ContactID != ct.ContactID {
		t.Fatalf("update: new=%v id %d vs %d", isNew, ct2.ContactID, ct.ContactID)
	}
	got, err := c.GetContact(ctx(t), "JANE.DOE@example.com", dd.WithAllDataFields())
	must(t, err)
	if v := got.DataFields["LASTNAME"]; v != nil {
		t.Errorf("null did not clear LASTNAME: %v", v)
	}
	if got.DataFields["FIRSTNAME"] != "Jane" || got.DataFields["ORDER_COUNT"] != float64(3) || got.DataFields["IS_VIP"] != true {
		t.Errorf("fields %v", got.DataFields)
	}
	info, _ := e.Contact("jane.doe@example.com")
	if _, has := info.DataFields["LASTNAME"]; has {
		t.Errorf("emulator still holds LASTNAME: %v", info.DataFields)
	}

	// Subscription status is never touched: an unsubscribed contact stays so.
	must(t, e.Unsubscribe("gone@example.com"))
	_, _, err = c.UpsertContact(ctx(t), "gone@example.com", dd.ContactUpdate{DataFields: map[string]any{"FIRSTNAME": "G"}})
	must(t, err)
	if info, _ := e.Contact("gone@example.com"); info.Status != "unsubscribed" {
		t.Errorf("status changed to %q", info.Status)
	}
	if s := e.Stats(); s.ChannelStatusWrites != 0 || s.Resubscribes != 0 {
		t.Errorf("status writes %d resubscribes %d", s.ChannelStatusWrites, s.Resubscribes)
	}

	// Email change, then a conflict.
	_, _, err = c.UpsertContact(ctx(t), "other@example.com", dd.ContactUpdate{})
	must(t, err)
	moved, err := c.ChangeEmail(ctx(t), "jane.doe@example.com", "Jane.New@Example.com")
	must(t, err)
	if moved.ContactID != ct.ContactID || moved.Email != "jane.new@example.com" {
		t.Errorf("moved %+v", moved)
	}
	if _, err := c.GetContact(ctx(t), "jane.doe@example.com"); !dd.IsContactNotFound(err) {
		t.Errorf("old email still resolves: %v", err)
	}
	_, err = c.ChangeEmail(ctx(t), "jane.new@example.com", "other@example.com")
	var conflict *dd.EmailConflictError
	if !errors.As(err, &conflict) || !dd.IsConflict(err) || dd.Retryable(err) {
		t.Fatalf("conflict: %T %v", err, err)
	}
	if strings.Contains(err.Error(), "other@example.com") {
		t.Errorf("error leaks email: %v", err)
	}

	// Delete, then not found; an upsert restores from the recycle bin.
	must(t, c.DeleteContact(ctx(t), "other@example.com"))
	if _, err := c.GetContact(ctx(t), "other@example.com"); !errors.Is(err, dd.ErrContactNotFound) {
		t.Errorf("after delete: %v", err)
	}
	if err := c.DeleteContact(ctx(t), "never@example.com"); !dd.IsContactNotFound(err) {
		t.Errorf("delete missing: %v", err)
	}
	if _, _, err := c.UpsertContact(ctx(t), "x@example.com", dd.ContactUpdate{DataFields: map[string]any{"NO_SUCH_FIELD": 1}}); err == nil || dd.Retryable(err) {
		t.Errorf("unknown data field: %v", err)
	}
}

func TestEmuListsAndMembership(t *testing.T) {
	e := startEmu(t, ddemu.Options{})
	c := emuClient(t, e)
	id, err := c.EnsureList(ctx(t), "Customers")
	must(t, err)
	id2, err := c.EnsureList(ctx(t), "Customers")
	must(t, err)
	if id <= 0 || id2 != id {
		t.Fatalf("EnsureList %d then %d", id, id2)
	}
	vip, err := c.CreateAddressBook(ctx(t), "VIP", "")
	must(t, err)
	if _, err := c.CreateAddressBook(ctx(t), "VIP", "Public"); !errors.Is(err, dd.ErrAlreadyExists) {
		t.Errorf("duplicate book: %v", err)
	}
	books, err := c.ListAddressBooks(ctx(t))
	must(t, err)
	names := map[string]int64{}
	for _, b := range books {
		names[b.Name] = b.ID
	}
	if names["Customers"] != id || names["VIP"] != vip.ID {
		t.Errorf("books %v", books)
	}

	ct, _, err := c.UpsertContact(ctx(t), "list@example.com", dd.ContactUpdate{Lists: []int64{id}})
	must(t, err)
	contactID, err := c.AddContactToList(ctx(t), vip.ID, "List@Example.com")
	must(t, err)
	if contactID != ct.ContactID {
		t.Errorf("AddContactToList id %d, contact %d", contactID, ct.ContactID)
	}
	got, err := c.GetContact(ctx(t), "list@example.com", dd.WithLists())
	must(t, err)
	inLists := map[int64]bool{}
	for _, l := range got.Lists {
		inLists[l.ID] = true
	}
	if !inLists[id] || !inLists[vip.ID] {
		t.Errorf("lists %+v", got.Lists)
	}
	must(t, c.RemoveContactFromList(ctx(t), vip.ID, contactID))
	info, _ := e.Contact("list@example.com")
	if len(info.Lists) != 1 || int64(info.Lists[0]) != id {
		t.Errorf("after removal lists %v", info.Lists)
	}
	before := e.Stats().Calls
	if err := c.RemoveContactFromList(ctx(t), id, 0); !errors.Is(err, dd.ErrInvalidArgument) {
		t.Errorf("guard: %v", err)
	}
	if e.Stats().Calls != before {
		t.Error("guarded removal reached the emulator")
	}
	if info, _ := e.Contact("list@example.com"); len(info.Lists) != 1 {
		t.Errorf("list emptied: %v", info.Lists)
	}

	must(t, e.Suppress("blocked@example.com"))
	if _, err := c.AddContactToList(ctx(t), id, "blocked@example.com"); !errors.Is(err, dd.ErrSuppressed) {
		t.Errorf("suppressed: %v", err)
	}
	if _, err := c.AddContactToList(ctx(t), 999999, "a@example.com"); !dd.IsNotFound(err) {
		t.Errorf("missing book: %v", err)
	}
}

func TestEmuContactImport(t *testing.T) {
	e := startEmu(t, ddemu.Options{})
	c := emuClient(t, e)
	_, err := c.EnsureDataFields(ctx(t), syncFields)
	must(t, err)
	listID, err := c.EnsureList(ctx(t), "Customers")
	must(t, err)
	_, _, err = c.UpsertContact(ctx(t), "existing@example.com", dd.ContactUpdate{DataFields: map[string]any{"FIRSTNAME": "Old", "LASTNAME": "Keep"}})
	must(t, err)

	importID, err := c.ImportContacts(ctx(t), []dd.ImportContact{
		{Email: "New1@Example.com", DataFields: map[string]any{"FIRSTNAME": "N1", "ORDER_COUNT": 1}, Lists: []int64{listID}},
		{Email: "existing@example.com", DataFields: map[string]any{"FIRSTNAME": "New", "LASTNAME": nil}},
		{Email: "dup@example.com"},
		{Email: "dup@example.com"},
		{Email: "digits@example.c0m"}, // valid for the client's parser, not for the server (numeric TLD)
	}, dd.MergeOverwrite)
	must(t, err)
	rep, err := c.WaitContactImport(ctx(t), importID, 20*time.Millisecond)
	must(t, err)
	if !rep.Done() || rep.Failed() || rep.ImportID != importID {
		t.Fatalf("report %+v", rep)
	}
	created, ok := rep.Result("new1@example.com")
	if !ok || created.Outcome != dd.OutcomeCreated || created.ContactID <= 0 {
		t.Errorf("created %+v", created)
	}
	updated, ok := rep.Result("EXISTING@example.com")
	if !ok || updated.Outcome != dd.OutcomeUpdated || updated.ContactID <= 0 {
		t.Errorf("updated %+v", updated)
	}
	bad, ok := rep.Result("digits@example.c0m")
	if !ok || bad.Outcome != dd.OutcomeFailed || !bad.HasFailure("INVALIDEMAIL") {
		t.Errorf("invalid email result %+v (all: %+v)", bad, rep.Results)
	}
	dup, ok := rep.Result("dup@example.com")
	if !ok || !(dup.HasFailure(dd.FailureDuplicateIdentifier) || dup.HasFailure(dd.FailureDuplicate)) {
		t.Errorf("duplicate result %+v", dup)
	}
	if rep.Summary.NewContacts < 1 || rep.Summary.UpdatedContacts != 1 {
		t.Errorf("summary %+v", rep.Summary)
	}
	got, err := c.GetContact(ctx(t), "existing@example.com", dd.WithAllDataFields())
	must(t, err)
	if got.DataFields["FIRSTNAME"] != "New" || got.DataFields["LASTNAME"] != nil {
		t.Errorf("import update/null: %v", got.DataFields)
	}

	// Listing: paged iteration, list filter, modified-since.
	var emails []string
	for ct, err := range c.AllContacts(ctx(t), dd.ContactFilter{Limit: 1}) {
		must(t, err)
		emails = append(emails, ct.Email)
	}
	if len(emails) < 3 {
		t.Errorf("AllContacts %v", emails)
	}
	page, err := c.ListContacts(ctx(t), dd.ContactFilter{ListID: listID})
	must(t, err)
	if len(page.Contacts) != 1 || page.Contacts[0].Email != "new1@example.com" {
		t.Errorf("list filter %+v", page.Contacts)
	}
	page, err = c.ListContacts(ctx(t), dd.ContactFilter{ModifiedSince: time.Now().Add(time.Hour)})
	must(t, err)
	if len(page.Contacts) != 0 {
		t.Errorf("modified in the future: %d", len(page.Contacts))
	}

	if _, err := c.ContactImportStatus(ctx(t), "00000000-0000-0000-0000-000000000000"); !errors.Is(err, dd.ErrImportNotFound) {
		t.Errorf("unknown import: %v", err)
	}
}

func TestEmuTooManyActiveImports(t *testing.T) {
	e := startEmu(t, ddemu.Options{ImportDelay: time.Minute})
	c := emuClient(t, e)
	var lastErr error
	for i := range 30 {
		_, lastErr = c.ImportContacts(ctx(t), []dd.ImportContact{{Email: fmt.Sprintf("c%d@example.com", i)}}, "")
		if lastErr != nil {
			break
		}
	}
	var rl *dd.RateLimitedError
	var apiErr *dd.APIError
	if !errors.As(lastErr, &rl) || !errors.As(lastErr, &apiErr) || apiErr.Code != "contacts:tooManyActiveImports" || !dd.Retryable(lastErr) {
		t.Fatalf("26th import: %v", lastErr)
	}
	if rl.RetryAfter <= 0 {
		t.Errorf("RetryAfter %v", rl.RetryAfter)
	}
}

type orderRecord struct {
	ID         string  `json:"id"`
	Status     string  `json:"status"`
	OrderTotal float64 `json:"orderTotal"`
	Currency   string  `json:"currency"`
	Products   []struct {
		SKU string  `json:"sku"`
		Qty int     `json:"qty"`
		Pr  float64 `json:"price"`
	} `json:"products"`
}

func TestEmuInsightSingleRecords(t *testing.T) {
	e := startEmu(t, ddemu.Options{})
	c := emuClient(t, e)
	_, _, err := c.UpsertContact(ctx(t), "buyer@example.com", dd.ContactUpdate{})
	must(t, err)
	rec := orderRecord{ID: "SO42", Status: "sale", OrderTotal: 99.5, Currency: "EUR"}

	_, err = c.PutOrderRecord(ctx(t), "Orders", "buyer@example.com", "SO42", rec)
	if !dd.IsCollectionNotFound(err) || dd.IsContactNotFound(err) || dd.Retryable(err) {
		t.Fatalf("missing collection: %v", err)
	}
	made, err := c.CreateCollection(ctx(t), "Orders", dd.ScopeContact, dd.CollectionTypeOrders)
	must(t, err)
	again, err := c.CreateCollection(ctx(t), "Orders", dd.ScopeContact, dd.CollectionTypeOrders)
	must(t, err)
	if !made || again {
		t.Errorf("CreateCollection %v then %v", made, again)
	}
	isNew, err := c.PutOrderRecord(ctx(t), "Orders", "Buyer@Example.com", "SO42", rec)
	must(t, err)
	rec.Status = "cancel"
	isNew2, err := c.PutOrderRecord(ctx(t), "Orders", "buyer@example.com", "SO42", rec)
	must(t, err)
	if !isNew || isNew2 {
		t.Errorf("put 201/204: %v %v", isNew, isNew2)
	}
	_, err = c.PutOrderRecord(ctx(t), "Orders", "ghost@example.com", "SO43", rec)
	if !dd.IsContactNotFound(err) || dd.IsCollectionNotFound(err) {
		t.Fatalf("missing contact: %v", err)
	}
	var apiErr *dd.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != "insightData:contactNotFound" || apiErr.Status != 404 {
		t.Errorf("contact not found error %+v", apiErr)
	}

	got, err := c.GetContactRecord(ctx(t), "Orders", "buyer@example.com", "SO42")
	must(t, err)
	if got.Key != "SO42" || !strings.Contains(string(got.JSON), `"cancel"`) {
		t.Errorf("record %+v %s", got, got.JSON)
	}
	for i := range 4 {
		_, err := c.PutOrderRecord(ctx(t), "Orders", "buyer@example.com", "SO5"+strconv.Itoa(i), rec)
		must(t, err)
	}
	all, err := c.ListContactRecords(ctx(t), "Orders", "buyer@example.com")
	must(t, err)
	if len(all) != 5 {
		t.Errorf("contact records %d", len(all))
	}
	page, err := c.ListCollectionRecords(ctx(t), "Orders", "", 2)
	must(t, err)
	if len(page.Records) != 2 || page.NextMarker == "" {
		t.Errorf("page %d next %q", len(page.Records), page.NextMarker)
	}
	n := 0
	for _, err := range c.AllCollectionRecords(ctx(t), "Orders", 2) {
		must(t, err)
		n++
	}
	if n != 5 {
		t.Errorf("iterated %d records", n)
	}
	must(t, c.DeleteContactRecord(ctx(t), "Orders", "buyer@example.com", "SO42"))
	if _, err := c.GetContactRecord(ctx(t), "Orders", "buyer@example.com", "SO42"); !errors.Is(err, dd.ErrRecordNotFound) {
		t.Errorf("deleted record: %v", err)
	}
}

func TestEmuInsightImport(t *testing.T) {
	e := startEmu(t, ddemu.Options{})
	c := emuClient(t, e)
	_, _, err := c.UpsertContact(ctx(t), "buyer@example.com", dd.ContactUpdate{})
	must(t, err)
	importID, err := c.ImportInsight(ctx(t), dd.InsightImport{CollectionName: "Orders", Type: dd.CollectionTypeOrders, Records: []dd.InsightRecord{
		{Key: "SO1", Email: "Buyer@Example.com", JSON: orderRecord{ID: "SO1", OrderTotal: 10}},
		{Key: "SO2", Email: "nobody@example.com", JSON: orderRecord{ID: "SO2", OrderTotal: 20}},
	}})
	must(t, err)
	rep, err := c.WaitInsightImport(ctx(t), importID, 20*time.Millisecond)
	must(t, err)
	if !rep.Done() || rep.Summary.TotalImported != 1 || rep.Summary.TotalRejected != 1 {
		t.Fatalf("report %+v", rep)
	}
	missing := rep.MissingContacts()
	if len(missing) != 1 || missing[0].Key != "SO2" || missing[0].Email != "nobody@example.com" {
		t.Fatalf("missing %+v", rep.Failures)
	}
	if err := missing[0].Err(); !dd.IsContactEmailDoesNotExist(err) || !dd.Retryable(err) {
		t.Errorf("record error %v", err)
	}
	// The collection was created by the import: single puts now work.
	isNew, err := c.PutOrderRecord(ctx(t), "Orders", "buyer@example.com", "SO3", orderRecord{ID: "SO3"})
	must(t, err)
	if !isNew {
		t.Error("SO3 must be new")
	}
	if _, err := c.GetContactRecord(ctx(t), "Orders", "buyer@example.com", "SO1"); err != nil {
		t.Errorf("imported record: %v", err)
	}
	if _, err := c.InsightImportStatus(ctx(t), "00000000-0000-0000-0000-000000000000"); !errors.Is(err, dd.ErrImportNotFound) {
		t.Errorf("unknown import: %v", err)
	}
}

// headerRecorder keeps the last X-RateLimit-Reset seen on the wire.
type headerRecorder struct {
	mu    sync.Mutex
	reset string
	at    time.Time
}

func (h *headerRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil {
		h.mu.Lock()
		h.reset, h.at = resp.Header.Get("X-RateLimit-Reset"), time.Now()
		h.mu.Unlock()
	}
	return resp, err
}

func TestEmuRateLimitExhaustion(t *testing.T) {
	for _, format := range []ddemu.ResetFormat{ddemu.ResetDelta, ddemu.ResetEpoch} {
		t.Run(string(format), func(t *testing.T) {
			e := startEmu(t, ddemu.Options{Limits: map[ddemu.Tier]int{ddemu.TierHigh: 5}, Window: 30 * time.Second, ResetFormat: format})
			rec := &headerRecorder{}
			var hookCalls atomic.Int32
			var lowest atomic.Int32
			lowest.Store(1 << 30)
			c := emuClient(t, e, func(cfg *dd.Config) {
				cfg.HTTPClient = &http.Client{Transport: rec}
				cfg.OnRateLimit = func(s dd.RateStatus) {
					hookCalls.Add(1)
					if int32(s.Remaining) < lowest.Load() {
						lowest.Store(int32(s.Remaining))
					}
				}
			})
			var err error
			calls := 0
			for calls = 1; calls <= 10; calls++ {
				if _, err = c.ListDataFields(ctx(t)); err != nil {
					break
				}
			}
			var rl *dd.RateLimitedError
			if !errors.As(err, &rl) {
				t.Fatalf("after %d calls: %v", calls, err)
			}
			// account-info (high tier) + 4 listings succeed, the 5th listing is refused.
			if calls != 5 {
				t.Errorf("refused at call %d", calls)
			}
			rec.mu.Lock()
			reset, seenAt := rec.reset, rec.at
			rec.mu.Unlock()
			n, perr := strconv.ParseInt(reset, 10, 64)
			if perr != nil {
				t.Fatalf("reset header %q", reset)
			}
			var want time.Duration
			if format == ddemu.ResetEpoch {
				want = time.Unix(n, 0).Sub(seenAt)
			} else {
				want = time.Duration(n) * time.Second
			}
			if d := rl.RetryAfter - want; d > 1500*time.Millisecond || d < -1500*time.Millisecond {
				t.Errorf("RetryAfter %v, reset header %q means %v", rl.RetryAfter, reset, want)
			}
			if rl.RetryAfter <= 0 || rl.RetryAfter > 31*time.Second {
				t.Errorf("RetryAfter %v outside the 30 s window", rl.RetryAfter)
			}
			if d, ok := dd.RetryAfter(err); !ok || d != rl.RetryAfter || !dd.Retryable(err) {
				t.Errorf("RetryAfter(err) %v %v", d, ok)
			}
			if rl.Scope == "" {
				t.Error("no scope on the rate-limit error")
			}
			st := c.RateLimit()
			if st.Remaining != 0 || st.Limit != 5 || st.ResetAt.IsZero() || st.Scope != rl.Scope {
				t.Errorf("RateLimit() %+v", st)
			}
			if _, ok := c.RateLimitScopes()[rl.Scope]; !ok {
				t.Errorf("scopes %v", c.RateLimitScopes())
			}
			if hookCalls.Load() < 5 || lowest.Load() != 0 {
				t.Errorf("hook calls %d lowest remaining %d", hookCalls.Load(), lowest.Load())
			}
			// Other tiers are unaffected.
			if _, _, err := c.UpsertContact(ctx(t), "a@example.com", dd.ContactUpdate{}); err != nil {
				t.Errorf("medium tier call: %v", err)
			}
			if e.Stats().Throttled != 1 {
				t.Errorf("emulator throttled %d", e.Stats().Throttled)
			}
		})
	}
}

func TestEmuFlatHourlyCap(t *testing.T) {
	e := startEmu(t, ddemu.Options{FlatHourly: 3, FlatWindow: time.Hour})
	c := emuClient(t, e)
	var err error
	for range 5 {
		if _, err = c.ListDataFields(ctx(t)); err != nil {
			break
		}
	}
	var rl *dd.RateLimitedError
	var apiErr *dd.APIError
	if !errors.As(err, &rl) || !errors.As(err, &apiErr) || apiErr.Code != "ERROR_APIUSAGE_EXCEEDED" || !dd.Retryable(err) {
		t.Fatalf("flat cap: %v", err)
	}
	if rl.RetryAfter <= 0 || rl.RetryAfter > time.Hour {
		t.Errorf("RetryAfter %v", rl.RetryAfter)
	}
}

func TestEmuFaults(t *testing.T) {
	e := startEmu(t, ddemu.Options{})
	c := emuClient(t, e, func(cfg *dd.Config) { cfg.Timeout = 300 * time.Millisecond })
	_, err := c.ListDataFields(ctx(t)) // discover before faults
	must(t, err)

	must(t, e.SetFaults(ddemu.Faults{Fault5xxRate: 1}))
	_, err = c.ListDataFields(ctx(t))
	var apiErr *dd.APIError
	if !errors.As(err, &apiErr) || apiErr.Status < 500 || !dd.Retryable(err) {
		t.Fatalf("v2 5xx: %v", err)
	}
	_, _, err = c.UpsertContact(ctx(t), "a@example.com", dd.ContactUpdate{})
	if !errors.As(err, &apiErr) || apiErr.Status < 500 || !dd.Retryable(err) {
		t.Fatalf("v3 5xx: %v", err)
	}

	must(t, e.SetFaults(ddemu.Faults{TimeoutRate: 1, TimeoutDelay: 10 * time.Second}))
	start := time.Now()
	_, err = c.GetContact(ctx(t), "a@example.com")
	var te *dd.TransportError
	if !errors.As(err, &te) || !te.Timeout || !dd.Retryable(err) {
		t.Fatalf("timeout: %T %v", err, err)
	}
	if time.Since(start) > 3*time.Second {
		t.Errorf("Timeout not honoured: %v", time.Since(start))
	}
	// A gateway 504 (HTML body) when the server gives up first.
	must(t, e.SetFaults(ddemu.Faults{TimeoutRate: 1, TimeoutDelay: 50 * time.Millisecond}))
	_, err = c.GetContact(ctx(t), "a@example.com")
	if !errors.As(err, &apiErr) || apiErr.Status != 504 || !dd.Retryable(err) {
		t.Fatalf("504: %v", err)
	}
	must(t, e.SetFaults(ddemu.Faults{}))
	_, err = c.ListDataFields(ctx(t))
	must(t, err)
}
