package resolve

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/machnix/machnix/resolve/internal/solver"
	"github.com/machnix/machnix/resolve/pep440"
	"github.com/machnix/machnix/resolve/pep508"
	"github.com/machnix/machnix/resolve/tags"
)

// Universe says which environments a universal resolution serves.
//
// With Targets, each target is one concrete environment (Python, system,
// glibc): a fork holds some of them, every package of a fork must have a
// file for each of its targets, and forks split wherever a dependency's
// marker holds on some of a fork's targets and not on others, so that
// every target ends up with one consistent set of pins. This is what
// machnix resolve --universal locks.
//
// Without Targets the universe is every environment with Python at least
// Python and within RequiresPython, restricted by Environments when given
// (PEP 508 markers, any of which may hold), as uv's universal resolution
// sees it: a fork splits only where one package names the same project
// with different requirements under different markers, dependencies keep
// their markers, and wheel tags do not rule out a version. The packse
// conformance scenarios are resolved this way.
type Universe struct {
	Targets        []Target
	Python         string
	RequiresPython string
	Environments   []string
}

// WithUniverse gives ResolveUniversal its universe.
func WithUniverse(u Universe) Option { return func(s *settings) { s.Universe = u } }

// ErrTooManyForks is wrapped when a universal resolution keeps splitting.
var ErrTooManyForks = errors.New("universal resolution forked too often")

// maxForks bounds the forks of one universal resolution.
const maxForks = 128

// view is the resolution seen from one target: its own rules (tags,
// Python) and candidate lists, over the shared index.
type view struct {
	target Target
	key    string
	env    pep508.Environment
	set    pep508.EnvSet
	src    *source
}

// universal is one universal resolution in progress.
type universal struct {
	views    []*view
	concrete bool // views are concrete targets
	universe pep508.EnvSet
	// chosen lists the versions earlier forks picked per package, first
	// picked first: later forks prefer them, so forks agree where they can.
	chosen map[string][]string
	// constraints are the -c requirements with their markers.
	constraints []Requirement
	resolution  Resolution
}

// fork is one part of the universe, resolved on its own.
type fork struct {
	set   pep508.EnvSet
	views []*view
	// noSplit holds the "node@version" whose dependencies may not split
	// this fork again.
	noSplit map[string]bool
}

type forkResult struct {
	fork
	pins  map[string]string
	deps  map[string][]string
	edges map[string]pep508.EnvSet // "node@version>dep" → where the edge holds
}

// ResolveUniversal pins the requirements once for every environment of the
// universe (WithUniverse): it forks where requirements differ by marker,
// resolves each fork with the solver, and merges the forks into one lock
// whose packages carry the markers (and targets) under which they are
// installed. An unsatisfiable fork makes the whole resolution fail with an
// error wrapping ErrNoSolution that names the fork.
func ResolveUniversal(ctx context.Context, requirements []string, options ...Option) (*Lock, error) {
	var opts settings
	for _, o := range options {
		o(&opts)
	}
	if opts.Index == nil {
		return nil, errors.New("resolve needs WithIndex")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	u := &universal{chosen: map[string][]string{}, resolution: opts.Resolution}
	defer func() {
		for _, v := range u.views {
			v.src.wg.Wait()
		}
	}()
	if err := u.makeViews(ctx, opts, requirements); err != nil {
		return nil, err
	}
	forks := 0
	done, err := u.solve(ctx, fork{set: u.universe, views: u.views}, &forks)
	if err != nil {
		return nil, err
	}
	return u.merge(requirements, done), nil
}

// solve resolves one fork, splitting it where its dependencies ask to.
// In a symbolic universe a split stays only when the version that asked
// for it is part of the resolution of at least one of the parts: when
// every part backtracked away from it, the split served nothing, and the
// fork is resolved again without it (uv keeps a fork only while its fork point is decided, and
// the packse scenario preferences-dependent-forking-conflicting expects
// the resolution that does not split).
func (u *universal) solve(ctx context.Context, f fork, forks *int) ([]forkResult, error) {
	for {
		*forks++
		if *forks > maxForks {
			return nil, fmt.Errorf("%w: more than %d forks", ErrTooManyForks, maxForks)
		}
		fs := &forkSource{u: u, fork: f, edges: map[string]pep508.EnvSet{}}
		pins, deps, err := solver.Solve(ctx, fs, solver.WithPreferences(fs.preferences()), solver.WithResolution(u.resolution.solver()))
		if fs.split != nil {
			var out []forkResult
			// Over targets a split is always kept: an unsplit fork would
			// record a dependency that holds on some of its targets as
			// holding on all of them.
			used := fs.splitNode == solver.Root || u.concrete
			for _, part := range fs.split {
				part.noSplit = f.noSplit
				rs, err := u.solve(ctx, part, forks)
				if err != nil {
					return nil, err
				}
				for _, r := range rs {
					if v, ok := r.pins[fs.splitNode]; ok && v == fs.splitVersion {
						used = true
					}
				}
				out = append(out, rs...)
			}
			if used {
				return out, nil
			}
			f.noSplit = maps.Clone(f.noSplit)
			if f.noSplit == nil {
				f.noSplit = map[string]bool{}
			}
			f.noSplit[fs.splitNode+"@"+fs.splitVersion] = true
			continue
		}
		if err != nil {
			where := ""
			if m := u.describe(f); m != "" {
				where = " where " + m
			}
			if errors.Is(err, solver.ErrNoSolution) {
				return nil, fmt.Errorf("%w%s: %s", ErrNoSolution, where, err.Error())
			}
			return nil, fmt.Errorf("resolving%s: %w", where, err)
		}
		names := make([]string, 0, len(pins))
		for n := range pins {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if !slices.Contains(u.chosen[n], pins[n]) {
				u.chosen[n] = append(u.chosen[n], pins[n])
			}
		}
		return []forkResult{{fork: f, pins: pins, deps: deps, edges: fs.edges}}, nil
	}
}

// makeViews builds a source per target (or one for the symbolic universe)
// and the universe's marker set.
func (u *universal) makeViews(ctx context.Context, opts settings, requirements []string) error {
	uni := opts.Universe
	if len(uni.Targets) > 0 {
		for _, c := range opts.Constraints {
			req, err := rulesOrDefault(uni.Targets[0]).ParseRequirement(c)
			if err != nil {
				return fmt.Errorf("constraint %q: %w", c, err)
			}
			u.constraints = append(u.constraints, req)
		}
		u.concrete = true
		u.universe = pep508.NoEnvs()
		seen := map[string]bool{}
		for _, t := range uni.Targets {
			t = t.WithDefaults()
			if seen[t.Key()] {
				continue
			}
			seen[t.Key()] = true
			rules, err := NewRules(t)
			if err != nil {
				return err
			}
			o := opts
			o.Rules, o.Target = rules, t
			src, err := newSource(ctx, o, requirements)
			v := &view{target: t, key: t.Key(), env: t.Environment(), src: src}
			if src != nil {
				u.views = append(u.views, v)
			}
			if err != nil {
				return err
			}
			v.set = pep508.EnvironmentSet(v.env)
			u.universe = u.universe.Or(v.set)
		}
		return nil
	}
	python := uni.Python
	if python == "" {
		python = DefaultPython
	}
	// Packages must support the lowest Python of the universe: the
	// project's requires-python lower bound when it is above Python.
	filesPython := python
	if specs, err := pep440.ParseSpecifiers(uni.RequiresPython); err == nil {
		for _, sp := range specs {
			low, err1 := pep440.Parse(sp.Version)
			cur, err2 := pep440.Parse(filesPython)
			if (sp.Op == ">=" || sp.Op == ">" || sp.Op == "~=" || sp.Op == "==") && err1 == nil && err2 == nil &&
				low.Compare(cur) > 0 && len(low.Release) <= 3 && low.Release[0] == 3 && !strings.Contains(sp.Version, "*") {
				filesPython = low.Public().String()
			}
		}
	}
	t := Target{Python: filesPython}.WithDefaults()
	rules, err := NewRules(t)
	if err != nil {
		return err
	}
	o := opts
	o.Rules, o.Target = anyTagRules{rules}, t
	src, err := newSource(ctx, o, requirements)
	if src != nil {
		u.views = []*view{{target: t, src: src}}
	}
	if err != nil {
		return err
	}
	set := pep508.MustParseMarker(`python_full_version >= "` + python + `"`).Set("")
	if rp := strings.TrimSpace(uni.RequiresPython); rp != "" {
		specs, err := pep440.ParseSpecifiers(rp)
		if err != nil {
			return fmt.Errorf("requires-python %q: %w", rp, err)
		}
		for _, sp := range specs {
			m, err := pep508.ParseMarker(`python_full_version ` + sp.Op + ` "` + sp.Version + `"`)
			if err != nil {
				return fmt.Errorf("requires-python %q: %w", rp, err)
			}
			set = set.And(m.Set(""))
		}
	}
	if len(uni.Environments) > 0 {
		envs := pep508.NoEnvs()
		for _, e := range uni.Environments {
			m, err := pep508.ParseMarker(e)
			if err != nil {
				return fmt.Errorf("environment %q: %w", e, err)
			}
			envs = envs.Or(m.Set(""))
		}
		set = set.And(envs)
	}
	u.universe = set
	u.views[0].set = set
	return nil
}

// anyTagRules accepts every wheel whatever its tags: a symbolic universe
// has no one platform to rank them for.
type anyTagRules struct{ Rules }

func (r anyTagRules) ParseFilename(filename string) (name, version string, kind Provider, rank int, ok bool) {
	if !strings.HasSuffix(filename, ".whl") {
		return r.Rules.ParseFilename(filename)
	}
	n, v, _, _, err := tags.ParseWheelFilename(filename)
	if err != nil {
		return "", "", "", 0, false
	}
	if sr, ok := r.Rules.(*standardRules); ok {
		v = sr.normalVersion(v)
	}
	return n, v, ProviderWheel, 0, true
}

// forkSource is the solver's Source for one fork: candidates every target
// of the fork can install, and dependencies whose markers can hold in the
// fork.
type forkSource struct {
	u    *universal
	fork fork
	// split, when set, replaces the fork: a dependency showed that it
	// must be resolved in parts.
	split                   []fork
	splitNode, splitVersion string
	edges                   map[string]pep508.EnvSet
}

// errSplit stops the solver when the fork must split.
var errSplit = errors.New("fork splits")

// WhyNoVersions implements solver.Absence: the first reason one of the
// fork's targets gives.
func (f *forkSource) WhyNoVersions(node string) string {
	for _, v := range f.fork.views {
		if why := v.src.WhyNoVersions(node); why != "" {
			return why
		}
	}
	return ""
}

func (f *forkSource) Candidates(ctx context.Context, node string) ([]solver.Candidate, error) {
	base, _, _ := splitExtra(node)
	var out []solver.Candidate
	for i, v := range f.fork.views {
		cs, err := v.src.Candidates(ctx, base)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			out = cs
			continue
		}
		out = slices.DeleteFunc(out, func(c solver.Candidate) bool {
			return !slices.ContainsFunc(cs, func(d solver.Candidate) bool { return d.Version == c.Version })
		})
	}
	// Over targets, a version some target of the lock has no file for is
	// tried only after the versions every target has, so that forks agree
	// on one version wherever one exists. Versions earlier forks chose are
	// the solver's preferences (forkSource.preferences).
	if f.u.concrete && len(f.fork.views) < len(f.u.views) {
		for _, v := range f.u.views {
			cs, err := v.src.load(base)
			if err != nil {
				return nil, err
			}
			for i := range out {
				if !slices.ContainsFunc(cs, func(c candidate) bool { return c.version == out[i].Version }) {
					out[i].Late = true
				}
			}
		}
	}
	return out, nil
}

// preferences are the versions the solver tries first in this fork: the
// first version an earlier fork chose, else the previous lock's pin.
func (f *forkSource) preferences() map[string]string {
	prefs := map[string]string{}
	if len(f.fork.views) > 0 {
		maps.Copy(prefs, f.fork.views[0].src.prefer)
	}
	for name, vs := range f.u.chosen {
		if len(vs) > 0 {
			prefs[name] = vs[0]
		}
	}
	return prefs
}

func (f *forkSource) Prefetch(node string, versions []string) {
	if len(f.fork.views) > 0 {
		f.fork.views[0].src.Prefetch(node, versions)
	}
}

// verdict is how a dependency's marker relates to a fork.
type verdict int

const (
	never verdict = iota
	always
	sometimes
)

// classify decides where in the fork a marker (for extra) holds: the part
// of the fork where it does, and the verdict.
func (f *forkSource) classify(m *pep508.Marker, extra string) (pep508.EnvSet, verdict) {
	if m == nil {
		return f.fork.set, always
	}
	if f.u.concrete {
		// Each target is one environment: evaluate there, exactly as a
		// single-target resolution would.
		in, n := pep508.NoEnvs(), 0
		for _, v := range f.fork.views {
			if m.Evaluate(v.env, extra) {
				in, n = in.Or(v.set), n+1
			}
		}
		switch n {
		case 0:
			return in, never
		case len(f.fork.views):
			return f.fork.set, always
		}
		return in, sometimes
	}
	in := f.fork.set.And(m.Set(extra))
	switch {
	case in.IsEmpty():
		return in, never
	case f.fork.set.Covers(in) && in.Covers(f.fork.set):
		return in, always
	}
	return in, sometimes
}

// sub is the part of the fork within set, with the views that meet it.
func (f *forkSource) sub(set pep508.EnvSet) fork {
	out := fork{set: set}
	for _, v := range f.fork.views {
		if !f.u.concrete || !v.set.Disjoint(set) {
			out.views = append(out.views, v)
		}
	}
	return out
}

type included struct {
	req Requirement
	set pep508.EnvSet
	v   verdict
}

func (f *forkSource) Dependencies(ctx context.Context, node, version string) ([]solver.Dep, error) {
	first := f.fork.views[0].src
	var reqs []Requirement
	var out []solver.Dep
	base, extra, isExtra := splitExtra(node)
	if node == solver.Root {
		reqs = first.roots
	} else {
		c := first.find(base, version)
		if isExtra {
			same := version
			out = append(out, solver.Dep{Name: base, Text: base + "==" + version, Match: func(v string) bool { return v == same }})
		}
		if c.kind == ProviderNixpkgs {
			for _, d := range c.nixDeps {
				r, err := first.o.Rules.ParseRequirement(d)
				if err != nil {
					return nil, fmt.Errorf("%s %s from nixpkgs: dependency %q: %w", base, version, d, err)
				}
				out = append(out, first.dep(r)...)
			}
			return out, nil
		}
		m, err := first.metadata(c.fileOrZero())
		if err != nil {
			return nil, err
		}
		for _, rd := range m.RequiresDist {
			r, err := first.o.Rules.ParseRequirement(rd)
			if err != nil {
				return nil, fmt.Errorf("%s %s: Requires-Dist %q: %w", base, version, rd, err)
			}
			// An extra's node adds only the requirements its marker
			// names the extra in; the base node those that name none.
			if isExtra != (r.Marker != nil && r.Marker.UsesExtra()) {
				continue
			}
			reqs = append(reqs, r)
		}
	}
	var inc []included
	for _, r := range reqs {
		set, v := f.classify(r.Marker, extra)
		if v == never {
			continue
		}
		inc = append(inc, included{r, set, v})
	}
	if !f.fork.noSplit[node+"@"+version] {
		triggers := inc
		if f.u.concrete {
			// A constraint (-c) whose marker holds on some of the fork's
			// targets splits it too: the sources apply constraints as
			// their own target evaluates them.
			for _, in := range inc {
				for _, c := range f.u.constraints {
					if c.Name != in.req.Name {
						continue
					}
					if set, v := f.classify(c.Marker, ""); v == sometimes {
						triggers = append(triggers, included{c, set, v})
					}
				}
			}
		}
		if split := f.splitFor(triggers); split != nil {
			f.split, f.splitNode, f.splitVersion = split, node, version
			return nil, errSplit
		}
	}
	for _, in := range inc {
		ds := first.dep(in.req)
		if node == solver.Root {
			if i := slices.IndexFunc(first.roots, func(r Requirement) bool { return r.Text == in.req.Text }); i >= 0 && first.rootOrigins[i] != "" {
				for j := range ds {
					ds[j].Text += " (" + first.rootOrigins[i] + ")"
				}
			}
		}
		for _, d := range ds {
			if f.u.concrete {
				break // edges are read for symbolic universes only (merge)
			}
			k := node + "@" + version + ">" + d.Name
			if prev, ok := f.edges[k]; ok {
				f.edges[k] = prev.Or(in.set)
			} else {
				f.edges[k] = in.set
			}
		}
		out = append(out, ds...)
	}
	return out, nil
}

// splitFor says how the fork must split for these dependencies, or nil.
// Over concrete targets any dependency that holds on some of the fork's
// targets splits it, so that each target's pins come from one fork. In a
// symbolic universe a project named by several dependencies with
// different requirements splits it, as uv forks, into the parts where
// each combination of their markers holds.
func (f *forkSource) splitFor(inc []included) []fork {
	if f.u.concrete {
		for _, in := range inc {
			if in.v == sometimes {
				// Split by target: the complement of a union of targets
				// is the union of the others, which the algebra need not
				// compute.
				yes, no := fork{set: pep508.NoEnvs()}, fork{set: pep508.NoEnvs()}
				for _, v := range f.fork.views {
					part := &no
					if !v.set.Disjoint(in.set) {
						part = &yes
					}
					part.views = append(part.views, v)
					part.set = part.set.Or(v.set)
				}
				return []fork{yes, no}
			}
		}
		return nil
	}
	byName := map[string][]included{}
	var names []string
	for _, in := range inc {
		if _, ok := byName[in.req.Name]; !ok {
			names = append(names, in.req.Name)
		}
		byName[in.req.Name] = append(byName[in.req.Name], in)
	}
	for _, n := range names {
		group := byName[n]
		if len(group) < 2 || !slices.ContainsFunc(group, func(i included) bool { return i.v == sometimes }) {
			continue
		}
		differ := slices.ContainsFunc(group[1:], func(i included) bool {
			return i.req.Specifier != group[0].req.Specifier || i.req.URL != group[0].req.URL
		})
		if !differ {
			continue
		}
		var markers []pep508.EnvSet
		for _, i := range group {
			if i.v == sometimes && !slices.ContainsFunc(markers, i.set.Equal) {
				markers = append(markers, i.set)
			}
		}
		if len(markers) > 6 {
			markers = markers[:6]
		}
		cells := []pep508.EnvSet{f.fork.set}
		for _, m := range markers {
			var next []pep508.EnvSet
			for _, c := range cells {
				for _, part := range []pep508.EnvSet{c.And(m), c.And(m.Not())} {
					if !part.IsEmpty() {
						next = append(next, part)
					}
				}
			}
			cells = next
		}
		if len(cells) < 2 {
			continue
		}
		out := make([]fork, len(cells))
		for i, c := range cells {
			out[i] = f.sub(c)
		}
		return out
	}
	return nil
}

// merge turns the forks' pins into one lock: one package per (name,
// version), installed where any fork that pins it applies.
func (u *universal) merge(requirements []string, done []forkResult) *Lock {
	lock := &Lock{Version: LockVersion, Requirements: make([]string, 0, len(requirements))}
	for _, r := range requirements {
		lock.Requirements = append(lock.Requirements, requirementWithoutCredentials(r))
	}
	if u.concrete {
		for _, v := range u.views {
			lock.Targets = append(lock.Targets, v.target)
		}
	}
	type entry struct {
		name, version string
		set           pep508.EnvSet
		views         map[*view]bool
		extras        map[string]bool
		deps          map[string]pep508.EnvSet
		depViews      map[string]map[*view]bool // over targets: where each edge holds
	}
	entries := map[string]*entry{}
	var keys []string
	for _, r := range done {
		lock.Forks = append(lock.Forks, u.describe(r.fork))
		for node, v := range r.pins {
			name, extra, isExtra := splitExtra(node)
			k := name + "@" + v
			e := entries[k]
			if e == nil {
				e = &entry{name: name, version: v, set: pep508.NoEnvs(), views: map[*view]bool{}, extras: map[string]bool{},
					deps: map[string]pep508.EnvSet{}, depViews: map[string]map[*view]bool{}}
				entries[k] = e
				keys = append(keys, k)
			}
			if isExtra {
				e.extras[extra] = true
			} else {
				if !u.concrete { // over targets the views say it
					e.set = e.set.Or(r.set)
				}
				for _, vw := range r.views {
					e.views[vw] = true
				}
			}
			for _, d := range r.deps[node] {
				b, _, _ := splitExtra(d)
				if b == name {
					continue
				}
				if u.concrete {
					e.deps[b] = pep508.EnvSet{} // the edge's targets are depViews'
				} else {
					edge, ok := r.edges[node+"@"+v+">"+d]
					if !ok {
						edge = r.set
					}
					if prev, ok := e.deps[b]; ok {
						edge = prev.Or(edge)
					}
					e.deps[b] = edge
				}
				// Over targets every edge of a fork holds on all its
				// targets: forks split wherever an edge would not.
				if e.depViews[b] == nil {
					e.depViews[b] = map[*view]bool{}
				}
				for _, vw := range r.views {
					e.depViews[b][vw] = true
				}
			}
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		e := entries[k]
		p := Package{Name: e.name, Version: e.version}
		if u.concrete {
			p.Marker = concreteMarker(e.views, u.views)
		} else {
			p.Marker = e.set.Simplified(u.universe).String()
		}
		for x := range e.extras {
			p.Extras = append(p.Extras, x)
		}
		sort.Strings(p.Extras)
		within := viewsIn(e.views, u.views)
		for d, set := range e.deps {
			p.Dependencies = append(p.Dependencies, d)
			m := ""
			switch {
			case u.concrete && len(e.depViews[d]) < len(e.views):
				m = concreteMarker(e.depViews[d], within)
			case !u.concrete && !set.Covers(e.set):
				m = set.Simplified(e.set).String()
			}
			if m != "" {
				if p.DependencyMarkers == nil {
					p.DependencyMarkers = map[string]string{}
				}
				p.DependencyMarkers[d] = m
			}
		}
		sort.Strings(p.Dependencies)
		files := map[string]*PackageFile{}
		var order []string
		for _, vw := range u.views {
			if !e.views[vw] {
				continue
			}
			c := vw.src.find(e.name, e.version)
			if p.Provider == "" {
				p.Provider, p.NixAttr = c.kind, c.nixAttr
			}
			if u.concrete {
				p.Targets = append(p.Targets, vw.key)
			}
			if c.file == nil {
				continue
			}
			pf := files[c.file.Filename]
			if pf == nil {
				pf = &PackageFile{Filename: c.file.Filename, URL: urlWithoutCredentials(c.file.URL), SHA256: c.file.SHA256,
					Size: c.file.Size, Index: c.file.Index, Provider: c.kind, Tags: wheelTags(c.file.Filename)}
				files[c.file.Filename] = pf
				order = append(order, c.file.Filename)
			}
			if u.concrete {
				pf.Targets = append(pf.Targets, vw.key)
			}
		}
		sort.Strings(order)
		for _, fn := range order {
			pf := files[fn]
			sort.Strings(pf.Targets)
			p.Files = append(p.Files, *pf)
		}
		sort.Strings(p.Targets)
		lock.Packages = append(lock.Packages, p)
	}
	sort.SliceStable(lock.Packages, func(i, j int) bool { return lock.Packages[i].Name < lock.Packages[j].Name })
	return lock
}

// wheelTags expands a wheel filename's compressed tag set
// (cp39.cp310-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64) into its
// tags; none for an sdist.
func wheelTags(filename string) []string {
	if !strings.HasSuffix(filename, ".whl") {
		return nil
	}
	_, _, _, ts, err := tags.ParseWheelFilename(filename)
	if err != nil {
		return nil
	}
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		out = append(out, t.String())
	}
	sort.Strings(out)
	return out
}

// describe is a fork's marker as the lock and messages show it: over
// targets, what tells its targets from the others; otherwise its set,
// simplified within the universe.
func (u *universal) describe(f fork) string {
	if !u.concrete {
		return f.set.Simplified(u.universe).String()
	}
	in := map[*view]bool{}
	for _, v := range f.views {
		in[v] = true
	}
	return concreteMarker(in, u.views)
}

// TargetsMarker is a PEP 508 marker that holds on the targets of in and
// on none of the other targets of all, in the form a universal lock's
// markers take; "" when in holds all of them. in must be among all.
func TargetsMarker(in, all []Target) string {
	views := make([]*view, len(all))
	inside := map[*view]bool{}
	for i, t := range all {
		views[i] = &view{target: t, key: t.Key(), env: t.Environment()}
		if slices.ContainsFunc(in, func(o Target) bool { return o.Key() == t.Key() }) {
			inside[views[i]] = true
		}
	}
	return concreteMarker(inside, views)
}

// concreteMarker is a PEP 508 marker that holds on the targets in and on
// none of the other targets of all: the first of platform_machine,
// python_version, python_full_version and their pairs with
// platform_machine whose values tell the two groups apart, as a
// disjunction over the values the targets in have. It is "" when in holds
// every target. Computed from the targets themselves, it never asks the
// marker algebra for a complement, which grows with every target.
func concreteMarker(in map[*view]bool, all []*view) string {
	var inside, outside []*view
	for _, v := range all {
		if in[v] {
			inside = append(inside, v)
		} else {
			outside = append(outside, v)
		}
	}
	if len(outside) == 0 {
		return ""
	}
	choices := [][]string{{"platform_machine"}, {"python_version"}, {"python_full_version"},
		{"platform_machine", "python_version"}, {"platform_machine", "python_full_version"}}
	for i, vars := range choices {
		tuple := func(v *view) string {
			parts := make([]string, len(vars))
			for j, name := range vars {
				parts[j] = name + " == \"" + v.env[name] + "\""
			}
			return strings.Join(parts, " and ")
		}
		seen := map[string]bool{}
		var terms []string
		for _, v := range inside {
			if t := tuple(v); !seen[t] {
				seen[t] = true
				terms = append(terms, t)
			}
		}
		clash := slices.ContainsFunc(outside, func(v *view) bool { return seen[tuple(v)] })
		if clash && i < len(choices)-1 {
			continue
		}
		sort.Strings(terms)
		if len(terms) > 1 && len(vars) > 1 {
			for j, t := range terms {
				terms[j] = "(" + t + ")"
			}
		}
		return strings.Join(terms, " or ")
	}
	return ""
}

// viewsIn is the views of all that in holds, in the order of all.
func viewsIn(in map[*view]bool, all []*view) []*view {
	var out []*view
	for _, v := range all {
		if in[v] {
			out = append(out, v)
		}
	}
	return out
}

// rulesOrDefault is NewRules for t, or for the default target when t
// is not one resolution can use; the requirement grammar is the same.
func rulesOrDefault(t Target) Rules {
	if r, err := NewRules(t); err == nil {
		return r
	}
	r, _ := NewRules(Target{})
	return r
}
