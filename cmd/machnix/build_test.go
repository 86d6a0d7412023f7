package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/native"
	"github.com/machnix/machnix/testfixtures/nixpkgs"
	"github.com/machnix/machnix/testfixtures/pyindex"
)

// servedLock serves the gcc-built wheels on 127.0.0.1 and writes a lock
// pinning the named ones, as machnix resolve would.
func servedLock(t *testing.T, names ...string) string {
	t.Helper()
	return servedLockOf(t, nil, names...)
}

// servedLockOf builds the fixture wheels, writes the extra wheels beside
// them, serves the folder on 127.0.0.1 and pins the named wheels.
func servedLockOf(t *testing.T, extra []testfixtures.Wheel, names ...string) string {
	t.Helper()
	w := native.BuildT(t)
	for _, e := range extra {
		if _, err := testfixtures.WriteWheel(w.Dir, e); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(w.Dir)))
	t.Cleanup(srv.Close)
	t.Setenv("MACHNIX_CACHE_DIR", t.TempDir())
	lock, err := native.Lock(w.Dir, srv.URL, names...)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "machnix.lock")
	if err := resolve.WriteLock(path, lock); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestBuildLockEndToEnd(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build", "nix-store", "patchelf")
	lock := servedLock(t, "bundled", "consumer", "provider", "zcrc")
	out := filepath.Join(t.TempDir(), "result")
	args := []string{"build", "--lock", lock, "-o", out, "-I", "nixpkgs=" + nixpkgs.Dir(), "--option", "substituters="}
	code, stdout, stderr := runCLI(t, args...)
	if code != exitOK {
		t.Fatalf("build: exit %d\n%s", code, stderr)
	}
	env := strings.TrimSpace(stdout)
	// One summary line: the lock's 4 files downloaded, derivations
	// built, the out-link written. How many were built depends on what
	// other tests built first (the same packages, another environment:
	// one derivation), so only the count's form is checked.
	for _, want := range []string{"fetched 4 files (", "0 from the cache", "wrote " + out} {
		if !strings.Contains(stderr, want) {
			t.Errorf("build's stderr lacks %q:\n%s", want, stderr)
		}
	}
	if !regexp.MustCompile(`; built (1 derivation|[0-9]+ derivations) in [0-9.]+ s;`).MatchString(stderr) {
		t.Errorf("build's stderr does not count the derivations built:\n%s", stderr)
	}
	if target, err := filepath.EvalSymlinks(out); err != nil || target != env {
		t.Fatalf("out-link %s → %s (%v), printed %s", out, target, err, env)
	}
	script := fmt.Sprintf("import zcrc, bundled, consumer; print(zcrc.crc32(%q.encode()), bundled.greet(), consumer.value())", native.ZcrcInput)
	got, err := exec.Command("env", "-i", env+"/bin/python", "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, got)
	}
	if want := fmt.Sprintf("%d %s %d", native.ZcrcCRC32(), native.GreetMessage, native.ProviderValue); strings.TrimSpace(string(got)) != want {
		t.Errorf("printed %q, want %q", got, want)
	}

	// Unchanged: a no-op that needs neither the network nor nix-build.
	t.Setenv("PATH", t.TempDir())
	code, stdout, stderr = runCLI(t, args...)
	if code != exitOK || strings.TrimSpace(stdout) != env || !strings.Contains(stderr, "build up to date") {
		t.Errorf("second build: exit %d, printed %q, stderr %q; want the same path, up to date", code, stdout, stderr)
	}
}

// consumerWithoutLibrary pins the consumer wheel without the provider
// wheel that has its libprovider.so.1. The consumer's METADATA requires
// provider, and fetch holds a wheel to the lock's dependencies, so a
// nixpkgs package stands in for provider: it has no such library.
func consumerWithoutLibrary(t *testing.T) string {
	t.Helper()
	path := servedLock(t, "consumer")
	lock, err := resolve.ReadLock(path)
	if err != nil {
		t.Fatal(err)
	}
	lock.Packages[0].Dependencies = []string{"provider"}
	lock.Packages = append(lock.Packages, resolve.Package{Name: "provider", Version: "1.0", Provider: resolve.ProviderNixpkgs, NixAttr: "wheel"})
	if err := resolve.WriteLock(path, lock); err != nil {
		t.Fatal(err)
	}
	return path
}

// The consumer needs libprovider.so.1; without the provider wheel in the
// lock nothing provides it, and build stops before Nix with the fix.
func TestBuildStopsBeforeNixOnMissingLibrary(t *testing.T) {
	lock := consumerWithoutLibrary(t)
	t.Setenv("PATH", t.TempDir()) // proves nix-build is never reached
	code, _, stderr := runCLI(t, "build", "--lock", lock, "-o", filepath.Join(t.TempDir(), "result"))
	if code != exitProblem {
		t.Fatalf("exit %d, want %d: %s", code, exitProblem, stderr)
	}
	for _, want := range []string{"consumer", "libprovider.so.1", "[sonames]", "--ignore-missing", "before Nix"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("diagnosis lacks %q:\n%s", want, stderr)
		}
	}
}

func TestBuildRejectsBadLock(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "machnix.lock")
	if err := os.WriteFile(bad, []byte(`{"version": 1, "packages": [{"name": "x"`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "build", "--lock", bad)
	if code != exitBadInput || !strings.Contains(stderr, bad) {
		t.Fatalf("exit %d, stderr %q: want %d naming the file", code, stderr, exitBadInput)
	}
}

// A wrong [sonames] row passes diagnosis but fails inside Nix, where
// auto-patchelf cannot find the library: the error names the derivation,
// shows the log and says what to change.
func TestBuildReportsNixFailureWithDiagnosis(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build", "nix-store", "patchelf")
	lock := consumerWithoutLibrary(t)
	cfg := filepath.Join(t.TempDir(), "machnix.toml")
	if err := os.WriteFile(cfg, []byte("[sonames]\n\"libprovider.so.1\" = \"zlib\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "build", "--config", cfg, "--lock", lock, "-o", filepath.Join(t.TempDir(), "result"),
		"-I", "nixpkgs="+nixpkgs.Dir(), "--option", "substituters=")
	if code != exitProblem {
		t.Fatalf("exit %d, want %d: %s", code, exitProblem, stderr)
	}
	for _, want := range []string{"consumer-1.0.drv", "could not satisfy dependency libprovider.so.1", "diagnosis: libprovider.so.1", "[sonames]"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("error lacks %q:\n%s", want, stderr)
		}
	}
}

// [overrides.consumer] in machnix.toml: its missing library is allowed (it
// would come at run time), so the import check is off; zlib is added to its
// buildInputs; postFixup and an extra attribute reach the builder. The
// build really runs, and each change is visible in the result, and the
// generated expression says where the changes come from.
func TestBuildAppliesOverrides(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build", "nix-store", "patchelf")
	lock := consumerWithoutLibrary(t)
	work := t.TempDir()
	cfg := filepath.Join(work, "machnix.toml")
	// A value unique to this run makes Nix build the package now, so its
	// progress is seen too.
	value := fmt.Sprintf("from-the-override-%d", time.Now().UnixNano())
	toml := `[overrides.consumer]
ignoreMissing = ["libprovider.so.1"]
pythonImportsCheck = []
buildInputs.add = ["zlib"]
postFixup = 'echo "$pname $MACHNIX_TEST ${out##*/}" > "$out/override-marker"'
env.MACHNIX_TEST = "` + value + `"
`
	if err := os.WriteFile(cfg, []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	// Without the override the build stops before Nix.
	if code, _, stderr := runCLI(t, "build", "--lock", lock, "-o", filepath.Join(work, "result0")); code != exitProblem {
		t.Fatalf("without overrides: exit %d, want %d: %s", code, exitProblem, stderr)
	}
	code, stdout, stderr := runCLI(t, "build", "--config", cfg, "--lock", lock, "-o", filepath.Join(work, "result"),
		"-I", "nixpkgs="+nixpkgs.Dir(), "--option", "substituters=")
	if code != exitOK {
		t.Fatalf("build: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "machnix: building python3.11-consumer-1.0 (") {
		t.Errorf("stderr does not show the build's progress:\n%s", stderr)
	}
	env := strings.TrimSpace(stdout)
	closure, err := exec.Command("nix-store", "-qR", env).Output()
	if err != nil {
		t.Fatal(err)
	}
	var consumer string
	for _, p := range strings.Fields(string(closure)) {
		if strings.HasSuffix(p, "-python3.11-consumer-1.0") {
			consumer = p
		}
	}
	if consumer == "" {
		t.Fatalf("no consumer package in the closure of %s:\n%s", env, closure)
	}
	marker, err := os.ReadFile(filepath.Join(consumer, "override-marker"))
	if err != nil {
		t.Fatalf("postFixup did not run: %v", err)
	}
	if want := "consumer " + value + " " + filepath.Base(consumer); strings.TrimSpace(string(marker)) != want {
		t.Errorf("postFixup wrote %q, want %q", marker, want)
	}
	drv, err := exec.Command("nix-store", "-qd", consumer).Output()
	if err != nil {
		t.Fatal(err)
	}
	inputs, err := exec.Command("nix-store", "-q", "--binding", "buildInputs", strings.TrimSpace(string(drv))).Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(inputs), "zlib-fixture") {
		t.Errorf("buildInputs %q lack the added zlib", inputs)
	}

	gen := filepath.Join(work, "gen")
	if code, _, stderr := runCLI(t, "gen", "--config", cfg, "--lock", lock, "-o", gen); code != exitOK {
		t.Fatalf("gen: exit %d: %s", code, stderr)
	}
	expr, err := os.ReadFile(filepath.Join(gen, "default.nix"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(expr), "[overrides.consumer]") {
		t.Errorf("the expression does not record the override:\n%s", expr)
	}

	// An override for a package the lock lacks is a mistake to report.
	if err := os.WriteFile(cfg, []byte("[overrides.consumr]\nignoreMissing = [\"libx.so\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, "gen", "--config", cfg, "--lock", lock, "-o", gen); code != exitBadInput || !strings.Contains(stderr, "consumr") {
		t.Errorf("misspelt override: exit %d, stderr %q; want %d naming it", code, stderr, exitBadInput)
	}
	if err := os.WriteFile(cfg, []byte("[overrides.consumer]\nbuildInput.add = [\"zlib\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, "gen", "--config", cfg, "--lock", lock, "-o", gen); code != exitBadInput || !strings.Contains(stderr, "buildInput") {
		t.Errorf("misspelt override key: exit %d, stderr %q; want %d naming it", code, stderr, exitBadInput)
	}
}

// An sdist-only package is built from source by nix-build with the build
// system its pyproject.toml declares (setuptools, from the fixture
// nixpkgs), and the environment imports it along with its wheel
// dependency.
func TestBuildFromSdist(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build", "nix-store", "patchelf")
	t.Setenv("MACHNIX_CACHE_DIR", t.TempDir())
	marker := fmt.Sprintf("built from source %d", time.Now().UnixNano())
	idx := pyindex.Start(t, []pyindex.Wheel{
		{Sdist: true, Wheel: testfixtures.Wheel{Name: "srcpkg", Version: "1.0", Requires: []string{"greeting>=1"},
			Files: []testfixtures.File{{Path: "srcpkg/__init__.py", Data: []byte(fmt.Sprintf("MARKER = %q\n", marker))}}}},
		pureWheel("greeting", "1.0"),
	})
	dir := t.TempDir()
	reqs := filepath.Join(dir, "requirements.txt")
	if err := os.WriteFile(reqs, []byte("srcpkg\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lockPath := filepath.Join(dir, "machnix.lock")
	code, stdout, stderr := runCLI(t, "build", "-r", reqs, "--lock", lockPath, "--index-url", idx.URL+"/simple", "--python", "3.11",
		"-o", filepath.Join(dir, "result"), "-I", "nixpkgs="+nixpkgs.Dir(), "--option", "substituters=")
	if code != exitOK {
		t.Fatalf("build: exit %d: %s", code, stderr)
	}
	lock, err := resolve.ReadLock(lockPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range lock.Packages {
		if p.Name == "srcpkg" && p.Provider != resolve.ProviderSdist {
			t.Errorf("srcpkg pinned from %s, want its sdist", p.Provider)
		}
	}
	env := strings.TrimSpace(stdout)
	cmd := exec.Command(filepath.Join(env, "bin", "python"), "-c", "import srcpkg, greeting; print(srcpkg.MARKER, greeting.VERSION)")
	cmd.Env = []string{}
	got, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, got)
	}
	if want := marker + " 1.0"; strings.TrimSpace(string(got)) != want {
		t.Errorf("printed %q, want %q", got, want)
	}
}

// When nixpkgs has the package, its sdist is built by nixpkgs' own recipe
// with the lock's version and source (overridePythonAttrs), so nixpkgs'
// native inputs come along.
func TestBuildFromSdistReusesNixpkgsRecipe(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build", "nix-store", "patchelf")
	t.Setenv("MACHNIX_CACHE_DIR", t.TempDir())
	idx := pyindex.Start(t, []pyindex.Wheel{
		{Sdist: true, Wheel: testfixtures.Wheel{Name: "nixonly", Version: "3.0",
			Files: []testfixtures.File{{Path: "nixonly/__init__.py", Data: []byte("VALUE = 'sdist 3.0'\n")}}}},
	})
	dir := t.TempDir()
	reqs := filepath.Join(dir, "requirements.txt")
	if err := os.WriteFile(reqs, []byte("nixonly>=3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// An override adds to nixpkgs' inputs rather than replacing them, and
	// its postFixup runs after the recipe's own.
	cfg := filepath.Join(dir, "machnix.toml")
	toml := "[overrides.nixonly]\nnativeBuildInputs.add = [\"zlib\"]\npostFixup = 'echo \"$MACHNIX_NOTE ${out##*/}\" > $out/note'\nenv.MACHNIX_NOTE = \"from-toml\"\n"
	if err := os.WriteFile(cfg, []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "build", "--config", cfg, "-r", reqs, "--lock", filepath.Join(dir, "machnix.lock"), "--index-url", idx.URL+"/simple",
		"--python", "3.11", "-o", filepath.Join(dir, "result"), "-I", "nixpkgs="+nixpkgs.Dir(), "--option", "substituters=")
	if code != exitOK {
		t.Fatalf("build: exit %d: %s", code, stderr)
	}
	env := strings.TrimSpace(stdout)
	got, err := exec.Command(filepath.Join(env, "bin", "python"), "-c", "import nixonly; print(nixonly.VALUE)").CombinedOutput()
	if err != nil || strings.TrimSpace(string(got)) != "sdist 3.0" {
		t.Fatalf("python printed %q (%v), want the sdist's module", got, err)
	}
	closure, err := exec.Command("nix-store", "-qR", env).Output()
	if err != nil {
		t.Fatal(err)
	}
	var pkg string
	for _, p := range strings.Fields(string(closure)) {
		if strings.HasSuffix(p, "-python3.11-nixonly-3.0") {
			pkg = p
		}
	}
	if pkg == "" {
		t.Fatalf("no nixonly 3.0 in the closure:\n%s", closure)
	}
	drv, err := exec.Command("nix-store", "-qd", pkg).Output()
	if err != nil {
		t.Fatal(err)
	}
	inputs, err := exec.Command("nix-store", "-q", "--binding", "nativeBuildInputs", strings.TrimSpace(string(drv))).Output()
	if err != nil || !strings.Contains(string(inputs), "nixonly-native-input") || !strings.Contains(string(inputs), "zlib-fixture") {
		t.Errorf("nativeBuildInputs %q (%v): want nixpkgs' native input kept and the override's zlib added", inputs, err)
	}
	note, err := os.ReadFile(filepath.Join(pkg, "note"))
	if want := "from-toml " + filepath.Base(pkg); err != nil || strings.TrimSpace(string(note)) != want {
		t.Errorf("postFixup wrote %q (%v), want %q", note, err, want)
	}
}
