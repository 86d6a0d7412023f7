package distinfo

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/machnix/machnix/resolve/pep508"
)

// Sentinel errors. The texts follow pip's where pip has one.
var (
	ErrNotWheel = errors.New("not a valid wheel")
	ErrTooLarge = errors.New("decompressed size over the limit")

	ErrNoDistInfo       = fmt.Errorf("%w: it has no .dist-info directory", ErrNotWheel)
	ErrMultipleDistInfo = fmt.Errorf("%w: it has multiple .dist-info directories", ErrNotWheel)
	ErrOtherProject     = fmt.Errorf("%w: its .dist-info directory is for another project", ErrNotWheel)
	ErrMissingFile      = fmt.Errorf("%w: its .dist-info directory lacks a required file", ErrNotWheel)
)

// MaxFileSize caps WHEEL, METADATA and RECORD. The largest real RECORD
// files (wheels of tens of thousands of files) are a few MiB; these are
// parsed whole, so a larger one is refused rather than buffered.
const MaxFileSize = 16 << 20

// Names of the files a .dist-info directory holds.
const (
	WHEEL    = "WHEEL"
	METADATA = "METADATA"
	RECORD   = "RECORD"
)

// required are the files pip refuses a wheel without.
var required = []string{WHEEL, METADATA}

// Find returns the wheel's .dist-info directory from the archive's entry
// names (directory entries included or not). filename is the wheel's file
// name (a path is fine): its project part, before the first "-", is what
// the directory must be for. An empty filename skips that comparison, for
// a file kept under another name (a cache blob named by its hash) whose
// real name was checked where it was fetched.
func Find(names []string, filename string) (string, error) {
	seen := map[string]bool{}
	var dirs []string
	for _, n := range names {
		top, _, _ := strings.Cut(n, "/")
		if strings.HasSuffix(top, ".dist-info") && !seen[top] {
			seen[top] = true
			dirs = append(dirs, top)
		}
	}
	switch len(dirs) {
	case 0:
		return "", ErrNoDistInfo
	case 1:
	default:
		sort.Strings(dirs)
		return "", fmt.Errorf("%w (%s)", ErrMultipleDistInfo, strings.Join(dirs, ", "))
	}
	dir := dirs[0]
	// A .dist-info directory is {name}-{version}.dist-info, and neither
	// part holds a "-" once escaped; the last "-" also splits an older,
	// unescaped name correctly.
	stem := strings.TrimSuffix(dir, ".dist-info")
	if i := strings.LastIndexByte(stem, '-'); i >= 0 {
		stem = stem[:i]
	}
	if want := Project(filename); filename != "" && pep508.NormalizeName(stem) != want {
		return "", fmt.Errorf("%w: %q is for %q, the file name for %q", ErrOtherProject, dir, stem, want)
	}
	present := map[string]bool{}
	for _, n := range names {
		if rest, ok := strings.CutPrefix(n, dir+"/"); ok {
			present[rest] = true
		}
	}
	for _, f := range required {
		if !present[f] {
			return "", fmt.Errorf("%w: %s/%s is missing", ErrMissingFile, dir, f)
		}
	}
	return dir, nil
}

// Project is the normalised project part of a wheel's file name (a path
// is fine): what comes before the first "-".
func Project(filename string) string {
	name, _, _ := strings.Cut(path.Base(filename), "-")
	return pep508.NormalizeName(name)
}

// Files is the .dist-info directory of an opened wheel.
type Files struct {
	// Dir is the directory's name, e.g. numpy-1.26.4.dist-info.
	Dir     string
	entries map[string]*zip.File
}

// Open finds the .dist-info directory among the zip's entries by the rule
// of [Find]. Nothing is inflated.
func Open(files []*zip.File, filename string) (*Files, error) {
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Name
	}
	dir, err := Find(names, filename)
	if err != nil {
		return nil, err
	}
	fs := &Files{Dir: dir, entries: map[string]*zip.File{}}
	for _, f := range files {
		if rest, ok := strings.CutPrefix(f.Name, dir+"/"); ok && !strings.Contains(rest, "/") {
			if _, dup := fs.entries[rest]; !dup {
				fs.entries[rest] = f
			}
		}
	}
	return fs, nil
}

// Read inflates one file of the directory (WHEEL, METADATA or RECORD),
// refusing one over MaxFileSize whatever its header declares.
func (fs *Files) Read(name string) ([]byte, error) {
	f, ok := fs.entries[name]
	if !ok {
		return nil, fmt.Errorf("%w: %s/%s is missing", ErrMissingFile, fs.Dir, name)
	}
	what := fs.Dir + "/" + name
	if f.UncompressedSize64 > MaxFileSize {
		return nil, fmt.Errorf("%w: %s declares %d bytes, more than the %d allowed for it; real ones are far smaller, so the wheel is corrupt or crafted", ErrTooLarge, what, f.UncompressedSize64, MaxFileSize)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrNotWheel, what, err)
	}
	defer rc.Close()
	// The buffer grows with the bytes really inflated: the declared size
	// is the zip's claim, not a promise.
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(rc, MaxFileSize+1))
	if n > MaxFileSize {
		return nil, fmt.Errorf("%w: %s inflates past the %d bytes allowed for it; real ones are far smaller, so the wheel is corrupt or crafted", ErrTooLarge, what, MaxFileSize)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrNotWheel, what, err)
	}
	return buf.Bytes(), nil
}
