package nixbuild

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/nixpkgs"
)

// TestUnfreeNeedsAllowUnfree: a wheel that needs a cudaPackages library
// (unfree in nixpkgs) stops before Nix, naming the package and how to
// allow it; allowed, the expression imports nixpkgs with
// config.allowUnfree = true, which the strict stand-in evaluates.
func TestUnfreeNeedsAllowUnfree(t *testing.T) {
	testfixtures.RequireTool(t, "nix-instantiate")
	whl := cudaWheel(t, "cublas_user", []string{"libuser.so.1"}, "libcublas.so.12")
	lock, report := wheelLock(t, whl)
	_, err := Generate(lock, report)
	if !errors.Is(err, ErrUnfree) {
		t.Fatalf("without allowUnfree: %v, want ErrUnfree", err)
	}
	for _, want := range []string{"nvidia-cublas-user-cu12", "cudaPackages.libcublas", "--allow-unfree", "allowUnfree = true"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}

	expr, err := Generate(lock, report, WithAllowUnfree(true))
	if err != nil {
		t.Fatal(err)
	}
	file := writeGenerated(t, expr, lock, report)
	// Evaluating the derivation forces every input's drvPath, which the
	// stand-in's check-meta guards as nixpkgs' does.
	if out, err := exec.Command("nix-instantiate", "--option", "substituters", "", "-I", "nixpkgs="+nixpkgs.Dir(), file).CombinedOutput(); err != nil {
		t.Fatalf("nix-instantiate with allowUnfree: %v\n%s\n%s", err, out, expr)
	}
	// The same expression with nixpkgs imported without it is refused by
	// the stand-in: the config is what lets it through.
	plain := strings.Replace(string(expr), "config.allowUnfree = true;", "", 1)
	if plain == string(expr) {
		t.Fatalf("the expression does not set config.allowUnfree:\n%s", expr)
	}
	if err := os.WriteFile(file, []byte(plain), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("nix-instantiate", "--option", "substituters", "", "-I", "nixpkgs="+nixpkgs.Dir(), file).CombinedOutput(); err == nil || !strings.Contains(string(out), "unfree") {
		t.Errorf("without config.allowUnfree the stand-in should refuse: %v\n%s", err, out)
	}
	shell, err := Shell(lock, WithAllowUnfree(true))
	if err != nil || !strings.Contains(string(shell), "config.allowUnfree = true;") {
		t.Errorf("shell.nix does not import nixpkgs with allowUnfree: %v\n%s", err, shell)
	}
}
