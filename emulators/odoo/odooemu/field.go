package odooemu

// ftype is an Odoo field type.
type ftype uint8

const (
	fChar ftype = iota
	fText
	fHTML
	fSelection
	fInteger
	fFloat
	fMonetary
	fBoolean
	fMany2one
	fOne2many
	fMany2many
	fDate
	fDatetime
	fBinary
)

var ftypeNames = [...]string{"char", "text", "html", "selection", "integer", "float", "monetary",
	"boolean", "many2one", "one2many", "many2many", "date", "datetime", "binary"}

func (t ftype) String() string { return ftypeNames[t] }

func (t ftype) isString() bool {
	return t == fChar || t == fText || t == fHTML || t == fSelection || t == fDate || t == fBinary
}

func (t ftype) isX2many() bool { return t == fOne2many || t == fMany2many }

func (t ftype) isRelational() bool { return t == fMany2one || t.isX2many() }

// field describes one field of a model. Stored fields have a column;
// the others are computed on read (compute) and searched through searchAs.
type field struct {
	name      string
	typ       ftype
	label     string
	help      string
	relation  string
	inverse   string // one2many: many2one on relation; non-stored many2many: many2many on relation
	selection [][2]string
	required  bool
	readonly  bool
	stored    bool
	indexed   bool
	ondelete  string // many2one: "set null", "restrict", "cascade"
	col       column
	compute   func(c *callCtx, m *model, r int32) any
	searchAs  string // non-stored fields: search this path instead
	sortAs    string // non-stored fields: order by this field instead
	digits    int    // float rounding (0 = none)
}

func (f *field) isComputed() bool { return !f.stored }

func (f *field) selectionLabel(v string) string {
	for _, kv := range f.selection {
		if kv[0] == v {
			return kv[1]
		}
	}
	return v
}

func (f *field) hasSelection(v string) bool {
	for _, kv := range f.selection {
		if kv[0] == v {
			return true
		}
	}
	return false
}

// fieldBuilder declares a model's fields compactly.
type fieldBuilder struct{ m *model }

func (b fieldBuilder) add(f *field) *field {
	m := b.m
	if f.stored && f.col == nil {
		switch f.typ {
		case fInteger, fMany2one:
			f.col = &intCol{}
		case fFloat, fMonetary:
			f.col = &floatCol{}
		case fBoolean:
			f.col = &boolCol{}
		case fDatetime:
			f.col = &timeCol{}
		case fMany2many:
			f.col = &idsCol{}
		default:
			f.col = &strCol{}
		}
	}
	if _, dup := m.fields[f.name]; !dup {
		m.fieldList = append(m.fieldList, f)
	}
	m.fields[f.name] = f
	return f
}

func (b fieldBuilder) char(name, label string) *field {
	return b.add(&field{name: name, typ: fChar, label: label, stored: true})
}
func (b fieldBuilder) text(name, label string) *field {
	return b.add(&field{name: name, typ: fText, label: label, stored: true})
}
func (b fieldBuilder) html(name, label string) *field {
	return b.add(&field{name: name, typ: fHTML, label: label, stored: true})
}
func (b fieldBuilder) sel(name, label string, sel [][2]string) *field {
	return b.add(&field{name: name, typ: fSelection, label: label, stored: true, selection: sel})
}
func (b fieldBuilder) integer(name, label string) *field {
	return b.add(&field{name: name, typ: fInteger, label: label, stored: true})
}
func (b fieldBuilder) float(name, label string, digits int) *field {
	return b.add(&field{name: name, typ: fFloat, label: label, stored: true, digits: digits})
}
func (b fieldBuilder) monetary(name, label string) *field {
	return b.add(&field{name: name, typ: fMonetary, label: label, stored: true, digits: 2})
}
func (b fieldBuilder) boolean(name, label string) *field {
	return b.add(&field{name: name, typ: fBoolean, label: label, stored: true})
}
func (b fieldBuilder) datetime(name, label string) *field {
	return b.add(&field{name: name, typ: fDatetime, label: label, stored: true})
}
func (b fieldBuilder) date(name, label string) *field {
	return b.add(&field{name: name, typ: fDate, label: label, stored: true})
}
func (b fieldBuilder) m2o(name, label, rel string) *field {
	return b.add(&field{name: name, typ: fMany2one, label: label, stored: true, relation: rel})
}
func (b fieldBuilder) m2m(name, label, rel string) *field {
	return b.add(&field{name: name, typ: fMany2many, label: label, stored: true, relation: rel})
}
func (b fieldBuilder) o2m(name, label, rel, inverse string) *field {
	return b.add(&field{name: name, typ: fOne2many, label: label, relation: rel, inverse: inverse})
}

// reverseM2m is the other side of a stored many2many (e.g. tag.partner_ids).
func (b fieldBuilder) reverseM2m(name, label, rel, inverse string) *field {
	return b.add(&field{name: name, typ: fMany2many, label: label, relation: rel, inverse: inverse})
}

func (b fieldBuilder) computed(name, label string, t ftype, fn func(c *callCtx, m *model, r int32) any) *field {
	return b.add(&field{name: name, typ: t, label: label, compute: fn, readonly: true})
}

// logAccess adds create/write uid and date, as every Odoo model has.
func (b fieldBuilder) logAccess() {
	b.m2o("create_uid", "Created by", "res.users").readonly = true
	b.datetime("create_date", "Created on").readonly = true
	b.m2o("write_uid", "Last Updated by", "res.users").readonly = true
	b.datetime("write_date", "Last Updated on").readonly = true
}
