package testfixtures

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// SdistFilename is the PEP 625 name of w's source distribution:
// {normalised name with underscores}-{version}.tar.gz.
func (w Wheel) SdistFilename() string {
	return fmt.Sprintf("%s-%s.tar.gz", strings.ToLower(escapeComponent(w.Name)), w.Version)
}

// PKGInfo renders the sdist's PKG-INFO. Metadata 2.2 (PEP 643) with no
// Dynamic fields says the dependencies are final, so a resolver may trust
// it without building.
func (w Wheel) PKGInfo() []byte {
	return bytes.Replace(w.Metadata(), []byte("Metadata-Version: 2.1"), []byte("Metadata-Version: 2.2"), 1)
}

var extraMarker = regexp.MustCompile(`^(.*?)\s*;\s*extra\s*==\s*"([^"]+)"\s*$`)

// pyproject renders a pyproject.toml that builds w with its build system
// (setuptools unless w names another): the project's files sit under src/.
func (w Wheel) pyproject() []byte {
	var b bytes.Buffer
	requires, backend := []string{"setuptools>=61"}, "setuptools.build_meta"
	if len(w.BuildRequires) > 0 || w.BuildBackend != "" {
		requires, backend = w.BuildRequires, w.BuildBackend
	}
	quoted := make([]string, len(requires))
	for i, r := range requires {
		quoted[i] = strconv.Quote(r)
	}
	fmt.Fprintf(&b, "[build-system]\nrequires = [%s]\nbuild-backend = %s\n\n", strings.Join(quoted, ", "), strconv.Quote(backend))
	fmt.Fprintf(&b, "[project]\nname = %s\nversion = %s\n", strconv.Quote(w.Name), strconv.Quote(w.Version))
	if w.RequiresPython != "" {
		fmt.Fprintf(&b, "requires-python = %s\n", strconv.Quote(w.RequiresPython))
	}
	optional := map[string][]string{}
	var deps []string
	for _, r := range w.Requires {
		if m := extraMarker.FindStringSubmatch(r); m != nil {
			optional[m[2]] = append(optional[m[2]], strconv.Quote(m[1]))
			continue
		}
		deps = append(deps, strconv.Quote(r))
	}
	fmt.Fprintf(&b, "dependencies = [%s]\n", strings.Join(deps, ", "))
	if len(w.Extras) > 0 {
		b.WriteString("\n[project.optional-dependencies]\n")
		for _, e := range w.Extras {
			fmt.Fprintf(&b, "%s = [%s]\n", strconv.Quote(e), strings.Join(optional[e], ", "))
		}
	}
	return b.Bytes()
}

// WriteSdist writes w as a source distribution into dir and returns its
// path: PKG-INFO, a pyproject.toml for setuptools and w.Files under src/,
// all below {name}-{version}/, with fixed times and owners so the same
// Wheel always gives the same bytes.
func WriteSdist(dir string, w Wheel) (string, error) {
	base := strings.TrimSuffix(w.SdistFilename(), ".tar.gz")
	files := []File{
		{Path: "PKG-INFO", Data: w.PKGInfo()},
		{Path: "pyproject.toml", Data: w.pyproject()},
	}
	for _, f := range w.Files {
		files = append(files, File{Path: "src/" + f.Path, Data: f.Data, Mode: f.Mode})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	dirs := map[string]bool{}
	for _, f := range files {
		for d := filepath.Dir(f.Path); d != "."; d = filepath.Dir(d) {
			dirs[d] = true
		}
	}
	dirList := []string{""}
	for d := range dirs {
		dirList = append(dirList, d)
	}
	sort.Strings(dirList)
	for _, d := range dirList {
		name := base + "/"
		if d != "" {
			name += d + "/"
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeDir, Mode: 0o755, ModTime: fixedZipTime, Format: tar.FormatPAX}); err != nil {
			return "", err
		}
	}
	for _, f := range files {
		mode := int64(f.Mode)
		if mode == 0 {
			mode = 0o644
		}
		hdr := &tar.Header{Name: base + "/" + f.Path, Typeflag: tar.TypeReg, Mode: mode, Size: int64(len(f.Data)), ModTime: fixedZipTime, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return "", err
		}
		if _, err := tw.Write(f.Data); err != nil {
			return "", err
		}
	}
	if err := tw.Close(); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	path := filepath.Join(dir, w.SdistFilename())
	return path, os.WriteFile(path, buf.Bytes(), 0o644)
}
