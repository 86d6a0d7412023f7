package resolve

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/machnix/machnix/testfixtures"
)

// Every field of a lock that reaches Nix, the file system or a URL is
// refused when it does not fit its grammar, and the error names the field
// by its path in the lock and never echoes a credential.
func TestReadLockRefusesHostileFields(t *testing.T) {
	dir := t.TempDir()
	traversal := "../../../../../../tmp/victim.txt"
	traversal += strings.Repeat("/", 64-len(traversal))
	cases := []struct {
		name, field string
		mutate      func(l *Lock)
	}{
		{"python or", "target", func(l *Lock) { l.Target.Python = "3.11 or (builtins.readFile /etc/hostname)" }},
		{"python argument", "target", func(l *Lock) { l.Target.Python = "311, evil ? import /etc/passwd" }},
		{"system", "target", func(l *Lock) { l.Target.System = `x86_64-linux"; evil = "` }},
		{"glibc", "target", func(l *Lock) { l.Target.Glibc = "2.28; x" }},
		{"name newline", "packages[0].name", func(l *Lock) { l.Packages[0].Name = "b\n} // import /etc/passwd" }},
		{"name not normalised", "packages[0].name", func(l *Lock) { l.Packages[0].Name = "B_x" }},
		{"version", "(b).version", func(l *Lock) { l.Packages[0].Version = `2.0"; ${builtins.readFile /etc/passwd}` }},
		{"nixpkgs version", "(c).version", func(l *Lock) { l.Packages[2].Version = "5 ${x}" }},
		{"version line break", "(b).version", func(l *Lock) { l.Packages[0].Version = "2.0\n" }},
		{"version leading v", "(b).version", func(l *Lock) { l.Packages[0].Version = "v2.0" }},
		{"version leading space", "(b).version", func(l *Lock) { l.Packages[0].Version = " 2.0" }},
		{"sha256 path", "(b).sha256", func(l *Lock) { l.Packages[0].SHA256 = traversal }},
		{"sha256 upper", "(b).sha256", func(l *Lock) { l.Packages[0].SHA256 = strings.Repeat("B", 64) }},
		{"sha256 short", "(a).sha256", func(l *Lock) { l.Packages[1].SHA256 = "abc" }},
		{"url credentials", "(b).url", func(l *Lock) { l.Packages[0].URL = "https://user:hunter2@example.invalid/b-2.0-py3-none-any.whl" }},
		{"url bad escape", "(b).url", func(l *Lock) { l.Packages[0].URL = "https://user:hunter2@example.invalid/%zz" }},
		{"url credentials and escape", "(b).url", func(l *Lock) {
			l.Packages[0].URL = "https://user:hunter2@example.invalid/\x1b[2J/b-2.0-py3-none-any.whl"
		}},
		{"url scheme", "(b).url", func(l *Lock) { l.Packages[0].URL = "ftp://example.invalid/b-2.0-py3-none-any.whl" }},
		{"url quote", "(b).url", func(l *Lock) { l.Packages[0].URL = `https://example.invalid/b"; x = "` }},
		{"url file dotdot", "(a).url", func(l *Lock) { l.Packages[1].URL = "file:///srv/../etc/a-1.0.tar.gz" }},
		{"filename path", "(b).filename", func(l *Lock) { l.Packages[0].Filename = "../b-2.0-py3-none-any.whl" }},
		{"filename other project", "(b).filename", func(l *Lock) { l.Packages[0].Filename = "evil-2.0-py3-none-any.whl" }},
		{"filename other version", "(a).filename", func(l *Lock) { l.Packages[1].Filename = "a-9.tar.gz" }},
		{"filename escape", "(b).filename", func(l *Lock) { l.Packages[0].Filename = "b-2.0-py3-none-any\x1b[2J.whl" }},
		{"filename longer than a store name", "(b).filename", func(l *Lock) {
			l.Packages[0].Filename = "b-2.0-py3-none-" + strings.Repeat("linux_x86_64.", 20) + "any.whl"
		}},
		{"nix attr", "(c).nix_attr", func(l *Lock) { l.Packages[2].NixAttr = "c; evil = import /etc/passwd" }},
		{"nix attr quoted", "(c).nix_attr", func(l *Lock) { l.Packages[2].NixAttr = `"c"` }},
		{"dependency", "(b).dependencies", func(l *Lock) { l.Packages[0].Dependencies = []string{`a"; x`} }},
		{"extra", "(b).extras", func(l *Lock) { l.Packages[0].Extras = []string{"x y"} }},
		{"size", "(b).size", func(l *Lock) { l.Packages[0].Size = -1 }},
		{"index credentials", "indexes[0]", func(l *Lock) { l.Indexes[0] = "https://user:hunter2@example.invalid/simple" }},
		{"index bad host", "indexes[0]", func(l *Lock) { l.Indexes[0] = "https://user:hunter2@[::1" }},
		{"requirement credentials", "requirements[0]", func(l *Lock) {
			l.Requirements[0] = "b @ https://user:hunter2@example.invalid/b-2.0-py3-none-any.whl"
		}},
		{"requirement garbage", "requirements[1]", func(l *Lock) { l.Requirements[1] = "a >= 1 ; ${x}" }},
		{"nixpkgs hash", "nixpkgs.hash", func(l *Lock) { l.Nixpkgs = &NixpkgsPin{URL: "https://example.invalid/n.tar.gz", Hash: `abc"; x`} }},
		{"nixpkgs relative path", "nixpkgs.path", func(l *Lock) { l.Nixpkgs = &NixpkgsPin{Path: "nixpkgs"} }},
		{"build requirement marker", "(a).build_requires", func(l *Lock) { l.Packages[1].BuildRequires[0] = `setuptools>=61; python_version < "3"` }},
		{"build requirement garbage", "(a).build_requires", func(l *Lock) { l.Packages[1].BuildRequires[0] = `setuptools"; ${x}` }},
		{"build requirement url", "(a).build_requires", func(l *Lock) {
			l.Packages[1].BuildRequires[0] = "setuptools @ https://example.invalid/setuptools-1-py3-none-any.whl"
		}},
		{"build requirement name", "(a).build_requires", func(l *Lock) { l.Packages[1].BuildRequires[0] = "Set_Tools>=61" }},
		{"build requirement unmet", "(a).build_requires", func(l *Lock) { l.Packages[1].BuildRequires[1] = "mybackend>=3" }},
		{"build requirement of a wheel", "(b).build_requires", func(l *Lock) { l.Packages[0].BuildRequires = []string{"setuptools"} }},
		{"build package name", "build_packages[1].name", func(l *Lock) { l.BuildPackages[1].Name = "my\nbackend" }},
		{"build package sha256", "build_packages[1] (mybackend).sha256", func(l *Lock) { l.BuildPackages[1].SHA256 = traversal }},
		{"build package url", "build_packages[1] (mybackend).url", func(l *Lock) {
			l.BuildPackages[1].URL = "https://user:hunter2@example.invalid/mybackend-2.0-py3-none-any.whl"
		}},
		{"build package sdist", "build_packages[1] (mybackend).provider", func(l *Lock) {
			l.BuildPackages[1].Provider, l.BuildPackages[1].Filename = ProviderSdist, "mybackend-2.0.tar.gz"
		}},
		{"build package dangling", "build_packages[1] (mybackend).dependencies", func(l *Lock) { l.BuildPackages[1].Dependencies = []string{"b"} }},
		{"build package twice", "build_packages[2] (mybackend)", func(l *Lock) {
			l.BuildPackages[2] = l.BuildPackages[1]
		}},
		{"build package nix attr", "build_packages[0] (setuptools).nix_attr", func(l *Lock) { l.BuildPackages[0].NixAttr = "setuptools; x = 1" }},
		{"build package build requirements", "build_packages[1] (mybackend).build_requires", func(l *Lock) {
			l.BuildPackages[1].BuildRequires = []string{"setuptools"}
		}},
		{"native attr", "(b).native.build_inputs[0]", func(l *Lock) { l.Packages[0].Native.BuildInputs[0] = "zlib; x = import /etc/passwd" }},
		{"native attr alternative", "(b).native.build_inputs[2]", func(l *Lock) { l.Packages[0].Native.BuildInputs[2] = `libxml2_13 or "libxml2"` }},
		{"native attr interpolation", "(b).native.build_inputs[1]", func(l *Lock) { l.Packages[0].Native.BuildInputs[1] = "${builtins.abort 1}" }},
		{"native driver soname", "(b).native.driver[0]", func(l *Lock) { l.Packages[0].Native.Driver[0] = "lib*.so" }},
		{"native missing path", "(b).native.missing[0]", func(l *Lock) { l.Packages[0].Native.Missing[0] = "../../lib/libc.so.6" }},
		{"native missing quote", "(b).native.missing[0]", func(l *Lock) { l.Packages[0].Native.Missing[0] = `libfoo.so.1" ]; x = [ "` }},
		{"native wheel dep name", "(b).native.wheel_deps[0]", func(l *Lock) { l.Packages[0].Native.WheelDeps[0] = `a"}; ${x}` }},
		{"native wheel dep unpinned", "(b).native.wheel_deps", func(l *Lock) { l.Packages[0].Native.WheelDeps[0] = "nowhere" }},
		{"native import", "(b).native.imports[1]", func(l *Lock) { l.Packages[0].Native.Imports[1] = "os; import shutil" }},
		{"native import dash", "(b).native.imports[0]", func(l *Lock) { l.Packages[0].Native.Imports[0] = "my-module" }},
		{"native of an sdist", "(a).native", func(l *Lock) { l.Packages[1].Native = &Native{} }},
		{"native of a build package", "build_packages[2] (speedup).native", func(l *Lock) { l.BuildPackages[2].Native = &Native{} }},
		{"local path absolute", "(proj).path", func(l *Lock) { l.Packages[3].Path = "/home/someone/proj" }},
		{"local path inner parent", "(proj).path", func(l *Lock) { l.Packages[3].Path = "services/../../x" }},
		{"local path backslash", "(proj).path", func(l *Lock) { l.Packages[3].Path = `services\proj` }},
		{"local path interpolation", "(proj).path", func(l *Lock) { l.Packages[3].Path = "${builtins.abort 1}" }},
		{"local path empty", "(proj).path", func(l *Lock) { l.Packages[3].Path = "" }},
		{"local path newline", "(proj).path", func(l *Lock) { l.Packages[3].Path = "proj\n" }},
		{"local sha256", "(proj).sha256", func(l *Lock) { l.Packages[3].SHA256 = "abc" }},
		{"local with url", "(proj).url", func(l *Lock) { l.Packages[3].URL = "https://example.invalid/proj-0.1.tar.gz" }},
		{"path of a wheel", "(b).path", func(l *Lock) { l.Packages[0].Path = "." }},
		{"local version", "(proj).version", func(l *Lock) { l.Packages[3].Version = "0.1; x" }},
		{"local home", "(proj).path", func(l *Lock) { l.Packages[3].Path = "~/app" }},
		{"local backslash", "(proj).path", func(l *Lock) { l.Packages[3].Path = `..\\app` }},
		{"local double slash", "(proj).path", func(l *Lock) { l.Packages[3].Path = "..//app" }},
		{"local unclean", "(proj).path", func(l *Lock) { l.Packages[3].Path = "./app" }},
		{"local trailing slash", "(proj).path", func(l *Lock) { l.Packages[3].Path = "app/" }},
		{"local climbs back", "(proj).path", func(l *Lock) { l.Packages[3].Path = "app/../../etc" }},
		{"local nul", "(proj).path", func(l *Lock) { l.Packages[3].Path = "app\x00" }},
		{"local path dot after parent", "(proj).path", func(l *Lock) { l.Packages[3].Path = "../." }},
		{"local path dot component", "(proj).path", func(l *Lock) { l.Packages[3].Path = "../services/./proj" }},
		{"local path quote", "(proj).path", func(l *Lock) { l.Packages[3].Path = `services/a"b` }},
		{"local build package", "build_packages[2] (speedup).provider", func(l *Lock) {
			l.BuildPackages[2] = Package{Name: "speedup", Version: "1.0", Provider: ProviderLocal, Path: "speedup", SHA256: strings.Repeat("e", 64)}
		}},
		{"nixpkgs both", "nixpkgs", func(l *Lock) { l.Nixpkgs = &NixpkgsPin{Path: "/n", URL: "https://example.invalid/n.tar.gz"} }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := sampleLock()
			c.mutate(l)
			data, err := json.Marshal(l)
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".lock")
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err = ReadLock(p)
			if !errors.Is(err, ErrInvalidLock) {
				t.Fatalf("accepted: %v", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, c.field) || !strings.Contains(msg, p) {
				t.Errorf("error does not name the file and %s: %s", c.field, msg)
			}
			if strings.Contains(msg, "hunter2") || strings.Contains(msg, "user:") || strings.ContainsRune(msg, '\x1b') || strings.ContainsRune(msg, '\n') {
				t.Errorf("error echoes a credential or a control character: %q", msg)
			}
			if err := WriteLock(filepath.Join(dir, "out.lock"), l); !errors.Is(err, ErrInvalidLock) {
				t.Errorf("WriteLock wrote it: %v", err)
			}
		})
	}
	// The sample itself is valid, so each refusal above is its field's.
	if err := WriteLock(filepath.Join(dir, "ok.lock"), sampleLock()); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadLock(filepath.Join(dir, "ok.lock")); err != nil {
		t.Fatal(err)
	}
}

// A lock is one JSON value; whatever follows it was never checked.
func TestReadLockRefusesTrailingData(t *testing.T) {
	data, err := MarshalLock(sampleLock())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, tail := range map[string]string{"object": "{}\n", "array": "[1]", "garbage": "x", "second lock": string(data)} {
		p := filepath.Join(dir, "l.lock")
		os.WriteFile(p, append(append([]byte(nil), data...), tail...), 0o644)
		if _, err := ReadLock(p); !errors.Is(err, ErrInvalidLock) {
			t.Errorf("lock followed by %s: %v, want ErrInvalidLock", name, err)
		}
	}
	p := filepath.Join(dir, "l.lock")
	os.WriteFile(p, append(append([]byte(nil), data...), " \n\t\n"...), 0o644)
	if _, err := ReadLock(p); err != nil {
		t.Errorf("trailing white space refused: %v", err)
	}
}

// CheckProjectPath takes the paths of testfixtures.LocalPaths and refuses
// the hostile ones; nix/library_test.go runs the library's rule on the
// same table.
func TestCheckProjectPath(t *testing.T) {
	for _, p := range testfixtures.LocalPaths {
		if err := CheckProjectPath(p); err != nil {
			t.Errorf("%q refused: %v", p, err)
		}
	}
	for p, why := range testfixtures.HostileLocalPaths {
		if err := CheckProjectPath(p); err == nil {
			t.Errorf("%q (%s) accepted", p, why)
		}
	}
}

// A soname is a file name: up to 255 bytes of letters, digits and ._+-,
// without a path, and never . or ..
func TestIsSoname(t *testing.T) {
	long := "lib" + strings.Repeat("x", maxSoname-len("lib.so")) + ".so"
	for s, want := range map[string]bool{
		"libz.so.1": true, "libstdc++.so.6": true, "_ctypes.so": true, long: true,
		long + "1": false, "": false, ".": false, "..": false, "lib/z.so": false, "libz*.so": false,
		"-libz.so": false, "libz.so\n": false, "lib z.so": false,
	} {
		if got := IsSoname(s); got != want {
			t.Errorf("IsSoname(%q) = %v, want %v", s, got, want)
		}
	}
}

// A sha256 in a lock or cache is exactly 64 lowercase hex digits: it
// becomes a file name.
func TestIsSHA256Hex(t *testing.T) {
	good := strings.Repeat("0123456789abcdef", 4)
	for s, want := range map[string]bool{
		good: true, strings.ToUpper(good): false, good[:63]: false, good + "0": false, good[:63] + "g": false,
		good[:63] + "/": false, good[:62] + "\x00\x00": false, good[:61] + "é": false, "": false,
	} {
		if got := IsSHA256Hex(s); got != want {
			t.Errorf("IsSHA256Hex(%q) = %v, want %v", s, got, want)
		}
	}
}
