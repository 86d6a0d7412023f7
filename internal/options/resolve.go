package options

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/machnix/machnix/pipeline"
	"github.com/machnix/machnix/resolve"
)

// Resolve are the flags that say what to resolve and for which target;
// build, env and docker take them too, to resolve before building.
type Resolve struct {
	Requirements []string
	Constraints  []string
	Extras       []string
	Python       string
	System       string
	Glibc        string
	IndexURL     string
	ExtraIndex   []string
	FindLinks    []string
	NoIndex      bool
	Providers    []string
	Pre          bool
	Resolution   string
	Upgrade      []string
	Nixpkgs      string
	NixpkgsHash  string
}

// AddResolveFlags adds them to cmd.
func AddResolveFlags(cmd *cobra.Command, r *Resolve) {
	f := cmd.Flags()
	stringArrayVarP(f, &r.Requirements, "requirement", "r", nil, "requirements file, or a pyproject.toml (repeatable)")
	stringArrayVarP(f, &r.Constraints, "constraint", "c", nil, "constraints file: limits versions of packages something requires (repeatable)")
	stringArrayVar(f, &r.Extras, "extra", nil, "optional-dependencies group of a -r pyproject.toml to include (repeatable)")
	f.StringVar(&r.Python, "python", "", "target Python version (default: python3 of the pinned nixpkgs, else "+resolve.DefaultPython+")")
	f.StringVar(&r.System, "system", resolve.DefaultSystem, "target Nix system: x86_64-linux or aarch64-linux")
	f.StringVar(&r.Glibc, "glibc", resolve.DefaultGlibc, "target glibc: the newest manylinux_x_y accepted")
	f.StringVar(&r.IndexURL, "index-url", "", "primary index (default: the requirements file's, else PyPI)")
	stringArrayVar(f, &r.ExtraIndex, "extra-index-url", nil, "further index, asked only for projects earlier ones lack (repeatable)")
	stringArrayVarP(f, &r.FindLinks, "find-links", "f", nil, "local directory of wheels and sdists, asked before the indexes (repeatable)")
	f.BoolVar(&r.NoIndex, "no-index", false, "ask no index: only --find-links directories")
	stringArrayVar(f, &r.Providers, "provider", nil, "provider order per package, e.g. numpy=sdist,nixpkgs or _default=wheel,nixpkgs (repeatable)")
	f.BoolVar(&r.Pre, "pre", false, "allow pre-releases for every package")
	f.StringVar(&r.Resolution, "resolution", "highest", "which versions to try first: highest, lowest, or lowest-direct (lowest for your own requirements only), to test a library's lower bounds")
	stringArrayVar(f, &r.Upgrade, "upgrade-package", nil, "let this package's pin move (repeatable)")
	f.StringVar(&r.Nixpkgs, "nixpkgs", "", "pin nixpkgs, recorded in the lock: a local checkout, or a tarball URL (its hash is prefetched unless --nixpkgs-hash gives it); the nixpkgs provider offers its Python packages")
	f.StringVar(&r.NixpkgsHash, "nixpkgs-hash", "", "SRI sha256 of the unpacked --nixpkgs tarball")
	completeValues(cmd, "python", resolve.SupportedPythons...)
	completeValues(cmd, "system", resolve.SupportedSystems...)
	completeValues(cmd, "resolution", string(resolve.ResolutionHighest), string(resolve.ResolutionLowest), string(resolve.ResolutionLowestDirect))
}

// completeValues makes shell completion offer values for cmd's flag.
func completeValues(cmd *cobra.Command, flag string, values ...string) {
	_ = cmd.RegisterFlagCompletionFunc(flag, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
}

// Inputs are the flags as pipeline.Resolve takes them.
func (r *Resolve) Inputs(g *Global, previous *resolve.Lock) pipeline.Inputs {
	return pipeline.Inputs{
		Requirements: r.Requirements, Constraints: r.Constraints, Extras: r.Extras,
		Target:   resolve.Target{Python: r.Python, System: r.System, Glibc: r.Glibc},
		IndexURL: r.IndexURL, ExtraIndexURLs: r.ExtraIndex, FindLinks: r.FindLinks, NoIndex: r.NoIndex,
		Providers: r.Providers, Pre: r.Pre, Resolution: r.Resolution, Previous: previous, Upgrade: r.Upgrade,
		Nixpkgs: r.Nixpkgs, NixpkgsHash: r.NixpkgsHash, Timeout: g.NetTimeout(),
	}
}

// ReadLockOrResolve returns the lock a command works from, and the config:
// resolved from -r into the lock file at path (keeping the pins that still
// fit), or read from it.
func (r *Resolve) ReadLockOrResolve(ctx context.Context, g *Global, path string) (*resolve.Lock, *pipeline.Config, error) {
	cfg, err := g.LoadConfig()
	if err != nil {
		return nil, nil, err
	}
	if len(r.Requirements) == 0 {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("%s does not exist: resolve requirements into it with -r requirements.txt (or machnix resolve -r requirements.txt), or name another lock with --lock", path)
		}
		lock, err := resolve.ReadLock(path)
		return lock, cfg, err
	}
	lock, err := r.ResolveInto(ctx, g, cfg, path)
	return lock, cfg, err
}

// ResolveInto resolves and writes the lock to path; an existing lock there
// is the previous one, whose pins are kept while they fit.
func (r *Resolve) ResolveInto(ctx context.Context, g *Global, cfg *pipeline.Config, path string) (*resolve.Lock, error) {
	var previous *resolve.Lock
	if _, err := os.Stat(path); err == nil {
		if previous, err = resolve.ReadLock(path); err != nil {
			return nil, err
		}
	}
	lock, err := pipeline.Resolve(ctx, r.Inputs(g, previous), cfg)
	if err != nil {
		return nil, err
	}
	return lock, resolve.WriteLock(path, lock)
}
