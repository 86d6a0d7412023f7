package nixbuild

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/machnix/machnix/autopatch"
	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/lockpin"
	"github.com/machnix/machnix/testfixtures/nixpkgs"
)

// dist is one file of a test lock: a wheel, or with sdist set a source
// distribution, and the URL path it is served under (its file name when
// empty).
type dist struct {
	w     testfixtures.Wheel
	sdist bool
	deps  []string
	url   string
}

// strictLock writes the files, serves them on 127.0.0.1 (fetchurl downloads
// them: nothing is added to the store beforehand), and returns the lock,
// the native report of its wheels and the build systems of its sdists.
func strictLock(t *testing.T, dists []dist, nixpkgsPkgs ...resolve.Package) (*resolve.Lock, *autopatch.NativeReport, map[string][]string) {
	t.Helper()
	dir := t.TempDir()
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	lock := &resolve.Lock{Version: resolve.LockVersion, Target: resolve.Target{Python: "3.11", System: "x86_64-linux", Glibc: "2.28"}}
	var wheels []string
	systems := map[string][]string{}
	for _, d := range dists {
		write, prov := testfixtures.WriteWheel, resolve.ProviderWheel
		if d.sdist {
			write, prov = testfixtures.WriteSdist, resolve.ProviderSdist
		}
		path, err := write(dir, d.w)
		if err != nil {
			t.Fatal(err)
		}
		p := lockpin.File(t, path, srv.URL, d.url, prov)
		p.Dependencies = d.deps
		lock.Packages = append(lock.Packages, p)
		if d.sdist {
			systems[p.Name] = []string{"setuptools>=61"}
		} else {
			wheels = append(wheels, path)
		}
	}
	lock.Packages = append(lock.Packages, nixpkgsPkgs...)
	report, err := autopatch.Inspect(context.Background(), wheels, autopatch.WithNixLocate(false))
	if err != nil {
		t.Fatal(err)
	}
	return lock, report, systems
}

// servedWheel writes w, serves it on 127.0.0.1 and pins it as a lock
// would.
func servedWheel(t *testing.T, w testfixtures.Wheel) resolve.Package {
	t.Helper()
	dir := t.TempDir()
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	path, err := testfixtures.WriteWheel(dir, w)
	if err != nil {
		t.Fatal(err)
	}
	return lockpin.File(t, path, srv.URL, "", resolve.ProviderWheel)
}

// writeGenerated writes expr (a default.nix Generate gave for lock and
// report) into a new directory with what it needs beside it: the lock
// with its native inputs and the library. It returns default.nix's path.
func writeGenerated(t *testing.T, expr []byte, lock *resolve.Lock, report *autopatch.NativeReport) string {
	t.Helper()
	annotated, err := Annotate(lock, report)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := WriteDir(dir, expr, annotated); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "default.nix")
}

// nixBuildExpr builds expr (a default.nix Generate gave for lock and
// report) against the stand-in nixpkgs.
func nixBuildExpr(t *testing.T, expr []byte, lock *resolve.Lock, report *autopatch.NativeReport) (string, string, error) {
	t.Helper()
	testfixtures.RequireTool(t, "nix-build", "nix-store", "patchelf", "gcc")
	path := writeGenerated(t, expr, lock, report)
	// The library reads the lock as data: evaluation needs no
	// import-from-derivation, which is off here.
	cmd := exec.Command("nix-build", "--option", "substituters", "", "--option", "allow-import-from-derivation", "false",
		"--no-out-link", "-I", "nixpkgs="+nixpkgs.Dir(), path)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	return strings.TrimSpace(string(out)), stderr.String(), err
}

func pyFile(path, text string) testfixtures.File {
	return testfixtures.File{Path: path, Data: []byte(text)}
}

// driverWheel is a wheel whose extension links libcuda.so.1, which only the
// GPU driver provides at run time; its Python module does not load it.
func driverWheel(t *testing.T) testfixtures.Wheel {
	t.Helper()
	testfixtures.RequireTool(t, "gcc")
	dir := t.TempDir()
	run := func(args ...string) {
		if out, err := exec.Command("gcc", args...).CombinedOutput(); err != nil {
			t.Fatalf("gcc %v: %v\n%s", args, err, out)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "cuda.c"), []byte("int cuInit(unsigned f) { return (int)f; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ext.c"), []byte("int cuInit(unsigned);\nint gpu_init(void) { return cuInit(0); }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run("-shared", "-fPIC", "-Wl,-soname,libcuda.so.1", "-o", filepath.Join(dir, "libcuda.so.1"), filepath.Join(dir, "cuda.c"))
	run("-shared", "-fPIC", "-o", filepath.Join(dir, "_gpu.so"), filepath.Join(dir, "ext.c"), filepath.Join(dir, "libcuda.so.1"))
	so, err := os.ReadFile(filepath.Join(dir, "_gpu.so"))
	if err != nil {
		t.Fatal(err)
	}
	return testfixtures.Wheel{Name: "gpudrv", Version: "1.0", Tags: []string{"py3-none-linux_x86_64"},
		Files: []testfixtures.File{pyFile("gpudrv/__init__.py", "KIND = 'driver-linked'\n"), {Path: "gpudrv/_gpu.so", Data: so, Mode: 0o755}}}
}

// A lock as real projects give it, built and imported in one environment:
// a local-version wheel served with %2B and a query string in its URL, a
// dependency cycle, an sdist that reuses a nixpkgs recipe setting format
// (with its own Python dependency pinned by the lock), a nixpkgs-provided
// package whose Python dependency the lock also pins, and a wheel linked
// against the GPU driver.
func TestRealisticLockBuildsAndImports(t *testing.T) {
	lock, report, systems := strictLock(t, []dist{
		{w: testfixtures.Wheel{Name: "localver", Version: "1.0+cpu", Files: []testfixtures.File{pyFile("localver/__init__.py", "V = 'local'\n")}},
			url: "localver-1.0%2Bcpu-py3-none-any.whl?sig=a1b2"},
		{w: testfixtures.Wheel{Name: "cyca", Version: "1.0", Requires: []string{"cycb"}, Files: []testfixtures.File{pyFile("cyca/__init__.py", "A = 'a'\n")}}, deps: []string{"cycb"}},
		{w: testfixtures.Wheel{Name: "cycb", Version: "1.0", Requires: []string{"cyca"}, Files: []testfixtures.File{pyFile("cycb/__init__.py", "B = 'b'\n")}}, deps: []string{"cyca"}},
		{w: testfixtures.Wheel{Name: "nixhelper", Version: "2.0", Files: []testfixtures.File{pyFile("nixhelper/__init__.py", "VERSION = '2.0 from the lock'\n")}}},
		{w: testfixtures.Wheel{Name: "nixonly", Version: "3.0", Requires: []string{"nixhelper>=2"},
			Files: []testfixtures.File{pyFile("nixonly/__init__.py", "VALUE = 'sdist 3.0'\n")}}, sdist: true, deps: []string{"nixhelper"}},
		{w: driverWheel(t)},
		// Built by the backend its build-system pins in the lock: the
		// stand-in's own mybackend is 1.0, whose builds fail.
		{w: testfixtures.Wheel{Name: "bsapp", Version: "1.0", Files: []testfixtures.File{pyFile("bsapp/__init__.py", "OK = 1\n")},
			BuildRequires: []string{"mybackend>=2,<3"}, BuildBackend: "mybackend"}, sdist: true},
	}, resolve.Package{Name: "nixtool", Version: "0.9", Provider: resolve.ProviderNixpkgs, NixAttr: "nixtool"})
	lock.BuildPackages = []resolve.Package{servedWheel(t, testfixtures.BackendWheel("2.0"))}
	for i := range lock.Packages {
		if lock.Packages[i].Name == "bsapp" {
			lock.Packages[i].BuildRequires = []string{"mybackend<3,>=2"}
		}
	}
	expr, err := Generate(lock, report, WithBuildSystems(systems))
	if err != nil {
		t.Fatal(err)
	}
	env, stderr, err := nixBuildExpr(t, expr, lock, report)
	if err != nil {
		t.Fatalf("nix-build: %v\n%s\n%s", err, stderr, expr)
	}
	script := "import localver, cyca, cycb, nixonly, nixhelper, nixtool, gpudrv, bsapp_build_info, os, glob; " +
		"print(localver.V, cyca.A, cycb.B, nixonly.VALUE, nixhelper.VERSION, nixtool.HELPER, gpudrv.KIND, bsapp_build_info.BACKEND)"
	got, err := exec.Command("env", "-i", env+"/bin/python", "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, got)
	}
	want := "local a b sdist 3.0 2.0 from the lock 2.0 from the lock driver-linked mybackend 2.0"
	if strings.TrimSpace(string(got)) != want {
		t.Errorf("printed %q, want %q", got, want)
	}
	// The driver-linked library keeps its need for libcuda.so.1, which
	// the driver's directory (autoAddDriverRunpath) satisfies at run time.
	matches, _ := filepath.Glob(env + "/lib/python3.11/site-packages/machnix-env.pth")
	if len(matches) != 1 {
		t.Fatalf("no .pth in %s", env)
	}
	pth, err := os.ReadFile(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	var ext []string
	for _, site := range strings.Fields(string(pth)) {
		found, _ := filepath.Glob(filepath.Join(site, "gpudrv", "*.so"))
		ext = append(ext, found...)
	}
	if len(ext) != 1 {
		t.Fatalf("gpudrv's extension: found %v", ext)
	}
	if rpath := mustOut(t, "patchelf", "--print-rpath", ext[0]); !strings.HasPrefix(rpath, "/run/opengl-driver/lib") {
		t.Errorf("%s has RUNPATH %q, want the driver's directory first", ext[0], rpath)
	}
	if needed := mustOut(t, "patchelf", "--print-needed", ext[0]); !strings.Contains(needed, "libcuda.so.1") {
		t.Errorf("%s no longer needs libcuda.so.1: %q", ext[0], needed)
	}
}

// An sdist reusing a recipe that sets format gets no format beside
// pyproject, its tests off, and the lock's Python dependencies in place
// of the recipe's (whose nixhelper 1.0 would clash with the lock's 2.0);
// the recipe's native input and patches stay.
func TestSdistReusingRecipeBuilds(t *testing.T) {
	lock, report, systems := strictLock(t, []dist{
		{w: testfixtures.Wheel{Name: "nixhelper", Version: "2.0", Files: []testfixtures.File{pyFile("nixhelper/__init__.py", "VERSION = '2.0'\n")}}},
		{w: testfixtures.Wheel{Name: "nixonly", Version: "3.0", Requires: []string{"nixhelper>=2"},
			Files: []testfixtures.File{pyFile("nixonly/__init__.py", "VALUE = 'sdist 3.0'\n")}}, sdist: true, deps: []string{"nixhelper"}},
	})
	expr, err := Generate(lock, report, WithBuildSystems(systems))
	if err != nil {
		t.Fatal(err)
	}
	env, stderr, err := nixBuildExpr(t, expr, lock, report)
	if err != nil {
		t.Fatalf("nix-build: %v\n%s\n%s", err, stderr, expr)
	}
	drvs, err := exec.Command("nix-store", "-qR", "--include-outputs", strings.TrimSpace(mustOut(t, "nix-store", "-qd", env))).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"nixonly-native-input", "nixonly-value.patch"} {
		if !strings.Contains(string(drvs), want) {
			t.Errorf("the recipe's %s is not among the build's inputs", want)
		}
	}
	if strings.Contains(string(drvs), "nixhelper-1.0") {
		t.Error("the recipe's nixhelper 1.0 is still an input")
	}
}

// With tests on (globally or for the package) the reused recipe's tests
// run with their inputs, and here they fail: its test file is not in the
// lock's sdist.
func TestTestsSwitchRunsRecipeChecks(t *testing.T) {
	lock, report, systems := strictLock(t, []dist{
		{w: testfixtures.Wheel{Name: "nixonly", Version: "3.1", Files: []testfixtures.File{pyFile("nixonly/__init__.py", "VALUE = 'sdist 3.1'\n")}}, sdist: true},
	})
	on := true
	for name, opts := range map[string][]GenerateOption{
		"global":      {WithTests(true)},
		"per package": {WithOverrides(map[string]Override{"nixonly": {Tests: &on}})},
	} {
		expr, err := Generate(lock, report, append(opts, WithBuildSystems(systems))...)
		if err != nil {
			t.Fatal(err)
		}
		if _, stderr, err := nixBuildExpr(t, expr, lock, report); err == nil || !strings.Contains(stderr, "tests/test_recipe.py") {
			t.Errorf("%s: tests on: %v, want the recipe's check to run and fail:\n%s", name, err, stderr)
		}
	}
	expr, err := Generate(lock, report, WithBuildSystems(systems))
	if err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := nixBuildExpr(t, expr, lock, report); err != nil {
		t.Errorf("tests off: %v\n%s", err, stderr)
	}
}

// An sdist whose nixpkgs attribute is a toPythonModule package (no
// overridePythonAttrs) is built by that package's overrideAttrs; one whose
// name nixpkgs keeps as a throwing alias is built as a new package.
func TestSdistRecipeFallbacks(t *testing.T) {
	lock, report, systems := strictLock(t, []dist{
		{w: testfixtures.Wheel{Name: "nixmodule", Version: "2.0", Files: []testfixtures.File{pyFile("nixmodule/__init__.py", "VALUE = 'sdist 2.0'\n")}}, sdist: true},
		{w: testfixtures.Wheel{Name: "nix-only", Version: "1.0", Files: []testfixtures.File{pyFile("nix_only/__init__.py", "VALUE = 'renamed'\n")}}, sdist: true},
	})
	expr, err := Generate(lock, report, WithBuildSystems(systems))
	if err != nil {
		t.Fatal(err)
	}
	env, stderr, err := nixBuildExpr(t, expr, lock, report)
	if err != nil {
		t.Fatalf("nix-build: %v\n%s\n%s", err, stderr, expr)
	}
	got, err := exec.Command("env", "-i", env+"/bin/python", "-c", "import nixmodule, nix_only; print(nixmodule.VALUE, nix_only.VALUE)").CombinedOutput()
	if err != nil || strings.TrimSpace(string(got)) != "sdist 2.0 renamed" {
		t.Errorf("python printed %q (%v)", got, err)
	}
}

// default.nix is the environment also inside a nix-shell; shell.nix is the
// shell, and it builds.
func TestDefaultIsEnvironmentInsideNixShell(t *testing.T) {
	lock, report, systems := strictLock(t, []dist{
		{w: testfixtures.Wheel{Name: "plain", Version: "1.0", Files: []testfixtures.File{pyFile("plain/__init__.py", "P = 1\n")}}},
	})
	expr, err := Generate(lock, report, WithBuildSystems(systems))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("IN_NIX_SHELL", "impure")
	env, stderr, err := nixBuildExpr(t, expr, lock, report)
	if err != nil {
		t.Fatalf("nix-build inside a nix-shell: %v\n%s", err, stderr)
	}
	if _, err := os.Stat(env + "/bin/python"); err != nil {
		t.Errorf("default.nix built inside a nix-shell gave %s, not the environment", env)
	}
	shell, err := Shell(lock)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(writeGenerated(t, expr, lock, report))
	if err := os.WriteFile(filepath.Join(dir, "shell.nix"), shell, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("nix-build", "--option", "substituters", "", "--no-out-link", "-I", "nixpkgs="+nixpkgs.Dir(), filepath.Join(dir, "shell.nix")).CombinedOutput()
	if err != nil {
		t.Fatalf("shell.nix does not build: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if data, err := os.ReadFile(lines[len(lines)-1]); err != nil || !strings.Contains(string(data), env) {
		t.Errorf("the shell does not hold the environment %s: %v", env, err)
	}
}

// Override values keep their TOML types in the expression.
func TestOverrideEnvKeepsTypes(t *testing.T) {
	lock, report, systems := strictLock(t, []dist{
		{w: testfixtures.Wheel{Name: "plain", Version: "1.0", Files: []testfixtures.File{pyFile("plain/__init__.py", "P = 1\n")}}},
	})
	expr, err := Generate(lock, report, WithBuildSystems(systems), WithOverrides(map[string]Override{"plain": {Env: map[string]any{
		"FLAG": true, "OFF": false, "JOBS": int64(3), "RATIO": 0.5, "NAMES": []any{"a", int64(1)}, "TEXT": "x",
	}}}))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"FLAG = true;", "OFF = false;", "JOBS = 3;", "RATIO = 0.5;", `NAMES = [ "a" 1 ];`, `TEXT = "x";`} {
		if !strings.Contains(string(expr), want) {
			t.Errorf("expression lacks %s", want)
		}
	}
	// A boolean reaches the builder as mkDerivation gives it: "1" or "".
	expr2, err := Generate(lock, report, WithBuildSystems(systems), WithOverrides(map[string]Override{"plain": {Env: map[string]any{"dontStripX": true},
		PostFixup: `[ "$dontStripX" = 1 ] || { echo "bool became '$dontStripX'"; exit 1; }`}}))
	if err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := nixBuildExpr(t, expr2, lock, report); err != nil {
		t.Errorf("a boolean override: %v\n%s", err, stderr)
	}
	if _, err := Generate(lock, report, WithOverrides(map[string]Override{"plain": {Env: map[string]any{"T": map[string]any{"a": 1}}}})); err == nil {
		t.Error("a table as an override value was accepted")
	}
}

func mustOut(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return string(out)
}
