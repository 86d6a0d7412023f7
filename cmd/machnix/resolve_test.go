package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/nixpkgs"
	"github.com/machnix/machnix/testfixtures/pyindex"
)

func pureWheel(name, version string, requires ...string) pyindex.Wheel {
	return pyindex.Wheel{Wheel: testfixtures.Wheel{Name: name, Version: version, Requires: requires,
		Files: []testfixtures.File{{Path: name + "/__init__.py", Data: []byte("VERSION = '" + version + "'\n")}}}}
}

// app needs lib<2 although lib 2.0 is newest: the lock must pin lib 1.5,
// with the index's file and hash, for the target asked for.
func TestResolveWritesLockFromRequirements(t *testing.T) {
	idx := pyindex.Start(t, []pyindex.Wheel{
		pureWheel("app", "1.0", "lib<2"),
		pureWheel("lib", "1.5"),
		pureWheel("lib", "2.0"),
	})
	t.Setenv("MACHNIX_CACHE_DIR", t.TempDir())
	dir := t.TempDir()
	reqs := filepath.Join(dir, "requirements.txt")
	if err := os.WriteFile(reqs, []byte("--index-url "+idx.URL+"/simple\napp  # the application\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lockPath := filepath.Join(dir, "machnix.lock")
	code, out, stderr := runCLI(t, "resolve", "-r", reqs, "-o", lockPath, "--python", "3.11", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var summary struct {
		Packages []struct{ Name, Version string }
	}
	if err := json.Unmarshal([]byte(out), &summary); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	lock, err := resolve.ReadLock(lockPath)
	if err != nil {
		t.Fatal(err)
	}
	pins := map[string]string{}
	for _, p := range lock.Packages {
		pins[p.Name] = p.Version
		if p.SHA256 == "" || !strings.HasPrefix(p.URL, idx.URL) {
			t.Errorf("%s: url %q sha256 %q, want the index's file and hash", p.Name, p.URL, p.SHA256)
		}
		// The wheels were inspected: the lock is all Nix needs.
		if p.Native == nil || len(p.Native.Imports) != 1 || p.Native.Imports[0] != p.Name {
			t.Errorf("%s: native %+v, want the wheel's module recorded", p.Name, p.Native)
		}
	}
	if pins["app"] != "1.0" || pins["lib"] != "1.5" || len(pins) != 2 || len(summary.Packages) != 2 {
		t.Fatalf("pins %v, want app 1.0 and lib 1.5 (lib<2)", pins)
	}
	if lock.Target.Python != "3.11" || len(lock.Indexes) != 1 {
		t.Errorf("target %+v indexes %v", lock.Target, lock.Indexes)
	}
	// --no-inspect pins only; the kept pins keep what was recorded.
	quick := filepath.Join(dir, "quick.lock")
	if code, _, stderr := runCLI(t, "resolve", "-r", reqs, "-o", quick, "--python", "3.11", "--no-inspect"); code != exitOK {
		t.Fatalf("--no-inspect: exit %d: %s", code, stderr)
	}
	if l, err := resolve.ReadLock(quick); err != nil || l.Packages[0].Native != nil {
		t.Errorf("--no-inspect recorded native inputs (%v)", err)
	}
	if code, _, stderr := runCLI(t, "resolve", "-r", reqs, "-o", lockPath, "--python", "3.11", "--no-inspect"); code != exitOK {
		t.Fatalf("again: exit %d: %s", code, stderr)
	}
	if l, err := resolve.ReadLock(lockPath); err != nil || l.Packages[0].Native == nil {
		t.Errorf("re-resolving dropped the native inputs of unchanged pins (%v)", err)
	}
}

// gen -r resolves as build -r does; the folder it writes holds the lock
// (with native inputs) and the library, so it builds wherever it is moved.
func TestGenFromRequirementsBuildsAnywhere(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build", "nix-store", "patchelf")
	idx := pyindex.Start(t, []pyindex.Wheel{pureWheel("app", "1.0", "lib<2"), pureWheel("lib", "1.5"), pureWheel("lib", "2.0")})
	t.Setenv("MACHNIX_CACHE_DIR", t.TempDir())
	dir := t.TempDir()
	reqs := filepath.Join(dir, "requirements.txt")
	if err := os.WriteFile(reqs, []byte("app\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lockPath, out := filepath.Join(dir, "machnix.lock"), filepath.Join(dir, "nix")
	code, _, stderr := runCLI(t, "gen", "-r", reqs, "--index-url", idx.URL+"/simple", "--python", "3.11", "--lock", lockPath, "-o", out)
	if code != exitOK {
		t.Fatalf("gen -r: exit %d: %s", code, stderr)
	}
	for _, l := range []string{lockPath, filepath.Join(out, "machnix.lock")} {
		lock, err := resolve.ReadLock(l)
		if err != nil || len(lock.Packages) != 2 || lock.Packages[0].Native == nil {
			t.Errorf("%s: %v, want both wheels with their native inputs", l, err)
		}
	}
	moved := filepath.Join(t.TempDir(), "elsewhere")
	if err := os.Rename(out, moved); err != nil {
		t.Fatal(err)
	}
	env, err := exec.Command("nix-build", "--no-out-link", "--option", "substituters", "", "-I", "nixpkgs="+nixpkgs.Dir(), moved).Output()
	if err != nil {
		t.Fatalf("nix-build of the moved folder: %v%s", err, stderrOf(err))
	}
	got, err := exec.Command("env", "-i", strings.TrimSpace(string(env))+"/bin/python", "-c", "import app, lib; print(app.VERSION, lib.VERSION)").CombinedOutput()
	if err != nil || strings.TrimSpace(string(got)) != "1.0 1.5" {
		t.Errorf("imported %q (%v), want app 1.0 with lib 1.5", got, err)
	}
}

func TestResolveExplainsConflict(t *testing.T) {
	idx := pyindex.Start(t, []pyindex.Wheel{
		pureWheel("app", "1.0", "lib>=2"),
		pureWheel("lib", "1.5"),
	})
	reqs := filepath.Join(t.TempDir(), "requirements.txt")
	if err := os.WriteFile(reqs, []byte("app\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "resolve", "-r", reqs, "-o", filepath.Join(t.TempDir(), "machnix.lock"),
		"--index-url", idx.URL+"/simple", "--python", "3.11")
	if code != exitProblem || !strings.Contains(stderr, "lib") || !strings.Contains(stderr, "app") {
		t.Fatalf("exit %d, stderr %q: want exit 1 explaining app's need for lib>=2", code, stderr)
	}
}

func TestResolveBadRequirementsNameFileAndLine(t *testing.T) {
	reqs := filepath.Join(t.TempDir(), "requirements.txt")
	if err := os.WriteFile(reqs, []byte("ok\nbad[unclosed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The index is a closed port on 127.0.0.1: parsing must fail before any
	// request, and no test may reach beyond the loopback.
	code, _, stderr := runCLI(t, "resolve", "-r", reqs, "--index-url", "http://127.0.0.1:9/simple")
	if code != exitBadInput || !strings.Contains(stderr, reqs+":2") {
		t.Fatalf("exit %d, stderr %q: want exit 2 naming %s:2", code, stderr, reqs)
	}
}

// build -r: requirements → resolve → fetch → diagnose → gen → nix-build,
// with real nix-build against the fixture nixpkgs; the environment's python
// imports the resolved versions.
func TestBuildFromRequirements(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build", "nix-store", "patchelf")
	idx := pyindex.Start(t, []pyindex.Wheel{
		pureWheel("app", "1.0", "lib<2"),
		pureWheel("lib", "1.5"),
		pureWheel("lib", "2.0"),
	})
	t.Setenv("MACHNIX_CACHE_DIR", t.TempDir())
	dir := t.TempDir()
	reqs := filepath.Join(dir, "requirements.txt")
	if err := os.WriteFile(reqs, []byte("app\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lockPath := filepath.Join(dir, "machnix.lock")
	code, out, stderr := runCLI(t, "build", "-r", reqs, "--index-url", idx.URL+"/simple", "--python", "3.11",
		"--lock", lockPath, "-o", filepath.Join(dir, "result"), "-I", "nixpkgs="+nixpkgs.Dir(), "--option", "substituters=")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	env := strings.TrimSpace(out)
	got, err := exec.Command("env", "-i", env+"/bin/python", "-c", "import app, lib; print(app.VERSION, lib.VERSION)").CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, got)
	}
	if strings.TrimSpace(string(got)) != "1.0 1.5" {
		t.Errorf("imported %q, want app 1.0 with lib 1.5 (lib<2)", got)
	}
	if _, err := resolve.ReadLock(lockPath); err != nil {
		t.Errorf("build -r should leave the lock it resolved: %v", err)
	}
}

// A pyproject.toml with an optional-dependencies group, and a constraints
// file that holds lib back without adding anything.
func TestResolvePyprojectExtrasAndConstraints(t *testing.T) {
	idx := pyindex.Start(t, []pyindex.Wheel{
		pureWheel("app", "1.0", "lib"),
		pureWheel("lib", "1.5"),
		pureWheel("lib", "2.0"),
		pureWheel("speedups", "3.0"),
		pureWheel("unused", "1.0"),
	})
	dir := t.TempDir()
	pyproject := filepath.Join(dir, "pyproject.toml")
	if err := os.WriteFile(pyproject, []byte(`[project]
name = "mine"
version = "0.1"
dependencies = ["app"]
[project.optional-dependencies]
Fast = ["speedups>=3"]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	constraints := filepath.Join(dir, "constraints.txt")
	if err := os.WriteFile(constraints, []byte("lib<2\nunused==1.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lockPath := filepath.Join(dir, "machnix.lock")
	code, _, stderr := runCLI(t, "resolve", "-r", pyproject, "--extra", "fast", "-c", constraints, "-o", lockPath,
		"--index-url", idx.URL+"/simple", "--python", "3.11")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lock, err := resolve.ReadLock(lockPath)
	if err != nil {
		t.Fatal(err)
	}
	pins := map[string]string{}
	for _, p := range lock.Packages {
		pins[p.Name] = p.Version
	}
	if len(pins) != 3 || pins["app"] != "1.0" || pins["lib"] != "1.5" || pins["speedups"] != "3.0" {
		t.Errorf("pins %v, want app, lib 1.5 (constrained) and speedups (the extra), and no unused", pins)
	}
	if code, _, stderr := runCLI(t, "resolve", "-r", pyproject, "--extra", "nope", "-o", lockPath, "--index-url", idx.URL+"/simple"); code != exitBadInput || !strings.Contains(stderr, "nope") {
		t.Errorf("unknown extra: exit %d, %q", code, stderr)
	}
}

// --find-links DIR with --no-index: wheels and an sdist from a local
// directory, pinned with file:// URLs and hashes that fetch then verifies.
func TestResolveFindLinksOffline(t *testing.T) {
	dir := t.TempDir()
	links := filepath.Join(dir, "wheelhouse")
	if err := os.MkdirAll(links, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := testfixtures.WriteWheel(links, testfixtures.Wheel{Name: "app", Version: "1.0", Requires: []string{"lib>=1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := testfixtures.WriteSdist(links, testfixtures.Wheel{Name: "lib", Version: "1.2",
		Files: []testfixtures.File{{Path: "lib/__init__.py", Data: []byte("")}}}); err != nil {
		t.Fatal(err)
	}
	reqs := filepath.Join(dir, "requirements.txt")
	if err := os.WriteFile(reqs, []byte("--no-index\n--find-links ./wheelhouse\napp\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lockPath := filepath.Join(dir, "machnix.lock")
	code, _, stderr := runCLI(t, "resolve", "-r", reqs, "-o", lockPath, "--python", "3.11", "--provider", "_default=wheel,sdist")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lock, err := resolve.ReadLock(lockPath)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]resolve.Package{}
	for _, p := range lock.Packages {
		got[p.Name] = p
	}
	if got["app"].Version != "1.0" || got["lib"].Version != "1.2" || got["lib"].Provider != resolve.ProviderSdist || len(got) != 2 {
		t.Fatalf("pins %+v, want app 1.0 (wheel) and lib 1.2 (sdist)", got)
	}
	if !strings.HasPrefix(got["lib"].URL, "file://") || len(got["lib"].SHA256) != 64 {
		t.Errorf("lib pinned as %+v, want a file:// URL and its sha256", got["lib"])
	}
	t.Setenv("MACHNIX_CACHE_DIR", t.TempDir())
	if code, _, stderr := runCLI(t, "fetch", "--lock", lockPath); code != exitOK {
		t.Errorf("fetch of file:// pins: exit %d: %s", code, stderr)
	}
}

// A root "name @ URL#sha256=..." is the only source of that name, even when
// an index has newer versions; without a hash it is refused.
func TestResolveDirectURLRequirement(t *testing.T) {
	idx := pyindex.Start(t, []pyindex.Wheel{
		pureWheel("app", "1.0", "lib>=1"),
		pureWheel("lib", "3.0"),
	})
	dir := t.TempDir()
	whl, err := testfixtures.WriteWheel(dir, testfixtures.Wheel{Name: "lib", Version: "1.1",
		Files: []testfixtures.File{{Path: "lib/__init__.py", Data: []byte("VERSION = '1.1'\n")}}})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(whl)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	fileURL := srv.URL + "/" + filepath.Base(whl)
	reqs := filepath.Join(dir, "requirements.txt")
	write := func(text string) {
		if err := os.WriteFile(reqs, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("app\nlib @ " + fileURL + "#sha256=" + hex.EncodeToString(sum[:]) + "\n")
	lockPath := filepath.Join(dir, "machnix.lock")
	code, _, stderr := runCLI(t, "resolve", "-r", reqs, "-o", lockPath, "--index-url", idx.URL+"/simple", "--python", "3.11")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lock, err := resolve.ReadLock(lockPath)
	if err != nil {
		t.Fatal(err)
	}
	var lib resolve.Package
	for _, p := range lock.Packages {
		if p.Name == "lib" {
			lib = p
		}
	}
	if lib.Version != "1.1" || lib.URL != fileURL || lib.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("lib pinned as %+v, want 1.1 from %s with its hash", lib, fileURL)
	}
	write("app\nlib @ " + fileURL + "\n")
	if code, _, stderr := runCLI(t, "resolve", "-r", reqs, "-o", filepath.Join(dir, "other.lock"), "--index-url", idx.URL+"/simple"); code == exitOK || !strings.Contains(stderr, "sha256") {
		t.Errorf("a direct URL without a hash: exit %d, %q; want a refusal asking for the hash", code, stderr)
	}
}
