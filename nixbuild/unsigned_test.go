package nixbuild

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/machnix/machnix/testfixtures"
)

// A refused cache is explained once per build, not once more for the
// failure's diagnosis, and not at all where nothing would show the
// explanation (a build that succeeds without WithProgress): each
// explanation costs a request for a narinfo, counted here apart from
// Nix's own requests by their User-Agent.
func TestRefusedCacheIsAskedForItsSignersOnce(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build", "nix-store", "nix")
	expr := cacheExpr(t)
	out, err := Build(context.Background(), expr, WithOption("substituters", ""))
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := testfixtures.BinaryCacheKey(t, "machnix-signer")
	_, otherPublic := testfixtures.BinaryCacheKey(t, "machnix-other")
	dir := filepath.Join(t.TempDir(), "signed")
	if _, err := Push(context.Background(), "file://"+dir, secret, out); err != nil {
		t.Fatal(err)
	}
	var ours, nixs atomic.Int64
	files := http.FileServer(http.Dir(dir))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".narinfo") {
			if strings.Contains(r.UserAgent(), "Nix/") {
				nixs.Add(1)
			} else {
				ours.Add(1)
			}
		}
		files.ServeHTTP(w, r)
	}))
	defer srv.Close()

	t.Setenv("NIX_REMOTE", filepath.Join(t.TempDir(), "store"))
	_, err = Build(context.Background(), expr, WithOption("substituters", ""), WithMaxJobs("0"),
		WithSubstituters(srv.URL), WithTrustedPublicKeys(otherPublic))
	if !errors.Is(err, ErrBuildFailed) || !strings.Contains(err.Error(), `the cache signed them with the key "machnix-signer"`) {
		t.Fatalf("err = %v, want a failed build explained by the cache's signer", err)
	}
	if nixs.Load() == 0 {
		t.Fatal("Nix asked the cache for no narinfo: the refusal was not exercised")
	}
	if n := ours.Load(); n != 1 {
		t.Errorf("a failed build asked the cache for its signers %d times, want 1", n)
	}

	ours.Store(0)
	t.Setenv("NIX_REMOTE", filepath.Join(t.TempDir(), "store"))
	t.Setenv("NIX_CONFIG", "sandbox-paths = /bin /usr /lib /lib64")
	if _, err := Build(context.Background(), expr, WithOption("substituters", ""), WithSubstituters(srv.URL),
		WithTrustedPublicKeys(otherPublic)); err != nil {
		t.Fatal(err)
	}
	if n := ours.Load(); n != 0 {
		t.Errorf("a build without progress asked the cache for its signers %d times, want 0", n)
	}
	ours.Store(0)
	t.Setenv("NIX_REMOTE", filepath.Join(t.TempDir(), "store"))
	var last Progress
	if _, err := Build(context.Background(), expr, WithOption("substituters", ""), WithSubstituters(srv.URL),
		WithTrustedPublicKeys(otherPublic), WithProgress(func(p Progress) { last = p })); err != nil {
		t.Fatal(err)
	}
	if n := ours.Load(); n != 1 || len(last.Warnings) != 1 || !strings.Contains(last.Warnings[0], `"machnix-signer"`) {
		t.Errorf("a build with progress: %d requests, warnings %q; want 1 and the signer named", n, last.Warnings)
	}
}
