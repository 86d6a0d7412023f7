package resolve

import (
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzReadLock feeds arbitrary bytes to ReadLock. Whatever it accepts
// holds no credentials and only hashes fit for a path, and writes back to a
// lock it accepts again.
func FuzzReadLock(f *testing.F) {
	if data, err := MarshalLock(sampleLock()); err == nil {
		f.Add(data)
	}
	f.Add([]byte(`{"version":1,"target":{"python":"3.11 or (x)","system":"x86_64-linux","glibc":"2.28"},"indexes":[],"requirements":[],"packages":[]}`))
	f.Add([]byte(`{"version":1,"target":{"python":"3.11","system":"x86_64-linux","glibc":"2.28"},"indexes":["https://u:p@h/simple"],"requirements":[],"packages":[]}{}`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "in.lock")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		l, err := ReadLock(p)
		if err != nil {
			return
		}
		urls := append([]string(nil), l.Indexes...)
		for _, pkg := range l.Packages {
			urls = append(urls, pkg.URL, pkg.Index)
			if pkg.SHA256 != "" && !IsSHA256Hex(pkg.SHA256) {
				t.Fatalf("accepted sha256 %q", pkg.SHA256)
			}
			if pkg.Path != "" && (strings.HasPrefix(pkg.Path, "/") || strings.HasPrefix(pkg.Path, "~") || strings.ContainsAny(pkg.Path, "\\\x00\n") || path.Clean(pkg.Path) != pkg.Path) {
				t.Fatalf("accepted project path %q", pkg.Path)
			}
			if strings.ContainsAny(pkg.Filename, "/\\\x00") {
				t.Fatalf("accepted file name %q", pkg.Filename)
			}
		}
		for _, raw := range urls {
			if u, err := url.Parse(raw); raw != "" && (err != nil || u.User != nil) {
				t.Fatalf("accepted URL %q", raw)
			}
		}
		out := filepath.Join(dir, "out.lock")
		if err := WriteLock(out, l); err != nil {
			t.Fatalf("an accepted lock does not write back: %v", err)
		}
		if _, err := ReadLock(out); err != nil {
			t.Fatalf("a written lock does not read back: %v", err)
		}
	})
}
