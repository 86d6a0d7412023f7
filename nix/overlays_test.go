package nixlib_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/nixpkgs"
)

// mkNixpkgs keeps the overlays the given pkgs was made with, as real
// nixpkgs' appendOverlays does: a package set does not list them, so they
// cannot be read back and passed again (the stand-in has no overlays
// attribute either).
func TestMkNixpkgsKeepsThePkgsOverlays(t *testing.T) {
	testfixtures.RequireTool(t, "nix-instantiate")
	s := serve(t)
	dir := t.TempDir()
	writeLock(t, s, dir, plainLock(t, s))
	expr := fmt.Sprintf(`let pkgs = import %s { overlays = [ (final: prev: { userMarker = "kept"; }) ]; };
  machnix = import %s { inherit pkgs; };
  p = machnix.mkNixpkgs { lock = %s; };
in { marker = p.userMarker or "lost"; listsOverlays = pkgs ? overlays; locked = p.python3.pkgs.nixhelper.version; }`,
		nixpkgs.Dir(), filepath.Join(testfixtures.RepoRoot(t), "default.nix"), filepath.Join(dir, "machnix.lock"))
	var got struct {
		Marker        string
		ListsOverlays bool
		Locked        string
	}
	evalJSON(t, expr, &got)
	if got.Marker != "kept" || got.ListsOverlays || got.Locked != "2.0" {
		t.Errorf("mkNixpkgs on a pkgs with an overlay: %+v, want its marker kept, no overlays attribute, the lock's nixhelper 2.0", got)
	}
}
