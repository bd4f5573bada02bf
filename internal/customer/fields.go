package customer

// Data field names (BRIEF: What goes to Dotdigital). Names are at most 20
// characters of [A-Za-z0-9_-] as Dotdigital requires.
const (
	FieldFirstName      = "FIRSTNAME"
	FieldLastName       = "LASTNAME"
	FieldFullName       = "FULLNAME"
	FieldCountry        = "COUNTRY"
	FieldLanguage       = "LANGUAGE"
	FieldPartnerIDs     = "ODOO_PARTNER_IDS"
	FieldCompanies      = "ODOO_COMPANIES"
	FieldWebsites       = "ODOO_WEBSITES"
	FieldCustomerType   = "CUSTOMER_TYPE"
	FieldCategories     = "CATEGORIES"
	FieldIsVIP          = "IS_VIP"
	FieldOrderCount     = "ORDER_COUNT"
	FieldTotalSpent     = "TOTAL_SPENT"
	FieldFirstOrderDate = "FIRST_ORDER_DATE"
	FieldLastOrderDate  = "LAST_ORDER_DATE"
	FieldLastOrderRef   = "LAST_ORDER_REF"
	FieldAvgOrder       = "AVG_ORDER"
	FieldSyncedAt       = "ODOO_SYNCED_AT"
)

// FieldSpec describes one data field for creation in Dotdigital.
type FieldSpec struct {
	Name  string
	Type  string // String, Numeric, Date, Boolean
	Class Class
}

// Fields lists every data field the sync owns, in a fixed order.
var Fields = []FieldSpec{
	{FieldFirstName, "String", ClassProfile},
	{FieldLastName, "String", ClassProfile},
	{FieldFullName, "String", ClassProfile},
	{FieldCountry, "String", ClassProfile},
	{FieldLanguage, "String", ClassProfile},
	{FieldPartnerIDs, "String", ClassStatus},
	{FieldCompanies, "String", ClassStatus},
	{FieldWebsites, "String", ClassStatus},
	{FieldCustomerType, "String", ClassStatus},
	{FieldCategories, "String", ClassStatus},
	{FieldIsVIP, "Boolean", ClassStatus},
	{FieldOrderCount, "Numeric", ClassOrder},
	{FieldTotalSpent, "Numeric", ClassOrder},
	{FieldFirstOrderDate, "Date", ClassOrder},
	{FieldLastOrderDate, "Date", ClassOrder},
	{FieldLastOrderRef, "String", ClassOrder},
	{FieldAvgOrder, "Numeric", ClassOrder},
	{FieldSyncedAt, "Date", ClassNone},
}

// fieldClass maps a field name to its priority class.
var fieldClass = func() map[string]Class {
	m := make(map[string]Class, len(Fields))
	for _, f := range Fields {
		m[f.Name] = f.Class
	}
	return m
}()

// ClassOf returns the priority class of a data field.
func ClassOf(field string) Class { return fieldClass[field] }
