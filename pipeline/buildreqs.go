package pipeline

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/machnix/machnix/fetch"
	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/resolve/pep508"
)

// buildResolution is what pinning the sdists' build requirements needs
// from the runtime resolution.
type buildResolution struct {
	rules    resolve.Rules
	index    resolve.Index
	catalog  resolve.NixpkgsCatalog // nil without a nixpkgs pin
	previous *resolve.Lock
	upgrade  []string
	pre      bool
	settings Settings
	// local are the local projects' declared [build-system] requires,
	// by name.
	local map[string][]string
}

// pinBuildRequirements fetches each sdist the lock pins (the build needs
// it anyway), records its [build-system] requires whose markers hold on
// the target, and pins their union in lock.BuildPackages: a resolution of
// its own, since build packages never join the environment. nixpkgs'
// package is taken where it satisfies a requirement, else a wheel from
// the indexes (never an sdist, which would need a build system itself).
// A name that neither offers stays unpinned and is nixpkgs' package of
// that name, as before build requirements were pinned.
func pinBuildRequirements(ctx context.Context, lock *resolve.Lock, br buildResolution) error {
	sdists := &resolve.Lock{Version: lock.Version, Target: lock.Target}
	for _, p := range lock.Packages {
		if p.Provider == resolve.ProviderSdist {
			sdists.Packages = append(sdists.Packages, p)
		}
	}
	if len(sdists.Packages) == 0 && len(br.local) == 0 {
		return nil
	}
	var arts []fetch.Artifact
	if len(sdists.Packages) > 0 {
		var err error
		if arts, err = Fetch(ctx, sdists, br.settings); err != nil {
			return err
		}
	}
	env := lock.Target.WithDefaults().Environment()
	byName := map[string][]string{}
	var union []string
	for _, name := range slices.Sorted(maps.Keys(br.local)) {
		reqs, err := buildRequirements("the local project "+name, br.local[name], env)
		if err != nil {
			return err
		}
		byName[name] = reqs
		union = append(union, reqs...)
	}
	for _, a := range arts {
		declared, err := fetch.SdistBuildRequires(ctx, a.Path, a.Filename)
		if err != nil {
			return failed(err)
		}
		reqs, err := buildRequirements("sdist "+a.Filename, declared, env)
		if err != nil {
			return err
		}
		byName[a.Name] = reqs
		union = append(union, reqs...)
	}
	for i := range lock.Packages {
		if reqs, ok := byName[lock.Packages[i].Name]; ok {
			lock.Packages[i].BuildRequires = reqs
		}
	}
	slices.Sort(union)
	union = slices.Compact(union)
	// The resolver tries the newest version first whoever offers it, so
	// nixpkgs' version of a requirement is made the preferred one, as a
	// previous lock's pin would be: taken when it satisfies every
	// requirement on its name. A previous lock's build pins come first.
	prefer := &resolve.Lock{}
	if br.previous != nil {
		prefer.Packages = slices.Clone(br.previous.BuildPackages)
	}
	var roots []string
	for _, r := range union {
		name := pep508.MustParseRequirement(r).Normalized()
		nixVersion, ok, err := br.offered(ctx, name)
		if err != nil {
			return failed(err)
		}
		if !ok {
			continue
		}
		roots = append(roots, r)
		pinned := slices.ContainsFunc(prefer.Packages, func(p resolve.Package) bool { return p.Name == name })
		if nixVersion != "" && !pinned {
			prefer.Packages = append(prefer.Packages, resolve.Package{Name: name, Version: nixVersion})
		}
	}
	if len(roots) == 0 {
		return nil
	}
	order := []resolve.Provider{resolve.ProviderWheel}
	opts := []resolve.Option{resolve.WithRules(br.rules), resolve.WithIndex(br.index), resolve.WithTarget(lock.Target),
		resolve.WithPre(br.pre), resolve.WithUpgrade(br.upgrade...)}
	if br.catalog != nil {
		order = []resolve.Provider{resolve.ProviderNixpkgs, resolve.ProviderWheel}
		opts = append(opts, resolve.WithNixpkgs(br.catalog))
	}
	opts = append(opts, resolve.WithProviders(resolve.ProviderPrefs{resolve.DefaultKey: order}))
	opts = append(opts, resolve.WithPrevious(prefer))
	built, err := resolve.Resolve(ctx, roots, opts...)
	if err != nil {
		return failed(fmt.Errorf("the sdists' build requirements: %w", err))
	}
	lock.BuildPackages = built.Packages
	return nil
}

// pinUniversalBuildRequirements pins a universal lock's build
// requirements target by target: each target's projection of the lock is
// pinned as a single-target lock is (pinBuildRequirements), with that
// target's rules, its Python's nixpkgs packages and the previous lock's
// build pins for it, and resolve.AddBuildPins records the results per
// target.
func pinUniversalBuildRequirements(ctx context.Context, lock *resolve.Lock, br buildResolution, pinDir string) error {
	byKey := map[string]*resolve.Lock{}
	for _, t := range lock.Targets {
		proj, err := lock.ForTarget(t.System, t.Python)
		if err != nil {
			return err
		}
		// A copy: the projection shares its lists with the lock.
		proj = &resolve.Lock{Version: proj.Version, Target: proj.Target, Packages: slices.Clone(proj.Packages)}
		tbr := br
		if tbr.rules, err = resolve.NewRules(t); err != nil {
			return err
		}
		if br.catalog != nil {
			tbr.catalog = resolve.NewNixInstantiateCatalog(pinDir, t.PythonAttr())
		}
		tbr.previous = nil
		if br.previous != nil {
			// A previous lock without this target has no build pins for it.
			if prev, err := br.previous.ForTarget(t.System, t.Python); err == nil {
				tbr.previous = prev
			}
		}
		if err := pinBuildRequirements(ctx, proj, tbr); err != nil {
			return fmt.Errorf("target %s: %w", t.Key(), err)
		}
		byKey[t.Key()] = proj
	}
	if err := resolve.AddBuildPins(lock, byKey); err != nil {
		return failed(err)
	}
	return nil
}

// buildRequirements returns an sdist's declared build requirements whose
// markers hold in env, normalised and without their markers, sorted.
func buildRequirements(filename string, declared []string, env pep508.Environment) ([]string, error) {
	var out []string
	for _, d := range declared {
		req, err := pep508.ParseRequirement(d)
		if err != nil {
			return nil, failed(fmt.Errorf("%s: [build-system] requires %q: %w", filename, d, err))
		}
		if req.URL != "" {
			return nil, failed(fmt.Errorf("%s: [build-system] requires %s by a direct URL, which machnix cannot pin; build a wheel of it instead", filename, req.Normalized()))
		}
		if req.Marker != nil && !req.Marker.Evaluate(env, "") {
			continue
		}
		req.Name, req.Marker = req.Normalized(), nil
		out = append(out, req.String())
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// offered reports whether nixpkgs or an index offers something for a
// build requirement's name: a package of the nixpkgs in use (its version
// is returned) or a wheel.
func (br buildResolution) offered(ctx context.Context, name string) (nixVersion string, ok bool, err error) {
	if br.catalog != nil {
		offers, err := br.catalog.Packages(ctx, name)
		if err != nil {
			return "", false, err
		}
		if len(offers) > 0 {
			return offers[0].Version, true, nil
		}
	}
	files, err := br.index.Project(ctx, name)
	if errors.Is(err, resolve.ErrProjectNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return "", slices.ContainsFunc(files.Files, func(f resolve.File) bool { return strings.HasSuffix(f.Filename, ".whl") }), nil
}
