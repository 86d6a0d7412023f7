package nixpkgs

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The store is read-only on a real system, so nothing that runs Python
// from it may change a store path: the tests run the fixture as root,
// where a write would succeed and leave the path with contents that no
// longer match the hash Nix recorded (nix-store --verify-path fails, Nix
// refuses to send it to a builder, a cache pushed from it serves a hash
// mismatch). The interpreter and buildPythonPackage compile bytecode at
// build time, as nixpkgs does; a module built without it (a
// toPythonModule derivation) is imported without writing either.
func TestPythonLeavesTheStoreUnchanged(t *testing.T) {
	py := Build(t, "python3")
	env := BuildExpr(t, "python3.withPackages (ps: [ ps.nixtool ps.setuptools ps.nixmodule ])")
	tool := BuildExpr(t, "python3.pkgs.nixtool")
	site := "lib/python3.11/site-packages"

	// Compiled at build time, hash-checked (PEP 552), so that the
	// bytecode stays valid after Nix resets every mtime in the store.
	for _, pyc := range []string{
		filepath.Join(py, "lib/python3.11/json/__pycache__/__init__.cpython-311.pyc"),
		filepath.Join(py, "lib/python3.11/json/__pycache__/__init__.cpython-311.opt-2.pyc"),
		filepath.Join(tool, site, "nixtool/__pycache__/__init__.cpython-311.pyc"),
		filepath.Join(tool, site, "nixtool/__pycache__/__init__.cpython-311.opt-1.pyc"),
	} {
		b, err := os.ReadFile(pyc)
		if err != nil {
			t.Errorf("no bytecode compiled at build time: %v", err)
			continue
		}
		if len(b) < 16 || binary.LittleEndian.Uint32(b[4:8]) != 0b11 {
			t.Errorf("%s: flags %x, want a checked hash-based pyc", pyc, b[4:8])
		}
	}

	// A path changed by an earlier run (before the fix, or by a module
	// that does not depend on the interpreter and so kept its store path)
	// is rebuilt first, so that what is verified below is this run's doing.
	closure, err := exec.Command("nix-store", "-qR", env).Output()
	if err != nil {
		t.Fatal(err)
	}
	paths := strings.Fields(string(closure))
	for _, p := range paths {
		if exec.Command("nix-store", "--verify-path", p).Run() != nil {
			if out, err := exec.Command("nix-store", "--repair-path", p).CombinedOutput(); err != nil {
				t.Fatalf("%s was changed before this test and cannot be repaired: %v\n%s", p, err, out)
			}
			t.Logf("repaired %s, changed by an earlier run", p)
		}
	}

	// Imports the way tests and users do, at every optimisation level,
	// from the environment and from the interpreter itself.
	imports := "import json, email.mime.text, sqlite3, nixtool, nixhelper, setuptools, nixmodule"
	for _, args := range [][]string{
		{env + "/bin/python", "-c", imports},
		{env + "/bin/python", "-O", "-c", imports},
		{env + "/bin/python", "-OO", "-c", imports},
		{py + "/bin/python3", "-c", "import json, email.mime.text, sqlite3"},
	} {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Env = writingEnv()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	cmd := exec.Command("nix-store", append([]string{"--verify-path"}, paths...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Errorf("running python changed the store: %v\n%s", err, stderr.String())
	}

	// Outside the store Python caches bytecode as usual: the guard is
	// the store's read-only mount, not a switch for every directory.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "localmod.py"), []byte("X = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := exec.Command(env+"/bin/python", "-c", "import localmod")
	run.Env = append(writingEnv(), "PYTHONPATH="+dir)
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "__pycache__", "localmod.cpython-311.pyc")); err != nil {
		t.Errorf("python did not cache the bytecode of a module outside the store: %v", err)
	}
}

// writingEnv is the test's environment without PYTHONDONTWRITEBYTECODE,
// which a user's shell does not set either: Python writes bytecode
// wherever it may.
func writingEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PYTHONDONTWRITEBYTECODE=") {
			env = append(env, kv)
		}
	}
	return env
}
