package nixbuild

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/testfixtures"
)

// A tarball URL without a hash is prefetched: the pin records the SRI hash
// of the unpacked tree, which must equal the sha256 of its NAR as nix-store
// --dump writes it, and Nix then fetches the pin by that hash.
func TestParsePinPrefetchesTarball(t *testing.T) {
	testfixtures.RequireTool(t, "nix-prefetch-url", "nix-instantiate", "nix-store")
	src := filepath.Join(t.TempDir(), "pinned-nixpkgs")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	marker := "pinned " + t.Name()
	if err := os.WriteFile(filepath.Join(src, "default.nix"), []byte("{ ... }: { marker = \""+marker+"\"; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tarball := filepath.Join(t.TempDir(), "nixpkgs.tar.gz")
	writeTarGz(t, tarball, src)
	srv := httptest.NewServer(http.FileServer(http.Dir(filepath.Dir(tarball))))
	defer srv.Close()
	url := srv.URL + "/nixpkgs.tar.gz"

	pin, err := ParsePin(context.Background(), url, "")
	if err != nil {
		t.Fatal(err)
	}
	nar, err := exec.Command("nix-store", "--dump", src).Output()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(nar)
	if want := "sha256-" + base64.StdEncoding.EncodeToString(sum[:]); pin.URL != url || pin.Hash != want {
		t.Fatalf("pin %+v, want %s with hash %s", pin, url, want)
	}
	dir, err := RealisePin(context.Background(), pin)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("nix-instantiate", "--eval", "-E", importPkgs(pin, false)+" // { }", "-A", "marker").Output()
	if err != nil {
		t.Fatalf("evaluating %s: %v", importPkgs(pin, false), err)
	}
	if strings.Trim(strings.TrimSpace(string(out)), `"`) != marker || !strings.HasPrefix(dir, "/nix/store/") {
		t.Errorf("the pin evaluates to %s from %s", out, dir)
	}

	// A wrong hash is Nix's to refuse.
	bad := &resolve.NixpkgsPin{URL: url, Hash: "sha256-" + base64.StdEncoding.EncodeToString(make([]byte, 32))}
	if _, err := RealisePin(context.Background(), bad); !errors.Is(err, ErrBadPin) {
		t.Errorf("a wrong hash: %v, want ErrBadPin", err)
	}
}

func TestParsePinRejects(t *testing.T) {
	noNix := t.TempDir()
	for _, c := range []struct{ value, hash string }{
		{noNix, ""},            // no default.nix
		{noNix, "sha256-AAAA"}, // a hash for a directory
		{"https://example.org/x.tar.gz", "0123abc"}, // not SRI
	} {
		if _, err := ParsePin(context.Background(), c.value, c.hash); !errors.Is(err, ErrBadPin) {
			t.Errorf("%q %q: %v, want ErrBadPin", c.value, c.hash, err)
		}
	}
}

func writeTarGz(t *testing.T, path, dir string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := gzip.NewWriter(f)
	tw := tar.NewWriter(zw)
	base := filepath.Dir(dir)
	err = filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(base, p)
		h, err := tar.FileInfoHeader(fi, "")
		if err != nil {
			return err
		}
		h.Name = rel
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			_, err = tw.Write(data)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}
