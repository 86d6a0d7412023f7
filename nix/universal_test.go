package nixlib_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/machnix/machnix/pipeline"
	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/lockpin"
	"github.com/machnix/machnix/testfixtures/native"
	"github.com/machnix/machnix/testfixtures/nixpkgs"
)

const (
	x86Key = "x86_64-linux/3.11"
	armKey = "aarch64-linux/3.11"
)

// universalLock serves, as TestUniversalLockBuildsOnThisSystem's index
// does, zcrc as a gcc-built wheel for this machine and a made-up ELF-less
// wheel for aarch64, app (needing zcrc, and xonly on x86_64 only) and
// xonly, and writes dir/machnix.lock: the universal lock for both systems
// with Python 3.11, each wheel file inspected by machnix's own Prepare for
// the targets it serves.
func universalLock(t *testing.T, dir string) *resolve.Lock {
	t.Helper()
	if native.Arch() != "x86_64" {
		t.Skip("the fixture's other-architecture wheel is made up for aarch64; this test runs on x86_64")
	}
	s := serve(t)
	w := native.BuildT(t)
	data, err := os.ReadFile(w.Zcrc)
	if err != nil {
		t.Fatal(err)
	}
	x86Path := filepath.Join(s.dir, filepath.Base(w.Zcrc))
	if err := os.WriteFile(x86Path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	zX86 := lockpin.File(t, x86Path, s.url, "", resolve.ProviderWheel)
	zArm := s.pin(t, testfixtures.Wheel{Name: "zcrc", Version: "1.0", Tags: []string{"cp311-cp311-manylinux_2_17_aarch64"},
		Files: []testfixtures.File{py("zcrc/__init__.py", "ARCH = 'aarch64'\n")}}, false)
	app := s.pin(t, testfixtures.Wheel{Name: "app", Version: "1.0", Requires: []string{"zcrc", `xonly ; platform_machine == "x86_64"`},
		Files: []testfixtures.File{py("app/__init__.py", "A = 'app'\n")}}, false)
	xonly := s.pin(t, testfixtures.Wheel{Name: "xonly", Version: "1.0", Files: []testfixtures.File{py("xonly/__init__.py", "X = 'x86_64 only'\n")}}, false)
	file := func(p resolve.Package, tags string, keys ...string) resolve.PackageFile {
		return resolve.PackageFile{Filename: p.Filename, URL: p.URL, SHA256: p.SHA256, Size: p.Size, Provider: p.Provider, Tags: []string{tags}, Targets: keys}
	}
	marker := `platform_machine == "x86_64"`
	lock := &resolve.Lock{Version: resolve.LockVersion, Requirements: []string{"app"},
		Targets: []resolve.Target{{Python: "3.11", System: "x86_64-linux", Glibc: "2.28"}, {Python: "3.11", System: "aarch64-linux", Glibc: "2.28"}},
		Forks:   []string{marker, `platform_machine != "x86_64"`},
		Packages: []resolve.Package{
			{Name: "app", Version: "1.0", Provider: resolve.ProviderWheel, Targets: []string{armKey, x86Key}, Dependencies: []string{"xonly", "zcrc"},
				DependencyMarkers: map[string]string{"xonly": marker}, Files: []resolve.PackageFile{file(app, "py3-none-any", armKey, x86Key)}},
			{Name: "xonly", Version: "1.0", Provider: resolve.ProviderWheel, Marker: marker, Targets: []string{x86Key},
				Files: []resolve.PackageFile{file(xonly, "py3-none-any", x86Key)}},
			{Name: "zcrc", Version: "1.0", Provider: resolve.ProviderWheel, Targets: []string{armKey, x86Key},
				Files: []resolve.PackageFile{file(zArm, "cp311-cp311-manylinux_2_17_aarch64", armKey), file(zX86, strings.TrimSuffix(strings.SplitN(zX86.Filename, "-", 3)[2], ".whl"), x86Key)}},
		}}
	if err := resolve.Validate(lock); err != nil {
		t.Fatal(err)
	}
	p, err := pipeline.Prepare(context.Background(), lock, pipeline.Settings{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "machnix.lock")
	if err := pipeline.RecordNative(path, p); err != nil {
		t.Fatal(err)
	}
	out, err := resolve.ReadLock(path)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// zcrcFile is the lock's zcrc file for a target.
func zcrcFile(t *testing.T, l *resolve.Lock, key string) resolve.PackageFile {
	t.Helper()
	for _, p := range l.Packages {
		for _, f := range p.Files {
			if p.Name == "zcrc" && slices.Contains(f.Targets, key) {
				return f
			}
		}
	}
	t.Fatalf("no zcrc file for %s", key)
	return resolve.PackageFile{}
}

// evalJSON evaluates expr (in dir/eval.nix) strictly to JSON, offline and
// without import-from-derivation, building nothing.
func evalFileJSON(t *testing.T, dir, expr string, v any) (string, error) {
	t.Helper()
	testfixtures.RequireTool(t, "nix-instantiate")
	file := filepath.Join(dir, "eval.nix")
	if err := os.WriteFile(file, []byte(expr), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("nix-instantiate", "--eval", "--strict", "--json", "--option", "substituters", "",
		"--option", "allow-import-from-derivation", "false", "-I", "nixpkgs="+nixpkgs.Dir(), file)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err == nil && v != nil {
		if err := json.Unmarshal(out, v); err != nil {
			t.Fatalf("%s: %v", out, err)
		}
	}
	return stderr.String(), err
}

// onSystem is a Nix expression with `pkgs` (the stand-in imported for
// system, as nixpkgs takes localSystem), `machnix` on it, and `ps`, the
// Python package set with the lock's packages (mkPythonOverrides).
func onSystem(t *testing.T, system, body string) string {
	t.Helper()
	return fmt.Sprintf("let pkgs = import %s { localSystem = { system = %q; }; }; machnix = import %s { inherit pkgs; };\n"+
		"  ps = (pkgs.python311.override { packageOverrides = machnix.mkPythonOverrides { lock = ./machnix.lock; }; }).pkgs; in\n%s\n",
		nixpkgs.Dir(), system, filepath.Join(testfixtures.RepoRoot(t), "default.nix"), body)
}

// What each system's evaluation makes of the universal lock.
type chosen struct {
	URL, Hash, Name string
	BuildInputs     []string
	AppDeps         []string
	HasXonly        bool
	EnvSystem       string
}

const chosenExpr = `{
  URL = ps.zcrc.src.url; Hash = ps.zcrc.src.outputHash; Name = ps.zcrc.src.name;
  BuildInputs = map (d: d.name) ps.zcrc.buildInputs;
  AppDeps = map (d: d.pname) ps.app.dependencies;
  HasXonly = ps ? xonly;
  # The environment itself instantiates for this system (nothing is built).
  EnvSystem = builtins.seq (machnix.mkPython { lock = ./machnix.lock; }).drvPath (machnix.mkPython { lock = ./machnix.lock; }).system;
}`

// The universal lock builds through the library on this x86_64 machine
// (the environment imports app, xonly and zcrc's compiled extension), and
// evaluated for aarch64-linux it takes the aarch64 file, with none of the
// x86_64 file's native inputs and without xonly, whose marker excludes
// the system.
func TestUniversalLockPerSystem(t *testing.T) {
	dir := t.TempDir()
	l := universalLock(t, dir)
	x86File, armFile := zcrcFile(t, l, x86Key), zcrcFile(t, l, armKey)
	if x86File.Native == nil || !slices.Contains(x86File.Native.BuildInputs, "zlib") {
		t.Fatalf("the x86_64 zcrc file records native %+v, want zlib among its build inputs", x86File.Native)
	}
	if armFile.Native == nil || len(armFile.Native.BuildInputs) != 0 || !slices.Equal(armFile.Native.Imports, []string{"zcrc"}) {
		t.Fatalf("the aarch64 zcrc file records native %+v, want no build inputs and its module", armFile.Native)
	}

	env := mustBuild(t, dir, libraryExpr(t, `machnix.mkPython { lock = ./machnix.lock; requirements = "app"; }`))
	got := pythonIn(t, env, fmt.Sprintf("import app, xonly, zcrc; print(xonly.X, zcrc.crc32(%q.encode()))", native.ZcrcInput))
	if want := fmt.Sprintf("x86_64 only %d", native.ZcrcCRC32()); got != want {
		t.Errorf("the x86_64 environment printed %q, want %q", got, want)
	}

	var x86, arm chosen
	if stderr, err := evalFileJSON(t, dir, onSystem(t, "x86_64-linux", chosenExpr), &x86); err != nil {
		t.Fatalf("x86_64-linux: %v\n%s", err, stderr)
	}
	if stderr, err := evalFileJSON(t, dir, onSystem(t, "aarch64-linux", chosenExpr), &arm); err != nil {
		t.Fatalf("aarch64-linux: %v\n%s", err, stderr)
	}
	if x86.URL != x86File.URL || x86.Hash != x86File.SHA256 || arm.URL != armFile.URL || arm.Hash != armFile.SHA256 {
		t.Errorf("zcrc's source: x86_64 %s %s, aarch64 %s %s; want %s %s and %s %s",
			x86.URL, x86.Hash, arm.URL, arm.Hash, x86File.URL, x86File.SHA256, armFile.URL, armFile.SHA256)
	}
	if !slices.ContainsFunc(x86.BuildInputs, func(s string) bool { return strings.HasPrefix(s, "zlib") }) || len(arm.BuildInputs) != 0 {
		t.Errorf("zcrc's build inputs: x86_64 %v (want zlib's), aarch64 %v (want none)", x86.BuildInputs, arm.BuildInputs)
	}
	if !slices.Equal(x86.AppDeps, []string{"xonly", "zcrc"}) || !slices.Equal(arm.AppDeps, []string{"zcrc"}) || arm.HasXonly || !x86.HasXonly {
		t.Errorf("app's dependencies: x86_64 %v (xonly %t), aarch64 %v (xonly %t)", x86.AppDeps, x86.HasXonly, arm.AppDeps, arm.HasXonly)
	}
	if x86.EnvSystem != "x86_64-linux" || arm.EnvSystem != "aarch64-linux" {
		t.Errorf("environments for %s and %s", x86.EnvSystem, arm.EnvSystem)
	}
}

// A file serving both systems whose inspections differ: the library gives
// each system the native inputs recorded for it, native_by_target's where
// it has an entry, else the file's native.
func TestNativeByTargetPerSystem(t *testing.T) {
	dir := t.TempDir()
	l := universalLock(t, dir)
	for i, p := range l.Packages {
		if p.Name == "app" {
			f := &l.Packages[i].Files[0]
			if !slices.Equal(f.Targets, []string{armKey, x86Key}) {
				t.Fatalf("app's file serves %v, want both systems", f.Targets)
			}
			f.NativeByTarget = map[string]*resolve.Native{armKey: {BuildInputs: []string{"zstd"}, Imports: f.Native.Imports}}
		}
	}
	if err := resolve.WriteLock(filepath.Join(dir, "machnix.lock"), l); err != nil {
		t.Fatal(err)
	}
	inputs := map[string][]string{}
	for _, system := range []string{"x86_64-linux", "aarch64-linux"} {
		var got []string
		if stderr, err := evalFileJSON(t, dir, onSystem(t, system, `map (d: d.name) ps.app.buildInputs`), &got); err != nil {
			t.Fatalf("%s: %v\n%s", system, err, stderr)
		}
		inputs[system] = got
	}
	hasZstd := func(names []string) bool {
		return slices.ContainsFunc(names, func(s string) bool { return strings.HasPrefix(s, "zstd") })
	}
	if !hasZstd(inputs["aarch64-linux"]) || hasZstd(inputs["x86_64-linux"]) {
		t.Errorf("app's build inputs: aarch64 %v (want zstd's), x86_64 %v (want none of it)", inputs["aarch64-linux"], inputs["x86_64-linux"])
	}
}

// A system or Python the lock has no target for stops evaluation, naming
// the lock's targets and the command that adds it.
func TestUniversalLockRefusesAnUnknownTarget(t *testing.T) {
	dir := t.TempDir()
	l := universalLock(t, dir)
	// The lock for x86_64-linux alone.
	l.Targets = l.Targets[:1]
	var kept []resolve.Package
	for _, p := range l.Packages {
		p.Targets = slices.DeleteFunc(p.Targets, func(k string) bool { return k == armKey })
		p.Files = slices.DeleteFunc(p.Files, func(f resolve.PackageFile) bool { return slices.Equal(f.Targets, []string{armKey}) })
		for i := range p.Files {
			p.Files[i].Targets = slices.DeleteFunc(slices.Clone(p.Files[i].Targets), func(k string) bool { return k == armKey })
		}
		kept = append(kept, p)
	}
	l.Packages = kept
	if err := resolve.WriteLock(filepath.Join(dir, "machnix.lock"), l); err != nil {
		t.Fatal(err)
	}
	_, stderr, err := nixBuild(t, dir, onSystem(t, "aarch64-linux", `machnix.mkPython { lock = ./machnix.lock; }`))
	for _, want := range []string{"the lock has no target aarch64-linux/", "it holds x86_64-linux/3.11", "machnix resolve --universal --system x86_64-linux --system aarch64-linux --python 3.11"} {
		if err == nil || !strings.Contains(stderr, want) {
			t.Errorf("aarch64-linux: %v, want %q in\n%s", err, want, stderr)
		}
	}
	_, stderr, err = nixBuild(t, dir, libraryExpr(t, `machnix.mkPython { lock = ./machnix.lock; python = pkgs.python311 // { pythonVersion = "3.12"; }; }`))
	if err == nil || !strings.Contains(stderr, "no target x86_64-linux/3.12") || !strings.Contains(stderr, "--python 3.11 --python 3.12") {
		t.Errorf("python 3.12: %v\n%s", err, stderr)
	}
}

// A hostile universal lock is refused by the library's own checks, naming
// the field, on whichever target the field belongs to.
func TestHostileUniversalLockRefusedByTheLibrary(t *testing.T) {
	dir := t.TempDir()
	good := universalLock(t, dir)
	cases := map[string]struct {
		mutate func(l map[string]any)
		field  string
	}{
		"other target's file sha256": {func(l map[string]any) { zcrcOf(l)["files"].([]any)[0].(map[string]any)["sha256"] = "../../etc/passwd" }, "files[0] (zcrc).sha256"},
		"file native build input": {func(l map[string]any) {
			zcrcOf(l)["files"].([]any)[0].(map[string]any)["native"] = map[string]any{"build_inputs": []any{"zlib ${abort}"}}
		}, "files[0] (zcrc).native.build_inputs"},
		"file target": {func(l map[string]any) {
			zcrcOf(l)["files"].([]any)[0].(map[string]any)["targets"] = []any{"riscv64-linux/3.11"}
		}, "files[0].targets"},
		"unpinned file wheel dep": {func(l map[string]any) {
			zcrcOf(l)["files"].([]any)[0].(map[string]any)["native"] = map[string]any{"wheel_deps": []any{"python"}}
		}, "files[0].native.wheel_deps: python is not pinned"},
		"unpinned native by target wheel dep": {func(l map[string]any) {
			f := zcrcOf(l)["files"].([]any)[0].(map[string]any)
			f["native"] = map[string]any{}
			f["native_by_target"] = map[string]any{armKey: map[string]any{"wheel_deps": []any{"python"}}}
		}, "files[0].native_by_target." + armKey + ".wheel_deps: python is not pinned"},
		"unpinned dependency":  {func(l map[string]any) { zcrcOf(l)["dependencies"] = []any{"python"} }, "(zcrc).dependencies: python is not pinned"},
		"package target":       {func(l map[string]any) { zcrcOf(l)["targets"] = []any{"x86_64-linux/3.11\"; x"} }, `("zcrc").targets`},
		"package native":       {func(l map[string]any) { zcrcOf(l)["native"] = map[string]any{} }, `("zcrc").native`},
		"target system":        {func(l map[string]any) { l["targets"].([]any)[1].(map[string]any)["system"] = "aarch64-linux ${x}" }, "targets[1].system"},
		"dependency marker of": {func(l map[string]any) { zcrcOf(l)["dependency_markers"] = map[string]any{"nothing": "x"} }, "dependency_markers"},
		"build requirement": {func(l map[string]any) {
			f := zcrcOf(l)["files"].([]any)[0].(map[string]any)
			f["provider"], f["build_requires"] = "sdist", map[string]any{armKey: []any{`setuptools"; ${abort}`}}
		}, "files[0].build_requires." + armKey},
		"build requirements of another target": {func(l map[string]any) {
			f := zcrcOf(l)["files"].([]any)[0].(map[string]any)
			f["provider"], f["build_requires"] = "sdist", map[string]any{x86Key: []any{"setuptools"}}
		}, "files[0].build_requires"},
		"build requirements of a wheel": {func(l map[string]any) {
			zcrcOf(l)["files"].([]any)[0].(map[string]any)["build_requires"] = map[string]any{armKey: []any{"setuptools"}}
		}, "files[0].build_requires"},
		"package-level build requirements": {func(l map[string]any) { zcrcOf(l)["build_requires"] = []any{"setuptools"} }, `("zcrc").build_requires`},
		"local project build requirement": {func(l map[string]any) {
			z := zcrcOf(l)
			z["provider"], z["path"], z["sha256"] = "local", ".", strings.Repeat("c", 64)
			delete(z, "files")
			z["build_requires"] = []any{`setuptools"; ${abort}`}
		}, `("zcrc").build_requires`},
		"local project with a file": {func(l map[string]any) {
			z := zcrcOf(l)
			z["provider"], z["path"], z["sha256"] = "local", ".", strings.Repeat("c", 64)
		}, `("zcrc").files`},
		"build package sha256": {func(l map[string]any) {
			l["build_packages"] = []any{buildPin(x86Key)}
			l["build_packages"].([]any)[0].(map[string]any)["files"].([]any)[0].(map[string]any)["sha256"] = "../../etc/passwd"
		}, `build_packages[0] ("mybackend").files[0] (mybackend).sha256`},
		"build package target": {func(l map[string]any) { l["build_packages"] = []any{buildPin("riscv64-linux/3.11")} }, `build_packages[0] ("mybackend").targets`},
		"build package sdist": {func(l map[string]any) {
			p := buildPin(x86Key)
			p["provider"] = "sdist"
			l["build_packages"] = []any{p}
		}, "build_packages[0] (mybackend).provider"},
		"native by target of another target": {func(l map[string]any) {
			f := zcrcOf(l)["files"].([]any)[0].(map[string]any)
			f["native_by_target"] = map[string]any{x86Key: map[string]any{}}
		}, "files[0].native_by_target"},
		"native by target build input": {func(l map[string]any) {
			f := zcrcOf(l)["files"].([]any)[0].(map[string]any)
			f["native_by_target"] = map[string]any{armKey: map[string]any{"build_inputs": []any{"zlib ${abort}"}}}
		}, "files[0].native_by_target." + armKey + ".build_inputs"},
		"native by target without native": {func(l map[string]any) {
			f := zcrcOf(l)["files"].([]any)[0].(map[string]any)
			delete(f, "native")
			f["native_by_target"] = map[string]any{armKey: map[string]any{}}
		}, "files[0].native_by_target"},
		"build package file native by target": {func(l map[string]any) {
			p := buildPin(x86Key)
			p["files"].([]any)[0].(map[string]any)["native_by_target"] = map[string]any{x86Key: map[string]any{}}
			l["build_packages"] = []any{p}
		}, `build_packages[0] ("mybackend").files[0].native_by_target`},
		"build package file native": {func(l map[string]any) {
			p := buildPin(x86Key)
			p["files"].([]any)[0].(map[string]any)["native"] = map[string]any{}
			l["build_packages"] = []any{p}
		}, "build_packages[0] (mybackend).files"},
	}
	for name, c := range cases {
		data, err := resolve.MarshalLock(good)
		if err != nil {
			t.Fatal(err)
		}
		var raw map[string]any
		if err := json.Unmarshal(data, &raw); err != nil {
			t.Fatal(err)
		}
		c.mutate(raw)
		out, _ := json.Marshal(raw)
		if err := os.WriteFile(filepath.Join(dir, "machnix.lock"), out, 0o644); err != nil {
			t.Fatal(err)
		}
		stderr, err := evalFileJSON(t, dir, libraryExpr(t, `(machnix.mkPython { lock = ./machnix.lock; }).drvPath`), nil)
		if err == nil || !strings.Contains(stderr, "invalid lock") || !strings.Contains(stderr, c.field) {
			t.Errorf("%s: %v, want the field %s named:\n%s", name, err, c.field, stderr)
		}
	}
}

// buildPin is a universal lock's build package entry for mybackend 2.0's
// wheel on the target key.
func buildPin(key string) map[string]any {
	fn := "mybackend-2.0-py3-none-any.whl"
	return map[string]any{"name": "mybackend", "version": "2.0", "provider": "wheel", "targets": []any{key},
		"files": []any{map[string]any{"filename": fn, "url": "https://example.invalid/" + fn, "sha256": strings.Repeat("ab", 32),
			"provider": "wheel", "tags": []any{"py3-none-any"}, "targets": []any{key}}}}
}

func zcrcOf(l map[string]any) map[string]any {
	for _, p := range l["packages"].([]any) {
		if m := p.(map[string]any); m["name"] == "zcrc" {
			return m
		}
	}
	panic("no zcrc")
}

// A universal lock's build packages reach each target's sdist builds as
// that target's own: app's build requirement mybackend depends on helper
// on aarch64 only, while helper is a build package of x86_64 as well
// (other's requirement there). Each system's evaluation gives app's
// build-system what Go's projection (ForTarget) pins for it: mybackend
// alone on x86_64, mybackend and helper on aarch64.
func TestUniversalBuildPackagesPerSystem(t *testing.T) {
	dir := t.TempDir()
	sum := strings.Repeat("ab", 32)
	both := []string{armKey, x86Key}
	sdist := func(name string, reqs map[string][]string, keys ...string) resolve.Package {
		fn := name + "-1.0.tar.gz"
		return resolve.Package{Name: name, Version: "1.0", Provider: resolve.ProviderSdist, Targets: keys,
			Files: []resolve.PackageFile{{Filename: fn, URL: "https://example.invalid/" + fn, SHA256: sum, Provider: resolve.ProviderSdist, Targets: keys, BuildRequires: reqs}}}
	}
	wheel := func(name, version string, deps ...string) resolve.Package {
		fn := name + "-" + version + "-py3-none-any.whl"
		return resolve.Package{Name: name, Version: version, Provider: resolve.ProviderWheel, Targets: both, Dependencies: deps,
			Files: []resolve.PackageFile{{Filename: fn, URL: "https://example.invalid/" + fn, SHA256: sum, Provider: resolve.ProviderWheel, Tags: []string{"py3-none-any"}, Targets: both}}}
	}
	other := sdist("other", map[string][]string{x86Key: {"helper"}}, x86Key)
	other.Marker = `platform_machine == "x86_64"`
	backend := wheel("mybackend", "3.0", "helper")
	backend.DependencyMarkers = map[string]string{"helper": `platform_machine == "aarch64"`}
	lock := &resolve.Lock{Version: resolve.LockVersion, Indexes: []string{}, Requirements: []string{"app", `other ; platform_machine == "x86_64"`},
		Targets:       []resolve.Target{{Python: "3.11", System: "x86_64-linux", Glibc: "2.28"}, {Python: "3.11", System: "aarch64-linux", Glibc: "2.28"}},
		Packages:      []resolve.Package{sdist("app", map[string][]string{x86Key: {"mybackend>=2"}, armKey: {"mybackend>=3"}}, both...), other},
		BuildPackages: []resolve.Package{wheel("helper", "1.0"), backend},
	}
	if err := resolve.WriteLock(filepath.Join(dir, "machnix.lock"), lock); err != nil {
		t.Fatal(err)
	}
	for _, sys := range []string{"x86_64", "aarch64"} {
		proj, err := lock.ForTarget(sys+"-linux", "")
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"mybackend-3.0"}
		for _, p := range proj.BuildPackages {
			if p.Name == "mybackend" && len(p.Dependencies) > 0 {
				want = append(want, "helper-1.0")
			}
		}
		var got []string
		if stderr, err := evalFileJSON(t, dir, onSystem(t, sys+"-linux", `map (d: d.name) ps.app.buildSystem`), &got); err != nil {
			t.Fatalf("%s: %v\n%s", sys, err, stderr)
		}
		var names []string
		for _, n := range got {
			names = append(names, strings.TrimPrefix(n, "python3.11-"))
		}
		if !slices.Equal(names, want) {
			t.Errorf("%s builds app with %v, want %v as ForTarget pins", sys, got, want)
		}
	}
}
