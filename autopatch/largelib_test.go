package autopatch

import (
	"archive/zip"
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/native"
)

// TestLargeLibraryReadNearItsEnd: without RECORD verification, a library
// whose .dynamic follows 12 MiB of .rodata is read by entering its deflate
// stream near .dynamic instead of inflating up to it. The report must match
// debug/elf's on the whole file, and reading the library must inflate less
// than a quarter of it; inflating up to .dynamic is nearly all of it. The
// layouts are GNU ld's two: code in a segment of its own, and (as older
// binutils and aarch64 wheels have it) one first segment holding the
// dynamic tables, .text and .rodata, which must then be read in part.
func TestLargeLibraryReadNearItsEnd(t *testing.T) {
	testfixtures.RequireTool(t, "gcc", "g++")
	dir := t.TempDir()
	for _, c := range []struct {
		tail, exports int
		layout        string
	}{{0, 0, "-Wl,-z,separate-code"}, {1 << 20, 0, "-Wl,-z,separate-code"}, {1 << 20, 6000, "-Wl,-z,noseparate-code"}} {
		tail := c.tail
		lib, err := native.LargeLib(dir, "big", native.LargeLibOptions{Rodata: 12 << 20, Tail: tail, Exports: c.exports,
			Seed: 1, LDFlags: []string{c.layout}})
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(lib)
		if err != nil {
			t.Fatal(err)
		}
		whl, err := testfixtures.WriteWheel(t.TempDir(), testfixtures.Wheel{Name: "big", Version: "1.0",
			Tags:  []string{"cp311-cp311-linux_x86_64"},
			Files: []testfixtures.File{{Path: "big.cpython-311-x86_64-linux-gnu.so", Data: data}}})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		full, err := Inspect(ctx, []string{whl}, WithNixLocate(false))
		if err != nil {
			t.Fatal(err)
		}
		lazy, err := Inspect(ctx, []string{whl}, WithNixLocate(false), WithVerifyRecord(false))
		if err != nil {
			t.Fatalf("tail %d: %v", tail, err)
		}
		a, _ := json.Marshal(full)
		b, _ := json.Marshal(lazy)
		if string(a) != string(b) {
			t.Errorf("tail %d: reading near the end disagrees with debug/elf:\nfull %s\nlazy %s", tail, a, b)
		}
		zr, err := zip.OpenReader(whl)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range zr.File {
			if strings.HasSuffix(f.Name, ".so") {
				budget := &unpackBudget{left: 1 << 40}
				if _, isELF, err := inspectEntryLazily(f, budget); err != nil || !isELF {
					t.Fatalf("tail %d: %v", tail, err)
				}
				if inflated := 1<<40 - budget.left; inflated > int64(len(data)/4) {
					t.Errorf("tail %d, %s: inflated %d bytes of a %d-byte library", tail, c.layout, inflated, len(data))
				}
			}
		}
		zr.Close()
		if len(full.Wheels) != 1 || len(full.Wheels[0].ELFs) != 1 || len(full.Wheels[0].ELFs[0].Needed) == 0 {
			t.Fatalf("tail %d: the library's needs were not read: %s", tail, a)
		}
	}
}

// shiftedBytes serves a file's bytes displaced by delta, as a wrongly
// placed decoded tail would.
type shiftedBytes struct {
	data  []byte
	delta int64
}

func (s shiftedBytes) Bytes(off, n int64) ([]byte, bool) {
	off += s.delta
	if off < 0 || off+n > int64(len(s.data)) {
		return nil, false
	}
	return s.data[off : off+n], true
}

// TestSectionCheckCatchesMisplacement: isSectionOf accepts the dynamic
// section's range only when the bytes sit at their true offsets.
func TestSectionCheckCatchesMisplacement(t *testing.T) {
	testfixtures.RequireTool(t, "gcc", "g++")
	lib, err := native.LargeLib(t.TempDir(), "small", native.LargeLibOptions{Rodata: 64 << 10, Tail: 4 << 10, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(lib)
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	dyn := f.Section(".dynamic")
	if dyn == nil {
		t.Fatal("no .dynamic")
	}
	off, size := int64(dyn.Offset), int64(dyn.Size)
	if !isSectionOf(data[:64], shiftedBytes{data, 0}, off, size) {
		t.Fatal("the true placement was refused")
	}
	for _, delta := range []int64{-4096, -64, -40, -16, -8, -1, 1, 8, 16, 40, 64, 4096} {
		if isSectionOf(data[:64], shiftedBytes{data, delta}, off, size) {
			t.Errorf("bytes displaced by %d were accepted", delta)
		}
	}
	if isSectionOf(data[:64], shiftedBytes{data, 0}, off+16, size) {
		t.Error("a range that is no section was accepted")
	}
}
