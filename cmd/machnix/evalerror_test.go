package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/nixpkgs"
)

// An override naming a nixpkgs attribute that does not exist fails Nix's
// evaluation inside the generated file: the error points at a kept copy
// of it (with the lock and library beside it), not at the removed build
// folder, and names the lock entry and
// the override that wrote those lines.
func TestBuildEvalErrorNamesOverrideAndKeepsExpression(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build", "nix-store")
	lock := consumerWithoutLibrary(t)
	cfg := filepath.Join(t.TempDir(), "machnix.toml")
	toml := "[overrides.consumer]\nbuildInputs.add = [\"noSuchLibrary\"]\nignoreMissing = [\"libprovider.so.1\"]\n"
	if err := os.WriteFile(cfg, []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "result")
	code, _, stderr := runCLI(t, "build", "--config", cfg, "--lock", lock, "-o", out,
		"-I", "nixpkgs="+nixpkgs.Dir(), "--option", "substituters", "")
	if code != exitProblem {
		t.Fatalf("exit %d, want %d: %s", code, exitProblem, stderr)
	}
	kept := filepath.Join(out+".failed", "default.nix")
	data, err := os.ReadFile(kept)
	if err != nil || !strings.Contains(string(data), "noSuchLibrary") {
		t.Fatalf("kept expression %s: %v", kept, err)
	}
	for _, want := range []string{"noSuchLibrary", kept + ":", "kept at " + kept,
		"packages[0] (consumer, wheel 1.0)", "[overrides.consumer] of " + cfg} {
		if !strings.Contains(stderr, want) {
			t.Errorf("error lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "machnix-build-") {
		t.Errorf("error names the removed build folder:\n%s", stderr)
	}
}

// A lock entry naming an attribute the nixpkgs lacks: the error names
// that entry, with no override.
func TestBuildEvalErrorNamesLockEntry(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build", "nix-store")
	lockPath := consumerWithoutLibrary(t)
	lock, err := resolve.ReadLock(lockPath)
	if err != nil {
		t.Fatal(err)
	}
	lock.Packages[1].NixAttr = "noSuchPythonPackage"
	if err := resolve.WriteLock(lockPath, lock); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "result")
	code, _, stderr := runCLI(t, "build", "--lock", lockPath, "-o", out, "--ignore-missing", "libprovider.so.1",
		"-I", "nixpkgs="+nixpkgs.Dir(), "--option", "substituters", "")
	if code != exitProblem {
		t.Fatalf("exit %d, want %d: %s", code, exitProblem, stderr)
	}
	for _, want := range []string{"noSuchPythonPackage", "packages[1] (provider, nixpkgs 1.0)", "kept at " + filepath.Join(out+".failed", "default.nix")} {
		if !strings.Contains(stderr, want) {
			t.Errorf("error lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "[overrides.") {
		t.Errorf("names an override where there is none:\n%s", stderr)
	}
}
