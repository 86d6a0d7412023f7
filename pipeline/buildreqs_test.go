package pipeline

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/native"
	"github.com/machnix/machnix/testfixtures/nixpkgs"
	"github.com/machnix/machnix/testfixtures/pyindex"
)

// An sdist's build requirements are resolved like runtime ones: the
// marker that does not hold on the target drops its requirement, the
// specifier picks the index's backend when the nixpkgs in use has only a
// version that does not satisfy it (the stand-in's mybackend 1.0), and
// nixpkgs' own version is taken where it satisfies (wheel, though the
// index has a newer one). The lock records both; nix-build then builds
// the sdist with the pinned backend, which the stand-in's "Missing
// dependencies" check accepts, and the environment imports it.
func TestSdistBuildRequirementsArePinnedAndBuilt(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build", "nix-store", "nix-instantiate", "patchelf")
	ctx := context.Background()
	work := t.TempDir()
	t.Setenv("MACHNIX_CACHE_DIR", filepath.Join(work, "cache"))
	t.Setenv("XDG_CACHE_HOME", filepath.Join(work, "xdg"))
	app := pyindex.Wheel{Sdist: true, Wheel: testfixtures.Wheel{Name: "app", Version: "1.0",
		Files:         []testfixtures.File{{Path: "app/__init__.py", Data: []byte("VALUE = 'app from its sdist'\n")}},
		BuildRequires: []string{"MyBackend >= 2, < 3", "wheel>=0.30", `oldbackend; python_version < "3"`},
		BuildBackend:  "mybackend"}}
	newerWheel := pyindex.Wheel{Wheel: testfixtures.Wheel{Name: "wheel", Version: "99.0", Files: []testfixtures.File{{Path: "wheel/__init__.py", Data: []byte("")}}}}
	idx := pyindex.Start(t, []pyindex.Wheel{app, pyindex.Wheel{Wheel: testfixtures.BackendWheel("2.0")}, pyindex.Wheel{Wheel: testfixtures.BackendWheel("3.0")}, newerWheel})
	req := filepath.Join(work, "requirements.txt")
	if err := os.WriteFile(req, []byte("app\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	in := Inputs{Requirements: []string{req}, IndexURL: idx.URL + "/simple", Nixpkgs: nixpkgs.Dir(),
		Target: resolve.Target{Python: "3.11", System: native.Arch() + "-linux", Glibc: "2.28"}}
	lock, err := Resolve(ctx, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(lock.Packages) != 1 || lock.Packages[0].Name != "app" || lock.Packages[0].Provider != resolve.ProviderSdist {
		t.Fatalf("pinned %+v, want app's sdist alone", lock.Packages)
	}
	// packaging's normal form: normalised name, clauses sorted.
	if got, want := lock.Packages[0].BuildRequires, []string{"mybackend<3,>=2", "wheel>=0.30"}; !slices.Equal(got, want) {
		t.Errorf("build_requires %q, want %q", got, want)
	}
	pins := map[string]resolve.Package{}
	for _, p := range lock.BuildPackages {
		pins[p.Name] = p
	}
	if p := pins["mybackend"]; p.Provider != resolve.ProviderWheel || p.Version != "2.0" || p.Filename != "mybackend-2.0-py3-none-any.whl" {
		t.Errorf("mybackend pinned as %+v, want the index's 2.0 wheel", p)
	}
	if p := pins["wheel"]; p.Provider != resolve.ProviderNixpkgs || p.NixAttr != "wheel" {
		t.Errorf("wheel pinned as %+v, want nixpkgs' python.pkgs.wheel", p)
	}
	if len(pins) != 2 {
		t.Errorf("build_packages %+v, want mybackend and wheel", lock.BuildPackages)
	}
	// The lock goes through its file, as a user's would.
	lockPath := filepath.Join(work, "machnix.lock")
	if err := resolve.WriteLock(lockPath, lock); err != nil {
		t.Fatal(err)
	}
	if lock, err = resolve.ReadLock(lockPath); err != nil {
		t.Fatal(err)
	}
	prepared, err := Prepare(ctx, lock, Settings{Config: &Config{}})
	if err != nil {
		t.Fatal(err)
	}
	if len(prepared.BuildSystems) != 0 {
		t.Errorf("Prepare read the sdists' build systems %v, which the lock records", prepared.BuildSystems)
	}
	nix := NixOptions{OutLink: filepath.Join(work, "result"), NixPath: []string{"nixpkgs=" + nixpkgs.Dir()},
		Options: [][2]string{{"substituters", ""}}}
	env, err := Build(ctx, roundTrip(t, prepared), nix)
	if err != nil {
		t.Fatal(err)
	}
	got, err := exec.Command("env", "-i", env+"/bin/python", "-c", "import app, app_build_info; print(app.VALUE, '/', app_build_info.BACKEND)").CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, got)
	}
	if want := "app from its sdist / mybackend 2.0"; strings.TrimSpace(string(got)) != want {
		t.Errorf("printed %q, want %q", got, want)
	}
	// The backend built the sdist; it is not in the environment.
	if out, err := exec.Command("env", "-i", env+"/bin/python", "-c", "import mybackend").CombinedOutput(); err == nil {
		t.Errorf("the environment imports the build backend: %s", out)
	}
}
