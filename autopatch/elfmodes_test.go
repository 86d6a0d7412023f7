package autopatch

import (
	"archive/zip"
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/machnix/machnix/testfixtures"
)

// gccSharedObject compiles a small shared object that needs libz, has a
// soname and a RUNPATH: every dynamic fact the readers report.
func gccSharedObject(t testing.TB) []byte {
	t.Helper()
	testfixtures.RequireTool(t, "gcc")
	dir := t.TempDir()
	src := "#include <zlib.h>\nunsigned long crc(const char *s) { return crc32(0, (const unsigned char *)s, 1); }\nint PyInit_mod(void) { return 0; }\n"
	if err := os.WriteFile(filepath.Join(dir, "mod.c"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("gcc", "-shared", "-fPIC", "-O2", "-o", "mod.so", "mod.c", "-lz",
		"-Wl,-soname,libmod.so.1", "-Wl,--enable-new-dtags,-rpath,$ORIGIN/mod.libs")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "mod.so"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// elfLayout is where a patch goes, found with debug/elf on the intact file.
type elfLayout struct {
	dynOff   uint64 // file offset of the dynamic section
	dynPhdr  uint64 // file offset of the PT_DYNAMIC program header
	shoff    uint64
	shnum    int
	strsz    uint64
	dynstrSh int // index of the .dynstr section header
}

func layoutOf(t testing.TB, data []byte) elfLayout {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Class != elf.ELFCLASS64 || f.ByteOrder != binary.LittleEndian {
		t.Skip("the patches are written for little-endian ELF64")
	}
	var l elfLayout
	for i, p := range f.Progs {
		if p.Type == elf.PT_DYNAMIC {
			l.dynOff, l.dynPhdr = p.Off, uint64(binary.LittleEndian.Uint64(data[0x20:]))+uint64(i)*56
		}
	}
	l.shoff, l.shnum = binary.LittleEndian.Uint64(data[0x28:]), int(binary.LittleEndian.Uint16(data[0x3c:]))
	for i, s := range f.Sections {
		if s.Name == ".dynstr" {
			l.dynstrSh = i
			l.strsz = s.Size
		}
	}
	if l.dynOff == 0 || l.dynstrSh == 0 {
		t.Fatal("the gcc-built object has no dynamic section")
	}
	return l
}

// setDyn sets the value of the n-th dynamic entry with tag.
func setDyn(t testing.TB, data []byte, l elfLayout, tag elf.DynTag, n int, val uint64) {
	t.Helper()
	for off := l.dynOff; off+16 <= uint64(len(data)); off += 16 {
		got := elf.DynTag(binary.LittleEndian.Uint64(data[off:]))
		if got == elf.DT_NULL {
			break
		}
		if got == tag {
			if n == 0 {
				binary.LittleEndian.PutUint64(data[off+8:], val)
				return
			}
			n--
		}
	}
	t.Fatalf("no %v entry to patch", tag)
}

// malformedELFs are targeted patches of a real shared object, each making
// one structure lie; name → patch.
func malformedELFs(t testing.TB, good []byte) map[string][]byte {
	l := layoutOf(t, good)
	le := binary.LittleEndian
	patch := func(fn func(b []byte)) []byte {
		b := append([]byte(nil), good...)
		fn(b)
		return b
	}
	sh := func(i int) uint64 { return l.shoff + uint64(i)*64 }
	return map[string][]byte{
		"DT_NEEDED outside the string table":  patch(func(b []byte) { setDyn(t, b, l, elf.DT_NEEDED, 0, l.strsz+100) }),
		"DT_SONAME outside the string table":  patch(func(b []byte) { setDyn(t, b, l, elf.DT_SONAME, 0, l.strsz+7) }),
		"DT_RUNPATH outside the string table": patch(func(b []byte) { setDyn(t, b, l, elf.DT_RUNPATH, 0, 1<<31) }),
		"huge DT_STRSZ":                       patch(func(b []byte) { setDyn(t, b, l, elf.DT_STRSZ, 0, 1<<40) }),
		"bogus DT_STRTAB":                     patch(func(b []byte) { setDyn(t, b, l, elf.DT_STRTAB, 0, 0xdead_beef_0000) }),
		"huge PT_DYNAMIC":                     patch(func(b []byte) { le.PutUint64(b[l.dynPhdr+32:], 1<<40) }),
		"negative section size":               patch(func(b []byte) { le.PutUint64(b[sh(l.dynstrSh)+0x20:], 1<<63|1<<20) }),
		"section past the end":                patch(func(b []byte) { le.PutUint64(b[sh(l.dynstrSh)+0x20:], 1<<40) }),
		"bad shstrndx":                        patch(func(b []byte) { le.PutUint16(b[0x3e:], uint16(l.shnum+5)) }),
		"32-bit class on a 64-bit body":       patch(func(b []byte) { b[elf.EI_CLASS] = byte(elf.ELFCLASS32) }),
		"program headers past the end":        patch(func(b []byte) { le.PutUint64(b[0x20:], uint64(len(b))+4096) }),
		"truncated":                           good[:len(good)/2],
	}
}

// modeVerdict inspects data as the only ELF file of a wheel, with RECORD
// verification (the default) or without (--no-verify).
func modeVerdict(t testing.TB, data []byte, verify bool) (*ELFReport, error) {
	t.Helper()
	p, err := testfixtures.WriteWheel(t.TempDir(), testfixtures.Wheel{Name: "m", Version: "1.0",
		Files: []testfixtures.File{{Path: "m/mod.so", Data: data}}})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Inspect(context.Background(), []string{p}, WithNixLocate(false), WithVerifyRecord(verify))
	if err != nil {
		if !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "m/mod.so") {
			t.Errorf("verify=%v: error %q does not name the wheel and the entry", verify, err)
		}
		return nil, err
	}
	if len(rep.Wheels[0].ELFs) != 1 {
		t.Fatalf("verify=%v: %d ELF files, want 1", verify, len(rep.Wheels[0].ELFs))
	}
	return &rep.Wheels[0].ELFs[0], nil
}

func TestELFModesAgree(t *testing.T) {
	good := gccSharedObject(t)
	// The intact object: both modes read it, and say the same.
	var reports [2]*ELFReport
	for i, verify := range []bool{true, false} {
		r, err := modeVerdict(t, good, verify)
		if err != nil {
			t.Fatalf("intact object, verify=%v: %v", verify, err)
		}
		reports[i] = r
	}
	if a, b := reports[0], reports[1]; !equal(a.Needed, b.Needed) || !equal(a.RunPath, b.RunPath) || a.Soname != b.Soname || a.PythonExtension != b.PythonExtension {
		t.Errorf("intact object: default mode %+v, --no-verify %+v", a, b)
	}
	for name, data := range malformedELFs(t, good) {
		t.Run(name, func(t *testing.T) {
			for _, verify := range []bool{true, false} {
				r, err := modeVerdict(t, data, verify)
				if !errors.Is(err, ErrBadELF) {
					t.Errorf("verify=%v: error %v (report %+v), want %v", verify, err, r, ErrBadELF)
				}
			}
		})
	}
}

// zipEntry returns data as the one entry of an in-memory zip, deflated.
func zipEntry(t testing.TB, data []byte) *zip.File {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("m/mod.so")
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	return zr.File[0]
}

// FuzzELFModesAgree feeds the same bytes to the reader of the default mode
// (the whole file in memory) and to that of --no-verify (inflating lazily
// from a zip entry), and fails when their verdicts differ, or their facts
// when both accept the file.
func FuzzELFModesAgree(f *testing.F) {
	good := gccSharedObject(f)
	f.Add(good)
	for _, data := range malformedELFs(f, good) {
		f.Add(data)
	}
	for _, s := range elfSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !isELF(data) {
			return // neither mode parses it
		}
		full, errFull := inspectELF(bytes.NewReader(data), "mod.so")
		lazy, isELFLazy, errLazy := inspectEntryLazily(zipEntry(t, data), &unpackBudget{left: 64 << 20})
		if !isELFLazy {
			t.Fatal("the lazy reader did not see the ELF magic")
		}
		if (errFull == nil) != (errLazy == nil) {
			t.Fatalf("verdicts differ: default mode %v, --no-verify %v", errFull, errLazy)
		}
		if errFull != nil {
			if !errors.Is(errFull, ErrBadELF) || !errors.Is(errLazy, ErrBadELF) {
				t.Fatalf("errors do not wrap ErrBadELF: %v / %v", errFull, errLazy)
			}
			return
		}
		if !equal(full.Needed, lazy.Needed) || !equal(full.RunPath, lazy.RunPath) || !equal(full.RPath, lazy.RPath) || full.Soname != lazy.Soname {
			t.Fatalf("facts differ: default mode %+v, --no-verify %+v", full, lazy)
		}
	})
}
