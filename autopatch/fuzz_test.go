package autopatch

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/machnix/machnix/testfixtures"
)

// elfSeeds are real ELF files from the host, small enough for a corpus.
func elfSeeds(f *testing.F) [][]byte {
	var out [][]byte
	for _, p := range []string{"/bin/true", "/usr/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/aarch64-linux-gnu/libz.so.1"} {
		if data, err := os.ReadFile(p); err == nil && len(data) < 1<<20 {
			out = append(out, data)
		}
	}
	out = append(out, append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 57)...))
	return out
}

func FuzzInspectELF(f *testing.F) {
	for _, s := range elfSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// A panic fails the fuzz by itself: the reader recovers from none.
		if _, err := inspectELFDynamic(bytes.NewReader(data), "mod.so"); err != nil && !errors.Is(err, ErrBadELF) {
			t.Fatalf("error %v does not wrap ErrBadELF", err)
		}
		info, err := inspectELF(bytes.NewReader(data), "mod.cpython-311-x86_64-linux-gnu.so")
		if err != nil {
			if !errors.Is(err, ErrBadELF) {
				t.Fatalf("error %v does not wrap ErrBadELF", err)
			}
			return
		}
		_ = highestVersions(info.versionNeeds)
	})
}

func FuzzReadWheel(f *testing.F) {
	dir := f.TempDir()
	files := []testfixtures.File{{Path: "m/__init__.py", Data: []byte("x = 1\n")}}
	for _, s := range elfSeeds(f) {
		files = append(files, testfixtures.File{Path: "m/lib.so", Data: s})
		break
	}
	p, err := testfixtures.WriteWheel(dir, testfixtures.Wheel{Name: "m", Version: "1.0", Files: files})
	if err != nil {
		f.Fatal(err)
	}
	seed, _ := os.ReadFile(p)
	f.Add(seed)
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "m-1.0-py3-none-any.whl") // the seed's project
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, verify := range []bool{true, false} {
			w, err := wheelReader{maxUnpacked: 64 << 20, verify: verify}.readWheel(p)
			if err != nil {
				if !strings.Contains(err.Error(), p) {
					t.Fatalf("error does not name the file: %v", err)
				}
				continue
			}
			if w.Name == "" {
				t.Fatal("a wheel without a name was accepted")
			}
		}
	})
}
