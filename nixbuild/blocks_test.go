package nixbuild

import (
	"strings"
	"testing"
)

func TestBlockAtNamesTheEntryWhoseBlockHoldsTheLine(t *testing.T) {
	expr := strings.Join([]string{
		`{ pkgs ? import <nixpkgs> { }, python ? pkgs.python311 }:`, // 1
		`let`, // 2
		`  machnix = import ./machnix-lib { inherit pkgs; };`, // 3
		`  overrides = {`, // 4
		`    # machnix.toml [overrides.a] is applied below.`, // 5
		`    "a" = {`, // 6
		`      buildInputs = { add = [ pkgs.nope ]; remove = [ ]; };`, // 7
		`    };`,      // 8
		`    "b" = {`, // 9
		`      build-system = [ python.pkgs.setuptools ];`, // 10
		`    };`,             // 11
		`  };`,               // 12
		`in`,                 // 13
		`machnix.mkPython {`, // 14
	}, "\n") + "\n"
	for line, want := range map[int]Block{5: {"packages", "a"}, 7: {"packages", "a"},
		8: {"packages", "a"}, 10: {"packages", "b"}, 11: {"packages", "b"}} {
		if got, ok := BlockAt([]byte(expr), line); !ok || got != want {
			t.Errorf("line %d: %+v %v, want %+v", line, got, ok, want)
		}
	}
	for _, line := range []int{1, 3, 4, 12, 13, 14, 40} {
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
