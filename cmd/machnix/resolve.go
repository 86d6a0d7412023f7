package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/machnix/machnix/fetch"
	"github.com/machnix/machnix/nixbuild"
	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/resolve/reqfile"
)

// defaultIndex is PyPI's simple index, used when neither the flags nor the
// requirements file name one.
const defaultIndex = "https://pypi.org/simple"

type resolveFlags struct {
	requirements []string
	constraints  []string
	extras       []string
	out          string
	python       string
	system       string
	glibc        string
	indexURL     string
	extraIndex   []string
	findLinks    []string
	noIndex      bool
	providers    []string
	pre          bool
	upgrade      []string
	json         bool
	nixpkgs      string
	nixpkgsHash  string
}

func newResolveCmd() *cobra.Command {
	var fl resolveFlags
	cmd := &cobra.Command{
		Use:   "resolve -r requirements.txt [-o machnix.lock]",
		Short: "Pin requirements for one Python and platform into a lock",
		Long: `resolve reads requirements files (PEP 508 lines, -r/-c, --index-url,
--extra-index-url, --hash, --pre, --only-binary/--no-binary), asks the
indexes for the candidates (PEP 691/503, metadata from PEP 658 files or HTTP
range reads), and pins every package for the target with a backjumping
solver, newest versions first. An existing lock's pins are kept while they
still fit; --upgrade-package lets one move. When nothing fits, the error
explains the chain of conflicting requirements.

Indexes have an explicit priority: a project found on an earlier index is
never taken from a later one (no dependency confusion).

Exit codes: 0 written; 1 no solution or an index failed; 2 bad usage or a bad
requirements file.`,
		Example: `  machnix resolve -r requirements.txt -o machnix.lock
  machnix resolve -r requirements.txt --python 3.12 --system aarch64-linux --upgrade-package numpy`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runResolve(cmd, fl) },
	}
	cmd.Flags().StringVarP(&fl.out, "output", "o", "machnix.lock", "lock file to write")
	cmd.Flags().BoolVar(&fl.json, "json", false, "print a JSON summary of the pins")
	addResolveFlags(cmd, &fl)
	return cmd
}

// addResolveFlags adds the flags that say what to resolve and for which
// target; build and docker take them too, to resolve before building.
func addResolveFlags(cmd *cobra.Command, fl *resolveFlags) {
	f := cmd.Flags()
	stringArrayVarP(f, &fl.requirements, "requirement", "r", nil, "requirements file, or a pyproject.toml (repeatable)")
	stringArrayVarP(f, &fl.constraints, "constraint", "c", nil, "constraints file: limits versions of packages something requires (repeatable)")
	stringArrayVar(f, &fl.extras, "extra", nil, "optional-dependencies group of a -r pyproject.toml to include (repeatable)")
	f.StringVar(&fl.python, "python", resolve.DefaultPython, "target Python version")
	f.StringVar(&fl.system, "system", resolve.DefaultSystem, "target Nix system: x86_64-linux or aarch64-linux")
	f.StringVar(&fl.glibc, "glibc", resolve.DefaultGlibc, "target glibc: the newest manylinux_x_y accepted")
	f.StringVar(&fl.indexURL, "index-url", "", "primary index (default: the requirements file's, else PyPI)")
	stringArrayVar(f, &fl.extraIndex, "extra-index-url", nil, "further index, asked only for projects earlier ones lack (repeatable)")
	stringArrayVarP(f, &fl.findLinks, "find-links", "f", nil, "local directory of wheels and sdists, asked before the indexes (repeatable)")
	f.BoolVar(&fl.noIndex, "no-index", false, "ask no index: only --find-links directories")
	stringArrayVar(f, &fl.providers, "provider", nil, "provider order per package, e.g. numpy=sdist,nixpkgs or _default=wheel,nixpkgs (repeatable)")
	f.BoolVar(&fl.pre, "pre", false, "allow pre-releases for every package")
	stringArrayVar(f, &fl.upgrade, "upgrade-package", nil, "let this package's pin move (repeatable)")
	f.StringVar(&fl.nixpkgs, "nixpkgs", "", "pin nixpkgs, recorded in the lock: a local checkout, or a tarball URL (its hash is prefetched unless --nixpkgs-hash gives it); the nixpkgs provider offers its Python packages")
	f.StringVar(&fl.nixpkgsHash, "nixpkgs-hash", "", "SRI sha256 of the unpacked --nixpkgs tarball")
}

func runResolve(cmd *cobra.Command, fl resolveFlags) error {
	lock, err := resolveLock(cmd, fl)
	if err != nil {
		return err
	}
	return printPins(cmd, fl, lock)
}

// resolveLock resolves the requirements files and writes the lock to fl.out.
func resolveLock(cmd *cobra.Command, fl resolveFlags) (*resolve.Lock, error) {
	if len(fl.requirements) == 0 {
		return nil, errors.New("give at least one requirements file with -r")
	}
	cfg, err := configFor(cmd)
	if err != nil {
		return nil, err
	}
	var reqs []string
	hashes := map[string][]string{}
	indexURL, extra := fl.indexURL, append([]string(nil), fl.extraIndex...)
	findLinks, noIndex := append([]string(nil), fl.findLinks...), fl.noIndex
	pre := fl.pre
	var onlyBinary, noBinary []string
	var constraints []string
	for _, path := range fl.constraints {
		file, err := reqfile.Parse(path, reqfile.WithContext(cmd.Context()))
		if err != nil {
			return nil, err
		}
		for _, e := range append(file.Requirements, file.Constraints...) {
			constraints = append(constraints, e.Requirement)
		}
	}
	if len(fl.extras) > 0 && !slices.ContainsFunc(fl.requirements, isPyproject) {
		return nil, errors.New("--extra selects optional-dependencies of a pyproject.toml; give one with -r")
	}
	for _, path := range fl.requirements {
		parse := reqfile.Parse
		if isPyproject(path) {
			parse = func(p string, _ ...reqfile.Option) (*reqfile.File, error) {
				return reqfile.ParsePyproject(p, fl.extras)
			}
		}
		file, err := parse(path, reqfile.WithContext(cmd.Context()))
		if err != nil {
			return nil, err
		}
		reqs = append(reqs, file.RequirementStrings()...)
		for _, e := range file.Constraints {
			constraints = append(constraints, e.Requirement)
		}
		for name, hs := range file.Hashes() {
			hashes[name] = append(hashes[name], hs...)
		}
		if indexURL == "" {
			indexURL = file.IndexURL
		}
		extra = append(extra, file.ExtraIndexURLs...)
		findLinks = append(findLinks, file.FindLinks...)
		noIndex = noIndex || file.NoIndex
		pre = pre || file.Pre
		onlyBinary = append(onlyBinary, file.OnlyBinary...)
		noBinary = append(noBinary, file.NoBinary...)
	}
	if indexURL == "" {
		indexURL = defaultIndex
	}
	target := resolve.Target{Python: fl.python, System: fl.system, Glibc: fl.glibc}
	if err := target.Validate(); err != nil {
		return nil, err
	}
	rules, err := resolve.NewRules(target)
	if err != nil {
		return nil, err
	}
	table, err := cfg.providerTable()
	if err != nil {
		return nil, err
	}
	providers, err := resolve.ProvidersFromMap(table)
	if err != nil {
		return nil, fmt.Errorf("%s [providers]: %w", cfg.path, err)
	}
	flagProviders, err := resolve.ParseProviderFlags(fl.providers)
	if err != nil {
		return nil, err
	}
	for k, v := range flagProviders {
		if providers == nil {
			providers = resolve.ProviderPrefs{}
		}
		providers[k] = v
	}
	// Local directories come first, then the indexes in priority order.
	timeout := fetch.WithClientTimeout(netTimeout(cmd))
	indexes := &fetch.Indexes{Strategy: fetch.FirstIndex, ClientOptions: []fetch.ClientOption{timeout}}
	var urls, used []string
	for _, dir := range findLinks {
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
	if !noIndex {
		urls = append([]string{indexURL}, extra...)
	}
	for _, u := range urls {
		indexes.List = append(indexes.List, fetch.NewClient(u, timeout))
	}
	if len(indexes.List) == 0 {
		return nil, errors.New("--no-index leaves nothing to resolve from; add --find-links DIR")
	}
	opts := resolve.Options{
		Rules: rules, Index: indexes, Providers: providers, Pre: pre, Upgrade: fl.upgrade,
		OnlyBinary: onlyBinary, NoBinary: noBinary, Target: target, Constraints: constraints,
	}
	if len(hashes) > 0 {
		opts.Hashes = hashes
	}
	if _, err := os.Stat(fl.out); err == nil {
		prev, err := resolve.ReadLock(fl.out)
		if err != nil {
			return nil, err
		}
		opts.Previous = prev
	}
	// The pin is the flag's, else the existing lock's: re-resolving keeps
	// the nixpkgs it was made with.
	pin, err := nixbuild.ParsePin(cmd.Context(), fl.nixpkgs, fl.nixpkgsHash)
	if err != nil {
		return nil, err
	}
	if pin == nil && opts.Previous != nil {
		pin = opts.Previous.Nixpkgs
	}
	if pin != nil {
		dir, err := nixbuild.RealisePin(cmd.Context(), pin)
		if err != nil {
			return nil, problem(err)
		}
		opts.Nixpkgs = resolve.NewNixInstantiateCatalog(dir, target.PythonAttr())
	}
	lock, err := resolve.Resolve(cmd.Context(), reqs, opts)
	if errors.Is(err, resolve.ErrBadRequirement) {
		return nil, err
	}
	if err != nil {
		return nil, problem(err)
	}
	lock.Nixpkgs = pin
	lock.Indexes = used
	for _, u := range urls {
		lock.Indexes = append(lock.Indexes, fetch.Redact(u))
	}
	if err := resolve.WriteLock(fl.out, lock); err != nil {
		return nil, err
	}
	return lock, nil
}

func isPyproject(path string) bool { return filepath.Base(path) == "pyproject.toml" }

func printPins(cmd *cobra.Command, fl resolveFlags, lock *resolve.Lock) error {
	if fl.json {
		type pin struct {
			Name     string           `json:"name"`
			Version  string           `json:"version"`
			Provider resolve.Provider `json:"provider"`
		}
		summary := struct {
			Lock     string `json:"lock"`
			Packages []pin  `json:"packages"`
		}{Lock: fl.out}
		for _, p := range lock.Packages {
			summary.Packages = append(summary.Packages, pin{p.Name, p.Version, p.Provider})
		}
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		return enc.Encode(summary)
	}
	for _, p := range lock.Packages {
		fmt.Fprintf(cmd.OutOrStdout(), "%s==%s (%s)\n", p.Name, p.Version, p.Provider)
	}
	return nil
}
