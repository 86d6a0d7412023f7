package resolve

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// AddBuildPins records in a universal lock the build requirements and
// build packages pinned for each of its targets: byKey maps each target
// key to the lock's projection onto that target (ForTarget) after its
// sdists' build requirements were pinned as a single-target lock's are.
// Each sdist file's build_requires gains the target's requirements, and
// the targets' build packages merge into build_packages in the universal
// shape: one entry per name and version with the targets that install
// it, its wheel per target and the markers of dependencies that hold on
// only some of them. ForTarget then gives back each projection's build
// requirements and build packages.
func AddBuildPins(l *Lock, byKey map[string]*Lock) error {
	type entry struct {
		pkg   Package
		keys  map[string]bool
		files map[string]*PackageFile
		deps  map[string]map[string]bool
	}
	entries := map[string]*entry{}
	for _, key := range l.Keys() {
		proj := byKey[key]
		if proj == nil {
			continue
		}
		for _, p := range proj.Packages {
			if len(p.BuildRequires) == 0 {
				continue
			}
			if err := addFileBuildRequires(l, key, p); err != nil {
				return err
			}
		}
		for _, b := range proj.BuildPackages {
			id := b.Name + "@" + b.Version
			e := entries[id]
			if e == nil {
				e = &entry{pkg: Package{Name: b.Name, Version: b.Version, Provider: b.Provider, NixAttr: b.NixAttr},
					keys: map[string]bool{}, files: map[string]*PackageFile{}, deps: map[string]map[string]bool{}}
				entries[id] = e
			}
			if e.pkg.Provider != b.Provider || e.pkg.NixAttr != b.NixAttr {
				return fmt.Errorf("build package %s %s is a %s on one target and a %s on %s; a universal lock pins one of them", b.Name, b.Version, e.pkg.Provider, b.Provider, key)
			}
			e.keys[key] = true
			for _, x := range b.Extras {
				if !slices.Contains(e.pkg.Extras, x) {
					e.pkg.Extras = append(e.pkg.Extras, x)
				}
			}
			for _, d := range b.Dependencies {
				if e.deps[d] == nil {
					e.deps[d] = map[string]bool{}
				}
				e.deps[d][key] = true
			}
			if b.Provider != ProviderWheel {
				continue
			}
			f := e.files[b.Filename]
			if f == nil {
				f = &PackageFile{Filename: b.Filename, URL: b.URL, SHA256: b.SHA256, Size: b.Size, Index: b.Index,
					Provider: b.Provider, Tags: wheelTags(b.Filename)}
				e.files[b.Filename] = f
			}
			f.Targets = append(f.Targets, key)
		}
	}
	views := make([]*view, len(l.Targets))
	for i, t := range l.Targets {
		views[i] = &view{target: t, key: t.Key(), env: t.Environment()}
	}
	among := func(keys map[string]bool, within []*view) map[*view]bool {
		in := map[*view]bool{}
		for _, v := range within {
			if keys[v.key] {
				in[v] = true
			}
		}
		return in
	}
	l.BuildPackages = nil
	for _, id := range slices.Sorted(maps.Keys(entries)) {
		e := entries[id]
		p := e.pkg
		p.Targets = slices.Sorted(maps.Keys(e.keys))
		in := among(e.keys, views)
		p.Marker = concreteMarker(in, views)
		within := viewsIn(in, views)
		for _, d := range slices.Sorted(maps.Keys(e.deps)) {
			p.Dependencies = append(p.Dependencies, d)
			if len(e.deps[d]) < len(e.keys) {
				if p.DependencyMarkers == nil {
					p.DependencyMarkers = map[string]string{}
				}
				p.DependencyMarkers[d] = concreteMarker(among(e.deps[d], within), within)
			}
		}
		for _, fn := range slices.Sorted(maps.Keys(e.files)) {
			f := *e.files[fn]
			sort.Strings(f.Targets)
			p.Files = append(p.Files, f)
		}
		sort.Strings(p.Extras)
		l.BuildPackages = append(l.BuildPackages, p)
	}
	sort.SliceStable(l.BuildPackages, func(i, j int) bool { return l.BuildPackages[i].Name < l.BuildPackages[j].Name })
	return nil
}

// addFileBuildRequires records p's build requirements on key for the
// universal package's file that the target key installs.
//
// A local project has no file: its requirements stay on the package, and
// must be the same on every target (its [build-system] requires hold no
// marker that tells the targets apart).
func addFileBuildRequires(l *Lock, key string, p Package) error {
	for i := range l.Packages {
		u := &l.Packages[i]
		if u.Name != p.Name || u.Version != p.Version {
			continue
		}
		if u.Provider == ProviderLocal {
			if len(u.BuildRequires) > 0 && !slices.Equal(u.BuildRequires, p.BuildRequires) {
				return fmt.Errorf("the local project %s needs other build requirements on %s (%s) than on another target (%s); a universal lock holds one list for it: drop the markers from its [build-system] requires, or lock each target apart",
					p.Name, key, strings.Join(p.BuildRequires, ", "), strings.Join(u.BuildRequires, ", "))
			}
			u.BuildRequires = slices.Clone(p.BuildRequires)
			return nil
		}
		for j := range u.Files {
			f := &u.Files[j]
			if f.Filename != p.Filename || !slices.Contains(f.Targets, key) {
				continue
			}
			if f.BuildRequires == nil {
				f.BuildRequires = map[string][]string{}
			}
			f.BuildRequires[key] = slices.Clone(p.BuildRequires)
			return nil
		}
	}
	return fmt.Errorf("%s %s has build requirements on %s but no file there", p.Name, p.Version, key)
}
