package nar

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrTooLarge is wrapped when a tree exceeds a limit.
var ErrTooLarge = errors.New("tree over the limit")

// ErrUnsupported is wrapped for an entry NAR cannot hold (a socket, a
// device) that the filter kept, and for a root that is not a directory.
var ErrUnsupported = errors.New("unsupported file type")

// Filter reports whether to keep an entry. rel is its path below the root
// with forward slashes ("pkg/mod.py"); the root itself is never asked
// about, as with builtins.path. A directory left out is not descended.
type Filter func(rel string, mode fs.FileMode) bool

// Limits bound a walk. Zero fields take the defaults.
type Limits struct {
	// Entries caps files, directories and symlinks together.
	Entries int
	// Bytes caps the regular files' total size.
	Bytes int64
	// Depth caps directory nesting.
	Depth int
}

// Defaults: far beyond a source tree (CPython's checkout has about 5,000
// files and 150 MB), small enough that a mistaken root (a home
// directory) stops quickly.
const (
	DefaultEntries = 200_000
	DefaultBytes   = 2 << 30
	DefaultDepth   = 64
)

func (l Limits) withDefaults() Limits {
	if l.Entries <= 0 {
		l.Entries = DefaultEntries
	}
	if l.Bytes <= 0 {
		l.Bytes = DefaultBytes
	}
	if l.Depth <= 0 {
		l.Depth = DefaultDepth
	}
	return l
}

// HashDir returns the hex SHA-256 of the NAR of the directory root with
// the entries filter keeps. Symlinks are kept as links (never followed),
// regular files by their contents and whether the owner may execute them,
// directory entries sorted by name bytewise; this is nix-store --dump's
// serialisation (src/libutil/archive.cc).
func HashDir(root string, keep Filter, limits Limits) (string, error) {
	h := sha256.New()
	if err := Dump(h, root, keep, limits); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Dump writes the NAR of the filtered directory root to w.
func Dump(w io.Writer, root string, keep Filter, limits Limits) error {
	fi, err := os.Lstat(root)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%w: %s is not a directory", ErrUnsupported, root)
	}
	d := &dumper{w: w, keep: keep, limits: limits.withDefaults()}
	if keep == nil {
		d.keep = func(string, fs.FileMode) bool { return true }
	}
	d.str("nix-archive-1")
	if err := d.node(root, "", fi, 0); err != nil {
		return err
	}
	return d.err
}

type dumper struct {
	w       io.Writer
	keep    Filter
	limits  Limits
	entries int
	bytes   int64
	err     error
	pad     [8]byte
}

// str writes a NAR string: its length as a little-endian uint64, the
// bytes, and zeros up to a multiple of eight.
func (d *dumper) str(s string) {
	d.header(uint64(len(s)))
	d.write([]byte(s))
	d.padding(uint64(len(s)))
}

func (d *dumper) header(n uint64) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], n)
	d.write(b[:])
}

func (d *dumper) padding(n uint64) {
	if r := n % 8; r != 0 {
		d.write(d.pad[:8-r])
	}
}

func (d *dumper) write(b []byte) {
	if d.err == nil {
		_, d.err = d.w.Write(b)
	}
}

func (d *dumper) node(path, rel string, fi fs.FileInfo, depth int) error {
	d.entries++
	if d.entries > d.limits.Entries {
		return fmt.Errorf("%w: more than %d entries", ErrTooLarge, d.limits.Entries)
	}
	d.str("(")
	switch mode := fi.Mode(); {
	case mode.IsRegular():
		if err := d.file(path, fi); err != nil {
			return err
		}
	case mode&fs.ModeSymlink != 0:
		target, err := os.Readlink(path)
		if err != nil {
			return err
		}
		d.str("type")
		d.str("symlink")
		d.str("target")
		d.str(target)
	case mode.IsDir():
		if depth >= d.limits.Depth {
			return fmt.Errorf("%w: directories nested deeper than %d at %s", ErrTooLarge, d.limits.Depth, rel)
		}
		d.str("type")
		d.str("directory")
		ents, err := os.ReadDir(path)
		if err != nil {
			return err
		}
		// os.ReadDir returns the entries sorted by name as Go strings
		// compare, bytewise: the order of Nix's std::map of names.
		for _, e := range ents {
			childRel := e.Name()
			if rel != "" {
				childRel = rel + "/" + e.Name()
			}
			if !d.keep(childRel, e.Type()) {
				continue
			}
			info, err := e.Info()
			if err != nil {
				return err
			}
			d.str("entry")
			d.str("(")
			d.str("name")
			d.str(e.Name())
			d.str("node")
			if err := d.node(filepath.Join(path, e.Name()), childRel, info, depth+1); err != nil {
				return err
			}
			d.str(")")
		}
	default:
		return fmt.Errorf("%w: %s is a %v", ErrUnsupported, rel, mode.Type())
	}
	d.str(")")
	return d.err
}

func (d *dumper) file(path string, fi fs.FileInfo) error {
	d.bytes += fi.Size()
	if d.bytes > d.limits.Bytes {
		return fmt.Errorf("%w: more than %d bytes of files", ErrTooLarge, d.limits.Bytes)
	}
	d.str("type")
	d.str("regular")
	if fi.Mode()&0o100 != 0 {
		d.str("executable")
		d.str("")
	}
	d.str("contents")
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	size := uint64(fi.Size())
	d.header(size)
	if d.err != nil {
		return d.err
	}
	// The length is written first, so a file that grows or shrinks while
	// it is read would make a NAR that lies: exactly size bytes or an
	// error.
	n, err := io.Copy(d.w, io.LimitReader(f, int64(size)))
	if err != nil {
		return err
	}
	if uint64(n) != size {
		return fmt.Errorf("%s changed while it was read", path)
	}
	if extra, _ := f.Read(make([]byte, 1)); extra > 0 {
		return fmt.Errorf("%s changed while it was read", path)
	}
	d.padding(size)
	return d.err
}
