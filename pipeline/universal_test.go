package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/machnix/machnix/autopatch"
	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/lockpin"
	"github.com/machnix/machnix/testfixtures/native"
)

// --universal crosses every --system with every --python, defaults to
// both systems, and checks each target; without it several values are an
// error, not a silent pick of the first.
func TestUniversalTargets(t *testing.T) {
	base := Inputs{Target: resolve.Target{Python: "3.12", System: "x86_64-linux", Glibc: "2.28"}}
	in := base
	in.Universal = true
	got, err := universalTargets(in)
	if err != nil || len(got) != 2 || got[0].System != "x86_64-linux" || got[1].System != "aarch64-linux" || got[1].Python != "3.12" || got[1].Glibc != "2.28" {
		t.Fatalf("defaults: %+v %v", got, err)
	}
	in.Pythons, in.Systems = []string{"3.12", "3.13"}, []string{"aarch64-linux"}
	if got, err = universalTargets(in); err != nil || len(got) != 2 || got[1].Key() != "aarch64-linux/3.13" {
		t.Fatalf("crossed: %+v %v", got, err)
	}
	in.Systems = []string{"aarch64-linux", `x86_64-linux"; x = "`}
	if _, err = universalTargets(in); !errors.Is(err, resolve.ErrBadTarget) {
		t.Errorf("a hostile system: %v", err)
	}
	in.Systems, in.Pythons = nil, []string{"2.7"}
	if _, err = universalTargets(in); !errors.Is(err, resolve.ErrBadTarget) {
		t.Errorf("python 2.7: %v", err)
	}
	single := base
	single.Systems = []string{"x86_64-linux", "aarch64-linux"}
	if _, err = universalTargets(single); err == nil {
		t.Errorf("two systems without --universal were accepted")
	}
}

// twoSystemLock is a universal lock whose package has a wheel per system.
func twoSystemLock() *resolve.Lock {
	x86, arm := "x86_64-linux/3.12", "aarch64-linux/3.12"
	sum := strings.Repeat("ab", 32)
	file := func(arch, key string) resolve.PackageFile {
		name := "a-1.0-cp312-cp312-manylinux_2_17_" + arch + ".whl"
		return resolve.PackageFile{Filename: name, URL: "https://example.invalid/" + name, SHA256: sum, Provider: resolve.ProviderWheel,
			Tags: []string{"cp312-cp312-manylinux_2_17_" + arch}, Targets: []string{key}}
	}
	return &resolve.Lock{Version: resolve.LockVersion, Indexes: []string{}, Requirements: []string{"a"},
		Targets: []resolve.Target{{Python: "3.12", System: "x86_64-linux", Glibc: "2.28"}, {Python: "3.12", System: "aarch64-linux", Glibc: "2.28"}},
		Packages: []resolve.Package{{Name: "a", Version: "1.0", Provider: resolve.ProviderWheel, Targets: []string{arm, x86},
			Files: []resolve.PackageFile{file("aarch64", arm), file("x86_64", x86)}}}}
}

// Re-resolving keeps each file's native inputs where the new lock pins
// the same file, and only there.
func TestKeepNativeKeepsEachFiles(t *testing.T) {
	previous := twoSystemLock()
	previous.Packages[0].Files[1].Native = &resolve.Native{BuildInputs: []string{"zlib"}}
	lock := twoSystemLock()
	lock.Packages[0].Files[0].SHA256 = "cd" + lock.Packages[0].Files[0].SHA256[2:]
	KeepNative(lock, previous)
	if n := lock.Packages[0].Files[1].Native; n == nil || n.BuildInputs[0] != "zlib" {
		t.Errorf("the unchanged x86_64 file lost its native inputs: %+v", n)
	}
	if n := lock.Packages[0].Files[0].Native; n != nil {
		t.Errorf("the changed aarch64 file took native inputs %+v", n)
	}
}

// Native inputs were copied by file alone, whatever target they were
// inspected for: an abi3 wheel inspected for 3.11 (where the interpreter
// provides libpython3.11) handed its inputs to 3.12. They are kept only
// for targets the previous lock inspected the file for.
func TestKeepNativeOnlyForInspectedTargets(t *testing.T) {
	const py311, py312 = "x86_64-linux/3.11", "x86_64-linux/3.12"
	const name = "ext-1.0-cp38-abi3-manylinux_2_17_x86_64.whl"
	sum := strings.Repeat("ef", 32)
	on311 := &resolve.Native{BuildInputs: []string{"zlib"}}
	on312 := &resolve.Native{BuildInputs: []string{"zlib", "python312"}}
	target := func(py string) resolve.Target {
		return resolve.Target{Python: py, System: "x86_64-linux", Glibc: "2.28"}
	}
	single := func(py string, n *resolve.Native) *resolve.Lock {
		return &resolve.Lock{Version: resolve.LockVersion, Target: target(py), Packages: []resolve.Package{{Name: "ext", Version: "1.0",
			Provider: resolve.ProviderWheel, Filename: name, SHA256: sum, Native: n}}}
	}
	universal := func(keys []string, n *resolve.Native, byTarget map[string]*resolve.Native) *resolve.Lock {
		l := &resolve.Lock{Version: resolve.LockVersion, Packages: []resolve.Package{{Name: "ext", Version: "1.0", Provider: resolve.ProviderWheel,
			Targets: keys, Files: []resolve.PackageFile{{Filename: name, SHA256: sum, Provider: resolve.ProviderWheel, Targets: keys,
				Native: n, NativeByTarget: byTarget}}}}}
		for _, k := range keys {
			l.Targets = append(l.Targets, target(strings.TrimPrefix(k, "x86_64-linux/")))
		}
		return l
	}
	fileNative := func(l *resolve.Lock) resolve.PackageFile { return l.Packages[0].Files[0] }

	// A single-target lock for 3.11 refreshed as one for 3.11 keeps them,
	// for 3.12 does not.
	lock := single("3.11", nil)
	KeepNative(lock, single("3.11", on311))
	if lock.Packages[0].Native != on311 {
		t.Errorf("3.11 after 3.11: %+v, want the previous inputs", lock.Packages[0].Native)
	}
	lock = single("3.12", nil)
	KeepNative(lock, single("3.11", on311))
	if lock.Packages[0].Native != nil {
		t.Errorf("3.12 after 3.11 took the inputs found for 3.11: %+v", lock.Packages[0].Native)
	}

	// A universal file serving 3.11 and 3.12 after a 3.11 lock: 3.12 was
	// never inspected, so the file has none; one serving 3.11 alone has.
	lock = universal([]string{py311, py312}, nil, nil)
	KeepNative(lock, single("3.11", on311))
	if f := fileNative(lock); f.Native != nil || f.NativeByTarget != nil {
		t.Errorf("a file for 3.11 and 3.12 after a 3.11 lock: %+v %+v", f.Native, f.NativeByTarget)
	}
	lock = universal([]string{py311}, nil, nil)
	KeepNative(lock, single("3.11", on311))
	if f := fileNative(lock); f.Native != on311 {
		t.Errorf("a file for 3.11 after a 3.11 lock: %+v", f.Native)
	}

	// The same from a universal previous lock whose file served 3.11 only.
	lock = universal([]string{py311, py312}, nil, nil)
	KeepNative(lock, universal([]string{py311}, on311, nil))
	if f := fileNative(lock); f.Native != nil || f.NativeByTarget != nil {
		t.Errorf("a file for 3.11 and 3.12 after one for 3.11: %+v %+v", f.Native, f.NativeByTarget)
	}

	// A file inspected for both keeps each target's inputs, in a
	// universal lock and in a single-target one for either Python.
	both := universal([]string{py311, py312}, on311, map[string]*resolve.Native{py312: on312})
	lock = universal([]string{py311, py312}, nil, nil)
	KeepNative(lock, both)
	if f := fileNative(lock); f.NativeFor(py311) != on311 || f.NativeFor(py312) != on312 {
		t.Errorf("a file inspected for both: %+v %+v", f.Native, f.NativeByTarget)
	}
	for py, want := range map[string]*resolve.Native{"3.11": on311, "3.12": on312} {
		lock = single(py, nil)
		KeepNative(lock, both)
		if lock.Packages[0].Native != want {
			t.Errorf("a %s lock after a universal one: %+v, want %+v", py, lock.Packages[0].Native, want)
		}
	}
}

// Generate makes an expression for one target: a universal lock as it is
// is refused, its projection generates with the universal lock beside it,
// this target's file annotated, the other's as recorded.
func TestGenerateWritesTheUniversalLock(t *testing.T) {
	lock := twoSystemLock()
	if _, err := Generate(&Prepared{Lock: lock, Report: &autopatch.NativeReport{}}); err == nil {
		t.Errorf("a universal lock generated without a target")
	}
	x86, err := lock.ForTarget("x86_64-linux", "3.12")
	if err != nil {
		t.Fatal(err)
	}
	report := &autopatch.NativeReport{Wheels: []autopatch.WheelReport{{Name: "a", Version: "1.0", NixInputs: []string{"zlib"}, TopLevelModules: []string{"a"}}}}
	expr, err := Generate(&Prepared{Lock: x86, Report: report, Universal: x86.From})
	if err != nil {
		t.Fatal(err)
	}
	var written resolve.Lock
	if err := json.Unmarshal([]byte(expr.Lock), &written); err != nil {
		t.Fatal(err)
	}
	files := written.Packages[0].Files
	if !written.Universal() || files[1].Native == nil || files[1].Native.BuildInputs[0] != "zlib" || files[0].Native != nil {
		t.Errorf("the lock beside the expression: %s", expr.Lock)
	}
	if lock.Packages[0].Files[1].Native != nil {
		t.Errorf("Generate changed the lock it was given")
	}
}

// An abi3 wheel serves two Pythons, and its extension links libpython3.11:
// on 3.11 the interpreter provides it, on 3.12 nothing does. Preparing the
// universal lock inspects the file for each target and records both: the
// file's native inputs for 3.11, and 3.12's own in native_by_target.
func TestPrepareRecordsEachTargetsInspectionOfASharedFile(t *testing.T) {
	const py311, py312 = "x86_64-linux/3.11", "x86_64-linux/3.12"
	dir := t.TempDir()
	lib := native.SharedLib(t, "", "_ext", "libpython3.11.so.1.0")
	path, err := testfixtures.WriteWheel(dir, testfixtures.Wheel{Name: "ext", Version: "1.0", Tags: []string{"cp38-abi3-manylinux_2_17_x86_64"},
		Files: []testfixtures.File{{Path: "ext/__init__.py", Data: []byte("")}, {Path: "ext/_ext.abi3.so", Data: lib, Mode: 0o755}}})
	if err != nil {
		t.Fatal(err)
	}
	pin := lockpin.File(t, path, "file://"+dir, "", resolve.ProviderWheel)
	lock := &resolve.Lock{Version: resolve.LockVersion, Indexes: []string{}, Requirements: []string{"ext"},
		Targets: []resolve.Target{{Python: "3.11", System: "x86_64-linux", Glibc: "2.28"}, {Python: "3.12", System: "x86_64-linux", Glibc: "2.28"}},
		Packages: []resolve.Package{{Name: "ext", Version: "1.0", Provider: resolve.ProviderWheel, Targets: []string{py311, py312},
			Files: []resolve.PackageFile{{Filename: pin.Filename, URL: pin.URL, SHA256: pin.SHA256, Size: pin.Size, Provider: resolve.ProviderWheel,
				Tags: []string{"cp38-abi3-manylinux_2_17_x86_64"}, Targets: []string{py311, py312}}}}}}
	if err := resolve.Validate(lock); err != nil {
		t.Fatal(err)
	}
	p, err := Prepare(context.Background(), lock, Settings{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	f := p.Lock.Packages[0].Files[0]
	on311, on312 := f.NativeFor(py311), f.NativeFor(py312)
	if on311 == nil || len(on311.Missing) != 0 {
		t.Errorf("on 3.11 the file misses %+v, want nothing", on311)
	}
	if on312 == nil || !slices.Equal(on312.Missing, []string{"libpython3.11.so.1.0"}) {
		t.Errorf("on 3.12 the file misses %+v, want libpython3.11.so.1.0", on312)
	}
	if err := resolve.Validate(p.Lock); err != nil {
		t.Errorf("the annotated lock is invalid: %v", err)
	}
}
