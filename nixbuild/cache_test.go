package nixbuild

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/machnix/machnix/testfixtures"
)

// cacheExpr is two derivations, one depending on the other, unique to the
// test run so that no store has them yet.
func cacheExpr(t *testing.T) string {
	t.Helper()
	token := fmt.Sprintf("%d", time.Now().UnixNano())
	return writeExpr(t, fmt.Sprintf(`let
  mk = name: deps: derivation {
    inherit name deps;
    system = "x86_64-linux";
    builder = "/bin/sh";
    args = [ "-c" "echo ${name} $deps > $out" ];
  };
in mk "machnix-cache-b-%[1]s" [ (mk "machnix-cache-a-%[1]s" [ ]) ]
`, token))
}

// Built in the local store and pushed, signed, to a file:// cache: the push
// counts both paths new, a second push none; a second, empty store
// (a chroot store, as on another machine) then builds the same expression
// with --max-jobs 0, so that it can only substitute, from the cache served
// once as file:// and once over HTTP by a static file server.
func TestPushThenSubstituteIntoEmptyStore(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build", "nix-store", "nix")
	expr := cacheExpr(t)
	out, err := Build(context.Background(), expr, WithOption("substituters", ""))
	if err != nil {
		t.Fatal(err)
	}
	secret, public := testfixtures.BinaryCacheKey(t, "machnix-test-1")
	dir := filepath.Join(t.TempDir(), "cache")
	cache := "file://" + dir
	res, err := Push(context.Background(), cache, secret, out)
	if err != nil {
		t.Fatal(err)
	}
	if res.Paths != 2 || res.New != 2 || res.Key != "machnix-test-1" {
		t.Errorf("first push %+v, want 2 new of 2 paths, key machnix-test-1", res)
	}
	narinfos, _ := filepath.Glob(filepath.Join(dir, "*.narinfo"))
	if len(narinfos) != 2 {
		t.Fatalf("the cache holds %d narinfo files, want 2", len(narinfos))
	}
	for _, n := range narinfos {
		data, _ := os.ReadFile(n)
		if !strings.Contains(string(data), "\nSig: machnix-test-1:") {
			t.Errorf("%s is not signed by machnix-test-1:\n%s", n, data)
		}
	}
	if again, err := Push(context.Background(), cache, secret, out); err != nil || again.New != 0 {
		t.Errorf("second push %+v, %v: want nothing new", again, err)
	}

	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	for _, url := range []string{cache, srv.URL} {
		t.Run(strings.SplitN(url, ":", 2)[0], func(t *testing.T) {
			store := filepath.Join(t.TempDir(), "store")
			t.Setenv("NIX_REMOTE", store)
			var last Progress
			got, err := Build(context.Background(), expr, WithOption("substituters", ""), WithMaxJobs("0"),
				WithSubstituters(url), WithTrustedPublicKeys(public), WithProgress(func(p Progress) { last = p }))
			if err != nil {
				t.Fatal(err)
			}
			if got != out {
				t.Errorf("built %s, want %s", got, out)
			}
			if last.Substituted != 2 || last.Done != 0 || len(last.Warnings) != 0 {
				t.Errorf("progress %+v, want 2 substituted, none built, no warning", last)
			}
			if _, err := os.Stat(filepath.Join(store, out)); err != nil {
				t.Errorf("the second store lacks %s: %v", out, err)
			}
		})
	}
}

// A cache signed by a key the second store does not trust, and one pushed
// unsigned, are refused by Nix; with no way to build, the error says which
// cache, which key signed it (or none) and which were trusted, and what to
// pass; the secret key never appears.
func TestUntrustedCacheIsRefusedAndExplained(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build", "nix-store", "nix")
	expr := cacheExpr(t)
	out, err := Build(context.Background(), expr, WithOption("substituters", ""))
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := testfixtures.BinaryCacheKey(t, "machnix-signer")
	_, otherPublic := testfixtures.BinaryCacheKey(t, "machnix-other")
	signed := filepath.Join(t.TempDir(), "signed")
	if _, err := Push(context.Background(), "file://"+signed, secret, out); err != nil {
		t.Fatal(err)
	}
	unsigned := filepath.Join(t.TempDir(), "unsigned")
	if _, err := runNix(context.Background(), nil, "nix", "--extra-experimental-features", "nix-command", "copy", "--to", "file://"+unsigned, out); err != nil {
		t.Fatal(err)
	}
	secretBytes, _ := os.ReadFile(secret)
	_, secretPart, _ := strings.Cut(strings.TrimSpace(string(secretBytes)), ":")
	for _, tc := range []struct{ cache, signer string }{
		{signed, `the cache signed them with the key "machnix-signer"`},
		{unsigned, "carries no signature at all"},
	} {
		t.Run(filepath.Base(tc.cache), func(t *testing.T) {
			t.Setenv("NIX_REMOTE", filepath.Join(t.TempDir(), "store"))
			_, err := Build(context.Background(), expr, WithOption("substituters", ""), WithMaxJobs("0"),
				WithSubstituters("file://"+tc.cache), WithTrustedPublicKeys(otherPublic))
			if !errors.Is(err, ErrBuildFailed) {
				t.Fatalf("err = %v, want a failed build", err)
			}
			msg := err.Error()
			for _, want := range []string{"the binary cache file://" + tc.cache + " offered", "signed by none of the keys", tc.signer,
				`trusted were "machnix-other" (--trusted-public-keys)`, "Pass --trusted-public-keys NAME:KEY"} {
				if !strings.Contains(msg, want) {
					t.Errorf("diagnosis lacks %q:\n%s", want, msg)
				}
			}
			if strings.Contains(msg, secretPart) {
				t.Errorf("the diagnosis shows the secret key:\n%s", msg)
			}
		})
	}

	// Where Nix may build, it builds what it refused, and machnix warns.
	t.Setenv("NIX_REMOTE", filepath.Join(t.TempDir(), "store"))
	t.Setenv("NIX_CONFIG", "sandbox-paths = /bin /usr /lib /lib64")
	var last Progress
	if _, err := Build(context.Background(), expr, WithOption("substituters", ""), WithSubstituters("file://"+signed),
		WithTrustedPublicKeys(otherPublic), WithProgress(func(p Progress) { last = p })); err != nil {
		t.Fatal(err)
	}
	if last.Done != 2 || last.Substituted != 0 || len(last.Warnings) != 1 || !strings.Contains(strings.Join(last.Warnings, ""), "so Nix built them instead") {
		t.Errorf("progress %+v: want 2 built, none substituted and a warning that the cache was refused", last)
	}
}

// Cache and substituter URLs reach Nix's settings, where white space
// starts another entry; keys reach them too. Each hostile one is refused,
// and credentials in a refused URL are not repeated.
func TestHostileCacheURLsAndKeysAreRefused(t *testing.T) {
	for _, bad := range []string{
		"file:///tmp/c https://evil.example", "file://relative/dir", "file:relative", "ftp://host/c",
		"https://user:hunter2@/c", "https://host/c\nx", "https://host/\x1b[2Jc", "", "/tmp/cache", "daemon",
		"https://host/c\u00a0https://other",
	} {
		err := CheckCacheURL(bad)
		if !errors.Is(err, ErrBadStoreURL) {
			t.Errorf("CheckCacheURL(%q) = %v, want ErrBadStoreURL", bad, err)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "\x1b") {
			t.Errorf("CheckCacheURL(%q) repeats a secret or a control: %v", bad, err)
		}
	}
	for _, good := range []string{"file:///tmp/cache", "https://cache.example.org", "http://127.0.0.1:8080/c?compression=zstd", "s3://bucket?region=eu-west-1"} {
		if err := CheckCacheURL(good); err != nil {
			t.Errorf("CheckCacheURL(%q) = %v", good, err)
		}
	}
	if err := CheckStoreURL("/tmp/other-store"); err != nil {
		t.Errorf("a local store directory is refused: %v", err)
	}
	if err := CheckStoreURL("/tmp/a b"); err == nil {
		t.Error("a local store with a space is accepted")
	}
	if err := CheckSubstituterURL("ssh-ng://builder"); err != nil {
		t.Errorf("ssh-ng substituter refused: %v", err)
	}
	for _, bad := range []string{"nokey", "name:", ":AAAA", "name:not base64!", "name:" + strings.Repeat("A", 44) + " other:x", "a b:" + strings.Repeat("A", 43) + "="} {
		if err := CheckPublicKey(bad); !errors.Is(err, ErrBadKey) {
			t.Errorf("CheckPublicKey(%q) = %v, want ErrBadKey", bad, err)
		}
	}
	if err := CheckPublicKey("cache.example.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY="); err != nil {
		t.Errorf("a real public key is refused: %v", err)
	}
	pubFile := filepath.Join(t.TempDir(), "public.key")
	os.WriteFile(pubFile, []byte("cache.example.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=\n"), 0o600)
	if _, err := CheckSecretKeyFile(pubFile); !errors.Is(err, ErrBadKey) || !strings.Contains(err.Error(), "public key") {
		t.Errorf("a public key given as the secret one: %v", err)
	}
	// A device that never ends is read no further than a key's length.
	if _, err := CheckSecretKeyFile("/dev/zero"); !errors.Is(err, ErrBadKey) {
		t.Errorf("/dev/zero as a key: %v", err)
	}
	secret, _ := testfixtures.BinaryCacheKey(t, "machnix-real")
	if name, err := CheckSecretKeyFile(secret); err != nil || name != "machnix-real" {
		t.Errorf("a real secret key: %q, %v", name, err)
	}
}

// The secret key's file is named to Nix in the cache URL's query: a path
// with characters the query would misread reaches Nix intact.
func TestWithQueryEscapesTheKeyPath(t *testing.T) {
	got := withQuery("s3://bucket?region=x", "secret-key", "/keys/a b&c=d%.key")
	if want := "s3://bucket?region=x&secret-key=/keys/a%20b%26c%3Dd%25.key"; got != want {
		t.Errorf("withQuery = %q, want %q", got, want)
	}
	if got := withQuery("file:///c", "secret-key", "/k"); got != "file:///c?secret-key=/k" {
		t.Errorf("withQuery = %q", got)
	}
}
