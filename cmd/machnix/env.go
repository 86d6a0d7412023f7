package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/machnix/machnix/internal/options"
	"github.com/machnix/machnix/internal/progress"
	"github.com/machnix/machnix/pipeline"
)

func newEnvCmd(g *options.Global) *cobra.Command {
	var fl options.Lock
	var r options.Resolve
	cmd := &cobra.Command{
		Use:   "env DIR (-r requirements.txt | PROJECT_DIR | --lock machnix.lock)",
		Short: "Write a folder that nix-shell turns into the environment",
		Long: `env (resolves requirements into DIR/machnix.lock,) fetches and checks the lock's
files, and writes DIR: default.nix, shell.nix, nixpkgs.nix (the nixpkgs the
lock is pinned to) and machnix.lock. Then, on any machine with Nix,

  nix-shell DIR/shell.nix

enters a shell with the environment's python first on PATH (Nix reads
DIR/default.nix for a bare nix-shell DIR), and nix-build DIR builds the
environment itself. Pin nixpkgs with --nixpkgs so
that every machine builds the same thing; without a pin the folder uses
<nixpkgs>. The files machnix fetched are added to the local store, so this
machine downloads nothing twice.

Exit codes: 0 written; 1 a library is missing, no solution, or a download
failed; 2 bad usage, a bad lock or a bad requirements file.`,
		Example: `  machnix env ./env -r requirements.txt --nixpkgs https://github.com/NixOS/nixpkgs/archive/nixos-24.11.tar.gz
  nix-shell ./env/shell.nix --run 'python -c "import numpy"'
  machnix env ./env --lock machnix.lock
  machnix env ./env .   # the project's dependencies, to develop it in nix-shell`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			r.Projects = args[1:]
			if r.Resolving() {
				// The lock is resolved into DIR; otherwise DIR is made
				// only once everything it will hold has been checked.
				if err := os.MkdirAll(dir, 0o755); err != nil {
					return err
				}
				if !cmd.Flags().Changed("lock") {
					fl.Lock = filepath.Join(dir, "machnix.lock")
				}
			} else if cmd.Flags().Changed("nixpkgs") {
				return errors.New("--nixpkgs is recorded when resolving: use it with -r, or with machnix resolve")
			}
			p, err := r.Prepare(cmd.Context(), cmd.ErrOrStderr(), g, &fl)
			if err != nil {
				return err
			}
			expr, err := pipeline.Generate(p)
			if err != nil {
				return err
			}
			if err := expr.WriteDir(dir); err != nil {
				return err
			}
			if err := pipeline.AddToStore(cmd.Context(), p); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), dir)
			fmt.Fprint(cmd.ErrOrStderr(), progress.EnvSummary(p, r.Resolving(), fl.Lock, dir))
			return nil
		},
	}
	options.AddLockFlags(cmd, &fl)
	options.AddResolveFlags(cmd, &r)
	return cmd
}
