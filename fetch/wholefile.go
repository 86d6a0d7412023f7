package fetch

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/mail"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/mholt/archives"

	"github.com/machnix/machnix/internal/distinfo"
	"github.com/machnix/machnix/resolve"
)

// ErrDynamicMetadata means an sdist's dependencies are only known after a
// build, which machnix does not run while resolving.
var ErrDynamicMetadata = errors.New("dependencies are only known after a build")

// maxWholeFile bounds what is downloaded to read metadata: no sdist or
// wheel a resolver should take apart in memory is larger.
const maxWholeFile = 1 << 30

// download fetches a whole file into a temporary file, checking its hash
// when the index gave one. The caller removes it.
func (c *Client) downloadTemp(ctx context.Context, file resolve.File) (*os.File, error) {
	return retryTimeout(ctx, func() (*os.File, error) { return c.downloadTempOnce(ctx, file) })
}

func (c *Client) downloadTempOnce(ctx context.Context, file resolve.File) (*os.File, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, file.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: bad URL: %w", Redact(file.URL), urlErr(err))
	}
	c.authorize(req)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Redact(file.URL), urlErr(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: the server answered HTTP %d for %s; try again later, or ask the index's operator", Redact(file.URL), resp.StatusCode, file.Filename)
	}
	tmp, err := os.CreateTemp("", "machnix-meta-*")
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(resp.Body, maxWholeFile+1))
	if err == nil && n > maxWholeFile {
		err = fmt.Errorf("%s is larger than %d bytes, too large to read its metadata from: %w", file.Filename, maxWholeFile, ErrTooLarge)
	}
	if err == nil && file.SHA256 != "" && !strings.EqualFold(hex.EncodeToString(h.Sum(nil)), file.SHA256) {
		err = fmt.Errorf("%s from %s: %w", file.Filename, Redact(file.URL), ErrHashMismatch)
	}
	if err == nil {
		_, err = tmp.Seek(0, io.SeekStart)
	}
	if err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, err
	}
	return tmp, nil
}

// wheelMetadataWhole reads METADATA from a wheel downloaded whole, for
// servers that refuse range requests.
func (c *Client) wheelMetadataWhole(ctx context.Context, file resolve.File) (*resolve.Metadata, error) {
	tmp, err := c.downloadTemp(ctx, file)
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	st, err := tmp.Stat()
	if err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(tmp, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s is not a readable wheel: %w", file.Filename, err)
	}
	return wheelMetadataFromZip(zr, file.Filename)
}

// wheelMetadataFromZip reads a wheel's .dist-info/METADATA, found by the
// rule every reader of wheels in machnix follows (internal/distinfo). The
// range reader has only the central directory's names when the rule is
// applied: nothing but METADATA is fetched.
func wheelMetadataFromZip(zr *zip.Reader, filename string) (*resolve.Metadata, error) {
	di, err := distinfo.Open(zr.File, filename)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filename, err)
	}
	b, err := di.Read(distinfo.METADATA)
	if errors.Is(err, distinfo.ErrTooLarge) {
		err = fmt.Errorf("%w: %w", ErrTooLarge, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filename, err)
	}
	m, err := ParseMetadata(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %s/METADATA: %w", filename, di.Dir, err)
	}
	return m, nil
}

// errFound stops an archive walk once PKG-INFO is read.
var errFound = errors.New("found")

// sdistMetadata reads an sdist's PKG-INFO (the archive's top directory
// holds it). Only Metadata 2.2 or later whose Requires-Dist and
// Requires-Python are not Dynamic (PEP 643) is trusted: anything else can
// change when the sdist is built.
func (c *Client) sdistMetadata(ctx context.Context, file resolve.File) (*resolve.Metadata, error) {
	tmp, err := c.downloadTemp(ctx, file)
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	return sdistMetadataFrom(ctx, file.Filename, tmp)
}

// sdistMetadataFrom reads PKG-INFO from the top directory of an sdist
// archive and checks that PEP 643 makes it final.
func sdistMetadataFrom(ctx context.Context, filename string, r io.Reader) (*resolve.Metadata, error) {
	pkgInfo, err := sdistTopFile(ctx, filename, r, "PKG-INFO")
	if err != nil {
		return nil, err
	}
	if pkgInfo == nil {
		return nil, fmt.Errorf("sdist %s has no PKG-INFO", filename)
	}
	if err := staticMetadata(pkgInfo); err != nil {
		return nil, fmt.Errorf("sdist %s: %w", filename, err)
	}
	m, err := ParseMetadata(pkgInfo)
	if err != nil {
		return nil, fmt.Errorf("sdist %s: PKG-INFO: %w", filename, err)
	}
	return m, nil
}

// sdistTopFile returns the file named base in the sdist's top directory
// ({name}-{version}/base), or nil when there is none. Nested files of the
// same name (an .egg-info's PKG-INFO, a vendored pyproject.toml) are not it.
func sdistTopFile(ctx context.Context, filename string, r io.Reader, base string) ([]byte, error) {
	format, stream, err := archives.Identify(ctx, filename, r)
	if err != nil {
		return nil, fmt.Errorf("sdist %s: unknown archive format: %w", filename, err)
	}
	ex, ok := format.(archives.Extractor)
	if !ok {
		return nil, fmt.Errorf("sdist %s: %s archives cannot be read", filename, format.Extension())
	}
	var data []byte
	err = ex.Extract(ctx, stream, func(ctx context.Context, f archives.FileInfo) error {
		name := path.Clean(strings.TrimPrefix(f.NameInArchive, "./"))
		dir, b := path.Split(name)
		if b != base || dir == "" || strings.Count(strings.Trim(dir, "/"), "/") != 0 || !f.Mode().IsRegular() {
			return nil
		}
		rc, err := f.Open()
		if err != nil {
			return err
		}
		defer rc.Close()
		if data, err = readCapped(rc, MaxMetadataSize, f.NameInArchive); err != nil {
			return err
		}
		return errFound
	})
	if err != nil && !errors.Is(err, errFound) && !errors.Is(err, fs.SkipAll) {
		return nil, fmt.Errorf("sdist %s: %w", filename, err)
	}
	return data, nil
}

// staticMetadata checks PEP 643: Metadata-Version 2.2 or later, and neither
// Requires-Dist nor Requires-Python listed as Dynamic.
func staticMetadata(b []byte) error {
	msg, err := mail.ReadMessage(io.MultiReader(strings.NewReader(string(b)), strings.NewReader("\n\n")))
	if err != nil {
		return fmt.Errorf("unreadable PKG-INFO: %w", err)
	}
	version := msg.Header.Get("Metadata-Version")
	major, minor, _ := strings.Cut(version, ".")
	ma, err1 := strconv.Atoi(major)
	mi, err2 := strconv.Atoi(minor)
	if err1 != nil || err2 != nil || ma < 2 || (ma == 2 && mi < 2) {
		return fmt.Errorf("%w: its PKG-INFO is Metadata-Version %q, older than 2.2 (PEP 643), so its dependencies may change in a build; use a wheel or an index with PEP 658 metadata", ErrDynamicMetadata, version)
	}
	for _, d := range msg.Header["Dynamic"] {
		if f := strings.ToLower(strings.TrimSpace(d)); f == "requires-dist" || f == "requires-python" {
			return fmt.Errorf("%w: its PKG-INFO declares %s dynamic; use a wheel or an index with PEP 658 metadata", ErrDynamicMetadata, strings.TrimSpace(d))
		}
	}
	return nil
}

// SdistBuildRequires reads the [build-system] requires of the sdist at
// path (PEP 518), the packages a build needs. Without a pyproject.toml, or
// without the key, it is setuptools' legacy default: setuptools and wheel.
func SdistBuildRequires(ctx context.Context, file, filename string) ([]string, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	pyproject, err := sdistTopFile(ctx, filename, f, "pyproject.toml")
	if err != nil {
		return nil, err
	}
	legacy := []string{"setuptools>=40.8.0", "wheel"}
	if pyproject == nil {
		return legacy, nil
	}
	var cfg struct {
		BuildSystem *struct {
			Requires *[]string `toml:"requires"`
		} `toml:"build-system"`
	}
	if _, err := toml.Decode(string(pyproject), &cfg); err != nil {
		return nil, fmt.Errorf("sdist %s: pyproject.toml: %w", filename, err)
	}
	if cfg.BuildSystem == nil || cfg.BuildSystem.Requires == nil {
		return legacy, nil
	}
	return *cfg.BuildSystem.Requires, nil
}
