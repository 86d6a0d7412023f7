package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/machnix/machnix/internal/options"
	"github.com/machnix/machnix/internal/termsafe"
	"github.com/machnix/machnix/pipeline"
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
	options.SuggestFlags(root)
	options.AddVersion(root)
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
	args, err := options.JoinNixPairs(root, args)
	if err == nil {
		root.SetArgs(args)
		err = root.ExecuteContext(ctx)
	}
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
