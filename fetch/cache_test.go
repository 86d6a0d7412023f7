package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/pyindex"
)

// cacheFixture serves one wheel large enough for a stamp (minStamped) and
// returns a lock for it with its size, the wheel's bytes, and the path its
// blob has in cache.
func cacheFixture(t *testing.T) (*pyindex.Server, *resolve.Lock, []byte, string, string) {
	t.Helper()
	return cacheFixtureOf(t, minStamped+1)
}

// cacheFixtureOf is cacheFixture with n bytes that do not compress in the
// wheel.
func cacheFixtureOf(t *testing.T, n int) (*pyindex.Server, *resolve.Lock, []byte, string, string) {
	t.Helper()
	noise := make([]byte, n)
	rand.NewChaCha8([32]byte{1}).Read(noise)
	s := pyindex.Start(t, []pyindex.Wheel{{Wheel: testfixtures.Wheel{Name: "a", Version: "1.0",
		Files: []testfixtures.File{{Path: "a/data.bin", Data: noise}}}}})
	lock := lockFor(t, s, "a")
	arts, err := Fetch(context.Background(), lock, WithCacheDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(arts[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	lock.Packages[0].Size = int64(len(data))
	cache := t.TempDir()
	h := lock.Packages[0].SHA256
	dest := filepath.Join(cache, "sha256", h)
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		t.Fatal(err)
	}
	return s, lock, data, cache, dest
}

func wheelGets(s *pyindex.Server) (whole, ranged int) {
	for _, r := range s.Log() {
		if r.Method == "GET" && strings.HasSuffix(r.Path, ".whl") {
			if r.Range == "" {
				whole++
			} else {
				ranged++
			}
		}
	}
	return whole, ranged
}

func checkBlob(t *testing.T, path string, data []byte) {
	t.Helper()
	st, err := os.Lstat(path)
	if err != nil || !st.Mode().IsRegular() {
		t.Fatalf("blob %s: %v %v, want a regular file", path, st, err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != string(data) {
		t.Fatalf("blob has %d bytes (%v), want the wheel's %d", len(got), err, len(data))
	}
}

// Nothing in the cache is followed when it is a symbolic link: not the
// blob, nor the .partial a download appends to and locks.
func TestCacheNeverFollowsLinks(t *testing.T) {
	for _, suffix := range []string{"", ".partial"} {
		t.Run("link"+suffix, func(t *testing.T) {
			s, lock, data, cache, dest := cacheFixture(t)
			outside := t.TempDir()
			victim := filepath.Join(outside, "victim")
			// The link's target holds the very file: trusted through a
			// link, it could change under whoever uses the blob.
			if err := os.WriteFile(victim, data, 0o644); err != nil {
				t.Fatal(err)
			}
			dangling := filepath.Join(outside, "created")
			if err := os.Symlink(victim, dest+suffix); err != nil {
				t.Fatal(err)
			}
			arts, err := Fetch(context.Background(), lock, WithCacheDir(cache))
			if err != nil {
				t.Fatal(err)
			}
			checkBlob(t, arts[0].Path, data)
			if b, err := os.ReadFile(victim); err != nil || string(b) != string(data) {
				t.Fatalf("the link's target changed: %q %v", b, err)
			}
			// A dangling link is not created through either.
			os.Remove(arts[0].Path)
			os.Remove(dest + suffix)
			if err := os.Symlink(dangling, dest+suffix); err != nil {
				t.Fatal(err)
			}
			if _, err := Fetch(context.Background(), lock, WithCacheDir(cache)); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Lstat(dangling); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("a file was created through a link: %v", err)
			}
			checkBlob(t, dest, data)
			_ = s
		})
	}
}

// A .partial left by another run that is not a prefix of the file is
// thrown away and the file downloaded once more from the start; the lock
// is not blamed for it.
func TestStalePartialIsDownloadedAgain(t *testing.T) {
	for _, tc := range []struct {
		name    string
		partial func(data []byte) []byte
		size    bool // whether the lock gives the size
	}{
		{"garbage", func(d []byte) []byte { return []byte(strings.Repeat("g", len(d)/2)) }, true},
		{"garbage without size", func(d []byte) []byte { return []byte(strings.Repeat("g", len(d)/2)) }, false},
		{"oversized", func(d []byte) []byte { return append(append([]byte(nil), d...), "tail"...) }, true},
		{"oversized without size", func(d []byte) []byte { return append(append([]byte(nil), d...), "tail"...) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, lock, data, cache, dest := cacheFixture(t)
			if !tc.size {
				lock.Packages[0].Size = 0
			}
			if err := os.WriteFile(dest+".partial", tc.partial(data), 0o644); err != nil {
				t.Fatal(err)
			}
			before, _ := wheelGets(s)
			arts, err := Fetch(context.Background(), lock, WithCacheDir(cache))
			if err != nil {
				t.Fatalf("a stale partial failed the fetch: %v", err)
			}
			checkBlob(t, arts[0].Path, data)
			if whole, _ := wheelGets(s); whole-before != 1 {
				t.Fatalf("%d downloads from the start, want 1", whole-before)
			}
		})
	}
}

// A fresh download with another hash than the lock's fails, saying where
// the file came from, and leaves nothing behind.
func TestFreshMismatchBlamesTheSource(t *testing.T) {
	s, lock, data, cache, dest := cacheFixture(t)
	want := strings.Repeat("0", 64)
	lock.Packages[0].SHA256 = want
	lock.Packages[0].Size = 0
	_, err := Fetch(context.Background(), lock, WithCacheDir(cache))
	sum := sha256.Sum256(data)
	got := hex.EncodeToString(sum[:])
	if !errors.Is(err, ErrHashMismatch) || !strings.Contains(err.Error(), lock.Packages[0].URL) ||
		!strings.Contains(err.Error(), got) || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "partial") {
		t.Fatalf("want a mismatch naming %s, %s and %s, got %v", lock.Packages[0].URL, got, want, err)
	}
	if whole, _ := wheelGets(s); whole != 2 { // one for the fixture, one here
		t.Fatalf("%d whole downloads, want one for the fixture and one for the fetch", whole)
	}
	if _, err := os.Lstat(filepath.Join(filepath.Dir(dest), want+".partial")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("partial left behind: %v", err)
	}
}

// An artifact says whether this run downloaded it or found it in the
// cache, so a summary can tell the two apart; --json output keeps its shape.
func TestArtifactSaysWhetherItWasCached(t *testing.T) {
	s := pyindex.Start(t, []pyindex.Wheel{{Wheel: testfixtures.Wheel{Name: "a", Version: "1.0"}}})
	lock := lockFor(t, s, "a")
	cache := t.TempDir()
	first, err := Fetch(context.Background(), lock, WithCacheDir(cache))
	if err != nil {
		t.Fatal(err)
	}
	second, err := Fetch(context.Background(), lock, WithCacheDir(cache))
	if err != nil {
		t.Fatal(err)
	}
	if first[0].Cached || !second[0].Cached {
		t.Errorf("cached: first run %v, second run %v; want false then true", first[0].Cached, second[0].Cached)
	}
	if whole, _ := wheelGets(s); whole != 1 {
		t.Errorf("%d downloads, want 1", whole)
	}
	js, err := json.Marshal(second[0])
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(js), "cached") {
		t.Errorf("JSON gained a field: %s", js)
	}
}

// A blob the cache kept under sha256/<aa>/ before it was flat is moved into
// place and checked, not downloaded again; a corrupt one is fetched anew.
func TestShardedBlobIsMovedNotDownloaded(t *testing.T) {
	for _, corrupt := range []bool{false, true} {
		s, lock, data, cache, dest := cacheFixture(t)
		h := lock.Packages[0].SHA256
		old := filepath.Join(cache, "sha256", h[:2], h)
		if err := os.MkdirAll(filepath.Dir(old), 0o755); err != nil {
			t.Fatal(err)
		}
		kept := append([]byte(nil), data...)
		if corrupt {
			kept[len(kept)/2] ^= 0xff
		}
		if err := os.WriteFile(old, kept, 0o644); err != nil {
			t.Fatal(err)
		}
		before, _ := wheelGets(s)
		hashes := countHashes(t)
		if _, err := Fetch(context.Background(), lock, WithCacheDir(cache)); err != nil {
			t.Fatal(err)
		}
		checkBlob(t, dest, data)
		if _, err := os.Lstat(old); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("corrupt %v: the sharded blob is still there: %v", corrupt, err)
		}
		after, _ := wheelGets(s)
		if downloaded := after - before; downloaded != map[bool]int{false: 0, true: 1}[corrupt] || *hashes == 0 {
			t.Errorf("corrupt %v: %d downloads and %d hashes", corrupt, downloaded, *hashes)
		}
	}
}

// A downloaded blob has the mode any file the user creates with 0644 has
// (the umask applied), not the lock library's 0600: a cache shared by
// users or CI accounts stays readable.
func TestBlobIsReadableByAll(t *testing.T) {
	_, lock, _, cache, dest := cacheFixture(t)
	if _, err := Fetch(context.Background(), lock, WithCacheDir(cache)); err != nil {
		t.Fatal(err)
	}
	peer := filepath.Join(t.TempDir(), "peer")
	if err := os.WriteFile(peer, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err1 := os.Stat(dest)
	want, err2 := os.Stat(peer)
	if err1 != nil || err2 != nil || got.Mode().Perm() != want.Mode().Perm() {
		t.Errorf("blob mode %v (%v), want %v as a 0644 file gets here (%v)", got.Mode(), err1, want.Mode(), err2)
	}
}
