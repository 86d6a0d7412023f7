package resolve

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/machnix/machnix/resolve/pep508"
)

// ErrNoSuchTarget is wrapped when a universal lock is asked for a target
// it does not hold.
var ErrNoSuchTarget = errors.New("the lock has no such target")

// Keys lists the keys of the lock's targets (universal) or its one
// target.
func (l *Lock) Keys() []string {
	if !l.Universal() {
		return []string{l.Target.Key()}
	}
	out := make([]string, len(l.Targets))
	for i, t := range l.Targets {
		out[i] = t.Key()
	}
	return out
}

// ForTarget projects a universal lock onto one of its targets: the
// single-target lock that installs, for that system and Python, the
// packages, files and dependencies the universal lock gives it. python may
// be "" when the lock holds one Python for the system, and "3.12" matches
// a target of "3.12.4". A single-target lock is returned as it is.
func (l *Lock) ForTarget(system, python string) (*Lock, error) {
	if !l.Universal() {
		return l, nil
	}
	var matches []Target
	for _, t := range l.Targets {
		if (system == "" || t.System == system) && (python == "" || t.Python == python || t.PythonMinor() == python) {
			matches = append(matches, t)
		}
	}
	want := strings.TrimSpace(system + " " + python)
	switch len(matches) {
	case 0:
		return nil, fmt.Errorf("%w: %s; it holds %s (give --system and --python)", ErrNoSuchTarget, want, strings.Join(l.Keys(), ", "))
	case 1:
	default:
		keys := make([]string, len(matches))
		for i, t := range matches {
			keys[i] = t.Key()
		}
		return nil, fmt.Errorf("%w: %s matches %s; choose one with --python", ErrNoSuchTarget, want, strings.Join(keys, ", "))
	}
	t := matches[0]
	key, env := t.Key(), t.Environment()
	out := &Lock{Version: l.Version, Target: t, Indexes: l.Indexes, Requirements: l.Requirements, Nixpkgs: l.Nixpkgs}
	out.Packages = projectPackages(l.Packages, key, env)
	out.BuildPackages = projectPackages(l.BuildPackages, key, env)
	if err := validateLock(out); err != nil {
		return nil, fmt.Errorf("target %s: %w", key, err)
	}
	out.From = l
	return out, nil
}

// projectPackages is the packages of a universal list (packages or
// build_packages) that the target key installs, each with its file for
// the target, that file's build requirements for it, and those of its
// dependencies the target installs from the same list.
func projectPackages(pkgs []Package, key string, env pep508.Environment) []Package {
	present := map[string]bool{}
	for _, p := range pkgs {
		if slices.Contains(p.Targets, key) {
			present[p.Name] = true
		}
	}
	var out []Package
	for _, p := range pkgs {
		if !slices.Contains(p.Targets, key) {
			continue
		}
		np := Package{Name: p.Name, Version: p.Version, Provider: p.Provider, Extras: p.Extras, NixAttr: p.NixAttr}
		if p.Provider == ProviderLocal {
			np.Path, np.SHA256, np.BuildRequires = p.Path, p.SHA256, p.BuildRequires
		}
		for _, f := range p.Files {
			if slices.Contains(f.Targets, key) {
				np.Provider, np.Filename, np.URL, np.SHA256, np.Size, np.Index, np.Native = f.Provider, f.Filename, f.URL, f.SHA256, f.Size, f.Index, f.NativeFor(key)
				np.BuildRequires = f.BuildRequires[key]
			}
		}
		for _, d := range p.Dependencies {
			if !present[d] {
				continue
			}
			if m := p.DependencyMarkers[d]; m != "" {
				pm, err := pep508.ParseMarker(m)
				if err != nil || !pm.EvaluateExtras(env, p.Extras) {
					continue
				}
			}
			np.Dependencies = append(np.Dependencies, d)
		}
		out = append(out, np)
	}
	return out
}

var wheelTagForm = regexp.MustCompile(`^[A-Za-z0-9_.]+-[A-Za-z0-9_.]+-[A-Za-z0-9_.]+$`)

// validateUniversal checks a universal lock: its targets, forks and every
// package's marker, targets, files and dependency markers, besides what
// every lock's packages are checked for.
func validateUniversal(l *Lock) error {
	if l.Target != (Target{}) {
		return fieldError("target", "a universal lock lists targets instead")
	}
	if len(l.Targets) == 0 {
		return fieldError("targets", "a universal lock needs at least one target")
	}
	keys := map[string]bool{}
	for i, t := range l.Targets {
		if t.Python == "" || t.System == "" {
			return fieldError(fmt.Sprintf("targets[%d]", i), "needs python and system")
		}
		if err := t.checkForm(); err != nil {
			return fieldError(fmt.Sprintf("targets[%d]", i), "%v", err)
		}
		if keys[t.Key()] {
			return fieldError(fmt.Sprintf("targets[%d]", i), "%s is listed twice", t.Key())
		}
		keys[t.Key()] = true
	}
	for i, f := range l.Forks {
		if err := checkMarker(f); err != nil {
			return fieldError(fmt.Sprintf("forks[%d]", i), "%v", err)
		}
	}
	if err := checkSources(l); err != nil {
		return err
	}
	installs, err := checkUniversalList("packages", l.Packages, keys)
	if err != nil {
		return err
	}
	builtOn, err := checkUniversalList("build_packages", l.BuildPackages, keys)
	if err != nil {
		return err
	}
	for _, list := range []struct {
		name string
		pkgs []Package
		on   map[string]map[string]Package
	}{{"packages", l.Packages, installs}, {"build_packages", l.BuildPackages, builtOn}} {
		if err := checkDependenciesOnTargets(list.name, list.pkgs, l.Targets, list.on); err != nil {
			return err
		}
	}
	for i, p := range l.BuildPackages {
		field := fmt.Sprintf("build_packages[%d] (%s %s)", i, p.Name, quoteIfOdd(p.Version))
		for j, f := range p.Files {
			if f.Provider != ProviderWheel {
				return fieldError(fmt.Sprintf("%s.files[%d].provider", field, j), "a build package is installed from a wheel")
			}
			if f.Native != nil || len(f.NativeByTarget) > 0 {
				return fieldError(fmt.Sprintf("%s.files[%d].native", field, j), "a build package is installed without native inputs")
			}
			if len(f.BuildRequires) > 0 {
				return fieldError(fmt.Sprintf("%s.files[%d].build_requires", field, j), "only an sdist of packages has build requirements")
			}
		}
	}
	for i, p := range l.Packages {
		field := fmt.Sprintf("packages[%d] (%s %s)", i, p.Name, quoteIfOdd(p.Version))
		if p.Provider == ProviderLocal {
			for _, k := range p.Targets {
				for _, r := range p.BuildRequires {
					if err := checkBuildRequirement(r, builtOn[k]); err != nil {
						return fieldError(field+".build_requires", "on %s: %v", k, err)
					}
				}
			}
		}
		for j, f := range p.Files {
			if len(f.BuildRequires) == 0 {
				continue
			}
			ff := fmt.Sprintf("%s.files[%d].build_requires", field, j)
			if f.Provider != ProviderSdist {
				return fieldError(ff, "only an sdist has build requirements")
			}
			for _, k := range slices.Sorted(maps.Keys(f.BuildRequires)) {
				if !slices.Contains(f.Targets, k) {
					return fieldError(ff, "%s is not among the file's targets", quoteIfOdd(k))
				}
				reqs := f.BuildRequires[k]
				if len(reqs) == 0 {
					return fieldError(ff+"."+k, "an empty list; a target without build requirements has no entry")
				}
				if !sort.StringsAreSorted(reqs) || len(slices.Compact(slices.Clone(reqs))) != len(reqs) {
					return fieldError(ff+"."+k, "not sorted and distinct")
				}
				for _, r := range reqs {
					if err := checkBuildRequirement(r, builtOn[k]); err != nil {
						return fieldError(ff+"."+k, "%v", err)
					}
				}
			}
		}
	}
	return nil
}

// checkUniversalList checks each package of a universal list (packages
// or build_packages): its fields, that no name and version is pinned
// twice and that no target installs two versions of a name. It returns
// the pins of each target key by name.
func checkUniversalList(list string, pkgs []Package, keys map[string]bool) (map[string]map[string]Package, error) {
	names := map[string]bool{}
	for _, p := range pkgs {
		names[p.Name] = true
	}
	pinned := map[string]bool{} // name@version
	onTarget := map[string]map[string]Package{}
	for i, p := range pkgs {
		field := fmt.Sprintf("%s[%d]", list, i)
		if p.Name == "" || p.Version == "" {
			return nil, fieldError(field, "has no name or version")
		}
		if !IsNormalizedName(p.Name) {
			return nil, fieldError(field+".name", "%q is not a normalised project name", p.Name)
		}
		field = fmt.Sprintf("%s[%d] (%s %s)", list, i, p.Name, quoteIfOdd(p.Version))
		if list == "build_packages" && p.Provider != ProviderWheel && p.Provider != ProviderNixpkgs {
			return nil, fieldError(field+".provider", "a build package is a wheel or comes from nixpkgs")
		}
		if err := checkUniversalPackage(p, keys, names); err != nil {
			return nil, fmt.Errorf("%w: %s.%v", ErrInvalidLock, field, err)
		}
		if pinned[p.Name+"@"+p.Version] {
			return nil, fieldError(field, "pinned twice")
		}
		pinned[p.Name+"@"+p.Version] = true
		for _, k := range p.Targets {
			if onTarget[k] == nil {
				onTarget[k] = map[string]Package{}
			}
			if other, ok := onTarget[k][p.Name]; ok {
				return nil, fieldError(field+".targets", "%s also installs %s %s", k, p.Name, quoteIfOdd(other.Version))
			}
			onTarget[k][p.Name] = p
		}
	}
	return onTarget, nil
}

func checkMarker(m string) error {
	if m == "" {
		return nil
	}
	if HasControl(m) {
		return fmt.Errorf("%s is not a marker", quoteIfOdd(m))
	}
	if _, err := pep508.ParseMarker(m); err != nil {
		return fmt.Errorf("%s is not a PEP 508 marker", quoteIfOdd(m))
	}
	return nil
}

// checkDependenciesOnTargets checks that every dependency whose marker
// holds on a target of its package is installed there too: a projection
// keeps only the dependencies its target installs, so a lock that forgot
// one would build an environment without it.
func checkDependenciesOnTargets(list string, pkgs []Package, targets []Target, on map[string]map[string]Package) error {
	envs := make(map[string]pep508.Environment, len(targets))
	for _, t := range targets {
		envs[t.Key()] = t.Environment()
	}
	for i, p := range pkgs {
		for _, d := range p.Dependencies {
			var marker *pep508.Marker
			if m := p.DependencyMarkers[d]; m != "" {
				pm, err := pep508.ParseMarker(m)
				if err != nil {
					return fieldError(fmt.Sprintf("%s[%d] (%s %s).dependency_markers.%s", list, i, p.Name, quoteIfOdd(p.Version), d), "not a PEP 508 marker")
				}
				marker = pm
			}
			for _, k := range p.Targets {
				if _, ok := on[k][d]; ok || (marker != nil && !marker.EvaluateExtras(envs[k], p.Extras)) {
					continue
				}
				return fieldError(fmt.Sprintf("%s[%d] (%s %s).dependencies", list, i, p.Name, quoteIfOdd(p.Version)),
					"%s is needed on %s, which does not install it", d, k)
			}
		}
	}
	return nil
}

// checkFileNative checks that the wheels a file's native inputs load
// libraries from are pinned.
func checkFileNative(field string, n *Native, names map[string]bool) error {
	if n == nil {
		return nil
	}
	for _, d := range n.WheelDeps {
		if !names[d] {
			return fmt.Errorf("%s.wheel_deps: %s is not pinned", field, quoteIfOdd(d))
		}
	}
	return nil
}

// checkUniversalPackage returns an error starting with the field's name.
func checkUniversalPackage(p Package, targets, names map[string]bool) error {
	// A local project is a directory, the same on every target: its hash
	// and build requirements stay on the package.
	local := p.Provider == ProviderLocal
	if p.Filename != "" || p.URL != "" || (p.SHA256 != "" && !local) || p.Size != 0 || p.Index != "" {
		return fmt.Errorf("filename: a universal lock lists a package's files under files")
	}
	if len(p.BuildRequires) > 0 && !local {
		return fmt.Errorf("build_requires: a universal lock records build requirements per target on the sdist's file")
	}
	if p.Native != nil {
		return fmt.Errorf("native: a universal lock records native inputs per file")
	}
	if err := checkMarker(p.Marker); err != nil {
		return fmt.Errorf("marker: %v", err)
	}
	if len(p.Targets) == 0 {
		return fmt.Errorf("targets: a package is installed on at least one target")
	}
	if !sort.StringsAreSorted(p.Targets) || len(slices.Compact(slices.Clone(p.Targets))) != len(p.Targets) {
		return fmt.Errorf("targets: not sorted and distinct")
	}
	for _, k := range p.Targets {
		if !targets[k] {
			return fmt.Errorf("targets: %s is not among the lock's targets", quoteIfOdd(k))
		}
	}
	for _, d := range p.Dependencies {
		if !IsNormalizedName(d) {
			return fmt.Errorf("dependencies: %s is not a normalised project name", quoteIfOdd(d))
		}
		if !names[d] {
			return fmt.Errorf("dependencies: %s is not pinned", quoteIfOdd(d))
		}
	}
	for d, m := range p.DependencyMarkers {
		if !slices.Contains(p.Dependencies, d) {
			return fmt.Errorf("dependency_markers: %s is not a dependency", quoteIfOdd(d))
		}
		if err := checkMarker(m); err != nil {
			return fmt.Errorf("dependency_markers.%s: %v", d, err)
		}
	}
	for _, e := range p.Extras {
		if !IsNormalizedName(e) {
			return fmt.Errorf("extras: %s is not a normalised extra name", quoteIfOdd(e))
		}
	}
	switch p.Provider {
	case ProviderNixpkgs, ProviderLocal:
		if len(p.Files) > 0 {
			return fmt.Errorf("files: a %s package has no file", p.Provider)
		}
		return checkPackage(p)
	case ProviderWheel, ProviderSdist:
	default:
		return fmt.Errorf("provider: %s is unknown (want wheel, sdist or nixpkgs)", quoteIfOdd(string(p.Provider)))
	}
	if !isPEP440(p.Version) {
		return fmt.Errorf("version: %s is not a PEP 440 version", quoteIfOdd(p.Version))
	}
	if p.NixAttr != "" {
		return fmt.Errorf("nix_attr: only the nixpkgs provider names an attribute")
	}
	served := map[string]bool{}
	for j, f := range p.Files {
		field := fmt.Sprintf("files[%d]", j)
		if f.Provider != ProviderWheel && f.Provider != ProviderSdist {
			return fmt.Errorf("%s.provider: %s is not wheel or sdist", field, quoteIfOdd(string(f.Provider)))
		}
		single := Package{Name: p.Name, Version: p.Version, Provider: f.Provider, Filename: f.Filename, URL: f.URL, SHA256: f.SHA256, Size: f.Size, Index: f.Index, Native: f.Native}
		if err := checkPackage(single); err != nil {
			return fmt.Errorf("%s.%v", field, err)
		}
		if err := checkFileNative(field+".native", f.Native, names); err != nil {
			return err
		}
		if len(f.NativeByTarget) > 0 && f.Native == nil {
			return fmt.Errorf("%s.native_by_target: the file records no native inputs to differ from", field)
		}
		for _, k := range slices.Sorted(maps.Keys(f.NativeByTarget)) {
			if !slices.Contains(f.Targets, k) {
				return fmt.Errorf("%s.native_by_target: %s is not among the file's targets", field, quoteIfOdd(k))
			}
			n := f.NativeByTarget[k]
			if n == nil {
				return fmt.Errorf("%s.native_by_target.%s: not an object", field, k)
			}
			single.Native = n
			if err := checkPackage(single); err != nil {
				return fmt.Errorf("%s.native_by_target.%s: %v", field, k, err)
			}
			if err := checkFileNative(field+".native_by_target."+k, n, names); err != nil {
				return err
			}
		}
		if !slices.Equal(f.Tags, wheelTags(f.Filename)) {
			return fmt.Errorf("%s.tags: not the tags of %s", field, quoteIfOdd(f.Filename))
		}
		for _, t := range f.Tags {
			if !wheelTagForm.MatchString(t) {
				return fmt.Errorf("%s.tags: %s is not a wheel tag", field, quoteIfOdd(t))
			}
		}
		if len(f.Targets) == 0 {
			return fmt.Errorf("%s.targets: a file serves at least one target", field)
		}
		for _, k := range f.Targets {
			if !slices.Contains(p.Targets, k) {
				return fmt.Errorf("%s.targets: %s does not install this package", field, quoteIfOdd(k))
			}
			if served[k] {
				return fmt.Errorf("%s.targets: %s has another file already", field, quoteIfOdd(k))
			}
			served[k] = true
		}
	}
	for _, k := range p.Targets {
		if !served[k] {
			return fmt.Errorf("files: no file for target %s", k)
		}
	}
	return nil
}
