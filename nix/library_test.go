package nixlib_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/machnix/machnix/autopatch"
	"github.com/machnix/machnix/nixbuild"
	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/lockpin"
	"github.com/machnix/machnix/testfixtures/native"
	"github.com/machnix/machnix/testfixtures/nixpkgs"
)

// The library's tests build with real nix-build against the stand-in
// nixpkgs, evaluating with import-from-derivation turned off: a library
// that needed it would fail here.

// server serves the files written into its directory on 127.0.0.1.
type server struct {
	dir, url string
}

func serve(t *testing.T) server {
	t.Helper()
	dir := t.TempDir()
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	return server{dir, srv.URL}
}

// pin writes w as a wheel (or an sdist) into the server and pins it as a
// lock does.
func (s server) pin(t *testing.T, w testfixtures.Wheel, sdist bool) resolve.Package {
	t.Helper()
	write, prov := testfixtures.WriteWheel, resolve.ProviderWheel
	if sdist {
		write, prov = testfixtures.WriteSdist, resolve.ProviderSdist
	}
	path, err := write(s.dir, w)
	if err != nil {
		t.Fatal(err)
	}
	return lockpin.File(t, path, s.url, "", prov)
}

func py(path, text string) testfixtures.File {
	return testfixtures.File{Path: path, Data: []byte(text)}
}

// newLock is a lock for the stand-in's Python with pkgs as its packages.
func newLock(pkgs ...resolve.Package) *resolve.Lock {
	return &resolve.Lock{Version: resolve.LockVersion, Target: resolve.Target{Python: "3.11", System: "x86_64-linux", Glibc: "2.28"},
		Requirements: []string{}, Packages: pkgs}
}

// writeLock records each wheel's native inputs as machnix does (autopatch
// inspects the served files) and writes dir/machnix.lock through the
// lock writer, which checks it.
func writeLock(t *testing.T, s server, dir string, lock *resolve.Lock) string {
	t.Helper()
	var wheels []string
	for _, p := range lock.Packages {
		if p.Provider == resolve.ProviderWheel {
			wheels = append(wheels, filepath.Join(s.dir, p.Filename))
		}
	}
	report, err := autopatch.Inspect(context.Background(), wheels, autopatch.WithNixLocate(false))
	if err != nil {
		t.Fatal(err)
	}
	annotated, err := nixbuild.Annotate(lock, report)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "machnix.lock")
	if err := resolve.WriteLock(path, annotated); err != nil {
		t.Fatal(err)
	}
	return path
}

// libraryExpr is a Nix expression with `machnix` (the repository's
// default.nix on the stand-in nixpkgs) and `pkgs` in scope.
func libraryExpr(t *testing.T, body string) string {
	t.Helper()
	return fmt.Sprintf("let pkgs = import %s { }; machnix = import %s { inherit pkgs; }; in\n%s\n",
		nixpkgs.Dir(), filepath.Join(testfixtures.RepoRoot(t), "default.nix"), body)
}

// nixBuild builds the expression in dir/test.nix, offline and without
// import-from-derivation.
func nixBuild(t *testing.T, dir, expr string, args ...string) (string, string, error) {
	t.Helper()
	testfixtures.RequireTool(t, "nix-build", "nix-store", "patchelf")
	file := filepath.Join(dir, "test.nix")
	if err := os.WriteFile(file, []byte(expr), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("nix-build", append([]string{"--option", "substituters", "", "--option", "allow-import-from-derivation", "false",
		"--no-out-link", "-I", "nixpkgs=" + nixpkgs.Dir(), file}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	lines := strings.Fields(string(out))
	last := ""
	if len(lines) > 0 {
		last = lines[len(lines)-1]
	}
	return last, stderr.String(), err
}

// instantiate evaluates the expression in dir/test.nix to derivations,
// without import-from-derivation, and gives nix-instantiate's output.
func instantiate(t *testing.T, dir, expr string) (string, error) {
	t.Helper()
	testfixtures.RequireTool(t, "nix-instantiate")
	file := filepath.Join(dir, "test.nix")
	if err := os.WriteFile(file, []byte(expr), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("nix-instantiate", "--option", "allow-import-from-derivation", "false",
		"-I", "nixpkgs="+nixpkgs.Dir(), file).CombinedOutput()
	return string(out), err
}

func mustBuild(t *testing.T, dir, expr string, args ...string) string {
	t.Helper()
	out, stderr, err := nixBuild(t, dir, expr, args...)
	if err != nil {
		t.Fatalf("nix-build: %v\n%s\n%s", err, stderr, expr)
	}
	return out
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// pythonIn runs python code in env (its bin/python) with nothing from the
// caller's environment.
func pythonIn(t *testing.T, env, code string) string {
	t.Helper()
	return run(t, "env", "-i", env+"/bin/python", "-c", code)
}

// plainLock pins a pure wheel, nixhelper 2.0 as a wheel, and nixtool from
// nixpkgs, whose recipe depends on nixpkgs' nixhelper 1.0.
func plainLock(t *testing.T, s server) *resolve.Lock {
	t.Helper()
	plain := s.pin(t, testfixtures.Wheel{Name: "plain", Version: "1.0", Files: []testfixtures.File{py("plain/__init__.py", "P = 'plain 1.0'\n")}}, false)
	helper := s.pin(t, testfixtures.Wheel{Name: "nixhelper", Version: "2.0", Files: []testfixtures.File{py("nixhelper/__init__.py", "VERSION = '2.0 from the lock'\n")}}, false)
	tool := resolve.Package{Name: "nixtool", Version: "0.9", Provider: resolve.ProviderNixpkgs, NixAttr: "nixtool", Dependencies: []string{"nixhelper"}}
	l := newLock(plain, helper, tool)
	l.Requirements = []string{"plain", "nixtool"}
	return l
}

func TestMkPythonAndShellFromALock(t *testing.T) {
	s := serve(t)
	dir := t.TempDir()
	writeLock(t, s, dir, plainLock(t, s))
	env := mustBuild(t, dir, libraryExpr(t, `machnix.mkPython { lock = ./machnix.lock; requirements = "plain\n# the tool\nnixtool  \n"; }`))
	got := pythonIn(t, env, "import plain, nixhelper, nixtool; print(plain.P, '|', nixtool.HELPER)")
	if want := "plain 1.0 | 2.0 from the lock"; got != want {
		t.Errorf("the environment printed %q, want %q", got, want)
	}

	shell := mustBuild(t, dir, libraryExpr(t, `machnix.mkPythonShell { lock = ./machnix.lock; shellHook = "echo entered"; }`))
	data, err := os.ReadFile(shell)
	if err != nil || !strings.Contains(string(data), env) {
		t.Errorf("the shell %s does not hold the environment %s: %v", shell, env, err)
	}
	testfixtures.RequireTool(t, "nix-shell")
	cmd := exec.Command("nix-shell", "--option", "substituters", "", "-I", "nixpkgs="+nixpkgs.Dir(), filepath.Join(dir, "test.nix"),
		"--run", "python -c 'import plain; print(plain.P)'")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "plain 1.0") {
		t.Errorf("nix-shell --run python: %v\n%s", err, out)
	}
}

// requirements that differ from the lock's stop evaluation with the
// command that refreshes the lock.
func TestRequirementsDifferingFromTheLock(t *testing.T) {
	s := serve(t)
	dir := t.TempDir()
	writeLock(t, s, dir, plainLock(t, s))
	_, stderr, err := nixBuild(t, dir, libraryExpr(t, `machnix.mkPython { lock = ./machnix.lock; requirements = "plain\nrequests\n"; }`))
	if err == nil || !strings.Contains(stderr, "requirements differ from the lock") || !strings.Contains(stderr, "machnix resolve -r requirements.txt") {
		t.Errorf("err %v, want the refresh command:\n%s", err, stderr)
	}
	_, stderr, err = nixBuild(t, dir, libraryExpr(t, `machnix.mkPython { lock = ./machnix.lock; packagesExtras = [ ]; }`))
	if err == nil || !strings.Contains(stderr, "unknown argument packagesExtras") {
		t.Errorf("a misspelt argument: %v\n%s", err, stderr)
	}
}

// A lock pinned without inspecting its wheels (resolve --no-inspect, or
// an older machnix) is read, and a wheel in it is refused with what to do.
func TestWheelWithoutNativeInputs(t *testing.T) {
	s := serve(t)
	dir := t.TempDir()
	if err := resolve.WriteLock(filepath.Join(dir, "machnix.lock"), plainLock(t, s)); err != nil {
		t.Fatal(err)
	}
	_, stderr, err := nixBuild(t, dir, libraryExpr(t, `machnix.mkPython { lock = ./machnix.lock; }`))
	if err == nil || !strings.Contains(stderr, "(nixhelper, wheel 2.0) records no native inputs") || !strings.Contains(stderr, "lock again") {
		t.Errorf("err %v, want the wheel named and what to do:\n%s", err, stderr)
	}
}

// A lock written by someone else reaches Nix as data: a hostile name or
// attribute path is refused by the library's own checks, naming the
// field, and nothing of it is evaluated.
func TestHostileLockRefusedByTheLibrary(t *testing.T) {
	testfixtures.RequireTool(t, "nix-instantiate")
	s := serve(t)
	dir := t.TempDir()
	good, err := resolve.MarshalLock(func() *resolve.Lock {
		path := writeLock(t, s, dir, plainLock(t, s))
		l, err := resolve.ReadLock(path)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}())
	if err != nil {
		t.Fatal(err)
	}
	// The canary is a Nix file that stops evaluation with a marker: a
	// library that evaluated the lock's text would import it and print
	// the marker. Importing it directly shows that it does.
	const marker = "CANARY: the lock's text was evaluated"
	canary := filepath.Join(dir, "canary.nix")
	if err := os.WriteFile(canary, []byte(fmt.Sprintf("throw %q\n", marker)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("nix-instantiate", "--eval", "-E", `"${import `+canary+`}"`).CombinedOutput(); err == nil || !strings.Contains(string(out), marker) {
		t.Fatalf("importing the canary: %v, want its marker:\n%s", err, out)
	}
	for name, c := range map[string]struct{ from, to, field string }{
		"name":                {`"name": "plain"`, `"name": "plain\"; x = builtins.toFile \"c\" \"${builtins.readFile /etc/passwd}\""`, "packages[2].name"},
		"dependency":          {`"nixhelper"` + "\n      ],", `"${import ` + canary + `}"` + "\n      ],", "dependencies"},
		"nix attr":            {`"nix_attr": "nixtool"`, `"nix_attr": "nixtool; evil"`, "nix_attr"},
		"build input":         {`"imports": [`, `"build_inputs": [ "zlib ${abort}" ], "imports": [`, "native.build_inputs"},
		"import":              {`"plain"` + "\n        ]", `"plain; import os"` + "\n        ]", "native.imports"},
		"sha256":              {`"sha256": "`, `"sha256": "../`, "sha256"},
		"local path":          {`"provider": "nixpkgs"`, `"provider": "local", "path": "services/../../../root", "sha256": "` + strings.Repeat("a", 64) + `"`, ".path"},
		"local up":            {`"provider": "nixpkgs"`, `"provider": "local", "path": "../x/../../root", "sha256": "` + strings.Repeat("a", 64) + `"`, ".path"},
		"unpinned dependency": {`"nixhelper"` + "\n      ],", `"python"` + "\n      ],", "packages[1] (nixtool).dependencies: python is not pinned"},
		"unpinned wheel dep":  {`"imports": [`, `"wheel_deps": [ "python" ], "imports": [`, "packages[0] (nixhelper).native.wheel_deps: python is not pinned"},
		"unpinned build dependency": {`"packages": [`, `"build_packages": [ { "name": "flit-core", "version": "3.9", "provider": "nixpkgs", "nix_attr": "flit-core", "dependencies": [ "nixhelper" ] } ], "packages": [`,
			"build_packages[0] (flit-core).dependencies: nixhelper is not among build_packages"},
		"url with a space":    {`"url": "http://`, `"url": "http://127.0.0.1/evil.whl http://`, "packages[0] (nixhelper).url"},
		"url with a newline":  {`"url": "http://`, `"url": "http://127.0.0.1/evil.whl\nhttp://`, "packages[0] (nixhelper).url"},
		"url scheme":          {`"url": "http://`, `"url": "ftp://`, "packages[0] (nixhelper).url"},
		"url credentials":     {`"url": "http://`, `"url": "http://user:secret@`, "packages[0] (nixhelper).url"},
		"url without host":    {`"url": "http://`, `"url": "http:///`, "packages[0] (nixhelper).url"},
		"file url host":       {`"url": "http://`, `"url": "file://`, "packages[0] (nixhelper).url"},
		"file url up":         {`"url": "http://`, `"url": "file:///srv/../etc/`, "packages[0] (nixhelper).url"},
		"file url encoded up": {`"url": "http://`, `"url": "file:///srv/%2e%2E/etc/`, "packages[0] (nixhelper).url"},
		"local dot":           {`"provider": "nixpkgs"`, `"provider": "local", "path": "proj/./x", "sha256": "` + strings.Repeat("a", 64) + `"`, ".path"},
	} {
		t.Run(name, func(t *testing.T) {
			bad := strings.Replace(string(good), c.from, c.to, 1)
			if bad == string(good) {
				t.Fatalf("%q is not in the lock:\n%s", c.from, good)
			}
			d := t.TempDir()
			if err := os.WriteFile(filepath.Join(d, "machnix.lock"), []byte(bad), 0o644); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(d, "test.nix")
			os.WriteFile(file, []byte(libraryExpr(t, `machnix.mkPython { lock = ./machnix.lock; }`)), 0o644)
			out, err := exec.Command("nix-instantiate", "--option", "allow-import-from-derivation", "false", file).CombinedOutput()
			if err == nil || !strings.Contains(string(out), "invalid lock") || !strings.Contains(string(out), c.field) {
				t.Errorf("evaluated (%v), want an invalid-lock error naming %s:\n%s", err, c.field, out)
			}
			if strings.Contains(string(out), marker) {
				t.Error("the lock's text was evaluated: the canary's marker is in the output")
			}
		})
	}
}

// localProject writes a tiny pyproject project with a console script that
// uses a locked wheel, and things the source filter leaves out.
func localProject(t *testing.T, dir string) {
	t.Helper()
	files := map[string]string{
		"pyproject.toml": `[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "hello-app"
version = "0.3.0"
dependencies = ["plain"]

[project.scripts]
hello = "hello_app.cli:main"
`,
		"hello_app/__init__.py": "",
		"hello_app/cli.py":      "import plain\n\ndef main():\n    print('hello from', plain.P)\n    return 0\n",
	}
	testfixtures.WriteFiles(t, dir, files)
}

// buildPythonApplication builds the lock's local project (provider local)
// with its locked dependencies: its console script runs under env -i. The
// source reaches the store through the source filter: VCS, caches and
// build outputs stay out, and the NAR hash of what is left is the one a
// filtered copy has, which is what the lock records.
func TestLocalProjectApplication(t *testing.T) {
	testfixtures.RequireTool(t, "nix-hash", "nix-instantiate")
	s := serve(t)
	root := t.TempDir()
	proj := filepath.Join(root, "services", "hello")
	localProject(t, proj)
	clean := filepath.Join(t.TempDir(), "hello")
	localProject(t, clean)
	for _, junk := range []string{".git/HEAD", "hello_app/__pycache__/cli.cpython-311.pyc", "build/lib/x.py", "dist/hello-0.3.0.tar.gz",
		"hello_app.egg-info/PKG-INFO", ".venv/bin/python", "hello_app/stale.pyc"} {
		p := filepath.Join(proj, junk)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte("junk"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("/nix/store", filepath.Join(proj, "result")); err != nil {
		t.Fatal(err)
	}
	hash := run(t, "nix-hash", "--type", "sha256", clean)
	l := plainLock(t, s)
	l.Packages = append(l.Packages, resolve.Package{Name: "hello-app", Version: "0.3.0", Provider: resolve.ProviderLocal,
		Path: "services/hello", SHA256: hash, Dependencies: []string{"plain"}, BuildRequires: []string{"setuptools>=61"}})
	writeLock(t, s, root, l)

	app := mustBuild(t, root, libraryExpr(t, `machnix.buildPythonApplication { lock = ./machnix.lock; }`))
	if got := run(t, "env", "-i", app+"/bin/hello"); got != "hello from plain 1.0" {
		t.Errorf("the console script printed %q", got)
	}
	pkg := mustBuild(t, root, libraryExpr(t, `machnix.buildPythonPackage { lock = ./machnix.lock; name = "hello-app"; }`))
	if pkg != app {
		t.Errorf("buildPythonPackage gave %s, buildPythonApplication %s: the same project built twice", pkg, app)
	}
	src := strings.TrimSpace(run(t, "nix-instantiate", "--eval", "--json", "-E",
		libraryExpr(t, fmt.Sprintf(`"${builtins.path { path = %[1]s; name = "hello-app-source"; filter = machnix.sourceFilter %[1]s; }}"`, proj))))
	src = strings.Trim(src, `"`)
	if got, want := run(t, "nix-store", "--query", "--hash", src), "sha256:"+run(t, "nix-hash", "--type", "sha256", "--base32", clean); got != want {
		t.Errorf("the filtered source has NAR hash %s, a clean copy %s", got, want)
	}
	env := mustBuild(t, root, libraryExpr(t, `machnix.mkPython { lock = ./machnix.lock; }`))
	if got := pythonIn(t, env, "import hello_app.cli, plain; print(plain.P)"); got != "plain 1.0" {
		t.Errorf("the environment with the project printed %q", got)
	}
	_, stderr, err := nixBuild(t, root, libraryExpr(t, `machnix.buildPythonApplication { lock = ./machnix.lock; name = "other"; }`))
	if err == nil || !strings.Contains(stderr, "no local project named other") {
		t.Errorf("a project the lock lacks: %v\n%s", err, stderr)
	}
}

// buildPythonPackage and buildPythonApplication check their arguments as
// mkPython does: another Python, other requirements or extra packages they
// cannot build stop evaluation instead of being ignored.
func TestLocalProjectChecksItsArguments(t *testing.T) {
	s := serve(t)
	root := t.TempDir()
	localProject(t, filepath.Join(root, "hello"))
	l := plainLock(t, s)
	l.Packages = append(l.Packages, resolve.Package{Name: "hello-app", Version: "0.3.0", Provider: resolve.ProviderLocal,
		Path: "hello", SHA256: strings.Repeat("a", 64), Dependencies: []string{"plain"}, BuildRequires: []string{"setuptools>=61"}})
	writeLock(t, s, root, l)
	for _, fn := range []string{"buildPythonPackage", "buildPythonApplication"} {
		if out, err := instantiate(t, root, libraryExpr(t, fmt.Sprintf(`machnix.%s { lock = ./machnix.lock; requirements = "plain\nnixtool\n"; }`, fn))); err != nil {
			t.Fatalf("%s with the lock's requirements: %v\n%s", fn, err, out)
		}
		for arg, want := range map[string]string{
			`requirements = "totally-different";`:                     "requirements differ from the lock",
			`python = pkgs.python311 // { pythonVersion = "3.12"; };`: "python is 3.12, the lock is for 3.11",
			`packagesExtra = [ 42 ];`:                                 "packagesExtra belong to mkPython",
		} {
			out, err := instantiate(t, root, libraryExpr(t, fmt.Sprintf(`machnix.%s { lock = ./machnix.lock; %s }`, fn, arg)))
			if err == nil || !strings.Contains(out, want) {
				t.Errorf("%s { %s }: %v, want %q:\n%s", fn, arg, err, want, out)
			}
		}
	}
}

// packagesExtra takes a local source path; `_` edits and sets a
// package's attributes; overridesPre changes nixpkgs' recipe the lock's
// package is made from, overridesPost patches a package after the lock's.
func TestPackagesExtraOverridesAndPost(t *testing.T) {
	s := serve(t)
	dir := t.TempDir()
	writeLock(t, s, dir, plainLock(t, s))
	extra := filepath.Join(dir, "extra")
	for name, text := range map[string]string{
		"pyproject.toml":        "[build-system]\nrequires = [\"setuptools>=61\"]\nbuild-backend = \"setuptools.build_meta\"\n\n[project]\nname = \"extra-mod\"\nversion = \"1.2\"\ndependencies = [\"plain\"]\n",
		"extra_mod/__init__.py": "import plain\nVALUE = 'extra with ' + plain.P\n",
	} {
		os.MkdirAll(filepath.Dir(filepath.Join(extra, name)), 0o755)
		if err := os.WriteFile(filepath.Join(extra, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := mustBuild(t, dir, libraryExpr(t, `machnix.mkPython {
  lock = ./machnix.lock;
  packagesExtra = [ { src = ./extra; pname = "extra-mod"; dependencies = [ "plain" ]; } ];
  _.plain.postFixup.add = "echo \"MARK = 'set by _'\" > $out/lib/python3.11/site-packages/plain_mark.py";
  _.plain.MACHNIX_TEST_FLAG = "on";
  overridesPre = [ (self: super: {
    nixtool = super.nixtool.overridePythonAttrs (old: {
      postFixup = "echo \"PRE = 'before the lock'\" > $out/lib/python3.11/site-packages/nixtool_pre.py";
    });
  }) ];
  overridesPost = [ (self: super: {
    nixhelper = super.nixhelper.overridePythonAttrs (old: {
      postFixup = "echo \"PATCHED = True\" > $out/lib/python3.11/site-packages/nixhelper_patch.py";
    });
  }) ];
}`))
	got := pythonIn(t, env, "import extra_mod, plain_mark, nixhelper_patch, nixtool, nixtool_pre; print(extra_mod.VALUE, '|', plain_mark.MARK, '|', nixhelper_patch.PATCHED, '|', nixtool.HELPER, '|', nixtool_pre.PRE)")
	if want := "extra with plain 1.0 | set by _ | True | 2.0 from the lock | before the lock"; got != want {
		t.Errorf("printed %q, want %q", got, want)
	}
	// A bare path works too: its name is the directory's.
	env = mustBuild(t, dir, libraryExpr(t, `machnix.mkPython { lock = ./machnix.lock; packagesExtra = [ ./extra ]; }`))
	if got := pythonIn(t, env, "import extra_mod; print(extra_mod.VALUE)"); got != "extra with plain 1.0" {
		t.Errorf("a bare path printed %q", got)
	}
	_, stderr, err := nixBuild(t, dir, libraryExpr(t, `machnix.mkPython { lock = ./machnix.lock; _.requests.doCheck = true; }`))
	if err == nil || !strings.Contains(stderr, "requests, which the lock does not have") {
		t.Errorf("_ naming no package of the lock: %v\n%s", err, stderr)
	}
}

// `_` adds a build input the lock does not name: without it auto-patchelf
// cannot find libstdc++.so.6 for the native wheel, with it the wheel
// imports.
func TestUnderscoreAddsABuildInput(t *testing.T) {
	testfixtures.RequireTool(t, "gcc")
	s := serve(t)
	w := native.BuildT(t)
	data, err := os.ReadFile(w.Zcrc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.dir, filepath.Base(w.Zcrc)), data, 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := writeLock(t, s, dir, newLock(lockpin.File(t, filepath.Join(s.dir, filepath.Base(w.Zcrc)), s.url, "", resolve.ProviderWheel)))
	l, err := resolve.ReadLock(path)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, in := range l.Packages[0].Native.BuildInputs {
		if in != "stdenv.cc.cc.lib" {
			kept = append(kept, in)
		}
	}
	if len(kept) == len(l.Packages[0].Native.BuildInputs) {
		t.Fatalf("zcrc's native inputs %v do not name stdenv.cc.cc.lib", kept)
	}
	l.Packages[0].Native.BuildInputs = kept
	if err := resolve.WriteLock(path, l); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := nixBuild(t, dir, libraryExpr(t, `machnix.mkPython { lock = ./machnix.lock; }`)); err == nil || !strings.Contains(stderr, "libstdc++.so.6") {
		t.Fatalf("without stdenv.cc.cc.lib: %v, want auto-patchelf to miss libstdc++.so.6\n%s", err, stderr)
	}
	env := mustBuild(t, dir, libraryExpr(t, `machnix.mkPython { lock = ./machnix.lock; _.zcrc.buildInputs.add = [ pkgs.stdenv.cc.cc.lib ]; }`))
	if got, want := pythonIn(t, env, fmt.Sprintf("import zcrc; print(zcrc.crc32(%q.encode()))", native.ZcrcInput)), fmt.Sprint(native.ZcrcCRC32()); got != want {
		t.Errorf("zcrc printed %s, want %s", got, want)
	}
}

// tests = true runs a package's tests: the sdist reuses nixpkgs' recipe,
// whose checkPhase runs its test file, which fails here on purpose.
func TestTestsTrueRunsTheTests(t *testing.T) {
	s := serve(t)
	dir := t.TempDir()
	// The recipe's checkPhase runs tests/test_recipe.py from the source's
	// root, so the sdist is made here with its tests there.
	src := filepath.Join(t.TempDir(), "nixonly-3.2")
	for name, text := range map[string]string{
		"PKG-INFO":             "Metadata-Version: 2.1\nName: nixonly\nVersion: 3.2\n",
		"pyproject.toml":       "[build-system]\nrequires = [\"setuptools>=61\"]\nbuild-backend = \"setuptools.build_meta\"\n\n[project]\nname = \"nixonly\"\nversion = \"3.2\"\n",
		"nixonly/__init__.py":  "VALUE = 'sdist 3.2'\n",
		"tests/test_recipe.py": "def test_ran():\n    raise AssertionError('the tests of nixonly 3.2 ran')\n",
	} {
		os.MkdirAll(filepath.Dir(filepath.Join(src, name)), 0o755)
		if err := os.WriteFile(filepath.Join(src, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tarball := filepath.Join(s.dir, "nixonly-3.2.tar.gz")
	run(t, "tar", "-C", filepath.Dir(src), "-czf", tarball, "nixonly-3.2")
	sdist := lockpin.File(t, tarball, s.url, "", resolve.ProviderSdist)
	sdist.BuildRequires = []string{"setuptools>=61"}
	writeLock(t, s, dir, newLock(sdist))
	if _, stderr, err := nixBuild(t, dir, libraryExpr(t, `machnix.mkPython { lock = ./machnix.lock; tests = true; }`)); err == nil || !strings.Contains(stderr, "the tests of nixonly 3.2 ran") {
		t.Errorf("tests = true: %v, want the test to run and fail\n%s", err, stderr)
	}
	env := mustBuild(t, dir, libraryExpr(t, `machnix.mkPython { lock = ./machnix.lock; }`))
	if got := pythonIn(t, env, "import nixonly; print(nixonly.VALUE)"); got != "sdist 3.2" {
		t.Errorf("tests off printed %q", got)
	}
}

// mkOverlay makes python3.pkgs the locked versions: nixpkgs' nixtool,
// which depends on nixhelper, gets the lock's 2.0 instead of its own 1.0;
// mkNixpkgs is nixpkgs with that overlay.
func TestOverlayGivesNixpkgsPackagesTheLockedVersions(t *testing.T) {
	s := serve(t)
	dir := t.TempDir()
	writeLock(t, s, dir, plainLock(t, s))
	for name, pkgsExpr := range map[string]string{
		"mkOverlay": fmt.Sprintf(`import %s { overlays = [ (machnix.mkOverlay { lock = ./machnix.lock; }) ]; }`, nixpkgs.Dir()),
		"mkNixpkgs": `machnix.mkNixpkgs { lock = ./machnix.lock; }`,
		"overrides": `pkgs // { python3 = pkgs.python3.override { packageOverrides = machnix.mkPythonOverrides { lock = ./machnix.lock; }; }; }`,
	} {
		env := mustBuild(t, dir, libraryExpr(t, fmt.Sprintf(`let p = %s; in p.python3.withPackages (ps: [ ps.nixtool ])`, pkgsExpr)))
		if got := pythonIn(t, env, "import nixtool, nixhelper; print(nixtool.HELPER, '|', nixhelper.VERSION)"); got != "2.0 from the lock | 2.0 from the lock" {
			t.Errorf("%s: printed %q, want the lock's nixhelper", name, got)
		}
	}
}

// Arguments that have no meaning for a package set are refused, not
// dropped.
func TestOverridesRefuseWhatTheyCannotApply(t *testing.T) {
	s := serve(t)
	dir := t.TempDir()
	writeLock(t, s, dir, plainLock(t, s))
	for arg, want := range map[string]string{"python = pkgs.python311;": "give it no python", "packagesExtra = [ ./. ];": "packagesExtra belong to mkPython"} {
		_, stderr, err := nixBuild(t, dir, libraryExpr(t, fmt.Sprintf(`(machnix.mkNixpkgs { lock = ./machnix.lock; %s }).python3.pkgs.nixtool`, arg)))
		if err == nil || !strings.Contains(stderr, want) {
			t.Errorf("%s: %v, want %q:\n%s", arg, err, want, stderr)
		}
	}
}

// A single-target lock extends only the package set of its own Python:
// as packageOverrides of another interpreter its wheels would be installed
// for a Python they do not fit.
func TestOverridesRefuseAnotherPython(t *testing.T) {
	s := serve(t)
	dir := t.TempDir()
	l := plainLock(t, s)
	l.Target.Python = "3.12"
	writeLock(t, s, dir, l)
	for name, body := range map[string]string{
		"packageOverrides": `(pkgs.python311.override { packageOverrides = machnix.mkPythonOverrides { lock = ./machnix.lock; }; }).pkgs.plain`,
		"withPackages":     `(pkgs.python311.override { packageOverrides = machnix.mkPythonOverrides { lock = ./machnix.lock; }; }).withPackages (ps: [ ps.nixtool ])`,
	} {
		out, err := instantiate(t, dir, libraryExpr(t, body))
		if err == nil || !strings.Contains(out, "python is 3.11, the lock is for 3.12") {
			t.Errorf("%s: %v, want the Python mismatch refused:\n%s", name, err, out)
		}
	}
}

// Real nixpkgs' check: an overlay that is not a function is refused.
func TestFixtureRefusesBadOverlays(t *testing.T) {
	testfixtures.RequireTool(t, "nix-instantiate")
	// pkgs/top-level/default.nix's messages, each for its own mistake.
	for overlays, want := range map[string]string{
		"{ }":     "The overlays argument to nixpkgs must be a list.",
		"[ { } ]": "All overlays passed to nixpkgs must be functions.",
	} {
		out, err := exec.Command("nix-instantiate", "--eval", "-E", fmt.Sprintf("(import %s { overlays = %s; }).system", nixpkgs.Dir(), overlays)).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "error: "+want) {
			t.Errorf("overlays = %s: %v, want %q:\n%s", overlays, err, want, out)
		}
	}
}

// mkDockerImage gives a layered image made by nixpkgs' dockerTools: skopeo
// loads it from its tarball (tagged as asked), umoci unpacks it, and the environment runs
// in runc with nothing from the host.
func TestMkDockerImageLoadsAndRuns(t *testing.T) {
	testfixtures.RequireTool(t, "skopeo", "umoci", "runc")
	s := serve(t)
	dir := t.TempDir()
	writeLock(t, s, dir, plainLock(t, s))
	tarball := mustBuild(t, dir, libraryExpr(t, `machnix.mkDockerImage {
  lock = ./machnix.lock;
  name = "team/app";
  tag = "v1";
  config.Cmd = [ "python" "-c" "import plain, nixtool; print(plain.P, nixtool.HELPER)" ];
}`))
	if !strings.HasSuffix(tarball, "app.tar.gz") {
		t.Errorf("the image is %s, want a .tar.gz named after the image", tarball)
	}
	// Like dockerTools' own, the archive is gzipped, which docker load
	// reads and this skopeo's docker-archive: does not: it reads the
	// archive unpacked.
	archive := filepath.Join(t.TempDir(), "app.tar")
	run(t, "sh", "-c", `gzip -dc "$1" > "$2"`, "sh", tarball, archive)
	if manifest := run(t, "tar", "-xOf", archive, "manifest.json"); !strings.Contains(manifest, `"team/app:v1"`) {
		t.Errorf("the archive's manifest does not tag the image team/app:v1: %s", manifest)
	}
	layout := filepath.Join(t.TempDir(), "oci")
	run(t, "skopeo", "copy", "--insecure-policy", "docker-archive:"+archive, "oci:"+layout+":v1")
	inspect := run(t, "skopeo", "inspect", "--config", "oci:"+layout+":v1")
	if !strings.Contains(inspect, `"diff_ids"`) || !strings.Contains(inspect, "import plain") {
		t.Errorf("the image's config lacks layers or the command:\n%s", inspect)
	}
	bundle := filepath.Join(t.TempDir(), "bundle")
	run(t, "umoci", "unpack", "--image", layout+":v1", bundle)
	spec := filepath.Join(bundle, "config.json")
	raw, err := os.ReadFile(spec)
	if err != nil {
		t.Fatal(err)
	}
	var config map[string]any
	if err := json.Unmarshal(raw, &config); err != nil {
		t.Fatal(err)
	}
	config["process"].(map[string]any)["terminal"] = false
	if raw, err = json.Marshal(config); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(spec, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("machnix-lib-%d", os.Getpid())
	got, err := exec.Command("runc", "run", "--bundle", bundle, id).CombinedOutput()
	if err != nil || strings.TrimSpace(string(got)) != "plain 1.0 2.0 from the lock" {
		t.Errorf("runc run: %v, printed %q", err, got)
	}
}

// The lock's wheels fit its Python only: a nixpkgs without that Python, or
// another interpreter given, stops evaluation saying what to do.
func TestLockPythonMustMatch(t *testing.T) {
	s := serve(t)
	dir := t.TempDir()
	l := plainLock(t, s)
	l.Target.Python = "3.12"
	writeLock(t, s, dir, l)
	_, stderr, err := nixBuild(t, dir, libraryExpr(t, `machnix.mkPython { lock = ./machnix.lock; }`))
	if err == nil || !strings.Contains(stderr, "this nixpkgs has no python312") {
		t.Errorf("no python312: %v\n%s", err, stderr)
	}
	_, stderr, err = nixBuild(t, dir, libraryExpr(t, `machnix.mkPython { lock = ./machnix.lock; python = pkgs.python311; }`))
	if err == nil || !strings.Contains(stderr, "python is 3.11, the lock is for 3.12") {
		t.Errorf("python 3.11 for a 3.12 lock: %v\n%s", err, stderr)
	}
}

// A nixpkgs package the lock names by an attribute this nixpkgs lacks
// stops evaluation naming the entry and what to do.
func TestLockNixAttrMissingFromNixpkgs(t *testing.T) {
	s := serve(t)
	dir := t.TempDir()
	l := plainLock(t, s)
	for i := range l.Packages {
		if l.Packages[i].Provider == resolve.ProviderNixpkgs {
			l.Packages[i].NixAttr = "nixtool-renamed"
		}
	}
	writeLock(t, s, dir, l)
	out, err := instantiate(t, dir, libraryExpr(t, `machnix.mkPython { lock = ./machnix.lock; }`))
	if want := "python.pkgs of this nixpkgs has no nixtool-renamed, which the lock's packages[1] (nixtool, nixpkgs 0.9) names"; err == nil || !strings.Contains(out, want) {
		t.Errorf("%v, want %q:\n%s", err, want, out)
	}
}
