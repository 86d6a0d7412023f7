// Package nar hashes a directory tree as Nix does: the SHA-256 of its
// NAR serialisation (Nix's archive format), the hash builtins.path and
// nix-hash --type sha256 compute for a path added recursively. A filter
// leaves entries out, as builtins.path's filter does, and limits bound the
// work a hostile tree can cause.
package nar
