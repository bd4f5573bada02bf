package ddemu

import "net/http"

// routes is the API surface and each endpoint's call-rate tier. Tier choice
// (UNCONFIRMED per endpoint; the docs say calls that import or return a lot
// of data are usually Low): bulk imports, bulk deletes and listings are low;
// single-contact and single-record writes are medium; single reads, job
// status polls and account info are high.
func (e *Emulator) routes() *router {
	rt := &router{}
	const (
		low, medium, high = TierLow, TierMedium, TierHigh
		v2, cv3, iv3      = apiV2, apiContactsV3, apiInsightV3
		get, post, put    = http.MethodGet, http.MethodPost, http.MethodPut
		patch, del        = http.MethodPatch, http.MethodDelete
	)

	// v2 account and utilities
	rt.add(get, "/v2/account-info", high, v2, e.accountInfo)
	rt.add(get, "/v2/server-time", high, v2, e.serverTime)
	rt.add(post, "/v2/accounts/empty-recycle-bin", medium, v2, e.emptyRecycleBin)

	// v2 data fields
	rt.add(get, "/v2/data-fields", high, v2, e.listDataFields)
	rt.add(post, "/v2/data-fields", medium, v2, e.createDataField)
	rt.add(del, "/v2/data-fields/{name}", medium, v2, e.deleteDataField)

	// v2 address books
	rt.add(get, "/v2/address-books", high, v2, e.listBooks)
	rt.add(post, "/v2/address-books", medium, v2, e.createBook)
	rt.add(get, "/v2/address-books/{id}", high, v2, e.getBook)
	rt.add(put, "/v2/address-books/{id}", medium, v2, e.updateBook)
	rt.add(del, "/v2/address-books/{id}", medium, v2, e.deleteBook)
	rt.add(get, "/v2/address-books/{id}/contacts", low, v2, e.bookContacts)
	rt.add(post, "/v2/address-books/{id}/contacts", medium, v2, e.addBookContact)
	rt.add(del, "/v2/address-books/{id}/contacts", low, v2, e.emptyBookNow)
	rt.add(del, "/v2/address-books/{id}/contacts/{contactId}", medium, v2, e.removeBookContact)
	rt.add(post, "/v2/address-books/{id}/contacts/delete", low, v2, e.deleteBookContacts)
	rt.add(post, "/v2/address-books/{id}/contacts/delete-all", low, v2, e.deleteAllBookContacts)

	// v2 contacts
	rt.add(post, "/v2/contacts", medium, v2, e.upsertContactV2)
	rt.add(get, "/v2/contacts/{idOrEmail}", high, v2, e.getContactV2)
	rt.add(del, "/v2/contacts/{idOrEmail}", medium, v2, e.deleteContactV2)
	rt.add(get, "/v2/contacts/{idOrEmail}/address-books", high, v2, e.contactBooksV2)
	rt.add(post, "/v2/contacts/unsubscribe", medium, v2, e.unsubscribeContactV2)
	rt.add(get, "/v2/contacts/suppressed-since/{date}", low, v2, e.optedOutSinceV2(false))
	rt.add(get, "/v2/contacts/unsubscribed-since/{date}", low, v2, e.optedOutSinceV2(true))

	// v3 contacts
	rt.add(get, "/contacts/v3", low, cv3, e.listContactsV3)
	rt.add(post, "/contacts/v3", medium, cv3, e.createContactV3)
	rt.add(put, "/contacts/v3/import", low, cv3, e.importContactsV3)
	rt.add(get, "/contacts/v3/import/{importId}", high, cv3, e.importStatusV3)
	rt.add(post, "/contacts/v3/delete", low, cv3, e.bulkDeleteV3)
	rt.add(get, "/contacts/v3/delete/{deleteId}", high, cv3, e.deleteStatusV3)
	rt.add(get, "/contacts/v3/{identifier}/{value}", high, cv3, e.getContactV3)
	rt.add(patch, "/contacts/v3/{identifier}/{value}", medium, cv3, e.patchContactV3)
	rt.add(put, "/contacts/v3/{identifier}/{value}", medium, cv3, e.replaceContactV3)
	rt.add(del, "/contacts/v3/{identifier}/{value}", medium, cv3, e.deleteContactV3)

	// v3 Insight data
	rt.add(put, "/insightData/v3/import", low, iv3, e.importInsightV3)
	rt.add(get, "/insightData/v3/import/{importId}", high, iv3, e.insightImportStatus)
	rt.add(get, "/insightData/v3/async/{jobId}", high, iv3, e.asyncStatus)
	rt.add(get, "/insightData/v3/collections", high, iv3, e.listCollections(""))
	rt.add(post, "/insightData/v3/collections/{collection}", medium, iv3, e.createCollection)
	rt.add(del, "/insightData/v3/collections/{collection}", medium, iv3, e.dropCollection(true))
	rt.add(del, "/insightData/v3/collections/{collection}/empty", medium, iv3, e.dropCollection(false))
	rt.add(get, "/insightData/v3/account", high, iv3, e.listCollections(scopeAccount))
	rt.add(get, "/insightData/v3/account/{collection}", low, iv3, e.listCollectionRecords(scopeAccount))
	rt.add(get, "/insightData/v3/account/{collection}/{recordId}", high, iv3, e.getAccountRecord)
	rt.add(put, "/insightData/v3/account/{collection}/{recordId}", medium, iv3, e.putAccountRecord)
	rt.add(del, "/insightData/v3/account/{collection}/{recordId}", medium, iv3, e.deleteAccountRecord)
	rt.add(del, "/insightData/v3/accounts/{collection}/deleteRecords", medium, iv3, e.deleteAccountRecords)
	rt.add(get, "/insightData/v3/contacts/{collection}", low, iv3, e.listCollectionRecords(scopeContact))
	rt.add(get, "/insightData/v3/contacts/{identifier}/{value}", high, iv3, e.contactCollections)
	rt.add(get, "/insightData/v3/contacts/{identifier}/{value}/{collection}", high, iv3, e.listContactRecords)
	rt.add(get, "/insightData/v3/contacts/{identifier}/{value}/{collection}/{recordId}", high, iv3, e.getContactRecord)
	rt.add(put, "/insightData/v3/contacts/{identifier}/{value}/{collection}/{recordId}", medium, iv3, e.putContactRecord)
	rt.add(del, "/insightData/v3/contacts/{identifier}/{value}/{collection}/{recordId}", medium, iv3, e.deleteContactRecord)
	rt.add(del, "/insightData/v3/contacts/{identifier}/{value}/{collection}/deleteRecords", medium, iv3, e.deleteContactRecords)
	rt.add(del, "/insightData/v3/contacts/{identifier}/{value}/{collection}/empty", medium, iv3, e.emptyContactCollection)
	return rt
}

// RouteTier reports the tier of each route, keyed like Stats.ByRoute (for docs and tests).
func (e *Emulator) RouteTier() map[string]Tier {
	out := make(map[string]Tier, len(e.router.routes))
	for _, r := range e.router.routes {
		out[r.name] = r.tier
	}
	return out
}
