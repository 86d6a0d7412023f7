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
	p, err := prepareLock(cmd, l.Settings(g, cfg), lock)
	if err != nil {
		return nil, err
	}
	return p, r.RecordNative(l.Lock, p)
}

func prepareLock(cmd *cobra.Command, s pipeline.Settings, lock *resolve.Lock) (*pipeline.Prepared, error) {
	opts, done := progress.Fetching(cmd.ErrOrStderr(), len(lock.Packages))
	defer done()
	return pipeline.Prepare(cmd.Context(), lock, s, opts...)
}

func newGenCmd(g *options.Global) *cobra.Command {
	var fl options.Lock
	var r options.Resolve
	var out string
	cmd := &cobra.Command{
		Use:   "gen (-r requirements.txt | --lock machnix.lock) -o DIR",
		Short: "Write the Nix expression for a lock",
		Long: `gen resolves (-r, as build does) or reads the lock, fetches its files, checks every
native library, and writes into DIR default.nix (a call of machnix's Nix library, in
DIR/machnix-lib: mkPython with the lock and machnix.toml's overrides; it takes { pkgs ?
<the lock's nixpkgs, else <nixpkgs>>, python ? pkgs.pythonXY }), shell.nix (a shell with
the environment), nixpkgs.nix and the lock with each wheel's native inputs.

Exit codes: 0 written; 1 a library is missing or a download failed; 2 bad
usage or a bad lock.`,
		Example: `  machnix gen -r requirements.txt -o nix/ && nix-build nix/`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := prepare(cmd, g, &r, &fl)
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
	options.AddResolveFlags(cmd, &r)
	cmd.Flags().StringVarP(&out, "output", "o", ".", "directory to write default.nix and machnix.lock into")
	return cmd
}

func newBuildCmd(g *options.Global) *cobra.Command {
	var fl options.Build
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
--max-jobs, --cores, --builders, --option NAME VALUE and --show-trace;
--substituters and --trusted-public-keys add binary caches, and --cache URL
with --cache-key FILE pushes the built closure there, signed.

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
			fl.Resolve.Projects = args
			b, err := buildEnv(cmd, g, &fl)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), b.path)
			fmt.Fprint(cmd.ErrOrStderr(), b.sum)
			return nil
		},
	}
	options.AddBuildFlags(cmd, &fl)
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
func buildEnv(cmd *cobra.Command, g *options.Global, fl *options.Build) (*built, error) {
	nix, err := fl.Nix.NixOptions()
	if err != nil {
		return nil, err
	}
	lock, cfg, err := fl.Resolve.ReadLockOrResolve(cmd.Context(), g, fl.Lock.Lock)
	if err != nil {
		return nil, err
	}
	sum := progress.NewSummary(lock, fl.Resolve.Resolving(), fl.Lock.Lock, nix.OutLink)
	b := &built{lock: lock, settings: fl.Lock.Settings(g, cfg), sum: sum}
	if path, ok := pipeline.UpToDate(lock, b.settings, nix); ok {
		b.path, b.sum.UpToDate = path, true
		b.sum.Cached, err = pipeline.Push(cmd.Context(), b.path, nix)
		return b, err
	}
	if b.prepared, err = prepareLock(cmd, b.settings, lock); err != nil {
		return nil, err
	}
	if err := fl.Resolve.RecordNative(fl.Lock.Lock, b.prepared); err != nil {
		return nil, err
	}
	bar := progress.NewNix(cmd.ErrOrStderr())
	defer bar.End()
	b.path, err = pipeline.Build(cmd.Context(), b.prepared, nix, pipeline.WithBuildProgress(bar.Update))
	b.sum.Fetched = b.prepared.Artifacts
	bar.Fill(&b.sum)
	if err == nil {
		b.sum.Cached, err = pipeline.Push(cmd.Context(), b.path, nix)
	}
	return b, err
}
