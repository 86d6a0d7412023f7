// Package nixbuild turns a Lock and its NativeReport into Nix expressions and
// runs Nix on them.
//
// It owns the generated default.nix and shell.nix (the mkPython
// equivalent), running nix-build and nix-store, reading their structured log
// (--log-format internal-json) for progress, store paths and closures, and
// turning build failures into diagnoses a user can act on.
//
// It knows nothing of OCI images.
package nixbuild
