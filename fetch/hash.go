package fetch

import (
	"errors"
	"fmt"
)

// ErrBadHash means a sha256 digest is not 64 hex digits.
var ErrBadHash = errors.New("not a sha256 digest (64 hex digits)")

// isCacheHash reports whether s is a digest as the cache spells it,
// exactly [0-9a-f]{64}: only such a string may become a path.
func isCacheHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

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
	if !isCacheHash(string(b)) {
		return "", fmt.Errorf("%w: %q", ErrBadHash, s)
	}
	return string(b), nil
}
