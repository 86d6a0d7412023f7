package pep440

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
)

var tru, fals = ptr(true), ptr(false)

func ptr(b bool) *bool { return &b }

// TestOrdering checks packaging's sorted list of versions (which includes
// PEP 440's own ordering example) pairwise: every earlier entry compares
// below every later one, in both directions.
func TestOrdering(t *testing.T) {
	vs := make([]Version, len(pkgOrderedVersions))
	for i, s := range pkgOrderedVersions {
		vs[i] = MustParse(s)
	}
	for i := range vs {
		for j := range vs {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := vs[i].Compare(vs[j]); got != want {
				t.Errorf("Compare(%s, %s) = %d, want %d", pkgOrderedVersions[i], pkgOrderedVersions[j], got, want)
			}
		}
	}
}

// PEP 440's summary of permitted suffixes and relative ordering.
func TestPEP440OrderingExample(t *testing.T) {
	order := []string{
		"1.dev0", "1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12",
		"1.0b1.dev456", "1.0b2", "1.0b2.post345.dev456", "1.0b2.post345",
		"1.0rc1.dev456", "1.0rc1", "1.0", "1.0+abc.5", "1.0+abc.7", "1.0+5",
		"1.0.post456.dev34", "1.0.post456", "1.0.15", "1.1.dev1",
	}
	for i := 1; i < len(order); i++ {
		a, b := MustParse(order[i-1]), MustParse(order[i])
		if a.Compare(b) >= 0 || b.Compare(a) <= 0 {
			t.Errorf("%s should sort before %s", order[i-1], order[i])
		}
	}
	if !MustParse("1.0").Equal(MustParse("1.0.0")) || !MustParse("1.0rc1").Equal(MustParse("1.0c1")) {
		t.Error("1.0 == 1.0.0 and 1.0rc1 == 1.0c1 should hold")
	}
	if MustParse("1!0.1").Compare(MustParse("2013.10")) <= 0 {
		t.Error("an epoch outranks any release")
	}
}

func TestInvalidVersions(t *testing.T) {
	extra := []string{"", "   ", "v", "1!", "!1", "1.0+", "1.0-", "1.0.post1.post2",
		"1.0a1a2", "1.0dev1dev2", "99999999999999999999", "1.0a99999999999999999999"}
	for _, s := range append(slices.Clone(pkgInvalidVersions), extra...) {
		if v, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) = %s, want an error", s, v)
		} else if !errors.Is(err, ErrInvalidVersion) {
			t.Errorf("Parse(%q) error %v does not wrap ErrInvalidVersion", s, err)
		}
	}
}

func TestNormalisation(t *testing.T) {
	cases := slices.Concat(pkgNormalized, pkgStr)
	// Extra cases following the regular expression's optional separators.
	cases = append(cases, [][2]string{
		{"1.0a.", "1.0a0"}, {"1.0-a-1", "1.0a1"}, {"1.0_post_2", "1.0.post2"},
		{"1.0preview3", "1.0rc3"}, {"1.0pre3", "1.0rc3"}, {"V2", "2"},
		{"1.0+ubuntu-01", "1.0+ubuntu.1"}, {"1.0+Ab_C.00", "1.0+ab.c.0"},
	}...)
	for _, c := range cases {
		v, err := Parse(c[0])
		if err != nil {
			t.Errorf("Parse(%q): %v", c[0], err)
			continue
		}
		if got := v.String(); got != c[1] {
			t.Errorf("Parse(%q).String() = %q, want %q", c[0], got, c[1])
		}
		// The normalised form parses back to itself.
		if again := MustParse(v.String()); again.String() != c[1] || !again.Equal(v) {
			t.Errorf("%q does not round-trip", c[1])
		}
	}
	for _, s := range pkgOrderedVersions {
		if _, err := Parse(s); err != nil {
			t.Errorf("Parse(%q): %v", s, err)
		}
	}
}

func TestPublicAndBase(t *testing.T) {
	for _, c := range pkgPublic {
		if got := MustParse(c[0]).Public().String(); got != c[1] {
			t.Errorf("Public(%q) = %q, want %q", c[0], got, c[1])
		}
	}
	for _, c := range pkgBase {
		if got := MustParse(c[0]).Base().String(); got != c[1] {
			t.Errorf("Base(%q) = %q, want %q", c[0], got, c[1])
		}
	}
}

func TestPrePost(t *testing.T) {
	for _, c := range pkgIsPrerelease {
		if got := MustParse(c.v).IsPrerelease(); got != c.want {
			t.Errorf("IsPrerelease(%q) = %v, want %v", c.v, got, c.want)
		}
	}
	for _, c := range pkgIsPostrelease {
		if got := MustParse(c.v).IsPostrelease(); got != c.want {
			t.Errorf("IsPostrelease(%q) = %v, want %v", c.v, got, c.want)
		}
	}
	v := MustParse("3!1.2.3rc4.post5.dev6+Local.07")
	if v.Epoch != 3 || !slices.Equal(v.Release, []int{1, 2, 3}) || v.Pre != PreRC || v.PreN != 4 ||
		!v.HasPost || v.Post != 5 || !v.HasDev || v.Dev != 6 || v.Local != "local.7" {
		t.Errorf("fields of %q: %+v", "3!1.2.3rc4.post5.dev6+Local.07", v)
	}
}

func TestKey(t *testing.T) {
	m := map[string]bool{}
	for _, s := range []string{"1", "1.0", "1.0.0", "v1.0.0.0", "0!1"} {
		m[MustParse(s).Key()] = true
	}
	if len(m) != 1 {
		t.Errorf("equal versions gave %d keys: %v", len(m), m)
	}
	// Distinct versions in packaging's sorted list all have distinct keys.
	keys := map[string]string{}
	for _, s := range pkgOrderedVersions {
		k := MustParse(s).Key()
		if prev, ok := keys[k]; ok {
			t.Errorf("%q and %q share key %q", prev, s, k)
		}
		keys[k] = s
	}
}

func TestJSON(t *testing.T) {
	b, err := json.Marshal(struct{ V Version }{MustParse("1.0-1")})
	if err != nil || string(b) != `{"V":"1.0.post1"}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var back struct{ V Version }
	if err := json.Unmarshal(b, &back); err != nil || back.V.String() != "1.0.post1" {
		t.Fatalf("Unmarshal = %+v, %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"V":"x"}`), &back); err == nil {
		t.Fatal("Unmarshal of an invalid version succeeded")
	}
}
