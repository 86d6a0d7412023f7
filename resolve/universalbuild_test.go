package resolve

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var twoPythons = []Target{
	{Python: "3.11", System: "x86_64-linux", Glibc: "2.28"},
	{Python: "3.13", System: "x86_64-linux", Glibc: "2.28"},
}

const (
	py311 = "x86_64-linux/3.11"
	py313 = "x86_64-linux/3.13"
)

func wheelPin(name, version string, deps ...string) Package {
	fn := name + "-" + version + "-py3-none-any.whl"
	return Package{Name: name, Version: version, Provider: ProviderWheel, Filename: fn, URL: "https://example.invalid/" + fn,
		SHA256: strings.Repeat("cd", 32), Size: 10, Index: "https://example.invalid/simple", Dependencies: deps}
}

// universalBuildLock is a universal lock over Python 3.11 and 3.13 whose
// sdist app needs setuptools>=70 on 3.13 only, with each target's build
// packages resolved apart (byKey, as pinBuildRequirements leaves each
// projection) and merged by AddBuildPins. flit-core needs packaging on
// 3.13 only, while packaging is a build package on both targets.
func universalBuildLock(t testing.TB) (*Lock, map[string]*Lock) {
	t.Helper()
	sum := strings.Repeat("ab", 32)
	l := &Lock{Version: LockVersion, Targets: twoPythons, Indexes: []string{"https://example.invalid/simple"}, Requirements: []string{"app"},
		Packages: []Package{
			{Name: "app", Version: "1.0", Provider: ProviderSdist, Targets: []string{py311, py313}, Dependencies: []string{"six"},
				Files: []PackageFile{{Filename: "app-1.0.tar.gz", URL: "https://example.invalid/app-1.0.tar.gz", SHA256: sum, Provider: ProviderSdist, Targets: []string{py311, py313}}}},
			{Name: "six", Version: "1.16.0", Provider: ProviderWheel, Targets: []string{py311, py313},
				Files: []PackageFile{{Filename: "six-1.16.0-py2.py3-none-any.whl", URL: "https://example.invalid/six-1.16.0-py2.py3-none-any.whl", SHA256: sum,
					Provider: ProviderWheel, Tags: []string{"py2-none-any", "py3-none-any"}, Targets: []string{py311, py313}}}},
		}}
	flit := Package{Name: "flit-core", Version: "3.9.0", Provider: ProviderNixpkgs, NixAttr: "flit-core"}
	byKey := map[string]*Lock{}
	for _, tg := range twoPythons {
		p, err := l.ForTarget(tg.System, tg.Python)
		if err != nil {
			t.Fatal(err)
		}
		p = &Lock{Version: p.Version, Target: p.Target, Indexes: p.Indexes, Requirements: p.Requirements, Packages: append([]Package(nil), p.Packages...)}
		if tg.Python == "3.11" {
			p.Packages[0].BuildRequires = []string{"flit-core>=3", "setuptools"}
			p.BuildPackages = []Package{flit, wheelPin("packaging", "24.0"), wheelPin("setuptools", "69.5.1", "packaging")}
		} else {
			f := flit
			f.Dependencies = []string{"packaging"}
			p.Packages[0].BuildRequires = []string{"flit-core>=3", "setuptools>=70"}
			p.BuildPackages = []Package{f, wheelPin("packaging", "24.0"), wheelPin("setuptools", "75.0.0")}
		}
		byKey[tg.Key()] = p
	}
	if err := AddBuildPins(l, byKey); err != nil {
		t.Fatal(err)
	}
	return l, byKey
}

// The universal lock records app's build requirements per target on its
// sdist file and the build packages in the universal shape; projecting
// it onto each target gives back exactly that target's own pins, the
// edge flit-core to packaging only where it was one.
func TestAddBuildPinsProjectsBack(t *testing.T) {
	l, byKey := universalBuildLock(t)
	if err := validateLock(l); err != nil {
		t.Fatal(err)
	}
	if got := l.Packages[0].Files[0].BuildRequires; len(got) != 2 || got[py313][1] != "setuptools>=70" || got[py311][1] != "setuptools" {
		t.Errorf("app's sdist records %q", got)
	}
	var names []string
	for _, p := range l.BuildPackages {
		names = append(names, p.Name+" "+p.Version+" "+strings.Join(p.Targets, ",")+" "+p.Marker)
	}
	want := []string{"flit-core 3.9.0 " + py311 + "," + py313 + " ", "packaging 24.0 " + py311 + "," + py313 + " ",
		"setuptools 69.5.1 " + py311 + ` python_version == "3.11"`, "setuptools 75.0.0 " + py313 + ` python_version == "3.13"`}
	if strings.Join(names, "|") != strings.Join(want, "|") {
		t.Errorf("build_packages\n%q\nwant\n%q", names, want)
	}
	if m := l.BuildPackages[0].DependencyMarkers["packaging"]; m != `python_version == "3.13"` {
		t.Errorf("flit-core's marker on packaging %q", m)
	}
	data, err := MarshalLock(l)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "machnix.lock")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	read, err := ReadLock(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range twoPythons {
		proj, err := read.ForTarget(tg.System, tg.Python)
		if err != nil {
			t.Fatal(err)
		}
		proj.From = nil
		got, _ := MarshalLock(proj)
		want, _ := MarshalLock(byKey[tg.Key()])
		if string(got) != string(want) {
			t.Errorf("%s projects to\n%s\nits own pins are\n%s", tg.Key(), got, want)
		}
	}
}

// A build package cannot be a wheel on one target and nixpkgs' on
// another at one version: the universal shape has one provider.
func TestAddBuildPinsRefusesTwoProviders(t *testing.T) {
	l, byKey := universalBuildLock(t)
	byKey[py313].BuildPackages[1] = Package{Name: "packaging", Version: "24.0", Provider: ProviderNixpkgs, NixAttr: "packaging"}
	l.BuildPackages = nil
	if err := AddBuildPins(l, byKey); err == nil || !strings.Contains(err.Error(), "packaging 24.0") {
		t.Errorf("two providers of packaging 24.0: %v", err)
	}
}

// A hostile universal lock's build requirements and build packages are
// refused field by field.
func TestReadLockRefusesHostileUniversalBuildFields(t *testing.T) {
	good, _ := universalBuildLock(t)
	traversal := "../../../etc/passwd"
	cases := []lockMutation{
		{"requirements of no target of the file", "packages[0] (app 1.0).files[0].build_requires", func(l *Lock) {
			l.Packages[0].Files[0].BuildRequires["aarch64-linux/3.11"] = []string{"setuptools"}
		}},
		{"requirement with a marker", ".build_requires." + py311, func(l *Lock) {
			l.Packages[0].Files[0].BuildRequires[py311] = []string{`setuptools; python_version < "3"`}
		}},
		{"requirement garbage", ".build_requires." + py313, func(l *Lock) { l.Packages[0].Files[0].BuildRequires[py313] = []string{`setuptools"; ${x}`} }},
		{"requirement control character", ".build_requires." + py313, func(l *Lock) { l.Packages[0].Files[0].BuildRequires[py313] = []string{"setuptools\n"} }},
		{"requirement url", ".build_requires." + py311, func(l *Lock) {
			l.Packages[0].Files[0].BuildRequires[py311] = []string{"setuptools @ https://u:hunter2@example.invalid/s.whl"}
		}},
		{"requirement name", ".build_requires." + py311, func(l *Lock) { l.Packages[0].Files[0].BuildRequires[py311] = []string{"Set_Tools"} }},
		{"requirement the target's pin misses", ".build_requires." + py311, func(l *Lock) {
			l.Packages[0].Files[0].BuildRequires[py311] = []string{"flit-core>=3", "setuptools>=70"}
		}},
		{"requirements unsorted", ".build_requires." + py311, func(l *Lock) { l.Packages[0].Files[0].BuildRequires[py311] = []string{"setuptools", "flit-core>=3"} }},
		{"requirements empty", ".build_requires." + py311, func(l *Lock) { l.Packages[0].Files[0].BuildRequires[py311] = []string{} }},
		{"requirements of a wheel", "packages[1] (six 1.16.0).files[0].build_requires", func(l *Lock) {
			l.Packages[1].Files[0].BuildRequires = map[string][]string{py311: {"setuptools"}}
		}},
		{"package-level requirements", "packages[0] (app 1.0).build_requires", func(l *Lock) { l.Packages[0].BuildRequires = []string{"setuptools"} }},
		{"build package name", "build_packages[2].name", func(l *Lock) { l.BuildPackages[2].Name = "setup\ntools" }},
		{"build package unknown target", "build_packages[1] (packaging 24.0).targets", func(l *Lock) { l.BuildPackages[1].Targets = []string{"riscv64-linux/3.11"} }},
		{"build package sha256", "build_packages[1] (packaging 24.0).files[0].sha256", func(l *Lock) { l.BuildPackages[1].Files[0].SHA256 = traversal }},
		{"build package url", "build_packages[1] (packaging 24.0).files[0].url", func(l *Lock) {
			l.BuildPackages[1].Files[0].URL = "https://u:hunter2@example.invalid/packaging-24.0-py3-none-any.whl"
		}},
		{"build package file name", "build_packages[1] (packaging 24.0).files[0].filename", func(l *Lock) {
			l.BuildPackages[1].Files[0].Filename = "../packaging-24.0-py3-none-any.whl"
		}},
		{"build package sdist", "build_packages[1] (packaging 24.0).provider", func(l *Lock) {
			l.BuildPackages[1].Provider = ProviderSdist
			l.BuildPackages[1].Files[0] = PackageFile{Filename: "packaging-24.0.tar.gz", URL: "https://example.invalid/packaging-24.0.tar.gz",
				SHA256: strings.Repeat("ab", 32), Provider: ProviderSdist, Targets: l.BuildPackages[1].Targets}
		}},
		{"build package local", "build_packages[1] (packaging 24.0).provider", func(l *Lock) { l.BuildPackages[1].Provider = ProviderLocal }},
		{"build package native", "build_packages[1] (packaging 24.0).files[0].native", func(l *Lock) { l.BuildPackages[1].Files[0].Native = &Native{} }},
		{"build package build requirements", "build_packages[1] (packaging 24.0).files[0].build_requires", func(l *Lock) {
			l.BuildPackages[1].Files[0].BuildRequires = map[string][]string{py311: {"setuptools"}}
		}},
		{"build package dangling dependency", "build_packages[1] (packaging 24.0).dependencies", func(l *Lock) { l.BuildPackages[1].Dependencies = []string{"six"} }},
		{"build package dependency marker", "build_packages[0] (flit-core 3.9.0).dependency_markers.packaging", func(l *Lock) {
			l.BuildPackages[0].DependencyMarkers["packaging"] = "${builtins.readFile /etc/passwd}"
		}},
		{"build package marker", "build_packages[2] (setuptools 69.5.1).marker", func(l *Lock) { l.BuildPackages[2].Marker = "os_name == \"posix\"\n} // x" }},
		{"build package nix attr", "build_packages[0] (flit-core 3.9.0).nix_attr", func(l *Lock) { l.BuildPackages[0].NixAttr = "flit-core; x = 1" }},
		{"two build versions on one target", "build_packages[3] (setuptools 75.0.0).targets", func(l *Lock) {
			l.BuildPackages[3].Targets = []string{py311, py313}
			l.BuildPackages[3].Files[0].Targets = []string{py311, py313}
		}},
		{"build package file of no target", "build_packages[3] (setuptools 75.0.0).files[0].targets", func(l *Lock) { l.BuildPackages[3].Files[0].Targets = []string{py311} }},
	}
	requireRefused(t, good, cases)
}
