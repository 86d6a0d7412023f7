package main

import (
	"github.com/spf13/cobra"

	"github.com/machnix/machnix/internal/options"
)

func newDockerCmd(g *options.Global) *cobra.Command {
	var bf options.Build
	var im options.Image
	cmd := &cobra.Command{
		Use:   "docker (-r requirements.txt | PROJECT_DIR | --lock machnix.lock) --tag REF [--push | --oci-layout DIR | --docker-archive FILE]",
		Short: "Build a lock's environment with Nix, then a layered OCI image of it",
		Long: `docker does what machnix build does, then what machnix image does with the
environment's store path: the image's entrypoint is the environment's python.
It prints the manifest digest. A project directory is locked and built as
machnix build does; --entrypoint can name its console script.

Exit codes: 0 built and written or pushed; 1 a library is missing, the build
or the push failed; 2 bad usage or a bad lock.`,
		Example: `  machnix docker -r requirements.txt --tag registry.example.org/team/app:v1 --push
  machnix docker --lock machnix.lock --tag registry.example.org/team/app:v1 --push
  machnix docker --lock machnix.lock --tag app:v1 --docker-archive app.tar && docker load < app.tar`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			bf.Resolve.Projects = args
			if err := im.Check(g); err != nil {
				return err
			}
			b, err := bf.Run(cmd.Context(), cmd.ErrOrStderr(), g)
			if err != nil {
				return err
			}
			im.System = b.Lock.Target.System
			spec := im.Spec([]string{b.Path})
			if spec.NeedsDriver, err = b.NeedsDriver(cmd.Context(), cmd.ErrOrStderr()); err != nil {
				return err
			}
			return writeImage(cmd, g, spec, &im, b.Summary)
		},
	}
	options.AddBuildFlags(cmd, &bf)
	options.AddImageFlags(cmd, &im)
	return cmd
}
