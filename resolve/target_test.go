package resolve

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestTargetDefaultsAndValidate(t *testing.T) {
	d := Target{}.WithDefaults()
	if d.Python != DefaultPython || d.System != DefaultSystem || d.Glibc != DefaultGlibc {
		t.Fatalf("defaults %+v", d)
	}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, ok := range []Target{{"3.10", "aarch64-linux", "2.17"}, {"3.12.4", "x86_64-linux", "2.28"}, {"3.14", "x86_64-linux", "2.40"}} {
		if err := ok.Validate(); err != nil {
			t.Errorf("%+v: %v", ok, err)
		}
	}
	for _, bad := range []Target{{"3.9", "x86_64-linux", "2.28"}, {"3.11", "x86_64-darwin", "2.28"}, {"3.11", "x86_64-linux", "x"}, {"2.7", "x86_64-linux", "2.28"}} {
		err := bad.Validate()
		if !errors.Is(err, ErrBadTarget) || !strings.Contains(err.Error(), "--") {
			t.Errorf("%+v: %v (want ErrBadTarget naming the flag)", bad, err)
		}
	}
	// Resolution works for any CPython 3 (conformance suites target 3.8),
	// but not for what is not a Python 3 version.
	if _, err := NewRules(Target{Python: "3.8"}); err != nil {
		t.Errorf("NewRules(3.8): %v", err)
	}
	for _, bad := range []string{"2.7", "3", "3.x", "3.9.1.2"} {
		if _, err := NewRules(Target{Python: bad}); !errors.Is(err, ErrBadTarget) {
			t.Errorf("NewRules(%s): %v, want ErrBadTarget", bad, err)
		}
	}
}

func TestStandardRules(t *testing.T) {
	r, err := NewRules(Target{Python: "3.11", System: "x86_64-linux", Glibc: "2.28"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Compare("1.0", "1.0.0") != 0 || r.Compare("1.0rc1", "1.0") != -1 || r.Compare("1.10", "1.9") != 1 || r.Compare("junk", "0.1") != -1 {
		t.Error("Compare")
	}
	for _, c := range []struct {
		spec, v string
		pre     bool
		want    bool
	}{
		{">=1,<2", "1.5", false, true}, {">=1,<2", "2.0", false, false}, {">=1", "2.0b1", false, false},
		{">=1", "2.0b1", true, true}, {">=2.0b1", "2.0b2", false, true}, {"", "3", false, true},
		{"==1.*", "1.0.post1", false, true}, {"not a spec", "1", true, false}, {">=1", "not a version", true, false},
	} {
		if got := r.Matches(c.spec, c.v, c.pre); got != c.want {
			t.Errorf("Matches(%q, %q, %v) = %v", c.spec, c.v, c.pre, got)
		}
	}
	if !r.IsPrerelease("1.0.dev0") || r.IsPrerelease("1.0.post1") {
		t.Error("IsPrerelease")
	}
	for rp, want := range map[string]bool{"": true, ">=3.8": true, ">=3.12": false, "<3.11": true, ">=3.8,<=3.10": true, "~=3.11": true, ">=3.11.0": true, "!=3.11.*": false, "garbage": true} {
		if got := r.PythonMatches(rp); got != want {
			t.Errorf("PythonMatches(%q) = %v", rp, got)
		}
	}

	req, err := r.ParseRequirement(`Foo.Bar[Sec,a]>=1.0,<2 ; python_version >= "3.8" and extra == "x"`)
	if err != nil {
		t.Fatal(err)
	}
	if req.Name != "foo-bar" || strings.Join(req.Extras, ",") != "a,sec" || req.Specifier != "<2,>=1.0" || req.Applies == nil {
		t.Fatalf("requirement %+v", req)
	}
	if req.Applies("") || !req.Applies("X") {
		t.Error("marker with extra")
	}
	if old, _ := r.ParseRequirement(`b; python_version < "3.8"`); old.Applies("") {
		t.Error("python_version < 3.8 should not apply to 3.11")
	}
	if _, err := r.ParseRequirement("b>="); err == nil {
		t.Error("a bad requirement parsed")
	}

	type fileCase struct {
		file      string
		name, ver string
		kind      Provider
		ok        bool
	}
	for _, c := range []fileCase{
		{"numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "numpy", "1.26.4", ProviderWheel, true},
		{"Foo_Bar-1.0-py3-none-any.whl", "foo-bar", "1.0", ProviderWheel, true},
		{"foo-1.0-cp311-cp311-manylinux_2_31_x86_64.whl", "", "", "", false},
		{"foo-1.0-cp311-cp311-macosx_11_0_arm64.whl", "", "", "", false},
		{"foo-1.0-cp312-cp312-manylinux_2_17_x86_64.whl", "", "", "", false},
		{"foo-1.0-1-cp311-cp311-manylinux_2_17_x86_64.whl", "foo", "1.0", ProviderWheel, true},
		{"foo-1.0-1.tar.gz", "foo-1-0", "1", ProviderSdist, true},
		{"Foo-1.0rc1.tar.gz", "foo", "1.0rc1", ProviderSdist, true},
		{"foo-1.0.zip", "foo", "1.0", ProviderSdist, true},
		{"foo-1.0.tar.bz2", "", "", "", false},
		{"foo-1.0-py2.py3-none-any.egg", "", "", "", false},
	} {
		n, v, kind, _, ok := r.ParseFilename(c.file)
		if ok != c.ok || (ok && (n != c.name || v != c.ver || kind != c.kind)) {
			t.Errorf("ParseFilename(%s) = %q %q %q %v", c.file, n, v, kind, ok)
		}
	}
	rank := func(f string) int { _, _, _, rk, _ := r.ParseFilename(f); return rk }
	m228 := rank("a-1-cp311-cp311-manylinux_2_28_x86_64.whl")
	m2014 := rank("a-1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")
	abi3 := rank("a-1-cp38-abi3-manylinux2014_x86_64.whl")
	pure := rank("a-1-py3-none-any.whl")
	if !(m228 < m2014 && m2014 < abi3 && abi3 < pure) {
		t.Errorf("ranks: 2_28 %d, 2014 %d, abi3 %d, pure %d", m228, m2014, abi3, pure)
	}
	b2, b10, none := rank("a-1-2-py3-none-any.whl"), rank("a-1-10-py3-none-any.whl"), rank("a-1-py3-none-any.whl")
	if !(b10 < b2 && b2 < none) || b10/buildSlots != none/buildSlots {
		t.Errorf("build tags: 10 -> %d, 2 -> %d, none -> %d", b10, b2, none)
	}
}

// TestResolveWithStandardRules runs the solver with the real standards on
// an in-memory index: PEP 440 ordering (1.10 > 1.9), the best wheel tag,
// markers on the target, pre-releases and normalised names.
func TestResolveWithStandardRules(t *testing.T) {
	rules, err := NewRules(Target{Python: "3.11", System: "x86_64-linux", Glibc: "2.28"})
	if err != nil {
		t.Fatal(err)
	}
	ix := &memIndex{files: map[string][]File{}, deps: map[string][]string{}}
	add := func(project, file string, deps ...string) {
		ix.files[project] = append(ix.files[project], File{Filename: file, URL: "http://x/" + file})
		ix.deps[file] = deps
	}
	add("app", "app-1.9-py3-none-any.whl")
	add("app", "app-1.10-py3-none-any.whl",
		`native>=2`, `old-only; python_version < "3.8"`, `Win_Only; sys_platform == "win32"`,
		`extra-dep; extra == "fast"`, `beta>=0`)
	add("native", "native-2.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")
	add("native", "native-2.0-cp311-cp311-manylinux_2_28_x86_64.whl")
	add("native", "native-2.0-cp311-cp311-manylinux_2_34_x86_64.whl")
	add("native", "native-2.1-cp312-cp312-manylinux_2_28_x86_64.whl")
	add("beta", "beta-1.0b1-py3-none-any.whl")
	lock, err := Resolve(context.Background(), []string{"App"}, WithRules(rules), WithIndex(ix), WithTarget(Target{Python: "3.11", System: "x86_64-linux", Glibc: "2.28"}))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range lock.Packages {
		got[p.Name] = p.Version + " " + p.Filename
	}
	want := map[string]string{
		"app":    "1.10 app-1.10-py3-none-any.whl",
		"native": "2.0 native-2.0-cp311-cp311-manylinux_2_28_x86_64.whl",
		"beta":   "1.0b1 beta-1.0b1-py3-none-any.whl",
	}
	if len(got) != len(want) {
		t.Errorf("pins %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

// Constraints narrow what is required and never add a package: lib is
// held below 2 and the conflict names the constraint; unused is absent.
func TestResolveConstraints(t *testing.T) {
	target := Target{Python: "3.11", System: "x86_64-linux", Glibc: "2.28"}
	rules, err := NewRules(target)
	if err != nil {
		t.Fatal(err)
	}
	ix := &memIndex{files: map[string][]File{}, deps: map[string][]string{}}
	add := func(project, file string, deps ...string) {
		ix.files[project] = append(ix.files[project], File{Filename: file, URL: "http://x/" + file})
		ix.deps[file] = deps
	}
	add("app", "app-1.0-py3-none-any.whl", "lib>=1")
	add("lib", "lib-1.5-py3-none-any.whl")
	add("lib", "lib-2.0-py3-none-any.whl")
	add("unused", "unused-1.0-py3-none-any.whl")
	lock, err := Resolve(context.Background(), []string{"app"}, WithRules(rules), WithIndex(ix), WithTarget(target),
		WithConstraints("lib<2", "unused==1.0", `lib<1.5; sys_platform == "win32"`))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range lock.Packages {
		got[p.Name] = p.Version
	}
	if len(got) != 2 || got["app"] != "1.0" || got["lib"] != "1.5" {
		t.Errorf("pins %v, want app 1.0 and lib 1.5 (lib<2, and nothing for the unused constraint)", got)
	}
	_, err = Resolve(context.Background(), []string{"app"}, WithRules(rules), WithIndex(ix), WithTarget(target), WithConstraints("lib>=3"))
	if !errors.Is(err, ErrNoSolution) || !strings.Contains(err.Error(), "constrained to lib>=3") {
		t.Errorf("err %v, want no solution naming the constraint", err)
	}
}

// A dependency without candidates is explained by why it has none: it is
// on no index, its page lists no file, or every file is for another
// target, counted by reason.
func TestNoVersionsSaysWhy(t *testing.T) {
	target := Target{Python: "3.11", System: "x86_64-linux", Glibc: "2.28"}
	rules, err := NewRules(target)
	if err != nil {
		t.Fatal(err)
	}
	for dep, want := range map[string]string{
		"gone":   "app==1.0 depends on gone, which is on no index",
		"empty":  "app==1.0 depends on empty, which has no files on the index",
		"native": "app==1.0 depends on native, which has 3 files on the index, none for this target: 1 for another Python (Requires-Python), 2 for other interpreters or platforms",
	} {
		ix := &memIndex{files: map[string][]File{"empty": nil}, deps: map[string][]string{}}
		add := func(project, file, requiresPython string, deps ...string) {
			ix.files[project] = append(ix.files[project], File{Filename: file, URL: "http://x/" + file, RequiresPython: requiresPython})
			ix.deps[file] = deps
		}
		add("app", "app-1.0-py3-none-any.whl", "", dep)
		add("native", "native-1.0-cp312-cp312-manylinux_2_28_x86_64.whl", "")
		add("native", "native-1.0-cp311-cp311-macosx_11_0_arm64.whl", "")
		add("native", "native-1.0-py3-none-any.whl", ">=3.12")
		_, err := Resolve(context.Background(), []string{"app"}, WithRules(rules), WithIndex(ix), WithTarget(target))
		if !errors.Is(err, ErrNoSolution) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want it to say %q", dep, err, want)
		}
	}
}
