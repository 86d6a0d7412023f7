package oci

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Epoch is the fixed mtime of every entry when SOURCE_DATE_EPOCH is unset.
var Epoch = time.Unix(1, 0).UTC()

// LayerDigests are the two hashes a layer needs: diffID over the tar stream
// (config rootfs) and digest over the compressed bytes (manifest).
type LayerDigests struct {
	DiffID string `json:"diffID"`
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
}

// WriteLayer writes a deterministic gzip tar (stdlib gzip, level 6) of the
// given store paths to w in one pass. Hardlinks are written as regular files
// every time: simpler, and no entry depends on which path came first.
func WriteLayer(w io.Writer, storePaths []string, mtime time.Time) (LayerDigests, error) {
	diff, comp := sha256.New(), sha256.New()
	cw := &countWriter{w: io.MultiWriter(w, comp)}
	gz, err := gzip.NewWriterLevel(cw, 6)
	if err != nil {
		return LayerDigests{}, err
	}
	tw := tar.NewWriter(io.MultiWriter(gz, diff))
	hdr := func(name string, typ byte, mode int64) *tar.Header {
		return &tar.Header{Name: name, Typeflag: typ, Mode: mode, ModTime: mtime, Uname: "root", Gname: "root", Format: tar.FormatPAX}
	}
	for _, d := range []string{"nix/", "nix/store/"} {
		if err := tw.WriteHeader(hdr(d, tar.TypeDir, 0o555)); err != nil {
			return LayerDigests{}, err
		}
	}
	sorted := append([]string{}, storePaths...)
	sort.Strings(sorted)
	for _, sp := range sorted {
		var names []string
		err := filepath.WalkDir(sp, func(p string, _ fs.DirEntry, err error) error {
			names = append(names, p)
			return err
		})
		if err != nil {
			return LayerDigests{}, fmt.Errorf("oci: reading store path %s: %w", sp, err)
		}
		sort.Strings(names)
		for _, p := range names {
			fi, err := os.Lstat(p)
			if err != nil {
				return LayerDigests{}, err
			}
			name := strings.TrimPrefix(p, "/")
			mode := int64(0o444)
			if fi.Mode()&0o111 != 0 {
				mode = 0o555
			}
			switch {
			case fi.IsDir():
				err = tw.WriteHeader(hdr(name+"/", tar.TypeDir, 0o555))
			case fi.Mode()&fs.ModeSymlink != 0:
				h := hdr(name, tar.TypeSymlink, 0o777)
				if h.Linkname, err = os.Readlink(p); err == nil {
					err = tw.WriteHeader(h)
				}
			case fi.Mode().IsRegular():
				h := hdr(name, tar.TypeReg, mode)
				h.Size = fi.Size()
				if err = tw.WriteHeader(h); err == nil {
					err = copyFile(tw, p)
				}
			default:
				err = fmt.Errorf("oci: %s is not a file, directory or symlink", p)
			}
			if err != nil {
				return LayerDigests{}, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return LayerDigests{}, err
	}
	if err := gz.Close(); err != nil {
		return LayerDigests{}, err
	}
	return LayerDigests{
		DiffID: "sha256:" + hex.EncodeToString(diff.Sum(nil)),
		Digest: "sha256:" + hex.EncodeToString(comp.Sum(nil)),
		Size:   cw.n,
	}, nil
}

func copyFile(w io.Writer, p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}
