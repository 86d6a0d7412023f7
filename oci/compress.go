package oci

import (
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/zstd"
	"github.com/klauspost/pgzip"
)

// Compression chooses how layers are compressed.
type Compression string

const (
	// Gzip is the default: every registry, runtime and tool reads it.
	Gzip Compression = "gzip"
	// Zstd gives smaller layers that unpack faster; it needs containerd 1.5,
	// podman 3 or newer on the pulling side.
	Zstd Compression = "zstd"
)

// The compressor settings are fixed, not tuned per machine, because a
// layer's digest must not depend on where it was built. pgzip compresses
// fixed-size blocks, each primed with the previous block's last 32 KiB, and
// klauspost's zstd stream encoder cuts blocks at fixed sizes too, so the
// number of goroutines changes the speed and never the bytes; a test holds
// both to that.
const (
	gzipLevel     = 6 // the level of gzip(1), docker and dockerTools
	gzipBlockSize = 1 << 20
	zstdLevel     = zstd.SpeedDefault // about zstd(1) -3
)

// key names every setting that changes the compressed bytes; it is part of
// each layer's cache key.
func (c Compression) key() string {
	switch c {
	case Zstd:
		return fmt.Sprintf("zstd-klauspost-%s", zstdLevel)
	default:
		return fmt.Sprintf("gzip-pgzip-level%d-block%d", gzipLevel, gzipBlockSize)
	}
}

func (c Compression) check(f Format) error {
	switch c {
	case Gzip, "":
		return nil
	case Zstd:
		if f == FormatDocker {
			return fmt.Errorf("%w: Docker schema 2 has no zstd layer type; use --format oci with zstd", ErrBadConfig)
		}
		return nil
	}
	return fmt.Errorf("%w: compression %q (want gzip or zstd)", ErrBadConfig, c)
}

func (c Compression) mediaType(f Format) types.MediaType {
	switch {
	case c == Zstd:
		return types.OCILayerZStd
	case f == FormatDocker:
		return types.DockerLayer
	}
	return types.OCILayer
}

func (c Compression) extension() string {
	if c == Zstd {
		return ".tar.zst"
	}
	return ".tar.gz"
}

// newWriter compresses into w with up to jobs goroutines.
func (c Compression) newWriter(w io.Writer, jobs int) (io.WriteCloser, error) {
	jobs = max(1, jobs)
	if c == Zstd {
		return zstd.NewWriter(w, zstd.WithEncoderLevel(zstdLevel), zstd.WithEncoderConcurrency(jobs))
	}
	gz, err := pgzip.NewWriterLevel(w, gzipLevel)
	if err != nil {
		return nil, err
	}
	if err := gz.SetConcurrency(gzipBlockSize, jobs); err != nil {
		return nil, err
	}
	return gz, nil
}

// newReader decompresses r; closing it does not close r.
func (c Compression) newReader(r io.Reader) (io.ReadCloser, error) {
	if c == Zstd {
		d, err := zstd.NewReader(r)
		if err != nil {
			return nil, err
		}
		return d.IOReadCloser(), nil
	}
	return pgzip.NewReader(r)
}
