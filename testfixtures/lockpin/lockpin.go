// Package lockpin pins fixture files as a lock does, for tests that write
// locks by hand.
package lockpin

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/resolve/pep508"
	"github.com/machnix/machnix/resolve/tags"
)

// File pins the wheel or sdist at path, served from base under url (its
// file name when url is empty), as a lock would: name and version from the
// file name, its sha256 and size.
func File(t testing.TB, path, base, url string, prov resolve.Provider) resolve.Package {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	file := filepath.Base(path)
	if url == "" {
		url = file
	}
	var name, version string
	if prov == resolve.ProviderSdist {
		name, version, err = tags.ParseSdistFilename(file)
	} else {
		name, version, _, _, err = tags.ParseWheelFilename(file)
	}
	if err != nil {
		t.Fatal(err)
	}
	return resolve.Package{Name: pep508.NormalizeName(name), Version: version, Provider: prov, Filename: file,
		URL: base + "/" + url, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data))}
}
