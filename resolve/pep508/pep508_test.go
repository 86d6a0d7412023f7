package pep508

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// Cases below come from pypa/packaging's tests (tests/test_markers.py,
// tests/test_requirements.py, tests/test_utils.py) and the PEPs' examples.

func TestNormalizeName(t *testing.T) {
	for in, want := range map[string]string{
		"foo": "foo", "Foo": "foo", "fOo": "foo", "foo.bar": "foo-bar", "Foo.Bar": "foo-bar",
		"Foo.....Bar": "foo-bar", "foo_bar": "foo-bar", "foo___bar": "foo-bar", "foo-bar": "foo-bar",
		"foo----bar": "foo-bar", "Django": "django", "oslo.concurrency": "oslo-concurrency",
		"PEP_685...norm": "pep-685-norm", "a-_.b": "a-b",
	} {
		if got := NormalizeName(in); got != want {
			t.Errorf("NormalizeName(%q) = %q, want %q", in, got, want)
		}
		if got := NormalizeExtra(in); got != want {
			t.Errorf("NormalizeExtra(%q) = %q, want %q", in, got, want)
		}
	}
	for name, want := range map[string]bool{
		"foo": true, "a": true, "A1": true, "foo.bar_baz-1": true, "": false, "-foo": false,
		"foo-": false, "foo bar": false, "fö": false, "_x": false,
	} {
		if got := ValidName(name); got != want {
			t.Errorf("ValidName(%q) = %v, want %v", name, got, want)
		}
	}
}

var (
	markerVariables = []string{"extra", "implementation_name", "implementation_version", "os_name",
		"platform_machine", "platform_release", "platform_system", "platform_version",
		"python_full_version", "python_version", "platform_python_implementation", "sys_platform",
		"os.name", "sys.platform", "platform.version", "platform.machine",
		"platform.python_implementation", "python_implementation"}
	markerOperators = []string{"===", "==", ">=", "<=", "!=", "~=", ">", "<", "in", "not in"}
	markerValues    = []string{"1.0", "5.6a0", "dog", "freebsd", "literally any string can go here", "things @#4 dsfd ((("}
)

func TestParsesEveryVariableOperatorValue(t *testing.T) {
	n := 0
	for _, v := range markerVariables {
		for _, op := range markerOperators {
			for _, val := range markerValues {
				for _, s := range []string{
					fmt.Sprintf("%s %s '%s'", v, op, val),
					fmt.Sprintf(`"%s" %s %s`, val, op, v),
				} {
					n++
					m, err := ParseMarker(s)
					if err != nil {
						t.Errorf("ParseMarker(%q): %v", s, err)
						continue
					}
					// The printed form parses back to the same print.
					if again := MustParseMarker(m.String()); again.String() != m.String() {
						t.Errorf("%q prints as %q, which prints as %q", s, m.String(), again.String())
					}
				}
			}
		}
	}
	if n != 2160 {
		t.Fatalf("checked %d markers", n)
	}
}

func TestInvalidMarkers(t *testing.T) {
	for _, s := range []string{
		"this_isnt_a_real_variable >= '1.0'", "python_version", "(python_version)",
		"python_version >= 1.0 and (python_version)", `(python_version == "2.7" and os_name == "linux"`,
		`(python_version == "2.7") with random text`, `os_name == "a"` + "\n", `os_name == "a`,
		`'3.7' notin python_version`, `'3.6'inpython_version`, `'3.7' not python_version`,
		`'3.7' ~ python_version`, "", `os_name == "a" and`, `os_name == "a" or or os_name == "b"`,
		`os_name = "a"`,
	} {
		if _, err := ParseMarker(s); err == nil {
			t.Errorf("ParseMarker(%q) succeeded", s)
		} else if !errors.Is(err, ErrInvalidMarker) {
			t.Errorf("ParseMarker(%q): %v does not wrap ErrInvalidMarker", s, err)
		}
	}
}

func TestMarkerString(t *testing.T) {
	for in, want := range map[string]string{
		"python_version == '2.7'":                                                          `python_version == "2.7"`,
		`python_version == "2.7"`:                                                          `python_version == "2.7"`,
		`'a" == os_name or python_version >= "0" or "b' == os_name`:                        `'a" == os_name or python_version >= "0" or "b' == os_name`,
		`python_version == "2.7" and os_name == "linux"`:                                   `python_version == "2.7" and os_name == "linux"`,
		`python_version == "2.7" and os_name == "linux" or sys_platform == "win32"`:        `python_version == "2.7" and os_name == "linux" or sys_platform == "win32"`,
		`(python_version == "2.7")`:                                                        `python_version == "2.7"`,
		`(python_version == "2.7" and sys_platform == "win32")`:                            `python_version == "2.7" and sys_platform == "win32"`,
		`python_version == "2.7" and (sys_platform == "win32" or sys_platform == "linux")`: `python_version == "2.7" and (sys_platform == "win32" or sys_platform == "linux")`,
		`os.name=='posix'`:                                                                 `os_name == "posix"`,
		`python_implementation=="CPython"`:                                                 `platform_python_implementation == "CPython"`,
		`extra == "Foo.Bar"`:                                                               `extra == "foo-bar"`,
		`"Foo" in extras`:                                                                  `"foo" in extras`,
		`'3.6' not	in python_version`:                                                      `"3.6" not in python_version`,
		`(os_name=="a")and(os_name=="b")`:                                                  `os_name == "a" and os_name == "b"`,
	} {
		m, err := ParseMarker(in)
		if err != nil {
			t.Errorf("ParseMarker(%q): %v", in, err)
			continue
		}
		if got := m.String(); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEvaluate(t *testing.T) {
	linux := EnvironmentFor("3.11", "x86_64-linux")
	with := func(kv ...string) Environment {
		env := Environment{}
		for k, v := range linux {
			env[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			env[kv[i]] = kv[i+1]
		}
		return env
	}
	cases := []struct {
		marker string
		env    Environment
		extra  string
		want   bool
	}{
		{"os_name == 'posix'", linux, "", true},
		{"os_name == 'foo'", with("os_name", "foo"), "", true},
		{"os_name == 'foo'", with("os_name", "bar"), "", false},
		{"'2.7' in python_version", with("python_version", "2.7.5"), "", true},
		{"'2.7' not in python_version", with("python_version", "2.7"), "", false},
		{"os_name == 'foo' and python_version ~= '2.7.0'", with("os_name", "foo", "python_version", "2.7.6"), "", true},
		{"python_version ~= '2.7.0' and (os_name == 'foo' or os_name == 'bar')", with("os_name", "foo", "python_version", "2.7.4"), "", true},
		{"python_version ~= '2.7.0' and (os_name == 'foo' or os_name == 'bar')", with("os_name", "bar", "python_version", "2.7.4"), "", true},
		{"python_version ~= '2.7.0' and (os_name == 'foo' or os_name == 'bar')", with("os_name", "other", "python_version", "2.7.4"), "", false},
		{"extra == 'security'", linux, "quux", false},
		{"extra == 'security'", linux, "security", true},
		{"extra == 'SECURITY'", linux, "security", true},
		{"extra == 'security'", linux, "SECURITY", true},
		{"extra == 'pep-685-norm'", linux, "PEP_685...norm", true},
		{"extra == 'Different.punctuation..is...equal'", linux, "different__punctuation_is_EQUAL", true},
		{`extra == "v2"`, linux, "", false},
		{`extra == "v2"`, linux, "v2", true},
		{`extra == "v2"`, linux, "v2a3", false},
		{`extra == "v2a3"`, linux, "v2", false},
		{`extra != "v2"`, linux, "", true},
		{"os.name == 'posix'", linux, "", true},
		{"sys.platform == 'win32'", with("sys_platform", "linux2"), "", false},
		{"platform.version in 'Ubuntu'", with("platform_version", "#39"), "", false},
		{"platform.machine=='x86_64'", linux, "", true},
		{"platform.python_implementation=='Jython'", linux, "", false},
		{"python_version == '2.5' and platform.python_implementation!= 'Jython'", with("python_version", "2.7"), "", false},
		// Version fields compare as versions: 3.11 > 3.9 although "3.11" < "3.9" as strings.
		{`python_version > "3.9"`, linux, "", true},
		{`python_version >= "3.11"`, linux, "", true},
		{`python_version < "3.11"`, linux, "", false},
		{`python_version == "3.11.*"`, linux, "", true},
		{`"3.9" < python_version`, linux, "", true},
		{`python_full_version >= "3.11.1"`, linux, "", true},
		{`python_full_version < "3.11.0rc1"`, with("python_full_version", "3.11.0b1"), "", true},
		{`implementation_version >= "3.11"`, linux, "", true},
		// and binds tighter than or.
		{`os_name == "nt" and python_version < "3" or sys_platform == "linux"`, linux, "", true},
		{`os_name == "nt" and (python_version < "3" or sys_platform == "linux")`, linux, "", false},
		{`sys_platform == "linux" or os_name == "nt" and python_version < "3"`, linux, "", true},
		// A field that does not parse as a version compares as a string.
		{`platform_release >= "5"`, with("platform_release", "5.15.0-91-generic"), "", true},
		{`platform_release < "5"`, with("platform_release", "5.15.0-91-generic"), "", false},
		{`platform_release >= "5.4"`, with("platform_release", "5.15"), "", true},
		{`platform_machine < "y"`, linux, "", true},
		{`platform_machine ~= "x86_64"`, linux, "", false},
		{`platform_machine in "x86_64 aarch64"`, linux, "", true},
		{`platform_machine not in "aarch64 arm64"`, linux, "", true},
		{`implementation_name == "cpython" and platform_system == "Linux" and sys_platform == "linux"`, linux, "", true},
		{`platform_python_implementation == "PyPy"`, linux, "", false},
		{`sys_platform == "win32" or sys_platform == "darwin"`, linux, "", false},
		{`"foo" in extras`, linux, "foo", true},
		{`"Foo" in extras`, linux, "foo", true},
		{`"baz" not in extras`, linux, "foo", true},
		{`"foo" in dependency_groups`, linux, "", false},
	}
	for _, c := range cases {
		m, err := ParseMarker(c.marker)
		if err != nil {
			t.Errorf("ParseMarker(%q): %v", c.marker, err)
			continue
		}
		if got := m.Evaluate(c.env, c.extra); got != c.want {
			t.Errorf("Evaluate(%q, extra %q) = %v, want %v", c.marker, c.extra, got, c.want)
		}
	}
	var nilMarker *Marker
	if !nilMarker.Evaluate(linux, "") || nilMarker.UsesExtra() {
		t.Error("no marker should always hold")
	}
}

func TestEvaluateExtras(t *testing.T) {
	env := EnvironmentFor("3.12", "aarch64-linux")
	m := MustParseMarker(`extra == "test" or extra == "docs"`)
	if m.EvaluateExtras(env, nil) || !m.EvaluateExtras(env, []string{"Docs"}) || m.EvaluateExtras(env, []string{"x", "y"}) {
		t.Error("extra or-marker evaluated wrongly")
	}
	both := MustParseMarker(`"a" in extras and "b" in extras`)
	if !both.EvaluateExtras(env, []string{"a", "b"}) || both.EvaluateExtras(env, []string{"a"}) {
		t.Error("the extras set should hold every requested extra")
	}
	if !m.UsesExtra() || MustParseMarker(`os_name == "posix"`).UsesExtra() {
		t.Error("UsesExtra")
	}
}

func TestEnvironmentFor(t *testing.T) {
	env := EnvironmentFor("3.11", "aarch64-linux")
	want := map[string]string{
		"implementation_name": "cpython", "os_name": "posix", "platform_machine": "aarch64",
		"platform_python_implementation": "CPython", "platform_system": "Linux",
		"python_version": "3.11", "sys_platform": "linux",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
	if !strings.HasPrefix(env["python_full_version"], "3.11.") || env["implementation_version"] != env["python_full_version"] {
		t.Errorf("full version %q / %q", env["python_full_version"], env["implementation_version"])
	}
	// Every variable packaging's default_environment has is present.
	for _, k := range []string{"implementation_name", "implementation_version", "os_name", "platform_machine",
		"platform_release", "platform_system", "platform_version", "python_full_version",
		"platform_python_implementation", "python_version", "sys_platform"} {
		if _, ok := env[k]; !ok {
			t.Errorf("missing %s", k)
		}
	}
	full := EnvironmentFor("3.12.4", "x86_64-linux")
	if full["python_version"] != "3.12" || full["python_full_version"] != "3.12.4" || full["platform_machine"] != "x86_64" {
		t.Errorf("EnvironmentFor(3.12.4) = %v", full)
	}
}

func TestParseRequirementCombinations(t *testing.T) {
	names := []string{"package", "pAcKaGe", "Package", "foo-bar.quux_bAz", "installer", "android12"}
	extrasSets := [][]string{nil, {"a"}, {"a", "b"}, {"B", "CDEF123", "a"}}
	type detail struct{ url, spec string }
	details := []detail{
		{"", ""}, {"https://example.com/packagename.zip", ""},
		{"ssh://user:pass%20word@example.com/packagename.zip", ""},
		{"https://example.com/name;v=1.1/?query=foo&bar=baz#blah", ""},
		{"git+ssh://git.example.com/MyProject", ""}, {"git+ssh://git@github.com:pypa/packaging.git", ""},
		{"git+https://git.example.com/MyProject.git@master", ""},
		{"git+https://git.example.com/MyProject.git@refs/pull/123/head", ""}, {"gopher:/foo/com", ""},
		{"", "==={ws}arbitrarystring"}, {"", "({ws}==={ws}arbitrarystring{ws})"}, {"", "=={ws}1.0"},
		{"", "({ws}=={ws}1.0{ws})"}, {"", "=={ws}1.0-alpha"}, {"", "<={ws}1!3.0.0.rc2"},
		{"", ">{ws}2.2{ws},{ws}<{ws}3"}, {"", "(>{ws}2.2{ws},{ws}<{ws}3)"},
	}
	markers := []string{"", "python_version{ws}>={ws}'3.3'",
		`({ws}python_version{ws}>={ws}"3.4"{ws}){ws}and extra{ws}=={ws}"oursql"`,
		"sys_platform{ws}!={ws}'linux' and(os_name{ws}=={ws}'linux' or python_version{ws}>={ws}'3.3'{ws}){ws}"}
	n := 0
	for _, ws := range []string{"", " ", "\t"} {
		fill := func(s string) string { return strings.ReplaceAll(s, "{ws}", ws) }
		for _, name := range names {
			for _, extras := range extrasSets {
				for _, d := range details {
					for _, marker := range markers {
						parts := []string{name}
						if extras != nil {
							sorted := slices.Clone(extras)
							slices.Sort(sorted)
							parts = append(parts, "[", strings.Join(sorted, ws+","+ws), "]")
						}
						if d.spec != "" {
							parts = append(parts, fill(d.spec))
						}
						if d.url != "" {
							parts = append(parts, "@", d.url)
						}
						if marker != "" {
							if d.url != "" {
								parts = append(parts, " ;")
							} else {
								parts = append(parts, ";")
							}
							parts = append(parts, fill(marker))
						}
						s := strings.Join(parts, ws)
						n++
						r, err := ParseRequirement(s)
						if err != nil {
							t.Errorf("ParseRequirement(%q): %v", s, err)
							continue
						}
						var wantExtras []string
						for _, e := range extras {
							wantExtras = append(wantExtras, NormalizeExtra(e))
						}
						slices.Sort(wantExtras)
						wantSpec := strings.Trim(strings.ReplaceAll(d.spec, "{ws}", ""), "()")
						if r.Name != name || !slices.Equal(r.Extras, wantExtras) || r.URL != d.url {
							t.Errorf("%q: name %q extras %v url %q", s, r.Name, r.Extras, r.URL)
						}
						if r.Specifiers.String() != MustParseSpecifiersString(wantSpec) {
							t.Errorf("%q: specifiers %q, want %q", s, r.Specifiers.String(), wantSpec)
						}
						wantMarker := ""
						if marker != "" {
							wantMarker = MustParseMarker(strings.ReplaceAll(marker, "{ws}", "")).String()
						}
						if r.Marker.String() != wantMarker {
							t.Errorf("%q: marker %q, want %q", s, r.Marker.String(), wantMarker)
						}
					}
				}
			}
		}
	}
	if n != 3*6*4*17*4 {
		t.Fatalf("checked %d requirements", n)
	}
}

// MustParseSpecifiersString prints a specifier set the way Requirement
// does, for comparing with expectations written as text.
func MustParseSpecifiersString(s string) string {
	r := MustParseRequirement("x" + s)
	return r.Specifiers.String()
}

func TestRequirementMisc(t *testing.T) {
	for in, want := range map[string]string{
		`mariadb>=1.0.1; extra == "mariadb_connector"`: `mariadb>=1.0.1; extra == "mariadb-connector"`,
		"name[]":                        "name",
		"name()":                        "name",
		"name>=1 ":                      "name>=1",
		"name>=1\t":                     "name>=1",
		"name [ Foo_Bar , a ] (<2,>=1)": "name[a,foo-bar]<2,>=1",
		"name @ file:///x/y.whl ; python_version >= '3'": `name @ file:///x/y.whl ; python_version >= "3"`,
		"name@https://h/x.whl":                           "name @ https://h/x.whl",
		"name>=1,":                                       "name>=1",
		"Django>=4.2,!=4.2.1;python_version>'3.8'":       `Django!=4.2.1,>=4.2; python_version > "3.8"`,
	} {
		r, err := ParseRequirement(in)
		if err != nil {
			t.Errorf("ParseRequirement(%q): %v", in, err)
			continue
		}
		if got := r.String(); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
	r := MustParseRequirement("Foo.Bar[X]>=1")
	if r.Normalized() != "foo-bar" || r.Name != "Foo.Bar" {
		t.Errorf("name %q normalised %q", r.Name, r.Normalized())
	}
	b, _ := json.Marshal(MustParseRequirement(`a[x]>=1,<2; os_name == "posix"`))
	var fields map[string]any
	if err := json.Unmarshal(b, &fields); err != nil || fields["specifiers"] != "<2,>=1" ||
		fields["marker"] != `os_name == "posix"` || fields["name"] != "a" {
		t.Errorf("JSON %s", b)
	}
	var back Requirement
	if err := json.Unmarshal(b, &back); err != nil || back.String() != `a[x]<2,>=1; os_name == "posix"` {
		t.Errorf("JSON round trip %v %q", err, back.String())
	}
}

func TestInvalidRequirements(t *testing.T) {
	bad := []string{
		"demo===x,y", "", "==0.0", "name[bar baz]", "name[bar, baz,]", "name (>= 1.0",
		"black (>=20.*) ; extra == 'format'", "name == 1.2.3.post4.*", "name != 1.2.3.post4.*",
		"name==1.2.3.post4.*", "name[bar, baz >= 1.0", "name[bar, baz",
		"name @ https://example.com/; extra == 'example'", "name; (extra == 'example'", "name @ ",
		"name; invalid_name", "name; '3.7' <= invalid_name", "name; '3.7' notin python_version",
		"name; '3.6'inpython_version", "name; '3.7' not python_version", "name; '3.7' ~ python_version",
		"name==1.0.org1", "name==", "name 1.0", "name >= 1.0 #", "name >= 1.0 <= 2.0",
		"name>=1\n", "name>=1\r\n", "name; os_name == 'a'\n", "-name", "name-", "name~=1", "name>=1.0+abc",
		"name[a] @", "name;", "na me",
	}
	for _, op := range []string{">=", "<=", ">", "<", "~="} {
		bad = append(bad, "name "+op+" 1.0+local.version.label")
	}
	for _, s := range bad {
		if r, err := ParseRequirement(s); err == nil {
			t.Errorf("ParseRequirement(%q) = %+v, want an error", s, r)
		} else if !errors.Is(err, ErrInvalidRequirement) {
			t.Errorf("ParseRequirement(%q): %v does not wrap ErrInvalidRequirement", s, err)
		}
	}
	_, err := ParseRequirement("name[bar baz]")
	var se *SyntaxError
	if !errors.As(err, &se) || se.Pos != len("name[bar ") || !strings.Contains(err.Error(), "comma") {
		t.Errorf("error for a missing comma: %v", err)
	}
}

// Markers packaging parses but cannot evaluate, whatever the environment:
// Check refuses them and accepts the valid uses of ~=.
func TestMarkerCheckRefusesUndefinedComparisons(t *testing.T) {
	for _, s := range []string{
		`python_version ~= "abc"`, `"abc" ~= python_version`, `python_version ~= "3"`, `os_name ~= "posix"`,
		`python_full_version ~= "3.*"`, `os_name == "posix" and (python_version ~= "x" or os_name == "nt")`,
	} {
		m, err := ParseMarker(s)
		if err != nil {
			t.Errorf("ParseMarker(%q): %v; packaging parses it", s, err)
			continue
		}
		if err := m.Check(); !errors.Is(err, ErrInvalidMarker) {
			t.Errorf("Check(%q) = %v, want ErrInvalidMarker", s, err)
		}
	}
	for _, s := range []string{`python_version ~= "3.8"`, `"3.8" ~= python_version`, `python_full_version ~= "3.8.1"`, `os_name == "abc"`, `python_version < "abc"`} {
		if err := MustParseMarker(s).Check(); err != nil {
			t.Errorf("Check(%q) = %v", s, err)
		}
	}
}
