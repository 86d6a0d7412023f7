package testfixtures

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// AddToStore writes files into a temporary directory called name and adds it
// to the Nix store with nix-store --add, returning the store path. The path
// depends only on name and the files, so tests can build closures that are
// identical on every machine.
func AddToStore(t testing.TB, name string, files ...File) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		p := filepath.Join(dir, f.Path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := f.Mode
		if mode == 0 {
			mode = 0o644
		}
		if err := os.WriteFile(p, f.Data, mode); err != nil {
			t.Fatal(err)
		}
	}
	return AddDirToStore(t, dir)
}

// AddDirToStore adds an existing directory to the Nix store.
func AddDirToStore(t testing.TB, dir string) string {
	t.Helper()
	RequireTool(t, "nix-store")
	out, err := exec.Command("nix-store", "--add", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("nix-store --add %s: %v\n%s", dir, err, out)
	}
	return strings.TrimSpace(string(out))
}
