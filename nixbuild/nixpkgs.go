package nixbuild

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/machnix/machnix/resolve"
)

// ErrBadPin wraps every problem with a --nixpkgs pin.
var ErrBadPin = errors.New("bad nixpkgs pin")

// ParsePin reads a --nixpkgs value: a local nixpkgs directory, or an http(s)
// tarball URL. A URL without a hash is prefetched with nix-prefetch-url
// --unpack, so the lock always records the hash Nix will check.
func ParsePin(ctx context.Context, value, hash string) (*resolve.NixpkgsPin, error) {
	if value == "" {
		return nil, nil
	}
	if !strings.HasPrefix(value, "http://") && !strings.HasPrefix(value, "https://") {
		if hash != "" {
			return nil, fmt.Errorf("%w: a hash pins a tarball URL, not the directory %s", ErrBadPin, value)
		}
		abs, err := filepath.Abs(value)
		if err != nil {
			return nil, err
		}
		if !fileExists(filepath.Join(abs, "default.nix")) {
			return nil, fmt.Errorf("%w: %s has no default.nix", ErrBadPin, value)
		}
		return &resolve.NixpkgsPin{Path: abs}, nil
	}
	if hash == "" {
		out, err := exec.CommandContext(ctx, "nix-prefetch-url", "--unpack", "--type", "sha256", value).Output()
		if err != nil {
			return nil, fmt.Errorf("%w: nix-prefetch-url --unpack %s: %v%s", ErrBadPin, value, err, stderrOf(err))
		}
		if hash, err = nixBase32ToSRI(strings.TrimSpace(string(out))); err != nil {
			return nil, fmt.Errorf("%w: nix-prefetch-url printed %q: %v", ErrBadPin, out, err)
		}
	} else if !strings.HasPrefix(hash, "sha256-") {
		return nil, fmt.Errorf("%w: hash %q: want an SRI sha256 hash (sha256-...), as nix-prefetch-url --unpack and nix hash to-sri give", ErrBadPin, hash)
	}
	return &resolve.NixpkgsPin{URL: value, Hash: hash}, nil
}

// importPkgs is the Nix expression for the package set a pin names, and
// <nixpkgs> without one; with allowUnfree, imported with
// config.allowUnfree = true.
func importPkgs(pin *resolve.NixpkgsPin, allowUnfree bool) string {
	args := "{ }"
	if allowUnfree {
		args = "{ config.allowUnfree = true; }"
	}
	switch {
	case pin == nil || (pin.Path == "" && pin.URL == ""):
		return "import <nixpkgs> " + args
	case pin.Path != "":
		return fmt.Sprintf("import (/. + %s) %s", nixString(pin.Path), args)
	}
	return fmt.Sprintf("import (builtins.fetchTarball { url = %s; sha256 = %s; }) %s", nixString(pin.URL), nixString(pin.Hash), args)
}

// RealisePin returns a local directory holding the pinned nixpkgs: the path
// itself, or the tarball unpacked into the store by Nix, which checks the
// hash.
func RealisePin(ctx context.Context, pin *resolve.NixpkgsPin) (string, error) {
	if pin == nil {
		return "", fmt.Errorf("%w: none given", ErrBadPin)
	}
	if pin.Path != "" {
		return pin.Path, nil
	}
	expr := fmt.Sprintf("builtins.fetchTarball { url = %s; sha256 = %s; }", nixString(pin.URL), nixString(pin.Hash))
	out, err := exec.CommandContext(ctx, "nix-instantiate", "--eval", "--json", "-E", expr).Output()
	if err != nil {
		return "", fmt.Errorf("%w: fetching %s: %v%s", ErrBadPin, pin.URL, err, stderrOf(err))
	}
	var path string
	if err := json.Unmarshal(out, &path); err != nil {
		return "", fmt.Errorf("%w: nix-instantiate printed %q", ErrBadPin, out)
	}
	return path, nil
}

func stderrOf(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		return ": " + strings.TrimSpace(string(ee.Stderr))
	}
	return ""
}

// nixBase32ToSRI converts Nix's base32 rendering of a sha256 (what
// nix-prefetch-url prints) to an SRI hash. Nix's base32 uses its own
// alphabet and reads the bits from the end of the digest.
func nixBase32ToSRI(s string) (string, error) {
	const alphabet = "0123456789abcdfghijklmnpqrsvwxyz"
	const size = 32
	if len(s) != (size*8-1)/5+1 {
		return "", fmt.Errorf("%d characters, want 52", len(s))
	}
	digest := make([]byte, size)
	for n := 0; n < len(s); n++ {
		c := strings.IndexByte(alphabet, s[len(s)-n-1])
		if c < 0 {
			return "", fmt.Errorf("%q is not a Nix base32 digit", s[len(s)-n-1])
		}
		b := n * 5
		i, j := b/8, b%8
		digest[i] |= byte(c << j)
		if i+1 < size {
			digest[i+1] |= byte(c >> (8 - j))
		} else if c>>(8-j) != 0 {
			return "", errors.New("value too large")
		}
	}
	return "sha256-" + base64.StdEncoding.EncodeToString(digest), nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// PythonVersion is the major.minor version of the python3 of the nixpkgs at
// dir: the interpreter a lock resolved for that nixpkgs should fit.
func PythonVersion(ctx context.Context, dir string) (string, error) {
	expr := fmt.Sprintf("(import (/. + %s) { }).python3.pythonVersion", nixString(dir))
	out, err := exec.CommandContext(ctx, "nix-instantiate", "--eval", "--json", "-E", expr).Output()
	if err != nil {
		return "", fmt.Errorf("%w: reading python3's version from %s: %v%s; give --python", ErrBadPin, dir, err, stderrOf(err))
	}
	var v string
	if err := json.Unmarshal(out, &v); err != nil || !pythonVersionRE().MatchString(v) {
		return "", fmt.Errorf("%w: python3 of %s has version %q, not 3.N; give --python", ErrBadPin, dir, out)
	}
	return v, nil
}

var pythonVersionRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^3\.[0-9]{1,2}$`) })
