//go:build unix

package fetch

import (
	"fmt"
	"os"
	"syscall"
)

// fileIdentity is a regular file's device, inode, size, mtime and ctime,
// read without following a link.
func fileIdentity(path string) ([]byte, bool) {
	st, err := os.Lstat(path)
	if err != nil || !st.Mode().IsRegular() {
		return nil, false
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return nil, false
	}
	return fmt.Appendf(nil, "v1 %d %d %d %d.%d %d.%d\n", sys.Dev, sys.Ino, sys.Size,
		sys.Mtim.Sec, sys.Mtim.Nsec, sys.Ctim.Sec, sys.Ctim.Nsec), true
}
