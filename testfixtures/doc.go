// Package testfixtures builds, for tests, everything that must be real:
// wheels with ELF files compiled by gcc, local package indexes served on
// 127.0.0.1 (including ones made from packse scenarios and resolvelib
// databases), a small fixture nixpkgs for nix-build, and helpers that start
// real servers in temporary directories.
//
// Production code never imports it.
package testfixtures
