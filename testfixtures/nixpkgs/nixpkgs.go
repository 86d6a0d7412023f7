// Package nixpkgs locates the fixture nixpkgs (default.nix beside this file)
// and builds from it with a real nix-build, offline. Its python3 is a
// self-contained store path made from the host's Debian python3.11, so
// images and environments built on it run with nothing from the host.
package nixpkgs

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/machnix/machnix/testfixtures"
)

// Dir is the directory of the fixture nixpkgs, usable as <nixpkgs> with
// -I nixpkgs=Dir().
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

// Build runs nix-build on attr of the fixture, offline, and returns the
// store path. Nix caches the result, so tests may call it freely.
func Build(t testing.TB, attr string) string {
	t.Helper()
	return nixBuild(t, Dir(), "-A", attr)
}

// BuildExpr builds a Nix expression evaluated with the fixture's attributes
// in scope, e.g. "python3.withPackages (ps: [ ])".
func BuildExpr(t testing.TB, expr string) string {
	t.Helper()
	return nixBuild(t, "-E", "with import "+Dir()+" {}; "+expr)
}

func nixBuild(t testing.TB, args ...string) string {
	t.Helper()
	testfixtures.RequireTool(t, "nix-build", "patchelf")
	cmd := exec.Command("nix-build", append([]string{"--option", "substituters", "", "--no-out-link"}, args...)...)
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("nix-build %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return strings.TrimSpace(string(out))
}
