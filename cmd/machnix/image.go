package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/machnix/machnix/internal/options"
	"github.com/machnix/machnix/internal/progress"
	"github.com/machnix/machnix/pipeline"
)

func newImageCmd(g *options.Global) *cobra.Command {
	var im options.Image
	cmd := &cobra.Command{
		Use:   "image STOREPATH... --tag REF",
		Short: "Build a layered OCI image from Nix store paths",
		Long: `image builds a layered, reproducible OCI image from the closure of the given
store paths (nix-store -qR). No image tarball goes into the Nix store.

Layers: each path's popularity is how many closure paths reach it; the
--max-layers - 1 most popular paths (the interpreter, glibc, large shared
dependencies) get a layer each, and the rest share the last layer together
with the top-level path (the last STOREPATH given). Changing one package
therefore changes only the layers that hold it. Tar entries are sorted, owned
by root, and dated SOURCE_DATE_EPOCH or 1970-01-01T00:00:01Z, so the same
paths give the same manifest digest anywhere.

The entrypoint defaults to the top-level path's bin/python when it has one,
and PATH to its bin directory. The manifest digest is printed. With --store
URL (a binary cache or another store) what the local store lacks of the
closure is copied from there first, checked against --trusted-public-keys.

Exit codes: 0 the image was written or pushed; 1 pushing or writing failed;
2 bad usage or bad store paths.`,
		Example: `  machnix image ./result --tag registry.example.org/team/app:v1 --push
  machnix image /nix/store/...-python3-env --oci-layout ./oci --tag app:v1
  machnix image ./result --docker-archive app.tar --tag app:v1 --cmd -m --cmd http.server --expose 8000`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := im.Check(g); err != nil {
				return err
			}
			return writeImage(cmd, g, im.Spec(args), &im, progress.Summary{})
		},
	}
	options.AddImageFlags(cmd, &im)
	options.AddImageOnlyFlags(cmd, &im)
	return cmd
}

// writeImage builds the image spec asks for, writes it to every output
// asked for, and prints its manifest digest.
func writeImage(cmd *cobra.Command, g *options.Global, spec pipeline.ImageSpec, im *options.Image, sum progress.Summary) error {
	layers := progress.NewLayers(cmd.ErrOrStderr())
	defer layers.End()
	watch := pipeline.WithImageProgress(layers.Update)
	img, err := pipeline.Image(cmd.Context(), spec, watch, pipeline.WithCopied(func(n int) { sum.Copied = n }))
	if err != nil {
		return err
	}
	layers.End()
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	if err := pipeline.Publish(cmd.Context(), img, im.Outputs(g), watch); err != nil {
		return err
	}
	layers.End()
	sum.Published(im.Outputs(g), digest.String())
	fmt.Fprintln(cmd.OutOrStdout(), digest)
	fmt.Fprint(cmd.ErrOrStderr(), sum)
	return nil
}
