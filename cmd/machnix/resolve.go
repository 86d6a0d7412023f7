package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/machnix/machnix/internal/options"
	"github.com/machnix/machnix/pipeline"
	"github.com/machnix/machnix/resolve"
)

func newResolveCmd(g *options.Global) *cobra.Command {
	var fl options.Resolve
	var out string
	var asJSON, noInspect bool
	cmd := &cobra.Command{
		Use:     "resolve [-r requirements.txt] [PROJECT_DIR[extras]...] [-o machnix.lock]",
		Aliases: []string{"lock"},
		Short:   "Pin requirements for one Python and platform into a lock",
		Long: `resolve reads requirements files (PEP 508 lines, -r/-c, --index-url,
--extra-index-url, --hash, --pre, --only-binary/--no-binary), asks the
indexes for the candidates (PEP 691/503, metadata from PEP 658 files or HTTP
range reads), and pins every package for the target with a solver that
learns from conflicts, newest versions first (--resolution lowest or
lowest-direct: oldest first). An existing lock's pins are kept while they
still fit; --upgrade-package lets one move. When nothing fits, the error
explains the chain of conflicting requirements, one step per line.

A project directory (., ../app, .[extra]) is locked as a local package: its
pyproject.toml dependencies become root requirements, its files are
recorded by hash. machnix lock is another name for resolve.

Indexes have an explicit priority: a project found on an earlier index is
never taken from a later one (no dependency confusion). With --universal the
lock serves every --system and --python at once.

Exit codes: 0 written; 1 no solution or an index failed; 2 bad usage or a bad
requirements file.`,
		Example: `  machnix resolve -r requirements.txt -o machnix.lock
  machnix resolve -r requirements.txt --python 3.12 --system aarch64-linux --upgrade-package numpy
  machnix resolve -r requirements.txt --universal --python 3.12 --python 3.13`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fl.Projects = args
			cfg, err := g.LoadConfig()
			if err != nil {
				return err
			}
			lock, err := fl.ResolveInto(cmd.Context(), g, cfg, out)
			if err != nil {
				return err
			}
			if !noInspect { // Nix builds from the lock alone: inspect the wheels
				p, err := options.Prepare(cmd.Context(), cmd.ErrOrStderr(), (&options.Lock{}).Settings(g, cfg), lock)
				if err == nil {
					err = pipeline.RecordNative(out, p)
				}
				if err != nil {
					return err
				}
			}
			return printPins(cmd, out, asJSON, lock)
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "machnix.lock", "lock file to write")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON summary of the pins")
	cmd.Flags().BoolVar(&noInspect, "no-inspect", false, "pin only: leave out the wheels' native inputs (no download); machnix build records them, and the Nix library refuses a wheel without them")
	options.AddResolveFlags(cmd, &fl)
	options.AddUniversalFlag(cmd, &fl)
	return cmd
}

// printPins says what was pinned: a line each, or a JSON summary.
func printPins(cmd *cobra.Command, out string, asJSON bool, lock *resolve.Lock) error {
	if asJSON {
		type pin struct {
			Name     string           `json:"name"`
			Version  string           `json:"version"`
			Provider resolve.Provider `json:"provider"`
		}
		summary := struct {
			Lock     string `json:"lock"`
			Packages []pin  `json:"packages"`
		}{Lock: out}
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
