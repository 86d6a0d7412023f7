package nixlib_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/resolve/project"
	"github.com/machnix/machnix/testfixtures"
)

// lockedNix is an expression of nix/locked.nix's attributes, without a
// package set (the checks and the source filter need none).
func lockedNix(t *testing.T) string {
	root := testfixtures.RepoRoot(t)
	return fmt.Sprintf("(import %s { pkgs = { }; u = import %s; })",
		filepath.Join(root, "nix", "locked.nix"), filepath.Join(root, "nix", "util.nix"))
}

// evalJSON evaluates expr strictly and decodes its JSON into v.
func evalJSON(t *testing.T, expr string, v any) {
	t.Helper()
	out, err := exec.Command("nix-instantiate", "--eval", "--strict", "--json", "--read-write-mode", "-E", expr).CombinedOutput()
	if err != nil {
		t.Fatalf("nix-instantiate: %v\n%s\n%s", err, out, expr)
	}
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
}

// The library's rule for a local entry's path is resolve.CheckProjectPath's:
// both run on testfixtures' tables of paths.
func TestLocalPathRuleIsCheckProjectPath(t *testing.T) {
	testfixtures.RequireTool(t, "nix-instantiate")
	var paths []string
	paths = append(paths, testfixtures.LocalPaths...)
	for p := range testfixtures.HostileLocalPaths {
		if !strings.ContainsRune(p, 0) { // Nix strings end at NUL; JSON cannot carry it in.
			paths = append(paths, p)
		}
	}
	data, err := json.Marshal(paths)
	if err != nil {
		t.Fatal(err)
	}
	var got []bool
	evalJSON(t, fmt.Sprintf("map %s.isLocalPath (builtins.fromJSON %s)", lockedNix(t), nixString(string(data))), &got)
	for i, p := range paths {
		if want := resolve.CheckProjectPath(p) == nil; got[i] != want {
			t.Errorf("%q: the library says %v, CheckProjectPath %v", p, got[i], want)
		}
	}
	var names []string
	evalJSON(t, lockedNix(t)+".excludedNames", &names)
	if !slices.Equal(names, project.ExcludedNames()) {
		t.Errorf("the library leaves out %q, project.Filter %q", names, project.ExcludedNames())
	}
}

// nixString quotes s for a Nix double-quoted string.
func nixString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "${", `\${`, "\n", `\n`, "\r", `\r`, "\t", `\t`)
	return `"` + r.Replace(s) + `"`
}

// hostileTree writes a project with every entry the source filter decides
// on: names Nix syntax or a terminal would read, each excluded name at
// the top and deeper down, build outputs at both levels, symlinks, a
// fifo, nested locks.
func hostileTree(t *testing.T) string {
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
		"build.py":                   "a file named like the build directory is kept",
		"app.egg-info/PKG-INFO":      "setuptools output",
		"sub/.hg/x":                  "vcs",
		"app/venv/x":                 "nested venv",
		"new\nline.txt":              "a newline in a name",
		"app/${builtins.abort 1}.py": "Nix syntax in a name",
		"app/\x1b[2Jx.py":            "an escape in a name",
		"app/\" + x + \".py":         "quotes in a name",
		"machnix.lock":               "{}",
		"app/sub/machnix.lock":       "{}",
		"env/machnix.lock":           "{}",
		"env/default.nix":            "written after the hash",
		"lib/pyproject.toml":         "a nested project",
		"lib/machnix.lock":           "with a lock of its own",
		"notes/machnix.lock.txt":     "kept",
	}
	for _, n := range project.ExcludedNames() {
		files[n+"/x"] = "left out at the top"
		files["app/"+n+"/x"] = "and deeper down"
	}
	delete(files, "machnix.lock/x")
	delete(files, "app/machnix.lock/x")
	testfixtures.WriteFiles(t, root, files)
	for name, target := range map[string]string{"result": "/nix/store", "result-dev": "/nix/store", "app/result": "kept.py",
		"app/result-1": "kept.py", "escape": "../../../etc/passwd", ".git-link": ".git", "dangling/machnix.lock": "nowhere"} {
		os.MkdirAll(filepath.Dir(filepath.Join(root, name)), 0o755)
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := exec.Command("mkfifo", filepath.Join(root, "app", "fifo")).Run(); err != nil {
		t.Fatal(err)
	}
	return root
}

// The library's builtins.path of a hostile tree holds what project.Hash
// hashed: the store's NAR hash is the lock's sha256.
func TestSourceFilterMatchesProjectHash(t *testing.T) {
	testfixtures.RequireTool(t, "nix-instantiate", "nix-store", "nix-hash", "mkfifo")
	root := hostileTree(t)
	want, err := project.Hash(root)
	if err != nil {
		t.Fatal(err)
	}
	var storePath string
	evalJSON(t, libraryExpr(t, fmt.Sprintf(`let root = /. + %s; in toString (builtins.path { name = "app-source"; path = root; filter = machnix.sourceFilter root; })`, nixString(root))), &storePath)
	got := run(t, "nix-store", "-q", "--hash", storePath)
	if b32 := run(t, "nix-hash", "--type", "sha256", "--to-base32", want); got != "sha256:"+b32 {
		t.Errorf("the store holds %s, project.Hash says %s (%s)", got, want, b32)
	}
	for _, kept := range []string{"app/build/keep.py", "app/dist/keep.py", "build.py", "app/result", "app/result-1", "app/${builtins.abort 1}.py",
		"new\nline.txt", "escape", ".git-link", "notes/machnix.lock.txt"} {
		if _, err := os.Lstat(filepath.Join(storePath, kept)); err != nil {
			t.Errorf("%q left out: %v", kept, err)
		}
	}
	dropped := []string{"build", "dist", "result", "result-dev", "app/mod.pyc", "app/__pycache__", "app.egg-info", "sub/.hg", "app/venv",
		"app/fifo", "machnix.lock", "app/sub", "env", "lib", "dangling"}
	for _, n := range project.ExcludedNames() {
		dropped = append(dropped, n, "app/"+n)
	}
	for _, d := range dropped {
		if _, err := os.Lstat(filepath.Join(storePath, d)); err == nil {
			t.Errorf("%q kept", d)
		}
	}
}

// A lock whose local entry leads out of the lock's directory to something
// that is not a Python project (a home directory, /etc) has nothing of it
// copied into the store; one that leads to a project beside the lock's
// directory (an env folder's lock) is built.
func TestLocalPathOutsideTheLock(t *testing.T) {
	testfixtures.RequireTool(t, "nix-instantiate")
	s := serve(t)
	root := t.TempDir()
	secret := filepath.Join(root, "home", ".ssh")
	os.MkdirAll(secret, 0o755)
	// Unique per run, so that no earlier run's copy is found.
	marker := fmt.Sprintf("secret %d", time.Now().UnixNano())
	if err := os.WriteFile(filepath.Join(secret, "id_ed25519"), []byte(marker), 0o600); err != nil {
		t.Fatal(err)
	}
	envDir := filepath.Join(root, "home", "env")
	os.MkdirAll(envDir, 0o755)
	// Where builtins.path would put the secret directory.
	leaked := run(t, "nix-store", "--print-fixed-path", "--recursive", "sha256", run(t, "nix-hash", "--type", "sha256", "--base32", secret), "hello-app-source")
	for _, path := range []string{"../.ssh", "..", "../../../../../../../../etc", "../../../../../../../.."} {
		l := plainLock(t, s)
		l.Packages = append(l.Packages, resolve.Package{Name: "hello-app", Version: "0.3.0", Provider: resolve.ProviderLocal,
			Path: path, SHA256: strings.Repeat("a", 64), Dependencies: []string{"plain"}, BuildRequires: []string{"setuptools>=61"}})
		writeLock(t, s, envDir, l)
		file := filepath.Join(envDir, "test.nix")
		os.WriteFile(file, []byte(libraryExpr(t, `machnix.buildPythonApplication { lock = ./machnix.lock; }`)), 0o644)
		out, err := exec.Command("nix-instantiate", "--option", "allow-import-from-derivation", "false", file).CombinedOutput()
		if err == nil || !(strings.Contains(string(out), "is not a Python project") || strings.Contains(string(out), "root is not a project")) {
			t.Errorf("%s: %v\n%s", path, err, out)
		}
	}
	if _, err := os.Lstat(leaked); err == nil {
		t.Errorf("the secret reached the store: %s", leaked)
	}

	proj := filepath.Join(root, "src", "hello")
	localProject(t, proj)
	l := plainLock(t, s)
	l.Packages = append(l.Packages, resolve.Package{Name: "hello-app", Version: "0.3.0", Provider: resolve.ProviderLocal,
		Path: "../src/hello", SHA256: strings.Repeat("a", 64), Dependencies: []string{"plain"}, BuildRequires: []string{"setuptools>=61"}})
	env := filepath.Join(root, "env")
	os.MkdirAll(env, 0o755)
	writeLock(t, s, env, l)
	app := mustBuild(t, env, libraryExpr(t, `machnix.buildPythonApplication { lock = ./machnix.lock; }`))
	if got := run(t, "env", "-i", app+"/bin/hello"); got != "hello from plain 1.0" {
		t.Errorf("the console script printed %q", got)
	}
}

// The library's rule for a file's url is the one resolve's lock check
// applies: both judge the same URLs, good and hostile.
func TestLockURLRuleIsResolves(t *testing.T) {
	testfixtures.RequireTool(t, "nix-instantiate")
	urls := []string{
		"https://files.example.org/packages/plain-1.0-py3-none-any.whl",
		"http://127.0.0.1:8080/plain-1.0-py3-none-any.whl#sha256=ab",
		"https://example.org/simple?x=1",
		"file:///srv/wheels/plain-1.0-py3-none-any.whl",
		"file://localhost/srv/wheels/plain.whl",
		"file:/srv/wheels/plain.whl",
		"file:///srv/a..b/plain.whl",
		"https://example.org/a b.whl",
		"https://example.org/a.whl https://evil.example/b.whl",
		"https://example.org/a.whl\nhttps://evil.example/b.whl",
		"https://example.org/a.whl\thttps://evil.example/b.whl",
		"https://example.org/\u202ea.whl",
		"https://example.org/\u0085a.whl",
		`https://example.org/"a.whl`,
		`https://example.org/a\b.whl`,
		"https://user:secret@example.org/a.whl",
		"https:///a.whl",
		"https:a.whl",
		"ftp://example.org/a.whl",
		"ssh://example.org/a.whl",
		"file://example.org/srv/a.whl",
		"file:///srv/../etc/passwd",
		"file:///srv/%2e%2E/etc/passwd",
		"file:relative/a.whl",
		"/srv/a.whl",
		"",
	}
	data, err := json.Marshal(urls)
	if err != nil {
		t.Fatal(err)
	}
	var got []bool
	evalJSON(t, fmt.Sprintf("map %s.isLockURL (builtins.fromJSON %s)", lockedNix(t), nixString(string(data))), &got)
	for i, u := range urls {
		l := &resolve.Lock{Version: resolve.LockVersion, Target: resolve.Target{Python: "3.11", System: "x86_64-linux", Glibc: "2.28"},
			Requirements: []string{}, Packages: []resolve.Package{{Name: "plain", Version: "1.0", Provider: resolve.ProviderWheel,
				Filename: "plain-1.0-py3-none-any.whl", URL: u, SHA256: strings.Repeat("a", 64)}}}
		err := resolve.Validate(l)
		if err != nil && !strings.Contains(err.Error(), "url") {
			t.Fatalf("%q: the lock is invalid for another reason: %v", u, err)
		}
		if want := err == nil; got[i] != want {
			t.Errorf("%q: the library says %v, resolve %v (%v)", u, got[i], want, err)
		}
	}
}
