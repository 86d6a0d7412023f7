package fetch

import (
	"errors"
	"fmt"

	"github.com/machnix/machnix/resolve"
)

// ErrBadHash means a sha256 digest is not 64 hex digits.
var ErrBadHash = errors.New("not a sha256 digest (64 hex digits)")

// pageHash checks a sha256 an index page gives. Hex in upper case is hex
// all the same, so it enters lowered, the one spelling the cache and the
// lock use; anything else is refused. Empty means the page gave none.
func pageHash(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'F' {
			b[i] = c + ('a' - 'A')
		}
	}
	if !resolve.IsSHA256Hex(string(b)) {
		return "", fmt.Errorf("%w: %q", ErrBadHash, s)
	}
	return string(b), nil
}
