package tailflate

import (
	"bytes"
	"compress/flate"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"testing"

	kflate "github.com/klauspost/compress/flate"

	"github.com/machnix/machnix/testfixtures"
)

// corpus returns inputs shaped like what wheels hold: a real ELF binary
// (this test's own executable), random bytes, and text.
func corpus(t *testing.T) map[string][]byte {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	elfData, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if len(elfData) > 1<<20 {
		elfData = elfData[len(elfData)-1<<20:] // its end: symbols, strings, section headers
	}
	rng := rand.New(rand.NewPCG(7, 9))
	random := make([]byte, 512<<10)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	var text bytes.Buffer
	for i := 0; text.Len() < 512<<10; i++ {
		text.WriteString("def function_")
		text.WriteString(string(rune('a' + i%26)))
		text.WriteString("(x):\n    return x * ")
		text.WriteString(string(rune('0' + rng.IntN(10))))
		text.WriteString("\n")
	}
	return map[string][]byte{"elf": elfData, "random": random, "text": text.Bytes()}
}

type compressor struct {
	name string
	fn   func(t *testing.T, data []byte) []byte
}

func goFlate(level int) func(*testing.T, []byte) []byte {
	return func(t *testing.T, data []byte) []byte {
		var b bytes.Buffer
		w, err := flate.NewWriter(&b, level)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
		w.Close()
		return b.Bytes()
	}
}

func klauspostFlate(level int) func(*testing.T, []byte) []byte {
	return func(t *testing.T, data []byte) []byte {
		var b bytes.Buffer
		w, err := kflate.NewWriter(&b, level)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
		w.Close()
		return b.Bytes()
	}
}

// zlibFlate compresses with zlib through Python, as the zipfile module does
// when it writes a wheel.
func zlibFlate(level int) func(*testing.T, []byte) []byte {
	return func(t *testing.T, data []byte) []byte {
		py := testfixtures.RequireTool(t, "python3")[0]
		cmd := exec.Command(py, "-c", `import sys, zlib
c = zlib.compressobj(`+string(rune('0'+level))+`, zlib.DEFLATED, -15)
sys.stdout.buffer.write(c.compress(sys.stdin.buffer.read()) + c.flush())`)
		cmd.Stdin = bytes.NewReader(data)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
}

func compressors() []compressor {
	return []compressor{
		{"go-5", goFlate(5)}, // archive/zip's level
		{"go-huffman", goFlate(flate.HuffmanOnly)},
		{"klauspost-1", klauspostFlate(1)}, {"klauspost-6", klauspostFlate(6)},
		{"zlib-6", zlibFlate(6)}, {"zlib-9", zlibFlate(9)},
	}
}

// TestReadMatchesFullInflate enters streams from many encoders at several
// offsets: every byte Read calls known must be the stream's, the end must be
// known, and far less than the whole stream may be inflated.
func TestReadMatchesFullInflate(t *testing.T) {
	for name, data := range corpus(t) {
		for _, c := range compressors() {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				comp := c.fn(t, data)
				usize, csize := int64(len(data)), int64(len(comp))
				for _, frac := range []float64{0.5, 0.8, 0.97} {
					keep := int64(float64(usize) * frac)
					tail, err := Read(bytes.NewReader(comp), csize, usize, keep)
					if err != nil {
						t.Fatalf("keep %d of %d: %v", keep, usize, err)
					}
					known := 0
					for off := keep; off < usize; off++ {
						if b, ok := byteAt(tail, off); ok {
							known++
							if b != data[off] {
								t.Fatalf("keep %d: byte %d is %#x, the stream's is %#x", keep, off, b, data[off])
							}
						}
					}
					// Random data has no back-references to speak of, so its
					// end is known. (Elsewhere a chain of copies can reach
					// back past any entry point, and callers then inflate
					// from the start; autopatch's tests check that real
					// libraries are read near their end.)
					last := min(int64(4096), usize-keep)
					if b, ok := tail.Bytes(usize-last, last); name == "random" && (!ok || !bytes.Equal(b, data[usize-last:])) {
						t.Fatalf("keep %d: the last %d bytes are not known", keep, last)
					}
					// Both decodes cover the tail and the way in to it, not
					// the stream before.
					if limit := 3*(usize-keep) + 1<<20; name != "text" && tail.Inflated > limit {
						t.Fatalf("keep %d: inflated %d bytes, more than %d", keep, tail.Inflated, limit)
					}
					t.Logf("keep %.0f%%: %d of %d tail bytes known, %d bytes inflated for a stream of %d",
						frac*100, known, usize-keep, tail.Inflated, usize)
				}
			})
		}
	}
}

// byteAt is Bytes for one byte, without its allocation.
func byteAt(t *Tail, off int64) (byte, bool) {
	w := int64(len(t.ring))
	at := (t.head + off - t.Start) % w
	return t.ring[at], t.unknown[at/64]&(1<<(at%64)) == 0
}

// TestReadRefusesBadInput: a stream cut short or with a corrupt tail is
// never passed off as decoded.
func TestReadRefusesBadInput(t *testing.T) {
	data := corpus(t)["elf"]
	comp := goFlate(6)(t, data)
	usize := int64(len(data))
	keep := usize * 9 / 10
	if _, err := Read(bytes.NewReader(comp[:len(comp)-200]), int64(len(comp)-200), usize, keep); err == nil {
		t.Fatal("a truncated stream was read")
	}
	if _, err := Read(bytes.NewReader(comp), int64(len(comp)), usize, 0); !errors.Is(err, ErrNoBoundary) {
		t.Fatalf("keep 0: %v, want ErrNoBoundary", err)
	}
	// Random bytes hold no deflate stream at all.
	rng := rand.New(rand.NewPCG(1, 1))
	junk := make([]byte, 64<<10)
	for i := range junk {
		junk[i] = byte(rng.Uint32())
	}
	if tail, err := Read(bytes.NewReader(junk), int64(len(junk)), 256<<10, 192<<10); err == nil {
		if _, ok := tail.Bytes(256<<10-64, 64); ok {
			t.Fatal("random bytes decoded as a stream's tail")
		}
	}
}

// FuzzRead: on any input Read neither panics nor runs away, and on a real
// stream every byte it calls known is the stream's.
func FuzzRead(f *testing.F) {
	f.Add([]byte("hello hello hello, a deflate stream"), uint8(6), uint16(10), false)
	f.Add(bytes.Repeat([]byte{0, 1, 2, 3, 250}, 5000), uint8(1), uint16(20000), false)
	f.Add([]byte{0x04, 0x00, 0xfb, 0xff, 1, 2, 3, 4}, uint8(0), uint16(3), true)
	f.Fuzz(func(t *testing.T, data []byte, level uint8, keep16 uint16, raw bool) {
		if raw {
			// The input itself as the compressed stream.
			usize := int64(len(data))*4 + 1
			keep := int64(keep16)%usize + 1
			if tail, err := Read(bytes.NewReader(data), int64(len(data)), usize, keep); err == nil {
				tail.Release()
			}
			return
		}
		var b bytes.Buffer
		w, err := flate.NewWriter(&b, int(level)%10)
		if err != nil {
			t.Skip()
		}
		w.Write(data)
		w.Close()
		usize := int64(len(data))
		if usize < 2 {
			return
		}
		keep := int64(keep16)%(usize-1) + 1
		tail, err := Read(bytes.NewReader(b.Bytes()), int64(b.Len()), usize, keep)
		if err != nil {
			return
		}
		defer tail.Release()
		for off := keep; off < usize; off++ {
			if v, ok := byteAt(tail, off); ok && v != data[off] {
				t.Fatalf("byte %d is %#x, the stream's is %#x", off, v, data[off])
			}
		}
	})
}

// TestLyingSizeCostsOnlyWhatIsDecoded: the inflated size comes from a zip
// header, which may claim far more than the stream holds. Memory must
// follow the bytes decoded, not the claim.
func TestLyingSizeCostsOnlyWhatIsDecoded(t *testing.T) {
	data := corpus(t)["random"]
	comp := goFlate(6)(t, data)
	claimed := int64(len(data)) + 1<<30
	keep := int64(len(data) / 2)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	tl, err := Read(bytes.NewReader(comp), int64(len(comp)), claimed, keep)
	runtime.ReadMemStats(&after)
	if err == nil {
		tl.Release()
		t.Fatal("a stream shorter than its claimed size gave a tail")
	}
	// The stream is 512 KiB; the claim asks for a 1 GiB window.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Errorf("allocated %d MiB decoding a %d KiB stream", alloc>>20, len(data)>>10)
	}
}
