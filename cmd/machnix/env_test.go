package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/nixpkgs"
	"github.com/machnix/machnix/testfixtures/pyindex"
)

// machnix env resolves against an index and a pinned nixpkgs: greeting
// comes from the index as a wheel, nixonly only from nixpkgs. The folder it
// writes needs nothing else: with an empty NIX_PATH, nix-shell DIR enters a
// shell whose python is the environment and imports both, and nix-build DIR
// builds that same environment.
func TestEnvFolderEntersWithNixShell(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build", "nix-shell", "nix-instantiate", "patchelf")
	t.Setenv("MACHNIX_CACHE_DIR", t.TempDir())
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	idx := pyindex.Start(t, []pyindex.Wheel{pureWheel("greeting", "1.0")})
	work := t.TempDir()
	reqs := filepath.Join(work, "requirements.txt")
	if err := os.WriteFile(reqs, []byte("greeting\nnixonly>=2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(work, "env")
	code, out, stderr := runCLI(t, "env", dir, "-r", reqs, "--index-url", idx.URL+"/simple", "--python", "3.11",
		"--nixpkgs", nixpkgs.Dir())
	if code != exitOK {
		t.Fatalf("env: exit %d: %s", code, stderr)
	}
	if strings.TrimSpace(out) != dir {
		t.Errorf("printed %q, want the folder %s", out, dir)
	}
	// The summary names the lock resolved into DIR, the folder, and how
	// to enter it.
	for _, want := range []string{"resolved ", " packages into " + filepath.Join(dir, "machnix.lock"), "wrote " + dir, "enter it with: nix-shell " + filepath.Join(dir, "shell.nix")} {
		if !strings.Contains(stderr, want) {
			t.Errorf("env's stderr lacks %q:\n%s", want, stderr)
		}
	}
	for _, f := range []string{"default.nix", "shell.nix", "nixpkgs.nix", "machnix.lock"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("the folder lacks %s", f)
		}
	}
	lock, err := resolve.ReadLock(filepath.Join(dir, "machnix.lock"))
	if err != nil {
		t.Fatal(err)
	}
	if lock.Nixpkgs == nil || lock.Nixpkgs.Path != nixpkgs.Dir() {
		t.Errorf("lock pins nixpkgs %+v, want the path %s", lock.Nixpkgs, nixpkgs.Dir())
	}
	providers := map[string]resolve.Package{}
	for _, p := range lock.Packages {
		providers[p.Name] = p
	}
	if p := providers["nixonly"]; p.Provider != resolve.ProviderNixpkgs || p.NixAttr != "nixonly" || p.Version != "2.1" {
		t.Errorf("nixonly pinned as %+v, want nixpkgs' python.pkgs.nixonly 2.1", p)
	}
	// nixonly propagates nixhelper in the stand-in, as a real recipe
	// would: the lock pins that too, so the environment holds one copy.
	if p := providers["nixonly"]; !slices.Contains(p.Dependencies, "nixhelper") {
		t.Errorf("nixonly from nixpkgs has dependencies %v, want its propagated nixhelper", p.Dependencies)
	}
	if _, ok := providers["nixhelper"]; !ok {
		t.Errorf("the lock does not pin nixhelper, which nixonly brings: %v", lock.Packages)
	}
	if p := providers["greeting"]; p.Provider != resolve.ProviderWheel {
		t.Errorf("greeting pinned as %+v, want the index's wheel", p)
	}
	for _, f := range []string{"default.nix", "shell.nix", "nixpkgs.nix"} {
		if out, err := exec.Command("nix-instantiate", "--parse", filepath.Join(dir, f)).CombinedOutput(); err != nil {
			t.Errorf("nix-instantiate --parse %s: %v\n%s", f, err, out)
		}
	}

	nixEnv := append(os.Environ(), "NIX_PATH=")
	built, err := exec.Command("nix-build", dir, "--no-out-link", "--option", "substituters", "").Output()
	if err != nil {
		t.Fatalf("nix-build %s: %v", dir, err)
	}
	envPath := strings.TrimSpace(string(built))
	shell := exec.Command("nix-shell", filepath.Join(dir, "shell.nix"), "--option", "substituters", "", "--run",
		`python -c "import sys, greeting, nixonly; print(sys.prefix, greeting.VERSION, nixonly.VALUE)"`)
	shell.Env = nixEnv
	got, err := shell.Output()
	if err != nil {
		t.Fatalf("nix-shell %s/shell.nix: %v\n%s", dir, err, stderrOf(err))
	}
	if want := envPath + " 1.0 from nixpkgs"; strings.TrimSpace(string(got)) != want {
		t.Errorf("in nix-shell, python printed %q, want %q", got, want)
	}
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

// env writes a folder and builds nothing, so it has no fleet flags; given
// one, it says so and names the Nix flag or command that does the job
// where the folder is built.
func TestEnvExplainsFleetFlags(t *testing.T) {
	for flag, want := range map[string]string{
		"--builders":            "pass --builders to the nix-build or nix-shell that builds DIR",
		"--substituters":        "--option extra-substituters URL",
		"--trusted-public-keys": "--option extra-trusted-public-keys KEY",
		"--cache":               "nix copy --to URL?secret-key=FILE",
		"--cache-key":           "machnix build --cache",
	} {
		for _, args := range [][]string{{flag, "x"}, {flag + "=x"}} {
			code, _, stderr := runCLI(t, append([]string{"env", t.TempDir(), "--lock", "machnix.lock"}, args...)...)
			if code != exitBadInput || !strings.Contains(stderr, "machnix env builds nothing") || !strings.Contains(stderr, want) {
				t.Errorf("env %v: exit %d, want %d and %q:\n%s", args, code, exitBadInput, want, stderr)
			}
		}
	}
	// build has them: no such hint there.
	code, _, stderr := runCLI(t, "build", "--lock", "machnix.lock", "--buildrs", "x")
	if code != exitBadInput || strings.Contains(stderr, "builds nothing") || !strings.Contains(stderr, "did you mean --builders?") {
		t.Errorf("build --buildrs: exit %d:\n%s", code, stderr)
	}
}
