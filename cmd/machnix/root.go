package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/machnix/machnix/internal/options"
	"github.com/machnix/machnix/internal/termsafe"
	"github.com/machnix/machnix/pipeline"
	"github.com/machnix/machnix/resolve"
)

// Exit codes shared by every subcommand.
const (
	exitOK       = 0
	exitProblem  = 1 // the command ran and found or hit a problem: a missing library, a failed build
	exitBadInput = 2 // bad usage or unreadable input
)

// errSilentProblem exits 1 without printing: the command already reported.
var errSilentProblem = errors.New("reported")

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "machnix",
		Short: "Reproducible Python environments and OCI images, built by Nix",
		Long: `machnix resolves Python requirements into a lock, checks that every native
library the wheels need has a provider in nixpkgs, generates a Nix expression,
builds it with nix-build, and can ship the result as a layered OCI image.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	g := &options.Global{}
	options.AddGlobalFlags(root, g)
	root.PersistentPreRunE = func(*cobra.Command, []string) error { return g.Check() }
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newDiagnoseCmd(g), newResolveCmd(g), newFetchCmd(g), newImageCmd(g), newGenCmd(g),
		newBuildCmd(g), newEnvCmd(g), newDockerCmd(g))
	return root
}

// run executes machnix with args and returns the process exit code. It is
// what main calls, and what tests call.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errSilentProblem):
		return exitProblem
	}
	// Errors quote file names, URLs and servers' words, so their control
	// characters are escaped: none may move the cursor, retitle the
	// window or clear the screen.
	fmt.Fprintln(stderr, "machnix:", termsafe.Message(err.Error()))
	if errors.Is(err, pipeline.ErrFailed) {
		return exitProblem
	}
	return exitBadInput
}

// readLockOrResolve returns the lock a command works from: resolved from
// -r into the lock file (keeping the pins that still fit), or read from it.
func readLockOrResolve(cmd *cobra.Command, g *options.Global, r *options.Resolve, path string) (*resolve.Lock, *pipeline.Config, error) {
	cfg, err := g.LoadConfig()
	if err != nil {
		return nil, nil, err
	}
	if len(r.Requirements) == 0 {
		lock, err := resolve.ReadLock(path)
		return lock, cfg, err
	}
	lock, err := resolveInto(cmd, g, r, cfg, path)
	return lock, cfg, err
}

// resolveInto resolves and writes the lock to path; an existing lock there
// is the previous one, whose pins are kept while they fit.
func resolveInto(cmd *cobra.Command, g *options.Global, r *options.Resolve, cfg *pipeline.Config, path string) (*resolve.Lock, error) {
	var previous *resolve.Lock
	if _, err := os.Stat(path); err == nil {
		if previous, err = resolve.ReadLock(path); err != nil {
			return nil, err
		}
	}
	lock, err := pipeline.Resolve(cmd.Context(), r.Inputs(g, previous), cfg)
	if err != nil {
		return nil, err
	}
	return lock, resolve.WriteLock(path, lock)
}
