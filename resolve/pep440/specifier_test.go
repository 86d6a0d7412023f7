package pep440

import (
	"errors"
	"slices"
	"testing"
)

func TestSpecifierSyntax(t *testing.T) {
	for _, s := range pkgValidSpecifiers {
		if _, err := ParseSpecifier(s); err != nil {
			t.Errorf("ParseSpecifier(%q): %v", s, err)
		}
	}
	invalid := append(slices.Clone(pkgInvalidSpecifiers),
		">=1.0,", "", "1.0", "=1.0", "== 1.0 .*", "~=1.0+x", "<1.0.*", "==1.0.*.*", "== 1 0")
	for _, s := range invalid {
		if s == ">=1.0," {
			continue // valid as a set, checked below
		}
		if _, err := ParseSpecifier(s); err == nil {
			t.Errorf("ParseSpecifier(%q) succeeded, want an error", s)
		} else if !errors.Is(err, ErrInvalidSpecifier) {
			t.Errorf("ParseSpecifier(%q): %v does not wrap ErrInvalidSpecifier", s, err)
		}
	}
	// A set skips empty clauses, as packaging's SpecifierSet does.
	ss, err := ParseSpecifiers(" >=1.0, ,<2 ,")
	if err != nil || len(ss) != 2 || ss.String() != "<2,>=1.0" {
		t.Errorf("ParseSpecifiers = %v (%q), %v", ss, ss.String(), err)
	}
	if ss, err := ParseSpecifiers(""); err != nil || len(ss) != 0 || !ss.Matches(MustParse("7")) {
		t.Errorf("the empty set: %v, %v", ss, err)
	}
	if _, err := ParseSpecifiers(">=1,foo"); err == nil {
		t.Error("a set with a bad clause parsed")
	}
}

func TestSpecifierMatches(t *testing.T) {
	if len(pkgSpecifierMatch) < 150 {
		t.Fatalf("only %d cases", len(pkgSpecifierMatch))
	}
	for _, c := range slices.Concat(pkgSpecifierMatch, pkgArbitrary) {
		sp, err := ParseSpecifier(c.spec)
		if err != nil {
			t.Errorf("ParseSpecifier(%q): %v", c.spec, err)
			continue
		}
		v, err := Parse(c.v)
		if err != nil {
			continue // === against a non-version string; Version cannot hold it
		}
		// packaging checks these with prereleases=True: matching alone.
		if got := sp.Matches(v); got != c.want {
			t.Errorf("%q matches %q = %v, want %v", c.spec, c.v, got, c.want)
		}
		if got := (Specifiers{sp}).Contains(v, true); got != c.want {
			t.Errorf("Contains(%q, %q, true) = %v, want %v", c.spec, c.v, got, c.want)
		}
	}
}

// effective folds packaging's per-call and per-specifier pre-release
// settings into one (the call's wins).
func effective(call, spec *bool) *bool {
	if call != nil {
		return call
	}
	return spec
}

// packagingContains expresses packaging's contains() with an explicit
// policy in this package's terms: true admits pre-releases, false rejects
// them, and nil (packaging >= 26) lets a lone pre-release match.
func packagingContains(ss Specifiers, v Version, pre *bool) bool {
	switch {
	case pre == nil:
		return ss.Matches(v)
	case *pre:
		return ss.Contains(v, true)
	default:
		return !v.IsPrerelease() && ss.Matches(v)
	}
}

func TestSpecifierPrereleaseCases(t *testing.T) {
	for _, c := range pkgSpecPre {
		ss := MustParseSpecifiers(c.spec)
		if got := packagingContains(ss, MustParse(c.v), effective(c.containsPre, c.specPre)); got != c.want {
			t.Errorf("%q contains %q (spec pre %v, call pre %v) = %v, want %v", c.spec, c.v, show(c.specPre), show(c.containsPre), got, c.want)
		}
	}
	for _, c := range pkgBridges {
		ss := MustParseSpecifiers(c.spec)
		if got := packagingContains(ss, MustParse(c.v), c.pre); got != c.want {
			t.Errorf("%q contains %q (pre %v) = %v, want %v", c.spec, c.v, show(c.pre), got, c.want)
		}
	}
}

func show(b *bool) string {
	if b == nil {
		return "None"
	}
	if *b {
		return "True"
	}
	return "False"
}

func parseAll(t *testing.T, ss []string) []Version {
	t.Helper()
	// packaging drops strings that are not versions; a Version cannot
	// hold them in the first place.
	var out []Version
	for _, s := range ss {
		if v, err := Parse(s); err == nil {
			out = append(out, v)
		}
	}
	return out
}

func strs(vs []Version) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.String()
	}
	return out
}

func TestFilter(t *testing.T) {
	type fc struct {
		spec     string
		pre      *bool
		in, want []string
	}
	var cases []fc
	for _, c := range pkgSetFilter {
		cases = append(cases, fc{c.spec, effective(c.pre, c.specPre), c.in, c.want})
	}
	for _, c := range pkgFilterBridges {
		cases = append(cases, fc{c.spec, c.pre, c.in, c.want})
	}
	for _, c := range cases {
		ss, err := ParseSpecifiers(c.spec)
		if err != nil {
			t.Errorf("%q: %v", c.spec, err)
			continue
		}
		in := parseAll(t, c.in)
		got := strs(ss.Filter(in, c.pre))
		if !slices.Equal(got, strs(parseAll(t, c.want))) {
			t.Errorf("%q.Filter(%v, %s) = %v, want %v", c.spec, c.in, show(c.pre), got, c.want)
		}
	}
}

// Cases written from PEP 440's text, for this package's own Contains rule:
// false means "only if a clause names a pre-release".
func TestContainsDefaultPolicy(t *testing.T) {
	cases := []struct {
		spec, v string
		pre     bool
		want    bool
	}{
		{">=1.0", "2.0a1", false, false},
		{">=1.0", "2.0a1", true, true},
		{">=1.0", "2.0", false, true},
		{">=1.0a1", "2.0a1", false, true}, // a pre-release in the clause opts in
		{"!=1.0a1", "2.0a1", false, false},
		{"==1.0.*", "1.0a1", false, false},
		{"==1.0.*", "1.0a1", true, true},
		{"<2.0a1", "1.0.dev0", false, true},
		{"", "1.0a1", false, false},
		{"", "1.0a1", true, true},
		{">=1.0,<2.0", "1.5.dev1", false, false},
		{">=1.0,<2.0b1", "1.5.dev1", false, true},
		{"===1.0a1", "1.0a1", false, true},
		{"===foobar", "1.0a1", true, false},
		// === compares the candidate as written (regression: it used
		// the normalised form, so ===1.0.0 missed "1.0.0").
		{"===1.0.0", "1.0.0", false, true},
		{"===1.0.0", "1.0", false, false},
		{"===V1.0", "v1.0", false, true},
		// Local versions: == and <= ignore them unless the clause has one.
		{"==1.0", "1.0+local", false, true},
		{"==1.0+local", "1.0+other", false, false},
		{"==1.0+local", "1.0+local", false, true},
		{"!=1.0", "1.0+local", false, false},
		{"<=1.0", "1.0+local", false, true},
		{">1.0", "1.0+local", false, false},
		{"<1.0", "1.0+local", false, false},
		{">=1.0", "1.0+local", false, true},
		// Exclusive ordering and post-releases.
		{">1.7", "1.7.1", false, true},
		{">1.7", "1.7.0.post1", false, false},
		{">1.7.post2", "1.7.1", false, true},
		{">1.7.post2", "1.7.0.post3", false, true},
		{">1.7.post2", "1.7.post2+l", false, false},
		{"<1.7", "1.7.0rc1", true, false},
		{"<1.7rc2", "1.7.0rc1", false, true},
		// Compatible release.
		{"~=2.2", "2.3", false, true},
		{"~=2.2", "3.0", false, false},
		{"~=1.4.5", "1.4.9", false, true},
		{"~=1.4.5", "1.5.0", false, false},
		{"~=2.2.post3", "2.2.post4", false, true},
		{"~=2.2.post3", "2.9", false, true},
		{"~=2.2.post3", "3.0", false, false},
		{"~=1.4.5a4", "1.4.5", false, true},
		{"~=1.4.5a4", "1.4.5a4", false, true},
		{"~=1.4.5a4", "1.5.0", false, false},
		{"~=1!2.0", "2.5", false, false},
		{"~=1!2.0", "1!2.5", false, true},
		// Wildcards, zero padding, epochs.
		{"==1.1.*", "1.1.post1", false, true},
		{"==1.1.*", "1.10", false, false},
		{"==1.1.0.*", "1.1", false, true},
		{"!=1.1.*", "1.1.5", false, false},
		{"!=1.1.*", "1.2", false, true},
		{"==1.1", "1.1.0", false, true},
		{"==1!1.1", "1.1", false, false},
		{"==v1.0", "1", false, true},
	}
	for _, c := range cases {
		ss, err := ParseSpecifiers(c.spec)
		if err != nil {
			t.Errorf("%q: %v", c.spec, err)
			continue
		}
		if got := ss.Contains(MustParse(c.v), c.pre); got != c.want {
			t.Errorf("%q.Contains(%q, %v) = %v, want %v", c.spec, c.v, c.pre, got, c.want)
		}
	}
}

func TestHasPrerelease(t *testing.T) {
	for spec, want := range map[string]bool{
		">=1.0": false, ">=1.0a1": true, "<1.0.dev1": true, ">1.0rc1": true, "~=1.0b1": true,
		"==1.0a1": true, "!=1.0a1": false, "==1.0.*": false, "===1.0a1": true, "===lolwat": false,
		"<=1.0.post1": false, ">=1.0,!=2.0b1": false, ">=1.0,<=2.0b1": true,
	} {
		if got := MustParseSpecifiers(spec).HasPrerelease(); got != want {
			t.Errorf("%q.HasPrerelease() = %v, want %v", spec, got, want)
		}
	}
}

func TestSpecifiersString(t *testing.T) {
	for in, want := range map[string]string{
		">=1.0":             ">=1.0",
		" >= 1.0 ":          ">=1.0",
		">=1.0,!=1.1,<2":    "!=1.1,<2,>=1.0",
		"<2,>=1.0,<2":       "<2,>=1.0",
		"==1.0.*":           "==1.0.*",
		"=== foobar":        "===foobar",
		"~=2.2 , != 2.2.1 ": "!=2.2.1,~=2.2",
	} {
		if got := MustParseSpecifiers(in).String(); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
}
