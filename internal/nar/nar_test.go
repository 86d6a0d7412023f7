package nar_test

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/machnix/machnix/internal/nar"
	"github.com/machnix/machnix/testfixtures"
)

// hostileTree writes a tree with every shape NAR distinguishes: files whose
// sizes straddle the 8-byte padding, an executable, empty files and
// directories, links pointing outside and at nothing, and names that sort
// differently bytewise than by locale or that hold a newline.
func hostileTree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	write := func(rel, data string, mode os.FileMode) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	write("pkg/__init__.py", "", 0o644)
	write("pkg/seven.py", "1234567", 0o644)
	write("pkg/eight.py", "12345678", 0o644)
	write("pkg/nine.py", "123456789", 0o644)
	write("bin/run", "#!/bin/sh\necho hi\n", 0o755)
	write("B", "upper", 0o644)
	write("a", "lower", 0o644)
	write("a-b", "dash", 0o644)
	write("a.b", "dot", 0o644)
	write("\u00e4", "umlaut", 0o644)
	write("new\nline", "newline in the name", 0o644)
	write("pkg/cache.pyc", "junk", 0o644)
	if err := os.MkdirAll(filepath.Join(root, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{"out": "../../../etc/passwd", "abs": "/etc/hostname", "dangling": "nowhere", "pkg/up": ".."} {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func nixHash(t *testing.T, dir string) string {
	t.Helper()
	out, err := exec.Command("nix-hash", "--type", "sha256", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("nix-hash: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestHashDirMatchesNixHash(t *testing.T) {
	testfixtures.RequireTool(t, "nix-hash")
	root := hostileTree(t)
	got, err := nar.HashDir(root, nil, nar.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if want := nixHash(t, root); got != want {
		t.Errorf("HashDir = %s, nix-hash = %s", got, want)
	}
}

// TestFilteredHashMatchesStore copies what a filter keeps and lets
// nix-store --add hash the copy: the filtered NAR must be the copy's.
func TestFilteredHashMatchesStore(t *testing.T) {
	testfixtures.RequireTool(t, "nix-hash", "nix-store")
	root := hostileTree(t)
	keep := func(rel string, mode fs.FileMode) bool {
		return !strings.HasSuffix(rel, ".pyc") && rel != "empty" && rel != "out"
	}
	got, err := nar.HashDir(root, keep, nar.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	full, err := nar.HashDir(root, nil, nar.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if got == full {
		t.Fatal("the filter changed nothing")
	}
	cp := filepath.Join(t.TempDir(), "copy")
	copyKept(t, root, cp, keep)
	if want := nixHash(t, cp); got != want {
		t.Errorf("filtered HashDir = %s, nix-hash of the copy = %s", got, want)
	}
	out, err := exec.Command("nix-store", "--add", cp).Output()
	if err != nil {
		t.Fatalf("nix-store --add: %v", err)
	}
	stored, err := exec.Command("nix-store", "-q", "--hash", strings.TrimSpace(string(out))).Output()
	if err != nil {
		t.Fatal(err)
	}
	b32, err := exec.Command("nix-hash", "--type", "sha256", "--to-base32", got).Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := "sha256:" + strings.TrimSpace(string(b32)); strings.TrimSpace(string(stored)) != want {
		t.Errorf("store hash %s, HashDir gives %s", stored, want)
	}
}

// copyKept copies the entries keep accepts, links as links.
func copyKept(t *testing.T, from, to string, keep nar.Filter) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if rel != "." && !keep(filepath.ToSlash(rel), d.Type()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(dst, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, dst)
		default:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(dst, data, info.Mode().Perm())
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestHashDirLimits(t *testing.T) {
	root := hostileTree(t)
	for name, l := range map[string]nar.Limits{
		"entries": {Entries: 5},
		"bytes":   {Bytes: 20},
	} {
		if _, err := nar.HashDir(root, nil, l); !errors.Is(err, nar.ErrTooLarge) {
			t.Errorf("%s limit: err = %v, want ErrTooLarge", name, err)
		}
	}
	deep := t.TempDir()
	p := deep
	for range 10 {
		p = filepath.Join(p, "d")
	}
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := nar.HashDir(deep, nil, nar.Limits{Depth: 5}); !errors.Is(err, nar.ErrTooLarge) {
		t.Errorf("depth limit: err = %v, want ErrTooLarge", err)
	}
}

func TestHashDirRefusesOddRoots(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	if _, err := nar.HashDir(link, nil, nar.Limits{}); !errors.Is(err, nar.ErrUnsupported) {
		t.Errorf("a symlink root: err = %v, want ErrUnsupported", err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal("mkfifo:", err)
	}
	if _, err := nar.HashDir(dir, nil, nar.Limits{}); !errors.Is(err, nar.ErrUnsupported) {
		t.Errorf("a fifo: err = %v, want ErrUnsupported", err)
	}
}
