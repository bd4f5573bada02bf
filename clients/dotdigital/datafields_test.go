package dotdigital

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// dataFieldServer keeps fields like the API: names case-insensitive,
// duplicates refused with ERROR_NON_UNIQUE_DATAFIELD.
func dataFieldServer(t *testing.T, initial ...DataField) (*fake, *[]DataField) {
	var mu sync.Mutex
	fields := append([]DataField(nil), initial...)
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch r.Method {
		case "GET":
			writeJSON(w, 200, fields)
		case "POST":
			var df DataField
			if err := json.NewDecoder(r.Body).Decode(&df); err != nil {
				writeRaw(w, 400, `{"message":"bad"}`)
				return
			}
			for _, ex := range fields {
				if strings.EqualFold(ex.Name, df.Name) {
					writeRaw(w, 400, `{"message":"Field already exists. ERROR_NON_UNIQUE_DATAFIELD"}`)
					return
				}
			}
			df.Name = strings.ToUpper(df.Name)
			fields = append(fields, df)
			writeJSON(w, 201, df)
		}
	})
	return f, &fields
}

func TestCreateDataField(t *testing.T) {
	f, _ := dataFieldServer(t)
	c := f.client(t)
	df, err := c.CreateDataField(ctxT(t), DataField{Name: "odoo_id", Type: "numeric"})
	mustNoErr(t, err)
	if df.Name != "ODOO_ID" || df.Type != "Numeric" || df.Visibility != "Private" {
		t.Errorf("created %+v", df)
	}
	body := decodeBody(t, f.last(t).Body)
	if body["type"] != "Numeric" || body["visibility"] != "Private" || body["name"] != "odoo_id" {
		t.Errorf("body %v", body)
	}
	_, err = c.CreateDataField(ctxT(t), DataField{Name: "ODOO_ID", Type: "Numeric"})
	if !errors.Is(err, ErrAlreadyExists) || Retryable(err) {
		t.Fatalf("duplicate: %v", err)
	}
	before := f.count()
	for _, bad := range []DataField{
		{Name: "", Type: "String"},
		{Name: "TWENTY_ONE_CHARS_LONG", Type: "String"},
		{Name: "HAS SPACE", Type: "String"},
		{Name: "ÜMLAUT", Type: "String"},
		{Name: "OK", Type: "Text"},
		{Name: "OK", Type: "String", Visibility: "Secret"},
		{Name: "email", Type: "String"},
		{Name: "OK", Type: "String", DefaultValue: map[string]int{}},
	} {
		if _, err := c.CreateDataField(ctxT(t), bad); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%+v accepted: %v", bad, err)
		}
	}
	if _, err := c.CreateDataField(ctxT(t), DataField{Name: "TWENTY_CHARS_LONG_OK", Type: "Date", Visibility: "public"}); err != nil {
		t.Errorf("20 chars refused: %v", err)
	}
	if f.count() != before+1 {
		t.Errorf("invalid fields reached the server")
	}
}

func TestEnsureDataFields(t *testing.T) {
	f, fields := dataFieldServer(t, DataField{Name: "FIRSTNAME", Type: "String"}, DataField{Name: "ORDER_COUNT", Type: "String"})
	c := f.client(t)
	created, err := c.EnsureDataFields(ctxT(t), []DataField{
		{Name: "FirstName", Type: "String"},
		{Name: "ORDER_COUNT", Type: "Numeric"},
		{Name: "TOTAL_SPENT", Type: "Numeric"},
		{Name: "total_spent", Type: "Numeric"}, // duplicate in the input
		{Name: "LAST_ORDER_DATE", Type: "Date"},
	})
	mustNoErr(t, err)
	if strings.Join(created, ",") != "TOTAL_SPENT,LAST_ORDER_DATE" || len(*fields) != 4 {
		t.Errorf("created %v, server has %v", created, *fields)
	}
	// Second run creates nothing and makes one call (the listing).
	before := f.count()
	created, err = c.EnsureDataFields(ctxT(t), []DataField{{Name: "TOTAL_SPENT", Type: "Numeric"}})
	mustNoErr(t, err)
	if len(created) != 0 || f.count() != before+1 {
		t.Errorf("second run created %v with %d calls", created, f.count()-before)
	}
	// Invalid input: nothing is sent.
	before = f.count()
	if _, err := c.EnsureDataFields(ctxT(t), []DataField{{Name: "GOOD", Type: "String"}, {Name: "BAD NAME", Type: "String"}}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("got %v", err)
	}
	if f.count() != before {
		t.Error("validation must precede any request")
	}
}

func TestEnsureDataFieldsRaceAlreadyExists(t *testing.T) {
	// The listing does not show the field, but creating says it exists
	// (created concurrently): that counts as present.
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "GET" {
			writeRaw(w, 200, `[]`)
			return
		}
		writeRaw(w, 400, `{"message":"Field already exists. ERROR_NON_UNIQUE_DATAFIELD"}`)
	})
	created, err := f.client(t).EnsureDataFields(ctxT(t), []DataField{{Name: "X", Type: "String"}})
	if err != nil || len(created) != 0 {
		t.Fatalf("created %v err %v", created, err)
	}
	// Any other failure is returned.
	g := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "GET" {
			writeRaw(w, 200, `[]`)
			return
		}
		writeRaw(w, 400, `{"message":"Error: ERROR_DATAFIELD_LIMITEXCEEDED"}`)
	})
	if _, err := g.client(t).EnsureDataFields(ctxT(t), []DataField{{Name: "X", Type: "String"}}); err == nil {
		t.Fatal("limit exceeded must be an error")
	}
}
