package resolve

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var bothSystems = []Target{
	{Python: "3.12", System: "x86_64-linux", Glibc: "2.28"},
	{Python: "3.12", System: "aarch64-linux", Glibc: "2.28"},
}

func resolveUniversalT(t *testing.T, reqs []string, spec map[string][]string) (*Lock, error) {
	t.Helper()
	return ResolveUniversal(context.Background(), reqs, WithIndex(idx(spec)), WithUniverse(Universe{Targets: bothSystems}),
		WithProviders(ProviderPrefs{DefaultKey: {ProviderWheel, ProviderSdist}}))
}

func findPkg(l *Lock, name, version string) *Package {
	for i := range l.Packages {
		if l.Packages[i].Name == name && l.Packages[i].Version == version {
			return &l.Packages[i]
		}
	}
	return nil
}

// Per-architecture wheels, a dependency only one architecture installs,
// and a version only one architecture has a wheel for: the lock installs
// one version everywhere it can, records each target's file, and gives
// the architecture-only package and edge their markers.
func TestResolveUniversalTargets(t *testing.T) {
	spec := map[string][]string{
		"a-1.0-cp312-cp312-manylinux_2_17_x86_64.whl":  {`b ; platform_machine == "x86_64"`, "c"},
		"a-1.0-cp312-cp312-manylinux_2_17_aarch64.whl": {`b ; platform_machine == "x86_64"`, "c"},
		"b-1.0-cp312-cp312-manylinux_2_17_x86_64.whl":  nil,
		"c-2.0-cp312-cp312-manylinux_2_17_x86_64.whl":  nil,
		"c-1.0-py3-none-any.whl":                       nil,
	}
	lock, err := resolveUniversalT(t, []string{"a"}, spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := validateLock(lock); err != nil {
		t.Fatalf("the lock does not validate: %v", err)
	}
	a := findPkg(lock, "a", "1.0")
	if a == nil || len(a.Files) != 2 || a.Marker != "" {
		t.Fatalf("a: %+v", a)
	}
	for _, f := range a.Files {
		arch := "aarch64"
		if strings.Contains(f.Filename, "x86_64") {
			arch = "x86_64"
		}
		if len(f.Targets) != 1 || !strings.HasPrefix(f.Targets[0], arch) || len(f.Tags) != 1 || !strings.HasSuffix(f.Tags[0], arch) {
			t.Errorf("a's file %s serves %v with tags %v", f.Filename, f.Targets, f.Tags)
		}
	}
	b := findPkg(lock, "b", "1.0")
	if b == nil || b.Marker != `platform_machine == "x86_64"` || !slices.Equal(b.Targets, []string{"x86_64-linux/3.12"}) {
		t.Fatalf("b: %+v", b)
	}
	if m := a.DependencyMarkers["b"]; m != `platform_machine == "x86_64"` {
		t.Errorf("a's edge to b has marker %q", m)
	}
	if _, ok := a.DependencyMarkers["c"]; ok {
		t.Errorf("a's edge to c has a marker, but c is installed wherever a is: %v", a.DependencyMarkers)
	}
	var cs []string
	for _, p := range lock.Packages {
		if p.Name == "c" {
			cs = append(cs, p.Version)
		}
	}
	if !slices.Equal(cs, []string{"1.0"}) {
		t.Errorf("c pinned at %v; want 1.0 alone, the newest version every target has a file for", cs)
	}

	// The projection for each system is a single-target lock holding what
	// that system installs.
	x86, err := lock.ForTarget("x86_64-linux", "")
	if err != nil {
		t.Fatal(err)
	}
	arm, err := lock.ForTarget("aarch64-linux", "3.12")
	if err != nil {
		t.Fatal(err)
	}
	if got := pinsOf(x86); got != "a==1.0(a-1.0-cp312-cp312-manylinux_2_17_x86_64.whl) b==1.0(b-1.0-cp312-cp312-manylinux_2_17_x86_64.whl) c==1.0(c-1.0-py3-none-any.whl)" {
		t.Errorf("x86_64 projection: %s", got)
	}
	if got := pinsOf(arm); got != "a==1.0(a-1.0-cp312-cp312-manylinux_2_17_aarch64.whl) c==1.0(c-1.0-py3-none-any.whl)" {
		t.Errorf("aarch64 projection: %s", got)
	}
	if pa := findPkg(arm, "a", "1.0"); slices.Contains(pa.Dependencies, "b") {
		t.Errorf("aarch64's a depends on b: %v", pa.Dependencies)
	}
	if x86.Target.System != "x86_64-linux" || x86.Universal() {
		t.Errorf("projection target %+v", x86.Target)
	}
	_, err = lock.ForTarget("aarch64-linux", "3.11")
	if !errors.Is(err, ErrNoSuchTarget) || !strings.Contains(err.Error(), "x86_64-linux/3.12, aarch64-linux/3.12") {
		t.Errorf("a target the lock lacks: %v", err)
	}

	// Written and read back unchanged.
	back := writeAndRead(t, lock)
	data1, _ := MarshalLock(lock)
	data2, _ := MarshalLock(back)
	if string(data1) != string(data2) {
		t.Errorf("the universal lock changed on the way through its file")
	}
}

// A package that one target needs and has no file for fails the whole
// resolution, as a lock that cannot build there would.
func TestResolveUniversalMissingFile(t *testing.T) {
	_, err := resolveUniversalT(t, []string{"d"}, map[string][]string{"d-1.0-cp312-cp312-manylinux_2_17_x86_64.whl": nil})
	if !errors.Is(err, ErrNoSolution) {
		t.Fatalf("want no solution, got %v", err)
	}
}

// Requirements that differ per target fork the resolution, and each
// target gets the version its fork chose.
func TestResolveUniversalForksByTarget(t *testing.T) {
	lock, err := resolveUniversalT(t, []string{`e>=2 ; platform_machine == "x86_64"`, `e<2 ; platform_machine == "aarch64"`}, map[string][]string{
		"e-1.0-py3-none-any.whl": nil, "e-2.0-py3-none-any.whl": nil,
	})
	if err != nil {
		t.Fatal(err)
	}
	e1, e2 := findPkg(lock, "e", "1.0"), findPkg(lock, "e", "2.0")
	if e1 == nil || e2 == nil || !slices.Equal(e1.Targets, []string{"aarch64-linux/3.12"}) || !slices.Equal(e2.Targets, []string{"x86_64-linux/3.12"}) {
		t.Fatalf("e: %s", pinsOf(lock))
	}
	if len(lock.Forks) != 2 {
		t.Errorf("forks %q", lock.Forks)
	}
}

// A hostile universal lock is refused field by field.
func TestReadLockRefusesHostileUniversalFields(t *testing.T) {
	good, err := resolveUniversalT(t, []string{"a"}, map[string][]string{
		"a-1.0-cp312-cp312-manylinux_2_17_x86_64.whl":  {`b ; platform_machine == "x86_64"`},
		"a-1.0-cp312-cp312-manylinux_2_17_aarch64.whl": {`b ; platform_machine == "x86_64"`},
		"b-1.0-py3-none-any.whl":                       nil,
	})
	if err != nil {
		t.Fatal(err)
	}
	good.Indexes = []string{"https://example.invalid/simple"}
	cases := []lockMutation{
		{"target and targets", "target", func(l *Lock) { l.Target = bothSystems[0] }},
		{"target system", "targets[1]", func(l *Lock) { l.Targets[1].System = `aarch64-linux"; x = "` }},
		{"target twice", "targets[1]", func(l *Lock) { l.Targets[1] = l.Targets[0] }},
		{"fork marker", "forks[0]", func(l *Lock) { l.Forks = []string{`python_version >= "3" ; ${x}`} }},
		{"marker", ".marker", func(l *Lock) { l.Packages[1].Marker = "os_name == \"posix\"\n} // x" }},
		{"unknown target", ".targets", func(l *Lock) { l.Packages[1].Targets = []string{"riscv64-linux/3.12"} }},
		{"file target", ".targets", func(l *Lock) { l.Packages[0].Files[0].Targets = []string{"x86_64-linux/3.12", "aarch64-linux/3.12"} }},
		{"file sha256", ".files[1].sha256", func(l *Lock) { l.Packages[0].Files[1].SHA256 = "../../etc/passwd" }},
		{"file url", ".files[0].url", func(l *Lock) { l.Packages[0].Files[0].URL = "https://u:hunter2@example.invalid/a-1.0-py3-none-any.whl" }},
		{"file name", ".files[0].filename", func(l *Lock) { l.Packages[0].Files[0].Filename = "../a-1.0-py3-none-any.whl" }},
		{"file tags", ".files[0].tags", func(l *Lock) { l.Packages[0].Files[0].Tags = []string{"py3-none-any; x"} }},
		{"file provider", ".files[0].provider", func(l *Lock) { l.Packages[0].Files[0].Provider = "nixpkgs" }},
		{"target without file", ".files", func(l *Lock) { l.Packages[0].Files = l.Packages[0].Files[:1] }},
		{"dependency marker", ".dependency_markers.b", func(l *Lock) { l.Packages[0].DependencyMarkers["b"] = "${builtins.readFile /etc/passwd}" }},
		{"dependency marker for no dependency", ".dependency_markers", func(l *Lock) { l.Packages[0].DependencyMarkers["zz"] = "" }},
		{"dependency on a target that lacks it", "packages[0] (a 1.0).dependencies", func(l *Lock) { delete(l.Packages[0].DependencyMarkers, "b") }},
		{"file native attr", ".files[0].native.build_inputs[0]", func(l *Lock) {
			l.Packages[0].Files[0].Native = &Native{BuildInputs: []string{"zlib; x = import /etc/passwd"}}
		}},
		{"file native soname", ".files[1].native.missing[0]", func(l *Lock) { l.Packages[0].Files[1].Native = &Native{Missing: []string{"../../lib/libc.so.6"}} }},
		{"file native import", ".files[0].native.imports[0]", func(l *Lock) { l.Packages[0].Files[0].Native = &Native{Imports: []string{"os; import shutil"}} }},
		{"file native wheel dep unpinned", ".files[0].native.wheel_deps", func(l *Lock) { l.Packages[0].Files[0].Native = &Native{WheelDeps: []string{"nowhere"}} }},
		{"native by target for another target", ".files[0].native_by_target", func(l *Lock) {
			l.Packages[0].Files[0].Native = &Native{}
			l.Packages[0].Files[0].NativeByTarget = map[string]*Native{l.Packages[0].Files[1].Targets[0]: {}}
		}},
		{"native by target without native", ".files[0].native_by_target", func(l *Lock) {
			l.Packages[0].Files[0].Native = nil
			l.Packages[0].Files[0].NativeByTarget = map[string]*Native{l.Packages[0].Files[0].Targets[0]: {}}
		}},
		{"native by target attr", ".files[0].native_by_target." + good.Packages[0].Files[0].Targets[0] + ": native.build_inputs", func(l *Lock) {
			l.Packages[0].Files[0].Native = &Native{}
			l.Packages[0].Files[0].NativeByTarget = map[string]*Native{l.Packages[0].Files[0].Targets[0]: {BuildInputs: []string{"zlib; x = import /etc/passwd"}}}
		}},
		{"native by target null", ".files[0].native_by_target." + good.Packages[0].Files[0].Targets[0] + ": not an object", func(l *Lock) {
			l.Packages[0].Files[0].Native = &Native{}
			l.Packages[0].Files[0].NativeByTarget = map[string]*Native{l.Packages[0].Files[0].Targets[0]: nil}
		}},
		{"native by target wheel dep unpinned", ".files[0].native_by_target." + good.Packages[0].Files[0].Targets[0] + ".wheel_deps", func(l *Lock) {
			l.Packages[0].Files[0].Native = &Native{}
			l.Packages[0].Files[0].NativeByTarget = map[string]*Native{l.Packages[0].Files[0].Targets[0]: {WheelDeps: []string{"nowhere"}}}
		}},
		{"local package with a file", ".files", func(l *Lock) {
			l.Packages[1].Provider, l.Packages[1].Path, l.Packages[1].SHA256 = ProviderLocal, ".", strings.Repeat("c", 64)
		}},
		{"local build requirement", ".build_requires", func(l *Lock) {
			p := &l.Packages[1]
			p.Provider, p.Path, p.SHA256, p.Files = ProviderLocal, ".", strings.Repeat("c", 64), nil
			p.BuildRequires = []string{`setuptools"; ${abort}`}
		}},
		{"local path", ".path", func(l *Lock) {
			p := &l.Packages[1]
			p.Provider, p.Path, p.SHA256, p.Files = ProviderLocal, "/home/user/.ssh", strings.Repeat("c", 64), nil
		}},
		{"package native in a universal lock", ".native", func(l *Lock) { l.Packages[0].Native = &Native{} }},
		{"single-target file fields", ".filename", func(l *Lock) { l.Packages[1].Filename = "b-1.0-py3-none-any.whl" }},
		{"two versions on one target", ".targets", func(l *Lock) {
			p := l.Packages[1]
			p.Version = "2.0"
			p.Files = []PackageFile{{Filename: "b-2.0-py3-none-any.whl", URL: "https://example.invalid/b-2.0-py3-none-any.whl", SHA256: strings.Repeat("a", 64), Provider: ProviderWheel, Tags: []string{"py3-none-any"}, Targets: p.Targets}}
			l.Packages = append(l.Packages, p)
		}},
		{"universal fields in a single-target lock", "packages[0]", func(l *Lock) {
			l.Targets, l.Forks, l.Target = nil, nil, bothSystems[0]
		}},
	}
	requireRefused(t, good, cases)
}

// lockMutation makes a valid lock invalid; field is what the error must
// name.
type lockMutation struct {
	name, field string
	mutate      func(l *Lock)
}

// requireRefused writes each mutation of good and checks that ReadLock
// refuses it, naming the field, without echoing a credential or breaking
// the line.
func requireRefused(t *testing.T, good *Lock, cases []lockMutation) {
	t.Helper()
	dir := t.TempDir()
	for _, c := range cases {
		data, _ := MarshalLock(good)
		var l Lock
		if err := json.Unmarshal(data, &l); err != nil {
			t.Fatal(err)
		}
		c.mutate(&l)
		out, _ := MarshalLock(&l)
		path := filepath.Join(dir, "lock")
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadLock(path)
		if !errors.Is(err, ErrInvalidLock) || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s: %v (want an invalid-lock error naming %s)", c.name, err, c.field)
		}
		if err != nil && (strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "\n")) {
			t.Errorf("%s: the error echoes a credential or a newline: %q", c.name, err)
		}
	}
}

// Six targets, a dependency for old Pythons only and one for x86_64 on
// the newest Python: markers name what tells the targets apart, and each
// target's projection holds exactly what its own evaluation of the
// markers asks for.
func TestResolveUniversalManyTargets(t *testing.T) {
	var targets []Target
	for _, py := range []string{"3.11", "3.12", "3.13"} {
		for _, sys := range SupportedSystems {
			targets = append(targets, Target{Python: py, System: sys, Glibc: "2.28"})
		}
	}
	spec := map[string][]string{
		"app-1.0-py3-none-any.whl":  {`old ; python_version < "3.12"`, `fast ; platform_machine == "x86_64" and python_version >= "3.13"`},
		"old-1.0-py3-none-any.whl":  nil,
		"fast-1.0-py3-none-any.whl": nil,
	}
	lock, err := ResolveUniversal(context.Background(), []string{"app"}, WithIndex(idx(spec)), WithUniverse(Universe{Targets: targets}),
		WithProviders(ProviderPrefs{DefaultKey: {ProviderWheel}}))
	if err != nil {
		t.Fatal(err)
	}
	if err := validateLock(lock); err != nil {
		t.Fatal(err)
	}
	if p := findPkg(lock, "old", "1.0"); p == nil || p.Marker != `python_version == "3.11"` {
		t.Errorf("old: %+v", p)
	}
	if p := findPkg(lock, "fast", "1.0"); p == nil || p.Marker != `platform_machine == "x86_64" and python_version == "3.13"` {
		t.Errorf("fast: %+v", p)
	}
	for _, tg := range targets {
		proj, err := lock.ForTarget(tg.System, tg.Python)
		if err != nil {
			t.Fatal(err)
		}
		env := tg.Environment()
		want := []string{"app"}
		if env["python_version"] < "3.12" {
			want = append(want, "old")
		}
		if env["platform_machine"] == "x86_64" && env["python_version"] >= "3.13" {
			want = append(want, "fast")
		}
		var got []string
		for _, p := range proj.Packages {
			got = append(got, p.Name)
		}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s installs %v, want %v", tg.Key(), got, want)
		}
		if app := findPkg(proj, "app", "1.0"); !slices.Equal(app.Dependencies, without(want, "app")) {
			t.Errorf("%s: app depends on %v", tg.Key(), app.Dependencies)
		}
	}
}

func without(list []string, x string) []string {
	return slices.DeleteFunc(slices.Clone(list), func(s string) bool { return s == x })
}

// A constraint that holds on one system splits the resolution there, so
// that target is held back as its own resolution would be (the other may
// then prefer the same version, as forks do).
func TestResolveUniversalConstraintMarkers(t *testing.T) {
	lock, err := ResolveUniversal(context.Background(), []string{"c"}, WithIndex(idx(map[string][]string{
		"c-1.0-py3-none-any.whl": nil, "c-2.0-py3-none-any.whl": nil,
	})), WithUniverse(Universe{Targets: bothSystems}), WithConstraints(`c<2 ; platform_machine == "aarch64"`))
	if err != nil {
		t.Fatal(err)
	}
	arm, err := lock.ForTarget("aarch64-linux", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := pinsOf(arm); got != "c==1.0(c-1.0-py3-none-any.whl)" {
		t.Errorf("aarch64 pins %s despite c<2 there", got)
	}
}

// Each file's native inputs reach the projection onto the targets it
// serves, and only those.
func TestForTargetCarriesTheFileNative(t *testing.T) {
	l := sampleUniversalLock()
	if err := Validate(l); err != nil {
		t.Fatal(err)
	}
	x86, err := l.ForTarget("x86_64-linux", "3.12")
	if err != nil {
		t.Fatal(err)
	}
	arm, err := l.ForTarget("aarch64-linux", "3.12")
	if err != nil {
		t.Fatal(err)
	}
	want := l.Packages[0].Files[1].Native
	if got := findPkg(x86, "a", "1.0").Native; got != want || got == nil {
		t.Errorf("x86_64's a has native %+v, want the x86_64 file's %+v", got, want)
	}
	if got := findPkg(arm, "a", "1.0").Native; got != nil {
		t.Errorf("aarch64's a has native %+v; its file records none", got)
	}
	if x86.From != l || arm.From != l {
		t.Errorf("a projection does not name the lock it came from")
	}
}

// A file serving both systems whose inspections differ records one
// system's native inputs in native_by_target: the lock reads back as
// written, and each target's projection gets its own.
func TestNativeByTargetProjects(t *testing.T) {
	lock, err := resolveUniversalT(t, []string{"c"}, map[string][]string{"c-1.0-py3-none-any.whl": nil})
	if err != nil {
		t.Fatal(err)
	}
	f := &lock.Packages[0].Files[0]
	if len(f.Targets) != 2 {
		t.Fatalf("c's file serves %v, want both targets", f.Targets)
	}
	f.Native = &Native{BuildInputs: []string{"zlib"}}
	f.NativeByTarget = map[string]*Native{f.Targets[1]: {BuildInputs: []string{"zstd"}}}
	back := writeAndRead(t, lock)
	want := map[string]string{f.Targets[0]: "zlib", f.Targets[1]: "zstd"}
	for _, tg := range back.Targets {
		one, err := back.ForTarget(tg.System, tg.Python)
		if err != nil {
			t.Fatal(err)
		}
		if n := one.Packages[0].Native; n == nil || !slices.Equal(n.BuildInputs, []string{want[tg.Key()]}) {
			t.Errorf("%s: native %+v, want build input %s", tg.Key(), n, want[tg.Key()])
		}
	}
}

// writeAndRead writes lock to a file and reads it back, as a user's next
// command would.
func writeAndRead(t *testing.T, lock *Lock) *Lock {
	t.Helper()
	path := filepath.Join(t.TempDir(), "machnix.lock")
	if err := WriteLock(path, lock); err != nil {
		t.Fatal(err)
	}
	back, err := ReadLock(path)
	if err != nil {
		t.Fatal(err)
	}
	return back
}

// A universal resolution explains a missing dependency as a single-target
// one does.
func TestResolveUniversalSaysWhyNoVersions(t *testing.T) {
	_, err := resolveUniversalT(t, []string{"app"}, map[string][]string{"app-1.0-py3-none-any.whl": {"gone"}})
	if !errors.Is(err, ErrNoSolution) || !strings.Contains(err.Error(), "depends on gone, which is on no index") {
		t.Errorf("%v, want it to say gone is on no index", err)
	}
}
