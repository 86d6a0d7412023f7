package pep508

import "testing"

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
