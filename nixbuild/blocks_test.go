package nixbuild

import (
	"strings"
	"testing"
)

func TestBlockAtNamesTheEntryWhoseBlockHoldsTheLine(t *testing.T) {
	expr := strings.Join([]string{
		`{ pkgs ? import <nixpkgs> { }, python ? pkgs.python311 }:`, // 1
		`let`,                       // 2
		`  buildPackages = self: {`, // 3
		`    "flit-core" = python.pkgs.buildPythonPackage {`, // 4
		`    };`,               // 5
		`  };`,                 // 6
		`  packages = self: {`, // 7
		`    # a needs b, which needs it back: that edge is left out here, and`, // 8
		`    # machnix.toml [overrides.a] is applied below.`,                    // 9
		`    "a" = python.pkgs.buildPythonPackage {`,                            // 10
		`      buildInputs = [ pkgs.nope ];`,                                    // 11
		`    };`,                                                                // 12
		`    "b" = let`,                                                         // 13
		`      r = python.pkgs.b;`,                                              // 14
		`    in r;`,                                                             // 15
		`  };`,                                                                  // 16
		`in`,                                                                    // 17
	}, "\n") + "\n"
	for line, want := range map[int]Block{4: {"build_packages", "flit-core"}, 9: {"packages", "a"}, 11: {"packages", "a"},
		12: {"packages", "a"}, 14: {"packages", "b"}, 15: {"packages", "b"}} {
		if got, ok := BlockAt([]byte(expr), line); !ok || got != want {
			t.Errorf("line %d: %+v %v, want %+v", line, got, ok, want)
		}
	}
	for _, line := range []int{1, 3, 6, 8, 16, 17, 40} {
		if got, ok := BlockAt([]byte(expr), line); ok {
			t.Errorf("line %d: %+v, want no block", line, got)
		}
	}
}

func TestErrorLinesOfOneFile(t *testing.T) {
	msg := "error: x\n  at /k/default.nix:27:11:\n  at /other.nix:3:1:\n  at /k/default.nix:9:2:"
	if got := ErrorLines(msg, "/k/default.nix"); len(got) != 2 || got[0] != 27 || got[1] != 9 {
		t.Errorf("got %v, want [27 9]", got)
	}
}
