package oci

import (
	"archive/tar"
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

// WriteLayer writes a deterministic, compressed tar of the given store paths
// to w in one pass, hashing the tar stream (diffID) and the compressed stream
// (digest) as they go by. Hardlinks are written as regular files every time:
// simpler, and no entry depends on which path came first.
//
// Its bytes depend on WithMtime and WithCompression; WithJobs and
// WithWriteProgress change only how it is written.
func WriteLayer(w io.Writer, storePaths []string, opts ...Option) (LayerDigests, error) {
	o := makeOptions(opts)
	if err := o.compression.check(""); err != nil {
		return LayerDigests{}, err
	}
	mtime := o.mtime
	diff, comp := sha256.New(), sha256.New()
	cw := &countWriter{w: io.MultiWriter(w, comp)}
	zw, err := o.compression.newWriter(cw, o.jobs)
	if err != nil {
		return LayerDigests{}, err
	}
	var tarStream io.Writer = io.MultiWriter(zw, diff)
	if o.onWrite != nil {
		tarStream = &notifyWriter{w: tarStream, notify: o.onWrite}
	}
	if err := writeTar(tarStream, storePaths, mtime); err != nil {
		zw.Close()
		return LayerDigests{}, err
	}
	if err := zw.Close(); err != nil {
		return LayerDigests{}, err
	}
	return LayerDigests{
		DiffID: "sha256:" + hex.EncodeToString(diff.Sum(nil)),
		Digest: "sha256:" + hex.EncodeToString(comp.Sum(nil)),
		Size:   cw.n,
	}, nil
}

// writeTar writes the tar stream: /nix and /nix/store first, then every
// store path's files in name order, owned by root and dated mtime.
func writeTar(w io.Writer, storePaths []string, mtime time.Time) error {
	tw := tar.NewWriter(w)
	hdr := func(name string, typ byte, mode int64) *tar.Header {
		return &tar.Header{Name: name, Typeflag: typ, Mode: mode, ModTime: mtime, Uname: "root", Gname: "root", Format: tar.FormatPAX}
	}
	for _, d := range []string{"nix/", "nix/store/"} {
		if err := tw.WriteHeader(hdr(d, tar.TypeDir, 0o555)); err != nil {
			return err
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
			return fmt.Errorf("reading store path %s: %w", sp, err)
		}
		sort.Strings(names)
		for _, p := range names {
			fi, err := os.Lstat(p)
			if err != nil {
				return err
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
				err = fmt.Errorf("%s is not a file, directory or symlink", p)
			}
			if err != nil {
				return err
			}
		}
	}
	return tw.Close()
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

type notifyWriter struct {
	w      io.Writer
	notify func(int)
}

func (n *notifyWriter) Write(b []byte) (int, error) {
	k, err := n.w.Write(b)
	n.notify(k)
	return k, err
}
