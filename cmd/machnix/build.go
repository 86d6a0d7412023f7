package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/machnix/machnix/internal/options"
	"github.com/machnix/machnix/internal/progress"
	"github.com/machnix/machnix/pipeline"
	"github.com/machnix/machnix/resolve"
)

// prepare reads the lock (or resolves it from -r) and fetches and inspects
// its files, with a bar on a terminal.
func prepare(cmd *cobra.Command, g *options.Global, r *options.Resolve, l *options.Lock) (*pipeline.Prepared, error) {
	lock, cfg, err := r.ReadLockOrResolve(cmd.Context(), g, l.Lock)
	if err != nil {
		return nil, err
	}
	return prepareLock(cmd, l.Settings(g, cfg), lock)
}

func prepareLock(cmd *cobra.Command, s pipeline.Settings, lock *resolve.Lock) (*pipeline.Prepared, error) {
	opts, done := progress.Fetching(cmd.ErrOrStderr(), len(lock.Packages))
	defer done()
	return pipeline.Prepare(cmd.Context(), lock, s, opts...)
}

func newGenCmd(g *options.Global) *cobra.Command {
	var fl options.Lock
	var out string
	cmd := &cobra.Command{
		Use:   "gen --lock machnix.lock -o DIR",
		Short: "Write the Nix expression for a lock",
		Long: `gen fetches the lock's files, checks every native library the wheels need, and
writes DIR/default.nix, DIR/shell.nix, DIR/nixpkgs.nix and a copy of the
lock. default.nix takes { pkgs ? <the lock's nixpkgs>, python ? pkgs.pythonXY }
and builds python.withPackages over one buildPythonPackage per wheel (and
python.pkgs.ATTR for packages nixpkgs provides), also when built inside a
nix-shell; shell.nix is a shell with that environment on PATH. The nixpkgs
is the one the lock is pinned to (resolve --nixpkgs), else <nixpkgs>.

Exit codes: 0 written; 1 a library is missing or a download failed; 2 bad
usage or a bad lock.`,
		Example: `  machnix gen --lock machnix.lock -o nix/
  nix-build nix/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := prepare(cmd, g, &options.Resolve{}, &fl)
			if err != nil {
				return err
			}
			expr, err := pipeline.Generate(p)
			if err != nil {
				return err
			}
			if err := expr.WriteDir(out); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), filepath.Join(out, "default.nix"))
			return nil
		},
	}
	options.AddLockFlags(cmd, &fl)
	cmd.Flags().StringVarP(&out, "output", "o", ".", "directory to write default.nix and machnix.lock into")
	return cmd
}

// buildFlags are build's, which docker takes too.
type buildFlags struct {
	resolve options.Resolve
	lock    options.Lock
	nix     options.Nix
}

func addBuildFlags(cmd *cobra.Command, fl *buildFlags) {
	options.AddLockFlags(cmd, &fl.lock)
	options.AddResolveFlags(cmd, &fl.resolve)
	options.AddNixFlags(cmd, &fl.nix)
}

func newBuildCmd(g *options.Global) *cobra.Command {
	var fl buildFlags
	cmd := &cobra.Command{
		Use:   "build (-r requirements.txt | PROJECT_DIR | --lock machnix.lock) [-o result]",
		Short: "Build a lock's Python environment with nix-build",
		Long: `build runs (resolve →) fetch → diagnose → gen → nix-build and prints the environment's
store path, keeping the out-link (-o, default ./result). A wheel whose native
library nothing provides stops the build before Nix, with the fix. The
wheels machnix fetched are added to the store first, so Nix downloads
nothing twice. An unchanged lock, config and options with the out-link still
in place is an immediate no-op.

Nix options pass through: -I, --arg NAME EXPR, --argstr NAME VALUE,
--max-jobs, --cores, --builders, --option NAME VALUE and --show-trace.

A project directory (machnix build .) is resolved into the lock first and
built with its locked dependencies; its console scripts are in the result.

Exit codes: 0 built; 1 a library is missing, a download or the build failed;
2 bad usage or a bad lock.`,
		Example: `  machnix build -r requirements.txt
  machnix build '.[cli]'

  machnix build --lock machnix.lock
  machnix build --lock machnix.lock -I nixpkgs=channel:nixos-unstable --max-jobs 8 --builders 'ssh://big x86_64-linux'`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fl.resolve.Projects = args
			b, err := buildEnv(cmd, g, &fl)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), b.path)
			fmt.Fprint(cmd.ErrOrStderr(), b.sum)
			return nil
		},
	}
	addBuildFlags(cmd, &fl)
	return cmd
}

// built is what buildEnv made: the environment, and what it was made from.
// prepared is nil when the out-link was up to date.
type built struct {
	path     string
	lock     *resolve.Lock
	settings pipeline.Settings
	prepared *pipeline.Prepared
	sum      progress.Summary
}

// buildEnv builds the lock's environment (resolving -r into it first). An
// unchanged lock, config and options with the out-link in place answer at
// once.
func buildEnv(cmd *cobra.Command, g *options.Global, fl *buildFlags) (*built, error) {
	nix, err := fl.nix.NixOptions()
	if err != nil {
		return nil, err
	}
	lock, cfg, err := fl.resolve.ReadLockOrResolve(cmd.Context(), g, fl.lock.Lock)
	if err != nil {
		return nil, err
	}
	sum := progress.NewSummary(lock, fl.resolve.Resolving(), fl.lock.Lock, nix.OutLink)
	b := &built{lock: lock, settings: fl.lock.Settings(g, cfg), sum: sum}
	if path, ok := pipeline.UpToDate(lock, b.settings, nix); ok {
		b.path, b.sum.UpToDate = path, true
		return b, nil
	}
	if b.prepared, err = prepareLock(cmd, b.settings, lock); err != nil {
		return nil, err
	}
	bar := progress.NewNix(cmd.ErrOrStderr())
	defer bar.End()
	b.path, err = pipeline.Build(cmd.Context(), b.prepared, nix, pipeline.WithBuildProgress(bar.Update))
	b.sum.Fetched = b.prepared.Artifacts
	b.sum.Built, b.sum.BuildTime = bar.Built()
	return b, err
}
