package native

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/machnix/machnix/testfixtures"
)

// SharedLib compiles a shared object with the given soname (none when empty)
// that links every library in links (built as stubs with those sonames, so
// each becomes a DT_NEEDED entry). With pyInit it defines PyInit_<pyInit>,
// which makes it a Python extension module.
func SharedLib(t testing.TB, soname, pyInit string, links ...string) []byte {
	t.Helper()
	testfixtures.RequireTool(t, "gcc")
	dir := t.TempDir()
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command("gcc", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("gcc %v: %v\n%s", args, err, out)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "stub.c"), []byte("int stub_symbol(void) { return 1; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := "int lib_value(void) { return 7; }\n"
	if pyInit != "" {
		src += "void *PyInit_" + pyInit + "(void) { return 0; }\n"
	}
	if err := os.WriteFile(filepath.Join(dir, "lib.c"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-shared", "-fPIC", "-O2", "-o", "out.so", "lib.c"}
	if soname != "" {
		args = append(args, "-Wl,-soname,"+soname)
	}
	args = append(args, "-Wl,--no-as-needed")
	for i, l := range links {
		stub := filepath.Join(dir, "stub"+string(rune('a'+i))+".so")
		run("-shared", "-fPIC", "-o", stub, "stub.c", "-Wl,-soname,"+l)
		args = append(args, stub)
	}
	run(args...)
	data, err := os.ReadFile(filepath.Join(dir, "out.so"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}
