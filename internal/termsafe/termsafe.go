// Package termsafe escapes untrusted text before it is printed for a
// person. Sonames, entry names, file names and versions come from wheels
// and indexes that anyone can write; printed raw, an escape sequence in one
// can recolour, retitle or rewrite the terminal, and a bidi override can
// make a line read differently from what it holds.
//
// Every character a terminal may act on is replaced by the escape Go's
// quoting gives it (\x1b, \u202e, \x9b for a byte that is not UTF-8);
// printable text, including non-ASCII letters, is left as it is, so honest
// names print unchanged. JSON output needs none of this: encoding/json
// escapes on its own.
package termsafe

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// String escapes every non-printable character of s, line breaks and tabs
// included: for one value inside a line (a soname, a path, a cell of a
// table).
func String(s string) string { return escape(s, false) }

// Message escapes like String but keeps line breaks and tabs: for whole
// messages, which may span lines.
func Message(s string) string { return escape(s, true) }

func escape(s string, keepLines bool) string {
	if clean(s, keepLines) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteString(`\x`)
			b.WriteString(strconv.FormatUint(uint64(s[i])>>4, 16))
			b.WriteString(strconv.FormatUint(uint64(s[i])&15, 16))
		case keep(r, keepLines):
			b.WriteString(s[i : i+n])
		default:
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += n
	}
	return b.String()
}

func clean(s string, keepLines bool) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || !keep(r, keepLines) {
			return false
		}
		i += n
	}
	return true
}

// keep reports whether r may reach a terminal as it is. strconv.IsPrint
// leaves out controls and the format characters (Cf), which hold the bidi
// overrides and isolates.
func keep(r rune, keepLines bool) bool {
	return strconv.IsPrint(r) || (keepLines && (r == '\n' || r == '\t'))
}
