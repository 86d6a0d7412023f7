package resolve

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// requireTool skips without the tool, except under CI=true where a missing
// tool is a failure.
func requireTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI: %v", name, err)
		}
		t.Skipf("%s not installed", name)
	}
}

const fakeNixpkgs = `{ ... }: rec {
  python3 = {
    pkgs = rec {
      numpy = { pname = "numpy"; version = "1.26.4"; pythonModule = python3; };
      # As buildPythonPackage makes them: Python packages among the
      # propagated inputs carry pythonModule; a C library does not.
      scipy = { pname = "scipy"; version = "1.12.0"; pythonModule = python3;
        propagatedBuildInputs = [ numpy { pname = "openblas"; version = "0.3"; } Pillow ]; };
      Pillow = { pname = "Pillow"; version = "10.2.0"; pythonModule = python3; };
      zope_interface = { pname = "zope.interface"; version = "6.1"; };
      broken = throw "marked broken";
      badversion = { pname = "bad"; version = throw "no version"; };
      notAPackage = 3;
      callPackage = x: x;
    };
  };
}
`

func TestNixInstantiateCatalog(t *testing.T) {
	requireTool(t, "nix-instantiate")
	dir := t.TempDir()
	np := filepath.Join(dir, "nixpkgs")
	os.MkdirAll(np, 0o755)
	if err := os.WriteFile(filepath.Join(np, "default.nix"), []byte(fakeNixpkgs), 0o644); err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(dir, "cache")
	c := NewNixInstantiateCatalog(np, "python3", WithNixCacheDir(cache))
	ctx := context.Background()
	got, err := c.Packages(ctx, "numpy")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Version != "1.26.4" || got[0].Attr != "numpy" {
		t.Fatalf("numpy: %+v", got)
	}
	if got, _ := c.Packages(ctx, "Zope-Interface"); len(got) != 1 || got[0].Attr != "zope_interface" || got[0].Version != "6.1" {
		t.Fatalf("zope.interface: %+v", got)
	}
	if got, _ := c.Packages(ctx, "scipy"); len(got) != 1 || strings.Join(got[0].Dependencies, " ") != "numpy pillow" {
		t.Fatalf("scipy's Python dependencies (numpy and Pillow, normalised; not openblas): %+v", got)
	}
	if got, _ := c.Packages(ctx, "bad"); len(got) != 0 {
		t.Fatalf("throwing version listed: %+v", got)
	}
	entries, _ := os.ReadDir(cache)
	if len(entries) != 1 {
		t.Fatalf("want one cache file, got %d", len(entries))
	}
	// A second catalog must answer from the cache even with nix gone: make
	// the nixpkgs unevaluable without changing default.nix's key inputs by
	// pointing PATH away from nix-instantiate.
	t.Setenv("PATH", dir)
	c2 := NewNixInstantiateCatalog(np, "python3", WithNixCacheDir(cache))
	if got, err := c2.Packages(ctx, "pillow"); err != nil || len(got) != 1 || got[0].Version != "10.2.0" {
		t.Fatalf("cached pillow: %+v %v", got, err)
	}
}

func TestNixInstantiateCatalogBadAttr(t *testing.T) {
	requireTool(t, "nix-instantiate")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "default.nix"), []byte(fakeNixpkgs), 0o644)
	c := NewNixInstantiateCatalog(dir, "python27", WithNixCacheDir(""))
	_, err := c.Packages(context.Background(), "numpy")
	if !errors.Is(err, ErrNixEval) {
		t.Fatalf("got %v", err)
	}
}
