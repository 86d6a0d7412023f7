package nixlib_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/nixpkgs"
)

// nixFlake runs nix with flakes on, offline: no registry, no substituter.
// Nix 2.8 needs the experimental features named.
func nixFlake(t *testing.T, dir string, args ...string) string {
	t.Helper()
	testfixtures.RequireTool(t, "nix")
	cmd := exec.Command("nix", append([]string{"--experimental-features", "nix-command flakes", "--offline",
		"--option", "flake-registry", "", "--option", "substituters", ""}, args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("nix %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// copyFlake copies the repository's flake (flake.nix, the library and the
// template) and locks its nixpkgs input to the stand-in, which a flake
// that has never been locked could not reach offline.
func copyFlake(t *testing.T) string {
	t.Helper()
	root := testfixtures.RepoRoot(t)
	dst := filepath.Join(t.TempDir(), "machnix")
	if out, err := exec.Command("mkdir", "-p", dst).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for _, p := range []string{"flake.nix", "default.nix", "nix", "templates"} {
		if out, err := exec.Command("cp", "-R", filepath.Join(root, p), dst+"/").CombinedOutput(); err != nil {
			t.Fatalf("cp %s: %v\n%s", p, err, out)
		}
	}
	nixFlake(t, dst, "flake", "lock", "--override-input", "nixpkgs", "path:"+nixpkgs.Dir())
	return dst
}

// A project made from the template (nix flake init -t) with a
// machnix.lock: nix build gives its environment, nix develop a shell whose
// python has the lock's packages. nixpkgs and machnix are pointed at the
// stand-in and at this checkout.
func TestFlakeTemplateBuildsAndDevelops(t *testing.T) {
	flake := copyFlake(t)
	proj := t.TempDir()
	nixFlake(t, proj, "flake", "init", "-t", "path:"+flake)
	if _, err := os.Stat(filepath.Join(proj, "flake.nix")); err != nil {
		t.Fatalf("flake init wrote no flake.nix: %v", err)
	}
	s := serve(t)
	writeLock(t, s, proj, plainLock(t, s))
	inputs := []string{"--override-input", "nixpkgs", "path:" + nixpkgs.Dir(), "--override-input", "machnix", "path:" + flake}

	nixFlake(t, proj, append([]string{"build", "-o", "result", "."}, inputs...)...)
	if got := pythonIn(t, filepath.Join(proj, "result"), "import plain, nixtool; print(plain.P, nixtool.HELPER)"); got != "plain 1.0 2.0 from the lock" {
		t.Errorf("nix build's environment printed %q", got)
	}
	out := nixFlake(t, proj, append(append([]string{"develop", "."}, inputs...), "--command", "python", "-c", "import plain; print('in the shell:', plain.P)")...)
	if !strings.Contains(out, "in the shell: plain 1.0") {
		t.Errorf("nix develop --command python printed:\n%s", out)
	}
	// The library per system, as other flakes use it.
	names := nixFlake(t, proj, "eval", "--json", "path:"+flake+"#lib", "--apply", "l: builtins.attrNames l.x86_64-linux")
	for _, want := range []string{"mkPython", "mkPythonShell", "mkDockerImage", "mkNixpkgs", "mkOverlay", "mkPythonOverrides", "buildPythonPackage", "buildPythonApplication"} {
		if !strings.Contains(names, `"`+want+`"`) {
			t.Errorf("lib.x86_64-linux lacks %s: %s", want, names)
		}
	}
}

// The template with a universal lock: nix build gives this machine's
// environment, and packages.aarch64-linux.default instantiates (nothing
// is built) with the aarch64 zcrc file in its closure and not this
// machine's; lib.aarch64-linux chooses the same file.
func TestFlakeTemplateWithAUniversalLock(t *testing.T) {
	flake := copyFlake(t)
	proj := t.TempDir()
	nixFlake(t, proj, "flake", "init", "-t", "path:"+flake)
	l := universalLock(t, proj)
	x86File, armFile := zcrcFile(t, l, x86Key), zcrcFile(t, l, armKey)
	// Locked to the stand-in and this checkout, so that getFlake below
	// reads the same inputs offline.
	nixFlake(t, proj, "flake", "lock", "--override-input", "nixpkgs", "path:"+nixpkgs.Dir(), "--override-input", "machnix", "path:"+flake)

	nixFlake(t, proj, "build", "-o", "result", ".")
	if got := pythonIn(t, filepath.Join(proj, "result"), "import app, xonly, zcrc; print(zcrc.crc32(b'x') > 0, xonly.X)"); got != "True x86_64 only" {
		t.Errorf("nix build's environment printed %q", got)
	}
	drv := lastLine(nixFlake(t, proj, "eval", "--raw", ".#packages.aarch64-linux.default.drvPath"))
	closure := run(t, "nix-store", "-qR", drv)
	if !strings.Contains(closure, armFile.Filename) || strings.Contains(closure, x86File.Filename) || strings.Contains(closure, "xonly") {
		t.Errorf("aarch64-linux's environment %s: want %s in its closure, not %s or xonly:\n%s", drv, armFile.Filename, x86File.Filename, closure)
	}
	url := lastLine(nixFlake(t, proj, "eval", "--raw", "--impure", "--expr",
		`let f = builtins.getFlake "path:`+proj+`"; in (f.inputs.nixpkgs.legacyPackages.aarch64-linux.python311.override { packageOverrides = f.inputs.machnix.lib.aarch64-linux.mkPythonOverrides { lock = `+filepath.Join(proj, "machnix.lock")+`; }; }).pkgs.zcrc.src.url`))
	if url != armFile.URL {
		t.Errorf("lib.aarch64-linux's zcrc comes from %q, want %s", url, armFile.URL)
	}
}

// lastLine is the last line of nix's output, after its warnings.
func lastLine(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
