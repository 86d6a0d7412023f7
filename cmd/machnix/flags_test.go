package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/nixpkgs"
)

// nix-build's own spelling works: --option NAME VALUE with an empty VALUE,
// --arg NAME EXPR with spaces in EXPR, --argstr and --show-trace, beside
// the one-word NAME=VALUE form.
func TestBuildTakesNixStyleTwoWordFlags(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build", "nix-store", "patchelf")
	lock := servedLock(t, "zcrc")
	out := filepath.Join(t.TempDir(), "result")
	code, stdout, stderr := runCLI(t, "build", "--lock", lock, "-o", out, "-I", "nixpkgs="+nixpkgs.Dir(),
		"--option", "substituters", "", "--arg", "pkgs", "import <nixpkgs> { }", "--argstr", "unused", "a b",
		"--option", "cores=1", "--show-trace")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	got, err := exec.Command(strings.TrimSpace(stdout)+"/bin/python", "-c", "import zcrc").CombinedOutput()
	if err != nil {
		t.Fatalf("the environment does not import zcrc: %v\n%s", err, got)
	}
}

func TestBuildRefusesHalfANixPair(t *testing.T) {
	code, _, stderr := runCLI(t, "build", "--lock", "machnix.lock", "--arg", "pkgs")
	if code != exitBadInput || !strings.Contains(stderr, "--arg pkgs: no EXPR follows") {
		t.Fatalf("exit %d, stderr %q; want %d saying EXPR is missing", code, stderr, exitBadInput)
	}
}

func TestMisspeltFlagGetsSuggestion(t *testing.T) {
	code, _, stderr := runCLI(t, "build", "--ofline")
	if code != exitBadInput || !strings.Contains(stderr, "unknown flag: --ofline; did you mean --offline?") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

// --version and the version subcommand say the same: the version and the
// commit it was built from.
func TestVersionFlagAndCommand(t *testing.T) {
	code, flagOut, stderr := runCLI(t, "--version")
	if code != exitOK {
		t.Fatalf("--version: exit %d, %s", code, stderr)
	}
	code, cmdOut, stderr := runCLI(t, "version")
	if code != exitOK {
		t.Fatalf("version: exit %d, %s", code, stderr)
	}
	if !strings.HasPrefix(flagOut, "machnix ") || !strings.Contains(flagOut, ", commit ") || flagOut != cmdOut {
		t.Fatalf("--version printed %q, version printed %q; want the same line naming the commit", flagOut, cmdOut)
	}
}
