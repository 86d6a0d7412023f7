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
	"os"
	"path/filepath"

	"github.com/machnix/machnix/testfixtures/native"
)

func main() {
	sizeMiB := flag.Int64("size", 1100, "stop once the wheels' compressed total reaches this many MiB")
	soMiB := flag.Int("so", 48, "size of each library's .rodata blob in MiB")
	tailPct := flag.Int("tail", 0, "size of the unloaded section after .dynamic, in percent of the .rodata blob")
	variants := flag.Int("variants", 0, "also write this many further versions of bench0 (1.1, 1.2, ...), each with other bytes, for benchmarks that change one pin")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: gen [-size MiB] [-so MiB] [-tail PERCENT] DIR")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *sizeMiB<<20, *soMiB<<20, (*soMiB<<20)*(*tailPct)/100, *variants); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(dir string, target int64, soSize, tailSize, variants int) error {
	src, err := os.MkdirTemp("", "machnix-bench-src-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(src)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// libWheel writes benchI at version with a fresh library from seed.
	libWheel := func(i int, version string, seed uint64) (int64, error) {
		lib, err := native.LargeLib(src, fmt.Sprintf("bench%d", i), native.LargeLibOptions{Rodata: soSize, Tail: tailSize, Seed: seed})
		if err != nil {
			return 0, err
		}
		so, err := os.ReadFile(lib)
		if err != nil {
			return 0, err
		}
		os.Remove(lib)
		return writeWheel(dir, i, version, so)
	}
	var total int64
	for i := 0; total < target; i++ {
		n, err := libWheel(i, "1.0", uint64(i))
		if err != nil {
			return err
		}
		total += n
	}
	for v := 1; v <= variants; v++ {
		if _, err := libWheel(0, fmt.Sprintf("1.%d", v), uint64(1000+v)); err != nil {
			return err
		}
	}
	fmt.Printf("wrote %.0f MiB of wheels to %s\n", float64(total)/(1<<20), dir)
	return nil
}

// writeWheel writes one wheel with a consistent RECORD and returns its size.
func writeWheel(dir string, i int, version string, so []byte) (int64, error) {
	name := fmt.Sprintf("bench%d", i)
	distInfo := name + "-" + version + ".dist-info"
	files := []struct {
		path string
		data []byte
	}{
		{name + "/__init__.py", []byte("# _native is a large library with no module init: it is loaded only by the benchmarks.\n")},
		{name + "/_native.cpython-311-x86_64-linux-gnu.so", so},
		{distInfo + "/METADATA", []byte("Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\n")},
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

	path := filepath.Join(dir, name+"-"+version+"-cp311-cp311-linux_x86_64.whl")
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
