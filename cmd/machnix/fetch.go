package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/machnix/machnix/internal/options"
	"github.com/machnix/machnix/internal/progress"
	"github.com/machnix/machnix/pipeline"
	"github.com/machnix/machnix/resolve"
)

func newFetchCmd(g *options.Global) *cobra.Command {
	var lockPath string
	var offline, asJSON bool
	var jobs int
	cmd := &cobra.Command{
		Use:   "fetch",
		Short: "Download and verify every file a lock names into the cache",
		Long: `fetch downloads each wheel and sdist named in the lock into a content-addressed
cache ($MACHNIX_CACHE_DIR, else the user's cache directory + /machnix), verifying
its sha256, and prints a line per file: its cached path, a tab, its file name
(cut -f1 gives the paths). A file whose hash does not match is
deleted and the command fails. Exit codes: 0 ok, 1 a download failed or a file
is missing offline, 2 bad usage or an unreadable lock.`,
		Example: `  machnix fetch --lock machnix.lock
  machnix fetch --offline --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			lock, err := resolve.ReadLock(lockPath)
			if err == nil {
				lock, err = (&options.Resolve{}).ForTarget(lock) // this machine's
			}
			if err != nil {
				return err
			}
			opts, done := progress.Fetching(cmd.ErrOrStderr(), len(lock.Packages))
			defer done()
			s := pipeline.Settings{Offline: offline, Jobs: jobs, Timeout: g.NetTimeout()}
			arts, err := pipeline.Fetch(cmd.Context(), lock, s, opts...)
			if err != nil {
				return err
			}
			done()
			fmt.Fprint(cmd.ErrOrStderr(), progress.Summary{Fetched: arts})
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(arts)
			}
			return progress.WriteArtifacts(cmd.OutOrStdout(), arts)
		},
	}
	cmd.Flags().StringVar(&lockPath, "lock", "machnix.lock", "lock file to fetch")
	cmd.Flags().BoolVar(&offline, "offline", false, "use only the cache; fail naming any missing file")
	cmd.Flags().IntVar(&jobs, "jobs", 4, "downloads in flight at once")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the artifacts as JSON")
	return cmd
}
