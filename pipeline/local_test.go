package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/resolve/project"
	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/pyindex"
)

func pure(name, version string, requires ...string) pyindex.Wheel {
	return pyindex.Wheel{Wheel: testfixtures.Wheel{Name: name, Version: version, Requires: requires,
		Files: []testfixtures.File{{Path: name + "/__init__.py", Data: []byte("")}}}}
}

// A project naming a sibling by a file: URL locks both as local entries;
// their dependencies are pinned from the index and their build
// requirements (nothing offers them here) stay unpinned names.
func TestResolveLocalProjects(t *testing.T) {
	t.Setenv("MACHNIX_CACHE_DIR", t.TempDir())
	idx := pyindex.Start(t, []pyindex.Wheel{pure("six", "1.16"), pure("attrs", "23.1")})
	root := t.TempDir()
	lib := filepath.Join(root, "lib")
	testfixtures.WriteFiles(t, root, map[string]string{
		"app/pyproject.toml": "[build-system]\nrequires = [\"flit_core>=3\"]\nbuild-backend = \"flit_core.buildapi\"\n[project]\nname = \"App\"\nversion = \"2.0\"\n" +
			"dependencies = [\"six\", \"lib @ file://" + filepath.ToSlash(lib) + "\", \"win32 ; sys_platform == 'win32'\"]\n",
		"lib/pyproject.toml": "[project]\nname = \"lib\"\nversion = \"0.5\"\ndependencies = [\"attrs>=23\"]\n",
	})
	lockDir := filepath.Join(root, "locks")
	if err := os.Mkdir(lockDir, 0o755); err != nil {
		t.Fatal(err)
	}
	in := Inputs{Projects: []string{filepath.Join(root, "app")}, IndexURL: idx.URL + "/simple", LockDir: lockDir,
		Target: resolve.Target{Python: "3.11", System: "x86_64-linux", Glibc: "2.28"}}
	lock, err := Resolve(context.Background(), in, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]resolve.Package{}
	for _, p := range lock.Packages {
		got[p.Name] = p
	}
	app, libPkg := got["app"], got["lib"]
	if app.Provider != resolve.ProviderLocal || app.Path != "../app" || !slices.Equal(app.Dependencies, []string{"lib", "six"}) ||
		!slices.Equal(app.BuildRequires, []string{"flit-core>=3"}) {
		t.Errorf("app = %+v", app)
	}
	if libPkg.Provider != resolve.ProviderLocal || libPkg.Path != "../lib" || !slices.Equal(libPkg.Dependencies, []string{"attrs"}) ||
		!slices.Equal(libPkg.BuildRequires, []string{"setuptools>=40.8.0"}) {
		t.Errorf("lib = %+v", libPkg)
	}
	if got["six"].Provider != resolve.ProviderWheel || got["attrs"].Provider != resolve.ProviderWheel || len(lock.Packages) != 4 {
		t.Errorf("pins %+v", lock.Packages)
	}
	// What was written reads back: the lock checks its own local entries.
	if err := resolve.WriteLock(filepath.Join(lockDir, "machnix.lock"), lock); err != nil {
		t.Fatal(err)
	}
	if err := CheckProjects(lock, lockDir); err != nil {
		t.Errorf("unchanged projects: %v", err)
	}
	testfixtures.WriteFiles(t, root, map[string]string{"lib/lib/__init__.py": "changed = True\n"})
	if err := CheckProjects(lock, lockDir); !errors.Is(err, ErrProjectChanged) {
		t.Errorf("an edited project: %v", err)
	}
}

func TestResolveLocalProjectRefused(t *testing.T) {
	t.Setenv("MACHNIX_CACHE_DIR", t.TempDir())
	idx := pyindex.Start(t, []pyindex.Wheel{pure("six", "1.16"), pure("app", "9.0")})
	for name, tc := range map[string]struct {
		pyproject string
		reqs      string
		says      string
	}{
		"requires-python": {"[project]\nname = \"x\"\nversion = \"1\"\nrequires-python = \">=3.12\"\n", "", "requires Python >=3.12"},
		"also from index": {"[project]\nname = \"app\"\nversion = \"1\"\n", "app\n", "also a dependency pinned from an index"},
		"url without hash": {"[project]\nname = \"x\"\nversion = \"1\"\ndependencies = [\"six @ https://example.invalid/six-1.16-py3-none-any.whl\"]\n", "",
			"needs its sha256"},
		"unknown extra": {"[project]\nname = \"x\"\nversion = \"1\"\n", "", "offers no extra"},
		"a file":        {"[project]\nname = \"x\"\nversion = \"1\"\n", "", "name a requirements file with -r"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			testfixtures.WriteFiles(t, dir, map[string]string{"p/pyproject.toml": tc.pyproject})
			arg := filepath.Join(dir, "p")
			switch name {
			case "unknown extra":
				arg += "[nope]"
			case "a file":
				arg = filepath.Join(arg, "pyproject.toml")
			}
			in := Inputs{Projects: []string{arg}, IndexURL: idx.URL + "/simple", LockDir: dir,
				Target: resolve.Target{Python: "3.11", System: "x86_64-linux", Glibc: "2.28"}}
			if tc.reqs != "" {
				testfixtures.WriteFiles(t, dir, map[string]string{"requirements.txt": tc.reqs})
				in.Requirements = []string{filepath.Join(dir, "requirements.txt")}
			}
			_, err := Resolve(context.Background(), in, nil)
			if err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("err = %v, want it to say %q", err, tc.says)
			}
		})
	}
}

// A lock whose local entry leads to a directory that is not a Python
// project (a home directory, /etc) is refused before any of its files
// are read, even where the hash would match.
func TestCheckProjectsRefusesNonProject(t *testing.T) {
	root := t.TempDir()
	testfixtures.WriteFiles(t, root, map[string]string{".ssh/id_ed25519": "secret", "env/x": ""})
	hash, err := project.Hash(filepath.Join(root, ".ssh"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"../.ssh", ".."} {
		lock := &resolve.Lock{Packages: []resolve.Package{{Name: "app", Version: "1", Provider: resolve.ProviderLocal, Path: path, SHA256: hash}}}
		err := CheckProjects(lock, filepath.Join(root, "env"))
		if !errors.Is(err, project.ErrNotProject) {
			t.Errorf("%s: %v, want ErrNotProject", path, err)
		}
	}
	testfixtures.WriteFiles(t, root, map[string]string{".ssh/setup.cfg": ""})
	lock := &resolve.Lock{Packages: []resolve.Package{{Name: "app", Version: "1", Provider: resolve.ProviderLocal, Path: "../.ssh", SHA256: hash}}}
	if err := CheckProjects(lock, filepath.Join(root, "env")); !errors.Is(err, ErrProjectChanged) {
		t.Errorf("a project whose files changed: %v", err)
	}
}

// A universal resolution checked a local project's requires-python
// against the first --python only, so the outcome depended on the order
// of the flags. Every target's Python must match, in either order.
func TestUniversalLocalProjectRequiresPythonEveryTarget(t *testing.T) {
	t.Setenv("MACHNIX_CACHE_DIR", t.TempDir())
	idx := pyindex.Start(t, []pyindex.Wheel{pure("six", "1.16")})
	for _, pythons := range [][]string{{"3.11", "3.12"}, {"3.12", "3.11"}} {
		for _, tc := range []struct{ requires, says string }{
			{">=3.12", "requires Python >=3.12; the target x86_64-linux/3.11"},
			{">=3.11", ""},
		} {
			dir := t.TempDir()
			testfixtures.WriteFiles(t, dir, map[string]string{"p/pyproject.toml": "[project]\nname = \"x\"\nversion = \"1\"\n" +
				"requires-python = \"" + tc.requires + "\"\ndependencies = [\"six\"]\n"})
			in := Inputs{Projects: []string{filepath.Join(dir, "p")}, IndexURL: idx.URL + "/simple", LockDir: dir,
				Universal: true, Pythons: pythons, Systems: []string{"x86_64-linux"},
				Target: resolve.Target{Python: pythons[0], System: "x86_64-linux", Glibc: "2.28"}}
			lock, err := Resolve(context.Background(), in, nil)
			switch {
			case tc.says == "" && err != nil:
				t.Errorf("--python %v, requires-python %s: %v", pythons, tc.requires, err)
			case tc.says == "" && len(lock.Targets) != 2:
				t.Errorf("--python %v, requires-python %s: targets %v", pythons, tc.requires, lock.Keys())
			case tc.says != "" && (err == nil || !strings.Contains(err.Error(), tc.says)):
				t.Errorf("--python %v, requires-python %s: err = %v, want it to say %q", pythons, tc.requires, err, tc.says)
			}
		}
	}
}
