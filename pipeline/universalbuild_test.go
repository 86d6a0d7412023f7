package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
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

// A universal lock pins an sdist's build requirements per target: app
// asks for mybackend 2 on this machine's architecture and mybackend 3 on
// the other, so each target records its own requirements and resolves
// its own build packages. Each target's projection equals, for build
// requirements and build packages, the single-target lock resolved for
// that target from the same index. The lock then builds app on this
// machine with mybackend 2.0 (nix-build), and the other system's
// evaluation gives app's derivation mybackend 3.0 (nix-instantiate; the
// stand-in nixpkgs has one Python, so the targets differ by system).
func TestUniversalLockPinsBuildRequirementsPerTarget(t *testing.T) {
	testfixtures.RequireTool(t, "nix-build", "nix-store", "nix-instantiate", "patchelf")
	ctx := context.Background()
	work := t.TempDir()
	t.Setenv("MACHNIX_CACHE_DIR", filepath.Join(work, "cache"))
	t.Setenv("XDG_CACHE_HOME", filepath.Join(work, "xdg"))
	here := native.Arch()
	other := map[string]string{"x86_64": "aarch64", "aarch64": "x86_64"}[here]
	hereKey, otherKey := here+"-linux/3.11", other+"-linux/3.11"
	app := pyindex.Wheel{Sdist: true, Wheel: testfixtures.Wheel{Name: "app", Version: "1.0",
		Files: []testfixtures.File{{Path: "app/__init__.py", Data: []byte("VALUE = 'app from its sdist'\n")}},
		BuildRequires: []string{
			fmt.Sprintf(`MyBackend >= 2, < 3 ; platform_machine == "%s"`, here),
			fmt.Sprintf(`mybackend>=3 ; platform_machine == "%s"`, other),
			"wheel>=0.30"},
		BuildBackend: "mybackend"}}
	idx := pyindex.Start(t, []pyindex.Wheel{app, {Wheel: testfixtures.BackendWheel("2.0")}, {Wheel: testfixtures.BackendWheel("3.0")}})
	req := filepath.Join(work, "requirements.txt")
	if err := os.WriteFile(req, []byte("app\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	in := Inputs{Requirements: []string{req}, IndexURL: idx.URL + "/simple", Nixpkgs: nixpkgs.Dir(),
		Target:    resolve.Target{Python: "3.11", System: here + "-linux", Glibc: "2.28"},
		Universal: true, Systems: []string{here + "-linux", other + "-linux"}}
	lock, err := Resolve(ctx, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(lock.Packages) != 1 || len(lock.Packages[0].Files) != 1 {
		t.Fatalf("pinned %+v, want app's sdist alone", lock.Packages)
	}
	wantReqs := map[string][]string{hereKey: {"mybackend<3,>=2", "wheel>=0.30"}, otherKey: {"mybackend>=3", "wheel>=0.30"}}
	if got := lock.Packages[0].Files[0].BuildRequires; !jsonEqual(t, got, wantReqs) {
		t.Errorf("app's sdist records build_requires %q, want %q", got, wantReqs)
	}
	backends := map[string][]string{}
	for _, p := range lock.BuildPackages {
		if p.Name == "mybackend" {
			backends[p.Version] = p.Targets
		}
	}
	if !slices.Equal(backends["2.0"], []string{hereKey}) || !slices.Equal(backends["3.0"], []string{otherKey}) || len(backends) != 2 {
		t.Errorf("mybackend pinned on %v, want 2.0 on %s and 3.0 on %s", backends, hereKey, otherKey)
	}

	// Each projection is the single-target lock of its target, as far
	// as build requirements go.
	for _, tg := range lock.Targets {
		proj, err := lock.ForTarget(tg.System, tg.Python)
		if err != nil {
			t.Fatal(err)
		}
		single := in
		single.Universal, single.Systems, single.Target = false, nil, tg
		want, err := Resolve(ctx, single, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !jsonEqual(t, proj.Packages[0].BuildRequires, want.Packages[0].BuildRequires) {
			t.Errorf("%s: build_requires %q, the single-target lock's %q", tg.Key(), proj.Packages[0].BuildRequires, want.Packages[0].BuildRequires)
		}
		if !jsonEqual(t, proj.BuildPackages, want.BuildPackages) {
			t.Errorf("%s: build_packages\n%+v\nthe single-target lock's\n%+v", tg.Key(), proj.BuildPackages, want.BuildPackages)
		}
	}

	// Through the file, as a user's lock goes, then built on this machine.
	lockPath := filepath.Join(work, "machnix.lock")
	if err := resolve.WriteLock(lockPath, lock); err != nil {
		t.Fatal(err)
	}
	if lock, err = resolve.ReadLock(lockPath); err != nil {
		t.Fatal(err)
	}
	mine, err := lock.ForTarget(here+"-linux", "")
	if err != nil {
		t.Fatal(err)
	}
	prepared, err := Prepare(ctx, mine, Settings{Config: &Config{}})
	if err != nil {
		t.Fatal(err)
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

	// The other system's evaluation of the same lock, through the library.
	var buildSystems map[string][]string
	for _, sys := range []string{here, other} {
		expr := fmt.Sprintf(`let pkgs = import %s { localSystem = { system = %q; }; }; machnix = import %s { inherit pkgs; };
  ps = (pkgs.python311.override { packageOverrides = machnix.mkPythonOverrides { lock = %s; }; }).pkgs; in
{ %q = map (d: d.name) ps.app.buildSystem; }`, nixpkgs.Dir(), sys+"-linux", filepath.Join(testfixtures.RepoRoot(t), "default.nix"), lockPath, sys)
		cmd := exec.Command("nix-instantiate", "--eval", "--strict", "--json", "--option", "substituters", "",
			"--option", "allow-import-from-derivation", "false", "-I", "nixpkgs="+nixpkgs.Dir(), "-E", expr)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v\n%s", sys, err, stderr.String())
		}
		var one map[string][]string
		if err := json.Unmarshal(out, &one); err != nil {
			t.Fatalf("%s: %s: %v", out, sys, err)
		}
		if buildSystems == nil {
			buildSystems = one
		} else {
			buildSystems[sys] = one[sys]
		}
	}
	for sys, version := range map[string]string{here: "2.0", other: "3.0"} {
		if !slices.ContainsFunc(buildSystems[sys], func(s string) bool { return strings.HasSuffix(s, "mybackend-"+version) }) {
			t.Errorf("%s builds app with %v, want mybackend %s among them", sys, buildSystems[sys], version)
		}
		if slices.ContainsFunc(buildSystems[sys], func(s string) bool {
			return strings.Contains(s, "mybackend") && !strings.HasSuffix(s, "mybackend-"+version)
		}) {
			t.Errorf("%s builds app with %v, another mybackend besides %s", sys, buildSystems[sys], version)
		}
	}
}

// jsonEqual compares two values as the lock writes them.
func jsonEqual(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(ja) == string(jb)
}
