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

// inspectELFDynamic reads the same facts as inspectELF but only through the
// program headers: the ELF header, PT_INTERP, PT_DYNAMIC and what the
// dynamic section points at (dynstr, the version needs, dynsym). Linkers put
// all of these in the first read-only segment, at the front of the file, so
// when r decompresses lazily the bulk of a large library (.text, .rodata,
// debug sections, the section headers at the end) is never inflated.
func inspectELFDynamic(r io.ReaderAt, base string) (info elfInfo, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: panicked: %v", ErrBadELF, p)
		}
	}()
	var ident [elf.EI_NIDENT]byte
	if _, err := r.ReadAt(ident[:], 0); err != nil {
		return info, fmt.Errorf("%w: header: %v", ErrBadELF, err)
	}
	if !isELF(ident[:]) {
		return info, fmt.Errorf("%w: no ELF magic", ErrBadELF)
	}
	bo, ok := byteOrder(ident[:])
	if !ok {
		return info, fmt.Errorf("%w: unknown data encoding %d", ErrBadELF, ident[elf.EI_DATA])
	}
	class := elf.Class(ident[elf.EI_CLASS])
	var machine elf.Machine
	var phoff uint64
	var phentsize, phnum int
	var sh sectionTable
	switch class {
	case elf.ELFCLASS64:
		var h elf.Header64
		if err := binary.Read(io.NewSectionReader(r, 0, 64), bo, &h); err != nil {
			return info, fmt.Errorf("%w: header: %v", ErrBadELF, err)
		}
		machine, phoff, phentsize, phnum = elf.Machine(h.Machine), h.Phoff, int(h.Phentsize), int(h.Phnum)
		if phnum > 0 && phentsize < 56 {
			return info, fmt.Errorf("%w: program header size %d", ErrBadELF, phentsize)
		}
		if h.Ehsize != 64 {
			return info, fmt.Errorf("%w: header size %d does not match the 64-bit class", ErrBadELF, h.Ehsize)
		}
		sh = sectionTable{off: h.Shoff, entSize: int(h.Shentsize), num: int(h.Shnum), strndx: int(h.Shstrndx), wantEntSize: 64}
	case elf.ELFCLASS32:
		var h elf.Header32
		if err := binary.Read(io.NewSectionReader(r, 0, 52), bo, &h); err != nil {
			return info, fmt.Errorf("%w: header: %v", ErrBadELF, err)
		}
		machine, phoff, phentsize, phnum = elf.Machine(h.Machine), uint64(h.Phoff), int(h.Phentsize), int(h.Phnum)
		if phnum > 0 && phentsize < 32 {
			return info, fmt.Errorf("%w: program header size %d", ErrBadELF, phentsize)
		}
		if h.Ehsize != 52 {
			return info, fmt.Errorf("%w: header size %d does not match the 32-bit class", ErrBadELF, h.Ehsize)
		}
		sh = sectionTable{off: uint64(h.Shoff), entSize: int(h.Shentsize), num: int(h.Shnum), strndx: int(h.Shstrndx), wantEntSize: 40}
	default:
		return info, fmt.Errorf("%w: unknown class %d", ErrBadELF, ident[elf.EI_CLASS])
	}
	if err := sh.checkHeader(); err != nil {
		return info, err
	}
	info.Class = strings.TrimPrefix(class.String(), "ELFCLASS")
	info.Machine = machineName(&elf.File{FileHeader: elf.FileHeader{Machine: machine, Data: elf.Data(ident[elf.EI_DATA])}})
	info.versionNeeds = map[string][]string{}

	type seg struct{ typ, off, vaddr, filesz uint64 }
	var segs []seg
	var loads []seg
	for i := 0; i < phnum; i++ {
		off := int64(phoff) + int64(i*phentsize)
		var s seg
		if class == elf.ELFCLASS64 {
			var p elf.Prog64
			if err := binary.Read(io.NewSectionReader(r, off, 56), bo, &p); err != nil {
				return info, fmt.Errorf("%w: program header %d: %v", ErrBadELF, i, err)
			}
			s = seg{uint64(p.Type), p.Off, p.Vaddr, p.Filesz}
		} else {
			var p elf.Prog32
			if err := binary.Read(io.NewSectionReader(r, off, 32), bo, &p); err != nil {
				return info, fmt.Errorf("%w: program header %d: %v", ErrBadELF, i, err)
			}
			s = seg{uint64(p.Type), uint64(p.Off), uint64(p.Vaddr), uint64(p.Filesz)}
		}
		segs = append(segs, s)
		if elf.ProgType(s.typ) == elf.PT_LOAD {
			loads = append(loads, s)
		}
	}
	readAt := func(off, n uint64, what string) ([]byte, error) {
		if n > 64<<20 || off > 1<<40 {
			return nil, fmt.Errorf("%w: %s of %d bytes at %d is implausible", ErrBadELF, what, n, off)
		}
		// Sizes come from the file's own headers: the buffer grows with the
		// bytes really there, so a lying size costs what the file holds.
		b := make([]byte, 0, min(n, 64<<10))
		for uint64(len(b)) < n {
			k := min(n-uint64(len(b)), uint64(max(len(b), 64<<10)))
			start := len(b)
			b = slices.Grow(b, int(k))[:start+int(k)]
			if _, err := r.ReadAt(b[start:], int64(off)+int64(start)); err != nil {
				return nil, fmt.Errorf("%w: %s: %w", ErrBadELF, what, err)
			}
		}
		return b, nil
	}
	// addrToOff maps a virtual address from the dynamic section to a file
	// offset through the PT_LOAD segment holding it.
	addrToOff := func(addr uint64) (uint64, bool) {
		for _, l := range loads {
			if addr >= l.vaddr && addr-l.vaddr < l.filesz {
				return l.off + (addr - l.vaddr), true
			}
		}
		return 0, false
	}

	var dyn *seg
	for i := range segs {
		if elf.ProgType(segs[i].typ) == elf.PT_DYNAMIC && dyn == nil {
			dyn = &segs[i]
		}
	}
	// Linkers put the dynamic symbols, strings and version needs in the
	// first loaded segment, and .dynamic itself after .text and .rodata. A
	// lazily inflating reader may drop what lies between.
	if k, ok := r.(interface{ keepFront(int64) }); ok && len(loads) > 0 && dyn != nil {
		front := int64(loads[0].off + loads[0].filesz)
		if front > 0 && uint64(front) <= dyn.off && front < 64<<20 {
			k.keepFront(front)
		}
	}
	for i := range segs {
		switch elf.ProgType(segs[i].typ) {
		case elf.PT_INTERP:
			b, err := readAt(segs[i].off, min(segs[i].filesz, 4096), "PT_INTERP")
			if err != nil {
				return info, err
			}
			info.Interpreter = string(bytes.TrimRight(b, "\x00"))
		}
	}
	if dyn == nil {
		return info, nil // static: needs nothing at run time
	}
	raw, err := readAt(dyn.off, dyn.filesz, "dynamic section")
	if err != nil {
		return info, err
	}
	entSize := 16
	if class == elf.ELFCLASS32 {
		entSize = 8
	}
	var needed, rpath, runpath []uint64
	var soname uint64
	hasSoname := false
	tags := map[elf.DynTag]uint64{}
	for i := 0; i+entSize <= len(raw); i += entSize {
		var tag elf.DynTag
		var val uint64
		if class == elf.ELFCLASS64 {
			tag, val = elf.DynTag(int64(bo.Uint64(raw[i:]))), bo.Uint64(raw[i+8:])
		} else {
			tag, val = elf.DynTag(int32(bo.Uint32(raw[i:]))), uint64(bo.Uint32(raw[i+4:]))
		}
		switch tag {
		case elf.DT_NULL:
			i = len(raw)
		case elf.DT_NEEDED:
			needed = append(needed, val)
		case elf.DT_RPATH:
			rpath = append(rpath, val)
		case elf.DT_RUNPATH:
			runpath = append(runpath, val)
		case elf.DT_SONAME:
			soname, hasSoname = val, true
		case elf.DT_STRTAB, elf.DT_STRSZ, elf.DT_VERNEED, elf.DT_VERNEEDNUM, elf.DT_SYMTAB,
			elf.DT_SYMENT, elf.DT_HASH, elf.DT_GNU_HASH:
			if _, seen := tags[tag]; !seen {
				tags[tag] = val
			}
		}
	}
	strOff, ok := addrToOff(tags[elf.DT_STRTAB])
	if !ok {
		if len(needed)+len(rpath)+len(runpath) > 0 || hasSoname {
			return info, fmt.Errorf("%w: DT_STRTAB is outside every loaded segment", ErrBadELF)
		}
		return info, nil
	}
	strtab, err := readAt(strOff, tags[elf.DT_STRSZ], "dynamic string table")
	if err != nil {
		return info, err
	}
	str := func(off uint64) (string, error) {
		if off >= uint64(len(strtab)) {
			return "", fmt.Errorf("%w: string offset %d outside the dynamic string table", ErrBadELF, off)
		}
		s := strtab[off:]
		if i := bytes.IndexByte(s, 0); i >= 0 {
			s = s[:i]
		}
		return string(s), nil
	}
	strs := func(offs []uint64) ([]string, error) {
		out := []string{}
		for _, o := range offs {
			s, err := str(o)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	if info.Needed, err = strs(needed); err != nil {
		return info, err
	}
	if hasSoname {
		if info.Soname, err = str(soname); err != nil {
			return info, err
		}
	}
	for _, pair := range []struct {
		offs []uint64
		dst  *[]string
	}{{rpath, &info.RPath}, {runpath, &info.RunPath}} {
		vals, err := strs(pair.offs)
		if err != nil {
			return info, err
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

	// Version needs: Elf_Verneed records, each with a chain of Elf_Vernaux.
	if vaddr, ok := tags[elf.DT_VERNEED]; ok {
		off, ok := addrToOff(vaddr)
		if !ok {
			return info, fmt.Errorf("%w: DT_VERNEED is outside every loaded segment", ErrBadELF)
		}
		count := tags[elf.DT_VERNEEDNUM]
		// Real tables hold a few dozen records; a budget on the total keeps
		// a crafted one (65535 aux records per entry) from costing minutes.
		steps := 1 << 14
		for i := uint64(0); i < count && steps > 0; i++ {
			vn, err := readAt(off, 16, "version need")
			if err != nil {
				return info, err
			}
			cnt, aux, next := bo.Uint16(vn[2:]), bo.Uint32(vn[8:]), bo.Uint32(vn[12:])
			aoff := off + uint64(aux)
			for j := 0; j < int(cnt) && steps > 0; j++ {
				steps--
				va, err := readAt(aoff, 16, "version need entry")
				if err != nil {
					return info, err
				}
				name, err := str(uint64(bo.Uint32(va[8:])))
				if err != nil {
					return info, err
				}
				if prefix, version, ok := splitVersionName(name); ok {
					info.versionNeeds[prefix] = append(info.versionNeeds[prefix], version)
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
	}

	if info.PythonExtension, err = dynsymPythonInit(r, bo, class, tags, addrToOff, readAt, str, base); err != nil {
		return info, err
	}
	// Last: the section headers lie at the end of the file, past
	// everything read above, so a lazy reader reaches them moving forward.
	return info, sh.check(r, bo, class == elf.ELFCLASS64)
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
	case s.off > 1<<40:
		return fmt.Errorf("%w: section headers at %d is implausible", ErrBadELF, s.off)
	}
	return nil
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
		e := table[i*s.entSize:]
		typ := elf.SectionType(bo.Uint32(e[4:]))
		var off, size uint64
		if is64 {
			off, size = bo.Uint64(e[0x18:]), bo.Uint64(e[0x20:])
		} else {
			off, size = uint64(bo.Uint32(e[0x10:])), uint64(bo.Uint32(e[0x14:]))
		}
		if i == s.strndx && s.strndx != 0 && typ != elf.SHT_STRTAB {
			return fmt.Errorf("%w: section name table (section %d) has type %v", ErrBadELF, i, typ)
		}
		if typ == elf.SHT_NOBITS || typ == elf.SHT_NULL {
			continue
		}
		end := off + size
		if end < off || end > 1<<40 {
			return fmt.Errorf("%w: section %d of %d bytes at %d is implausible", ErrBadELF, i, size, off)
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

// dynsymPythonInit scans the dynamic symbols for a module init function.
// The symbol count comes from DT_HASH, else DT_GNU_HASH, else the gap up to
// the string table (where linkers put .dynstr right after .dynsym).
func dynsymPythonInit(r io.ReaderAt, bo binary.ByteOrder, class elf.Class, tags map[elf.DynTag]uint64,
	addrToOff func(uint64) (uint64, bool), readAt func(off, n uint64, what string) ([]byte, error),
	str func(uint64) (string, error), base string) (bool, error) {
	symAddr, ok := tags[elf.DT_SYMTAB]
	if !ok {
		return false, nil
	}
	symOff, ok := addrToOff(symAddr)
	if !ok {
		return false, fmt.Errorf("%w: DT_SYMTAB is outside every loaded segment", ErrBadELF)
	}
	symSize := uint64(24)
	if class == elf.ELFCLASS32 {
		symSize = 16
	}
	var count uint64
	if h, ok := tags[elf.DT_HASH]; ok {
		if off, ok := addrToOff(h); ok {
			b, err := readAt(off, 8, "DT_HASH")
			if err != nil {
				return false, err
			}
			count = uint64(bo.Uint32(b[4:]))
		}
	} else if h, ok := tags[elf.DT_GNU_HASH]; ok {
		off, ok := addrToOff(h)
		if !ok {
			return false, fmt.Errorf("%w: DT_GNU_HASH is outside every loaded segment", ErrBadELF)
		}
		c, err := gnuHashCount(off, class, bo, readAt)
		if err != nil {
			return false, err
		}
		count = c
	} else if s := tags[elf.DT_STRTAB]; s > symAddr {
		count = (s - symAddr) / symSize
	}
	if count > 1<<22 {
		return false, fmt.Errorf("%w: %d dynamic symbols is implausible", ErrBadELF, count)
	}
	syms, err := readAt(symOff, count*symSize, "dynamic symbols")
	if err != nil {
		return false, err
	}
	module, _, _ := strings.Cut(base, ".")
	for i := uint64(0); i < count; i++ {
		s := syms[i*symSize:]
		var nameOff uint32
		var shndx uint16
		if class == elf.ELFCLASS64 {
			nameOff, shndx = bo.Uint32(s), bo.Uint16(s[6:])
		} else {
			nameOff, shndx = bo.Uint32(s), bo.Uint16(s[14:])
		}
		if shndx == uint16(elf.SHN_UNDEF) || nameOff == 0 {
			continue
		}
		name, err := str(uint64(nameOff))
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

// gnuHashCount finds the number of dynamic symbols from a GNU hash table:
// the highest symbol any bucket starts at, followed along its chain to the
// entry with the low bit set.
func gnuHashCount(off uint64, class elf.Class, bo binary.ByteOrder, readAt func(off, n uint64, what string) ([]byte, error)) (uint64, error) {
	hdr, err := readAt(off, 16, "DT_GNU_HASH")
	if err != nil {
		return 0, err
	}
	nbuckets, symoffset, bloomSize := uint64(bo.Uint32(hdr)), uint64(bo.Uint32(hdr[4:])), uint64(bo.Uint32(hdr[8:]))
	word := uint64(8)
	if class == elf.ELFCLASS32 {
		word = 4
	}
	if nbuckets > 1<<22 || bloomSize > 1<<22 {
		return 0, fmt.Errorf("%w: GNU hash table sizes are implausible", ErrBadELF)
	}
	bucketsOff := off + 16 + bloomSize*word
	buckets, err := readAt(bucketsOff, nbuckets*4, "GNU hash buckets")
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
	for n := 0; n < 1<<22; n++ {
		b, err := readAt(chainOff+(last-symoffset)*4, 4, "GNU hash chain")
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

// isSectionOf reports whether the section header table, read from head
// (the ELF header) and t (the decoded end of the file), is intact where the
// header says it is and lists a section at exactly [off, off+size). It
// confirms that t's bytes sit at the right offsets: misplaced by any amount,
// the table would be read from the wrong bytes, its null first entry and
// string table entry would not be where they must be, or no entry would
// name this range.
func isSectionOf(head []byte, t interface {
	Bytes(off, n int64) ([]byte, bool)
}, off, size int64) bool {
	if len(head) < 64 || !isELF(head) {
		return false
	}
	bo, ok := byteOrder(head)
	if !ok {
		return false
	}
	var shoff int64
	var entSize, num, strndx int
	is64 := elf.Class(head[elf.EI_CLASS]) == elf.ELFCLASS64
	if is64 {
		shoff = int64(bo.Uint64(head[0x28:]))
		entSize, num, strndx = int(bo.Uint16(head[0x3a:])), int(bo.Uint16(head[0x3c:])), int(bo.Uint16(head[0x3e:]))
		if entSize != 64 {
			return false
		}
	} else {
		shoff = int64(bo.Uint32(head[0x20:]))
		entSize, num, strndx = int(bo.Uint16(head[0x2e:])), int(bo.Uint16(head[0x30:])), int(bo.Uint16(head[0x32:]))
		if entSize != 40 {
			return false
		}
	}
	if num == 0 || strndx >= num || shoff <= off {
		return false
	}
	table, ok := t.Bytes(shoff, int64(num*entSize))
	if !ok {
		return false
	}
	type section struct{ typ, off, size uint64 }
	sectionAt := func(i int) section {
		e := table[i*entSize:]
		if is64 {
			return section{uint64(bo.Uint32(e[4:])), bo.Uint64(e[0x18:]), bo.Uint64(e[0x20:])}
		}
		return section{uint64(bo.Uint32(e[4:])), uint64(bo.Uint32(e[0x10:])), uint64(bo.Uint32(e[0x14:]))}
	}
	for _, b := range table[:entSize] {
		if b != 0 {
			return false
		}
	}
	if elf.SectionType(sectionAt(strndx).typ) != elf.SHT_STRTAB {
		return false
	}
	for i := 1; i < num; i++ {
		s := sectionAt(i)
		if elf.SectionType(s.typ) != elf.SHT_NOBITS && s.off == uint64(off) && s.size == uint64(size) {
			return true
		}
	}
	return false
}
