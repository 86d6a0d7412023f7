package project_test

import (
	"context"
	"errors"
	"os"
	osexec "os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/machnix/machnix/internal/nar"
	"github.com/machnix/machnix/resolve/pep508"
	"github.com/machnix/machnix/resolve/project"
	"github.com/machnix/machnix/testfixtures"
)

// writeProject writes files (path relative to a new project directory).
func writeProject(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	testfixtures.WriteFiles(t, dir, files)
	return dir
}

var env = pep508.EnvironmentFor("3.11", "x86_64-linux")

func TestReadStatic(t *testing.T) {
	dir := writeProject(t, map[string]string{"pyproject.toml": `
[build-system]
requires = ["flit_core>=3.2,<4"]
build-backend = "flit_core.buildapi"

[project]
name = "My_App"
version = "1.0.0-rc1"
requires-python = ">=3.9"
dependencies = ["Requests>=2", "tomli; python_version < '3.11'", "colorama; sys_platform == 'win32'"]

[project.optional-dependencies]
Fast_Json = ["orjson"]
test = ["pytest; extra == 'test'"]
`})
	m, err := project.Read(context.Background(), dir, project.WithBackend(failingBackend{t}))
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "my-app" || m.Version != "1.0.0rc1" || m.Backend != "flit_core.buildapi" || m.FromBackend {
		t.Errorf("got %+v", m)
	}
	if !slices.Equal(m.BuildRequires, []string{"flit_core>=3.2,<4"}) || !slices.Equal(m.Extras, []string{"fast-json", "test"}) {
		t.Errorf("build requires %v, extras %v", m.BuildRequires, m.Extras)
	}
	reqs, err := m.Requirements([]string{"FAST.json", "test"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Requests>=2", "orjson", "pytest"}; !slices.Equal(reqs, want) {
		t.Errorf("requirements = %q, want %q", reqs, want)
	}
	if _, err := m.Requirements([]string{"nope"}, env); err == nil || !strings.Contains(err.Error(), "fast-json, test") {
		t.Errorf("an unknown extra: %v", err)
	}
}

// failingBackend fails a test that should not need the backend.
type failingBackend struct{ t *testing.T }

func (f failingBackend) PrepareMetadata(context.Context, string, string, []string, string) (string, error) {
	f.t.Error("the backend ran for static metadata")
	return "", errors.New("unexpected")
}

func TestReadDefaultsToSetuptoolsLegacy(t *testing.T) {
	dir := writeProject(t, map[string]string{"pyproject.toml": "[project]\nname = \"a\"\nversion = \"1\"\n"})
	m, err := project.Read(context.Background(), dir, project.WithBackend(failingBackend{t}))
	if err != nil {
		t.Fatal(err)
	}
	if m.Backend != project.DefaultBackend || !slices.Equal(m.BuildRequires, []string{"setuptools>=40.8.0"}) {
		t.Errorf("backend %q requires %v", m.Backend, m.BuildRequires)
	}
}

func TestReadHostile(t *testing.T) {
	huge := "[project]\nname = \"a\"\nversion = \"1\"\n#" + strings.Repeat("x", project.MaxPyproject) + "\n"
	for name, tc := range map[string]struct {
		pyproject string
		want      error
		says      string
	}{
		"huge":                 {huge, project.ErrInvalid, "larger than"},
		"bad toml":             {"[project\nname = 1", project.ErrInvalid, "pyproject.toml"},
		"path in name":         {"[project]\nname = \"../evil\"\nversion = \"1\"", project.ErrInvalid, "name"},
		"slash in name":        {"[project]\nname = \"a/b\"\nversion = \"1\"", project.ErrInvalid, "name"},
		"nix in name":          {"[project]\nname = \"a${builtins.abort 1}\"\nversion = \"1\"", project.ErrInvalid, "name"},
		"newline in version":   {"[project]\nname = \"a\"\nversion = \"1\\n\"", project.ErrInvalid, "version"},
		"nix in version":       {"[project]\nname = \"a\"\nversion = \"1${x}\"", project.ErrInvalid, "version"},
		"no version":           {"[project]\nname = \"a\"", project.ErrInvalid, "version"},
		"dynamic name":         {"[project]\nname = \"a\"\nversion = \"1\"\ndynamic = [\"name\"]", project.ErrInvalid, "dynamic"},
		"given and dynamic":    {"[project]\nname = \"a\"\nversion = \"1\"\ndynamic = [\"version\"]", project.ErrInvalid, "dynamic"},
		"bad dependency":       {"[project]\nname = \"a\"\nversion = \"1\"\ndependencies = [\"b >>> 1\"]", project.ErrInvalid, "dependencies"},
		"control in dep":       {"[project]\nname = \"a\"\nversion = \"1\"\ndependencies = [\"b\\u001b[2J\"]", project.ErrInvalid, "control"},
		"bad marker":           {"[project]\nname = \"a\"\nversion = \"1\"\ndependencies = [\"b; os_nam == 'x'\"]", project.ErrInvalid, "dependencies"},
		"bad extra":            {"[project]\nname = \"a\"\nversion = \"1\"\n[project.optional-dependencies]\n\"../x\" = []", project.ErrInvalid, "extra"},
		"twice extra":          {"[project]\nname = \"a\"\nversion = \"1\"\n[project.optional-dependencies]\nA_b = []\na-b = []", project.ErrInvalid, "twice"},
		"requires-python":      {"[project]\nname = \"a\"\nversion = \"1\"\nrequires-python = \"3.9\"", project.ErrInvalid, "requires-python"},
		"backend injection":    {"[build-system]\nrequires = []\nbuild-backend = \"os; import os\"\n[project]\nname = \"a\"\nversion = \"1\"", project.ErrInvalid, "build-backend"},
		"backend-path out":     {"[build-system]\nrequires = []\nbackend-path = [\"../..\"]\n[project]\nname = \"a\"\nversion = \"1\"", project.ErrInvalid, "backend-path"},
		"backend-path abs":     {"[build-system]\nrequires = []\nbackend-path = [\"/etc\"]\n[project]\nname = \"a\"\nversion = \"1\"", project.ErrInvalid, "backend-path"},
		"no requires":          {"[build-system]\nbuild-backend = \"x\"\n[project]\nname = \"a\"\nversion = \"1\"", project.ErrInvalid, "requires"},
		"bad build require":    {"[build-system]\nrequires = [\"set uptools\"]\n[project]\nname = \"a\"\nversion = \"1\"", project.ErrInvalid, "requires"},
		"no project, no setup": {"[tool.x]\ny = 1", project.ErrNotProject, "setup.py"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := writeProject(t, map[string]string{"pyproject.toml": tc.pyproject})
			_, err := project.Read(context.Background(), dir, project.WithBackend(failingBackend{t}))
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("err = %v, want %v saying %q", err, tc.want, tc.says)
			}
		})
	}
}

func TestReadNotADirectory(t *testing.T) {
	dir := writeProject(t, map[string]string{"file": "x"})
	for _, p := range []string{filepath.Join(dir, "file"), filepath.Join(dir, "absent"), dir} {
		if _, err := project.Read(context.Background(), p); !errors.Is(err, project.ErrNotProject) {
			t.Errorf("%s: err = %v, want ErrNotProject", p, err)
		}
	}
}

// setuptoolsPython is a Python of this machine that imports setuptools
// and wheel, which setuptools' backend needs for metadata: Debian's
// python3 has both (the fixture nixpkgs copies them from it).
func setuptoolsPython(t *testing.T) project.Option {
	t.Helper()
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		if osexec.Command(py, "-c", "import setuptools, wheel").Run() == nil {
			return project.WithBackend(project.HostPython{Python: py})
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no python3 imports setuptools and wheel; CI must provide them (python3-setuptools, python3-wheel)")
	}
	t.Skip("no python3 imports setuptools and wheel")
	return nil
}

func TestReadSetupPyOnly(t *testing.T) {
	py := setuptoolsPython(t)
	dir := writeProject(t, map[string]string{
		"setup.py": `from setuptools import setup
setup(name="Legacy.Tool", version="0.3.post1", py_modules=["legacy"],
      install_requires=["six>=1.0", "enum34; python_version < '3'"],
      extras_require={"yaml": ["PyYAML"]}, python_requires=">=3.7")
`,
		"legacy.py": "X = 1\n",
	})
	m, err := project.Read(context.Background(), dir, py)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "legacy-tool" || m.Version != "0.3.post1" || !m.FromBackend || m.RequiresPython != ">=3.7" {
		t.Errorf("got %+v", m)
	}
	reqs, err := m.Requirements([]string{"yaml"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"six>=1.0", "PyYAML"}; !slices.Equal(reqs, want) {
		t.Errorf("requirements = %q, want %q", reqs, want)
	}
	// The backend ran on a copy: the project gained no egg-info.
	if matches, _ := filepath.Glob(filepath.Join(dir, "*.egg-info")); len(matches) > 0 {
		t.Errorf("the backend wrote into the project: %v", matches)
	}
}

func TestReadDynamicVersion(t *testing.T) {
	py := setuptoolsPython(t)
	dir := writeProject(t, map[string]string{
		"pyproject.toml": `[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "dyn"
dynamic = ["version"]
dependencies = ["attrs>=20"]

[tool.setuptools.dynamic]
version = {attr = "dyn.__version__"}
`,
		"dyn/__init__.py": "__version__ = \"2.4.1\"\n",
	})
	m, err := project.Read(context.Background(), dir, py)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "dyn" || m.Version != "2.4.1" || !m.FromBackend {
		t.Errorf("got %+v", m)
	}
	// Setuptools writes "attrs (>=20)"; the root requirement is normalised.
	if reqs, err := m.Requirements(nil, env); err != nil || !slices.Equal(reqs, []string{"attrs>=20"}) {
		t.Errorf("requirements = %q, %v", reqs, err)
	}
}

func TestBackendFailures(t *testing.T) {
	testfixtures.RequireTool(t, "python3")
	base := "[project]\nname = \"a\"\ndynamic = [\"version\"]\n"
	for name, tc := range map[string]struct {
		files   map[string]string
		timeout time.Duration
		want    error
		says    string
	}{
		"missing backend": {map[string]string{"pyproject.toml": "[build-system]\nrequires = [\"nonexistent-backend\"]\nbuild-backend = \"machnix_no_such_backend\"\n" + base}, 0, project.ErrBackendMissing, "cannot import"},
		"raises": {map[string]string{"pyproject.toml": "[build-system]\nrequires = []\nbuild-backend = \"be\"\nbackend-path = [\".\"]\n" + base,
			"be.py": "def prepare_metadata_for_build_wheel(d, c):\n    raise RuntimeError('boom from the backend')\n"}, 0, project.ErrBackend, "boom from the backend"},
		"slow": {map[string]string{"pyproject.toml": "[build-system]\nrequires = []\nbuild-backend = \"be\"\nbackend-path = [\".\"]\n" + base,
			"be.py": "import time\ndef prepare_metadata_for_build_wheel(d, c):\n    time.sleep(60)\n"}, 500 * time.Millisecond, project.ErrBackend, "did not finish"},
		"escaping dist-info": {map[string]string{"pyproject.toml": "[build-system]\nrequires = []\nbuild-backend = \"be\"\nbackend-path = [\".\"]\n" + base,
			"be.py": "def prepare_metadata_for_build_wheel(d, c):\n    return '../../etc.dist-info/..'\n"}, 0, project.ErrInvalid, "not a .dist-info"},
		"other name": {map[string]string{"pyproject.toml": "[build-system]\nrequires = []\nbuild-backend = \"be\"\nbackend-path = [\".\"]\n" + base,
			"be.py": metadataBackend("Name: b\nVersion: 1\n")}, 0, project.ErrInvalid, "pyproject.toml names a"},
		"bad version": {map[string]string{"pyproject.toml": "[build-system]\nrequires = []\nbuild-backend = \"be\"\nbackend-path = [\".\"]\n" + base,
			"be.py": metadataBackend("Name: a\nVersion: ${x}\n")}, 0, project.ErrInvalid, "Version"},
		"bad requires-dist": {map[string]string{"pyproject.toml": "[build-system]\nrequires = []\nbuild-backend = \"be\"\nbackend-path = [\".\"]\n" + base,
			"be.py": metadataBackend("Name: a\nVersion: 1\nRequires-Dist: b >>> 2\n")}, 0, project.ErrInvalid, "Requires-Dist"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := writeProject(t, tc.files)
			_, err := project.Read(context.Background(), dir, project.WithBackend(project.HostPython{Timeout: tc.timeout}))
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("err = %v, want %v saying %q", err, tc.want, tc.says)
			}
		})
	}
}

// metadataBackend is a backend module writing the given METADATA.
func metadataBackend(metadata string) string {
	return "import os\ndef prepare_metadata_for_build_wheel(d, c):\n    os.mkdir(os.path.join(d, 'a-1.dist-info'))\n" +
		"    open(os.path.join(d, 'a-1.dist-info', 'METADATA'), 'w').write(" + pyString(metadata) + ")\n    return 'a-1.dist-info'\n"
}

func pyString(s string) string {
	return "'" + strings.ReplaceAll(s, "\n", "\\n") + "'"
}

// countingBackend counts the runs of the backend it wraps.
type countingBackend struct {
	project.Backend
	runs *int
}

func (c countingBackend) PrepareMetadata(ctx context.Context, src, backend string, path []string, out string) (string, error) {
	*c.runs++
	return c.Backend.PrepareMetadata(ctx, src, backend, path, out)
}

// Identity is the wrapped backend's, so that the wrapper shares its
// cache entries.
func (c countingBackend) Identity() (string, error) {
	if id, ok := c.Backend.(project.Identifier); ok {
		return id.Identity()
	}
	return "", nil
}

// The backend runs once per state of the project: an unchanged tree's
// metadata comes from the cache, an edit runs it again; a cache entry
// tampered with is checked like the backend's own output.
func TestBackendMetadataCachedByHash(t *testing.T) {
	testfixtures.RequireTool(t, "python3")
	dir := writeProject(t, map[string]string{
		"pyproject.toml": "[build-system]\nrequires = []\nbuild-backend = \"be\"\nbackend-path = [\".\"]\n[project]\nname = \"a\"\ndynamic = [\"version\"]\n",
		"be.py":          metadataBackend("Name: a\nVersion: 1\n"),
	})
	cache := t.TempDir()
	runs := 0
	read := func() *project.Metadata {
		t.Helper()
		m, err := project.Read(context.Background(), dir, project.WithCache(cache), project.WithBackend(countingBackend{project.HostPython{}, &runs}))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	first := read()
	second := read()
	if runs != 1 || first.Version != "1" || second.Version != "1" || first.SHA256 != second.SHA256 {
		t.Fatalf("runs %d, versions %s %s", runs, first.Version, second.Version)
	}
	if err := os.WriteFile(filepath.Join(dir, "be.py"), []byte(metadataBackend("Name: a\nVersion: 2\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	if third := read(); runs != 2 || third.Version != "2" || third.SHA256 == first.SHA256 {
		t.Errorf("after an edit: runs %d, version %s", runs, third.Version)
	}
	entries, err := filepath.Glob(filepath.Join(cache, "*.METADATA"))
	if err != nil || len(entries) != 2 {
		t.Fatalf("cache holds %v (%v)", entries, err)
	}
	for _, e := range entries {
		if err := os.WriteFile(e, []byte("Name: a\nVersion: 3${x}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := project.Read(context.Background(), dir, project.WithCache(cache)); !errors.Is(err, project.ErrInvalid) {
		t.Errorf("a tampered cache entry: %v", err)
	}
}

// A backend that writes far more than the output kept for messages still
// gives its metadata, and its failure still shows the end of its
// traceback.
func TestBackendLoudOutput(t *testing.T) {
	testfixtures.RequireTool(t, "python3")
	pyproject := "[build-system]\nrequires = []\nbuild-backend = \"be\"\nbackend-path = [\".\"]\n[project]\nname = \"a\"\ndynamic = [\"version\"]\n"
	loud := "import sys\nfor i in range(4000):\n    print('noise ' * 20)\n    print('more noise ' * 10, file=sys.stderr)\n"
	dir := writeProject(t, map[string]string{"pyproject.toml": pyproject,
		"be.py": loud + metadataBackend("Name: a\nVersion: 1.5\n")})
	m, err := project.Read(context.Background(), dir, project.WithBackend(project.HostPython{}))
	if err != nil || m.Version != "1.5" {
		t.Fatalf("a loud backend: %+v, %v", m, err)
	}
	dir = writeProject(t, map[string]string{"pyproject.toml": pyproject,
		"be.py": loud + "def prepare_metadata_for_build_wheel(d, c):\n    raise RuntimeError('boom after the noise')\n"})
	_, err = project.Read(context.Background(), dir, project.WithBackend(project.HostPython{}))
	if !errors.Is(err, project.ErrBackend) || !strings.Contains(err.Error(), "boom after the noise") || !strings.Contains(err.Error(), "earlier output of the backend left out") {
		t.Errorf("a loud failing backend: %v", err)
	}
}

// A directory that is no Python project is refused before its tree is
// hashed: a requirement naming a home directory must not make machnix read
// all of it first. The tree here is one Hash refuses, nested deeper than
// nar allows, so hashing first gives another error.
func TestReadRefusesANonProjectBeforeHashing(t *testing.T) {
	dir := t.TempDir()
	deep := dir
	for range nar.DefaultDepth + 2 {
		deep = filepath.Join(deep, "d")
	}
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(deep, "notes.txt"), []byte("private\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := project.Hash(dir); !errors.Is(err, nar.ErrTooLarge) {
		t.Fatalf("the fixture must be a tree Hash refuses: %v", err)
	}
	if _, err := project.Read(context.Background(), dir, project.WithBackend(failingBackend{t})); !errors.Is(err, project.ErrNotProject) {
		t.Errorf("err = %v, want ErrNotProject", err)
	}
}

// A pyproject.toml with a build-backend but no [project] table (as
// poetry-core before 2.0 and older flit read their own tables) gets its
// metadata from the backend's prepare_metadata_for_build_wheel.
func TestReadBackendWithoutProjectTable(t *testing.T) {
	testfixtures.RequireTool(t, "python3")
	dir := writeProject(t, map[string]string{
		"pyproject.toml": "[build-system]\nrequires = []\nbuild-backend = \"be\"\nbackend-path = [\".\"]\n\n[tool.be]\nname = \"a\"\n",
		"be.py":          metadataBackend("Name: A\nVersion: 0.7\nRequires-Dist: attrs>=21\n"),
	})
	m, err := project.Read(context.Background(), dir, project.WithBackend(project.HostPython{}))
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "a" || m.Version != "0.7" || !m.FromBackend || m.Backend != "be" || !slices.Equal(m.Dependencies, []string{"attrs>=21"}) {
		t.Errorf("got %+v", m)
	}
}

// A cache entry that is a symlink or a FIFO is not read: the backend runs
// again. Following the link would read whatever it points at; opening the
// FIFO would wait for a writer for ever.
func TestBackendCacheEntryMustBeARegularFile(t *testing.T) {
	testfixtures.RequireTool(t, "python3")
	dir := writeProject(t, map[string]string{
		"pyproject.toml": "[build-system]\nrequires = []\nbuild-backend = \"be\"\nbackend-path = [\".\"]\n[project]\nname = \"a\"\ndynamic = [\"version\"]\n",
		"be.py":          metadataBackend("Name: a\nVersion: 1\n"),
	})
	cache := t.TempDir()
	decoy := filepath.Join(t.TempDir(), "decoy")
	if err := os.WriteFile(decoy, []byte("Name: a\nVersion: 9\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	runs := 0
	read := func() (*project.Metadata, error) {
		type result struct {
			m   *project.Metadata
			err error
		}
		done := make(chan result, 1)
		go func() {
			m, err := project.Read(context.Background(), dir, project.WithCache(cache), project.WithBackend(countingBackend{project.HostPython{}, &runs}))
			done <- result{m, err}
		}()
		select {
		case r := <-done:
			return r.m, r.err
		case <-time.After(30 * time.Second):
			t.Fatal("Read blocked on the cache entry")
			return nil, nil
		}
	}
	if _, err := read(); err != nil || runs != 1 {
		t.Fatalf("first read: runs %d, %v", runs, err)
	}
	entries, err := filepath.Glob(filepath.Join(cache, "*.METADATA"))
	if err != nil || len(entries) != 1 {
		t.Fatalf("cache holds %v (%v)", entries, err)
	}
	for i, replace := range []func(string) error{
		func(e string) error { return os.Symlink(decoy, e) },
		func(e string) error { return syscall.Mkfifo(e, 0o644) },
	} {
		if err := os.Remove(entries[0]); err != nil {
			t.Fatal(err)
		}
		if err := replace(entries[0]); err != nil {
			t.Fatal(err)
		}
		m, err := read()
		if err != nil || m.Version != "1" || runs != 2+i {
			t.Errorf("entry %d: version %v, runs %d, %v; want the backend's 1 from a new run", i, m, runs, err)
		}
	}
}

// The cached metadata is keyed by the Python that ran the backend too: a
// setup.py computes its metadata with that Python.
func TestBackendCacheKeyedByPython(t *testing.T) {
	python, err := osexec.LookPath("python3")
	if err != nil {
		testfixtures.RequireTool(t, "python3")
	}
	// Another Python: the same one, started with an -X option the
	// backend can see (sys.executable may be that of a shim).
	alt := filepath.Join(t.TempDir(), "python3")
	if err := os.WriteFile(alt, []byte("#!/bin/sh\nexec "+python+" -X machnix_alt \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	dir := writeProject(t, map[string]string{
		"pyproject.toml": "[build-system]\nrequires = []\nbuild-backend = \"be\"\nbackend-path = [\".\"]\n[project]\nname = \"a\"\ndynamic = [\"version\"]\n",
		"be.py": "import os, sys\ndef prepare_metadata_for_build_wheel(d, c):\n" +
			"    v = '1' if 'machnix_alt' in sys._xoptions else '2'\n" +
			"    os.mkdir(os.path.join(d, 'a-1.dist-info'))\n" +
			"    open(os.path.join(d, 'a-1.dist-info', 'METADATA'), 'w').write('Name: a\\nVersion: ' + v + '\\n')\n" +
			"    return 'a-1.dist-info'\n",
	})
	cache := t.TempDir()
	for _, tc := range []struct{ python, want string }{{python, "2"}, {alt, "1"}, {python, "2"}} {
		m, err := project.Read(context.Background(), dir, project.WithCache(cache), project.WithBackend(project.HostPython{Python: tc.python}))
		if err != nil || m.Version != tc.want {
			t.Errorf("with %s: %+v, %v; want version %s", tc.python, m, err, tc.want)
		}
	}
}

// A requirement given twice, not next to each other (in dependencies and
// again in an extra, or twice in a backend's Requires-Dist), is a root
// requirement once, where it first appears.
func TestRequirementsWithoutDuplicates(t *testing.T) {
	m := &project.Metadata{
		Name:         "a",
		Dependencies: []string{"b>=1", "c", "b>=1", "d; python_version < '3'", "c; python_version >= '3'"},
		Optional:     map[string][]string{"x": {"e", "b>=1"}},
		Extras:       []string{"x"},
	}
	reqs, err := m.Requirements([]string{"x"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"b>=1", "c", "e"}; !slices.Equal(reqs, want) {
		t.Errorf("requirements = %q, want %q", reqs, want)
	}
}
