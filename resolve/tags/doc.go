// Package tags owns wheel compatibility: PEP 425 tags and compressed tag
// sets, the ordered list of tags a CPython-on-Linux target accepts
// (pypa/packaging's sys_tags with the glibc fixed rather than detected,
// PEP 600 manylinux_2_M plus the legacy manylinux2014/2010/1 names), the
// ranking of a wheel by its best tag, and wheel and sdist filenames.
package tags
