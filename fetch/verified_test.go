//go:build unix

package fetch

import (
	"context"
	"os"
	"testing"
	"time"
)

// countHashes counts the files hashed while the test runs.
func countHashes(t *testing.T) *int {
	t.Helper()
	n := 0
	orig := hashFile
	hashFile = func(p string) (string, int64, error) { n++; return orig(p) }
	t.Cleanup(func() { hashFile = orig })
	return &n
}

// A blob checked once is not hashed again while it is unchanged; a blob
// edited in place, even to the same size and mtime, is hashed, found
// corrupt and downloaded again; a stamp behind a link is not followed.
func TestUnchangedBlobIsNotRehashed(t *testing.T) {
	s, lock, data, cache, dest := cacheFixture(t)
	ctx := context.Background()
	if _, err := Fetch(ctx, lock, WithCacheDir(cache)); err != nil {
		t.Fatal(err)
	}
	hashes := countHashes(t)
	if _, err := Fetch(ctx, lock, WithCacheDir(cache)); err != nil {
		t.Fatal(err)
	}
	if *hashes != 0 {
		t.Errorf("an unchanged blob was hashed %d times", *hashes)
	}

	st, err := os.Lstat(dest)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond) // the edit's ctime must differ from the stamp's
	f, err := os.OpenFile(dest, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{data[len(data)/2] ^ 0xff}, int64(len(data)/2)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.Chtimes(dest, st.ModTime(), st.ModTime()); err != nil {
		t.Fatal(err)
	}
	whole, _ := wheelGets(s)
	if _, err := Fetch(ctx, lock, WithCacheDir(cache)); err != nil {
		t.Fatal(err)
	}
	checkBlob(t, dest, data)
	if again, _ := wheelGets(s); again != whole+1 {
		t.Errorf("the edited blob was not downloaded again (%d downloads before, %d after)", whole, again)
	}

	victim := t.TempDir() + "/victim"
	if err := os.WriteFile(victim, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Remove(dest + ".verified")
	if err := os.Symlink(victim, dest+".verified"); err != nil {
		t.Fatal(err)
	}
	if _, err := Fetch(ctx, lock, WithCacheDir(cache)); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(victim); string(got) != "keep" {
		t.Errorf("the stamp was written through a link: %q", got)
	}
	if fi, err := os.Lstat(dest + ".verified"); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("the stamp is not a regular file after a fetch: %v %v", fi, err)
	}
}

// A blob below minStamped gets no stamp: hashing it again costs about what
// writing one does. It is rehashed on every use instead, and never fetched
// again while it is whole.
func TestSmallBlobIsRehashedWithoutStamp(t *testing.T) {
	s, lock, _, cache, dest := cacheFixtureOf(t, minStamped/4)
	if lock.Packages[0].Size >= minStamped {
		t.Fatalf("the fixture's wheel has %d bytes, not below %d", lock.Packages[0].Size, minStamped)
	}
	ctx := context.Background()
	if _, err := Fetch(ctx, lock, WithCacheDir(cache)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(dest + ".verified"); !os.IsNotExist(err) {
		t.Errorf("a small blob was stamped: %v", err)
	}
	whole, _ := wheelGets(s)
	hashes := countHashes(t)
	if _, err := Fetch(ctx, lock, WithCacheDir(cache)); err != nil {
		t.Fatal(err)
	}
	if *hashes != 1 {
		t.Errorf("a small cached blob was hashed %d times, want 1", *hashes)
	}
	if again, _ := wheelGets(s); again != whole {
		t.Errorf("a whole small blob was downloaded again")
	}
}

// A stamp cut short, as a crash while writing it leaves it, is not
// trusted: the blob is hashed and the stamp written whole again.
func TestTornStampIsNotTrusted(t *testing.T) {
	_, lock, _, cache, dest := cacheFixture(t)
	ctx := context.Background()
	if _, err := Fetch(ctx, lock, WithCacheDir(cache)); err != nil {
		t.Fatal(err)
	}
	whole, err := os.ReadFile(dest + ".verified")
	if err != nil || len(whole) < 2 {
		t.Fatalf("no stamp after a fetch: %q %v", whole, err)
	}
	if err := os.Truncate(dest+".verified", int64(len(whole)-2)); err != nil {
		t.Fatal(err)
	}
	hashes := countHashes(t)
	if _, err := Fetch(ctx, lock, WithCacheDir(cache)); err != nil {
		t.Fatal(err)
	}
	if *hashes != 1 {
		t.Errorf("a blob with a torn stamp was hashed %d times, want 1", *hashes)
	}
	if got, _ := os.ReadFile(dest + ".verified"); string(got) != string(whole) {
		t.Errorf("the stamp is %q after the rehash, want %q", got, whole)
	}
}
