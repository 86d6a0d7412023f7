package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/machnix/machnix/nixbuild"
	"github.com/machnix/machnix/oci"
)

type imageFlags struct {
	tags          []string
	push          bool
	ociLayout     string
	dockerArchive string
	maxLayers     int
	format        string
	entrypoint    string
	cmd           []string
	env           []string
	user          string
	workdir       string
	labels        []string
	expose        []string
	system        string
	insecure      bool
	jobs          int
	cacheDir      string
	compression   string
}

func newImageCmd() *cobra.Command {
	var fl imageFlags
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
and PATH to its bin directory. The manifest digest is printed.

Exit codes: 0 the image was written or pushed; 1 pushing or writing failed;
2 bad usage or bad store paths.`,
		Example: `  machnix image ./result --tag registry.example.org/team/app:v1 --push
  machnix image /nix/store/...-python3-env --oci-layout ./oci --tag app:v1
  machnix image ./result --docker-archive app.tar --tag app:v1 --cmd -m --cmd http.server --expose 8000`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImage(cmd, args, fl)
		},
	}
	addImageFlags(cmd, &fl)
	cmd.Flags().StringVar(&fl.system, "system", "x86_64-linux", "Nix system of the store paths: x86_64-linux or aarch64-linux")
	return cmd
}

// addImageFlags adds the image flags shared with docker, where the system
// comes from the lock instead of a flag.
func addImageFlags(cmd *cobra.Command, fl *imageFlags) {
	f := cmd.Flags()
	stringArrayVarP(f, &fl.tags, "tag", "t", nil, "image reference, e.g. registry.example.org/app:v1 (repeatable)")
	f.BoolVar(&fl.push, "push", false, "push to the registry of every --tag")
	f.StringVar(&fl.ociLayout, "oci-layout", "", "write the image into this OCI layout directory")
	f.StringVar(&fl.dockerArchive, "docker-archive", "", "write a tarball that docker load accepts")
	f.IntVar(&fl.maxLayers, "max-layers", oci.DefaultMaxLayers, fmt.Sprintf("layer budget (at most %d)", oci.HardMaxLayers))
	f.StringVar(&fl.format, "format", string(oci.FormatOCI), "media types: oci or docker (schema 2)")
	f.StringVar(&fl.entrypoint, "entrypoint", "", "entrypoint program (default: the top-level path's bin/python)")
	stringArrayVar(f, &fl.cmd, "cmd", nil, "argument of the default command (repeatable, in order)")
	stringArrayVar(f, &fl.env, "env", nil, "environment variable K=V (repeatable)")
	f.StringVar(&fl.user, "user", "", "user (and group) the image runs as, e.g. 1000:1000")
	f.StringVar(&fl.workdir, "workdir", "", "working directory")
	stringArrayVar(f, &fl.labels, "label", nil, "label K=V (repeatable)")
	stringArrayVar(f, &fl.expose, "expose", nil, "exposed port, e.g. 8080 or 53/udp (repeatable)")
	f.BoolVar(&fl.insecure, "insecure", false, "allow plain HTTP to registries other than localhost")
	f.IntVar(&fl.jobs, "jobs", 4, "layers compressed and uploaded at once")
	f.StringVar(&fl.compression, "compression", string(oci.Gzip), "layer compression: gzip, or zstd (smaller, faster to unpack; OCI format only)")
	f.StringVar(&fl.cacheDir, "cache-dir", "", "layer cache (default: the user cache dir's machnix/layers)")
}

func runImage(cmd *cobra.Command, args []string, fl imageFlags) error {
	if err := checkImageOutputs(fl); err != nil {
		return err
	}
	return writeImage(cmd, args, fl)
}

func checkImageOutputs(fl imageFlags) error {
	if !fl.push && fl.ociLayout == "" && fl.dockerArchive == "" {
		return errors.New("say where the image goes: --push, --oci-layout DIR or --docker-archive FILE")
	}
	if (fl.push || fl.dockerArchive != "") && len(fl.tags) == 0 {
		return errors.New("--push and --docker-archive need at least one --tag")
	}
	return nil
}

// writeImage builds the image of the store paths' closure, writes it to
// every output asked for, and prints its manifest digest.
func writeImage(cmd *cobra.Command, args []string, fl imageFlags) error {
	roots := make([]string, len(args))
	for i, a := range args {
		// ./result is an out-link: the image holds what it points to.
		p, err := filepath.EvalSymlinks(a)
		if err != nil {
			return fmt.Errorf("%s: %w", a, errors.Unwrap(err))
		}
		roots[i] = p
	}
	top := roots[len(roots)-1]
	cfg, err := imageConfig(top, fl)
	if err != nil {
		return err
	}
	infos, err := nixbuild.QueryClosure(cmd.Context(), roots...)
	if err != nil {
		return err
	}
	closure := oci.Closure{Root: top}
	for _, p := range infos {
		closure.Paths = append(closure.Paths, oci.StorePath{Path: p.Path, References: p.References, NarSize: p.NarSize})
	}
	cacheDir := fl.cacheDir
	if cacheDir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return err
		}
		cacheDir = filepath.Join(base, "machnix", "layers")
	}
	progress := newLayerProgress(cmd.ErrOrStderr())
	defer progress.end()
	img, err := oci.Build(closure, cfg, oci.WithCacheDir(cacheDir), oci.WithMaxLayers(fl.maxLayers), oci.WithJobs(fl.jobs),
		oci.WithCompression(oci.Compression(fl.compression)), oci.WithProgress(progress.update))
	if err != nil {
		return err
	}
	progress.end()
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	if fl.ociLayout != "" {
		tag := ""
		if len(fl.tags) > 0 {
			tag = fl.tags[0]
		}
		if err := oci.WriteLayout(fl.ociLayout, img, tag); err != nil {
			return problem(err)
		}
	}
	if fl.dockerArchive != "" {
		if err := oci.WriteDockerArchive(fl.dockerArchive, img, fl.tags); err != nil {
			return problem(err)
		}
	}
	if fl.push {
		if err := oci.Push(cmd.Context(), img, fl.tags, oci.PushOptions{Insecure: fl.insecure, Jobs: fl.jobs, Progress: progress.update, IdleTimeout: pushTimeout(cmd)}); err != nil {
			return problem(err)
		}
	}
	fmt.Fprintln(cmd.OutOrStdout(), digest)
	return nil
}

// imageConfig turns the flags into an oci.Config, filling in the defaults
// that make an environment's image run its python.
func imageConfig(top string, fl imageFlags) (oci.Config, error) {
	cfg := oci.Config{
		Cmd: fl.cmd, User: fl.user, WorkingDir: fl.workdir, ExposedPorts: fl.expose,
		System: fl.system, Format: oci.Format(fl.format),
	}
	switch {
	case fl.entrypoint != "":
		cfg.Entrypoint = []string{fl.entrypoint}
	default:
		if python := filepath.Join(top, "bin", "python"); fileExists(python) {
			cfg.Entrypoint = []string{python}
		}
	}
	cfg.Env = []string{"PATH=" + filepath.Join(top, "bin") + ":/bin:/usr/bin"}
	for _, kv := range fl.env {
		k, _, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return cfg, fmt.Errorf("--env %q: want K=V", kv)
		}
		if k == "PATH" {
			cfg.Env[0] = kv
			continue
		}
		cfg.Env = append(cfg.Env, kv)
	}
	for _, kv := range fl.labels {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return cfg, fmt.Errorf("--label %q: want K=V", kv)
		}
		if cfg.Labels == nil {
			cfg.Labels = map[string]string{}
		}
		cfg.Labels[k] = v
	}
	return cfg, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// pushTimeout is --timeout as oci.PushOptions takes it: 0 there means the
// default, and --timeout 0 means no timeout.
func pushTimeout(cmd *cobra.Command) time.Duration {
	if d := netTimeout(cmd); d > 0 {
		return d
	}
	return -1
}
