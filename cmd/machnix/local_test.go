package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/resolve/project"
	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/native"
	"github.com/machnix/machnix/testfixtures/nixpkgs"
	"github.com/machnix/machnix/testfixtures/pyindex"
)

// writeApp writes a pyproject project whose console script imports the
// gcc-built zcrc wheel (and greeting, through the extra "fast") and
// prints marker.
func writeApp(t *testing.T, dir, marker string) {
	t.Helper()
	files := map[string]string{
		"pyproject.toml": `[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "Hello_App"
version = "0.1.0"
requires-python = ">=3.8"
dependencies = ["zcrc>=1"]

[project.optional-dependencies]
fast = ["greeting"]

[project.scripts]
hello-app = "hello_app.cli:main"
`,
		"hello_app/__init__.py": "",
		"hello_app/cli.py": fmt.Sprintf(`import greeting, zcrc

def main():
    print(%q, zcrc.crc32(%q.encode()), greeting.VERSION)
`, marker, native.ZcrcInput),
	}
	testfixtures.WriteFiles(t, dir, files)
}

// A local project is built with its locked dependencies, a gcc-built
// wheel among them, and its console script runs; an edit is noticed by
// its hash and built again, and docker makes an image of it.
func TestBuildLocalProjectEndToEnd(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build", "nix-store", "patchelf", "umoci", "runc")
	t.Setenv("MACHNIX_CACHE_DIR", t.TempDir())
	w := native.BuildT(t)
	idx := pyindex.Start(t, []pyindex.Wheel{{Prebuilt: w.Zcrc}, pureWheel("greeting", "1.0")})
	app := filepath.Join(t.TempDir(), "app")
	first := fmt.Sprintf("first %d", time.Now().UnixNano())
	writeApp(t, app, first)
	lockPath := filepath.Join(app, "machnix.lock")
	out := filepath.Join(t.TempDir(), "result")
	build := func(target string) (int, string, string) {
		return runCLI(t, "build", target, "--lock", lockPath, "--index-url", idx.URL+"/simple", "--python", "3.11",
			"-o", out, "-I", "nixpkgs="+nixpkgs.Dir(), "--option", "substituters=")
	}
	run := func(env string) string {
		cmd := exec.Command(filepath.Join(env, "bin", "hello-app"))
		cmd.Env = []string{}
		got, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("hello-app: %v\n%s", err, got)
		}
		return strings.TrimSpace(string(got))
	}
	code, stdout, stderr := build(app + "[fast]")
	if code != exitOK {
		t.Fatalf("build: exit %d: %s", code, stderr)
	}
	lock, err := resolve.ReadLock(lockPath)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := project.Hash(app)
	if err != nil {
		t.Fatal(err)
	}
	var local *resolve.Package
	for i, p := range lock.Packages {
		if p.Provider == resolve.ProviderLocal {
			local = &lock.Packages[i]
		}
	}
	if local == nil || local.Name != "hello-app" || local.Path != "." || local.SHA256 != hash ||
		!slices.Equal(local.Dependencies, []string{"greeting", "zcrc"}) || !slices.Equal(local.Extras, []string{"fast"}) ||
		!slices.Equal(local.BuildRequires, []string{"setuptools>=61"}) {
		t.Fatalf("local entry %+v, want hello-app at . with hash %s", local, hash)
	}
	// A lock resolved from a project argument alone records its wheels'
	// native inputs, as one resolved from -r does: Nix builds from it
	// alone.
	for _, p := range lock.Packages {
		if p.Provider == resolve.ProviderWheel && (p.Native == nil || !slices.Contains(p.Native.Imports, p.Name)) {
			t.Errorf("the lock's %s records native inputs %+v, want its inspection's (importing %s)", p.Name, p.Native, p.Name)
		}
	}
	want := fmt.Sprintf("%s %d 1.0", first, native.ZcrcCRC32())
	if got := run(strings.TrimSpace(stdout)); got != want {
		t.Errorf("printed %q, want %q", got, want)
	}

	// An edit changes the hash: --lock alone refuses the stale lock, the
	// project as argument locks and builds it again.
	second := fmt.Sprintf("second %d", time.Now().UnixNano())
	writeApp(t, app, second)
	code, _, stderr = runCLI(t, "build", "--lock", lockPath, "-o", out, "-I", "nixpkgs="+nixpkgs.Dir())
	if code != exitBadInput || !strings.Contains(stderr, "differ from the locked ones") || !strings.Contains(stderr, "machnix lock") {
		t.Errorf("a stale lock: exit %d, %s", code, stderr)
	}
	code, stdout, stderr = build(app + "[fast]")
	if code != exitOK {
		t.Fatalf("second build: exit %d: %s", code, stderr)
	}
	if got, want := run(strings.TrimSpace(stdout)), fmt.Sprintf("%s %d 1.0", second, native.ZcrcCRC32()); got != want {
		t.Errorf("after the edit printed %q, want %q", got, want)
	}

	// docker takes the project as build does; the image runs its console
	// script in runc.
	env := strings.TrimSpace(stdout)
	layoutDir := filepath.Join(t.TempDir(), "oci")
	code, _, stderr = runCLI(t, "docker", app+"[fast]", "--lock", lockPath, "--index-url", idx.URL+"/simple", "--python", "3.11",
		"-o", out, "-I", "nixpkgs="+nixpkgs.Dir(), "--option", "substituters=",
		"--tag", "app", "--oci-layout", layoutDir, "--cache-dir", t.TempDir(), "--entrypoint", env+"/bin/hello-app")
	if code != exitOK {
		t.Fatalf("docker: exit %d: %s", code, stderr)
	}
	bundle := filepath.Join(t.TempDir(), "bundle")
	if got, err := exec.Command("umoci", "unpack", "--image", layoutDir+":app", bundle).CombinedOutput(); err != nil {
		t.Fatalf("umoci unpack: %v\n%s", err, got)
	}
	if got, want := strings.TrimSpace(string(runBundle(t, bundle))), fmt.Sprintf("%s %d 1.0", second, native.ZcrcCRC32()); got != want {
		t.Errorf("the container printed %q, want %q", got, want)
	}
}

// -e is refused with what to do instead, from the command line and from
// a requirements file.
func TestEditableRefused(t *testing.T) {
	dir := t.TempDir()
	reqs := filepath.Join(dir, "requirements.txt")
	if err := os.WriteFile(reqs, []byte("-e .\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"build", "-e", "."}, {"lock", "--editable", "."}, {"resolve", "-r", reqs, "-o", filepath.Join(dir, "machnix.lock")},
	} {
		code, _, stderr := runCLI(t, args...)
		if code != exitBadInput || !strings.Contains(stderr, "non-editable") || !strings.Contains(stderr, "machnix env DIR .") {
			t.Errorf("%q: exit %d, %s", args, code, stderr)
		}
	}
}

// env DIR PROJECT locks the project into DIR/machnix.lock with its path
// relative to DIR, and nix-build DIR builds it; gen writes a copy of the
// lock elsewhere with the path rebased. A requirements file names the
// project by a relative line.
func TestEnvLocalProject(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build", "nix-store", "patchelf")
	t.Setenv("MACHNIX_CACHE_DIR", t.TempDir())
	w := native.BuildT(t)
	idx := pyindex.Start(t, []pyindex.Wheel{{Prebuilt: w.Zcrc}, pureWheel("greeting", "1.0")})
	root := t.TempDir()
	app := filepath.Join(root, "src", "app")
	marker := fmt.Sprintf("env %d", time.Now().UnixNano())
	writeApp(t, app, marker)
	reqs := filepath.Join(root, "src", "requirements.txt")
	if err := os.WriteFile(reqs, []byte("./app[fast]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	envDir := filepath.Join(root, "env")
	code, _, stderr := runCLI(t, "env", envDir, "-r", reqs, "--index-url", idx.URL+"/simple", "--python", "3.11")
	if code != exitOK {
		t.Fatalf("env: exit %d: %s", code, stderr)
	}
	pathOf := func(lockPath string) string {
		lock, err := resolve.ReadLock(lockPath)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range lock.Packages {
			if p.Provider == resolve.ProviderLocal {
				return p.Path
			}
		}
		t.Fatalf("%s has no local project", lockPath)
		return ""
	}
	if got := pathOf(filepath.Join(envDir, "machnix.lock")); got != "../src/app" {
		t.Errorf("path %q, want ../src/app", got)
	}
	out, err := exec.Command("nix-build", envDir, "-o", filepath.Join(root, "result"), "-I", "nixpkgs="+nixpkgs.Dir(), "--option", "substituters", "").CombinedOutput()
	if err != nil {
		t.Fatalf("nix-build: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	cmd := exec.Command(filepath.Join(lines[len(lines)-1], "bin", "hello-app"))
	cmd.Env = []string{}
	got, err := cmd.CombinedOutput()
	if want := fmt.Sprintf("%s %d 1.0", marker, native.ZcrcCRC32()); err != nil || strings.TrimSpace(string(got)) != want {
		t.Errorf("hello-app: %v, printed %q, want %q", err, got, want)
	}
	genDir := filepath.Join(root, "a", "b")
	code, _, stderr = runCLI(t, "gen", "--lock", filepath.Join(envDir, "machnix.lock"), "-o", genDir)
	if code != exitOK {
		t.Fatalf("gen: exit %d: %s", code, stderr)
	}
	if got := pathOf(filepath.Join(genDir, "machnix.lock")); got != "../../src/app" {
		t.Errorf("gen's copy has path %q, want ../../src/app", got)
	}
}

// The lock machnix lock . writes is all machnix's Nix library needs:
// buildPythonApplication and mkPython build the project from it, without
// machnix, and its console script runs with an empty environment.
func TestLibraryBuildsLockedProject(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build", "nix-store", "patchelf")
	t.Setenv("MACHNIX_CACHE_DIR", t.TempDir())
	w := native.BuildT(t)
	idx := pyindex.Start(t, []pyindex.Wheel{{Prebuilt: w.Zcrc}, pureWheel("greeting", "1.0")})
	app := filepath.Join(t.TempDir(), "app")
	marker := fmt.Sprintf("library %d", time.Now().UnixNano())
	writeApp(t, app, marker)
	library := filepath.Join(testfixtures.RepoRoot(t), "default.nix")
	t.Chdir(app)
	code, _, stderr := runCLI(t, "lock", ".[fast]", "--index-url", idx.URL+"/simple", "--python", "3.11")
	if code != exitOK {
		t.Fatalf("lock: exit %d: %s", code, stderr)
	}
	want := fmt.Sprintf("%s %d 1.0", marker, native.ZcrcCRC32())
	for fn, bin := range map[string]string{"buildPythonApplication": "hello-app", "mkPython": "hello-app"} {
		expr := fmt.Sprintf("let pkgs = import %s { }; machnix = import %s { inherit pkgs; }; in machnix.%s { lock = %s; }",
			nixpkgs.Dir(), library, fn, filepath.Join(app, "machnix.lock"))
		out, err := exec.Command("nix-build", "--no-out-link", "--option", "substituters", "", "--option", "allow-import-from-derivation", "false",
			"-I", "nixpkgs="+nixpkgs.Dir(), "-E", expr).Output()
		if err != nil {
			t.Fatalf("%s: %v\n%s", fn, err, err.(*exec.ExitError).Stderr)
		}
		lines := strings.Fields(string(out))
		cmd := exec.Command(filepath.Join(lines[len(lines)-1], "bin", bin))
		cmd.Env = []string{}
		got, err := cmd.CombinedOutput()
		if err != nil || strings.TrimSpace(string(got)) != want {
			t.Errorf("%s: %s: %v, printed %q, want %q", fn, bin, err, got, want)
		}
	}
}
