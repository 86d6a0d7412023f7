package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/machnix/machnix/fetch"
	"github.com/machnix/machnix/internal/termsafe"
)

// Exit codes shared by every subcommand.
const (
	exitOK       = 0
	exitProblem  = 1 // the command ran and found or hit a problem: a missing library, a failed build
	exitBadInput = 2 // bad usage or unreadable input
)

// exitError carries an exit code out of a subcommand. Errors without one are
// treated as bad input, since that is what cobra's own errors are.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// problem marks err as a failure of the work itself (exit 1).
func problem(err error) error { return &exitError{code: exitProblem, err: err} }

// silentProblem exits 1 without printing: the command already reported.
var errSilentProblem = &exitError{code: exitProblem}

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
	root.PersistentFlags().String("config", "", "project file with [sonames], [providers] and [overrides.<pkg>] tables (default: ./machnix.toml when present)")
	root.PersistentFlags().Duration("timeout", fetch.DefaultTimeout, "fail a network request that receives nothing for this long (e.g. 90s, 2m); it is retried once or more first; 0 waits for ever")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if d := netTimeout(cmd); d < 0 {
			return fmt.Errorf("--timeout %s: give a duration of 0 or more, such as 30s", d)
		}
		return nil
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(
		newDiagnoseCmd(),
		newResolveCmd(),
		newFetchCmd(),
		newImageCmd(),
		newGenCmd(),
		newBuildCmd(),
		newEnvCmd(),
		newDockerCmd(),
	)
	return root
}

// netTimeout is the global --timeout, for every subcommand that talks to
// a server.
func netTimeout(cmd *cobra.Command) time.Duration {
	d, err := cmd.Flags().GetDuration("timeout")
	if err != nil {
		return fetch.DefaultTimeout
	}
	return d
}

// run executes machnix with args and returns the process exit code. It is
// what main calls, and what tests call.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			printError(stderr, ee.err)
		}
		return ee.code
	}
	printError(stderr, err)
	return exitBadInput
}

// printError writes err for a terminal. Errors quote file names, URLs and
// servers' words, so their control characters are escaped: none may move
// the cursor, retitle the window or clear the screen.
func printError(w io.Writer, err error) {
	fmt.Fprintln(w, "machnix:", termsafe.Message(err.Error()))
}
