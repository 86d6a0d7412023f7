package main

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/machnix/machnix/testfixtures"
)

// withClaimedSize rewrites a wheel so that entry declares size bytes in its
// local header and the central directory; its bytes stay as they were.
func withClaimedSize(t *testing.T, file, entry string, size uint64) string {
	t.Helper()
	zr, err := zip.OpenReader(file)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	found := false
	for _, f := range zr.File {
		fh := f.FileHeader
		fh.Flags &^= 0x8
		if f.Name == entry {
			fh.UncompressedSize64, found = size, true
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
	if !found {
		t.Fatalf("%s has no entry %s", file, entry)
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

// TestDiagnoseLyingMetadataSize: a wheel of a few hundred bytes whose
// METADATA claims 15 GiB is refused as bad input, without the memory.
func TestDiagnoseLyingMetadataSize(t *testing.T) {
	w := testfixtures.Wheel{Name: "liar", Version: "1.0", Files: []testfixtures.File{{Path: "liar/__init__.py", Data: []byte("x = 1\n")}}}
	good, err := testfixtures.WriteWheel(t.TempDir(), w)
	if err != nil {
		t.Fatal(err)
	}
	meta := w.DistInfo() + "/METADATA"
	p := withClaimedSize(t, good, meta, 15<<30)
	for _, flags := range [][]string{{}, {"--no-verify"}, {"--json"}} {
		args := append(append([]string{"diagnose", "--nix-locate=false"}, flags...), p)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		code, out, stderr := runCLI(t, args...)
		runtime.ReadMemStats(&after)
		if code != exitBadInput {
			t.Errorf("%v: exit %d, want %d; stdout %q stderr %q", args, code, exitBadInput, out, stderr)
		}
		if !strings.Contains(stderr, p) || !strings.Contains(stderr, meta) {
			t.Errorf("%v: stderr %q does not name the wheel and %s", args, stderr, meta)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
			t.Errorf("%v: allocated %d MiB for a wheel of %d bytes", args, alloc>>20, len(mustRead(t, p)))
		}
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
