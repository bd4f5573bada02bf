package ddemu

// Response shapes of v3 contacts (OAS-C3 "contact"): PascalCase enums in
// responses, every data field present (null when unset).

type identifiersOut struct {
	Email        string `json:"email,omitempty"`
	MobileNumber string `json:"mobileNumber,omitempty"`
}

type emailChannelOut struct {
	EmailType string `json:"emailType"`
	OptInType string `json:"optInType"`
	Status    string `json:"status"`
}

type smsChannelOut struct {
	CountryCode string `json:"countryCode"`
	Status      string `json:"status"`
}

type channelOut struct {
	Email emailChannelOut `json:"email"`
	SMS   *smsChannelOut  `json:"sms,omitempty"`
}

type listOut struct {
	ID     int    `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"`
}

type contactOut struct {
	ContactID         int64           `json:"contactId"`
	Status            string          `json:"status"`
	Created           string          `json:"created"`
	Updated           string          `json:"updated"`
	Identifiers       identifiersOut  `json:"identifiers"`
	DataFields        map[string]any  `json:"dataFields,omitempty"`
	ChannelProperties *channelOut     `json:"channelProperties,omitempty"`
	Lists             *[]listOut      `json:"lists,omitempty"`
	ConsentRecords    []consentRecord `json:"consentRecords,omitempty"`
}

// renderOpts selects the optional parts of a rendered contact.
type renderOpts struct {
	allFields bool
	fields    []*dataField // when !allFields
	channel   bool
	lists     bool
	consent   bool
}

var fullContact = renderOpts{allFields: true, channel: true, lists: true, consent: true}

// contactRef is the OAS-C3 contactReference of import reports.
type contactRef struct {
	ContactID   int64          `json:"contactId"`
	Identifiers identifiersOut `json:"identifiers"`
}

func (c *contact) ref() contactRef {
	return contactRef{ContactID: c.id, Identifiers: identifiersOut{Email: c.email, MobileNumber: c.mobile}}
}

// render builds the response form of c; call with the store lock held.
func (s *store) render(c *contact, o renderOpts) contactOut {
	out := contactOut{
		ContactID: c.id, Status: c.topStatus(), Created: formatTime(c.created), Updated: formatTime(c.updated),
		Identifiers: identifiersOut{Email: c.email, MobileNumber: c.mobile},
	}
	fields := o.fields
	if o.allFields {
		fields = s.sortedFields()
	}
	if len(fields) > 0 {
		out.DataFields = make(map[string]any, len(fields))
		for _, f := range fields {
			out.DataFields[f.name] = renderValue(c.value(f))
		}
	}
	if o.channel {
		ch := &channelOut{Email: emailChannelOut{EmailType: c.emailType, OptInType: c.optInType, Status: c.emailStatus}}
		if c.mobile != "" {
			ch.SMS = &smsChannelOut{Status: c.smsStatus}
		}
		out.ChannelProperties = ch
	}
	if o.lists {
		ls := make([]listOut, 0, len(c.lists))
		for _, id := range c.lists {
			if b := s.books[id]; b != nil {
				ls = append(ls, listOut{ID: b.id, Name: b.name, Status: b.members[c.id]})
			}
		}
		out.Lists = &ls
	}
	if o.consent && len(c.consent) > 0 {
		out.ConsentRecords = append([]consentRecord(nil), c.consent...)
	}
	return out
}
