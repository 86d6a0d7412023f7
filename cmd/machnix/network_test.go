package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/machnix/machnix/resolve"
)

// runCLIWithin runs machnix with a deadline, so a hang fails the test
// instead of stopping it.
func runCLIWithin(t *testing.T, d time.Duration, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var out, errb bytes.Buffer
	code := run(ctx, args, &out, &errb)
	if ctx.Err() != nil {
		t.Fatalf("machnix %v ran into the test's deadline: %s", args, errb.String())
	}
	return code, errb.String()
}

// A server that sends nothing fails resolve and fetch after --timeout,
// with a message naming the URL and the flag, after a retry.
func TestTimeoutFlagEndsStalls(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		<-r.Context().Done()
	}))
	defer srv.Close()
	dir := t.TempDir()
	reqs := filepath.Join(dir, "requirements.txt")
	if err := os.WriteFile(reqs, []byte("app\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stderr := runCLIWithin(t, 20*time.Second, "resolve", "-r", reqs, "-o", filepath.Join(dir, "machnix.lock"),
		"--index-url", srv.URL+"/simple", "--timeout", "200ms")
	if code != exitProblem || !strings.Contains(stderr, srv.URL+"/simple/app/") || !strings.Contains(stderr, "--timeout") {
		t.Fatalf("resolve: exit %d, stderr %s", code, stderr)
	}
	if n.Load() != 2 {
		t.Fatalf("%d requests for the page, want the first and one retry", n.Load())
	}

	lockPath := filepath.Join(dir, "fetch.lock")
	lock := &resolve.Lock{Version: 1, Target: resolve.Target{Python: "3.11", System: "x86_64-linux", Glibc: "2.28"},
		Requirements: []string{"a"}, Packages: []resolve.Package{{Name: "a", Version: "1.0", Provider: "wheel",
			Filename: "a-1.0-py3-none-any.whl", URL: srv.URL + "/a-1.0-py3-none-any.whl", SHA256: strings.Repeat("0", 64)}}}
	if err := resolve.WriteLock(lockPath, lock); err != nil {
		t.Fatal(err)
	}
	t.Setenv("MACHNIX_CACHE_DIR", t.TempDir())
	n.Store(0)
	code, stderr = runCLIWithin(t, 20*time.Second, "fetch", "--lock", lockPath, "--timeout", "200ms")
	if code != exitProblem || !strings.Contains(stderr, lock.Packages[0].URL) || !strings.Contains(stderr, "--timeout") {
		t.Fatalf("fetch: exit %d, stderr %s", code, stderr)
	}
	if n.Load() < 2 {
		t.Fatalf("%d requests for the file, want retries", n.Load())
	}
	if code, stderr := runCLIWithin(t, 5*time.Second, "fetch", "--lock", lockPath, "--timeout", "-1s"); code != exitBadInput || !strings.Contains(stderr, "--timeout") {
		t.Fatalf("a negative --timeout: exit %d, stderr %s", code, stderr)
	}
}
