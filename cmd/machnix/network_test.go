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

// Credentials in a URL that does not parse reach no message, nor does a
// terminal control.
func TestCredentialsOfBadURLsNeverPrinted(t *testing.T) {
	dir := t.TempDir()
	reqs := filepath.Join(dir, "requirements.txt")
	if err := os.WriteFile(reqs, []byte("app\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	check := func(what string, code int, stderr string) {
		t.Helper()
		if code == exitOK {
			t.Errorf("%s: exit 0", what)
		}
		for _, c := range []string{"secret", "user:", "\x1b"} {
			if strings.Contains(stderr, c) {
				t.Errorf("%s: stderr shows %q: %s", what, c, stderr)
			}
		}
	}
	for _, bad := range []string{"https://user:secret@127.0.0.1:1/%zz", "https://user:secret@[::1", "https://user:secret@127.0.0.1:1/\x1b[2J"} {
		code, stderr := runCLIWithin(t, 20*time.Second, "resolve", "-r", reqs, "-o", filepath.Join(dir, "machnix.lock"), "--index-url", bad)
		check("resolve --index-url "+bad, code, stderr)
		inFile := filepath.Join(dir, "in-file.txt")
		if err := os.WriteFile(inFile, []byte("--index-url "+bad+"\napp\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		code, stderr = runCLIWithin(t, 20*time.Second, "resolve", "-r", inFile, "-o", filepath.Join(dir, "machnix.lock"))
		check("--index-url in a requirements file", code, stderr)
		direct := filepath.Join(dir, "direct.txt")
		if err := os.WriteFile(direct, []byte("app @ "+bad+"/app-1.0-py3-none-any.whl#sha256="+strings.Repeat("0", 64)+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		code, stderr = runCLIWithin(t, 20*time.Second, "resolve", "-r", direct, "-o", filepath.Join(dir, "machnix.lock"))
		check("a direct URL", code, stderr)

		lockPath := filepath.Join(dir, "machnix.lock")
		lock := &resolve.Lock{Version: 1, Target: resolve.Target{Python: "3.11", System: "x86_64-linux", Glibc: "2.28"},
			Requirements: []string{"a"}, Packages: []resolve.Package{{Name: "a", Version: "1.0", Provider: "wheel",
				Filename: "a-1.0-py3-none-any.whl", URL: bad + "/a-1.0-py3-none-any.whl", SHA256: strings.Repeat("0", 64)}}}
		// Written as raw JSON: WriteLock itself refuses such a URL, and
		// the lock under test is one somebody else wrote.
		data, err := resolve.MarshalLock(lock)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(lockPath, data, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Setenv("MACHNIX_CACHE_DIR", t.TempDir())
		code, stderr = runCLIWithin(t, 20*time.Second, "fetch", "--lock", lockPath)
		check("fetch of a lock URL", code, stderr)
	}
	code, stderr := runCLIWithin(t, 20*time.Second, "resolve", "-r", filepath.Join(dir, "\x1b]0;title\x07missing.txt"), "-o", filepath.Join(dir, "machnix.lock"))
	check("a file name with terminal controls", code, stderr)
}
