package autopatch

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"net/mail"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	kflate "github.com/klauspost/compress/flate"

	"github.com/machnix/machnix/autopatch/internal/tailflate"
	"github.com/machnix/machnix/internal/distinfo"
	"github.com/machnix/machnix/internal/termsafe"
)

// Sentinel errors for bad wheels. Every error returned for a wheel wraps one
// of these and names the wheel file, so callers can tell bad input (exit 2)
// from a failure of the tool.
//
// ErrNotWheel and ErrTooLarge are those of internal/distinfo, which reads
// the .dist-info directory for every part of machnix alike.
var (
	ErrNotWheel       = distinfo.ErrNotWheel
	ErrUnsafePath     = errors.New("unsafe entry path")
	ErrTooLarge       = distinfo.ErrTooLarge
	ErrRecordMismatch = errors.New("RECORD does not match the wheel's contents")
	ErrBadELF         = errors.New("malformed ELF file")
)

// DefaultMaxUnpacked caps what one wheel may decompress to. The largest real
// wheels (CUDA builds of torch) unpack to a few GiB; anything far beyond that
// is a zip bomb.
const DefaultMaxUnpacked int64 = 16 << 30

// Wheel is what machnix reads from a wheel file: its metadata and the ELF
// files inside it. ELF contents are not kept; only what inspection found.
type Wheel struct {
	File           string
	Name           string
	Version        string
	Tags           []string
	RootIsPurelib  bool
	RequiresDist   []string
	RequiresPython string
	// Entries are all file paths in the archive, sorted.
	Entries []string
	// TopLevel are the lines of the .dist-info's top_level.txt, nil when
	// the wheel has none (setuptools writes it; other backends do not).
	TopLevel []string
	ELFs     []elfInfo
}

// wheelReader holds the settings for reading one wheel.
type wheelReader struct {
	maxUnpacked int64
	verify      bool
	// fileNames are the real file names of wheels kept under other names.
	fileNames map[string]string
}

// fileName is the wheel file name the .dist-info directory is checked
// against: the one given with WithFileNames, else the file's own name when
// it is a wheel's, else none.
func (wr wheelReader) fileName(file string) string {
	if name, ok := wr.fileNames[file]; ok {
		return name
	}
	if base := filepath.Base(file); strings.HasSuffix(base, ".whl") {
		return base
	}
	return ""
}

// readWheel reads the wheel at file. Its errors carry names and texts from
// the wheel (entries, the .dist-info directory, header lines), and the
// file's own name, which may hold terminal escapes: they are escaped once
// here, for every error, and still unwrap to the sentinels.
func (wr wheelReader) readWheel(file string) (*Wheel, error) {
	w, err := wr.read(file)
	if err != nil {
		return nil, printableError{err}
	}
	return w, nil
}

// inflaters keeps klauspost's inflaters, each with its 32 KiB window and
// its input buffer, for reuse: most entries of a wheel are small, and one
// new inflater per entry cost more than reading the entry (archive/zip
// pools its own inflaters the same way).
var inflaters sync.Pool

type inflater struct {
	in  *bufio.Reader // gives klauspost the io.ByteReader it would allocate
	dec io.ReadCloser
}

func newInflater(r io.Reader) io.ReadCloser {
	if f, ok := inflaters.Get().(*inflater); ok {
		f.in.Reset(r)
		if err := f.dec.(kflate.Resetter).Reset(f.in, nil); err == nil {
			return &pooledInflater{f: f}
		}
	}
	in := bufio.NewReaderSize(r, 4<<10)
	return &pooledInflater{f: &inflater{in: in, dec: kflate.NewReader(in)}}
}

// pooledInflater returns its inflater to the pool when closed; it reads
// nothing after that.
type pooledInflater struct{ f *inflater }

var errInflaterClosed = errors.New("read from a closed zip entry")

func (p *pooledInflater) Read(b []byte) (int, error) {
	if p.f == nil {
		return 0, errInflaterClosed
	}
	return p.f.dec.Read(b)
}

func (p *pooledInflater) Close() error {
	if p.f == nil {
		return nil
	}
	err := p.f.dec.Close()
	p.f.in.Reset(nil)
	inflaters.Put(p.f)
	p.f = nil
	return err
}

// printableError shows err with every character a terminal would act on
// escaped.
type printableError struct{ err error }

func (e printableError) Error() string { return termsafe.String(e.err.Error()) }
func (e printableError) Unwrap() error { return e.err }

// read reads a wheel in one pass over its entries: every entry is
// decompressed once, hashed for RECORD, and parsed as ELF when it starts with
// the ELF magic. Nothing is written to disk. Without verification, entries
// that do not start with the ELF magic are not decompressed past it.
func (wr wheelReader) read(file string) (*Wheel, error) {
	zr, err := zip.OpenReader(file)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", file, ErrNotWheel, err)
	}
	defer zr.Close()
	// klauspost's inflate is about twice as fast as the standard library's;
	// inflating is most of the cost of reading a large wheel.
	zr.RegisterDecompressor(zip.Deflate, newInflater)
	w := &Wheel{File: file}

	var declared uint64
	byName := make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		if err := checkEntryPath(f.Name); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if strings.HasSuffix(f.Name, "/") {
			continue
		}
		if _, dup := byName[f.Name]; dup {
			return nil, fmt.Errorf("%s: %w: entry %q appears twice", file, ErrNotWheel, f.Name)
		}
		byName[f.Name] = f
		w.Entries = append(w.Entries, f.Name)
		// Saturating: declared sizes near 2^64 must not wrap past the check.
		if declared += f.UncompressedSize64; declared < f.UncompressedSize64 {
			declared = math.MaxUint64
		}
	}
	if declared > uint64(wr.maxUnpacked) {
		return nil, fmt.Errorf("%s: %w: entries declare %d bytes, the limit is %d", file, ErrTooLarge, declared, wr.maxUnpacked)
	}
	sort.Strings(w.Entries)

	di, err := distinfo.Open(zr.File, wr.fileName(file))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	distInfo := di.Dir
	budget := &unpackBudget{left: wr.maxUnpacked}
	readSmall := func(name string) ([]byte, error) {
		data, err := di.Read(name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if budget.left -= int64(len(data)); budget.left < 0 {
			return nil, fmt.Errorf("%s: %w", file, ErrTooLarge)
		}
		return data, nil
	}

	wheelMeta, err := readSmall(distinfo.WHEEL)
	if err != nil {
		return nil, err
	}
	hdr, err := parseHeaders(wheelMeta)
	if err != nil {
		return nil, fmt.Errorf("%s: %s/WHEEL: %w: %v", file, distInfo, ErrNotWheel, err)
	}
	w.Tags = expandTags(hdr["Tag"])
	w.RootIsPurelib = strings.EqualFold(first(hdr["Root-Is-Purelib"]), "true")

	meta, err := readSmall(distinfo.METADATA)
	if err != nil {
		return nil, err
	}
	hdr, err = parseHeaders(meta)
	if err != nil {
		return nil, fmt.Errorf("%s: %s/METADATA: %w: %v", file, distInfo, ErrNotWheel, err)
	}
	w.Name, w.Version = first(hdr["Name"]), first(hdr["Version"])
	if w.Name == "" || w.Version == "" {
		return nil, fmt.Errorf("%s: %s/METADATA: %w: Name and Version are required", file, distInfo, ErrNotWheel)
	}
	w.RequiresDist = hdr["Requires-Dist"]
	w.RequiresPython = first(hdr["Requires-Python"])

	if topLevel, err := readSmall(topLevelTxt); err == nil {
		w.TopLevel = []string{}
		for _, line := range strings.Split(string(topLevel), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				w.TopLevel = append(w.TopLevel, line)
			}
		}
	} else if !errors.Is(err, distinfo.ErrMissingFile) {
		return nil, err
	}

	var record map[string]recordEntry
	if wr.verify {
		raw, err := readSmall(distinfo.RECORD)
		if err != nil {
			return nil, err
		}
		record, err = parseRecord(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %s/RECORD: %w", file, distInfo, err)
		}
		if err := checkRecordCoverage(record, w.Entries, distInfo); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
	}

	for _, name := range w.Entries {
		f := byName[name]
		if !wr.verify {
			info, isELF, err := inspectEntryLazily(f, budget)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", file, name, err)
			}
			if isELF {
				info.Path = name
				w.ELFs = append(w.ELFs, info)
			}
			continue
		}
		rec, listed := record[name]
		wantHash := wr.verify && listed && rec.hash != nil
		data, sum, err := readEntry(f, budget, wantHash, !wr.verify)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", file, name, err)
		}
		if wantHash {
			if rec.algo != "sha256" {
				return nil, fmt.Errorf("%s: %w: %s uses %s; only sha256 is accepted", file, ErrRecordMismatch, name, rec.algo)
			}
			if !bytes.Equal(sum, rec.hash) {
				return nil, fmt.Errorf("%s: %w: the sha256 of %s differs from RECORD", file, ErrRecordMismatch, name)
			}
			if rec.size >= 0 && int64(len(data)) != rec.size {
				return nil, fmt.Errorf("%s: %w: %s is %d bytes, RECORD says %d", file, ErrRecordMismatch, name, len(data), rec.size)
			}
		}
		if !isELF(data) {
			continue
		}
		info, err := inspectELF(bytes.NewReader(data), path.Base(name))
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", file, name, err)
		}
		info.Path = name
		w.ELFs = append(w.ELFs, info)
	}
	return w, nil
}

// topLevelTxt is setuptools' list of a distribution's top-level names in
// its .dist-info directory.
const topLevelTxt = "top_level.txt"

// expandTags turns compressed tag sets (cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64)
// into single tags.
func expandTags(tags []string) []string {
	var out []string
	for _, t := range tags {
		parts := strings.SplitN(strings.TrimSpace(t), "-", 3)
		if len(parts) != 3 {
			out = append(out, t)
			continue
		}
		for _, py := range strings.Split(parts[0], ".") {
			for _, abi := range strings.Split(parts[1], ".") {
				for _, plat := range strings.Split(parts[2], ".") {
					out = append(out, py+"-"+abi+"-"+plat)
				}
			}
		}
	}
	return out
}

// unpackBudget enforces the decompressed-size cap across all entries of a
// wheel, on the bytes really produced rather than the sizes the headers claim.
type unpackBudget struct{ left int64 }

// maxPresize bounds how much of an entry's declared size is allocated
// before its bytes are read: a header may claim anything.
const maxPresize = 1 << 20

// readEntry decompresses one entry, counting it against budget and
// optionally hashing it as it streams. With onlyELF, an entry that does not
// start with the ELF magic is abandoned after its first bytes.
func readEntry(f *zip.File, budget *unpackBudget, hashIt, onlyELF bool) ([]byte, []byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrNotWheel, err)
	}
	defer rc.Close()
	var buf []byte
	if onlyELF {
		head := make([]byte, len(elfMagic))
		n, err := io.ReadFull(rc, head)
		if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
			return nil, nil, fmt.Errorf("%w: %v", ErrNotWheel, err)
		}
		if !isELF(head[:n]) {
			return head[:n], nil, nil
		}
		buf = head
		budget.left -= int64(n)
	}
	var h hash.Hash
	if hashIt {
		h = sha256.New()
		h.Write(buf)
	}
	allowed := budget.left
	start := len(buf)
	buf, err = readGrowing(io.LimitReader(rc, allowed+1), buf, f.UncompressedSize64, h)
	read := int64(len(buf) - start)
	budget.left -= read
	if read > allowed {
		return nil, nil, ErrTooLarge
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrNotWheel, err)
	}
	var sum []byte
	if h != nil {
		sum = h.Sum(nil)
	}
	return buf, sum, nil
}

// readGrowing appends all of r to buf, hashing what it reads into h when h
// is set. The buffer grows with what was really read, doubling; the
// declared size only decides where the last growth stops, once half of it
// has arrived, so an honest header costs no oversized final buffer and a
// lying one costs no more than the bytes behind it.
func readGrowing(r io.Reader, buf []byte, declared uint64, h hash.Hash) ([]byte, error) {
	if cap(buf)-len(buf) < 512 {
		buf = slices.Grow(buf, int(max(512, min(declared, maxPresize-1)+1)))
	}
	for {
		if len(buf) == cap(buf) {
			next := uint64(2 * cap(buf))
			if want := declared + 1; want > uint64(len(buf)) && want < next {
				next = want // +1 leaves room to see the end of the stream
			}
			buf = slices.Grow(buf, int(next)-len(buf))
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		if h != nil {
			h.Write(buf[len(buf) : len(buf)+n])
		}
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// checkEntryPath rejects entries that would escape the install directory.
func checkEntryPath(name string) error {
	if name == "" || strings.HasPrefix(name, "/") || strings.HasPrefix(name, `\`) ||
		(len(name) > 1 && name[1] == ':') {
		return fmt.Errorf("%w: %q is absolute", ErrUnsafePath, name)
	}
	for _, part := range strings.FieldsFunc(name, func(r rune) bool { return r == '/' || r == '\\' }) {
		if part == ".." {
			return fmt.Errorf("%w: %q contains ..", ErrUnsafePath, name)
		}
	}
	return nil
}

// parseHeaders reads an email-header style file (WHEEL, METADATA). Repeated
// keys keep every value, in order.
func parseHeaders(data []byte) (map[string][]string, error) {
	// A METADATA file may have no body and no blank line; net/mail needs
	// the header block to end.
	if !bytes.Contains(data, []byte("\n\n")) {
		data = append(append([]byte(nil), data...), '\n', '\n')
	}
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return msg.Header, nil
}

func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return strings.TrimSpace(vs[0])
}

type recordEntry struct {
	algo string
	hash []byte
	size int64 // -1 when not given
}

// parseRecord reads a RECORD file: CSV rows of path, algo=urlsafe-b64 hash,
// size.
func parseRecord(data []byte) (map[string]recordEntry, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRecordMismatch, err)
	}
	out := make(map[string]recordEntry, len(rows))
	for i, row := range rows {
		if len(row) == 0 || (len(row) == 1 && row[0] == "") {
			continue
		}
		if len(row) != 3 {
			return nil, fmt.Errorf("%w: line %d has %d fields, want 3", ErrRecordMismatch, i+1, len(row))
		}
		if err := checkEntryPath(row[0]); err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		e := recordEntry{size: -1}
		if row[1] != "" {
			algo, digest, ok := strings.Cut(row[1], "=")
			if !ok {
				return nil, fmt.Errorf("%w: line %d: hash %q is not algo=digest", ErrRecordMismatch, i+1, row[1])
			}
			sum, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(digest, "="))
			if err != nil {
				return nil, fmt.Errorf("%w: line %d: hash of %s is not urlsafe base64", ErrRecordMismatch, i+1, row[0])
			}
			e.algo, e.hash = algo, sum
		}
		if row[2] != "" {
			var n int64
			if _, err := fmt.Sscan(row[2], &n); err != nil || n < 0 {
				return nil, fmt.Errorf("%w: line %d: size %q is not a number", ErrRecordMismatch, i+1, row[2])
			}
			e.size = n
		}
		out[row[0]] = e
	}
	return out, nil
}

// checkRecordCoverage makes sure every file in the archive is listed with a
// hash, except RECORD itself and its signatures, and that RECORD lists no
// file the archive lacks.
func checkRecordCoverage(record map[string]recordEntry, entries []string, distInfo string) error {
	unhashed := map[string]bool{
		distInfo + "/RECORD":     true,
		distInfo + "/RECORD.jws": true,
		distInfo + "/RECORD.p7s": true,
	}
	present := make(map[string]bool, len(entries))
	for _, e := range entries {
		present[e] = true
		rec, ok := record[e]
		if unhashed[e] {
			continue
		}
		if !ok {
			return fmt.Errorf("%w: %s is not listed in RECORD", ErrRecordMismatch, e)
		}
		if rec.hash == nil {
			return fmt.Errorf("%w: %s has no hash in RECORD", ErrRecordMismatch, e)
		}
	}
	names := make([]string, 0, len(record))
	for name := range record {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !present[name] {
			return fmt.Errorf("%w: RECORD lists %s, which the wheel does not contain", ErrRecordMismatch, name)
		}
	}
	return nil
}

// inspectEntryLazily inspects an entry through the program headers while
// decompressing only as far as they reach; the rest of the entry is never
// inflated. Entries without the ELF magic stop after four bytes. It first
// keeps only the front segment and the dynamic section in memory, skipping
// what lies between (.text, .rodata); if the ELF needs a skipped byte after
// all, the entry is read again keeping everything up to the furthest read.
func inspectEntryLazily(f *zip.File, budget *unpackBudget) (elfInfo, bool, error) {
	info, isELF, err := inspectEntryOnce(f, budget, true)
	if errors.Is(err, errSkipped) {
		return inspectEntryOnce(f, budget, false)
	}
	return info, isELF, err
}

func inspectEntryOnce(f *zip.File, budget *unpackBudget, sparse bool) (elfInfo, bool, error) {
	rc, err := f.Open()
	if err != nil {
		return elfInfo{}, false, fmt.Errorf("%w: %v", ErrNotWheel, err)
	}
	defer rc.Close()
	lr := &lazyReader{r: rc, budget: budget, sparse: sparse}
	defer func() { lr.entered.Release() }()
	if sparse && f.Method == zip.Deflate {
		if raw, err := f.OpenRaw(); err == nil {
			if ra, ok := raw.(io.ReaderAt); ok {
				lr.enter = func(keep int64) (*tailflate.Tail, error) {
					return tailflate.Read(ra, int64(f.CompressedSize64), int64(f.UncompressedSize64), keep)
				}
				lr.size = int64(f.UncompressedSize64)
			}
		}
	}
	var head [4]byte
	if n, _ := lr.ReadAt(head[:], 0); !isELF(head[:n]) {
		return elfInfo{}, false, lr.err
	}
	info, err := inspectELFDynamic(lr, path.Base(f.Name))
	if lr.err != nil {
		return info, true, lr.err
	}
	return info, true, err
}

// errSkipped reports a read of bytes a sparse lazyReader already passed.
var errSkipped = errors.New("bytes already skipped")

// lazyReader gives random access to the front of a stream, decompressing
// only up to the furthest offset asked for. When sparse and told where the
// front ends (keepFront), it discards the bytes between the front and a
// later read instead of keeping them.
type lazyReader struct {
	r      io.Reader
	buf    []byte // bytes [0, len(buf)) of the stream
	eof    bool
	err    error // a failure of the stream itself (corrupt or truncated zip)
	budget *unpackBudget

	sparse  bool
	front   int64  // with sparse: bytes past this are not kept in buf
	pos     int64  // stream position once skipping started
	tail    []byte // bytes [tailOff, tailOff+len(tail))
	tailOff int64

	// enter, when set, decodes the stream's end from a block boundary
	// instead of inflating up to it (see tailflate); size is the stream's
	// inflated size.
	enter   func(keep int64) (*tailflate.Tail, error)
	size    int64
	entered *tailflate.Tail
}

// firstChunk is what a lazyReader inflates first: enough for an ELF's
// header and program headers, and little to waste on the many entries that
// are read only for their magic.
const firstChunk = 4 << 10

// Entering a stream mid-way decodes its end twice, so it pays only when the
// skipped stretch is large and the rest of the stream is small beside it.
const (
	minEnterSkip   = 4 << 20
	maxEnterTail   = 64 << 20
	enterAdvantage = 2
)

// readEntered serves a read past the front by decoding the stream's end
// from a block boundary near off. It reports false when that is not worth
// it, not possible, or not confirmed, and the caller inflates up to off.
// The bytes are used only when every one is known and the ELF's section
// headers, decoded with them, name exactly this range as a section: a wrong
// placement of the decoded bytes cannot pass that.
func (l *lazyReader) readEntered(p []byte, off int64) (int, bool) {
	skip, rest := off-l.pos, l.size-off
	if l.enter == nil || skip < minEnterSkip || rest <= 0 || rest > maxEnterTail || rest*enterAdvantage > skip {
		return 0, false
	}
	enter := l.enter
	l.enter = nil // one attempt per entry
	t, err := enter(off)
	if err != nil {
		return 0, false
	}
	l.budget.left -= t.Inflated
	if l.budget.left < 0 {
		l.err = ErrTooLarge
		return 0, false
	}
	b, ok := t.Bytes(off, int64(len(p)))
	if !ok || !isSectionOf(l.buf, t, off, int64(len(p))) {
		t.Release()
		return 0, false
	}
	l.entered = t
	return copy(p, b), true
}

var _ sparseReaderAt = (*lazyReader)(nil)

// keepFront says the reader may skip what lies past n bytes.
func (l *lazyReader) keepFront(n int64) {
	if l.sparse && l.front == 0 && n > 0 {
		l.front = n
	}
}

func (l *lazyReader) fill(dst []byte) int {
	n, err := io.ReadFull(l.r, dst)
	l.budget.left -= int64(n)
	switch {
	case l.budget.left < 0:
		l.err = ErrTooLarge
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		l.eof = true
	case err != nil:
		l.err = fmt.Errorf("%w: %v", ErrNotWheel, err)
	}
	return n
}

func (l *lazyReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	need := off + int64(len(p))
	if l.front > 0 && need > l.front && need > int64(len(l.buf)) {
		return l.readSparse(p, off)
	}
	if l.pos > int64(len(l.buf)) && need > int64(len(l.buf)) {
		return 0, errSkipped // the stream has moved past the front
	}
	for int64(len(l.buf)) < need && !l.eof && l.err == nil {
		// Grow with what the stream has really given: an offset from the
		// ELF's headers may lie far past its end. Most entries are not
		// ELF and are read for their magic alone, so the first chunk is
		// small.
		grow := min(max(need-int64(len(l.buf)), firstChunk), max(int64(len(l.buf)), firstChunk))
		if l.front > 0 {
			grow = min(grow, l.front-int64(len(l.buf)))
		}
		if grow > l.budget.left {
			grow = l.budget.left + 1
		}
		start := len(l.buf)
		l.buf = slices.Grow(l.buf, int(grow))[:start+int(grow)]
		n := l.fill(l.buf[start:])
		l.buf = l.buf[:start+n]
		if l.pos > 0 {
			// Entering the stream near its end left it here, at the end of
			// what is kept: reading on keeps the two in step.
			l.pos = int64(len(l.buf))
		}
	}
	if l.err != nil {
		return 0, l.err
	}
	if off >= int64(len(l.buf)) {
		return 0, io.EOF
	}
	n := copy(p, l.buf[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// readSparse serves a read past the front from the tail window, skipping
// forward in the stream as needed.
func (l *lazyReader) readSparse(p []byte, off int64) (int, error) {
	if l.pos == 0 {
		l.pos = int64(len(l.buf))
	}
	if l.entered != nil {
		// The inflating stream was left behind: only the decoded end is here.
		if b, ok := l.entered.Bytes(off, int64(len(p))); ok {
			return copy(p, b), nil
		}
		return 0, errSkipped
	}
	end := off + int64(len(p))
	if off >= l.tailOff && end <= l.tailOff+int64(len(l.tail)) && l.tail != nil {
		return copy(p, l.tail[off-l.tailOff:]), nil
	}
	if l.tail != nil && off < l.tailOff+int64(len(l.tail)) {
		return 0, errSkipped // overlaps or precedes the window: start over
	}
	if off < l.pos {
		return 0, errSkipped
	}
	if skip := off - l.pos; skip > 0 {
		if n, ok := l.readEntered(p, off); ok {
			return n, nil
		}
		if l.err != nil {
			return 0, l.err
		}
		n, err := discard(l.r, skip)
		l.pos += n
		l.budget.left -= n
		if l.budget.left < 0 {
			l.err = ErrTooLarge
			return 0, l.err
		}
		if err != nil {
			if err == io.EOF {
				return 0, io.EOF
			}
			l.err = fmt.Errorf("%w: %v", ErrNotWheel, err)
			return 0, l.err
		}
	}
	l.tail = make([]byte, len(p))
	n := l.fill(l.tail)
	l.tail, l.tailOff = l.tail[:n], off
	l.pos += int64(n)
	if l.err != nil {
		return 0, l.err
	}
	c := copy(p, l.tail)
	if c < len(p) {
		return c, io.EOF
	}
	return c, nil
}

// discard reads and drops n bytes in large reads: io.Discard's ReadFrom
// reads 8 KiB at a time, and each read crosses the zip and inflate layers.
func discard(r io.Reader, n int64) (int64, error) {
	buf := make([]byte, min(n, 1<<20))
	var done int64
	for done < n {
		k, err := io.ReadFull(r, buf[:min(int64(len(buf)), n-done)])
		done += int64(k)
		if err == io.ErrUnexpectedEOF {
			err = io.EOF
		}
		if err != nil {
			return done, err
		}
	}
	return done, nil
}
