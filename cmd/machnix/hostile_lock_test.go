package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A lock from someone else whose target.python carries Nix code is
// refused before anything is written or run: exit 2, naming the field.
func TestCommandsRefuseLockWithNixInjection(t *testing.T) {
	dir := t.TempDir()
	sum := strings.Repeat("0", 64)
	for name, python := range map[string]string{
		"or":       "3.11 or (builtins.readFile /etc/hostname)",
		"argument": "311, evil ? import /etc/passwd",
	} {
		lock := `{"version": 1, "target": {"python": "` + python + `", "system": "x86_64-linux", "glibc": "2.28"},
 "indexes": [], "requirements": ["a"],
 "packages": [{"name": "a", "version": "1", "provider": "wheel", "filename": "a-1-py3-none-any.whl",
  "url": "http://127.0.0.1:9/a-1-py3-none-any.whl", "sha256": "` + sum + `"}]}`
		path := filepath.Join(dir, name+".lock")
		if err := os.WriteFile(path, []byte(lock), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{
			{"gen", "--lock", path, "-o", filepath.Join(dir, name+"-gen")},
			{"build", "--lock", path, "-o", filepath.Join(dir, name+"-result")},
			{"env", filepath.Join(dir, name+"-env"), "--lock", path},
			{"fetch", "--lock", path, "--offline"},
		} {
			code, _, stderr := runCLI(t, args...)
			if code != exitBadInput || !strings.Contains(stderr, "target") || !strings.Contains(stderr, path) {
				t.Errorf("%s: exit %d, stderr %q; want %d naming the file and target", args[0], code, stderr, exitBadInput)
			}
		}
		for _, out := range []string{name + "-gen", name + "-result", name + "-env"} {
			if _, err := os.Lstat(filepath.Join(dir, out)); err == nil {
				t.Errorf("%s was written from a refused lock", out)
			}
		}
	}
}

// Requirements a user wrote wrongly are bad input (exit 2) with the file
// and line where that can be known, never an empty lock or exit 1.
func TestResolveRefusesBadRequirementsAsBadInput(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"marker":   "foo; python_version ~= \"abc\"\n",
		"no hash":  "foo @ http://127.0.0.1:9/foo-1.0-py3-none-any.whl\n",
		"bad hash": "foo @ http://127.0.0.1:9/foo-1.0-py3-none-any.whl#sha256=../../../../etc/passwd\n",
	} {
		req := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".txt")
		if err := os.WriteFile(req, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		out := strings.TrimSuffix(req, ".txt") + ".lock"
		code, _, stderr := runCLI(t, "resolve", "-r", req, "-o", out, "--index-url", "http://127.0.0.1:9/simple/")
		where := "foo @"
		if name != "no hash" {
			where = req + ":1"
		}
		if code != exitBadInput || !strings.Contains(stderr, where) {
			t.Errorf("%s: exit %d, stderr %q; want %d naming %s", name, code, stderr, exitBadInput, where)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: a lock was written", name)
		}
	}
}

// A resolve whose context is cancelled (SIGTERM, Ctrl-C) stops while
// still reading requirements files.
func TestResolveStopsWhenCancelled(t *testing.T) {
	dir := t.TempDir()
	req := filepath.Join(dir, "requirements.txt")
	if err := os.WriteFile(req, []byte("a==1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	code := run(ctx, []string{"resolve", "-r", req, "-o", filepath.Join(dir, "machnix.lock"), "--index-url", "http://127.0.0.1:9/simple/"}, &out, &errb)
	if code == exitOK || !strings.Contains(errb.String(), "canceled") {
		t.Fatalf("exit %d, stderr %q; want a failure saying it was cancelled", code, errb.String())
	}
}
