// Package autopatch reads wheels and the ELF files inside them, and decides
// where each shared library they need will come from once the wheel is
// installed by Nix.
//
// It owns:
//   - reading wheels straight from the zip (WHEEL, METADATA, RECORD with
//     sha256 verification), without extracting them to disk; which
//     .dist-info directory counts is internal/distinfo's rule, shared
//     with the index client;
//   - ELF inspection: class, machine, PT_INTERP, SONAME, DT_NEEDED,
//     DT_RPATH/DT_RUNPATH as written, version needs and Python extension
//     init symbols;
//   - resolving each needed soname to exactly one [Status]: bundled in the
//     wheel, glibc, libpython, another wheel among the inputs, a --lib-path
//     directory ([StatusLibPath]), a nixpkgs attribute, the GPU driver, or
//     missing;
//   - the embedded soname → nixpkgs table (sonames.tsv, a source on every
//     row) and its extension from user config ([WithSonames]);
//   - the lowest manylinux_x_y the symbol versions really need
//     (policy_gen.go, generated from auditwheel's policy file by
//     internal/genpolicy).
//
// The entry point is [Inspect]:
//
//	rep, err := autopatch.Inspect(ctx, wheelFiles,
//		autopatch.WithSystem("x86_64-linux"),
//		autopatch.WithLibPath("support"),
//		autopatch.WithSonames(map[string]string{"libfoo.so.1": "foo"}))
//
// By default every entry is hashed against RECORD and each ELF file is read
// whole. With WithVerifyRecord(false), for wheels whose own hash was
// already checked, only ELF entries are inflated, and only as far as their
// program headers reach (the dynamic section and what it points at), then
// on to the section headers at the end. Both modes parse with the same
// reader, through the program headers as the dynamic loader does, and check
// the section headers as patchelf needs them: the same bytes get the same
// verdict. When
// the dynamic section lies far into a large library, behind .text and
// .rodata, its bytes are decoded from a deflate block boundary near it
// (internal/tailflate) and used only if the section headers decoded with
// them confirm their place; otherwise the library is inflated up to it.
//
// A caller that has checked each wheel's sha256 (machnix build, against
// the lock) vouches for it with [WithDigests]: those wheels take the fast
// path above, and with [WithFactsCache] what was read from each (entries,
// tags, metadata, ELF facts) is kept by its digest, so an unchanged wheel
// is read once. The soname table, the configuration and nix-locate are
// applied on every call, never cached. [WithFileNames] gives the real
// names of wheels kept under other names (fetch's cache names them by
// hash), against which the .dist-info directory is checked.
//
// Errors for bad wheels wrap ErrNotWheel, ErrUnsafePath, ErrTooLarge,
// ErrRecordMismatch or ErrBadELF and name the file; a bad option wraps
// ErrBadOption.
//
// It builds nothing. Its output, [NativeReport], is a plain JSON value that
// nixbuild turns into buildInputs and autoPatchelf settings.
package autopatch
