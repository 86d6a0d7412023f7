package resolve

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func sampleLock() *Lock {
	return &Lock{
		Version:      LockVersion,
		Target:       Target{Python: "3.11", System: "x86_64-linux", Glibc: "2.28"},
		Indexes:      []string{"https://example.invalid/simple"},
		Requirements: []string{"b", "a>=1"},
		Packages: []Package{
			{Name: "b", Version: "2.0", Provider: ProviderWheel, Filename: "b-2.0-py3-none-any.whl", URL: "https://example.invalid/b-2.0-py3-none-any.whl",
				SHA256: strings.Repeat("b", 64), Dependencies: []string{"c", "a"},
				Native: &Native{BuildInputs: []string{"zlib", "stdenv.cc.cc.lib", "libxml2_13 or libxml2"}, Driver: []string{"libcuda.so.1"}, DriverRunpath: true,
					Missing: []string{"libfoo.so.1"}, WheelDeps: []string{"a"}, Imports: []string{"b", "_b_native"}}},
			{Name: "a", Version: "1.0", Provider: ProviderSdist, Filename: "a-1.0.tar.gz", URL: "file:///srv/wheels/a-1.0.tar.gz", SHA256: strings.Repeat("a", 64),
				BuildRequires: []string{"setuptools>=61", "mybackend[fast]>=2"}},
			{Name: "c", Version: "3", Provider: ProviderNixpkgs, NixAttr: "c"},
			{Name: "proj", Version: "0.1.dev0", Provider: ProviderLocal, Path: "../services/proj", SHA256: strings.Repeat("f", 64),
				Dependencies: []string{"b"}, BuildRequires: []string{"setuptools>=61"}},
		},
		BuildPackages: []Package{
			{Name: "setuptools", Version: "66.1.1", Provider: ProviderNixpkgs, NixAttr: "setuptools"},
			{Name: "mybackend", Version: "2.0", Provider: ProviderWheel, Filename: "mybackend-2.0-py3-none-any.whl",
				URL: "https://example.invalid/mybackend-2.0-py3-none-any.whl", SHA256: strings.Repeat("d", 64), Dependencies: []string{"speedup"}, Extras: []string{"fast"}},
			{Name: "speedup", Version: "1.0", Provider: ProviderWheel, Filename: "speedup-1.0-py3-none-any.whl",
				URL: "https://example.invalid/speedup-1.0-py3-none-any.whl", SHA256: strings.Repeat("e", 64)},
		},
	}
}

func TestWriteReadLockRoundTripStable(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "machnix.lock")
	l := sampleLock()
	if err := WriteLock(p, l); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(p)
	if !bytes.HasSuffix(data, []byte("}\n")) || !bytes.Contains(data, []byte("\n  \"version\": 1")) {
		t.Fatalf("not 2-space indented with trailing newline:\n%s", data)
	}
	ia, ib, ic := bytes.Index(data, []byte(`"name": "a"`)), bytes.Index(data, []byte(`"name": "b"`)), bytes.Index(data, []byte(`"name": "c"`))
	if !(ia < ib && ib < ic) {
		t.Fatalf("packages not sorted by name:\n%s", data)
	}
	if l.Packages[0].Name != "b" || l.Packages[0].Dependencies[0] != "c" {
		t.Fatal("MarshalLock modified the caller's lock")
	}
	got, err := ReadLock(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteLock(p, got); err != nil {
		t.Fatal(err)
	}
	again, _ := os.ReadFile(p)
	if !bytes.Equal(data, again) {
		t.Fatalf("rewrite not byte-identical:\n%s\n---\n%s", data, again)
	}
	if got.Packages[1].Dependencies[0] != "a" {
		t.Fatalf("dependencies not sorted: %v", got.Packages[1].Dependencies)
	}
	// Build requirements and build packages come back, in a stable
	// order: requirements sorted as text, packages by name.
	if want := []string{"mybackend[fast]>=2", "setuptools>=61"}; !slices.Equal(got.Packages[0].BuildRequires, want) {
		t.Errorf("build_requires %v, want %v", got.Packages[0].BuildRequires, want)
	}
	var names []string
	for _, p := range got.BuildPackages {
		names = append(names, p.Name+"=="+p.Version+"/"+string(p.Provider))
	}
	if want := []string{"mybackend==2.0/wheel", "setuptools==66.1.1/nixpkgs", "speedup==1.0/wheel"}; !slices.Equal(names, want) {
		t.Errorf("build_packages %v, want %v", names, want)
	}
	if l.BuildPackages[0].Name != "setuptools" || l.Packages[1].BuildRequires[0] != "setuptools>=61" {
		t.Fatal("MarshalLock modified the caller's build packages")
	}
}

func TestReadLockErrorsNameFile(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]func(l *Lock){
		"version":  func(l *Lock) { l.Version = 99 },
		"twice":    func(l *Lock) { l.Packages[2].Name = "a" },
		"provider": func(l *Lock) { l.Packages[0].Provider = "conda" },
		"dangling": func(l *Lock) { l.Packages[0].Dependencies = []string{"zzz"} },
		"nixattr":  func(l *Lock) { l.Packages[2].NixAttr = "" },
	}
	for name, mutate := range cases {
		l := sampleLock()
		mutate(l)
		data, err := MarshalLock(l)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name+".lock")
		os.WriteFile(p, data, 0o644)
		_, err = ReadLock(p)
		if !errors.Is(err, ErrInvalidLock) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: got %v, want ErrInvalidLock naming %s", name, err, p)
		}
		if err := WriteLock(filepath.Join(dir, name+".out"), l); err == nil {
			t.Errorf("%s: WriteLock accepted an invalid lock", name)
		}
		if _, err := os.Stat(filepath.Join(dir, name+".out")); err == nil {
			t.Errorf("%s: invalid lock was written", name)
		}
	}
	p := filepath.Join(dir, "garbage.lock")
	os.WriteFile(p, []byte("{not json"), 0o644)
	if _, err := ReadLock(p); !errors.Is(err, ErrInvalidLock) || !strings.Contains(err.Error(), p) {
		t.Errorf("garbage: %v", err)
	}
}
