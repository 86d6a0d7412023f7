package pep440

import (
	"strings"
	"testing"
)

// FuzzParse checks that parsing never panics, that the normalised form
// parses back to an equal version with the same text, and that Compare is
// consistent with Key.
func FuzzParse(f *testing.F) {
	for _, s := range pkgOrderedVersions {
		f.Add(s, "1.0")
	}
	for _, c := range pkgNormalized {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		va, err := Parse(a)
		if err != nil {
			return
		}
		again, err := Parse(va.String())
		if err != nil || again.String() != va.String() || !again.Equal(va) {
			t.Fatalf("%q normalises to %q which does not round-trip", a, va.String())
		}
		vb, err := Parse(b)
		if err != nil {
			return
		}
		c := va.Compare(vb)
		if c != -vb.Compare(va) {
			t.Fatalf("Compare(%q,%q) not antisymmetric", a, b)
		}
		if (c == 0) != (va.Key() == vb.Key()) {
			t.Fatalf("Compare(%q,%q)=%d but keys %q %q", a, b, c, va.Key(), vb.Key())
		}
	})
}

// FuzzSpecifiers checks that parsing never panics, that String re-parses
// to a set with the same meaning, and that a matching version is never
// rejected by Contains with pre-releases allowed.
func FuzzSpecifiers(f *testing.F) {
	for _, s := range pkgValidSpecifiers {
		f.Add(s, "1.0")
	}
	for _, c := range pkgSpecifierMatch {
		f.Add(c.spec, c.v)
	}
	f.Fuzz(func(t *testing.T, spec, version string) {
		ss, err := ParseSpecifiers(spec)
		if err != nil {
			return
		}
		back, err := ParseSpecifiers(ss.String())
		if err != nil {
			t.Fatalf("%q prints as %q which does not parse: %v", spec, ss.String(), err)
		}
		v, err := Parse(version)
		if err != nil {
			return
		}
		if ss.Matches(v) != back.Matches(v) && !strings.Contains(spec, "===") {
			t.Fatalf("%q and its printed form %q disagree on %q", spec, ss.String(), version)
		}
		if ss.Matches(v) != ss.Contains(v, true) {
			t.Fatalf("Matches and Contains(true) disagree for %q on %q", spec, version)
		}
	})
}

// FuzzPlainRelease checks that what PlainRelease accepts parses and is
// its own normal form, so that callers may skip parsing it.
func FuzzPlainRelease(f *testing.F) {
	for _, s := range []string{"1.18.1", "0", "0.0.1", "01", "1..2", "1.", ".1", "123456789", "1234567890", "1.0a1", "", "1.00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !PlainRelease(s) {
			return
		}
		v, err := Parse(s)
		if err != nil || v.String() != s {
			t.Fatalf("PlainRelease(%q) but Parse gives %q, %v", s, v.String(), err)
		}
	})
}

func TestPlainRelease(t *testing.T) {
	for s, want := range map[string]bool{"1.18.1": true, "0": true, "0.0.1": true, "10.20": true, "123456789": true,
		"01": false, "1.00": false, "1..2": false, "1.": false, ".1": false, "": false, "1234567890": false, "1.0a1": false, "v1": false, "1.0+local": false} {
		if PlainRelease(s) != want {
			t.Errorf("PlainRelease(%q) = %v", s, !want)
		}
	}
}
