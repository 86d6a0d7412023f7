package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/native"
	"github.com/machnix/machnix/testfixtures/nixpkgs"
	"github.com/machnix/machnix/testfixtures/pyindex"
)

// A universal lock for x86_64-linux and aarch64-linux from an index whose
// zcrc has a gcc-built wheel for this machine and a made-up, ELF-less
// wheel for the other architecture, and whose app depends on a package
// only on x86_64. Each target gets its own zcrc file; the lock then builds
// with real nix-build on this machine, and the environment imports zcrc,
// computing a CRC with the compiled extension.
func TestUniversalLockBuildsOnThisSystem(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build", "nix-store", "patchelf")
	if native.Arch() != "x86_64" {
		t.Skip("the fixture's other-architecture wheel is made up for aarch64; this test runs on x86_64")
	}
	w := native.BuildT(t)
	armZcrc := testfixtures.Wheel{Name: "zcrc", Version: "1.0", Tags: []string{"cp311-cp311-manylinux_2_17_aarch64"},
		Files: []testfixtures.File{{Path: "zcrc/__init__.py", Data: []byte("ARCH = 'aarch64'\n")}}}
	idx := pyindex.Start(t, []pyindex.Wheel{
		{Prebuilt: w.Zcrc},
		{Wheel: armZcrc},
		pureWheel("app", "1.0", "zcrc", `xonly ; platform_machine == "x86_64"`),
		pureWheel("xonly", "1.0"),
	})
	t.Setenv("MACHNIX_CACHE_DIR", t.TempDir())
	dir := t.TempDir()
	reqs := filepath.Join(dir, "requirements.txt")
	if err := os.WriteFile(reqs, []byte("app\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lockPath := filepath.Join(dir, "machnix.lock")
	code, _, stderr := runCLI(t, "resolve", "-r", reqs, "--index-url", idx.URL+"/simple", "--universal", "--python", "3.11", "-o", lockPath)
	if code != exitOK {
		t.Fatalf("resolve --universal: exit %d: %s", code, stderr)
	}
	lock, err := resolve.ReadLock(lockPath)
	if err != nil {
		t.Fatal(err)
	}
	if got := lock.Keys(); !slices.Equal(got, []string{"x86_64-linux/3.11", "aarch64-linux/3.11"}) {
		t.Fatalf("targets %v", got)
	}
	byName := map[string]resolve.Package{}
	for _, p := range lock.Packages {
		byName[p.Name] = p
	}
	zcrc := byName["zcrc"]
	if len(zcrc.Files) != 2 {
		t.Fatalf("zcrc files %+v, want one per architecture", zcrc.Files)
	}
	for _, f := range zcrc.Files {
		arch := strings.Split(f.Targets[0], "-")[0]
		if len(f.Targets) != 1 || !strings.HasSuffix(f.Tags[0], arch) || !resolve.IsSHA256Hex(f.SHA256) {
			t.Errorf("zcrc file %s serves %v with tags %v", f.Filename, f.Targets, f.Tags)
		}
	}
	if x := byName["xonly"]; x.Marker != `platform_machine == "x86_64"` || !slices.Equal(x.Targets, []string{"x86_64-linux/3.11"}) {
		t.Errorf("xonly: marker %q targets %v", x.Marker, x.Targets)
	}
	if m := byName["app"].DependencyMarkers["xonly"]; m != `platform_machine == "x86_64"` {
		t.Errorf("app's dependency on xonly has marker %q", m)
	}

	// Resolving again from the lock is byte-identical.
	before, _ := os.ReadFile(lockPath)
	if code, _, stderr := runCLI(t, "resolve", "-r", reqs, "--index-url", idx.URL+"/simple", "--universal", "--python", "3.11", "-o", lockPath); code != exitOK {
		t.Fatalf("second resolve: exit %d: %s", code, stderr)
	}
	if after, _ := os.ReadFile(lockPath); string(after) != string(before) {
		t.Errorf("re-resolving changed the universal lock:\n%s\n---\n%s", before, after)
	}

	// Refreshed without --universal, the lock stays universal.
	if code, _, stderr := runCLI(t, "resolve", "-r", reqs, "--index-url", idx.URL+"/simple", "-o", lockPath); code != exitOK {
		t.Fatalf("refresh: exit %d: %s", code, stderr)
	}
	if after, _ := os.ReadFile(lockPath); string(after) != string(before) {
		t.Errorf("refreshing without --universal changed the universal lock:\n%s", after)
	}

	out := filepath.Join(dir, "result")
	code, stdout, stderr := runCLI(t, "build", "--lock", lockPath, "-o", out, "-I", "nixpkgs="+nixpkgs.Dir(), "--option", "substituters=")
	if code != exitOK {
		t.Fatalf("build from the universal lock: exit %d: %s", code, stderr)
	}
	env := strings.TrimSpace(stdout)
	script := fmt.Sprintf("import app, xonly, zcrc; print(zcrc.crc32(%q.encode()))", native.ZcrcInput)
	got, err := exec.Command("env", "-i", env+"/bin/python", "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, got)
	}
	if want := fmt.Sprint(native.ZcrcCRC32()); strings.TrimSpace(string(got)) != want {
		t.Errorf("printed %q, want %s", got, want)
	}

	// build -r refreshes the lock and records what it inspected: the lock
	// stays universal.
	if code, _, stderr := runCLI(t, "build", "-r", reqs, "--index-url", idx.URL+"/simple", "--lock", lockPath, "-o", filepath.Join(dir, "r3"),
		"-I", "nixpkgs="+nixpkgs.Dir(), "--option", "substituters="); code != exitOK {
		t.Fatalf("build -r: exit %d: %s", code, stderr)
	}
	if after, _ := os.ReadFile(lockPath); string(after) != string(before) {
		t.Errorf("build -r changed the universal lock:\n%s", after)
	}

	// resolve inspected every target's files: the x86_64 zcrc needs zlib,
	// the aarch64 one nothing.
	if lock, err = resolve.ReadLock(lockPath); err != nil {
		t.Fatal(err)
	}
	for _, p := range lock.Packages {
		for _, f := range p.Files {
			if f.Native == nil {
				t.Errorf("%s records no native inputs", f.Filename)
			} else if p.Name == "zcrc" && slices.Contains(f.Native.BuildInputs, "zlib") != slices.Contains(f.Targets, "x86_64-linux/3.11") {
				t.Errorf("%s for %v has build inputs %v", f.Filename, f.Targets, f.Native.BuildInputs)
			}
		}
	}

	// gen writes the universal lock unchanged beside the expression, which
	// evaluates for either system.
	genDir := filepath.Join(dir, "nix")
	if code, _, stderr := runCLI(t, "gen", "--lock", lockPath, "-o", genDir); code != exitOK {
		t.Fatalf("gen: exit %d: %s", code, stderr)
	}
	written, _ := os.ReadFile(lockPath)
	if copied, err := os.ReadFile(filepath.Join(genDir, "machnix.lock")); err != nil || string(copied) != string(written) {
		t.Errorf("gen's lock differs from the universal lock: %v\n%s", err, copied)
	}
	for _, system := range []string{"x86_64-linux", "aarch64-linux"} {
		pkgs := fmt.Sprintf("import %s { localSystem = { system = %q; }; }", nixpkgs.Dir(), system)
		out, err := exec.Command("nix-instantiate", "--eval", "--strict", "--json", "--option", "allow-import-from-derivation", "false",
			"--arg", "pkgs", pkgs, "-E", fmt.Sprintf("{ pkgs }: let env = import %s { inherit pkgs; }; in builtins.seq env.drvPath env.system", genDir)).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != fmt.Sprintf("%q", system) {
			t.Errorf("gen's default.nix for %s: %v\n%s", system, err, out)
		}
	}

	// A target the lock lacks is refused, naming the lock's targets.
	code, _, stderr = runCLI(t, "build", "--lock", lockPath, "--python", "3.12", "-o", filepath.Join(dir, "r2"))
	if code != exitBadInput || !strings.Contains(stderr, "x86_64-linux/3.11, aarch64-linux/3.11") {
		t.Errorf("build for a missing target: exit %d, stderr %q", code, stderr)
	}

	// diagnose --lock reports every system, this machine's and the other.
	code, stdout, stderr = runCLI(t, "diagnose", "--lock", lockPath, "--nix-locate=false")
	_, arm, _ := strings.Cut(stdout, "== aarch64-linux/3.11")
	x86, _, _ := strings.Cut(stdout, "== aarch64-linux/3.11")
	if code != exitOK || !strings.Contains(x86, "== x86_64-linux/3.11") || !strings.Contains(x86, "libz.so.1") ||
		!strings.Contains(arm, "(zcrc 1.0)") || strings.Contains(arm, "xonly") || strings.Contains(arm, "libz.so.1") {
		t.Errorf("diagnose --lock: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

// A local project locks universally: its dependency for x86_64 only keeps
// its marker, the project is a package of both targets with its hash and
// build requirements, the lock builds with real nix-build on this machine
// (the project imports both dependencies), and the library evaluates it
// for aarch64-linux without the x86_64-only one.
func TestUniversalLockWithLocalProject(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build", "nix-store", "nix-instantiate")
	if native.Arch() != "x86_64" {
		t.Skip("the build half runs on x86_64, the other target's evaluation on aarch64-linux")
	}
	t.Setenv("MACHNIX_CACHE_DIR", t.TempDir())
	idx := pyindex.Start(t, []pyindex.Wheel{pureWheel("greeting", "1.0"), pureWheel("xonly", "1.0")})
	app := filepath.Join(t.TempDir(), "app")
	testfixtures.WriteFiles(t, app, map[string]string{
		"pyproject.toml": `[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "uni-app"
version = "0.2"
dependencies = ["greeting", "xonly ; platform_machine == 'x86_64'"]
`,
		"uni_app/__init__.py": "import greeting, platform\nif platform.machine() == 'x86_64':\n    import xonly\nWHO = 'uni-app ' + greeting.VERSION\n",
	})
	lockPath := filepath.Join(app, "machnix.lock")
	if code, _, stderr := runCLI(t, "lock", app, "--universal", "--python", "3.11", "--index-url", idx.URL+"/simple", "-o", lockPath); code != exitOK {
		t.Fatalf("lock --universal: exit %d\n%s", code, stderr)
	}
	lock, err := resolve.ReadLock(lockPath)
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string][]string{}
	for _, p := range lock.Packages {
		targets[p.Name] = p.Targets
		if p.Name == "uni-app" && (p.Provider != resolve.ProviderLocal || p.Path != "." || !slices.Equal(p.BuildRequires, []string{"setuptools>=61"})) {
			t.Errorf("the local project's entry: %+v", p)
		}
	}
	both := []string{"aarch64-linux/3.11", "x86_64-linux/3.11"}
	if !lock.Universal() || !slices.Equal(targets["uni-app"], both) || !slices.Equal(targets["greeting"], both) || !slices.Equal(targets["xonly"], both[1:]) {
		t.Fatalf("targets by package: %v", targets)
	}

	out := filepath.Join(t.TempDir(), "result")
	code, stdout, stderr := runCLI(t, "build", "--lock", lockPath, "-o", out, "-I", "nixpkgs="+nixpkgs.Dir(), "--option", "substituters=")
	if code != exitOK {
		t.Fatalf("build --lock: exit %d\n%s\n%s", code, stdout, stderr)
	}
	got, err := exec.Command("env", "-i", filepath.Join(out, "bin", "python"), "-c", "import uni_app, xonly; print(uni_app.WHO)").CombinedOutput()
	if err != nil || strings.TrimSpace(string(got)) != "uni-app 1.0" {
		t.Errorf("the x86_64 environment: %v\n%s", err, got)
	}

	expr := fmt.Sprintf(`let pkgs = import %s { localSystem = { system = "aarch64-linux"; }; }; machnix = import %s { inherit pkgs; };
  ps = (pkgs.python311.override { packageOverrides = machnix.mkPythonOverrides { lock = %s; }; }).pkgs;
  env = machnix.mkPython { lock = %s; };
in { deps = map (d: d.pname) ps.uni-app.dependencies; xonly = ps ? xonly; system = builtins.seq env.drvPath env.system; }`,
		nixpkgs.Dir(), filepath.Join(testfixtures.RepoRoot(t), "default.nix"), lockPath, lockPath)
	raw, err := exec.Command("nix-instantiate", "--eval", "--strict", "--json", "--option", "allow-import-from-derivation", "false", "-E", expr).CombinedOutput()
	if err != nil {
		t.Fatalf("aarch64-linux: %v\n%s", err, raw)
	}
	var arm struct {
		Deps   []string
		Xonly  bool
		System string
	}
	if err := json.Unmarshal(raw, &arm); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	if !slices.Equal(arm.Deps, []string{"greeting"}) || arm.Xonly || arm.System != "aarch64-linux" {
		t.Errorf("aarch64-linux: %+v", arm)
	}
}
