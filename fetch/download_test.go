package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/pyindex"
)

func lockFor(t *testing.T, s *pyindex.Server, names ...string) *resolve.Lock {
	t.Helper()
	c := NewClient(s.URL + "/simple/")
	lock := &resolve.Lock{}
	for _, n := range names {
		p, err := c.Project(context.Background(), n)
		if err != nil {
			t.Fatal(err)
		}
		f := p.Files[0]
		lock.Packages = append(lock.Packages, resolve.Package{Name: n, Version: "1.0", Provider: "wheel",
			Filename: f.Filename, URL: f.URL, SHA256: f.SHA256})
	}
	return lock
}

func TestFetchVerifiesCachesAndWorksOffline(t *testing.T) {
	s := pyindex.Start(t, []pyindex.Wheel{
		{Wheel: testfixtures.Wheel{Name: "a", Version: "1.0"}},
		{Wheel: testfixtures.Wheel{Name: "b", Version: "1.0"}},
	})
	lock := lockFor(t, s, "a", "b")
	cache := t.TempDir()
	var progress []int
	arts, err := Fetch(context.Background(), lock, WithCacheDir(cache), WithJobs(2), WithProgress(func(done, total int) {
		if total != 2 {
			t.Errorf("progress total %d, want 2", total)
		}
		progress = append(progress, done)
	}))
	if err != nil {
		t.Fatal(err)
	}
	if len(progress) != 2 || progress[0] != 1 || progress[1] != 2 {
		t.Errorf("progress %v, want 1 then 2", progress)
	}
	for i, a := range arts {
		data, err := os.ReadFile(a.Path)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		if hex.EncodeToString(sum[:]) != lock.Packages[i].SHA256 || a.Size != int64(len(data)) {
			t.Fatalf("artifact %+v does not match its bytes", a)
		}
	}
	before := len(s.Requests())
	if _, err := Fetch(context.Background(), lock, WithCacheDir(cache), WithOffline(true)); err != nil {
		t.Fatalf("offline with a full cache: %v", err)
	}
	if len(s.Requests()) != before {
		t.Fatal("offline fetch made requests")
	}
	_, err = Fetch(context.Background(), lock, WithCacheDir(t.TempDir()), WithOffline(true))
	if !errors.Is(err, ErrNotCached) || !strings.Contains(err.Error(), lock.Packages[0].Filename) {
		t.Fatalf("offline with empty cache: %v", err)
	}
}

func TestFetchHashMismatchDeletesFile(t *testing.T) {
	s := pyindex.Start(t, []pyindex.Wheel{{Wheel: testfixtures.Wheel{Name: "a", Version: "1.0"}}})
	lock := lockFor(t, s, "a")
	lock.Packages[0].SHA256 = strings.Repeat("ab", 32)
	lock.Packages[0].URL = strings.Replace(lock.Packages[0].URL, "http://", "http://user:pw@", 1)
	cache := t.TempDir()
	_, err := Fetch(context.Background(), lock, WithCacheDir(cache))
	if !errors.Is(err, ErrHashMismatch) || strings.Contains(err.Error(), "pw@") {
		t.Fatalf("want redacted hash mismatch, got %v", err)
	}
	var left []string
	filepath.Walk(cache, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			left = append(left, p)
		}
		return nil
	})
	if len(left) != 0 {
		t.Fatalf("files left after mismatch: %v", left)
	}
}

func TestFetchRetriesAndResumes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault pyindex.Fault
		n     int
	}{{"500", pyindex.Fault500, 2}, {"reset", pyindex.FaultReset, 2}, {"truncate", pyindex.FaultTruncate, 1}} {
		t.Run(tc.name, func(t *testing.T) {
			s := pyindex.Start(t, []pyindex.Wheel{{Wheel: testfixtures.Wheel{Name: "a", Version: "1.0",
				Files: []testfixtures.File{{Path: "a/data.bin", Data: []byte(strings.Repeat("x", 100000))}}}}})
			lock := lockFor(t, s, "a")
			s.FailNext(tc.n, tc.fault)
			arts, err := Fetch(context.Background(), lock, WithCacheDir(t.TempDir()))
			if err != nil {
				t.Fatal(err)
			}
			data, _ := os.ReadFile(arts[0].Path)
			sum := sha256.Sum256(data)
			if hex.EncodeToString(sum[:]) != lock.Packages[0].SHA256 {
				t.Fatal("retried download has the wrong hash")
			}
			if tc.fault == pyindex.FaultTruncate {
				resumed := false
				for _, r := range s.Log() {
					if strings.HasSuffix(r.Path, ".whl") && strings.HasPrefix(r.Range, "bytes=") && !strings.HasPrefix(r.Range, "bytes=0-") {
						resumed = true
					}
				}
				if !resumed {
					t.Fatalf("no resuming Range request: %+v", s.Log())
				}
			}
		})
	}
}

func TestFetchGivesUpAfterBoundedRetries(t *testing.T) {
	s := pyindex.Start(t, []pyindex.Wheel{{Wheel: testfixtures.Wheel{Name: "a", Version: "1.0"}}})
	lock := lockFor(t, s, "a")
	s.FailNext(100, pyindex.Fault500)
	_, err := Fetch(context.Background(), lock, WithCacheDir(t.TempDir()))
	if err == nil || !strings.Contains(err.Error(), "500") {
		t.Fatalf("want HTTP 500 error, got %v", err)
	}
	got := 0
	for _, r := range s.Requests() {
		if strings.HasSuffix(r, ".whl") {
			got++
		}
	}
	if got != 5 {
		t.Fatalf("%d attempts, want 5", got)
	}
}

func TestCorruptCacheEntryIsReplaced(t *testing.T) {
	s := pyindex.Start(t, []pyindex.Wheel{{Wheel: testfixtures.Wheel{Name: "a", Version: "1.0"}}})
	lock := lockFor(t, s, "a")
	cache := t.TempDir()
	arts, err := Fetch(context.Background(), lock, WithCacheDir(cache))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(arts[0].Path, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Fetch(context.Background(), lock, WithCacheDir(cache), WithOffline(true)); !errors.Is(err, ErrNotCached) {
		t.Fatalf("offline with a corrupt entry: %v", err)
	}
	arts, err = Fetch(context.Background(), lock, WithCacheDir(cache))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(arts[0].Path)
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != lock.Packages[0].SHA256 {
		t.Fatal("corrupt cache entry was kept")
	}
}

func TestConcurrentFetchersShareCache(t *testing.T) {
	s := pyindex.Start(t, []pyindex.Wheel{{Wheel: testfixtures.Wheel{Name: "a", Version: "1.0",
		Files: []testfixtures.File{{Path: "a/d.bin", Data: []byte(strings.Repeat("y", 200000))}}}}})
	lock := lockFor(t, s, "a")
	cache := t.TempDir()
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = Fetch(context.Background(), lock, WithCacheDir(cache))
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	gets := 0
	for _, r := range s.Log() {
		if r.Method == "GET" && strings.HasSuffix(r.Path, ".whl") {
			gets++
		}
	}
	if gets != 1 {
		t.Fatalf("%d downloads of one blob by concurrent fetchers, want 1", gets)
	}
	// The waiters found the blob in place and left no partial file behind.
	var left []string
	filepath.Walk(cache, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && filepath.Base(p) != lock.Packages[0].SHA256 {
			left = append(left, filepath.Base(p))
		}
		return nil
	})
	if len(left) != 0 {
		t.Errorf("files left beside the blob: %v", left)
	}
}

// Where a locked partial file never matches the one at its path (a file
// system whose file identities do not hold still), the fetch fails with
// advice instead of retrying for ever.
func TestUnstableFileIdentitiesFailTheLock(t *testing.T) {
	s := pyindex.Start(t, []pyindex.Wheel{{Wheel: testfixtures.Wheel{Name: "a", Version: "1.0"}}})
	lock := lockFor(t, s, "a")
	orig := sameFile
	sameFile = func(os.FileInfo, os.FileInfo) bool { return false }
	t.Cleanup(func() { sameFile = orig })
	_, err := Fetch(context.Background(), lock, WithCacheDir(t.TempDir()))
	if err == nil || !strings.Contains(err.Error(), "MACHNIX_CACHE_DIR") {
		t.Fatalf("want an error pointing at the cache's file system, got %v", err)
	}
}
