// Package tailflate inflates the end of a raw deflate stream without
// inflating what comes before it.
//
// A deflate stream has no index, so the usual way to reach byte n is to
// inflate bytes 0..n. But a stream is a sequence of blocks, and a block that
// starts a dynamic Huffman code or stores its bytes announces itself with a
// header strict enough to be recognised at an arbitrary bit position: its
// code lengths must form complete prefix codes, a stored block's length must
// match its complement. Decoding can start at such a boundary; what it cannot
// know is the 32 KiB of history that back-references reach into.
//
// tailflate therefore decodes from the boundary twice in step, with two
// stand-in histories that differ in every byte. A byte that copies from the
// unknown history comes out different in the two decodes; every other byte
// comes out the same, and is exactly the stream's. Once 32 KiB in a row
// agree, no later byte can reach past them, so the second decode stops
// there: in binaries that is usually within the first block. The stream's
// inflated size, which a
// zip directory records, places the decoded bytes: the last byte decoded is
// the stream's last, so the first is usize minus the number decoded.
//
// Nothing here can confirm that a boundary is real, only that decoding from
// it reached the end of the stream cleanly. Callers check what they read
// against structure they know (autopatch checks an ELF's section headers)
// and fall back to inflating from the start when it does not fit.
package tailflate

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/flate"
)

// ErrNoBoundary means no block boundary before the wanted offset could be
// entered: every candidate failed to decode, or none was found nearby.
var ErrNoBoundary = errors.New("tailflate: no block boundary to enter the stream at")

// Tail is the end of an inflated stream, from Start to the stream's end.
type Tail struct {
	Start int64 // inflated offset of the first byte kept
	// Inflated counts the bytes inflated to produce the tail, in all
	// attempts and both decodes.
	Inflated int64

	ring    []byte   // the kept bytes, oldest at head
	head    int64    // ring index of the byte at Start
	unknown []uint64 // by ring index: the byte depends on the skipped history
}

// Buffers are large (the whole tail) and their first use costs a page
// fault per 4 KiB, so they are reused across entries.
var (
	ringPool   sync.Pool // *[]byte
	bitmapPool sync.Pool // *[]uint64
)

// newTail returns a Tail for a window of the given size. The window comes
// from sizes a zip header claims, so the ring starts small and grows with
// the bytes decoded into it (see grow); a pooled ring is used whole.
func newTail(window int64) *Tail {
	t := &Tail{}
	first := min(window, 1<<20)
	if p, ok := ringPool.Get().(*[]byte); ok && int64(cap(*p)) >= first {
		t.ring = (*p)[:min(window, int64(cap(*p)))]
	} else {
		t.ring = make([]byte, first)
	}
	words := (int64(len(t.ring)) + 63) / 64
	if p, ok := bitmapPool.Get().(*[]uint64); ok && int64(cap(*p)) >= words {
		t.unknown = (*p)[:words]
	} else {
		t.unknown = make([]uint64, words)
	}
	return t
}

// grow makes the ring n bytes long, keeping what it holds. Only a ring that
// has not wrapped yet grows, so its bytes keep their indexes.
func (t *Tail) grow(n int64) {
	ring := make([]byte, n)
	copy(ring, t.ring)
	bitmap := make([]uint64, (n+63)/64)
	copy(bitmap, t.unknown)
	t.ring, t.unknown = ring, bitmap
}

// Release lets later Reads reuse t's memory; t must not be used after.
func (t *Tail) Release() {
	if t == nil || t.ring == nil {
		return
	}
	ring, bitmap := t.ring, t.unknown
	t.ring, t.unknown = nil, nil
	ringPool.Put(&ring)
	bitmapPool.Put(&bitmap)
}

// Bytes returns the inflated bytes [off, off+n) and whether every one of
// them is known: inside the tail and independent of the history before the
// point where decoding started.
func (t *Tail) Bytes(off, n int64) ([]byte, bool) {
	w := int64(len(t.ring))
	if off < t.Start || n < 0 || off-t.Start+n > w {
		return nil, false
	}
	out := make([]byte, n)
	for i := int64(0); i < n; i++ {
		at := (t.head + off - t.Start + i) % w
		if t.unknown[at/64]&(1<<(at%64)) != 0 {
			return nil, false
		}
		out[i] = t.ring[at]
	}
	return out, true
}

// Read inflates the raw deflate stream in src, csize compressed bytes that
// inflate to usize, from a block boundary before inflated offset keep to the
// end, and keeps the inflated bytes from keep on. It holds usize-keep bytes
// and a bit for each; call Release when done.
func Read(src io.ReaderAt, csize, usize, keep int64) (*Tail, error) {
	if csize <= 0 || keep <= 0 || keep >= usize {
		return nil, fmt.Errorf("%w: nothing to skip", ErrNoBoundary)
	}
	// Guess where keep lies in the compressed stream by proportion, then
	// back off: starting early costs decoding, starting late costs a retry.
	ratio := float64(csize) / float64(usize)
	margin := min(max(int64(256<<10*ratio), 8<<10), 64<<10)
	from := int64(float64(keep)*ratio) - margin
	var inflated int64
	for attempt := 0; attempt < 4; attempt++ {
		from = max(from, 0)
		t, start, n, err := readFrom(src, csize, usize, from, keep)
		inflated += n
		if err == nil {
			t.Inflated = inflated
			return t, nil
		}
		if from == 0 || !(errors.Is(err, errLate) || errors.Is(err, ErrNoBoundary)) {
			return nil, err
		}
		// Move back: by the overshoot when decoding started past keep (in
		// compressed bytes at the stream's average ratio), and further each
		// time, since the last block boundary may lie well before keep.
		margin *= 4
		if errors.Is(err, errLate) {
			from -= int64(float64(start-keep)*ratio) * 2
		}
		from -= margin
	}
	return nil, ErrNoBoundary
}

// errLate means the boundary found lies past keep.
var errLate = errors.New("tailflate: entered past the wanted offset")

// scanLimit bounds how far past its starting point Read looks for a
// boundary; encoders end a block every few tens of KiB.
const scanLimit = 4 << 20

// readFrom enters the stream at the first boundary at or after compressed
// offset from. It returns the inflated offset decoding started at when that
// lies past keep (errLate), and the bytes it inflated. Only the stretch it
// scans for a boundary is held in memory; decoding streams from src.
func readFrom(src io.ReaderAt, csize, usize, from, keep int64) (*Tail, int64, int64, error) {
	// Hold a little before from, which the lead-in replaces, and a stored
	// block's length past the scanned stretch, to see the header after it.
	slack := min(from, leadInRoom)
	in := make([]byte, min(csize-from, scanLimit+70<<10)+slack)
	if _, err := src.ReadAt(in, from-slack); err != nil && err != io.EOF {
		return nil, 0, 0, err
	}
	window := usize - keep
	var inflated int64
	limit := min(csize-from, scanLimit) * 8
	for p := slack * 8; p < slack*8+limit; p++ {
		if !plausibleBlock(in, p) {
			continue
		}
		prefix, ok := enter(in, p)
		if !ok {
			continue
		}
		open := func() *stream {
			rest := from - slack + p>>3 + 1
			return newStream(prefix, io.NewSectionReader(src, rest, csize-rest))
		}
		t, n, work, err := decode(open, window, usize)
		inflated += work
		if errors.Is(err, io.ErrUnexpectedEOF) {
			// Decoding ran into the end of the input mid-block: the stream
			// is cut short, and every later boundary would run into it too.
			return nil, 0, inflated, err
		}
		if err != nil {
			continue // not a real boundary after all
		}
		if t == nil {
			return nil, usize - n, inflated, errLate
		}
		t.Start = keep
		return t, keep, inflated, nil
	}
	return nil, 0, inflated, ErrNoBoundary
}

// stream is the compressed input of one decode: the lead-in, then the rest
// of the entry, read through a buffer.
type stream struct {
	*bufio.Reader
	rest *io.SectionReader
}

func newStream(prefix []byte, rest *io.SectionReader) *stream {
	return &stream{bufio.NewReaderSize(io.MultiReader(bytes.NewReader(prefix), rest), 64<<10), rest}
}

// atEnd reports whether decoding used the input up to its last byte, as the
// real stream, which ends inside its last byte, does.
func (s *stream) atEnd() bool {
	pos, _ := s.rest.Seek(0, io.SeekCurrent)
	return pos == s.rest.Size() && s.Buffered() <= 1
}

// The two stand-in histories differ in every byte.
var historyA, historyB = func() (a, b [32 << 10]byte) {
	for i := range b {
		b[i] = 0xff
	}
	return
}()

// decode inflates stream to its end with the first history, keeping the
// last window bytes, and in step with it with the second history for as
// long as that tells something: once 32 KiB in a row agree, no later byte
// can reach back past them to the unknown history, so every later byte is
// known and the second decode stops. It returns how many bytes the stream
// holds from the entry point on, how many were inflated in all, and a nil
// Tail when the stream holds fewer than window. Decoding must end at the final block, within the last byte of
// stream.
func decode(open func() *stream, window, usize int64) (t *Tail, total, inflated int64, err error) {
	ra := open()
	fa := flate.NewReaderDict(ra, historyA[:])
	defer fa.Close()
	fb := flate.NewReaderDict(open(), historyB[:])
	defer fb.Close()
	tl := newTail(window)
	defer func() {
		if t == nil {
			tl.Release()
		}
	}()
	other := make([]byte, 64<<10)
	lastUnknown := int64(-1) // output index of the last byte the decodes disagree on
	healed := false
	for {
		at := total % window
		if end := min(window, at+int64(len(other))); end > int64(len(tl.ring)) {
			tl.grow(min(window, max(end, 2*int64(len(tl.ring)))))
		}
		dst := tl.ring[at:min(window, at+int64(len(other)))]
		k, errA := fa.Read(dst)
		if k > 0 {
			inflated += int64(k)
			if healed {
				tl.clear(at, int64(k))
			} else {
				if _, errB := io.ReadFull(fb, other[:k]); errB != nil {
					return nil, total, inflated, errB
				}
				inflated += int64(k)
				if i := tl.mark(at, dst[:k], other[:k]); i >= 0 {
					lastUnknown = total + i
				}
				healed = total+int64(k)-lastUnknown > 32<<10
			}
			total += int64(k)
		}
		if errA == io.EOF {
			break
		}
		if errA != nil {
			return nil, total, inflated, errA
		}
		if total > usize {
			// More than the whole stream holds: not in step with it.
			return nil, total, inflated, errors.New("tailflate: decoded past the stream's size")
		}
	}
	// The real stream ends inside its last byte; a decode that stops
	// earlier was not in step with it.
	if !ra.atEnd() {
		return nil, total, inflated, errors.New("tailflate: decoding ended before the stream did")
	}
	if total < window {
		return nil, total, inflated, nil
	}
	tl.head = total % window
	return tl, total, inflated, nil
}

// mark records which bytes of a (written at ring index at) differ from b,
// and returns the index in a of the last that does, or -1.
func (t *Tail) mark(at int64, a, b []byte) int64 {
	last := int64(-1)
	if bytes.Equal(a, b) {
		t.clear(at, int64(len(a)))
		return last
	}
	for i := range a {
		j := at + int64(i)
		bit := uint64(1) << (j % 64)
		if a[i] != b[i] {
			t.unknown[j/64] |= bit
			last = int64(i)
		} else {
			t.unknown[j/64] &^= bit
		}
	}
	return last
}

// clear marks n bytes from ring index at as known.
func (t *Tail) clear(at, n int64) {
	for j := at; j < at+n; {
		if j%64 == 0 && j+64 <= at+n {
			t.unknown[j/64] = 0
			j += 64
			continue
		}
		t.unknown[j/64] &^= 1 << (j % 64)
		j++
	}
}

// leadInRoom is the most bytes a lead-in takes: one empty dynamic block of
// at most 94 bits and three empty fixed blocks of 10.
const leadInRoom = 16

// enter returns the bytes that, followed by in's bytes after the one
// holding bit p, decode as the blocks of in from bit p on. It cannot shift
// the bits into place: stored blocks are aligned to the bytes of the
// original stream. Instead it puts before p a lead-in of empty blocks whose
// length in bits ends at p's position in its byte.
func enter(in []byte, p int64) (prefix []byte, ok bool) {
	q, k := p>>3, int(p&7)
	if k == 0 {
		return in[q : q+1], true
	}
	lead := leadIn(k)
	m := int64(len(lead) - 1) // whole bytes before in[q]
	low := byte(1)<<k - 1
	return append(lead[:m:m], lead[m]&low|in[q]&^low), true
}

// leadIn returns empty blocks, packed into bytes, whose bit length is k
// modulo 8: an empty dynamic Huffman block (91 or 94 bits, by its count of
// code length codes) and up to three empty fixed Huffman blocks (10 bits
// each). They produce no output.
func leadIn(k int) []byte {
	for _, nclen := range []int{18, 19} {
		for fixed := 0; fixed < 4; fixed++ {
			if (37+3*nclen+10*fixed)%8 != k {
				continue
			}
			var w bitWriter
			w.write(0b100, 3)            // BFINAL 0, BTYPE 10 (dynamic)
			w.write(0, 5)                // 257 literal/length codes
			w.write(0, 5)                // one distance code
			w.write(nclen-4, 4)          // code length codes sent
			for i := 0; i < nclen; i++ { // lengths 1 for symbols 18 and 1
				l := 0
				if sym := codeLengthOrder[i]; sym == 18 || sym == 1 {
					l = 1
				}
				w.write(l, 3)
			}
			// Code length symbols: 1 is code 0, 18 is code 1. Literal 0
			// and end-of-block get length 1, the 255 between length 0,
			// the one distance code length 1.
			w.write(0, 1)
			w.write(1, 1)
			w.write(138-11, 7)
			w.write(1, 1)
			w.write(117-11, 7)
			w.write(0, 1)
			w.write(0, 1)
			w.write(1, 1) // end of block: code 1
			for ; fixed > 0; fixed-- {
				w.write(0b010, 3) // BFINAL 0, BTYPE 01 (fixed)
				w.write(0, 7)     // end of block
			}
			return w.buf
		}
	}
	panic("tailflate: no lead-in for this bit offset")
}

// bitWriter packs bits least significant first, as deflate does.
type bitWriter struct {
	buf []byte
	n   int // bits written
}

func (w *bitWriter) write(v, n int) {
	for i := 0; i < n; i++ {
		if w.n%8 == 0 {
			w.buf = append(w.buf, 0)
		}
		w.buf[len(w.buf)-1] |= byte(v>>i&1) << (w.n % 8)
		w.n++
	}
}

// bits returns n (at most 32) bits of in at bit position p, least
// significant first as deflate packs them, and false past the end.
func bits(in []byte, p int64, n uint) (uint32, bool) {
	if p+int64(n) > int64(len(in))*8 {
		return 0, false
	}
	q := p >> 3
	var v uint64
	if q+8 <= int64(len(in)) {
		v = binary.LittleEndian.Uint64(in[q:])
	} else {
		for i := int64(0); q+i < int64(len(in)); i++ {
			v |= uint64(in[q+i]) << (8 * i)
		}
	}
	return uint32(v>>(p&7)) & (1<<n - 1), true
}

// plausibleBlock reports whether a dynamic Huffman or stored block header
// that deflate decoders would accept starts at bit p. Fixed Huffman blocks
// have no header to recognise and are never entered.
func plausibleBlock(in []byte, p int64) bool {
	h, ok := bits(in, p, 3)
	if !ok {
		return false
	}
	switch h >> 1 {
	case 0:
		return plausibleStored(in, p)
	case 2:
		return plausibleDynamic(in, p+3)
	}
	return false
}

// plausibleStored checks a stored block: zero padding to the byte boundary
// (every encoder writes zeros), LEN and its complement, and a plausible
// header for the block after it.
func plausibleStored(in []byte, p int64) bool {
	pad := (8 - (p+3)&7) & 7
	if v, ok := bits(in, p+3, uint(pad)); !ok || v != 0 {
		return false
	}
	q := (p + 3 + pad) >> 3
	if q+4 > int64(len(in)) {
		return false
	}
	n := binary.LittleEndian.Uint16(in[q:])
	if n != ^binary.LittleEndian.Uint16(in[q+2:]) {
		return false
	}
	next := (q + 4 + int64(n)) * 8
	if h, ok := bits(in, next, 3); ok && h>>1 == 3 {
		return false
	}
	return next <= int64(len(in))*8
}

var codeLengthOrder = [19]int{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

// plausibleDynamic checks a dynamic Huffman block header starting at bit p
// (after BFINAL and BTYPE) the way inflate does: counts in range, every code
// complete (or a single one-bit code, which decoders accept), repeat codes
// that stay in bounds, and an end-of-block code.
func plausibleDynamic(in []byte, p int64) bool {
	v, ok := bits(in, p, 14)
	if !ok {
		return false
	}
	nlit, ndist, nclen := int(v&31)+257, int(v>>5&31)+1, int(v>>10&15)+4
	if nlit > 286 || ndist > 30 {
		return false
	}
	p += 14
	var clen [19]uint8
	for i := 0; i < nclen; i++ {
		l, ok := bits(in, p, 3)
		if !ok {
			return false
		}
		clen[codeLengthOrder[i]] = uint8(l)
		p += 3
	}
	// The code length code must be complete: zlib accepts no exception.
	if !complete(clen[:], false) || countNonzero(clen[:]) < 2 {
		return false
	}
	dec := newDecoder(clen[:])
	var lens [286 + 30]uint8
	total := nlit + ndist
	for i := 0; i < total; {
		sym, n, ok := dec.decode(in, p)
		if !ok {
			return false
		}
		p += int64(n)
		rep, val := 1, uint8(sym)
		switch sym {
		case 16:
			if i == 0 {
				return false
			}
			r, ok := bits(in, p, 2)
			if !ok {
				return false
			}
			p += 2
			rep, val = 3+int(r), lens[i-1]
		case 17:
			r, ok := bits(in, p, 3)
			if !ok {
				return false
			}
			p += 3
			rep, val = 3+int(r), 0
		case 18:
			r, ok := bits(in, p, 7)
			if !ok {
				return false
			}
			p += 7
			rep, val = 11+int(r), 0
		}
		if i+rep > total {
			return false
		}
		for ; rep > 0; rep-- {
			lens[i] = val
			i++
		}
	}
	if lens[256] == 0 {
		return false
	}
	return complete(lens[:nlit], false) && complete(lens[nlit:total], true)
}

// complete reports whether code lengths form a complete prefix code, or a
// single one-bit code, which decoders also accept; with none allowed, a code
// with no symbols at all passes too (a block without back-references).
func complete(lens []uint8, noneAllowed bool) bool {
	var count [16]int
	used, maxLen := 0, 0
	for _, l := range lens {
		if l > 0 {
			count[l]++
			used++
			maxLen = max(maxLen, int(l))
		}
	}
	if used == 0 {
		return noneAllowed
	}
	if used == 1 && maxLen == 1 {
		return true
	}
	// Kraft sum in units of 2^-15 must be exactly 1.
	sum := 0
	for l := 1; l < 16; l++ {
		sum += count[l] << (15 - l)
	}
	return sum == 1<<15
}

func countNonzero(lens []uint8) int {
	n := 0
	for _, l := range lens {
		if l > 0 {
			n++
		}
	}
	return n
}

// decoder decodes the code length alphabet (codes of at most 7 bits) by
// table lookup on the next 7 bits.
type decoder struct {
	sym [128]uint8
	len [128]uint8
}

func newDecoder(lens []uint8) *decoder {
	var d decoder
	var count [8]int
	for _, l := range lens {
		count[l]++
	}
	count[0] = 0
	var next [8]int
	code := 0
	for l := 1; l < 8; l++ {
		code = (code + count[l-1]) << 1
		next[l] = code
	}
	for s, l := range lens {
		if l == 0 {
			continue
		}
		c := next[l]
		next[l]++
		// Deflate sends Huffman codes most significant bit first into an
		// LSB-first stream, so the table is indexed by the reversed code.
		r := 0
		for i := 0; i < int(l); i++ {
			r = r<<1 | (c>>i)&1
		}
		for fill := r; fill < 128; fill += 1 << l {
			d.sym[fill], d.len[fill] = uint8(s), l
		}
	}
	return &d
}

func (d *decoder) decode(in []byte, p int64) (sym, n int, ok bool) {
	v, ok := bits(in, p, 7)
	if !ok {
		// Near the end of the input: fewer than 7 bits may still hold a code.
		for k := uint(6); k > 0 && !ok; k-- {
			v, ok = bits(in, p, k)
		}
		if !ok {
			return 0, 0, false
		}
	}
	l := d.len[v&127]
	if l == 0 {
		return 0, 0, false
	}
	return int(d.sym[v&127]), int(l), true
}
