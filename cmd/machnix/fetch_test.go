package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/machnix/machnix/fetch"
	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/pyindex"
)

func TestFetchCommandJSONAndOffline(t *testing.T) {
	s := pyindex.Start(t, []pyindex.Wheel{{Wheel: testfixtures.Wheel{Name: "a", Version: "1.0"}}})
	p, err := fetch.NewClient(s.URL+"/simple/").Project(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	f := p.Files[0]
	lock := &resolve.Lock{Version: 1, Target: resolve.Target{Python: "3.11", System: "x86_64-linux", Glibc: "2.28"},
		Indexes: []string{s.URL + "/simple/"}, Requirements: []string{"a"},
		Packages: []resolve.Package{{Name: "a", Version: "1.0", Provider: resolve.Provider("wheel"), Filename: f.Filename, URL: f.URL, SHA256: f.SHA256}}}
	lockPath := filepath.Join(t.TempDir(), "machnix.lock")
	if err := resolve.WriteLock(lockPath, lock); err != nil {
		t.Fatal(err)
	}
	t.Setenv("MACHNIX_CACHE_DIR", t.TempDir())
	code, out, stderr := runCLI(t, "fetch", "--lock", lockPath, "--offline")
	if code != exitProblem {
		t.Fatalf("offline with empty cache: exit %d, stderr %s", code, stderr)
	}
	code, out, stderr = runCLI(t, "fetch", "--lock", lockPath, "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var arts []fetch.Artifact
	if err := json.Unmarshal([]byte(out), &arts); err != nil || len(arts) != 1 {
		t.Fatalf("bad JSON %q: %v", out, err)
	}
	data, err := os.ReadFile(arts[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != f.SHA256 {
		t.Fatal("cached file does not have the index's hash")
	}
	if !strings.Contains(stderr, "fetched 1 file (") {
		t.Errorf("first fetch's summary: %q", stderr)
	}
	// Without --json: PATH<TAB>FILENAME per file, and all from the cache.
	code, out, stderr = runCLI(t, "fetch", "--lock", lockPath)
	if want := arts[0].Path + "\t" + f.Filename + "\n"; code != exitOK || out != want || !strings.Contains(stderr, "all 1 file from the cache") {
		t.Errorf("exit %d, stdout %q, want %q; stderr %q", code, out, want, stderr)
	}
	if code, _, _ := runCLI(t, "fetch", "--lock", filepath.Join(t.TempDir(), "missing.lock")); code != exitBadInput {
		t.Fatalf("missing lock: exit %d, want %d", code, exitBadInput)
	}
}
