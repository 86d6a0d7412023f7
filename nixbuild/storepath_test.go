package nixbuild

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/testfixtures"
)

// The store path machnix computes for a fetched file is the one Nix gives
// it, for file names with the characters store names allow.
func TestFixedOutputPathMatchesNix(t *testing.T) {
	testfixtures.RequireTool(t, "nix-store")
	dir := t.TempDir()
	for i, name := range []string{"a-1.0-py3-none-any.whl", "torch-2.1.0+cu121-cp311-cp311-linux_x86_64.whl", "x_y.tar.gz"} {
		data := fmt.Appendf(nil, "machnix store path test %d %d", i, time.Now().UnixNano())
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("nix-store", "--add-fixed", "sha256", path).Output()
		if err != nil {
			t.Fatalf("nix-store --add-fixed: %v", err)
		}
		sum := sha256.Sum256(data)
		if got, want := fixedOutputPath(storeDir(), name, hex.EncodeToString(sum[:])), strings.TrimSpace(string(out)); got != want {
			t.Errorf("%s: computed %s, Nix added %s", name, got, want)
		}
	}
}

// AddToStore asks Nix which paths it lacks and adds only those: a path the
// store has is never read again (here its file is gone), and a file whose
// bytes are not the lock's is refused.
func TestAddToStoreAddsOnlyWhatIsMissing(t *testing.T) {
	testfixtures.RequireTool(t, "nix-store")
	ctx := context.Background()
	dir := t.TempDir()
	data := fmt.Appendf(nil, "wheel bytes %d", time.Now().UnixNano())
	path := filepath.Join(dir, "blob")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	pkg := resolve.Package{Name: "a", Version: "1", Provider: resolve.ProviderWheel, Filename: "a-1-py3-none-any.whl", SHA256: hex.EncodeToString(sum[:])}
	if err := AddToStore(ctx, []Fetched{{Package: pkg, Path: path}}); err != nil {
		t.Fatal(err)
	}
	if err := exec.Command("nix-store", "--check-validity", fixedOutputPath(storeDir(), StoreName(pkg), pkg.SHA256)).Run(); err != nil {
		t.Fatalf("the file is not in the store under the computed path: %v", err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := AddToStore(ctx, []Fetched{{Package: pkg, Path: path}}); err != nil {
		t.Errorf("a second add read the file again: %v", err)
	}

	other := filepath.Join(dir, "other")
	if err := os.WriteFile(other, fmt.Appendf(nil, "other bytes %d", time.Now().UnixNano()), 0o644); err != nil {
		t.Fatal(err)
	}
	liar := pkg
	liar.Filename = "b-1-py3-none-any.whl"
	liar.SHA256 = strings.Repeat("0", 64)
	if err := AddToStore(ctx, []Fetched{{Package: liar, Path: other}}); !errors.Is(err, ErrNixStore) {
		t.Errorf("a file whose bytes are not the lock's: %v, want ErrNixStore", err)
	}
}
