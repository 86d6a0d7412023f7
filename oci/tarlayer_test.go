package oci

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func TestWriteLayerDeterministicAndDigests(t *testing.T) {
	dir := t.TempDir()
	sp := filepath.Join(dir, "abc-pkg")
	os.MkdirAll(filepath.Join(sp, "bin"), 0o755)
	os.WriteFile(filepath.Join(sp, "bin", "x"), []byte("hello"), 0o755)
	os.Symlink("x", filepath.Join(sp, "bin", "y"))
	var a, b bytes.Buffer
	da, err := WriteLayer(&a, []string{sp}, Epoch)
	if err != nil {
		t.Fatal(err)
	}
	db, err := WriteLayer(&b, []string{sp}, Epoch)
	if err != nil {
		t.Fatal(err)
	}
	if da != db || !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two writes differ")
	}
	sum := sha256.Sum256(a.Bytes())
	if da.Digest != "sha256:"+hex.EncodeToString(sum[:]) || da.Size != int64(a.Len()) {
		t.Fatalf("digest/size mismatch: %+v", da)
	}
	zr, err := gzip.NewReader(&a)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(zr)
	rs := sha256.Sum256(raw)
	if da.DiffID != "sha256:"+hex.EncodeToString(rs[:]) {
		t.Fatalf("diffID mismatch: %+v", da)
	}
	tr := tar.NewReader(bytes.NewReader(raw))
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !h.ModTime.Equal(Epoch) || h.Uid != 0 || h.Gid != 0 {
			t.Fatalf("entry %s not normalised: %v %d %d", h.Name, h.ModTime, h.Uid, h.Gid)
		}
		if h.Name == strings.TrimPrefix(filepath.Join(sp, "bin", "y"), "/") && (h.Typeflag != tar.TypeSymlink || h.Linkname != "x") {
			t.Fatalf("symlink not kept: %+v", h)
		}
		names = append(names, h.Name)
	}
	if len(names) < 3 || names[0] != "nix/" || names[1] != "nix/store/" || !sort.StringsAreSorted(names[2:]) {
		t.Fatalf("entry order: %v", names)
	}
}
