package pipeline

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/machnix/machnix/fetch"
	"github.com/machnix/machnix/nixbuild"
	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/resolve/project"
	"github.com/machnix/machnix/resolve/reqfile"
)

// DefaultIndex is PyPI's simple index, used when neither the inputs nor the
// requirements files name one.
const DefaultIndex = "https://pypi.org/simple"

// Inputs are what Resolve pins: requirements files and where to look.
type Inputs struct {
	// Requirements are requirements files, or pyproject.toml files whose
	// [project] dependencies (and the optional-dependencies groups in
	// Extras) are read.
	Requirements []string `json:"requirements"`
	// Constraints are constraints files (pip's -c).
	Constraints []string `json:"constraints,omitempty"`
	Extras      []string `json:"extras,omitempty"`
	// Target is what to resolve for; an empty Python means the pinned
	// nixpkgs' python3, else resolve.DefaultPython.
	Target resolve.Target `json:"target"`
	// Universal resolves one lock for every combination of Systems
	// (default: every supported system) and Pythons (default: Target's
	// Python), with Target's glibc. Without it Systems and Pythons hold
	// at most Target's one value.
	Universal bool     `json:"universal,omitempty"`
	Systems   []string `json:"systems,omitempty"`
	Pythons   []string `json:"pythons,omitempty"`
	// IndexURL is the primary index; "" means the requirements files',
	// else DefaultIndex. ExtraIndexURLs are asked only for projects the
	// earlier ones lack.
	IndexURL       string   `json:"index_url,omitempty"`
	ExtraIndexURLs []string `json:"extra_index_urls,omitempty"`
	// FindLinks are local directories of wheels and sdists, asked before
	// the indexes; NoIndex asks them alone.
	FindLinks []string `json:"find_links,omitempty"`
	NoIndex   bool     `json:"no_index,omitempty"`
	// Providers are NAME=ORDER rows (numpy=sdist,nixpkgs), over the
	// config's.
	Providers []string `json:"providers,omitempty"`
	Pre       bool     `json:"pre,omitempty"`
	// Resolution is "highest" (also ""), "lowest" or "lowest-direct"
	// (resolve.ParseResolution).
	Resolution string `json:"resolution,omitempty"`
	// Previous is the lock being refreshed: its pins are kept while they
	// fit, except for the packages in Upgrade; its nixpkgs pin is kept
	// unless Nixpkgs names another.
	Previous *resolve.Lock `json:"previous,omitempty"`
	Upgrade  []string      `json:"upgrade,omitempty"`
	// Nixpkgs pins nixpkgs: a local checkout, or a tarball URL with its
	// NixpkgsHash (prefetched when empty).
	Nixpkgs     string `json:"nixpkgs,omitempty"`
	NixpkgsHash string `json:"nixpkgs_hash,omitempty"`
	// Timeout ends a network request that receives nothing for so long;
	// zero means fetch.DefaultTimeout, negative waits for ever.
	Timeout time.Duration `json:"timeout,omitempty"`
	// Projects are local project directories to lock, each optionally
	// with extras ("." or "../app[extra]"), relative to the working
	// directory; requirements files may name more.
	Projects []string `json:"projects,omitempty"`
	// LockDir is the directory of the lock file being written, which a
	// local project's path is recorded relative to; "" is the working
	// directory.
	LockDir string `json:"lock_dir,omitempty"`
}

// requirementsRead is what the requirements files say, merged.
type requirementsRead struct {
	requirements, constraints []string
	// origins maps a requirement to the file:line it was read from.
	origins               map[string]string
	hashes                map[string][]string
	indexURL              string
	extraIndex, findLinks []string
	noIndex, pre          bool
	onlyBinary, noBinary  []string
	projects              []reqfile.Project
}

func readRequirements(ctx context.Context, in Inputs) (*requirementsRead, error) {
	if len(in.Requirements) == 0 && len(in.Projects) == 0 {
		return nil, errors.New("give at least one requirements file with -r, or a project directory")
	}
	if len(in.Extras) > 0 && !slices.ContainsFunc(in.Requirements, isPyproject) {
		return nil, errors.New("--extra selects optional-dependencies of a pyproject.toml; give one with -r")
	}
	r := &requirementsRead{
		hashes: map[string][]string{}, origins: map[string]string{}, indexURL: in.IndexURL, extraIndex: slices.Clone(in.ExtraIndexURLs),
		findLinks: slices.Clone(in.FindLinks), noIndex: in.NoIndex, pre: in.Pre,
	}
	var err error
	if r.projects, err = projectArgs(in.Projects); err != nil {
		return nil, err
	}
	for _, path := range in.Constraints {
		file, err := reqfile.Parse(path, reqfile.WithContext(ctx))
		if err != nil {
			return nil, err
		}
		for _, e := range append(file.Requirements, file.Constraints...) {
			r.constraints = append(r.constraints, e.Requirement)
		}
	}
	for _, path := range in.Requirements {
		var file *reqfile.File
		var err error
		if isPyproject(path) {
			file, err = reqfile.ParsePyproject(path, in.Extras)
		} else {
			file, err = reqfile.Parse(path, reqfile.WithContext(ctx))
		}
		if err != nil {
			return nil, err
		}
		r.requirements = append(r.requirements, file.RequirementStrings()...)
		for _, e := range file.Requirements {
			if _, ok := r.origins[e.Requirement]; !ok {
				r.origins[e.Requirement] = origin(e)
			}
		}
		for _, e := range file.Constraints {
			r.constraints = append(r.constraints, e.Requirement)
		}
		for name, hs := range file.Hashes() {
			r.hashes[name] = append(r.hashes[name], hs...)
		}
		if r.indexURL == "" {
			r.indexURL = file.IndexURL
		}
		r.extraIndex = append(r.extraIndex, file.ExtraIndexURLs...)
		r.findLinks = append(r.findLinks, file.FindLinks...)
		r.noIndex = r.noIndex || file.NoIndex
		r.pre = r.pre || file.Pre
		r.onlyBinary = append(r.onlyBinary, file.OnlyBinary...)
		r.noBinary = append(r.noBinary, file.NoBinary...)
		r.projects = append(r.projects, file.Projects...)
	}
	if r.indexURL == "" {
		r.indexURL = DefaultIndex
	}
	return r, nil
}

// origin is where a requirements file entry is: "file:line", or the file
// alone when the line is not known.
func origin(e reqfile.Entry) string {
	if e.Line <= 0 {
		return e.File
	}
	return e.File + ":" + strconv.Itoa(e.Line)
}

func isPyproject(path string) bool { return filepath.Base(path) == "pyproject.toml" }

// Resolve pins the requirements for the target into a lock. The lock is
// returned, not written: WriteLock is the caller's.
func Resolve(ctx context.Context, in Inputs, cfg *Config) (*resolve.Lock, error) {
	resolution, err := resolve.ParseResolution(in.Resolution)
	if err != nil {
		return nil, err
	}
	r, err := readRequirements(ctx, in)
	if err != nil {
		return nil, err
	}
	// The pin is the inputs', else the previous lock's: refreshing a lock
	// keeps the nixpkgs it was made with.
	pin, err := nixbuild.ParsePin(ctx, in.Nixpkgs, in.NixpkgsHash)
	if err != nil {
		return nil, err
	}
	if pin == nil && in.Previous != nil {
		pin = in.Previous.Nixpkgs
	}
	var pinDir string
	if pin != nil {
		if pinDir, err = nixbuild.RealisePin(ctx, pin); err != nil {
			return nil, failed(err)
		}
	}
	// Without a Python asked for, the target's is the one the nixpkgs in
	// use calls python3, so that the wheels chosen fit the interpreter
	// Nix builds with.
	if in.Target.Python == "" {
		in.Target.Python = resolve.DefaultPython
		if pinDir != "" {
			v, err := nixbuild.PythonVersion(ctx, pinDir)
			if err != nil {
				return nil, failed(err)
			}
			in.Target.Python = v
		}
	}
	if err := in.Target.Validate(); err != nil {
		return nil, err
	}
	targets, err := universalTargets(in)
	if err != nil {
		return nil, err
	}
	rules, err := resolve.NewRules(in.Target)
	if err != nil {
		return nil, err
	}
	providers, err := cfg.providers(in.Providers)
	if err != nil {
		return nil, err
	}
	projectTargets := targets
	if !in.Universal {
		projectTargets = []resolve.Target{in.Target}
	}
	locals, err := readProjects(ctx, r.projects, projectTargets)
	if errors.Is(err, project.ErrBackend) {
		return nil, failed(err)
	}
	if err != nil {
		return nil, err
	}
	roots := slices.Clone(r.requirements)
	for _, lp := range locals {
		for _, req := range lp.requires {
			if _, ok := r.origins[req]; !ok {
				r.origins[req] = lp.origin
			}
			if !slices.Contains(roots, req) {
				roots = append(roots, req)
			}
		}
	}
	// Local directories come first, then the indexes in priority order.
	timeout := fetch.WithClientTimeout(in.Timeout)
	indexes := &fetch.Indexes{Strategy: fetch.FirstIndex, ClientOptions: []fetch.ClientOption{timeout}}
	var urls, used []string
	for _, dir := range r.findLinks {
		if strings.Contains(dir, "://") && !strings.HasPrefix(dir, "file://") {
			return nil, fmt.Errorf("--find-links %s: only local directories are supported; use --extra-index-url for an index", dir)
		}
		local, err := fetch.NewFindLinks(strings.TrimPrefix(dir, "file://"))
		if err != nil {
			return nil, err
		}
		indexes.List = append(indexes.List, local)
		used = append(used, local.URL())
	}
	if !r.noIndex {
		urls = append([]string{r.indexURL}, r.extraIndex...)
	}
	for _, u := range urls {
		indexes.List = append(indexes.List, fetch.NewClient(u, timeout))
	}
	if len(indexes.List) == 0 {
		return nil, errors.New("--no-index leaves nothing to resolve from; add --find-links DIR")
	}
	opts := []resolve.Option{
		resolve.WithRules(rules), resolve.WithIndex(indexes), resolve.WithTarget(in.Target),
		resolve.WithProviders(providers), resolve.WithPre(r.pre), resolve.WithUpgrade(in.Upgrade...),
		resolve.WithBinaryRules(r.onlyBinary, r.noBinary), resolve.WithConstraints(r.constraints...),
		resolve.WithPrevious(in.Previous), resolve.WithOrigins(r.origins), resolve.WithResolution(resolution),
	}
	if len(r.hashes) > 0 {
		opts = append(opts, resolve.WithHashes(r.hashes))
	}
	br := buildResolution{rules: rules, index: indexes, previous: in.Previous, upgrade: in.Upgrade, pre: r.pre,
		settings: Settings{Timeout: in.Timeout}}
	if pin != nil {
		br.catalog = resolve.NewNixInstantiateCatalog(pinDir, in.Target.PythonAttr())
		opts = append(opts, resolve.WithNixpkgs(br.catalog))
	}
	var lock *resolve.Lock
	if in.Universal {
		lock, err = resolve.ResolveUniversal(ctx, roots, append(opts, resolve.WithUniverse(resolve.Universe{Targets: targets}))...)
	} else {
		lock, err = resolve.Resolve(ctx, roots, opts...)
	}
	if errors.Is(err, resolve.ErrBadRequirement) {
		return nil, err
	}
	if err != nil {
		return nil, failed(err)
	}
	if err := addLocal(lock, locals, in.LockDir); err != nil {
		return nil, err
	}
	br.local = map[string][]string{}
	for _, lp := range locals {
		br.local[lp.meta.Name] = lp.meta.BuildRequires
	}
	if in.Universal {
		if err := pinUniversalBuildRequirements(ctx, lock, br, pinDir); err != nil {
			return nil, err
		}
	} else if err := pinBuildRequirements(ctx, lock, br); err != nil {
		return nil, err
	}
	lock.Nixpkgs = pin
	lock.Indexes = used
	for _, u := range urls {
		lock.Indexes = append(lock.Indexes, fetch.Redact(u))
	}
	return lock, nil
}

// universalTargets are the targets of a universal resolution: every
// system (default: all supported) with every Python (default: the
// target's), each checked like a single target. Without Universal it
// checks that at most one of each was given.
func universalTargets(in Inputs) ([]resolve.Target, error) {
	if !in.Universal {
		if len(in.Systems) > 1 || len(in.Pythons) > 1 {
			return nil, errors.New("--system and --python take several values only with --universal")
		}
		return nil, nil
	}
	systems, pythons := in.Systems, in.Pythons
	if len(systems) == 0 {
		systems = resolve.SupportedSystems
	}
	if len(pythons) == 0 {
		pythons = []string{in.Target.Python}
	}
	var out []resolve.Target
	for _, py := range pythons {
		for _, sys := range systems {
			t := resolve.Target{Python: py, System: sys, Glibc: in.Target.Glibc}.WithDefaults()
			if err := t.Validate(); err != nil {
				return nil, err
			}
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out, nil
}
