package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/machnix/machnix/internal/options"
	"github.com/machnix/machnix/pipeline"
)

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
			p, err := r.Prepare(cmd.Context(), cmd.ErrOrStderr(), g, &fl)
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
			b, err := fl.Run(cmd.Context(), cmd.ErrOrStderr(), g)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), b.Path)
			fmt.Fprint(cmd.ErrOrStderr(), b.Summary)
			return nil
		},
	}
	options.AddBuildFlags(cmd, &fl)
	return cmd
}
