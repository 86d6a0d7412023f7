package nixbuild

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/resolve/project"
	"github.com/machnix/machnix/testfixtures"
)

// projectTree writes a project with every entry the filter decides on.
func projectTree(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "my app")
	files := map[string]string{
		"pyproject.toml":             "[project]\nname = \"app\"\nversion = \"1\"\n",
		"app/__init__.py":            fmt.Sprintf("# %s\n", t.Name()),
		"app/build/keep.py":          "deeper build directories are package code",
		"app/dist/keep.py":           "so are dist directories",
		"app/__pycache__/x.pyc":      "cache",
		"app/mod.pyc":                "stale",
		"build/lib/app.py":           "build output",
		"dist/app-1.tar.gz":          "build output",
		"app.egg-info/PKG-INFO":      "setuptools output",
		".git/HEAD":                  "ref: refs/heads/main",
		"sub/.hg/x":                  "vcs",
		".venv/bin/python":           "venv",
		"app/venv/x":                 "nested venv",
		".mypy_cache/x":              "cache",
		"new\nline.txt":              "a newline in a name",
		"app/${builtins.abort 1}.py": "Nix syntax in a name",
		"machnix.lock":               "{}",
		"env/machnix.lock":           "{}",
		"env/default.nix":            "written after the hash",
		"lib/pyproject.toml":         "a nested project",
		"lib/machnix.lock":           "with a lock of its own",
		"notes/machnix.lock.txt":     "kept",
	}
	for rel, data := range files {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, target := range map[string]string{"result": "/nix/store", "result-dev": "/nix/store", "app/result": "kept.py", "escape": "../../../etc/passwd"} {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := exec.Command("mkfifo", filepath.Join(root, "app", "fifo")).Run(); err != nil {
		t.Fatal(err)
	}
	return root
}

// TestLocalFilterMatchesKeep adds a project to the store with the
// generated builtins.path filter and compares the store's hash with
// project.Hash, which the lock records.
func TestLocalFilterMatchesKeep(t *testing.T) {
	testfixtures.RequireTool(t, "nix-instantiate", "nix-store", "mkfifo")
	root := projectTree(t)
	want, err := project.Hash(root)
	if err != nil {
		t.Fatal(err)
	}
	expr := fmt.Sprintf("let\n      root = %s;\n      excluded = [ %s ];\n%s    in builtins.path { name = \"app-source\"; path = /. + root; inherit filter; }",
		nixString(root), stringList(project.ExcludedNames()), localFilter)
	out, err := exec.Command("nix-instantiate", "--eval", "--read-write-mode", "-E", "toString ("+expr+")").CombinedOutput()
	if err != nil {
		t.Fatalf("nix-instantiate: %v\n%s", err, out)
	}
	storePath := strings.Trim(strings.TrimSpace(string(out)), `"`)
	got, err := exec.Command("nix-store", "-q", "--hash", storePath).Output()
	if err != nil {
		t.Fatal(err)
	}
	b32, err := exec.Command("nix-hash", "--type", "sha256", "--to-base32", want).Output()
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(got)) != "sha256:"+strings.TrimSpace(string(b32)) {
		t.Errorf("the store holds %s, project.Hash says %s (%s)", got, want, b32)
	}
	for _, kept := range []string{"app/build/keep.py", "app/dist/keep.py", "app/result", "app/${builtins.abort 1}.py", "new\nline.txt", "escape", "notes/machnix.lock.txt"} {
		if _, err := os.Lstat(filepath.Join(storePath, kept)); err != nil {
			t.Errorf("%q left out: %v", kept, err)
		}
	}
	for _, dropped := range []string{"build", "dist", ".git", "result", "result-dev", "app/mod.pyc", "app/__pycache__", "app.egg-info", "sub/.hg", ".venv", "app/venv", "app/fifo", "machnix.lock", "env", "lib"} {
		if _, err := os.Lstat(filepath.Join(storePath, dropped)); err == nil {
			t.Errorf("%q kept", dropped)
		}
	}
}

func TestWriteLocalRefuses(t *testing.T) {
	p := resolve.Package{Name: "app", Version: "1", Provider: resolve.ProviderLocal, Path: ".", SHA256: strings.Repeat("a", 64)}
	for name, tc := range map[string]struct {
		base string
		mut  func(*resolve.Package)
	}{
		"no base":       {"", func(*resolve.Package) {}},
		"relative base": {"x", func(*resolve.Package) {}},
		"absolute path": {"/srv", func(p *resolve.Package) { p.Path = "/etc" }},
		"quote in path": {"/srv", func(p *resolve.Package) { p.Path = "a\"; x = \"" + "\n" }},
		"bad sha":       {"/srv", func(p *resolve.Package) { p.SHA256 = "../x" }},
		"root":          {"/", func(*resolve.Package) {}},
	} {
		q := p
		tc.mut(&q)
		if err := writeLocal(&bytes.Buffer{}, q, tc.base, nil, false, false); err == nil {
			t.Errorf("%s: written", name)
		}
	}
}
