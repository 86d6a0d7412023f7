package pipeline

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/resolve/tags"
	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/native"
	"github.com/machnix/machnix/testfixtures/nixpkgs"
)

// Resolution errors about a requirement name the file and line it is on.
func TestResolveErrorsNameTheRequirementsLine(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	wheels := filepath.Join(dir, "wheels")
	if err := os.MkdirAll(wheels, 0o755); err != nil {
		t.Fatal(err)
	}
	// Only listed, never read: the misspelt name fails first.
	if err := os.WriteFile(filepath.Join(wheels, "zcrc-1.0-py3-none-any.whl"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	req := filepath.Join(dir, "requirements.txt")
	if err := os.WriteFile(req, []byte("# tools\nzcrc\nzcrx>=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	target := resolve.Target{Python: "3.11", System: "x86_64-linux", Glibc: "2.28"}
	_, err := Resolve(ctx, Inputs{Requirements: []string{req}, FindLinks: []string{wheels}, NoIndex: true, Target: target}, nil)
	if !errors.Is(err, resolve.ErrProjectNotFound) {
		t.Fatalf("want ErrProjectNotFound, got %v", err)
	}
	for _, want := range []string{req + ":3: ", "zcrx: no project of this name on file://" + wheels + "/", "did you mean zcrc?"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}

	// An index that does not answer: a port nothing listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	if err := os.WriteFile(req, []byte("zcrc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Resolve(ctx, Inputs{Requirements: []string{req}, IndexURL: "http://user:s3cret@" + addr + "/simple/", Target: target}, nil)
	if err == nil || !strings.HasPrefix(err.Error(), req+":1: project zcrc: ") || !strings.Contains(err.Error(), "http://"+addr+"/simple/zcrc/") {
		t.Errorf("want the failure at %s:1 naming the index, got %v", req, err)
	}
	if err != nil && strings.Contains(err.Error(), "s3cret") {
		t.Errorf("%q shows the credentials", err)
	}
	if err != nil && strings.Count(err.Error(), "http://"+addr) != 1 {
		t.Errorf("%q repeats the URL", err)
	}
}

// cp311 wheels asked for with another Python: the error says the files
// exist, which tags they carry, what the target is and which flag changes
// it, with the requirement's file and line, instead of "no versions".
func TestTagsThatMissTheTargetAreExplained(t *testing.T) {
	w := native.BuildT(t)
	req := filepath.Join(t.TempDir(), "requirements.txt")
	if err := os.WriteFile(req, []byte("bundled\nzcrc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	target := resolve.Target{Python: "3.13", System: native.Arch() + "-linux", Glibc: "2.28"}
	_, err := Resolve(context.Background(), Inputs{Requirements: []string{req}, FindLinks: []string{w.Dir}, NoIndex: true, Target: target}, nil)
	if err == nil {
		t.Fatal("cp311 wheels resolved for Python 3.13")
	}
	_, _, _, ts, perr := tags.ParseWheelFilename(filepath.Base(w.Bundled))
	if perr != nil {
		t.Fatal(perr)
	}
	for _, want := range []string{req + ":1", filepath.Base(w.Bundled), ts[0].String(), "3.13", "--python"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error lacks %q: %v", want, err)
		}
	}
	if !errors.Is(err, resolve.ErrNoSolution) || !errors.Is(err, ErrFailed) {
		t.Errorf("%v: want no solution, a failure of the work", err)
	}
}

// Without --python, a lock pinned to a nixpkgs is resolved for that
// nixpkgs' python3: the stand-in's is Debian's 3.11, so the cp311 wheels
// fit. Without a pin the default stays resolve.DefaultPython.
func TestDefaultPythonIsThePinnedNixpkgs(t *testing.T) {
	testfixtures.RequireTool(t, "nix-instantiate")
	w := native.BuildT(t)
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	req := filepath.Join(t.TempDir(), "requirements.txt")
	if err := os.WriteFile(req, []byte("zcrc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	in := Inputs{Requirements: []string{req}, FindLinks: []string{w.Dir}, NoIndex: true, Nixpkgs: nixpkgs.Dir(),
		Target: resolve.Target{System: native.Arch() + "-linux", Glibc: "2.28"}}
	lock, err := Resolve(context.Background(), in, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _, _, ts, err := tags.ParseWheelFilename(filepath.Base(w.Zcrc))
	if err != nil {
		t.Fatal(err)
	}
	if want := "cp" + strings.ReplaceAll(lock.Target.Python, ".", ""); ts[0].Interpreter != want {
		t.Errorf("resolved for Python %s (%s), but the nixpkgs' interpreter is the wheel's %s", lock.Target.Python, want, ts[0].Interpreter)
	}
	in.Nixpkgs = ""
	_, err = Resolve(context.Background(), in, nil)
	if err == nil || !strings.Contains(err.Error(), resolve.DefaultPython) {
		t.Errorf("without a pin: %v, want a target of Python %s", err, resolve.DefaultPython)
	}
}
