package nixbuild

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/machnix/machnix/testfixtures"
)

// A secret key whose path holds characters a URL query would misread
// still signs what Push uploads: Nix reads the path withQuery escaped.
func TestPushSignsWithAKeyUnderAnOddPath(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build", "nix-store", "nix")
	out, err := Build(context.Background(), cacheExpr(t), WithOption("substituters", ""))
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := testfixtures.BinaryCacheKey(t, "machnix-odd-1")
	odd := filepath.Join(t.TempDir(), "a b&c=d%", "k#1.key")
	if err := os.MkdirAll(filepath.Dir(odd), 0o700); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(odd, data, 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "cache")
	if _, err := Push(context.Background(), "file://"+dir, odd, out); err != nil {
		t.Fatal(err)
	}
	narinfos, _ := filepath.Glob(filepath.Join(dir, "*.narinfo"))
	if len(narinfos) == 0 {
		t.Fatal("nothing was pushed")
	}
	for _, n := range narinfos {
		if b, _ := os.ReadFile(n); !strings.Contains(string(b), "\nSig: machnix-odd-1:") {
			t.Errorf("%s is not signed by the key under the odd path:\n%s", filepath.Base(n), b)
		}
	}
}
