package resolve

import (
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
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
	if data, err := MarshalLock(sampleUniversalLock()); err == nil {
		f.Add(data)
	}
	// A universal lock with build requirements per target and build
	// packages in the universal shape.
	if l, _ := universalBuildLock(f); l != nil {
		if data, err := MarshalLock(l); err == nil {
			f.Add(data)
		}
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
		for _, pkg := range append(slices.Clone(l.Packages), l.BuildPackages...) {
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
			for _, f := range pkg.Files {
				urls = append(urls, f.URL, f.Index)
				if !IsSHA256Hex(f.SHA256) || strings.ContainsAny(f.Filename, "/\\\x00") {
					t.Fatalf("accepted file %q with sha256 %q", f.Filename, f.SHA256)
				}
			}
		}
		// Every target of an accepted universal lock projects to a
		// single-target lock that is valid in its turn.
		for _, tg := range l.Targets {
			if _, err := l.ForTarget(tg.System, tg.Python); err != nil {
				t.Fatalf("target %s of an accepted lock: %v", tg.Key(), err)
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

// sampleUniversalLock is a small universal lock over both systems: a
// package with a wheel per system and one installed on x86_64 only.
func sampleUniversalLock() *Lock {
	x86, arm := "x86_64-linux/3.12", "aarch64-linux/3.12"
	sum := strings.Repeat("ab", 32)
	return &Lock{Version: LockVersion, Targets: bothSystems, Forks: []string{`platform_machine == "x86_64"`, `platform_machine == "aarch64"`},
		Indexes: []string{"https://example.invalid/simple"}, Requirements: []string{"a"},
		Packages: []Package{
			{Name: "a", Version: "1.0", Provider: ProviderWheel, Targets: []string{arm, x86}, Dependencies: []string{"b"},
				DependencyMarkers: map[string]string{"b": `platform_machine == "x86_64"`},
				Files: []PackageFile{
					{Filename: "a-1.0-cp312-cp312-manylinux_2_17_aarch64.whl", URL: "https://example.invalid/a-1.0-cp312-cp312-manylinux_2_17_aarch64.whl", SHA256: sum, Provider: ProviderWheel, Tags: []string{"cp312-cp312-manylinux_2_17_aarch64"}, Targets: []string{arm}},
					{Filename: "a-1.0-cp312-cp312-manylinux_2_17_x86_64.whl", URL: "https://example.invalid/a-1.0-cp312-cp312-manylinux_2_17_x86_64.whl", SHA256: sum, Provider: ProviderWheel, Tags: []string{"cp312-cp312-manylinux_2_17_x86_64"}, Targets: []string{x86},
						Native: &Native{BuildInputs: []string{"zlib"}, Missing: []string{"libfoo.so.1"}, WheelDeps: []string{"b"}, Imports: []string{"a"}}},
				}},
			{Name: "b", Version: "2.0", Provider: ProviderSdist, Marker: `platform_machine == "x86_64"`, Targets: []string{x86},
				Files: []PackageFile{{Filename: "b-2.0.tar.gz", URL: "https://example.invalid/b-2.0.tar.gz", SHA256: sum, Provider: ProviderSdist, Targets: []string{x86}}}},
		}}
}
