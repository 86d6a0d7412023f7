package native

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
)

// LargeLibOptions shape a LargeLib.
type LargeLibOptions struct {
	Rodata int // bytes of .rodata
	Tail   int // bytes of the unloaded section after .dynamic
	// Exports adds that many exported functions, which grow the dynamic
	// symbol and string tables at the front, as in large C++ libraries.
	Exports int
	Seed    uint64
	LDFlags []string // passed to gcc as they are
}

// LargeLib links, in dir, a shared library needing libz, libm, libstdc++ and
// libc that exports PyInit_<name>, and whose .rodata holds a blob (via
// .incbin; o.Rodata bytes): three in four 4 KiB runs random, the rest repetitive, so it
// compresses about 1.2:1. The layout is GNU ld's, as in real wheels: the
// dynamic symbols, strings and version needs in the first segment, then
// .text and .rodata, then .dynamic. After .dynamic come o.Tail bytes of
// the same kind in a section that is not loaded, where real libraries keep
// .symtab, .strtab and debug info. It returns the library's path.
func LargeLib(dir, name string, o LargeLibOptions) (string, error) {
	src := filepath.Join(dir, name+".src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return "", err
	}
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	blob, tailBlob := fill(o.Rodata, rng), fill(o.Tail, rng)
	asm := ".section .rodata\n.globl " + name + "_blob\n" + name + "_blob:\n.incbin \"blob.bin\"\n" +
		".section .machnix_tail,\"\",@progbits\n.incbin \"tail.bin\"\n" +
		".section .note.GNU-stack,\"\",@progbits\n"
	c := fmt.Sprintf(`#include <zlib.h>
#include <math.h>
extern const unsigned char %[1]s_blob[];
unsigned long %[1]s_crc(unsigned n) { return crc32(0, %[1]s_blob, n) + (unsigned long)sqrt(n); }
void *PyInit_%[1]s(void) { return 0; }
`, name)
	for i := 0; i < o.Exports; i++ {
		c += fmt.Sprintf("int %s_exported_function_number_%d(int x) { return x + %d; }\n", name, i, i)
	}
	cpp := "#include <string>\nextern \"C\" unsigned long " + name + "_len(const char *s) { return std::string(s).size(); }\n"
	for file, data := range map[string][]byte{"blob.bin": blob, "tail.bin": tailBlob, "blob.S": []byte(asm), "lib.c": []byte(c), "str.cpp": []byte(cpp)} {
		if err := os.WriteFile(filepath.Join(src, file), data, 0o644); err != nil {
			return "", err
		}
	}
	out := filepath.Join(dir, name+".so")
	args := append([]string{"-shared", "-fPIC", "-O1", "-o", out, "lib.c", "str.cpp", "blob.S", "-lz", "-lm", "-lstdc++"}, o.LDFlags...)
	cmd := exec.Command("gcc", args...)
	cmd.Dir = src
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("gcc: %v\n%s", err, msg)
	}
	return out, os.RemoveAll(src)
}

// fill returns size bytes, three in four 4 KiB runs random, the rest
// repetitive.
func fill(size int, rng *rand.Rand) []byte {
	blob := make([]byte, size)
	for off := 0; off < len(blob); off += 4096 {
		end := min(off+4096, len(blob))
		if rng.IntN(4) == 0 {
			for j := off; j < end; j++ {
				blob[j] = byte(j % 61)
			}
			continue
		}
		for j := off; j < end; j += 8 {
			v := rng.Uint64()
			for k := 0; k < 8 && j+k < end; k++ {
				blob[j+k] = byte(v >> (8 * k))
			}
		}
	}
	return blob
}
