package testfixtures

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// LieAboutSizes rewrites the wheel at file so that each entry named in
// claims declares that uncompressed size, in its local header and in the
// central directory, while its compressed bytes and CRC stay as they were:
// the input of a reader that trusts zip headers. It returns the new file,
// in a temporary directory of t, and fails t if an entry named in claims
// is not in the wheel.
func LieAboutSizes(t testing.TB, file string, claims map[string]uint64) string {
	t.Helper()
	zr, err := zip.OpenReader(file)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	found := 0
	for _, f := range zr.File {
		fh := f.FileHeader
		fh.Flags &^= 0x8 // sizes in the local header, no data descriptor
		if n, ok := claims[f.Name]; ok {
			fh.UncompressedSize64 = n
			found++
		}
		raw, err := f.OpenRaw()
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.CreateRaw(&fh)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, raw); err != nil {
			t.Fatal(err)
		}
	}
	if found != len(claims) {
		t.Fatalf("%s lacks some of the entries %v", file, claims)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), filepath.Base(file))
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}
