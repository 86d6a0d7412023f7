package nixbuild

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/machnix/machnix/testfixtures"
)

// CopyFrom hands its paths to nix-store and nix as arguments: one that is
// not a path of the store (an option, a file elsewhere, a path climbing
// out of the store) is refused before any of them runs, and a real one
// still goes through.
func TestCopyFromRefusesWhatIsNotAStorePath(t *testing.T) {
	testfixtures.RequireTool(t, "nix-store")
	ctx := context.Background()
	source := filepath.Join(t.TempDir(), "other-store")
	file := filepath.Join(t.TempDir(), "x")
	if err := os.WriteFile(file, []byte("copy-from test\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("nix-store", "--add", file).Output()
	if err != nil {
		t.Fatalf("nix-store --add: %v", err)
	}
	real := strings.TrimSpace(string(out))
	if n, err := CopyFrom(ctx, source, nil, real); err != nil || n != 0 {
		t.Fatalf("a path this store has: %d, %v", n, err)
	}
	hash := filepath.Base(real)[:32]
	for _, bad := range []string{"--option", "--version", "-qR", "/tmp/x", "x", "", storeDir(), storeDir() + "/../../etc/passwd",
		storeDir() + "/" + hash + "-x/../../../etc", storeDir() + "/" + hash + "-x y", storeDir() + "/" + hash[:31] + "-x", "--store=" + real} {
		if n, err := CopyFrom(ctx, source, nil, real, bad); !errors.Is(err, ErrNotStorePath) || n != 0 {
			t.Errorf("CopyFrom(%q) = %d, %v, want ErrNotStorePath", bad, n, err)
		}
	}
}
