package odooemu

import (
	"strings"
	"unicode/utf8"
)

// likeMatch implements SQL LIKE: % any run, _ one character, backslash
// escapes. Odoo passes like/ilike values through unescaped, so user % and _
// are wildcards too.
func likeMatch(s, pattern string) bool {
	// Iterative matcher with backtracking on the last %.
	var si, pi int
	starP, starS := -1, 0
	for si < len(s) {
		if pi < len(pattern) {
			pc, pw := utf8.DecodeRuneInString(pattern[pi:])
			switch pc {
			case '%':
				starP, starS = pi, si
				pi += pw
				continue
			case '_':
				_, sw := utf8.DecodeRuneInString(s[si:])
				si += sw
				pi += pw
				continue
			case '\\':
				if pi+pw < len(pattern) {
					ec, ew := utf8.DecodeRuneInString(pattern[pi+pw:])
					sc, sw := utf8.DecodeRuneInString(s[si:])
					if ec == sc {
						si += sw
						pi += pw + ew
						continue
					}
				}
			default:
				sc, sw := utf8.DecodeRuneInString(s[si:])
				if pc == sc {
					si += sw
					pi += pw
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		_, sw := utf8.DecodeRuneInString(s[starS:])
		starS += sw
		si = starS
		pi = starP + 1
	}
	for pi < len(pattern) && pattern[pi] == '%' {
		pi++
	}
	return pi == len(pattern)
}

func ilikeMatch(s, pattern string) bool {
	return likeMatch(strings.ToLower(s), strings.ToLower(pattern))
}
