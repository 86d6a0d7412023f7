package autopatch

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"strings"
)

// sparseReaderAt is what a reader that inflates a compressed entry lazily
// offers besides ReadAt (lazyReader does). Told where the front of the file
// ends, it may drop the bytes between that front and a later, far read
// instead of keeping them: the dynamic section of a large library lies
// behind megabytes of .text and .rodata that inspection never looks at.
type sparseReaderAt interface {
	io.ReaderAt
	// keepFront says that bytes past n are read only where asked, so the
	// stretch between n and a later read need not be kept.
	keepFront(n int64)
}

// Limits on what the file's own headers may ask for. Real libraries stay
// far below them; a crafted header must not make a read cost more.
const (
	maxELFRead      = 64 << 20 // one table or section read whole
	maxELFOffset    = 1 << 40  // any file offset
	maxVersionSteps = 1 << 14  // version need records and entries together
	maxDynSymbols   = 1 << 22
	maxGNUHashWalk  = 1 << 22
)

// inspectELFDynamic reads the facts inspection needs from an ELF file
// through its program headers, as the dynamic loader does: the ELF header,
// PT_INTERP, PT_DYNAMIC and what the dynamic section points at (dynstr, the
// version needs, dynsym). Linkers put all of these in the first read-only
// segment, at the front of the file, so when r decompresses lazily the bulk
// of a large library (.text, .rodata, debug sections) is never inflated.
// The section headers, at the end, are checked last, as patchelf needs them.
//
// Every offset and size comes from the file and is checked before use; a
// bad one is an error wrapping ErrBadELF.
func inspectELFDynamic(r io.ReaderAt, base string) (elfInfo, error) {
	var info elfInfo
	hdr, err := readELFHeader(r)
	if err != nil {
		return info, err
	}
	info.Class = strings.TrimPrefix(hdr.class.String(), "ELFCLASS")
	info.Machine = machineName(&elf.File{FileHeader: elf.FileHeader{Machine: hdr.machine, Data: hdr.data}})
	info.versionNeeds = map[string][]string{}

	img := &elfImage{r: r, hdr: hdr}
	segs, err := img.readProgramHeaders()
	if err != nil {
		return info, err
	}
	dyn := firstSegment(segs, elf.PT_DYNAMIC)
	img.keepFrontBefore(dyn)
	if info.Interpreter, err = img.interpreter(segs); err != nil {
		return info, err
	}
	if dyn == nil {
		return info, nil // static: needs nothing at run time
	}
	raw, err := img.read(dyn.off, dyn.filesz, "dynamic section")
	if err != nil {
		return info, err
	}
	d := parseDynamic(raw, hdr)
	strOff, ok := img.fileOffset(d.tags[elf.DT_STRTAB])
	if !ok {
		if d.refersToStrings() {
			return info, fmt.Errorf("%w: DT_STRTAB is outside every loaded segment", ErrBadELF)
		}
		return info, nil
	}
	raw, err = img.read(strOff, d.tags[elf.DT_STRSZ], "dynamic string table")
	if err != nil {
		return info, err
	}
	strs := stringTable(raw)
	if err := d.names(strs, &info); err != nil {
		return info, err
	}
	if err := img.versionNeeds(d, strs, info.versionNeeds); err != nil {
		return info, err
	}
	if info.PythonExtension, err = img.hasPythonInit(d, strs, base); err != nil {
		return info, err
	}
	// Last: the section headers lie at the end of the file, past
	// everything read above, so a lazy reader reaches them moving forward.
	return info, hdr.sections.check(r, hdr.order, hdr.class == elf.ELFCLASS64)
}

// elfHeader is what inspection uses of the ELF header.
type elfHeader struct {
	class     elf.Class
	data      elf.Data
	order     binary.ByteOrder
	machine   elf.Machine
	phoff     uint64
	phentsize int
	phnum     int
	sections  sectionTable
}

// readELFHeader reads and checks the identification and the header of
// either class.
func readELFHeader(r io.ReaderAt) (elfHeader, error) {
	var h elfHeader
	var ident [elf.EI_NIDENT]byte
	if _, err := r.ReadAt(ident[:], 0); err != nil {
		return h, fmt.Errorf("%w: header: %v", ErrBadELF, err)
	}
	if !isELF(ident[:]) {
		return h, fmt.Errorf("%w: no ELF magic", ErrBadELF)
	}
	order, ok := byteOrder(ident[:])
	if !ok {
		return h, fmt.Errorf("%w: unknown data encoding %d", ErrBadELF, ident[elf.EI_DATA])
	}
	h.class, h.data, h.order = elf.Class(ident[elf.EI_CLASS]), elf.Data(ident[elf.EI_DATA]), order
	switch h.class {
	case elf.ELFCLASS64:
		var eh elf.Header64
		if err := binary.Read(io.NewSectionReader(r, 0, 64), order, &eh); err != nil {
			return h, fmt.Errorf("%w: header: %v", ErrBadELF, err)
		}
		h.machine, h.phoff, h.phentsize, h.phnum = elf.Machine(eh.Machine), eh.Phoff, int(eh.Phentsize), int(eh.Phnum)
		if h.phnum > 0 && h.phentsize < 56 {
			return h, fmt.Errorf("%w: program header size %d", ErrBadELF, h.phentsize)
		}
		if eh.Ehsize != 64 {
			return h, fmt.Errorf("%w: header size %d does not match the 64-bit class", ErrBadELF, eh.Ehsize)
		}
		h.sections = sectionTable{off: eh.Shoff, entSize: int(eh.Shentsize), num: int(eh.Shnum), strndx: int(eh.Shstrndx), wantEntSize: 64}
	case elf.ELFCLASS32:
		var eh elf.Header32
		if err := binary.Read(io.NewSectionReader(r, 0, 52), order, &eh); err != nil {
			return h, fmt.Errorf("%w: header: %v", ErrBadELF, err)
		}
		h.machine, h.phoff, h.phentsize, h.phnum = elf.Machine(eh.Machine), uint64(eh.Phoff), int(eh.Phentsize), int(eh.Phnum)
		if h.phnum > 0 && h.phentsize < 32 {
			return h, fmt.Errorf("%w: program header size %d", ErrBadELF, h.phentsize)
		}
		if eh.Ehsize != 52 {
			return h, fmt.Errorf("%w: header size %d does not match the 32-bit class", ErrBadELF, eh.Ehsize)
		}
		h.sections = sectionTable{off: uint64(eh.Shoff), entSize: int(eh.Shentsize), num: int(eh.Shnum), strndx: int(eh.Shstrndx), wantEntSize: 40}
	default:
		return h, fmt.Errorf("%w: unknown class %d", ErrBadELF, ident[elf.EI_CLASS])
	}
	if h.phnum > 0 && h.phoff > maxELFOffset {
		return h, fmt.Errorf("%w: program headers at %d is implausible", ErrBadELF, h.phoff)
	}
	return h, h.sections.checkHeader()
}

// segment is one program header, in either class.
type segment struct{ typ, off, vaddr, filesz uint64 }

func firstSegment(segs []segment, typ elf.ProgType) *segment {
	for i := range segs {
		if elf.ProgType(segs[i].typ) == typ {
			return &segs[i]
		}
	}
	return nil
}

// elfImage reads an ELF file as the loader maps it: addresses from the
// dynamic section become file offsets through the PT_LOAD segments.
type elfImage struct {
	r     io.ReaderAt
	hdr   elfHeader
	loads []segment
}

func (img *elfImage) readProgramHeaders() ([]segment, error) {
	h := img.hdr
	segs := make([]segment, 0, min(h.phnum, 64))
	for i := 0; i < h.phnum; i++ {
		off := int64(h.phoff) + int64(i*h.phentsize)
		var s segment
		if h.class == elf.ELFCLASS64 {
			var p elf.Prog64
			if err := binary.Read(io.NewSectionReader(img.r, off, 56), h.order, &p); err != nil {
				return nil, fmt.Errorf("%w: program header %d: %v", ErrBadELF, i, err)
			}
			s = segment{uint64(p.Type), p.Off, p.Vaddr, p.Filesz}
		} else {
			var p elf.Prog32
			if err := binary.Read(io.NewSectionReader(img.r, off, 32), h.order, &p); err != nil {
				return nil, fmt.Errorf("%w: program header %d: %v", ErrBadELF, i, err)
			}
			s = segment{uint64(p.Type), uint64(p.Off), uint64(p.Vaddr), uint64(p.Filesz)}
		}
		segs = append(segs, s)
		if elf.ProgType(s.typ) == elf.PT_LOAD {
			img.loads = append(img.loads, s)
		}
	}
	return segs, nil
}

// keepFrontBefore tells a sparse reader that the front of the file ends
// with the first loaded segment. Linkers put the dynamic symbols, strings
// and version needs there, and .dynamic itself after .text and .rodata.
func (img *elfImage) keepFrontBefore(dyn *segment) {
	sr, ok := img.r.(sparseReaderAt)
	if !ok || len(img.loads) == 0 || dyn == nil {
		return
	}
	first := img.loads[0]
	if first.off > maxELFOffset || first.filesz > maxELFOffset {
		return
	}
	if front := int64(first.off + first.filesz); front > 0 && uint64(front) <= dyn.off && front < maxELFRead {
		sr.keepFront(front)
	}
}

// read returns n bytes at off. Sizes come from the file's own headers: the
// buffer grows with the bytes really there, so a lying size costs what the
// file holds.
func (img *elfImage) read(off, n uint64, what string) ([]byte, error) {
	if n > maxELFRead || off > maxELFOffset {
		return nil, fmt.Errorf("%w: %s of %d bytes at %d is implausible", ErrBadELF, what, n, off)
	}
	b := make([]byte, 0, min(n, 64<<10))
	for uint64(len(b)) < n {
		k := min(n-uint64(len(b)), uint64(max(len(b), 64<<10)))
		start := len(b)
		b = slices.Grow(b, int(k))[:start+int(k)]
		got, err := img.r.ReadAt(b[start:], int64(off)+int64(start))
		if err == nil && got < int(k) {
			err = io.ErrUnexpectedEOF // a ReaderAt may return short without saying why
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrBadELF, what, err)
		}
	}
	return b, nil
}

// fileOffset maps a virtual address to a file offset through the PT_LOAD
// segment holding it.
func (img *elfImage) fileOffset(addr uint64) (uint64, bool) {
	for _, l := range img.loads {
		if addr >= l.vaddr && addr-l.vaddr < l.filesz {
			return l.off + (addr - l.vaddr), true
		}
	}
	return 0, false
}

// interpreter is PT_INTERP's path, or "".
func (img *elfImage) interpreter(segs []segment) (string, error) {
	var interp string
	for _, s := range segs {
		if elf.ProgType(s.typ) != elf.PT_INTERP {
			continue
		}
		b, err := img.read(s.off, min(s.filesz, 4096), "PT_INTERP")
		if err != nil {
			return "", err
		}
		interp = string(bytes.TrimRight(b, "\x00"))
	}
	return interp, nil
}

// dynamicEntries are the entries of the dynamic section inspection uses.
// Strings are offsets into the dynamic string table.
type dynamicEntries struct {
	needed, rpath, runpath []uint64
	soname                 uint64
	hasSoname              bool
	// tags holds the first value of each table-locating tag.
	tags map[elf.DynTag]uint64
}

// parseDynamic decodes the dynamic section up to DT_NULL.
func parseDynamic(raw []byte, h elfHeader) dynamicEntries {
	d := dynamicEntries{tags: map[elf.DynTag]uint64{}}
	entSize := 16
	if h.class == elf.ELFCLASS32 {
		entSize = 8
	}
	for i := 0; i+entSize <= len(raw); i += entSize {
		var tag elf.DynTag
		var val uint64
		if h.class == elf.ELFCLASS64 {
			tag, val = elf.DynTag(int64(h.order.Uint64(raw[i:]))), h.order.Uint64(raw[i+8:])
		} else {
			tag, val = elf.DynTag(int32(h.order.Uint32(raw[i:]))), uint64(h.order.Uint32(raw[i+4:]))
		}
		switch tag {
		case elf.DT_NULL:
			return d
		case elf.DT_NEEDED:
			d.needed = append(d.needed, val)
		case elf.DT_RPATH:
			d.rpath = append(d.rpath, val)
		case elf.DT_RUNPATH:
			d.runpath = append(d.runpath, val)
		case elf.DT_SONAME:
			d.soname, d.hasSoname = val, true
		case elf.DT_STRTAB, elf.DT_STRSZ, elf.DT_VERNEED, elf.DT_VERNEEDNUM, elf.DT_SYMTAB,
			elf.DT_SYMENT, elf.DT_HASH, elf.DT_GNU_HASH:
			if _, seen := d.tags[tag]; !seen {
				d.tags[tag] = val
			}
		}
	}
	return d
}

// refersToStrings reports whether any entry needs the string table.
func (d dynamicEntries) refersToStrings() bool {
	return len(d.needed)+len(d.rpath)+len(d.runpath) > 0 || d.hasSoname
}

// names fills in the needed sonames, the SONAME and the search paths, each
// path list split at colons.
func (d dynamicEntries) names(strs stringTable, info *elfInfo) error {
	var err error
	if info.Needed, err = strs.all(d.needed); err != nil {
		return err
	}
	if d.hasSoname {
		if info.Soname, err = strs.at(d.soname); err != nil {
			return err
		}
	}
	for _, pair := range []struct {
		offs []uint64
		dst  *[]string
	}{{d.rpath, &info.RPath}, {d.runpath, &info.RunPath}} {
		vals, err := strs.all(pair.offs)
		if err != nil {
			return err
		}
		*pair.dst = []string{}
		for _, v := range vals {
			for _, p := range strings.Split(v, ":") {
				if p != "" {
					*pair.dst = append(*pair.dst, p)
				}
			}
		}
	}
	return nil
}

// stringTable is the dynamic string table: NUL-terminated strings found by
// offset.
type stringTable []byte

func (s stringTable) at(off uint64) (string, error) {
	if off >= uint64(len(s)) {
		return "", fmt.Errorf("%w: string offset %d outside the dynamic string table", ErrBadELF, off)
	}
	b := s[off:]
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b), nil
}

func (s stringTable) all(offs []uint64) ([]string, error) {
	out := []string{}
	for _, o := range offs {
		v, err := s.at(o)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// versionNeeds adds every version the Elf_Verneed records ask for, each
// with its chain of Elf_Vernaux, to needs by prefix.
func (img *elfImage) versionNeeds(d dynamicEntries, strs stringTable, needs map[string][]string) error {
	vaddr, ok := d.tags[elf.DT_VERNEED]
	if !ok {
		return nil
	}
	off, ok := img.fileOffset(vaddr)
	if !ok {
		return fmt.Errorf("%w: DT_VERNEED is outside every loaded segment", ErrBadELF)
	}
	bo := img.hdr.order
	count := d.tags[elf.DT_VERNEEDNUM]
	// Real tables hold a few dozen records; a budget on the total keeps a
	// crafted one (65535 aux records per entry) from costing minutes.
	steps := maxVersionSteps
	for i := uint64(0); i < count && steps > 0; i++ {
		vn, err := img.read(off, 16, "version need")
		if err != nil {
			return err
		}
		cnt, aux, next := bo.Uint16(vn[2:]), bo.Uint32(vn[8:]), bo.Uint32(vn[12:])
		aoff := off + uint64(aux)
		for j := 0; j < int(cnt) && steps > 0; j++ {
			steps--
			va, err := img.read(aoff, 16, "version need entry")
			if err != nil {
				return err
			}
			name, err := strs.at(uint64(bo.Uint32(va[8:])))
			if err != nil {
				return err
			}
			if prefix, version, ok := splitVersionName(name); ok {
				needs[prefix] = append(needs[prefix], version)
			}
			anext := bo.Uint32(va[12:])
			if anext == 0 {
				break
			}
			aoff += uint64(anext)
		}
		steps--
		if next == 0 {
			break
		}
		off += uint64(next)
	}
	return nil
}

// hasPythonInit scans the dynamic symbols for a module init function. The
// symbol count comes from DT_HASH, else DT_GNU_HASH, else the gap up to the
// string table (where linkers put .dynstr right after .dynsym).
func (img *elfImage) hasPythonInit(d dynamicEntries, strs stringTable, base string) (bool, error) {
	symAddr, ok := d.tags[elf.DT_SYMTAB]
	if !ok {
		return false, nil
	}
	symOff, ok := img.fileOffset(symAddr)
	if !ok {
		return false, fmt.Errorf("%w: DT_SYMTAB is outside every loaded segment", ErrBadELF)
	}
	is64, bo := img.hdr.class == elf.ELFCLASS64, img.hdr.order
	symSize := uint64(24)
	if !is64 {
		symSize = 16
	}
	count, err := img.dynamicSymbolCount(d, symAddr, symSize)
	if err != nil {
		return false, err
	}
	syms, err := img.read(symOff, count*symSize, "dynamic symbols")
	if err != nil {
		return false, err
	}
	module, _, _ := strings.Cut(base, ".")
	for i := uint64(0); i < count; i++ {
		s := syms[i*symSize:]
		var nameOff uint32
		var shndx uint16
		if is64 {
			nameOff, shndx = bo.Uint32(s), bo.Uint16(s[6:])
		} else {
			nameOff, shndx = bo.Uint32(s), bo.Uint16(s[14:])
		}
		if shndx == uint16(elf.SHN_UNDEF) || nameOff == 0 {
			continue
		}
		name, err := strs.at(uint64(nameOff))
		if err != nil {
			return false, err
		}
		if strings.HasPrefix(name, "PyInit_") || strings.HasPrefix(name, "_cffi_pypyinit_") ||
			(module != "" && name == "init"+module) {
			return true, nil
		}
	}
	return false, nil
}

func (img *elfImage) dynamicSymbolCount(d dynamicEntries, symAddr, symSize uint64) (uint64, error) {
	var count uint64
	if h, ok := d.tags[elf.DT_HASH]; ok {
		if off, ok := img.fileOffset(h); ok {
			b, err := img.read(off, 8, "DT_HASH")
			if err != nil {
				return 0, err
			}
			count = uint64(img.hdr.order.Uint32(b[4:]))
		}
	} else if h, ok := d.tags[elf.DT_GNU_HASH]; ok {
		off, ok := img.fileOffset(h)
		if !ok {
			return 0, fmt.Errorf("%w: DT_GNU_HASH is outside every loaded segment", ErrBadELF)
		}
		c, err := img.gnuHashCount(off)
		if err != nil {
			return 0, err
		}
		count = c
	} else if s := d.tags[elf.DT_STRTAB]; s > symAddr {
		count = (s - symAddr) / symSize
	}
	if count > maxDynSymbols {
		return 0, fmt.Errorf("%w: %d dynamic symbols is implausible", ErrBadELF, count)
	}
	return count, nil
}

// gnuHashCount finds the number of dynamic symbols from a GNU hash table:
// the highest symbol any bucket starts at, followed along its chain to the
// entry with the low bit set.
func (img *elfImage) gnuHashCount(off uint64) (uint64, error) {
	bo := img.hdr.order
	hdr, err := img.read(off, 16, "DT_GNU_HASH")
	if err != nil {
		return 0, err
	}
	nbuckets, symoffset, bloomSize := uint64(bo.Uint32(hdr)), uint64(bo.Uint32(hdr[4:])), uint64(bo.Uint32(hdr[8:]))
	word := uint64(8)
	if img.hdr.class == elf.ELFCLASS32 {
		word = 4
	}
	if nbuckets > maxDynSymbols || bloomSize > maxDynSymbols {
		return 0, fmt.Errorf("%w: GNU hash table sizes are implausible", ErrBadELF)
	}
	bucketsOff := off + 16 + bloomSize*word
	buckets, err := img.read(bucketsOff, nbuckets*4, "GNU hash buckets")
	if err != nil {
		return 0, err
	}
	var last uint64
	for i := uint64(0); i < nbuckets; i++ {
		last = max(last, uint64(bo.Uint32(buckets[i*4:])))
	}
	if last < symoffset {
		return symoffset, nil
	}
	chainOff := bucketsOff + nbuckets*4
	for n := 0; n < maxGNUHashWalk; n++ {
		b, err := img.read(chainOff+(last-symoffset)*4, 4, "GNU hash chain")
		if err != nil {
			return 0, err
		}
		if bo.Uint32(b)&1 == 1 {
			return last + 1, nil
		}
		last++
	}
	return 0, fmt.Errorf("%w: GNU hash chain does not end", ErrBadELF)
}

// sectionTable is where the ELF header says the section headers are. The
// dynamic loader never reads them, but patchelf and autoPatchelf do, so a
// file whose table is broken fails its Nix build: both modes refuse it the
// same way, from the same bytes.
type sectionTable struct {
	off                  uint64
	entSize, num, strndx int
	wantEntSize          int
}

func (s sectionTable) checkHeader() error {
	switch {
	case s.off == 0 && s.num != 0:
		return fmt.Errorf("%w: %d section headers at offset 0", ErrBadELF, s.num)
	case s.off != 0 && s.num == 0:
		// Extended numbering keeps the count in the first header; only
		// objects with more than 65279 sections need it.
		return fmt.Errorf("%w: extended section numbering is not supported", ErrBadELF)
	case s.num > 0 && s.entSize != s.wantEntSize:
		return fmt.Errorf("%w: section header size %d, want %d", ErrBadELF, s.entSize, s.wantEntSize)
	case s.num > 0 && s.strndx >= s.num:
		return fmt.Errorf("%w: section name table index %d, but only %d sections", ErrBadELF, s.strndx, s.num)
	case s.off > maxELFOffset:
		return fmt.Errorf("%w: section headers at %d is implausible", ErrBadELF, s.off)
	}
	return nil
}

// section is one section header's type and file range, in either class.
type section struct{ typ, off, size uint64 }

// sectionAt decodes entry i of a section header table already read whole
// (its length is a multiple of entSize, which checkHeader fixed at 64 or
// 40 bytes).
func sectionAt(table []byte, i, entSize int, bo binary.ByteOrder, is64 bool) section {
	e := table[i*entSize:]
	if is64 {
		return section{uint64(bo.Uint32(e[4:])), bo.Uint64(e[0x18:]), bo.Uint64(e[0x20:])}
	}
	return section{uint64(bo.Uint32(e[4:])), uint64(bo.Uint32(e[0x10:])), uint64(bo.Uint32(e[0x14:]))}
}

// check reads the section headers and refuses a table whose sections do
// not lie inside the file, or whose name table is not a string table.
func (s sectionTable) check(r io.ReaderAt, bo binary.ByteOrder, is64 bool) error {
	if s.num == 0 {
		return nil
	}
	table := make([]byte, s.num*s.entSize)
	if _, err := r.ReadAt(table, int64(s.off)); err != nil {
		return fmt.Errorf("%w: section headers: %w", ErrBadELF, err)
	}
	tableEnd := s.off + uint64(len(table))
	var furthest uint64
	for i := 0; i < s.num; i++ {
		sec := sectionAt(table, i, s.entSize, bo, is64)
		typ := elf.SectionType(sec.typ)
		if i == s.strndx && s.strndx != 0 && typ != elf.SHT_STRTAB {
			return fmt.Errorf("%w: section name table (section %d) has type %v", ErrBadELF, i, typ)
		}
		if typ == elf.SHT_NOBITS || typ == elf.SHT_NULL {
			continue
		}
		end := sec.off + sec.size
		if end < sec.off || end > maxELFOffset {
			return fmt.Errorf("%w: section %d of %d bytes at %d is implausible", ErrBadELF, i, sec.size, sec.off)
		}
		furthest = max(furthest, end)
	}
	if furthest > tableEnd {
		// The table was read, so the file reaches its end; a section
		// reaching further must be checked by reading its last byte.
		var b [1]byte
		if _, err := r.ReadAt(b[:], int64(furthest-1)); err != nil {
			return fmt.Errorf("%w: a section ends at %d, past the end of the file", ErrBadELF, furthest)
		}
	}
	return nil
}

// byteOrder is the byte order an ELF identification names.
func byteOrder(ident []byte) (binary.ByteOrder, bool) {
	switch elf.Data(ident[elf.EI_DATA]) {
	case elf.ELFDATA2LSB:
		return binary.LittleEndian, true
	case elf.ELFDATA2MSB:
		return binary.BigEndian, true
	}
	return nil, false
}

// byteRanges is part of a file decoded on its own (tailflate's decoded end
// of a deflate stream): it serves only the ranges it holds.
type byteRanges interface {
	Bytes(off, n int64) ([]byte, bool)
}

// isSectionOf reports whether the section header table, read from head
// (the ELF header) and t (the decoded end of the file), is intact where the
// header says it is and lists a section at exactly [off, off+size). It
// confirms that t's bytes sit at the right offsets: misplaced by any amount,
// the table would be read from the wrong bytes, its null first entry and
// string table entry would not be where they must be, or no entry would
// name this range.
func isSectionOf(head []byte, t byteRanges, off, size int64) bool {
	if len(head) < 64 || !isELF(head) {
		return false
	}
	bo, ok := byteOrder(head)
	if !ok {
		return false
	}
	var shoff uint64
	var entSize, num, strndx int
	is64 := elf.Class(head[elf.EI_CLASS]) == elf.ELFCLASS64
	if is64 {
		shoff = bo.Uint64(head[0x28:])
		entSize, num, strndx = int(bo.Uint16(head[0x3a:])), int(bo.Uint16(head[0x3c:])), int(bo.Uint16(head[0x3e:]))
		if entSize != 64 {
			return false
		}
	} else {
		shoff = uint64(bo.Uint32(head[0x20:]))
		entSize, num, strndx = int(bo.Uint16(head[0x2e:])), int(bo.Uint16(head[0x30:])), int(bo.Uint16(head[0x32:]))
		if entSize != 40 {
			return false
		}
	}
	if num == 0 || strndx >= num || off < 0 || shoff <= uint64(off) || shoff > maxELFOffset {
		return false
	}
	table, ok := t.Bytes(int64(shoff), int64(num*entSize))
	if !ok || len(table) < num*entSize {
		return false
	}
	for _, b := range table[:entSize] {
		if b != 0 {
			return false
		}
	}
	if elf.SectionType(sectionAt(table, strndx, entSize, bo, is64).typ) != elf.SHT_STRTAB {
		return false
	}
	for i := 1; i < num; i++ {
		s := sectionAt(table, i, entSize, bo, is64)
		if elf.SectionType(s.typ) != elf.SHT_NOBITS && s.off == uint64(off) && s.size == uint64(size) {
			return true
		}
	}
	return false
}
