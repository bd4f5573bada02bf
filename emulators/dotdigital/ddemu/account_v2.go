package ddemu

import (
	"net/http"
	"strconv"
	"time"
)

type accountProperty struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Value string `json:"value"`
}

// GET /v2/account-info : the example's properties, with live API usage and
// ApiEndpoint pointing back at the emulator (with the trailing slash real
// accounts report, so clients must trim it).
func (e *Emulator) accountInfo(w http.ResponseWriter, r *http.Request, _ params) {
	lastHour, remaining := e.lim.usage(time.Now())
	props := []accountProperty{
		{"AvailableEmailSendsCredits", "Int", "153"},
		{"AvailableSmsSendsCredits", "Int", "276"},
		{"PremiumWalletBalance", "Decimal", "100.01"},
		{"ListManagedUsers", "String", ""},
		{"Name", "String", "Demo"},
		{"MainMobilePhoneNumber", "String", "01818181818"},
		{"MainEmail", "String", "demo@apiconnector.com"},
		{"APILocale", "String", "en-GB"},
		{"ApiCallsInLastHour", "Int", strconv.Itoa(lastHour)},
		{"ApiCallsRemaining", "Int", strconv.Itoa(remaining)},
		{"ApiEndpoint", "String", e.baseURL(r) + "/"},
		{"CurrencyCode", "String", "GBP"},
		{"CampaignEmailMtaPool", "String", "IP pool for Email campaigns"},
		{"ShowClock", "Boolean", "False"},
		{"TimeZoneIana", "String", "Europe/London"},
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": 1, "properties": props})
}

// GET /v2/server-time : the server's UTC time as a JSON string.
func (e *Emulator) serverTime(w http.ResponseWriter, _ *http.Request, _ params) {
	writeJSON(w, http.StatusOK, time.Now().UTC().Format("2006-01-02T15:04:05.0000000Z"))
}

// POST /v2/accounts/empty-recycle-bin : purge binned contacts for good.
func (e *Emulator) emptyRecycleBin(w http.ResponseWriter, _ *http.Request, _ params) {
	e.st.mu.Lock()
	var binned []*contact // collected first: purging compacts e.st.order
	for _, c := range e.st.order {
		if c.binned && !c.purged {
			binned = append(binned, c)
		}
	}
	for _, c := range binned {
		e.st.purge(c)
	}
	e.st.mu.Unlock()
	writeEmpty(w, http.StatusAccepted)
}
