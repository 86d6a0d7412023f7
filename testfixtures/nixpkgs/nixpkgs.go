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
	testfixtures.RequireTool(t, "nix-build", "patchelf")
	cmd := exec.Command("nix-build", "--option", "substituters", "", "--no-out-link", Dir(), "-A", attr)
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("nix-build -A %s: %v\n%s", attr, err, stderr)
	}
	return strings.TrimSpace(string(out))
}
