package fetch

import (
	"bytes"
	"os"
)

// A blob is rehashed before use unless it is unchanged since its hash was
// last checked. "Unchanged" is what a stamp beside it (<blob>.verified)
// records: the file's identity, size and times. Any write to the blob
// changes its ctime, which no user can set, so an edit or a replaced file
// is always rehashed; what a stamp does not catch is a disk that flips
// bits under an unchanged inode, which the store Nix builds from does not
// catch either. Hashing a large lock's files on every build costs as much
// as a small build itself.

// blobUnchanged reports whether the stamp beside blob matches it.
func blobUnchanged(blob string) bool {
	want, ok := fileIdentity(blob)
	if !ok {
		return false
	}
	if err := clearNonRegular(blob + ".verified"); err != nil {
		return false
	}
	f, err := os.OpenFile(blob+".verified", os.O_RDONLY|noFollow, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	var got [256]byte
	n, _ := f.Read(got[:])
	return bytes.Equal(got[:n], want)
}

// minStamped is the smallest blob given a stamp. Hashing a smaller one
// again costs about what creating its stamp does (a file creation, which
// is slow on some file systems), and a lock's small wheels are most of its
// files.
const minStamped = 256 << 10

// stampVerified records that blob's bytes were just checked against its
// name. A stamp that cannot be written only costs a rehash next time. It
// is written in place, not renamed into place: a stamp cut short, or
// mixed from two writers, matches no file, and only costs a rehash too.
func stampVerified(blob string) {
	if st, err := os.Lstat(blob); err != nil || st.Size() < minStamped {
		return
	}
	id, ok := fileIdentity(blob)
	if !ok || clearNonRegular(blob+".verified") != nil {
		return
	}
	f, err := os.OpenFile(blob+".verified", os.O_CREATE|os.O_WRONLY|os.O_TRUNC|noFollow, 0o644)
	if err != nil {
		return
	}
	if _, err := f.Write(id); err != nil {
		f.Truncate(0)
	}
	f.Close()
}
