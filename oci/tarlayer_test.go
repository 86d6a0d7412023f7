package oci

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/machnix/machnix/testfixtures"
)

func TestWriteLayerDeterministicAndDigests(t *testing.T) {
	dir := t.TempDir()
	sp := filepath.Join(dir, "abc-pkg")
	os.MkdirAll(filepath.Join(sp, "bin"), 0o755)
	os.WriteFile(filepath.Join(sp, "bin", "x"), []byte("hello"), 0o755)
	os.Symlink("x", filepath.Join(sp, "bin", "y"))
	var a, b bytes.Buffer
	da, err := WriteLayer(&a, []string{sp}, WithMtime(Epoch))
	if err != nil {
		t.Fatal(err)
	}
	db, err := WriteLayer(&b, []string{sp}, WithMtime(Epoch))
	if err != nil {
		t.Fatal(err)
	}
	if da != db || !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two writes differ")
	}
	sum := sha256.Sum256(a.Bytes())
	if da.Digest != "sha256:"+hex.EncodeToString(sum[:]) || da.Size != int64(a.Len()) {
		t.Fatalf("digest/size mismatch: %+v", da)
	}
	zr, err := gzip.NewReader(&a)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(zr)
	rs := sha256.Sum256(raw)
	if da.DiffID != "sha256:"+hex.EncodeToString(rs[:]) {
		t.Fatalf("diffID mismatch: %+v", da)
	}
	tr := tar.NewReader(bytes.NewReader(raw))
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !h.ModTime.Equal(Epoch) || h.Uid != 0 || h.Gid != 0 {
			t.Fatalf("entry %s not normalised: %v %d %d", h.Name, h.ModTime, h.Uid, h.Gid)
		}
		if h.Name == strings.TrimPrefix(filepath.Join(sp, "bin", "y"), "/") && (h.Typeflag != tar.TypeSymlink || h.Linkname != "x") {
			t.Fatalf("symlink not kept: %+v", h)
		}
		names = append(names, h.Name)
	}
	if len(names) < 3 || names[0] != "nix/" || names[1] != "nix/store/" || !sort.StringsAreSorted(names[2:]) {
		t.Fatalf("entry order: %v", names)
	}
}

// bulkyStorePath writes a few MiB of text that compresses, but not to
// nothing, so that both compressors cut several blocks.
func bulkyStorePath(t *testing.T) string {
	t.Helper()
	sp := filepath.Join(t.TempDir(), "abc-bulky")
	if err := os.MkdirAll(sp, 0o755); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"import", "numpy", "def", "return", "self", "lambda", "class", "wheel", "nix", "store"}
	var buf bytes.Buffer
	for buf.Len() < 6<<20 {
		buf.WriteString(words[rng.IntN(len(words))])
		buf.WriteByte(" \n"[rng.IntN(2)])
		if rng.IntN(50) == 0 {
			fmt.Fprintf(&buf, "%x", rng.Uint64())
		}
	}
	if err := os.WriteFile(filepath.Join(sp, "data.txt"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return sp
}

// The compressed bytes, and so the digest, must not depend on how many
// goroutines compressed them: machines with different core counts must
// agree on every layer digest.
func TestWriteLayerBytesDoNotDependOnJobs(t *testing.T) {
	sp := bulkyStorePath(t)
	for _, c := range []Compression{Gzip, Zstd} {
		t.Run(string(c), func(t *testing.T) {
			var want []byte
			var wantDigests LayerDigests
			for _, jobs := range []int{1, 2, 5} {
				var buf bytes.Buffer
				written := 0
				d, err := WriteLayer(&buf, []string{sp}, WithMtime(Epoch), WithCompression(c), WithJobs(jobs), WithWriteProgress(func(n int) { written += n }))
				if err != nil {
					t.Fatal(err)
				}
				if want == nil {
					want, wantDigests = buf.Bytes(), d
					// The stream decompresses with an independent reader
					// to the tar whose hash is the diffID.
					raw := decompressIndependently(t, c, buf.Bytes())
					if sum := sha256.Sum256(raw); d.DiffID != "sha256:"+hex.EncodeToString(sum[:]) {
						t.Fatalf("diffID %s does not match the decompressed stream", d.DiffID)
					}
					if written != len(raw) {
						t.Errorf("OnWrite saw %d bytes, the tar stream has %d", written, len(raw))
					}
					continue
				}
				if !bytes.Equal(buf.Bytes(), want) || d != wantDigests {
					t.Fatalf("jobs=%d wrote different bytes (%s) than jobs=1 (%s)", jobs, d.Digest, wantDigests.Digest)
				}
			}
		})
	}
}

func decompressIndependently(t *testing.T, c Compression, data []byte) []byte {
	t.Helper()
	if c == Zstd {
		// The reference decoder, zstd(1), not the library that encoded it.
		bins := testfixtures.RequireTool(t, "zstd")
		cmd := exec.Command(bins[0], "-d", "-c")
		cmd.Stdin = bytes.NewReader(data)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("zstd -d: %v", err)
		}
		return out
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
