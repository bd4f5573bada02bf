package ddemu

import "strings"

// normaliseEmail trims and lower-cases; the emulator stores and matches
// emails lower-cased (the reference recommends it; real behaviour UNCONFIRMED).
func normaliseEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// validEmail applies the checks a mail platform makes before accepting an
// address: plain ASCII local@domain, dot-atom local part, at least two DNS
// labels, an alphabetic TLD. Quoted local parts, IP literals and
// internationalised addresses are refused.
func validEmail(s string) bool {
	if len(s) < 6 || len(s) > 254 {
		return false
	}
	at := strings.IndexByte(s, '@')
	if at <= 0 || at != strings.LastIndexByte(s, '@') {
		return false
	}
	local, domain := s[:at], s[at+1:]
	if len(local) > 64 || local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return false
	}
	for i := 0; i < len(local); i++ {
		if !localChar(local[i]) {
			return false
		}
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(isAlnum(c) || c == '-') {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	if len(tld) < 2 {
		return false
	}
	for i := 0; i < len(tld); i++ {
		if !isAlpha(tld[i]) {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlnum(c byte) bool { return isAlpha(c) || isDigit(c) }

func localChar(c byte) bool {
	return isAlnum(c) || strings.IndexByte("!#$%&'*+/=?^_`{|}~.-", c) >= 0
}

// normaliseMobile strips a leading + and spaces; valid numbers are E.164: 7-15 digits.
func normaliseMobile(s string) (string, bool) {
	s = strings.TrimPrefix(strings.ReplaceAll(strings.TrimSpace(s), " ", ""), "+")
	if len(s) < 7 || len(s) > 15 || s[0] == '0' {
		return s, false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return s, false
		}
	}
	return s, true
}
