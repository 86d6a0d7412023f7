package nixbuild

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
)

// nixBase32 is Nix's base32 alphabet (no e, o, u, t).
const nixBase32 = "0123456789abcdfghijklmnpqrsvwxyz"

// encodeNixBase32 renders b as Nix does: the bits are read from the end of
// the digest (src/libutil/hash.cc, printHash32).
func encodeNixBase32(b []byte) string {
	n := (len(b)*8-1)/5 + 1
	out := make([]byte, n)
	for i := n - 1; i >= 0; i-- {
		bit := i * 5
		j, k := bit/8, bit%8
		c := b[j] >> k
		if j+1 < len(b) {
			c |= b[j+1] << (8 - k)
		}
		out[n-1-i] = nixBase32[c&0x1f]
	}
	return string(out)
}

// storeDir is the Nix store the commands use: $NIX_STORE_DIR, else
// /nix/store.
func storeDir() string {
	if d := os.Getenv("NIX_STORE_DIR"); d != "" {
		return filepath.Clean(d)
	}
	return "/nix/store"
}

// fixedOutputPath is the store path of a flat file with the given sha256
// (hex) added under name, as fetchurl's fixed output or nix-store
// --add-fixed sha256 make it (src/libstore/store-api.cc,
// makeFixedOutputPath and makeStorePath): knowing it, machnix asks Nix
// whether the path is valid instead of hashing the file again.
func fixedOutputPath(dir, name, sha256Hex string) string {
	inner := sha256.Sum256([]byte("fixed:out:sha256:" + sha256Hex + ":"))
	outer := sha256.Sum256([]byte("output:out:sha256:" + hex.EncodeToString(inner[:]) + ":" + dir + ":" + name))
	var compressed [20]byte
	for i, b := range outer {
		compressed[i%20] ^= b
	}
	return dir + "/" + encodeNixBase32(compressed[:]) + "-" + name
}

// StoreDir is the Nix store the commands use: $NIX_STORE_DIR, else
// /nix/store.
func StoreDir() string { return storeDir() }

// IsStorePath reports whether p is a top-level path of the store: the
// store directory, then HASH-NAME with a 32-character Nix base32 hash and
// a name of the characters Nix allows (src/libstore/path.cc), not
// starting with a dot.
func IsStorePath(p string) bool {
	dir := storeDir()
	base, ok := strings.CutPrefix(p, dir+"/")
	if !ok || len(base) < 34 || base[32] != '-' {
		return false
	}
	for _, c := range []byte(base[:32]) {
		if strings.IndexByte(nixBase32, c) < 0 {
			return false
		}
	}
	name := base[33:]
	if name == "" || len(name) > 211 || name[0] == '.' {
		return false
	}
	for _, c := range []byte(name) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("+-._?=", c) >= 0) {
			return false
		}
	}
	return true
}
