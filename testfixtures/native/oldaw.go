package native

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/machnix/machnix/testfixtures"
)

// OldAuditwheelValue is what oldaw._core.value() returns: libouter's value
// plus libinner's, each compiled into its own bundled library.
const OldAuditwheelValue = 1000 + 337

// OldAuditwheel writes the wheel oldaw 1.0 into dir, laid out as old
// auditwheel releases and hand-made wheels lay out bundled libraries: the
// extension oldaw/_core needs libouter.so.1 with no RPATH at all;
// libouter.so.1 sits in the nested oldaw/.libs/ and needs libinner.so.2,
// which sits in another top-level directory (oldaw_support/lib/), again
// without RPATH. Only a search of the whole installed package, as
// auto-patchelf makes, finds them. It returns the wheel's path.
func OldAuditwheel(dir string) (string, error) {
	src := filepath.Join(dir, "oldaw-src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return "", err
	}
	b := builder{src: src}
	incl := b.output(PythonConfig, "--includes")
	suffix := strings.TrimSpace(b.output(PythonConfig, "--extension-suffix"))
	b.write("inner.c", "int inner_value(void) { return 337; }\n")
	b.write("outer.c", "int inner_value(void);\nint outer_value(void) { return 1000 + inner_value(); }\n")
	b.write("core.c", oldawCoreC)
	b.run("gcc", "-shared", "-fPIC", "-O2", "-Wl,-soname,libinner.so.2", "-o", "libinner.so.2", "inner.c")
	b.run("gcc", "-shared", "-fPIC", "-O2", "-Wl,-soname,libouter.so.1", "-o", "libouter.so.1", "outer.c", "./libinner.so.2")
	ext := "_core" + suffix
	b.run("gcc", append(append([]string{"-shared", "-fPIC", "-O2"}, strings.Fields(incl)...), "-o", ext, "core.c", "./libouter.so.1")...)
	if b.err != nil {
		return "", b.err
	}
	exe := os.FileMode(0o755)
	return testfixtures.WriteWheel(dir, testfixtures.Wheel{Name: "oldaw", Version: "1.0",
		Tags: []string{"cp311-cp311-linux_" + Arch()}, Files: []testfixtures.File{
			{Path: "oldaw/__init__.py", Data: []byte("from oldaw._core import value\n")},
			{Path: "oldaw/" + ext, Data: b.read(ext), Mode: exe},
			{Path: "oldaw/.libs/libouter.so.1", Data: b.read("libouter.so.1"), Mode: exe},
			{Path: "oldaw_support/lib/libinner.so.2", Data: b.read("libinner.so.2"), Mode: exe},
		}})
}

var oldawCoreC = fmt.Sprintf(`#define PY_SSIZE_T_CLEAN
#include <Python.h>
int outer_value(void);
static PyObject *py_value(PyObject *self, PyObject *args) { return PyLong_FromLong(outer_value()); }
static PyMethodDef methods[] = {{"value", py_value, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef mod = {PyModuleDef_HEAD_INIT, "%s", NULL, -1, methods};
PyMODINIT_FUNC PyInit__core(void) { return PyModule_Create(&mod); }
`, "oldaw._core")
