package options

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/machnix/machnix/autopatch"
	"github.com/machnix/machnix/pipeline"
	"github.com/machnix/machnix/resolve"
)

// Resolve are the flags that say what to resolve and for which target;
// build, env and docker take them too, to resolve before building.
type Resolve struct {
	Requirements []string
	Constraints  []string
	Extras       []string
	// Python and System hold one value each, or several with Universal.
	Python      []string
	System      []string
	Universal   bool
	Glibc       string
	IndexURL    string
	ExtraIndex  []string
	FindLinks   []string
	NoIndex     bool
	Providers   []string
	Pre         bool
	Resolution  string
	Upgrade     []string
	Nixpkgs     string
	NixpkgsHash string
	// Projects are local project directories, the commands' arguments.
	Projects []string
}

// Resolving reports whether the command resolves (requirements files or
// projects given) rather than reading a lock.
func (r *Resolve) Resolving() bool { return len(r.Requirements) > 0 || len(r.Projects) > 0 }

// AddResolveFlags adds them to cmd.
func AddResolveFlags(cmd *cobra.Command, r *Resolve) {
	f := cmd.Flags()
	stringArrayVarP(f, &r.Requirements, "requirement", "r", nil, "requirements file, or a pyproject.toml (repeatable)")
	stringArrayVarP(f, &r.Constraints, "constraint", "c", nil, "constraints file: limits versions of packages something requires (repeatable)")
	stringArrayVar(f, &r.Extras, "extra", nil, "optional-dependencies group of a -r pyproject.toml to include (repeatable)")
	stringArrayVar(f, &r.Python, "python", nil, "target Python version (default: python3 of the pinned nixpkgs, else "+resolve.DefaultPython+"); a universal lock's target to use; repeatable with resolve --universal")
	stringArrayVar(f, &r.System, "system", nil, "target Nix system: x86_64-linux or aarch64-linux (default: "+resolve.DefaultSystem+"; for a universal lock, this machine's); repeatable with resolve --universal")
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

// AddUniversalFlag adds resolve's --universal.
func AddUniversalFlag(cmd *cobra.Command, r *Resolve) {
	cmd.Flags().BoolVar(&r.Universal, "universal", false, "one lock for every --system and --python given (default: x86_64-linux and aarch64-linux, with the nixpkgs Python): resolution forks where requirements differ by marker")
}

func first(vs []string, fallback string) string {
	if len(vs) == 0 {
		return fallback
	}
	return vs[0]
}

// Inputs are the flags as pipeline.Resolve takes them.
func (r *Resolve) Inputs(g *Global, previous *resolve.Lock) pipeline.Inputs {
	return pipeline.Inputs{
		Requirements: r.Requirements, Constraints: r.Constraints, Extras: r.Extras,
		Target:    resolve.Target{Python: first(r.Python, ""), System: first(r.System, resolve.DefaultSystem), Glibc: r.Glibc},
		Universal: r.Universal, Systems: r.System, Pythons: r.Python,
		IndexURL: r.IndexURL, ExtraIndexURLs: r.ExtraIndex, FindLinks: r.FindLinks, NoIndex: r.NoIndex,
		Providers: r.Providers, Pre: r.Pre, Resolution: r.Resolution, Previous: previous, Upgrade: r.Upgrade,
		Nixpkgs: r.Nixpkgs, NixpkgsHash: r.NixpkgsHash, Timeout: g.NetTimeout(), Projects: r.Projects,
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
	if !r.Resolving() {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("%s does not exist: resolve requirements into it with -r requirements.txt or a project directory (or machnix lock -r requirements.txt), or name another lock with --lock", path)
		}
		lock, err := resolve.ReadLock(path)
		if err != nil {
			return nil, nil, err
		}
		if err := pipeline.CheckProjects(lock, filepath.Dir(path)); err != nil {
			return nil, nil, err
		}
		lock, err = r.ForTarget(lock)
		return lock, cfg, err
	}
	lock, err := r.resolveInto(ctx, g, cfg, path, true)
	if err != nil {
		return nil, nil, err
	}
	lock, err = r.ForTarget(lock)
	return lock, cfg, err
}

// ForTarget is the lock a command that builds works from: a universal
// lock's projection onto --system (else this machine's system) and
// --python, a single-target lock as it is.
func (r *Resolve) ForTarget(lock *resolve.Lock) (*resolve.Lock, error) {
	if len(r.System) > 1 || len(r.Python) > 1 {
		return nil, errors.New("--system and --python take one value each here; only resolve --universal takes several")
	}
	return lock.ForTarget(first(r.System, autopatch.HostSystem()), first(r.Python, ""))
}

// ResolveInto resolves and writes the lock to path; an existing lock there
// is the previous one, whose pins are kept while they fit. A universal
// previous lock stays universal unless --system or --python name the
// targets anew.
func (r *Resolve) ResolveInto(ctx context.Context, g *Global, cfg *pipeline.Config, path string) (*resolve.Lock, error) {
	return r.resolveInto(ctx, g, cfg, path, false)
}

// resolveInto is ResolveInto; with picking, --system and --python only
// pick the target a command builds (ForTarget, afterwards), so a
// universal previous lock keeps all its targets whatever they say.
func (r *Resolve) resolveInto(ctx context.Context, g *Global, cfg *pipeline.Config, path string, picking bool) (*resolve.Lock, error) {
	var previous *resolve.Lock
	if _, err := os.Stat(path); err == nil {
		if previous, err = resolve.ReadLock(path); err != nil {
			return nil, err
		}
	}
	in := r.Inputs(g, previous)
	if previous != nil && len(previous.Targets) > 0 && !r.Universal && (picking || len(r.System) == 0 && len(r.Python) == 0) {
		// Refreshing a universal lock keeps it universal, for its targets
		// and no others.
		in.Universal, in.Target.Glibc = true, previous.Targets[0].Glibc
		in.Systems, in.Pythons = nil, nil
		for _, t := range previous.Targets {
			if !slices.Contains(in.Systems, t.System) {
				in.Systems = append(in.Systems, t.System)
			}
			if !slices.Contains(in.Pythons, t.Python) {
				in.Pythons = append(in.Pythons, t.Python)
			}
		}
		in.Target.Python = in.Pythons[0]
	}
	in.LockDir = filepath.Dir(path)
	lock, err := pipeline.Resolve(ctx, in, cfg)
	if err != nil {
		return nil, err
	}
	pipeline.KeepNative(lock, previous)
	return lock, resolve.WriteLock(path, lock)
}

// RecordNative writes what the inspection of p found into the lock at
// path when this run resolved it (-r or a project directory): a lock
// machnix writes is one Nix builds from alone.
func (r *Resolve) RecordNative(path string, p *pipeline.Prepared) error {
	if !r.Resolving() {
		return nil
	}
	return pipeline.RecordNative(path, p)
}
