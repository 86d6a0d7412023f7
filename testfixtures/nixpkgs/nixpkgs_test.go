package nixpkgs

import (
	"debug/elf"
	"hash/crc32"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The fixture python must load nothing from outside the store: every ELF
// file's interpreter and RUNPATH point into its own output.
func TestPythonIsSelfContained(t *testing.T) {
	py := Build(t, "python3")
	elfs := 0
	err := filepath.WalkDir(py, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		f, err := elf.Open(p)
		if err != nil {
			return nil // not an ELF file
		}
		defer f.Close()
		elfs++
		// A shared library's PT_INTERP (libc.so.6 has one, to run as a
		// program) is never used when it is loaded, so only programs count.
		sonames, _ := f.DynString(elf.DT_SONAME)
		for _, prog := range f.Progs {
			if prog.Type == elf.PT_INTERP && len(sonames) == 0 {
				b := make([]byte, prog.Filesz)
				if _, err := prog.ReadAt(b, 0); err != nil {
					return err
				}
				if interp := strings.TrimRight(string(b), "\x00"); !strings.HasPrefix(interp, py+"/") {
					t.Errorf("%s: interpreter %s is outside %s", p, interp, py)
				}
			}
		}
		for _, tag := range []elf.DynTag{elf.DT_RUNPATH, elf.DT_RPATH} {
			vals, _ := f.DynString(tag)
			for _, v := range vals {
				for _, dir := range strings.Split(v, ":") {
					if !strings.HasPrefix(dir, py+"/") {
						t.Errorf("%s: %v %s is outside %s", p, tag, dir, py)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if elfs < 10 {
		t.Fatalf("only %d ELF files in %s: the interpreter, its libraries and lib-dynload are expected", elfs, py)
	}
}

// Under env -i, the interpreter finds its standard library and the native
// modules that need libz, libssl and libsqlite3 from its own output.
func TestPythonRunsWithEmptyEnvironment(t *testing.T) {
	py := Build(t, "python3")
	const input = "machnix fixture"
	cmd := exec.Command("env", "-i", py+"/bin/python3", "-c",
		"import sys, zlib, ssl, sqlite3; print(sys.prefix); print(zlib.crc32(sys.argv[1].encode()))", input)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 || lines[0] != py {
		t.Fatalf("output %q: want sys.prefix %s first", out, py)
	}
	if got, want := lines[1], strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(input))), 10); got != want {
		t.Errorf("zlib.crc32 printed %s, Go's crc32 says %s", got, want)
	}
	if _, err := os.Stat(filepath.Join(py, "lib", "python3.11", "test")); err == nil {
		t.Error("the standard library's test suite should be left out")
	}
}
