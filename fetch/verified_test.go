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
