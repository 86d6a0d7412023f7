package options

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/machnix/machnix/nixbuild"
	"github.com/machnix/machnix/oci"
	"github.com/machnix/machnix/pipeline"
	"github.com/machnix/machnix/resolve"
)

// Image are the flags that say what image to make and where it goes.
type Image struct {
	Tags          []string
	Push          bool
	OCILayout     string
	DockerArchive string
	MaxLayers     int
	Format        string
	Entrypoint    string
	Cmd           []string
	Env           []string
	User          string
	Workdir       string
	Labels        []string
	Expose        []string
	System        string
	Insecure      bool
	Jobs          int
	CacheDir      string
	Compression   string
	// Store and TrustedPublicKeys: where image takes its store paths from
	// when this machine lacks them.
	Store             string
	TrustedPublicKeys []string
}

// AddImageFlags adds them to cmd, except image's own (AddImageOnlyFlags):
// --system, which docker takes from the lock, and --store.
func AddImageFlags(cmd *cobra.Command, im *Image) {
	f := cmd.Flags()
	stringArrayVarP(f, &im.Tags, "tag", "t", nil, "image reference, e.g. registry.example.org/app:v1 (repeatable)")
	f.BoolVar(&im.Push, "push", false, "push to the registry of every --tag")
	f.StringVar(&im.OCILayout, "oci-layout", "", "write the image into this OCI layout directory")
	f.StringVar(&im.DockerArchive, "docker-archive", "", "write a tarball that docker load accepts")
	f.IntVar(&im.MaxLayers, "max-layers", oci.DefaultMaxLayers, fmt.Sprintf("layer budget (at most %d)", oci.HardMaxLayers))
	f.StringVar(&im.Format, "format", string(oci.FormatOCI), "media types: oci or docker (schema 2)")
	f.StringVar(&im.Entrypoint, "entrypoint", "", "entrypoint program (default: the top-level path's bin/python)")
	stringArrayVar(f, &im.Cmd, "cmd", nil, "argument of the default command (repeatable, in order)")
	stringArrayVar(f, &im.Env, "env", nil, "environment variable K=V (repeatable)")
	f.StringVar(&im.User, "user", "", "user (and group) the image runs as, e.g. 1000:1000")
	f.StringVar(&im.Workdir, "workdir", "", "working directory")
	stringArrayVar(f, &im.Labels, "label", nil, "label K=V (repeatable)")
	stringArrayVar(f, &im.Expose, "expose", nil, "exposed port, e.g. 8080 or 53/udp (repeatable)")
	f.BoolVar(&im.Insecure, "insecure", false, "allow plain HTTP to the registries of the tags")
	f.IntVar(&im.Jobs, "jobs", 4, "layers compressed and uploaded at once")
	f.StringVar(&im.Compression, "compression", string(oci.Gzip), "layer compression: gzip, or zstd (smaller, faster to unpack; OCI format only)")
	f.StringVar(&im.CacheDir, "cache-dir", "", "layer cache (default: $MACHNIX_CACHE_DIR/layers, else the user cache dir's machnix/layers)")
	completeValues(cmd, "format", string(oci.FormatOCI), string(oci.FormatDocker))
	completeValues(cmd, "compression", string(oci.Gzip), string(oci.Zstd))
}

// AddImageOnlyFlags adds the flags image has and docker has not: --system, the store paths'
// system, and --store with its --trusted-public-keys, where the paths
// come from.
func AddImageOnlyFlags(cmd *cobra.Command, im *Image) {
	cmd.Flags().StringVar(&im.System, "system", "x86_64-linux", "Nix system of the store paths: x86_64-linux or aarch64-linux")
	completeValues(cmd, "system", resolve.SupportedSystems...)
	cmd.Flags().StringVar(&im.Store, "store", "", "copy the paths' closure from this store first: a binary cache (file:///DIR, https://HOST, s3://BUCKET), ssh://HOST, or a local store directory")
	addTrustedKeysFlag(cmd, &im.TrustedPublicKeys)
}

// Check refuses, before any work, flags that cannot go together: where
// the image goes, and zstd layers in Docker schema 2, which has no media
// type for them.
func (im *Image) Check(g *Global) error {
	if im.Store != "" {
		if err := nixbuild.CheckStoreURL(im.Store); err != nil {
			return err
		}
	}
	for _, k := range im.TrustedPublicKeys {
		if err := nixbuild.CheckPublicKey(k); err != nil {
			return err
		}
	}
	if oci.Compression(im.Compression) == oci.Zstd && oci.Format(im.Format) == oci.FormatDocker {
		return fmt.Errorf("--compression zstd and --format docker do not go together: Docker schema 2 has no zstd layer type; drop --format docker (OCI media types) or use --compression gzip")
	}
	return im.Outputs(g).Check()
}

// Spec is the image of roots as pipeline.Image takes it.
func (im *Image) Spec(roots []string) pipeline.ImageSpec {
	return pipeline.ImageSpec{
		Roots: roots, System: im.System, Entrypoint: im.Entrypoint, Cmd: im.Cmd, Env: im.Env, Labels: im.Labels,
		Expose: im.Expose, User: im.User, Workdir: im.Workdir, Format: oci.Format(im.Format),
		Compression: oci.Compression(im.Compression), MaxLayers: im.MaxLayers, Jobs: im.Jobs, CacheDir: im.CacheDir,
		From: im.Store, TrustedPublicKeys: im.TrustedPublicKeys,
	}
}

// Outputs are where the image goes, as pipeline.Publish takes them.
func (im *Image) Outputs(g *Global) pipeline.Outputs {
	return pipeline.Outputs{Tags: im.Tags, Push: im.Push, OCILayout: im.OCILayout, DockerArchive: im.DockerArchive,
		Insecure: im.Insecure, Jobs: im.Jobs, Timeout: g.NetTimeout()}
}
