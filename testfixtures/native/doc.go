// Package native builds real wheels with native code, compiled by gcc, for
// tests and the demo. Nothing here is mocked: each wheel holds ELF files
// that gcc linked, written with testfixtures.WriteWheel so WHEEL, METADATA
// and RECORD are consistent.
//
// Build(dir) (or BuildT(t) in a test) writes five wheels into dir:
//
//   - zcrc: a CPython 3.11 extension linking -lz and -lstdc++.
//     zcrc.crc32(ZcrcInput) == ZcrcCRC32() (zlib's crc32, computed here with
//     Go's hash/crc32) and zcrc.rev(RevInput) == RevOutput() (std::string
//     reversal). It also ships an ELF executable,
//     zcrc-1.0.data/scripts/zcrc-hello, which prints ExeOutput.
//   - bundled: an extension whose greet() returns GreetMessage from a private
//     libgreet.so in bundled.libs/, found through an $ORIGIN RPATH, as
//     auditwheel repair lays it out.
//   - provider and consumer: provider ships provider/libprovider.so.1;
//     consumer's extension needs that soname (RPATH $ORIGIN/provider) and
//     consumer.value() returns ProviderValue.
//
// The expected values are exported next to the builders so that end-to-end
// tests (nix-build, images) can import the modules with a Python 3.11 and
// check what they print.
package native
