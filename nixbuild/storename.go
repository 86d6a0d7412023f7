package nixbuild

import (
	"strings"

	"github.com/machnix/machnix/resolve"
)

// StoreName is the name a package's fetched file has in the Nix store: the
// name the generated fetchurl gives it, and the name machnix adds the
// verified file under, so Nix finds it valid and downloads nothing. It is
// the lock's file name, not the URL's last component, which may be
// percent-encoded (a local version's "+" served as %2B) or carry a query
// string; Nix refuses both in store names. Characters a store name cannot
// hold (nix/src/libstore/path.cc: letters, digits and +-._?=) become "_",
// and a leading dot, which Nix also refuses, gets a prefix.
func StoreName(p resolve.Package) string {
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("+-._?=", r):
			return r
		}
		return '_'
	}, p.Filename)
	if name == "" || name[0] == '.' {
		name = "file" + name
	}
	return name
}
