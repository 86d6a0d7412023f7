package pep508

import (
	"strings"
	"testing"
)

// FuzzParseRequirement checks that parsing never panics and that the
// printed form parses back to a requirement that prints the same.
func FuzzParseRequirement(f *testing.F) {
	for _, s := range []string{
		"name", "name[a,b]>=1,<2; python_version >= '3.8' and extra == 'x'",
		"name @ https://h/x.whl ; os_name == 'posix'", "name (==1.0.*)", "a===x",
		`b; "x" in extras or (platform_machine != "aarch64" and sys.platform == 'linux')`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRequirement(s)
		if err != nil {
			return
		}
		printed := r.String()
		back, err := ParseRequirement(printed)
		if err != nil {
			t.Fatalf("%q prints as %q which does not parse: %v", s, printed, err)
		}
		if back.String() != printed {
			t.Fatalf("%q prints as %q, then as %q", s, printed, back.String())
		}
		env := EnvironmentFor("3.11", "x86_64-linux")
		if r.Marker.Evaluate(env, "x") != back.Marker.Evaluate(env, "x") {
			t.Fatalf("%q and %q evaluate differently", s, printed)
		}
	})
}

// FuzzMarkerSet checks the marker algebra against evaluation: for any
// marker that parses, its set, the complement and the printed set agree
// with Evaluate on a grid of environments.
func FuzzMarkerSet(f *testing.F) {
	for _, s := range trickyMarkers {
		f.Add(s)
	}
	envs := envGrid()
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMarker(s)
		if err != nil || len(s) > 200 {
			return
		}
		set := m.Set("")
		if set.Approximate() {
			return // a superset by design; TestEnvSetHostileSize checks it
		}
		not := set.Not()
		var back *Marker
		if p := set.String(); p != "" {
			if back, err = ParseMarker(p); err != nil {
				t.Fatalf("%q: printed set %q does not parse: %v", s, p, err)
			}
		}
		for _, env := range envs[:len(envs):len(envs)] {
			want := m.Evaluate(env, "")
			if set.Contains(env) != want || not.Contains(env) == want {
				t.Fatalf("%q in %v: set %v, complement %v, Evaluate %v", s, env, set.Contains(env), not.Contains(env), want)
			}
			if back.Evaluate(env, "") != want && !strings.Contains(s, "~=") && !strings.Contains(s, "===") {
				t.Fatalf("%q printed as %q: %v in %v, want %v", s, set.String(), !want, env, want)
			}
		}
	})
}
