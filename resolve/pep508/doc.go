// Package pep508 owns dependency specifiers (PEP 508): requirement
// strings with extras, version specifiers, direct URLs and environment
// markers; project and extra name normalisation (PEP 503, PEP 685); the
// marker environment of a CPython-on-Linux target; and EnvSet, the marker
// algebra a universal resolution decides with (is a marker always, never
// or sometimes true within another).
//
// The grammar follows pypa/packaging's hand-written parser. Markers
// compare python_version, python_full_version, implementation_version and
// platform_release as PEP 440 versions when both sides parse as such, and
// every other comparison as Python compares strings, as PEP 508 says.
// (packaging 26 instead makes ordered comparisons of non-version strings
// false; such markers are rare.) Quoted values are taken literally:
// PEP 508 has no escape sequences.
package pep508
