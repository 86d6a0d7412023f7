package options

import (
	"context"
	"io"
	"testing"

	"github.com/machnix/machnix/resolve"
)

// TestUpToDateDockerDoesNotPrepareAgain: when the build was up to date,
// docker took the files of every wheel again (fetching and inspecting them)
// only to learn whether the image needs the GPU driver; the lock's native
// inputs say so. The lock here names a file that cannot be fetched, so
// preparing would fail.
func TestUpToDateDockerDoesNotPrepareAgain(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("MACHNIX_CACHE_DIR", t.TempDir())
	lock := &resolve.Lock{Packages: []resolve.Package{{
		Name: "torch", Version: "2.0", Provider: resolve.ProviderWheel,
		Filename: "torch-2.0-py3-none-any.whl", URL: "http://127.0.0.1:1/torch-2.0-py3-none-any.whl",
		SHA256: "0000000000000000000000000000000000000000000000000000000000000000",
		Native: &resolve.Native{DriverRunpath: true},
	}}}
	b := &Built{Lock: lock}
	needs, err := b.NeedsDriver(context.Background(), io.Discard)
	if err != nil || !needs || b.Prepared != nil {
		t.Fatalf("NeedsDriver = %v, %v (prepared again: %v); want true from the lock", needs, err, b.Prepared != nil)
	}
	lock.Packages[0].Native = nil
	if _, err := b.NeedsDriver(context.Background(), io.Discard); err == nil {
		t.Fatal("a lock without native inputs was answered without preparing its files")
	}
}
