package autopatch

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"testing"
)

// An inflater back from the pool, after a stream that broke off or was
// not deflate at all, inflates the next stream exactly; a closed entry
// reads nothing more, and closing it twice returns its inflater once.
func TestPooledInflaterStartsClean(t *testing.T) {
	deflate := func(data []byte) []byte {
		var b bytes.Buffer
		w, _ := flate.NewWriter(&b, flate.BestCompression)
		w.Write(data)
		w.Close()
		return b.Bytes()
	}
	good := bytes.Repeat([]byte("machnix inflates this once more\n"), 3000)
	goodZ := deflate(good)
	for i, bad := range [][]byte{goodZ[:len(goodZ)/2], []byte("\xff\xff\xff\xff not deflate"), {}} {
		r := newInflater(bytes.NewReader(bad))
		if _, err := io.ReadAll(r); err == nil {
			t.Fatalf("stream %d: a broken stream inflated without an error", i)
		}
		r.Close()
		r.Close()
		if _, err := r.Read(make([]byte, 1)); !errors.Is(err, errInflaterClosed) {
			t.Errorf("stream %d: a read after Close gave %v", i, err)
		}
		for range 2 {
			r := newInflater(bytes.NewReader(goodZ))
			got, err := io.ReadAll(r)
			r.Close()
			if err != nil || !bytes.Equal(got, good) {
				t.Fatalf("after stream %d: inflated %d bytes (%v), want the %d written", i, len(got), err, len(good))
			}
		}
	}
}
