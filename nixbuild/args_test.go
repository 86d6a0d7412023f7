package nixbuild

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/machnix/machnix/testfixtures"
)

// --argstr reaches nix-build as a string: the built path is named by it.
func TestBuildPassesArgStr(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build")
	expr := `{ who ? "nobody" }: derivation {
  name = "machnix-argstr-${who}";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  args = [ "-c" "/bin/mkdir $out" ];
}
`
	path := filepath.Join(t.TempDir(), "default.nix")
	if err := os.WriteFile(path, []byte(expr), 0o644); err != nil {
		t.Fatal(err)
	}
	who := fmt.Sprintf("t%d", time.Now().UnixNano())
	out, err := Build(context.Background(), path, WithArgStr("who", who), WithOption("substituters", ""))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(out, "-machnix-argstr-"+who) {
		t.Errorf("built %s, want a path named by the --argstr value %s", out, who)
	}
}

// --show-trace reaches nix-build: an evaluation error shows the trace
// ("while evaluating"), which it does not without.
func TestBuildPassesShowTrace(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build")
	expr := `let f = x: x.missing; in derivation {
  name = f { };
  system = builtins.currentSystem;
  builder = "/bin/sh";
}
`
	path := filepath.Join(t.TempDir(), "default.nix")
	if err := os.WriteFile(path, []byte(expr), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Build(context.Background(), path)
	if err == nil || !strings.Contains(err.Error(), "attribute 'missing' missing") || strings.Contains(err.Error(), "while evaluating") {
		t.Fatalf("without --show-trace: %v; want the error without its trace", err)
	}
	_, err = Build(context.Background(), path, WithShowTrace(true))
	if err == nil || !strings.Contains(err.Error(), "while evaluating") {
		t.Fatalf("with --show-trace: %v; want the trace", err)
	}
}
