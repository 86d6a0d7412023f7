package fetch

import (
	"archive/zip"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/resolve/pep440"
	"github.com/machnix/machnix/resolve/pep508"
	"github.com/machnix/machnix/resolve/tags"
)

// ErrMetadataMismatch means a file's core metadata says another project,
// version or set of dependencies than the file name or the lock.
var ErrMetadataMismatch = errors.New("metadata does not match")

// checkMetadataFile refuses metadata whose name or version is not the
// file name's: the resolver picks candidates by file name and then trusts
// the metadata for their dependencies.
func checkMetadataFile(filename string, m *resolve.Metadata) error {
	var name, version string
	var err error
	if strings.HasSuffix(filename, ".whl") {
		name, version, _, _, err = tags.ParseWheelFilename(filename)
	} else {
		name, version, err = tags.ParseSdistFilename(filename)
	}
	if err != nil {
		return fmt.Errorf("%q: %w: it is not a wheel or sdist file name (%v)", filename, ErrMetadataMismatch, err)
	}
	return checkNameVersion(filename, m, name, version, "its file name")
}

func checkNameVersion(filename string, m *resolve.Metadata, name, version, against string) error {
	if pep508.NormalizeName(m.Name) != pep508.NormalizeName(name) {
		return fmt.Errorf("%q: %w: its metadata names project %q, %s %q; the index serves a broken file", filename, ErrMetadataMismatch, m.Name, against, name)
	}
	mv, err1 := pep440.Parse(m.Version)
	fv, err2 := pep440.Parse(version)
	if err1 != nil || err2 != nil || !mv.Equal(fv) {
		return fmt.Errorf("%q: %w: its metadata says version %q, %s %q; the index serves a broken file", filename, ErrMetadataMismatch, m.Version, against, version)
	}
	return nil
}

// checkWheelAgainstLock compares a fetched wheel's own METADATA with the
// lock's package: the lock's dependencies may come from an index's
// metadata file, which the wheel need not agree with.
func checkWheelAgainstLock(path string, target resolve.Target, p resolve.Package) error {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return fmt.Errorf("%s %s: %s is not a readable wheel: %w", p.Name, p.Version, p.Filename, err)
	}
	defer zr.Close()
	m, err := wheelMetadataFromZip(&zr.Reader, p.Filename)
	if err != nil {
		return err
	}
	if err := checkNameVersion(p.Filename, m, p.Name, p.Version, "the lock"); err != nil {
		return err
	}
	env := target.WithDefaults().Environment()
	var missing []string
	for _, s := range m.RequiresDist {
		r, err := pep508.ParseRequirement(s)
		if err != nil {
			return fmt.Errorf("%q: %w: its METADATA has an unreadable Requires-Dist %q: %v", p.Filename, ErrMetadataMismatch, s, err)
		}
		needed := r.Marker.Evaluate(env, "")
		for _, e := range p.Extras {
			needed = needed || r.Marker.Evaluate(env, e)
		}
		name := r.Normalized()
		if needed && name != pep508.NormalizeName(p.Name) && !slices.Contains(p.Dependencies, name) && !slices.Contains(missing, name) {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s %s: %q: %w: the wheel requires %s, which the lock does not list among its dependencies; re-run machnix resolve, and if this stays, the index's metadata for it is wrong",
			p.Name, p.Version, p.Filename, ErrMetadataMismatch, strings.Join(missing, ", "))
	}
	return nil
}
