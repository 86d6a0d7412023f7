package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// zstd layers cannot be Docker schema 2: refused before the lock is even
// read, naming both flags.
func TestDockerRefusesZstdWithDockerFormatFirst(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none.lock")
	code, _, stderr := runCLI(t, "docker", "--lock", missing, "--tag", "app:v1", "--docker-archive", filepath.Join(t.TempDir(), "a.tar"),
		"--compression", "zstd", "--format", "docker")
	if code != exitBadInput || !strings.Contains(stderr, "--compression zstd") || !strings.Contains(stderr, "--format docker") {
		t.Fatalf("exit %d, stderr %q; want %d naming both flags", code, stderr, exitBadInput)
	}
	if strings.Contains(stderr, missing) {
		t.Errorf("the lock was read first: %s", stderr)
	}
}

func TestBuildWithoutLockSuggestsRequirements(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "machnix.lock")
	code, _, stderr := runCLI(t, "build", "--lock", missing)
	if code != exitBadInput || !strings.Contains(stderr, missing) || !strings.Contains(stderr, "-r requirements.txt") {
		t.Fatalf("exit %d, stderr %q; want %d naming the lock and suggesting -r requirements.txt", code, stderr, exitBadInput)
	}
}

// Completion offers the values of the flags that have a fixed set.
func TestCompletionOffersFlagValues(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"build", "--system", ""}, []string{"x86_64-linux", "aarch64-linux"}},
		{[]string{"diagnose", "--system", ""}, []string{"x86_64-linux", "aarch64-linux"}},
		{[]string{"image", "--system", ""}, []string{"x86_64-linux", "aarch64-linux"}},
		{[]string{"resolve", "--python", ""}, []string{"3.11", "3.13"}},
		{[]string{"image", "--compression", ""}, []string{"gzip", "zstd"}},
		{[]string{"docker", "--format", ""}, []string{"oci", "docker"}},
	} {
		code, out, stderr := runCLI(t, append([]string{"__complete"}, tc.args...)...)
		if code != exitOK {
			t.Fatalf("%q: exit %d, %s", tc.args, code, stderr)
		}
		lines := strings.Split(out, "\n")
		for _, w := range tc.want {
			found := false
			for _, l := range lines {
				found = found || l == w
			}
			if !found {
				t.Errorf("%q offers %q, want %q among them", tc.args, out, w)
			}
		}
	}
}
