package autopatch

import (
	"archive/zip"
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/machnix/machnix/testfixtures"
)

// allocatedBy returns the error of fn and the bytes it allocated.
func allocatedBy(fn func() error) (error, uint64) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	err := fn()
	runtime.ReadMemStats(&after)
	return err, after.TotalAlloc - before.TotalAlloc
}

// Bounded allocation: the inputs are a few KiB, so anything near this is
// memory sized from a header rather than from what was read.
const lyingAllocBound = 64 << 20

func TestLyingSizes(t *testing.T) {
	w := testfixtures.Wheel{Name: "liar", Version: "1.0", Files: []testfixtures.File{
		{Path: "liar/__init__.py", Data: []byte("x = 1\n")},
		{Path: "liar/data.bin", Data: bytes.Repeat([]byte("data"), 64)},
	}}
	good := writeWheel(t, w)
	meta := w.DistInfo() + "/METADATA"
	const huge = 15 << 30 // under the 16 GiB unpack budget
	for _, tc := range []struct {
		name   string
		claims map[string]uint64
		want   error
		naming string // what the error must name besides the file
		// Without verification RECORD is not read and entries other than
		// ELF files are not inflated: those lies go unnoticed, and cost
		// nothing.
		verifyOnly bool
	}{
		{"METADATA claims 15 GiB", map[string]uint64{meta: huge}, ErrTooLarge, meta, false},
		{"WHEEL claims 15 GiB", map[string]uint64{w.DistInfo() + "/WHEEL": huge}, ErrTooLarge, w.DistInfo() + "/WHEEL", false},
		{"RECORD claims 15 GiB", map[string]uint64{w.DistInfo() + "/RECORD": huge}, ErrTooLarge, w.DistInfo() + "/RECORD", true},
		{"a data entry claims 15 GiB", map[string]uint64{"liar/data.bin": huge}, ErrNotWheel, "liar/data.bin", true},
		// Declared sizes that add up past 2^64 must not wrap around the
		// up-front check.
		{"declared sizes overflow", map[string]uint64{"liar/__init__.py": 1 << 63, "liar/data.bin": 1 << 63}, ErrTooLarge, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := testfixtures.LieAboutSizes(t, good, tc.claims)
			for _, verify := range []bool{true, false} {
				err, alloc := allocatedBy(func() error {
					_, err := Inspect(context.Background(), []string{p}, WithNixLocate(false), WithVerifyRecord(verify))
					return err
				})
				if alloc > lyingAllocBound {
					t.Errorf("verify=%v: allocated %d MiB for a %d-byte wheel", verify, alloc>>20, fileSize(t, p))
				}
				if !verify && tc.verifyOnly {
					continue
				}
				if !errors.Is(err, tc.want) {
					t.Fatalf("verify=%v: error %v, want %v", verify, err, tc.want)
				}
				if !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), tc.naming) {
					t.Errorf("verify=%v: error %q does not name the file and %q", verify, err, tc.naming)
				}
			}
		})
	}
}

// TestEntriesInflatingBig: an entry that inflates to more than its header
// claims is stopped as it is read, and a metadata file honestly declaring
// far more than any real one is refused before it is read.
func TestEntriesInflatingBig(t *testing.T) {
	big := make([]byte, 256<<20) // deflates to about 256 KiB
	w := testfixtures.Wheel{Name: "bloat", Version: "1.0", Files: []testfixtures.File{{Path: "bloat/zeros", Data: big}}}
	meta := w.DistInfo() + "/METADATA"
	for _, tc := range []struct {
		name, naming string
		file         func() string
		lazyErrs     bool // without verification a non-ELF data entry is never inflated
	}{
		{"data entry claims 100 bytes", "bloat/zeros", func() string {
			return testfixtures.LieAboutSizes(t, writeWheel(t, w), map[string]uint64{"bloat/zeros": 100})
		}, false},
		{"METADATA claims 100 bytes", meta, func() string {
			return testfixtures.LieAboutSizes(t, bloatedMetadata(t, w, big), map[string]uint64{meta: 100})
		}, true},
		{"METADATA of 256 MiB", meta, func() string { return bloatedMetadata(t, w, big) }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.file()
			for _, verify := range []bool{true, false} {
				err, alloc := allocatedBy(func() error {
					_, err := Inspect(context.Background(), []string{p}, WithNixLocate(false), WithVerifyRecord(verify))
					return err
				})
				if alloc > lyingAllocBound {
					t.Errorf("verify=%v: allocated %d MiB", verify, alloc>>20)
				}
				if !verify && !tc.lazyErrs {
					continue
				}
				if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), tc.naming) {
					t.Fatalf("verify=%v: error %v, want one naming %s and %s", verify, err, p, tc.naming)
				}
				if !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrNotWheel) {
					t.Errorf("verify=%v: error %v wraps neither ErrTooLarge nor ErrNotWheel", verify, err)
				}
			}
		})
	}
}

// bloatedMetadata writes a wheel whose METADATA is valid headers followed by
// body bytes, honestly declared.
func bloatedMetadata(t *testing.T, w testfixtures.Wheel, body []byte) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range map[string][]byte{
		w.DistInfo() + "/WHEEL":    []byte("Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"),
		w.DistInfo() + "/METADATA": append(append([]byte(nil), w.Metadata()...), body...),
	} {
		f, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		f.Write(data)
	}
	zw.Close()
	p := filepath.Join(t.TempDir(), w.Filename())
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func fileSize(t testing.TB, p string) int64 {
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// tinyELF64 is an ELF64 header with one program header: PT_DYNAMIC at off,
// filesz bytes long, and no PT_LOAD.
func tinyELF64(off, filesz uint64) []byte {
	b := make([]byte, 64+56)
	copy(b, "\x7fELF\x02\x01\x01")
	le := binary.LittleEndian
	le.PutUint16(b[0x10:], uint16(elf.ET_DYN))
	le.PutUint16(b[0x12:], uint16(elf.EM_X86_64))
	le.PutUint32(b[0x14:], 1)
	le.PutUint64(b[0x20:], 64) // e_phoff
	le.PutUint16(b[0x34:], 64) // e_ehsize
	le.PutUint16(b[0x36:], 56) // e_phentsize
	le.PutUint16(b[0x38:], 1)  // e_phnum
	ph := b[64:]
	le.PutUint32(ph[0:], uint32(elf.PT_DYNAMIC))
	le.PutUint64(ph[8:], off)
	le.PutUint64(ph[32:], filesz)
	return b
}

// TestLazyReaderGrowsWithWhatIsRead: an ELF offset far past the end of an
// entry must not size the lazy reader's buffer.
func TestLazyReaderGrowsWithWhatIsRead(t *testing.T) {
	// Longer than the reader's first read, so the far read finds the
	// stream still open.
	data := append(tinyELF64(2<<30, 16), make([]byte, 1<<20)...)
	p := writeWheel(t, testfixtures.Wheel{Name: "far", Version: "1.0", Files: []testfixtures.File{
		{Path: "far/x.so", Data: data},
	}})
	err, alloc := allocatedBy(func() error {
		_, err := Inspect(context.Background(), []string{p}, WithNixLocate(false), WithVerifyRecord(false))
		return err
	})
	if !errors.Is(err, ErrBadELF) || !strings.Contains(err.Error(), "far/x.so") {
		t.Errorf("error %v, want %v naming far/x.so", err, ErrBadELF)
	}
	if alloc > lyingAllocBound {
		t.Errorf("allocated %d MiB for a %d-byte wheel", alloc>>20, fileSize(t, p))
	}
}

// terminalControl returns the first character of s a terminal may act on:
// a control (C0, DEL, C1), a format character (bidi overrides among them),
// or a byte that is not UTF-8. Newlines are allowed when lines is set.
func terminalControl(s string, lines bool) (string, bool) {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s[i:]); n == 1 {
				return s[i : i+1], true
			}
		}
		if lines && r == '\n' {
			continue
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return string(r), true
		}
	}
	return "", false
}

// TestErrorsEscapeNames: entry, directory and file names reach error
// messages, which are printed to a terminal; none may carry a control.
func TestErrorsEscapeNames(t *testing.T) {
	const esc = "\x1b[2J\x1b]0;owned\x07"
	badELF := append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 40)...)
	named := func(name string, files ...testfixtures.File) func(t *testing.T) string {
		return func(t *testing.T) string {
			p, err := testfixtures.WriteWheel(filepath.Join(t.TempDir()), testfixtures.Wheel{Name: name, Version: "1.0", Files: files})
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
	}
	for _, tc := range []struct {
		name   string
		file   func(t *testing.T) string
		want   error
		plain  string // printable part of the hostile name the error must still show
		verify bool
	}{
		{"ELF entry", named("e", testfixtures.File{Path: "e/" + esc + "evil.so", Data: badELF}), ErrBadELF, "evil.so", true},
		{"ELF entry, lazily", named("e", testfixtures.File{Path: "e/\u202eevil.so", Data: badELF}), ErrBadELF, "evil.so", false},
		{"entry missing from RECORD", func(t *testing.T) string {
			good := named("r", testfixtures.File{Path: "r/__init__.py", Data: []byte("x")})(t)
			return addEntry(t, good, "r/"+esc+"unlisted.py", []byte("x"))
		}, ErrRecordMismatch, "unlisted.py", true},
		{"dist-info directory", func(t *testing.T) string {
			return rawZip(t, map[string][]byte{"x-1.0" + esc + ".dist-info/WHEEL": []byte("not: [a header\n\x00"), "x-1.0" + esc + ".dist-info/METADATA": []byte("Name: x\nVersion: 1.0\n")})
		}, ErrNotWheel, "dist-info", true},
		{"file name", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "w"+esc+"-1.0-py3-none-any.whl")
			if err := os.WriteFile(p, []byte("not a zip"), 0o644); err != nil {
				t.Fatal(err)
			}
			return p
		}, ErrNotWheel, "-1.0-py3-none-any.whl", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.file(t)
			_, err := Inspect(context.Background(), []string{p}, WithNixLocate(false), WithVerifyRecord(tc.verify))
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if c, ok := terminalControl(err.Error(), false); ok {
				t.Errorf("error %q carries %q raw", err, c)
			}
			if !strings.Contains(err.Error(), tc.plain) {
				t.Errorf("error %q no longer shows %q", err, tc.plain)
			}
		})
	}
}

// addEntry copies the zip at file with one more entry, left out of RECORD.
func addEntry(t *testing.T, file, name string, data []byte) string {
	t.Helper()
	zr, err := zip.OpenReader(file)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	entries := map[string][]byte{name: data}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		entries[f.Name] = b
	}
	return rawZipNamed(t, filepath.Base(file), entries)
}

// TestELFSizesFollowTheBytes: sizes in an ELF's own headers (here the
// dynamic string table's) may lie too; reading them costs what the file
// holds, in both modes.
func TestELFSizesFollowTheBytes(t *testing.T) {
	good := gccSharedObject(t)
	data := append([]byte(nil), good...)
	setDyn(t, data, layoutOf(t, data), elf.DT_STRSZ, 0, 60<<20)
	for _, verify := range []bool{true, false} {
		err, alloc := allocatedBy(func() error {
			_, err := modeVerdict(t, data, verify)
			return err
		})
		if !errors.Is(err, ErrBadELF) {
			t.Errorf("verify=%v: error %v, want %v", verify, err, ErrBadELF)
		}
		if limit := uint64(16 << 20); alloc > limit {
			t.Errorf("verify=%v: allocated %d MiB for a %d KiB object", verify, alloc>>20, len(data)>>10)
		}
	}
}
