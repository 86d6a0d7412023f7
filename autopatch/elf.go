package autopatch

import (
	"bytes"
	"debug/elf"
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

// inspectELF reads the dynamic linking facts of one ELF file held whole.
// base is the file's name, used to recognise Python 2 init functions
// (init<module>). It is the reader of --no-verify, given every byte at
// once: the two modes must judge the same bytes the same way, and a
// separate parser (debug/elf reads the section headers, the loader the
// program headers) let crafted files pass in one and fail in the other.
func inspectELF(r io.ReaderAt, base string) (elfInfo, error) {
	return inspectELFDynamic(r, base)
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
