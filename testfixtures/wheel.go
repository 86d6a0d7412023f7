package testfixtures

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Wheel describes a wheel to write. Every wheel the tests use is written by
// WriteWheel, so that WHEEL, METADATA and RECORD are always consistent.
type Wheel struct {
	Name    string // project name as it appears in METADATA
	Version string
	// Tags are the wheel's compressed tag set, e.g. "cp311-cp311-linux_x86_64";
	// the first one also names the file. Defaults to "py3-none-any".
	Tags []string
	// Requires are Requires-Dist values; RequiresPython is Requires-Python.
	Requires       []string
	RequiresPython string
	// Extras are Provides-Extra values.
	Extras []string
	Files  []File
	// BuildRequires and BuildBackend are the [build-system] of the
	// pyproject.toml WriteSdist writes; without them it is setuptools>=61
	// with setuptools.build_meta.
	BuildRequires []string
	BuildBackend  string
}

// File is one file in a wheel, by its path in the archive.
type File struct {
	Path string
	Data []byte
	Mode fs.FileMode // 0 means 0o644
}

// DistInfo is the name of the wheel's .dist-info directory.
func (w Wheel) DistInfo() string {
	return fmt.Sprintf("%s-%s.dist-info", escapeComponent(w.Name), w.Version)
}

// Filename is the wheel's PEP 427 file name.
func (w Wheel) Filename() string {
	tag := "py3-none-any"
	if len(w.Tags) > 0 {
		tag = w.Tags[0]
	}
	return fmt.Sprintf("%s-%s-%s.whl", escapeComponent(w.Name), w.Version, tag)
}

// escapeComponent applies the wheel file name escaping of the binary
// distribution format spec: runs of -_. become a single underscore.
func escapeComponent(s string) string {
	var b strings.Builder
	prevSep := false
	for _, r := range s {
		if r == '-' || r == '_' || r == '.' {
			if !prevSep {
				b.WriteByte('_')
			}
			prevSep = true
			continue
		}
		prevSep = false
		b.WriteRune(r)
	}
	return b.String()
}

// Metadata renders the METADATA file.
func (w Wheel) Metadata() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Metadata-Version: 2.1\nName: %s\nVersion: %s\n", w.Name, w.Version)
	if w.RequiresPython != "" {
		fmt.Fprintf(&b, "Requires-Python: %s\n", w.RequiresPython)
	}
	for _, e := range w.Extras {
		fmt.Fprintf(&b, "Provides-Extra: %s\n", e)
	}
	for _, r := range w.Requires {
		fmt.Fprintf(&b, "Requires-Dist: %s\n", r)
	}
	return b.Bytes()
}

// WriteWheel writes w into dir and returns the wheel's path. Entries are
// written in sorted order with a fixed time, so the same Wheel always gives
// the same bytes and hash.
func WriteWheel(dir string, w Wheel) (string, error) {
	tags := w.Tags
	if len(tags) == 0 {
		tags = []string{"py3-none-any"}
	}
	distInfo := w.DistInfo()
	var wheelFile bytes.Buffer
	purelib := "true"
	for _, t := range tags {
		if !strings.HasSuffix(t, "-any") {
			purelib = "false"
		}
	}
	fmt.Fprintf(&wheelFile, "Wheel-Version: 1.0\nGenerator: machnix-testfixtures\nRoot-Is-Purelib: %s\n", purelib)
	for _, t := range tags {
		fmt.Fprintf(&wheelFile, "Tag: %s\n", t)
	}
	files := append([]File(nil), w.Files...)
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	files = append(files,
		File{Path: distInfo + "/METADATA", Data: w.Metadata()},
		File{Path: distInfo + "/WHEEL", Data: wheelFile.Bytes()},
	)
	var record bytes.Buffer
	for _, f := range files {
		sum := sha256.Sum256(f.Data)
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", f.Path, base64.RawURLEncoding.EncodeToString(sum[:]), len(f.Data))
	}
	fmt.Fprintf(&record, "%s/RECORD,,\n", distInfo)
	files = append(files, File{Path: distInfo + "/RECORD", Data: record.Bytes()})

	path := filepath.Join(dir, w.Filename())
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		mode := f.Mode
		if mode == 0 {
			mode = 0o644
		}
		hdr := &zip.FileHeader{Name: f.Path, Method: zip.Deflate}
		hdr.SetMode(mode)
		hdr.Modified = fixedZipTime
		fw, err := zw.CreateHeader(hdr)
		if err != nil {
			return "", err
		}
		if _, err := fw.Write(f.Data); err != nil {
			return "", err
		}
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return "", err
	}
	return path, nil
}
