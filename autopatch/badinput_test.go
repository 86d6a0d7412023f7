package autopatch

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/machnix/machnix/testfixtures"
)

func writeWheel(t *testing.T, w testfixtures.Wheel) string {
	t.Helper()
	p, err := testfixtures.WriteWheel(t.TempDir(), w)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// rawZip writes a zip with the given entries and no RECORD bookkeeping,
// named as a wheel of project x.
func rawZip(t *testing.T, entries map[string][]byte) string {
	t.Helper()
	return rawZipNamed(t, "x-1.0-py3-none-any.whl", entries)
}

// rawZipNamed is rawZip under the file name filename.
func rawZipNamed(t *testing.T, filename string, entries map[string][]byte) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range entries {
		f, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		f.Write(data)
	}
	zw.Close()
	p := filepath.Join(t.TempDir(), filename)
	os.WriteFile(p, buf.Bytes(), 0o644)
	return p
}

func expectErr(t *testing.T, file string, want error, opts ...Option) {
	t.Helper()
	_, err := Inspect(context.Background(), []string{file}, append([]Option{WithNixLocate(false)}, opts...)...)
	if !errors.Is(err, want) {
		t.Fatalf("error %v, want %v", err, want)
	}
	if !strings.Contains(err.Error(), file) {
		t.Errorf("error %q does not name the file", err)
	}
}

func TestBadInput(t *testing.T) {
	good := writeWheel(t, testfixtures.Wheel{Name: "good", Version: "1.0", Files: []testfixtures.File{{Path: "good/__init__.py", Data: []byte("x = 1\n")}}})
	data, _ := os.ReadFile(good)

	t.Run("not a zip", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "a-1.0-py3-none-any.whl")
		os.WriteFile(p, []byte("this is not a zip"), 0o644)
		expectErr(t, p, ErrNotWheel)
	})
	t.Run("truncated", func(t *testing.T) {
		for _, n := range []int{len(data) / 2, len(data) - 10, 30} {
			p := filepath.Join(t.TempDir(), "a-1.0-py3-none-any.whl")
			os.WriteFile(p, data[:n], 0o644)
			expectErr(t, p, ErrNotWheel)
		}
	})
	t.Run("dotdot", func(t *testing.T) {
		expectErr(t, rawZip(t, map[string][]byte{"../evil.py": []byte("x")}), ErrUnsafePath)
	})
	t.Run("absolute", func(t *testing.T) {
		expectErr(t, rawZip(t, map[string][]byte{"/etc/evil": []byte("x")}), ErrUnsafePath)
	})
	t.Run("zip bomb", func(t *testing.T) {
		p := writeWheel(t, testfixtures.Wheel{Name: "bomb", Version: "1.0", Files: []testfixtures.File{{Path: "bomb/zeros", Data: make([]byte, 4<<20)}}})
		expectErr(t, p, ErrTooLarge, WithMaxUnpacked(1<<20))
	})
	t.Run("record mismatch", func(t *testing.T) {
		// Rewrite one entry's bytes after RECORD was computed.
		zr, _ := zip.OpenReader(good)
		defer zr.Close()
		entries := map[string][]byte{}
		for _, f := range zr.File {
			rc, _ := f.Open()
			var b bytes.Buffer
			b.ReadFrom(rc)
			rc.Close()
			entries[f.Name] = b.Bytes()
		}
		entries["good/__init__.py"] = []byte("x = 2\n")
		p := rawZipNamed(t, filepath.Base(good), entries)
		expectErr(t, p, ErrRecordMismatch)
		if _, err := Inspect(context.Background(), []string{p}, WithVerifyRecord(false)); err != nil {
			t.Errorf("without verification: %v", err)
		}
		delete(entries, "good/__init__.py")
		entries["good/extra.py"] = []byte("unlisted")
		expectErr(t, rawZipNamed(t, filepath.Base(good), entries), ErrRecordMismatch)
	})
	t.Run("malformed ELF", func(t *testing.T) {
		elf := append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 40)...)
		p := writeWheel(t, testfixtures.Wheel{Name: "badelf", Version: "1.0", Files: []testfixtures.File{{Path: "badelf/x.so", Data: elf}}})
		expectErr(t, p, ErrBadELF)
	})
	t.Run("no dist-info", func(t *testing.T) {
		expectErr(t, rawZip(t, map[string][]byte{"x.py": []byte("x")}), ErrNotWheel)
	})
}

func TestTopLevelModules(t *testing.T) {
	got := topLevelModules(&Wheel{Entries: []string{
		"pkg/__init__.py", "pkg/sub/mod.py", "mod.py", "ext.cpython-311-x86_64-linux-gnu.so",
		"pkg-1.0.dist-info/RECORD", "pkg.libs/libx.so", ".libs/liby.so", "pkg-1.0.data/scripts/tool",
		"pkg-1.0.data/platlib/plat/__init__.py", "ns/part/a.py", "README",
	}}, nil)
	if want := []string{"ext", "mod", "ns", "pkg", "plat"}; !equal(got, want) {
		t.Errorf("modules %v, want %v", got, want)
	}
}

func TestTable(t *testing.T) {
	table := Table()
	// The manylinux_2_41 whitelist must all be covered.
	for _, p := range manylinuxPolicies {
		if p.name != "manylinux_2_41" {
			continue
		}
		for _, so := range p.whitelist {
			if _, ok := table[so]; !ok {
				t.Errorf("whitelisted %s has no row", so)
			}
		}
	}
	for so, row := range table {
		if row.Source == "" || row.Provider == "" {
			t.Errorf("%s: row without provider or source", so)
		}
	}
	// nixpkgs' libjpeg is libjpeg-turbo with the jpeg62 ABI: mapping
	// libjpeg.so.8 to it (as an unchecked row once did) makes autoPatchelf
	// fail at build time, where "missing" says so at diagnose time.
	if row, ok := table["libjpeg.so.8"]; ok {
		t.Errorf("libjpeg.so.8 maps to %s, which does not provide it", row.Provider)
	}
	if row := table["libjpeg.so.62"]; row.Provider != "libjpeg" {
		t.Errorf("libjpeg.so.62 maps to %q, want libjpeg", row.Provider)
	}
	// Rows that once named an attribute shipping another soname version.
	// libffi is 3.4 (libffi.so.8); libxml2 is 2.14, whose soname moved to
	// libxml2.so.16; krb5 builds its own com_err as libcom_err.so.3, and the
	// .so.2 one is e2fsprogs'.
	for so, want := range map[string]string{
		"libffi.so.8":     "libffi",
		"libffi.so.7":     "libffi_3_3 or libffi",
		"libxml2.so.16":   "libxml2",
		"libxml2.so.2":    "libxml2_13 or libxml2",
		"libcom_err.so.2": "e2fsprogs",
	} {
		if row := table[so]; row.Provider != want {
			t.Errorf("%s maps to %q, want %s", so, row.Provider, want)
		}
	}
	// No nixpkgs attribute ships these: libxcrypt is built with the glibc
	// compatibility API (libcrypt.so.1 only), and libtiff is 4.7
	// (libtiff.so.6; .so.5 ended with 4.4).
	for _, so := range []string{"libcrypt.so.2", "libtiff.so.5"} {
		if row, ok := table[so]; ok {
			t.Errorf("%s maps to %s, which does not provide it", so, row.Provider)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	if compareVersions("2.3.4", "2.14") >= 0 || compareVersions("3.4.22", "3.4.9") <= 0 || compareVersions("2.17", "2.17.0") != 0 {
		t.Error("versions must compare numerically")
	}
}
