// Command gen writes a wheelhouse for the diagnose benchmark: wheels whose
// shared libraries are real gcc-linked ELF files with a large .rodata (via
// .incbin) of incompressible-ish data, laid out as GNU ld lays out real
// libraries, until the wheels' compressed total reaches -size MiB.
//
//	go run ./bench/diagnose/gen -size 1100 DIR
package main

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
)

func main() {
	sizeMiB := flag.Int64("size", 1100, "stop once the wheels' compressed total reaches this many MiB")
	soMiB := flag.Int("so", 48, "size of each library's .rodata blob in MiB")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: gen [-size MiB] [-so MiB] DIR")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *sizeMiB<<20, *soMiB<<20); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(dir string, target int64, soSize int) error {
	src, err := os.MkdirTemp("", "machnix-bench-src-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(src)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var total int64
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; total < target; i++ {
		so, err := buildLib(src, i, soSize, rng)
		if err != nil {
			return err
		}
		n, err := writeWheel(dir, i, so)
		if err != nil {
			return err
		}
		total += n
	}
	fmt.Printf("wrote %.0f MiB of wheels to %s\n", float64(total)/(1<<20), dir)
	return nil
}

// buildLib links a shared library needing zlib, libstdc++ and libm whose
// .rodata holds soSize bytes: random runs mixed with repetitive ones, so it
// compresses about as well as real machine code does.
func buildLib(src string, i, soSize int, rng *rand.Rand) ([]byte, error) {
	blob := make([]byte, soSize)
	for off := 0; off < len(blob); off += 4096 {
		end := min(off+4096, len(blob))
		if rng.IntN(4) == 0 {
			for j := off; j < end; j++ {
				blob[j] = byte(j % 61)
			}
			continue
		}
		for j := off; j < end; j += 8 {
			v := rng.Uint64()
			for k := 0; k < 8 && j+k < end; k++ {
				blob[j+k] = byte(v >> (8 * k))
			}
		}
	}
	if err := os.WriteFile(filepath.Join(src, "blob.bin"), blob, 0o644); err != nil {
		return nil, err
	}
	asm := ".section .rodata\n.globl bench_blob\nbench_blob:\n.incbin \"blob.bin\"\n.section .note.GNU-stack,\"\",@progbits\n"
	c := fmt.Sprintf(`#include <zlib.h>
#include <math.h>
extern const unsigned char bench_blob[];
unsigned long bench_crc%d(unsigned n) { return crc32(0, bench_blob, n) + (unsigned long)sqrt(n); }
void *PyInit_bench%d(void) { return 0; }
`, i, i)
	cpp := "#include <string>\nextern \"C\" unsigned long bench_len(const char *s) { return std::string(s).size(); }\n"
	for name, text := range map[string]string{"blob.S": asm, "lib.c": c, "str.cpp": cpp} {
		if err := os.WriteFile(filepath.Join(src, name), []byte(text), 0o644); err != nil {
			return nil, err
		}
	}
	out := fmt.Sprintf("bench%d.so", i)
	cmd := exec.Command("gcc", "-shared", "-fPIC", "-O1", "-o", out, "lib.c", "str.cpp", "blob.S", "-lz", "-lm", "-lstdc++")
	cmd.Dir = src
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("gcc: %v\n%s", err, msg)
	}
	return os.ReadFile(filepath.Join(src, out))
}

// writeWheel writes one wheel with a consistent RECORD and returns its size.
func writeWheel(dir string, i int, so []byte) (int64, error) {
	name := fmt.Sprintf("bench%d", i)
	distInfo := name + "-1.0.dist-info"
	files := []struct {
		path string
		data []byte
	}{
		{name + "/__init__.py", []byte("from ._native import *\n")},
		{name + "/_native.cpython-311-x86_64-linux-gnu.so", so},
		{distInfo + "/METADATA", []byte("Metadata-Version: 2.1\nName: " + name + "\nVersion: 1.0\n")},
		{distInfo + "/WHEEL", []byte("Wheel-Version: 1.0\nGenerator: machnix-bench\nRoot-Is-Purelib: false\nTag: cp311-cp311-linux_x86_64\n")},
	}
	var record bytes.Buffer
	for _, f := range files {
		sum := sha256.Sum256(f.data)
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", f.path, base64.RawURLEncoding.EncodeToString(sum[:]), len(f.data))
	}
	fmt.Fprintf(&record, "%s/RECORD,,\n", distInfo)
	files = append(files, struct {
		path string
		data []byte
	}{distInfo + "/RECORD", record.Bytes()})

	path := filepath.Join(dir, name+"-1.0-cp311-cp311-linux_x86_64.whl")
	tmp, err := os.CreateTemp(dir, ".gen-")
	if err != nil {
		return 0, err
	}
	zw := zip.NewWriter(tmp)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.DefaultCompression)
	})
	for _, f := range files {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: f.path, Method: zip.Deflate})
		if err != nil {
			return 0, err
		}
		if _, err := fw.Write(f.data); err != nil {
			return 0, err
		}
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	st, err := tmp.Stat()
	if err != nil {
		return 0, err
	}
	tmp.Close()
	return st.Size(), os.Rename(tmp.Name(), path)
}
