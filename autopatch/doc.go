// Package autopatch reads wheels and the ELF files inside them, and decides
// where each shared library they need will come from once the wheel is
// installed by Nix.
//
// It owns:
//   - reading wheels straight from the zip (WHEEL, METADATA, RECORD with
//     sha256 verification), without extracting them to disk;
//   - ELF inspection: class, machine, PT_INTERP, SONAME, DT_NEEDED,
//     DT_RPATH/DT_RUNPATH as written, version needs and Python extension
//     init symbols;
//   - resolving each needed soname to exactly one [Status]: bundled in the
//     wheel, glibc, libpython, another wheel among the inputs, a nixpkgs
//     attribute, the GPU driver, or missing;
//   - the embedded soname → nixpkgs table and its extension from user config;
//   - the lowest manylinux_x_y the symbol versions really need.
//
// It builds nothing. Its output, [NativeReport], is a plain JSON value that
// nixbuild turns into buildInputs and autoPatchelf settings.
package autopatch
