package odoo

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
)

// Version is the Odoo server version, e.g. 17.0 or saas~17.2 (Major 17, Minor 2).
type Version struct {
	Major, Minor int
	// Raw is server_version as reported (e.g. "17.0+e", "saas~17.2").
	Raw string
}

func (v Version) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// AtLeast reports whether v >= major.minor. SaaS releases (x.1-x.4) carry
// changes that reach the next major, so minors matter.
func (v Version) AtLeast(major, minor int) bool {
	return v.Major > major || v.Major == major && v.Minor >= minor
}

// ConfirmedStates lists the sale.order states that mean "confirmed":
// sale and done up to 16.0; only sale from 16.4 on (done became locked).
func (v Version) ConfirmedStates() []string {
	if v.HasDoneState() {
		return []string{"sale", "done"}
	}
	return []string{"sale"}
}

// HasDoneState: sale.order.state has "done" (16.0 and older; PR#115871, 16.4).
func (v Version) HasDoneState() bool { return !v.AtLeast(16, 4) }

// HasLockedField: sale.order.locked exists (16.4+).
func (v Version) HasLockedField() bool { return v.AtLeast(16, 4) }

// HasPartnerMobile: res.partner.mobile exists (removed in 18.2, PR#189739).
func (v Version) HasPartnerMobile() bool { return !v.AtLeast(18, 2) }

// HasPrivateType: res.partner.type has "private" (removed in 16.4, PR#120586).
func (v Version) HasPrivateType() bool { return !v.AtLeast(16, 4) }

// LineUoMField is the sale.order.line unit-of-measure field: product_uom,
// renamed product_uom_id in 18.1 (PR#186250).
func (v Version) LineUoMField() string {
	if v.AtLeast(18, 1) {
		return "product_uom_id"
	}
	return "product_uom"
}

var versionNumber = regexp.MustCompile(`(\d{1,4})(?:\.(\d{1,4}))?`)

// ParseVersion reads a server_version or server_serie string: "17.0",
// "17.0+e", "16.0-20231101", "saas~17.2", "saas-17.1+e".
func ParseVersion(s string) (Version, error) {
	m := versionNumber.FindStringSubmatch(s)
	if m == nil {
		return Version{}, fmt.Errorf("no version number in %q", shorten(s, 40))
	}
	major, _ := strconv.Atoi(m[1])
	minor := 0
	if m[2] != "" {
		minor, _ = strconv.Atoi(m[2])
	}
	if major < 8 || major > 99 {
		return Version{}, fmt.Errorf("implausible major version %d", major)
	}
	return Version{Major: major, Minor: minor, Raw: s}, nil
}

// versionFromInfo reads the struct returned by common.version():
// server_version_info is [17, 0, 0, "final", 0, ""] or, on SaaS builds,
// ["saas~17", 2, 0, "final", 0, "e"]; server_version/server_serie back it up.
func versionFromInfo(raw any) (Version, error) {
	m, ok := raw.(map[string]any)
	if !ok {
		return Version{}, errors.New("common.version() did not return a struct")
	}
	str, _ := m["server_version"].(string)
	if info, ok := m["server_version_info"].([]any); ok && len(info) >= 2 {
		var v Version
		var err error
		switch first := info[0].(type) {
		case int64:
			v.Major = int(first)
		case string:
			v, err = ParseVersion(first)
		default:
			err = errors.New("unexpected server_version_info")
		}
		if minor, ok := info[1].(int64); ok && err == nil && v.Major >= 8 && v.Major <= 99 {
			v.Minor, v.Raw = int(minor), str
			if v.Raw == "" {
				v.Raw = v.String()
			}
			return v, nil
		}
	}
	for _, key := range []string{"server_version", "server_serie"} {
		if s, _ := m[key].(string); s != "" {
			if v, err := ParseVersion(s); err == nil {
				v.Raw = s
				return v, nil
			}
		}
	}
	return Version{}, errors.New("cannot tell the server version from common.version()")
}
