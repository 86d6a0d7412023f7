package testfixtures

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// inCI reports whether the tests run in CI, where every real component must
// be present: a missing tool there is a failure, never a skip.
func inCI() bool { return os.Getenv("CI") == "true" }

// RequireTool returns the path of each named program on PATH. Where one is
// missing the test is skipped, or failed when CI=true.
func RequireTool(t testing.TB, names ...string) []string {
	t.Helper()
	paths := make([]string, len(names))
	for i, name := range names {
		p, err := exec.LookPath(name)
		if err != nil {
			if inCI() {
				t.Fatalf("%s is not on PATH; CI must install it (scripts/install-deps)", name)
			}
			t.Skipf("%s is not on PATH; run scripts/install-deps to run this test", name)
		}
		paths[i] = p
	}
	return paths
}

// RepoRoot returns the directory holding go.mod, found by walking up from the
// test's working directory.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// SharedDir returns ../shared/<elem...> beside the repository: reference
// material that a user's fresh clone does not have. Tests that need it are
// skipped there, with a message saying so.
func SharedDir(t testing.TB, elem ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{RepoRoot(t), "..", "shared"}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s is absent (it sits beside the repository only on the team's machines); the gcc-built fixtures cover these code paths", filepath.Join(append([]string{"../shared"}, elem...)...))
	}
	return p
}

// WriteFiles writes each file of files (path relative to dir, with
// forward slashes) under dir, making directories as needed.
func WriteFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for rel, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
