package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/machnix/machnix/fetch"
	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/resolve/pep508"
	"github.com/machnix/machnix/resolve/project"
	"github.com/machnix/machnix/resolve/reqfile"
)

// ErrProjectChanged is wrapped when a lock's local project no longer has
// the files the lock recorded.
var ErrProjectChanged = errors.New("the local project changed since it was locked")

// localProject is a local project being locked.
type localProject struct {
	meta   *project.Metadata
	extras []string
	// requires are its root requirements on the target, and origin
	// where it was named.
	requires []string
	origin   string
	// localDirs are the directories of the local projects it depends on.
	localDirs []string
}

// projectArgs turns the command line's project arguments
// ("path[extra]") into projects, relative to the working directory.
func projectArgs(args []string) ([]reqfile.Project, error) {
	var out []reqfile.Project
	for _, a := range args {
		if a == "-e" || a == "--editable" || strings.HasPrefix(a, "--editable=") {
			return nil, fmt.Errorf("%w: %s", reqfile.ErrUnsupported, reqfile.EditableHint)
		}
		p, extras, ok := reqfile.SplitProjectArg(a)
		if !ok {
			return nil, fmt.Errorf("project %q: give a directory, with extras as DIR[extra1,extra2]", a)
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, err
		}
		if fi, err := os.Stat(abs); err == nil && fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%s is a file; a project argument is a directory (name a requirements file with -r)", a)
		}
		out = append(out, reqfile.Project{Dir: abs, Extras: extras, File: a})
	}
	return out, nil
}

// readProjects reads each project (and the local projects its
// dependencies name by file: URL), hashes its tree and evaluates its
// requirements for the target. The same directory named twice is one
// project with the union of the extras.
//
// Each project's requirements are read for every target: one that holds
// on some of them only gets a marker naming those (a universal lock's
// roots keep their markers), and each project's requires-python must hold
// for every target, whatever the order the targets were given in.
func readProjects(ctx context.Context, named []reqfile.Project, targets []resolve.Target) ([]*localProject, error) {
	rules := make([]resolve.Rules, len(targets))
	for i, t := range targets {
		var err error
		if rules[i], err = resolve.NewRules(t); err != nil {
			return nil, err
		}
	}
	byDir := map[string]*localProject{}
	var order []string
	// Dynamic metadata is kept by the project's hash: an unchanged
	// project's backend does not run again.
	cacheDir := ""
	if len(named) > 0 {
		root, err := fetch.DefaultCacheDir()
		if err != nil {
			return nil, err
		}
		cacheDir = filepath.Join(root, "projects")
	}
	queue := slices.Clone(named)
	for len(queue) > 0 {
		np := queue[0]
		queue = queue[1:]
		where := np.File
		if np.Line > 0 {
			where = fmt.Sprintf("%s:%d", np.File, np.Line)
		}
		dir, err := project.Dir(np.Dir)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		lp := byDir[dir]
		if lp == nil {
			meta, err := project.Read(ctx, dir, project.WithCache(cacheDir))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			for i, r := range rules {
				if meta.RequiresPython != "" && !r.PythonMatches(meta.RequiresPython) {
					return nil, fmt.Errorf("%s: %s %s requires Python %s; the target %s has another (--python)",
						where, meta.Name, meta.Version, meta.RequiresPython, targets[i].Key())
				}
			}
			lp = &localProject{meta: meta, origin: filepath.Join(dir, "pyproject.toml")}
			byDir[dir] = lp
			order = append(order, dir)
		} else if len(np.Extras) == 0 || !slices.ContainsFunc(np.Extras, func(x string) bool { return !slices.Contains(lp.extras, x) }) {
			continue
		}
		if np.Name != "" && np.Name != lp.meta.Name {
			return nil, fmt.Errorf("%s: the project in %s is %s, not %s", where, dir, lp.meta.Name, np.Name)
		}
		lp.extras = slices.Compact(slices.Sorted(slices.Values(append(lp.extras, np.Extras...))))
		reqs, err := requirementsOn(lp.meta, lp.extras, targets)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		lp.requires = nil
		for _, r := range reqs {
			req := pep508.MustParseRequirement(r)
			if d, ok := reqfile.LocalDir(req.URL); ok {
				if real, err := project.Dir(d); err == nil {
					lp.localDirs = append(lp.localDirs, real)
				}
				queue = append(queue, reqfile.Project{Dir: d, Extras: req.Extras, Name: req.Normalized(), File: lp.origin})
				continue
			}
			lp.requires = append(lp.requires, r)
		}
	}
	out := make([]*localProject, 0, len(order))
	names := map[string]string{}
	for _, d := range order {
		lp := byDir[d]
		if other, dup := names[lp.meta.Name]; dup {
			return nil, fmt.Errorf("two local projects are both %s: %s and %s", lp.meta.Name, other, d)
		}
		names[lp.meta.Name] = d
		out = append(out, lp)
	}
	return out, nil
}

// requirementsOn is a project's requirements with its extras on each of
// the targets, each with a marker for the targets it holds on when that is
// not all of them.
func requirementsOn(meta *project.Metadata, extras []string, targets []resolve.Target) ([]string, error) {
	on := map[string][]resolve.Target{}
	var order []string
	for _, t := range targets {
		reqs, err := meta.Requirements(extras, t.WithDefaults().Environment())
		if err != nil {
			return nil, err
		}
		for _, r := range reqs {
			if _, seen := on[r]; !seen {
				order = append(order, r)
			}
			on[r] = append(on[r], t)
		}
	}
	out := make([]string, 0, len(order))
	for _, r := range order {
		if m := resolve.TargetsMarker(on[r], targets); m != "" {
			r += " ; " + m
		}
		out = append(out, r)
	}
	return out, nil
}

// addLocal adds each project to the lock as a local entry, its path
// relative to lockDir, depending on the pins of its requirements.
func addLocal(lock *resolve.Lock, locals []*localProject, lockDir string) error {
	if len(locals) == 0 {
		return nil
	}
	base, err := project.Dir(lockDir)
	if err != nil {
		return fmt.Errorf("the lock's directory: %w", err)
	}
	pinned := map[string]bool{}
	for _, p := range lock.Packages {
		pinned[p.Name] = true
	}
	localNames := map[string]bool{}
	for _, lp := range locals {
		localNames[lp.meta.Name] = true
	}
	for _, lp := range locals {
		if pinned[lp.meta.Name] {
			return fmt.Errorf("%s is the local project in %s and also a dependency pinned from an index; a package is one or the other", lp.meta.Name, lp.meta.Dir)
		}
		rel, err := filepath.Rel(base, lp.meta.Dir)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if err := resolve.CheckProjectPath(rel); err != nil {
			return fmt.Errorf("%s: the path from the lock's directory: %w", lp.meta.Dir, err)
		}
		p := resolve.Package{Name: lp.meta.Name, Version: lp.meta.Version, Provider: resolve.ProviderLocal, Path: rel, SHA256: lp.meta.SHA256, Extras: lp.extras}
		if lock.Universal() {
			p.Targets = slices.Sorted(slices.Values(lock.Keys())) // a root of every target
		}
		for _, r := range lp.requires {
			if n := pep508.MustParseRequirement(r).Normalized(); n != p.Name && !slices.Contains(p.Dependencies, n) {
				p.Dependencies = append(p.Dependencies, n)
			}
		}
		// A local project depending on another names it by directory.
		for _, d := range lp.localDirs {
			for _, other := range locals {
				if other.meta.Dir == d && other != lp {
					p.Dependencies = append(p.Dependencies, other.meta.Name)
				}
			}
		}
		slices.Sort(p.Dependencies)
		p.Dependencies = slices.Compact(p.Dependencies)
		if lock.Universal() {
			p.DependencyMarkers = localDependencyMarkers(lock, p.Dependencies)
		}
		lock.Packages = append(lock.Packages, p)
	}
	slices.SortFunc(lock.Packages, func(a, b resolve.Package) int { return strings.Compare(a.Name, b.Name) })
	return nil
}

// localDependencyMarkers gives each dependency of a local project in a
// universal lock that some targets do not install a marker naming the
// targets that do: its requirement holds there (a local project is a root
// of every target). Other local projects are on every target.
func localDependencyMarkers(lock *resolve.Lock, deps []string) map[string]string {
	var out map[string]string
	for _, pkg := range lock.Packages {
		if !slices.Contains(deps, pkg.Name) || len(pkg.Targets) == len(lock.Targets) {
			continue
		}
		var on []resolve.Target
		for _, t := range lock.Targets {
			if slices.Contains(pkg.Targets, t.Key()) {
				on = append(on, t)
			}
		}
		if out == nil {
			out = map[string]string{}
		}
		out[pkg.Name] = resolve.TargetsMarker(on, lock.Targets)
	}
	return out
}

// CheckProjects compares each local project of a lock read from lockDir
// with the lock: a project whose files changed must be locked again, so
// that its metadata is read again and its new hash recorded.
func CheckProjects(lock *resolve.Lock, lockDir string) error {
	lockDir, err := realDir(lockDir)
	if err != nil {
		return err
	}
	for _, p := range lock.Packages {
		if p.Provider != resolve.ProviderLocal {
			continue
		}
		dir := filepath.Join(lockDir, filepath.FromSlash(p.Path))
		if _, err := os.Stat(dir); err != nil {
			return fmt.Errorf("%w: %s (path %s in the lock): %v", ErrProjectChanged, p.Name, p.Path, err)
		}
		// Before anything of it is read: a hostile lock may point at a
		// home directory.
		if !project.IsProjectDir(dir) {
			return fmt.Errorf("%w: %s (path %s in the lock): %s has no %s", project.ErrNotProject, p.Name, p.Path, dir, strings.Join(project.MarkerFiles, ", "))
		}
		hash, err := project.Hash(dir)
		if err != nil {
			return err
		}
		if hash != p.SHA256 {
			return fmt.Errorf("%w: the files of %s in %s differ from the locked ones; lock it again (machnix lock %s, or machnix build %s, which resolves first)",
				ErrProjectChanged, p.Name, dir, dir, dir)
		}
	}
	return nil
}
