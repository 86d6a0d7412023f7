package autopatch

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/machnix/machnix/testfixtures"
)

// readelfFacts is what binutils readelf -d -V shows for one ELF file: the
// independent ground truth the parser is checked against.
type readelfFacts struct {
	needed, rpath, runpath []string
	versions               map[string][]string // prefix → versions, from .gnu.version_r
}

var (
	reNeeded  = regexp.MustCompile(`\(NEEDED\)\s+Shared library: \[(.*)\]`)
	reRpath   = regexp.MustCompile(`\(RPATH\)\s+Library rpath: \[(.*)\]`)
	reRunpath = regexp.MustCompile(`\(RUNPATH\)\s+Library runpath: \[(.*)\]`)
	reVerName = regexp.MustCompile(`Name: (\S+)\s+Flags`)
)

func readelf(t *testing.T, file string) readelfFacts {
	t.Helper()
	testfixtures.RequireTool(t, "readelf")
	out, err := exec.Command("readelf", "-d", "-V", "-W", file).CombinedOutput()
	if err != nil {
		t.Fatalf("readelf %s: %v\n%s", file, err, out)
	}
	f := readelfFacts{needed: []string{}, rpath: []string{}, runpath: []string{}, versions: map[string][]string{}}
	for _, m := range reNeeded.FindAllStringSubmatch(string(out), -1) {
		f.needed = append(f.needed, m[1])
	}
	for _, m := range reRpath.FindAllStringSubmatch(string(out), -1) {
		f.rpath = append(f.rpath, strings.Split(m[1], ":")...)
	}
	for _, m := range reRunpath.FindAllStringSubmatch(string(out), -1) {
		f.runpath = append(f.runpath, strings.Split(m[1], ":")...)
	}
	_, verneed, _ := strings.Cut(string(out), "Version needs section")
	for _, m := range reVerName.FindAllStringSubmatch(verneed, -1) {
		if p, v, ok := splitVersionName(m[1]); ok {
			f.versions[p] = append(f.versions[p], v)
		}
	}
	return f
}

// extractEntry writes one zip entry to a temp file so readelf can read it.
func extractEntry(t *testing.T, wheel, name string) string {
	t.Helper()
	zr, err := zip.OpenReader(wheel)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name != name {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		var buf bytes.Buffer
		if _, err := buf.ReadFrom(rc); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), filepath.Base(name))
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Fatalf("%s has no entry %s", wheel, name)
	return ""
}

// crossCheckReadelf compares every ELF in the report with readelf's view.
func crossCheckReadelf(t *testing.T, wr WheelReport) {
	t.Helper()
	for _, e := range wr.ELFs {
		f := readelf(t, extractEntry(t, wr.File, e.Path))
		if !equal(e.Needed, f.needed) {
			t.Errorf("%s: needed %v, readelf says %v", e.Path, e.Needed, f.needed)
		}
		if !equal(e.RPath, f.rpath) || !equal(e.RunPath, f.runpath) {
			t.Errorf("%s: rpath %v runpath %v, readelf says %v %v", e.Path, e.RPath, e.RunPath, f.rpath, f.runpath)
		}
		want := highestVersions(f.versions)
		if len(want) != len(e.VersionNeeds) {
			t.Errorf("%s: version needs %v, readelf says %v", e.Path, e.VersionNeeds, want)
		}
		for p, v := range want {
			if e.VersionNeeds[p] != v {
				t.Errorf("%s: %s needs %q, readelf says %q", e.Path, p, e.VersionNeeds[p], v)
			}
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func inspectOne(t *testing.T, file string, opts ...Option) WheelReport {
	t.Helper()
	rep, err := Inspect(context.Background(), []string{file}, append([]Option{WithNixLocate(false), WithSystem("x86_64-linux")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return rep.Wheels[0]
}

func deps(wr WheelReport) map[string]Dep {
	out := map[string]Dep{}
	for _, e := range wr.ELFs {
		for _, d := range e.Deps {
			out[d.Soname] = d
		}
	}
	return out
}

// external returns the sonames that are neither glibc nor libpython-free
// bundled: what auditwheel calls external libraries.
func external(wr WheelReport) []string {
	s := set{}
	for _, e := range wr.ELFs {
		for _, d := range e.Deps {
			if d.Status != StatusLibc && d.Status != StatusBundled {
				s.add(d.Soname)
			}
		}
	}
	return s.sorted()
}
