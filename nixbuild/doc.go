// Package nixbuild turns a Lock and its NativeReport into Nix expressions and
// runs Nix on them.
//
// It owns the generated default.nix and shell.nix, small calls of
// machnix's Nix library (package nixlib, the repository's nix/ folder,
// which builds every package from the lock), and what the library reads
// from the lock besides the pins: each wheel's native inputs (Annotate,
// NativeOf). It owns the checks that must hold before Nix runs (the
// overrides fit the lock, every needed native library has a provider: one
// rule, inside Generate); the name a fetched file has in the store (StoreName,
// both fetchurl's name and AddToStore's); running nix-build (Build, with
// functional options) and nix-store; reading their structured log
// (--log-format internal-json) for progress; store paths and closures; and
// turning build failures into diagnoses a user can act on.
//
// It knows nothing of OCI images.
package nixbuild
