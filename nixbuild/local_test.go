package nixbuild

import (
	"errors"
	"strings"
	"testing"

	"github.com/machnix/machnix/resolve"
)

// localLock is a lock of one local project that depends on a package from
// nixpkgs.
func localLock(path string) *resolve.Lock {
	return &resolve.Lock{
		Version: resolve.LockVersion,
		Target:  resolve.Target{Python: "3.11", System: "x86_64-linux", Glibc: "2.28"},
		Packages: []resolve.Package{
			{Name: "app", Version: "1", Provider: resolve.ProviderLocal, Path: path, SHA256: strings.Repeat("a", 64),
				Dependencies: []string{"six"}, BuildRequires: []string{"setuptools"}},
			{Name: "six", Version: "1.16.0", Provider: resolve.ProviderNixpkgs, NixAttr: "six"},
		},
	}
}

// The library reads a local entry from the lock; the generator refuses a
// lock whose entry the library must not see (the lock may have been built
// in memory, never read by ReadLock), and writes none of its fields into
// default.nix.
func TestGenerateLocalEntry(t *testing.T) {
	for _, path := range []string{".", "..", "../src/app", "services/app"} {
		expr, err := Generate(localLock(path), nil)
		if err != nil {
			t.Errorf("%q: %v", path, err)
			continue
		}
		if strings.Contains(string(expr), path+"\"") || strings.Contains(string(expr), strings.Repeat("a", 64)) {
			t.Errorf("%q: default.nix holds the lock's path or hash:\n%s", path, expr)
		}
	}
	for name, mut := range map[string]func(*resolve.Package){
		"absolute path":    func(p *resolve.Package) { p.Path = "/etc" },
		"climbs back":      func(p *resolve.Package) { p.Path = "src/../../etc" },
		"dot component":    func(p *resolve.Package) { p.Path = "../src/./app" },
		"quote in path":    func(p *resolve.Package) { p.Path = "a\"; x = \"" + "\n" },
		"interpolation":    func(p *resolve.Package) { p.Path = "${builtins.abort 1}" },
		"bad sha":          func(p *resolve.Package) { p.SHA256 = "../x" },
		"url on local":     func(p *resolve.Package) { p.URL = "https://example.invalid/app-1.tar.gz" },
		"unknown provider": func(p *resolve.Package) { p.Provider = "git" },
	} {
		l := localLock(".")
		mut(&l.Packages[0])
		if _, err := Generate(l, nil); !errors.Is(err, ErrCannotGenerate) {
			t.Errorf("%s: %v, want ErrCannotGenerate", name, err)
		}
	}
}

// machnix.toml's overrides apply to a local project through the
// library's _ argument, except ignoreMissing, which is for wheels.
func TestLocalOverrides(t *testing.T) {
	expr, err := Generate(localLock("."), nil, WithOverrides(map[string]Override{"app": {BuildInputs: ListEdit{Add: []string{"zlib"}}}}))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(expr), `"app" = {`) || !strings.Contains(string(expr), "pkgs.zlib") {
		t.Errorf("the override is not in default.nix:\n%s", expr)
	}
	_, err = Generate(localLock("."), nil, WithOverrides(map[string]Override{"app": {IgnoreMissing: []string{"libfoo.so.1"}}}))
	if !errors.Is(err, ErrBadOverride) || !strings.Contains(err.Error(), "local project") {
		t.Errorf("ignoreMissing on a local project: %v", err)
	}
}
