package pep508

import (
	"strconv"
	"strings"
	"testing"
)

// envGrid is a spread of consistent environments, platforms the table
// knows and one it does not, Pythons around the boundaries the markers
// below use.
func envGrid() []Environment {
	plats := [][3]string{{"linux", "Linux", "posix"}, {"darwin", "Darwin", "posix"}, {"win32", "Windows", "nt"}, {"os1", "Os1", "posix"}}
	impls := [][2]string{{"cpython", "CPython"}, {"pypy", "PyPy"}, {"iron", "Iron"}}
	pys := []string{"2.7.18", "3.8.10", "3.9.0b1", "3.9.1", "3.10.0", "3.10.1", "3.12.3", "3.13.0", "3.14.1", "4.0.0"}
	var out []Environment
	for _, p := range plats {
		for _, im := range impls {
			for _, py := range pys {
				for _, mach := range []string{"x86_64", "aarch64"} {
					minor := py[:strings.LastIndexByte(py, '.')]
					out = append(out, Environment{"sys_platform": p[0], "platform_system": p[1], "os_name": p[2],
						"implementation_name": im[0], "platform_python_implementation": im[1],
						"python_full_version": py, "python_version": minor, "implementation_version": py,
						"platform_machine": mach, "platform_release": "5.10", "platform_version": "#1 SMP"})
				}
			}
		}
	}
	return out
}

var trickyMarkers = []string{
	`python_version < '3.13'`,
	`python_version >= '3.13' and python_version < '3.14'`,
	`python_version > '3.9' or python_version <= '3.8'`,
	`python_version ~= '3.10'`,
	`python_version == '3.*'`,
	`python_version != '3.10'`,
	`python_version in '3.10 3.12'`,
	`python_version not in '3.8'`,
	`'3.9' < python_version`,
	`python_version == '3.10.1'`,
	`python_full_version >= '3.10.1'`,
	`python_full_version == '3.9b1'`,
	`python_full_version == '3.10.*'`,
	`python_full_version != '3.10.*' and python_full_version ~= '3.9.0'`,
	`python_full_version > '3.10' and python_full_version < '3.10.1'`,
	`python_full_version === '3.12.3'`,
	`sys_platform == 'linux' and sys_platform == 'darwin'`,
	`sys_platform == 'linux' and platform_system == 'Darwin'`,
	`sys_platform != 'linux' and platform_system == 'Linux'`,
	`os_name == 'nt' and sys_platform == 'linux'`,
	`os_name == 'posix' and sys_platform == 'os1'`,
	`sys_platform in 'linux darwin'`,
	`'lin' in sys_platform`,
	`sys_platform not in 'win32'`,
	`sys_platform > 'e'`,
	`implementation_name == 'cpython' and platform_python_implementation == 'PyPy'`,
	`implementation_name != 'cpython' and implementation_name != 'pypy'`,
	`(sys_platform == 'linux' or implementation_name == 'pypy') and not_a_var == 'x'`,
	`platform_machine == 'x86_64' or platform_machine == 'aarch64'`,
	`platform_release >= '5.4' and platform_version == '#1 SMP'`,
	`extra == 'test' or sys_platform == 'win32'`,
	`'test' in extras and python_version >= '3.12'`,
	`sys_platform == "linux" or sys_platform != "linux"`,
	`(python_version < "3.9" or python_version >= "3.9") and os_name == "posix"`,
	`implementation_version >= '3.12' and implementation_name == 'cpython'`,
	`sys_platform == platform_system`,
	`"a" == "a" and python_version > "3.12"`,
}

// TestEnvSetAgreesWithEvaluate checks the algebra against evaluation:
// an environment is in a marker's set exactly when the marker holds in it,
// and the same for the complement, for the printed form read back, and
// for conjunctions and disjunctions of pairs.
func TestEnvSetAgreesWithEvaluate(t *testing.T) {
	envs := envGrid()
	var ms []*Marker
	for _, s := range trickyMarkers {
		m, err := ParseMarker(s)
		if err != nil {
			continue // not_a_var is not a marker variable: refused
		}
		ms = append(ms, m)
	}
	if len(ms) < len(trickyMarkers)-1 {
		t.Fatalf("only %d of %d markers parsed", len(ms), len(trickyMarkers))
	}
	in := func(s EnvSet, env Environment) bool {
		got := s.Contains(env)
		if meets := !s.And(EnvironmentSet(env)).IsEmpty(); !meets && got {
			t.Errorf("%s holds in %v but does not meet its set", s, env)
		}
		return got
	}
	for _, m := range ms {
		for _, extra := range []string{"", "test"} {
			set := m.Set(extra)
			back, err := ParseMarker(set.String())
			if set.String() == "" {
				back = nil
			} else if err != nil {
				t.Fatalf("%s: printed form %q does not parse: %v", m, set.String(), err)
			}
			not := set.Not()
			for _, env := range envs {
				want := m.Evaluate(env, extra)
				if got := in(set, env); got != want {
					t.Errorf("%s (extra %q) in %v: set says %v, Evaluate %v", m, extra, env, got, want)
				}
				if got := in(not, env); got == want {
					t.Errorf("complement of %s (extra %q) in %v: %v", m, extra, env, got)
				}
				if got := back.Evaluate(env, extra); got != want {
					t.Errorf("%s printed as %q: %v in %v, want %v", m, set.String(), got, env, want)
				}
			}
		}
	}
	for i, a := range ms {
		b := ms[(i*7+3)%len(ms)]
		and, or := a.Set("").And(b.Set("")), a.Set("").Or(b.Set(""))
		for _, env := range envs {
			x, y := a.Evaluate(env, ""), b.Evaluate(env, "")
			if in(and, env) != (x && y) || in(or, env) != (x || y) {
				t.Errorf("%s / %s in %v: and %v or %v, want %v %v", a, b, env, in(and, env), in(or, env), x && y, x || y)
			}
		}
	}
}

func TestEnvSetDecisions(t *testing.T) {
	set := func(s string) EnvSet { return MustParseMarker(s).Set("") }
	cases := []struct {
		name      string
		got, want bool
	}{
		{"linux and darwin are disjoint", set(`sys_platform == 'linux'`).Disjoint(set(`sys_platform == 'darwin'`)), true},
		{"Linux system implies linux platform", set(`sys_platform == 'linux'`).Covers(set(`platform_system == 'Linux'`)), true},
		{"nt is not linux", set(`os_name == 'nt'`).Disjoint(set(`sys_platform == 'linux'`)), true},
		{"posix is not only linux", set(`sys_platform == 'linux'`).Covers(set(`os_name == 'posix'`)), false},
		{"overlapping python ranges cover the rest", set(`python_version < '3.13'`).Or(set(`python_version >= '3.13'`)).IsAll(), true},
		{"3.13 or 3.14 up is 3.13 up", set(`python_version >= '3.13' or python_version >= '3.14'`).Equal(set(`python_version >= '3.13'`)), true},
		{"python_version 3.10 meets full 3.10.1 up", set(`python_version == '3.10'`).Disjoint(set(`python_full_version >= '3.10.1'`)), false},
		{"python_version 3.9 misses 3.10 up", set(`python_version == '3.9'`).Disjoint(set(`python_full_version >= '3.10'`)), true},
		{"3.9b1 is below 3.10", set(`python_full_version == '3.9b1'`).Disjoint(set(`python_full_version >= '3.10'`)), true},
		{"unknown platform admits posix", set(`sys_platform == 'os1' and os_name == 'posix'`).IsEmpty(), false},
		{"opaque atom and its negation", set(`platform_release >= '5'`).Or(set(`platform_release < '5'`)).IsAll(), true},
		{"a value or not is everything", set(`sys_platform == 'x' or sys_platform != 'x'`).IsAll(), true},
		{"pypy never CPython", set(`implementation_name == 'pypy' and platform_python_implementation == 'CPython'`).IsEmpty(), true},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: got %v", c.name, c.got)
		}
	}
	// Printing relative to a universe keeps only what tells its parts apart.
	x86 := EnvironmentSet(EnvironmentFor("3.13", "x86_64-linux"))
	arm := EnvironmentSet(EnvironmentFor("3.13", "aarch64-linux"))
	if got := x86.Simplified(x86.Or(arm)).String(); got != `platform_machine == "x86_64"` {
		t.Errorf("x86_64 within both systems prints as %q", got)
	}
	if got := x86.Or(arm).Simplified(x86.Or(arm)).String(); got != "" {
		t.Errorf("both systems within both print as %q, want no marker", got)
	}
}

// Markers an index could send to multiply boxes: twenty and-joined
// disjunctions (a million boxes if expanded) and their complement finish
// quickly as supersets marked Approximate, which still hold every
// environment the marker holds in.
func TestEnvSetHostileSize(t *testing.T) {
	var groups []string
	for i := range 20 {
		groups = append(groups, "(platform_release == \"a"+strconv.Itoa(i)+"\" or platform_release == \"b"+strconv.Itoa(i)+"\")")
	}
	m := MustParseMarker(strings.Join(groups, " and "))
	set := m.Set("")
	if !set.Approximate() {
		t.Fatalf("a million-box marker was kept exactly in %d boxes", len(set.boxes))
	}
	not := set.Not()
	if !not.Approximate() {
		t.Errorf("the complement of an approximate set is not marked approximate")
	}
	for _, env := range envGrid()[:50] {
		if m.Evaluate(env, "") && !set.Contains(env) {
			t.Errorf("the approximation lost %v", env)
		}
		if !m.Evaluate(env, "") && !not.Contains(env) {
			t.Errorf("the complement's approximation lost %v", env)
		}
	}
	exact := MustParseMarker(`sys_platform == "linux" or python_version < "3.9"`).Set("")
	if exact.Approximate() || exact.And(set).Approximate() != true {
		t.Errorf("approximation is not carried through And: %v", exact.And(set).Approximate())
	}
}
