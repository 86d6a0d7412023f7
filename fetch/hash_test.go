package fetch

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/machnix/machnix/resolve"
)

// pathHash is 64 characters that, joined under the cache as a digest,
// name victim beside the cache directory: "../../" out of sha256/ and the
// cache, then a relative path padded with "./" to the digest's length.
func pathHash(t *testing.T, victim string) string {
	t.Helper()
	h := "../../"
	if (64-len(h)-len(victim))%2 == 1 {
		h += "/"
	}
	for len(h)+len(victim) < 64 {
		h += "./"
	}
	h += victim
	if len(h) != 64 {
		t.Fatalf("padding gave %d characters", len(h))
	}
	return h
}

func TestHashUsedAsPathIsRefused(t *testing.T) {
	for _, victim := range []string{"victim.txt", "victim2.txt"} {
		t.Run(victim, func(t *testing.T) {
			root := t.TempDir()
			cache := filepath.Join(root, "cache")
			if err := os.MkdirAll(filepath.Join(cache, "sha256"), 0o755); err != nil {
				t.Fatal(err)
			}
			hash := pathHash(t, victim)
			target := filepath.Join(cache, "sha256", hash)
			if want := filepath.Join(root, victim); target != want {
				t.Fatalf("the probe names %s, want %s", target, want)
			}
			if err := os.WriteFile(target, []byte("keep me"), 0o644); err != nil {
				t.Fatal(err)
			}
			lock := &resolve.Lock{Packages: []resolve.Package{{Name: "a", Version: "1.0", Provider: "wheel",
				Filename: "a-1.0-py3-none-any.whl", URL: "http://127.0.0.1:1/a-1.0-py3-none-any.whl", SHA256: hash}}}
			_, err := Fetch(context.Background(), lock, WithCacheDir(cache))
			if !errors.Is(err, ErrBadHash) {
				t.Errorf("want %v, got %v", ErrBadHash, err)
			}
			if b, err := os.ReadFile(target); err != nil || string(b) != "keep me" {
				t.Fatalf("the file the hash names was touched: %q %v", b, err)
			}
			if _, err := os.Lstat(target + ".lock"); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("a stray lock beside the file the hash names: %v", err)
			}
		})
	}
}

func TestFetchRefusesHashesThatAreNotLowerHex(t *testing.T) {
	good := strings.Repeat("ab", 32)
	for _, h := range []string{strings.ToUpper(good), good[:63] + "g", good[:63] + "/", good + "0", good[:62] + "\x00\x00"} {
		lock := &resolve.Lock{Packages: []resolve.Package{{Name: "a", Version: "1.0", Provider: "wheel",
			Filename: "a-1.0-py3-none-any.whl", URL: "http://127.0.0.1:1/a.whl", SHA256: h}}}
		cache := t.TempDir()
		if _, err := Fetch(context.Background(), lock, WithCacheDir(cache)); !errors.Is(err, ErrBadHash) {
			t.Errorf("sha256 %q: want %v, got %v", h, ErrBadHash, err)
		}
		if entries, _ := os.ReadDir(cache); len(entries) != 0 {
			t.Errorf("sha256 %q: cache written: %v", h, entries)
		}
	}
}

func TestPagesRefuseHashesThatAreNotHex(t *testing.T) {
	bad := pathHash(t, "victim.txt")
	good := strings.Repeat("0123456789abcdef", 4)
	pageURL := "http://h/simple/a/"
	jsonPage := func(fileHash, metaHash string) string {
		return `{"files":[{"filename":"a-1.0-py3-none-any.whl","url":"a-1.0-py3-none-any.whl","hashes":{"sha256":"` + fileHash +
			`"},"core-metadata":{"sha256":"` + metaHash + `"}}]}`
	}
	htmlPage := func(fileHash, metaHash string) string {
		return `<a href="a-1.0-py3-none-any.whl#sha256=` + fileHash + `" data-core-metadata="sha256=` + metaHash + `">a</a>`
	}
	for _, tc := range []struct {
		name  string
		parse func([]byte, string, string, string) (*resolve.ProjectFiles, error)
		page  func(string, string) string
	}{{"json", parseJSONPage, jsonPage}, {"html", parseHTMLPage, htmlPage}} {
		t.Run(tc.name, func(t *testing.T) {
			for _, body := range []string{tc.page(bad, good), tc.page(good, bad), tc.page(good[:63]+"z", good), tc.page(good, good+"0")} {
				_, err := tc.parse([]byte(body), pageURL, "a", "http://h/simple/")
				if !errors.Is(err, ErrBadHash) || !strings.Contains(err.Error(), pageURL) {
					t.Errorf("page %s: want %v naming the page, got %v", body, ErrBadHash, err)
				}
			}
			// Upper-case digits are hex all the same: they enter in the
			// one spelling the cache uses.
			pf, err := tc.parse([]byte(tc.page(strings.ToUpper(good), strings.ToUpper(good))), pageURL, "a", "http://h/simple/")
			if err != nil {
				t.Fatal(err)
			}
			if f := pf.Files[0]; f.SHA256 != good || f.MetadataSHA256 != good {
				t.Errorf("hashes %q %q, want both %q", f.SHA256, f.MetadataSHA256, good)
			}
		})
	}
}
