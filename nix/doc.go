// Package nixlib holds machnix's Nix library, the .nix files of this
// directory: mkPython and its siblings, built from a machnix.lock. The
// repository's default.nix imports them from here; the machnix binary
// embeds them and writes them beside every expression it generates, so
// that what it generates evaluates without a checkout.
package nixlib
