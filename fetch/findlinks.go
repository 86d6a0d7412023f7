package fetch

import (
	"archive/zip"
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/resolve/pep508"
	"github.com/machnix/machnix/resolve/tags"
)

// FindLinks is a local directory of wheels and sdists used as an index
// (pip's --find-links DIR). Files are named by file:// URLs and hashed when
// listed, so the lock pins them like any other.
type FindLinks struct {
	dir string
	url string // file:// URL of dir, the files' Index

	once  sync.Once
	err   error
	files map[string][]resolve.File // normalised project → files
}

var _ resolve.Index = (*FindLinks)(nil)

// NewFindLinks returns an index over the distributions in dir.
func NewFindLinks(dir string) (*FindLinks, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("find-links %s: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("find-links %s: not a directory", dir)
	}
	return &FindLinks{dir: abs, url: (&url.URL{Scheme: "file", Path: abs + "/"}).String()}, nil
}

// URL is the directory's file:// URL, the Index of its files.
func (f *FindLinks) URL() string { return f.url }

func (f *FindLinks) indexURL() string { return f.url }

// scan lists and hashes the directory once.
func (f *FindLinks) scan() error {
	f.once.Do(func() {
		f.files = map[string][]resolve.File{}
		entries, err := os.ReadDir(f.dir)
		if err != nil {
			f.err = err
			return
		}
		for _, e := range entries {
			name := e.Name()
			project, ok := distributionProject(name)
			if !ok || !e.Type().IsRegular() {
				continue
			}
			p := filepath.Join(f.dir, name)
			sum, size, err := hashFile(p)
			if err != nil {
				f.err = err
				return
			}
			f.files[project] = append(f.files[project], resolve.File{Filename: name,
				URL: (&url.URL{Scheme: "file", Path: p}).String(), SHA256: sum, Size: size, Index: f.url})
		}
		for _, fs := range f.files {
			sort.Slice(fs, func(i, j int) bool { return fs[i].Filename < fs[j].Filename })
		}
	})
	return f.err
}

// distributionProject is the normalised project of a wheel or sdist file
// name; other files of the directory are not distributions.
func distributionProject(filename string) (string, bool) {
	if strings.HasSuffix(filename, ".whl") {
		name, _, _, _, err := tags.ParseWheelFilename(filename)
		return name, err == nil
	}
	name, _, err := tags.ParseSdistFilename(filename)
	return name, err == nil
}

// Project implements resolve.Index.
func (f *FindLinks) Project(_ context.Context, name string) (*resolve.ProjectFiles, error) {
	if err := f.scan(); err != nil {
		return nil, err
	}
	files, ok := f.files[pep508.NormalizeName(name)]
	if !ok {
		return nil, fmt.Errorf("find-links %s: %s: %w", f.dir, name, resolve.ErrProjectNotFound)
	}
	return &resolve.ProjectFiles{Name: name, Index: f.url, Files: append([]resolve.File(nil), files...)}, nil
}

// Metadata implements resolve.Index: a wheel's METADATA, or an sdist's
// static PKG-INFO, read from the local file.
func (f *FindLinks) Metadata(ctx context.Context, file resolve.File) (*resolve.Metadata, error) {
	m, err := f.metadata(ctx, file)
	if err != nil {
		return nil, err
	}
	if err := checkMetadataFile(file.Filename, m); err != nil {
		return nil, err
	}
	return m, nil
}

func (f *FindLinks) metadata(ctx context.Context, file resolve.File) (*resolve.Metadata, error) {
	p := filepath.Join(f.dir, filepath.Base(file.Filename))
	fh, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	if !strings.HasSuffix(file.Filename, ".whl") {
		return sdistMetadataFrom(ctx, file.Filename, fh)
	}
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(fh, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s is not a readable wheel: %w", p, err)
	}
	return wheelMetadataFromZip(zr, file.Filename)
}
