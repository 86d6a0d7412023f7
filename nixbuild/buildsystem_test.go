package nixbuild

import (
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/testfixtures"
)

// buildSystemLock has one sdist, app, whose build requirements the lock
// pins: mybackend from a wheel (with its own dependency speedup, also a
// wheel) and setuptools from nixpkgs.
func buildSystemLock() *resolve.Lock {
	file := func(name, version string) resolve.Package {
		f := name + "-" + version + "-py3-none-any.whl"
		return resolve.Package{Name: name, Version: version, Provider: resolve.ProviderWheel, Filename: f,
			URL: "http://127.0.0.1:9/" + f, SHA256: strings.Repeat("c", 64)}
	}
	backend := file("mybackend", "2.0")
	backend.Dependencies = []string{"speedup"}
	return &resolve.Lock{
		Version: resolve.LockVersion, Target: resolve.Target{Python: "3.11", System: "x86_64-linux", Glibc: "2.28"},
		Packages: []resolve.Package{{Name: "app", Version: "1.0", Provider: resolve.ProviderSdist, Filename: "app-1.0.tar.gz",
			URL: "http://127.0.0.1:9/app-1.0.tar.gz", SHA256: strings.Repeat("a", 64),
			BuildRequires: []string{"mybackend>=2", "setuptools>=61"}}},
		BuildPackages: []resolve.Package{backend, file("speedup", "1.0"),
			{Name: "setuptools", Version: "66.1.1", Provider: resolve.ProviderNixpkgs, NixAttr: "setuptools"}},
	}
}

// evalBuildSystem evaluates expr with stand-ins for pkgs and python that
// return their arguments, and gives the build-system of the package
// pname as names: "pname-version" for a derivation the expression
// builds, "nixpkgs:NAME" for python.pkgs.NAME; and the environment's
// package names.
func evalBuildSystem(t *testing.T, expr []byte, lock *resolve.Lock, pname string) (buildSystem, env, formats []string) {
	t.Helper()
	testfixtures.RequireTool(t, "nix-instantiate")
	path := writeGenerated(t, expr, lock, nil)
	nixpkgsPkgs := `{ setuptools = "nixpkgs:setuptools"; wheel = "nixpkgs:wheel"; mybackend = "nixpkgs:mybackend"; speedup = "nixpkgs:speedup"; }`
	out, err := exec.Command("nix-instantiate", "--eval", "--strict", "--json", "-E", fmt.Sprintf(`
		let
		  e = import %s { pkgs = { fetchurl = x: x; }; python = { pkgs = %s // { buildPythonPackage = a: a; }; withPackages = g: g; }; } { };
		  name = d: if builtins.isString d then d else "${d.pname}-${d.version}";
		  p = builtins.head (builtins.filter (d: d.pname == %q) e);
		in { buildSystem = map name p.build-system; env = map name e;
		     formats = map (d: d.format) (builtins.filter (d: !(builtins.isString d)) p.build-system); }`, path, nixpkgsPkgs, pname)).CombinedOutput()
	if err != nil {
		t.Fatalf("evaluating: %v\n%s\n%s", err, out, expr)
	}
	var got struct{ BuildSystem, Env, Formats []string }
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return got.BuildSystem, got.Env, got.Formats
}

// An sdist's build-system takes the lock's build pins: a wheel pin is a
// derivation of that wheel (with the pins it depends on), not nixpkgs'
// package of the same name, and a nixpkgs pin is python.pkgs' own.
// Build packages stay out of the environment.
func TestSdistBuildSystemTakesTheLockPins(t *testing.T) {
	lock := buildSystemLock()
	// The build systems read from the sdist are ignored when the lock
	// records the requirements.
	expr, err := Generate(lock, nil, WithBuildSystems(map[string][]string{"app": {"other-backend"}}))
	if err != nil {
		t.Fatal(err)
	}
	bs, env, formats := evalBuildSystem(t, expr, lock, "app")
	if want := []string{"mybackend-2.0", "speedup-1.0", "nixpkgs:setuptools", "nixpkgs:wheel"}; !slices.Equal(bs, want) {
		t.Errorf("build-system %v, want %v", bs, want)
	}
	if want := []string{"app-1.0"}; !slices.Equal(env, want) {
		t.Errorf("the environment holds %v, want %v", env, want)
	}
	if want := []string{"wheel", "wheel"}; !slices.Equal(formats, want) {
		t.Errorf("the build wheels are installed with formats %v, want %v", formats, want)
	}
}

// A lock from before build requirements were recorded still builds: the
// names read from the sdist are nixpkgs' packages.
func TestSdistBuildSystemOfAnOldLock(t *testing.T) {
	lock := buildSystemLock()
	lock.Packages[0].BuildRequires, lock.BuildPackages = nil, nil
	expr, err := Generate(lock, nil, WithBuildSystems(map[string][]string{"app": {"mybackend>=2", "setuptools>=61"}}))
	if err != nil {
		t.Fatal(err)
	}
	bs, _, _ := evalBuildSystem(t, expr, lock, "app")
	if want := []string{"nixpkgs:mybackend", "nixpkgs:setuptools", "nixpkgs:wheel"}; !slices.Equal(bs, want) {
		t.Errorf("build-system %v, want %v", bs, want)
	}
}

// A Lock may come from anywhere, not only ReadLock: build packages whose
// name, attribute or provider would paste text into the expression are
// refused by the generator itself.
func TestGenerateRefusesHostileBuildPackages(t *testing.T) {
	for name, mutate := range map[string]func(l *resolve.Lock){
		"name":     func(l *resolve.Lock) { l.BuildPackages[0].Name = `mybackend" = import /etc/passwd; x = "` },
		"nix attr": func(l *resolve.Lock) { l.BuildPackages[2].NixAttr = "setuptools; evil = import /etc/passwd" },
		"sdist":    func(l *resolve.Lock) { l.BuildPackages[0].Provider = resolve.ProviderSdist },
		"sha256":   func(l *resolve.Lock) { l.BuildPackages[0].SHA256 = `"; x` },
	} {
		l := buildSystemLock()
		mutate(l)
		if expr, err := Generate(l, nil); !errors.Is(err, ErrCannotGenerate) {
			t.Errorf("%s: generated (%v):\n%s", name, err, expr)
		}
	}
}
