package termsafe

import (
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// dangerous reports whether s holds anything a terminal may act on: a
// control character (C0, DEL, C1), a Unicode format character (the bidi
// overrides and isolates among them), or a byte that is not UTF-8 (0x9b
// alone is CSI to an 8-bit terminal).
func dangerous(s string, keep func(rune) bool) bool {
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		if r == utf8.RuneError && n == 1 {
			return true
		}
		if !keep(r) && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r)) {
			return true
		}
		s = s[n:]
	}
	return false
}

func never(rune) bool   { return false }
func lines(r rune) bool { return r == '\n' || r == '\t' }

var hostile = []string{
	"lib\x1b[31mevil.so",
	"\x1b]0;owned\x07title",
	"a\rb", "a\bb", "nul\x00", "del\x7f",
	"c1\u009b31m", "raw\x9b31m",
	"right\u202Eto-left", "iso\u2066late\u2069", "mark\u200f", "zw\u200bsp",
	"line\nbreak", "tab\tbed",
}

func TestStringEscapesEveryControl(t *testing.T) {
	for _, in := range hostile {
		out := String(in)
		if dangerous(out, never) {
			t.Errorf("String(%q) = %q still holds a control", in, out)
		}
		if out == in {
			t.Errorf("String(%q) left it as it was", in)
		}
	}
}

func TestMessageKeepsLinesOnly(t *testing.T) {
	for _, in := range hostile {
		out := Message(in)
		if dangerous(out, lines) {
			t.Errorf("Message(%q) = %q still holds a control", in, out)
		}
		want := strings.ContainsAny(in, "\n\t") && !dangerous(in, lines)
		if (out == in) != want {
			t.Errorf("Message(%q) = %q", in, out)
		}
	}
}

func TestPlainTextUnchanged(t *testing.T) {
	for _, in := range []string{"", "libz.so.1", "stdenv.cc.cc.lib", "/tmp/dir with space/x-1.0-py3-none-any.whl", "naïve-ünïcode_名前.so", `back\slash`} {
		if got := String(in); got != in {
			t.Errorf("String(%q) = %q, want it unchanged", in, got)
		}
		if got := Message(in); got != in {
			t.Errorf("Message(%q) = %q, want it unchanged", in, got)
		}
	}
}

// The escapes name the characters they replace, so a reader can tell what
// was there: each is the escape Go's own quoting uses for that character,
// which for these inputs (free of quotes and backslashes) is all it changes.
func TestEscapesNameTheBytes(t *testing.T) {
	for _, in := range append([]string{"tag\U000e0001"}, hostile...) {
		want := strings.Trim(strconv.Quote(in), `"`)
		if got := String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
}
