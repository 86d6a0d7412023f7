package native

const zcrcC = `#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdlib.h>
#include <zlib.h>

char *zcrc_rev(const char *s); /* rev.cpp */

static PyObject *zcrc_crc32(PyObject *self, PyObject *args) {
	Py_buffer b;
	if (!PyArg_ParseTuple(args, "y*", &b)) return NULL;
	uLong c = crc32(0L, Z_NULL, 0);
	c = crc32(c, (const Bytef *)b.buf, (uInt)b.len);
	PyBuffer_Release(&b);
	return PyLong_FromUnsignedLong(c);
}

static PyObject *zcrc_rev_py(PyObject *self, PyObject *args) {
	const char *s;
	if (!PyArg_ParseTuple(args, "s", &s)) return NULL;
	char *r = zcrc_rev(s);
	PyObject *o = PyUnicode_FromString(r);
	free(r);
	return o;
}

static PyMethodDef methods[] = {
	{"crc32", zcrc_crc32, METH_VARARGS, "zlib crc32 of bytes"},
	{"rev", zcrc_rev_py, METH_VARARGS, "reverse a string with std::string"},
	{NULL, NULL, 0, NULL}};
static struct PyModuleDef mod = {PyModuleDef_HEAD_INIT, "zcrc", NULL, -1, methods};
PyMODINIT_FUNC PyInit_zcrc(void) { return PyModule_Create(&mod); }
`

const revCpp = `#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

extern "C" char *zcrc_rev(const char *s) {
	std::string x(s);
	std::reverse(x.begin(), x.end());
	char *o = static_cast<char *>(std::malloc(x.size() + 1));
	std::memcpy(o, x.c_str(), x.size() + 1);
	return o;
}
`

const helloC = `#include <stdio.h>
int main(void) { puts(%q); return 0; }
`

const greetC = `const char *greet(void) { return %q; }
`

const bundledC = `#define PY_SSIZE_T_CLEAN
#include <Python.h>
const char *greet(void);
static PyObject *py_greet(PyObject *self, PyObject *args) { return PyUnicode_FromString(greet()); }
static PyMethodDef methods[] = {{"greet", py_greet, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef mod = {PyModuleDef_HEAD_INIT, "bundled", NULL, -1, methods};
PyMODINIT_FUNC PyInit_bundled(void) { return PyModule_Create(&mod); }
`

const providerC = `int provider_value(void) { return %d; }
`

const consumerC = `#define PY_SSIZE_T_CLEAN
#include <Python.h>
int provider_value(void);
static PyObject *py_value(PyObject *self, PyObject *args) { return PyLong_FromLong(provider_value()); }
static PyMethodDef methods[] = {{"value", py_value, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef mod = {PyModuleDef_HEAD_INIT, "consumer", NULL, -1, methods};
PyMODINIT_FUNC PyInit_consumer(void) { return PyModule_Create(&mod); }
`
