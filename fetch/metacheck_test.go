package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/pyindex"
)

func TestMetadataMustMatchItsFile(t *testing.T) {
	const filename = "a_pkg-1.0-py3-none-any.whl"
	for _, tc := range []struct {
		name, version string
		ok            bool
	}{
		{"a-pkg", "1.0", true},
		{"A.Pkg", "1.0.0", true}, // normalised name, PEP 440 equal version
		{"b", "1.0", false},
		{"a-pkg", "1.1", false},
		{"a-pkg", "1.0.post1", false},
		{"a-pkg", "not a version", false},
	} {
		meta := fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\n", tc.name, tc.version)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, meta) }))
		f := resolve.File{Filename: filename, URL: srv.URL + "/" + filename, MetadataURL: srv.URL + "/" + filename + ".metadata"}
		_, err := NewClient(srv.URL+"/simple/").Metadata(context.Background(), f)
		srv.Close()
		if tc.ok && err != nil {
			t.Errorf("%s %s: %v", tc.name, tc.version, err)
		}
		if !tc.ok && (!errors.Is(err, ErrMetadataMismatch) || !strings.Contains(err.Error(), filename)) {
			t.Errorf("%s %s: want %v naming %s, got %v", tc.name, tc.version, ErrMetadataMismatch, filename, err)
		}
		// The same METADATA inside a wheel of a --find-links directory.
		dir := t.TempDir()
		zip := zipOf(t, map[string]string{"a_pkg-1.0.dist-info/METADATA": meta,
			"a_pkg-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nTag: py3-none-any\n"})
		if err := os.WriteFile(filepath.Join(dir, filename), zip, 0o644); err != nil {
			t.Fatal(err)
		}
		fl, err := NewFindLinks(dir)
		if err != nil {
			t.Fatal(err)
		}
		pf, err := fl.Project(context.Background(), "a-pkg")
		if err != nil {
			t.Fatal(err)
		}
		_, err = fl.Metadata(context.Background(), pf.Files[0])
		if tc.ok != (err == nil) || !tc.ok && !errors.Is(err, ErrMetadataMismatch) {
			t.Errorf("find-links %s %s: %v", tc.name, tc.version, err)
		}
	}
}

// The wheel fetch downloads is checked against the lock that names it:
// its own name, version and dependencies.
func TestFetchChecksWheelAgainstLock(t *testing.T) {
	w := testfixtures.Wheel{Name: "a", Version: "1.0", Extras: []string{"x"},
		Requires: []string{"b>=1", `c; extra == "x"`, `d; python_version < "3"`}}
	s := pyindex.Start(t, []pyindex.Wheel{{Wheel: w}})
	base := lockFor(t, s, "a")
	base.Target = resolve.Target{Python: "3.11", System: "x86_64-linux", Glibc: "2.28"}
	for _, tc := range []struct {
		what    string
		edit    func(p *resolve.Package)
		missing string // "" when the fetch must succeed
	}{
		{"matching", func(p *resolve.Package) { p.Dependencies = []string{"b"} }, ""},
		{"extra in use", func(p *resolve.Package) { p.Dependencies, p.Extras = []string{"b", "c"}, []string{"x"} }, ""},
		{"dependency left out", func(p *resolve.Package) {}, "b"},
		{"extra's dependency left out", func(p *resolve.Package) { p.Dependencies, p.Extras = []string{"b"}, []string{"x"} }, "c"},
		{"other version", func(p *resolve.Package) { p.Dependencies, p.Version = []string{"b"}, "2.0" }, "2.0"},
		{"other name", func(p *resolve.Package) { p.Dependencies, p.Name = []string{"b"}, "z" }, "z"},
	} {
		t.Run(tc.what, func(t *testing.T) {
			lock := *base
			lock.Packages = append([]resolve.Package(nil), base.Packages...)
			tc.edit(&lock.Packages[0])
			cache := t.TempDir()
			for _, offline := range []bool{false, true} { // downloaded, then from the cache
				_, err := Fetch(context.Background(), &lock, WithCacheDir(cache), WithOffline(offline))
				if tc.missing == "" {
					if err != nil {
						t.Fatalf("offline %v: %v", offline, err)
					}
					continue
				}
				if !errors.Is(err, ErrMetadataMismatch) || !strings.Contains(err.Error(), lock.Packages[0].Filename) || !strings.Contains(err.Error(), tc.missing) {
					t.Fatalf("offline %v: want %v naming %s and %q, got %v", offline, ErrMetadataMismatch, lock.Packages[0].Filename, tc.missing, err)
				}
				if offline {
					break
				}
				// Fill the cache for the offline round.
				good := *base
				good.Packages = []resolve.Package{base.Packages[0]}
				good.Packages[0].Dependencies = []string{"b"}
				if _, err := Fetch(context.Background(), &good, WithCacheDir(cache)); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
