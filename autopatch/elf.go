package autopatch

import (
	"bytes"
	"debug/elf"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// elfInfo is what inspection reads from one ELF file.
type elfInfo struct {
	Path            string
	Class           string
	Machine         string
	Soname          string
	Interpreter     string
	Needed          []string
	RPath           []string
	RunPath         []string
	PythonExtension bool
	// versionNeeds holds every version needed, by prefix (GLIBC → {2.2.5,
	// 2.14}); the report shows only the highest, the manylinux check needs
	// them all.
	versionNeeds map[string][]string
}

var elfMagic = []byte{0x7f, 'E', 'L', 'F'}

func isELF(data []byte) bool { return bytes.HasPrefix(data, elfMagic) }

// machineNames follows the names `uname -m` and wheel platform tags use.
var machineNames = map[elf.Machine]string{
	elf.EM_X86_64:    "x86_64",
	elf.EM_AARCH64:   "aarch64",
	elf.EM_386:       "i686",
	elf.EM_ARM:       "armv7l",
	elf.EM_PPC64:     "ppc64",
	elf.EM_S390:      "s390x",
	elf.EM_RISCV:     "riscv64",
	elf.EM_LOONGARCH: "loongarch64",
}

func machineName(f *elf.File) string {
	if name, ok := machineNames[f.Machine]; ok {
		if f.Machine == elf.EM_PPC64 && f.Data == elf.ELFDATA2LSB {
			return "ppc64le"
		}
		return name
	}
	return strings.ToLower(strings.TrimPrefix(f.Machine.String(), "EM_"))
}

// inspectELF reads the dynamic linking facts of one ELF file. base is the
// file's name, used to recognise Python 2 init functions (init<module>).
// A panic inside debug/elf on hostile input is turned into ErrBadELF rather
// than taking down a whole diagnosis.
func inspectELF(r io.ReaderAt, base string) (info elfInfo, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: debug/elf panicked: %v", ErrBadELF, p)
		}
	}()
	f, err := elf.NewFile(r)
	if err != nil {
		return info, fmt.Errorf("%w: %v", ErrBadELF, err)
	}
	defer f.Close()
	info.Class = strings.TrimPrefix(f.Class.String(), "ELFCLASS")
	info.Machine = machineName(f)
	info.versionNeeds = map[string][]string{}

	for _, p := range f.Progs {
		if p.Type != elf.PT_INTERP {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(p.Open(), 4096))
		if err != nil {
			return info, fmt.Errorf("%w: PT_INTERP: %v", ErrBadELF, err)
		}
		info.Interpreter = string(bytes.TrimRight(b, "\x00"))
	}

	if f.SectionByType(elf.SHT_DYNAMIC) == nil {
		// A static executable or an object with no dynamic section needs
		// nothing at run time.
		return info, nil
	}
	if info.Needed, err = f.DynString(elf.DT_NEEDED); err != nil {
		return info, fmt.Errorf("%w: DT_NEEDED: %v", ErrBadELF, err)
	}
	sonames, err := f.DynString(elf.DT_SONAME)
	if err != nil {
		return info, fmt.Errorf("%w: DT_SONAME: %v", ErrBadELF, err)
	}
	if len(sonames) > 0 {
		info.Soname = sonames[0]
	}
	if info.RPath, err = dynPathList(f, elf.DT_RPATH); err != nil {
		return info, err
	}
	if info.RunPath, err = dynPathList(f, elf.DT_RUNPATH); err != nil {
		return info, err
	}

	if err := sectionVersionNeeds(f, info.versionNeeds); err != nil {
		return info, err
	}

	info.PythonExtension, err = exportsPythonInit(f, base)
	if err != nil {
		return info, err
	}
	return info, nil
}

// dynPathList returns the colon-separated entries of DT_RPATH or DT_RUNPATH
// exactly as written ($ORIGIN unexpanded).
func dynPathList(f *elf.File, tag elf.DynTag) ([]string, error) {
	vals, err := f.DynString(tag)
	if err != nil {
		return nil, fmt.Errorf("%w: %v: %v", ErrBadELF, tag, err)
	}
	out := []string{}
	for _, v := range vals {
		for _, p := range strings.Split(v, ":") {
			if p != "" {
				out = append(out, p)
			}
		}
	}
	return out, nil
}

// exportsPythonInit reports whether the file defines a module init function:
// PyInit_<name> (CPython 3), init<module> (CPython 2), or
// _cffi_pypyinit_<name> (PyPy's cffi modules). It reads .dynsym itself
// rather than through File.DynamicSymbols, which also resolves symbol
// versions and can take minutes on a hostile version table (found by
// FuzzInspectELF).
func exportsPythonInit(f *elf.File, base string) (bool, error) {
	sec := f.SectionByType(elf.SHT_DYNSYM)
	if sec == nil {
		return false, nil
	}
	data, str, err := sectionWithStrings(f, sec, "dynamic symbols")
	if err != nil {
		return false, err
	}
	size := 24
	if f.Class == elf.ELFCLASS32 {
		size = 16
	}
	module, _, _ := strings.Cut(base, ".")
	for off := size; off+size <= len(data); off += size { // entry 0 is the null symbol
		nameOff := f.ByteOrder.Uint32(data[off:])
		shndx := f.ByteOrder.Uint16(data[off+6:])
		if f.Class == elf.ELFCLASS32 {
			shndx = f.ByteOrder.Uint16(data[off+14:])
		}
		if shndx == uint16(elf.SHN_UNDEF) {
			continue
		}
		name := cString(str, nameOff)
		if strings.HasPrefix(name, "PyInit_") || strings.HasPrefix(name, "_cffi_pypyinit_") ||
			(module != "" && name == "init"+module) {
			return true, nil
		}
	}
	return false, nil
}

// sectionVersionNeeds walks SHT_GNU_VERNEED with a bounded amount of work:
// File.DynamicVersionNeeds follows every entry's full aux count, which a
// crafted table turns into billions of steps.
func sectionVersionNeeds(f *elf.File, into map[string][]string) error {
	sec := f.SectionByType(elf.SHT_GNU_VERNEED)
	if sec == nil {
		return nil
	}
	d, str, err := sectionWithStrings(f, sec, "version needs")
	if err != nil {
		return err
	}
	steps := len(d)/16 + 1
	bo := f.ByteOrder
	for i, n := 0, 0; i+16 <= len(d) && n < int(sec.Info) && steps > 0; n++ {
		cnt, aux, next := int(bo.Uint16(d[i+2:])), int(bo.Uint32(d[i+8:])), int(bo.Uint32(d[i+12:]))
		for j, c := i+aux, 0; c < cnt && j >= 0 && j+16 <= len(d) && steps > 0; c++ {
			steps--
			if prefix, version, ok := splitVersionName(cString(str, bo.Uint32(d[j+8:]))); ok {
				into[prefix] = append(into[prefix], version)
			}
			anext := int(bo.Uint32(d[j+12:]))
			if anext == 0 {
				break
			}
			j += anext
		}
		steps--
		if next == 0 {
			break
		}
		i += next
	}
	return nil
}

// sectionWithStrings returns a section's data and that of the string table
// its sh_link names.
func sectionWithStrings(f *elf.File, sec *elf.Section, what string) ([]byte, []byte, error) {
	data, err := sec.Data()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %v", ErrBadELF, what, err)
	}
	if int(sec.Link) >= len(f.Sections) {
		return nil, nil, fmt.Errorf("%w: %s: string table index %d out of range", ErrBadELF, what, sec.Link)
	}
	str, err := f.Sections[sec.Link].Data()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s strings: %v", ErrBadELF, what, err)
	}
	return data, str, nil
}

func cString(tab []byte, off uint32) string {
	if int(off) >= len(tab) {
		return ""
	}
	s := tab[off:]
	if i := bytes.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	return string(s)
}

// splitVersionName splits a symbol version such as GLIBC_2.14 or
// GLIBCXX_3.4.22 into prefix and numeric version. Versions without a number
// (GLIBC_PRIVATE) are not orderable and are skipped.
func splitVersionName(name string) (prefix, version string, ok bool) {
	i := strings.LastIndexByte(name, '_')
	if i <= 0 || i == len(name)-1 {
		return "", "", false
	}
	prefix, version = name[:i], name[i+1:]
	for _, part := range strings.Split(version, ".") {
		if _, err := strconv.Atoi(part); err != nil {
			return "", "", false
		}
	}
	return prefix, version, true
}

// compareVersions orders dotted numeric versions: 2.3.4 < 2.14.
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) || i < len(bs); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// highestVersions reduces all needed versions to the highest per prefix.
func highestVersions(needs map[string][]string) map[string]string {
	out := make(map[string]string, len(needs))
	for prefix, vs := range needs {
		vs = append([]string(nil), vs...)
		sort.Slice(vs, func(i, j int) bool { return compareVersions(vs[i], vs[j]) < 0 })
		out[prefix] = vs[len(vs)-1]
	}
	return out
}
