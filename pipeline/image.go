package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/machnix/machnix/fetch"
	"github.com/machnix/machnix/nixbuild"
	"github.com/machnix/machnix/oci"
)

// ImageSpec says what image to make of store paths.
type ImageSpec struct {
	// Roots are store paths (or out-links to them); the image holds their
	// closure, and the last is the top-level path whose bin/python is the
	// default entrypoint.
	Roots []string `json:"roots"`
	// System is the Nix system of the paths: x86_64-linux or aarch64-linux.
	System string `json:"system"`
	// Entrypoint replaces the top-level path's bin/python; Cmd are the
	// default command's arguments.
	Entrypoint string   `json:"entrypoint,omitempty"`
	Cmd        []string `json:"cmd,omitempty"`
	// Env (K=V, PATH replacing the default), Labels (K=V) and Expose
	// (8080, 53/udp) go into the config as they are.
	Env     []string `json:"env,omitempty"`
	Labels  []string `json:"labels,omitempty"`
	Expose  []string `json:"expose,omitempty"`
	User    string   `json:"user,omitempty"`
	Workdir string   `json:"workdir,omitempty"`
	// NeedsDriver says the environment loads the GPU driver (a wheel's
	// report has Driver or LoadsDriver): the config then asks the NVIDIA
	// container toolkit for the driver (driverEnv). Env wins per key.
	NeedsDriver bool `json:"needs_driver,omitempty"`
	// Format is oci or docker media types; Compression gzip or zstd.
	Format      oci.Format      `json:"format,omitempty"`
	Compression oci.Compression `json:"compression,omitempty"`
	// MaxLayers is the layer budget, Jobs how many layers compress at
	// once, CacheDir the layer cache ("" means DefaultLayerCacheDir).
	MaxLayers int    `json:"max_layers,omitempty"`
	Jobs      int    `json:"jobs,omitempty"`
	CacheDir  string `json:"cache_dir,omitempty"`
	// From is a store that holds the roots' closure (a binary cache, an
	// SSH store or a local store directory): what this machine lacks of
	// it is copied from there first, checked against TrustedPublicKeys
	// and the keys Nix trusts. Roots are then store paths, not out-links.
	From              string   `json:"from,omitempty"`
	TrustedPublicKeys []string `json:"trusted_public_keys,omitempty"`
}

// Image builds a layered, reproducible image of the closure of spec's
// store paths.
func Image(ctx context.Context, spec ImageSpec, opts ...Option) (v1.Image, error) {
	h := makeHooks(opts)
	if len(spec.Roots) == 0 {
		return nil, errors.New("give at least one store path")
	}
	if spec.From != "" {
		for _, r := range spec.Roots {
			if !nixbuild.IsStorePath(r) {
				return nil, fmt.Errorf("%s: with --store, give store paths (%s/HASH-NAME): an out-link is a file of the machine that built it", r, nixbuild.StoreDir())
			}
		}
		n, err := nixbuild.CopyFrom(ctx, spec.From, spec.TrustedPublicKeys, spec.Roots...)
		if err != nil {
			return nil, failed(err)
		}
		if h.copied != nil {
			h.copied(n)
		}
	}
	roots := make([]string, len(spec.Roots))
	for i, a := range spec.Roots {
		// ./result is an out-link: the image holds what it points to.
		p, err := filepath.EvalSymlinks(a)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", a, errors.Unwrap(err))
		}
		roots[i] = p
	}
	top := roots[len(roots)-1]
	cfg, err := imageConfig(top, spec)
	if err != nil {
		return nil, err
	}
	infos, err := nixbuild.QueryClosure(ctx, roots...)
	if err != nil {
		return nil, err
	}
	closure := oci.Closure{Root: top}
	for _, p := range infos {
		closure.Paths = append(closure.Paths, oci.StorePath{Path: p.Path, References: p.References, NarSize: p.NarSize})
	}
	cacheDir := spec.CacheDir
	if cacheDir == "" {
		if cacheDir, err = DefaultLayerCacheDir(); err != nil {
			return nil, err
		}
	}
	ociOpts := []oci.Option{oci.WithCacheDir(cacheDir)}
	if spec.Compression != "" {
		ociOpts = append(ociOpts, oci.WithCompression(spec.Compression))
	}
	if spec.MaxLayers != 0 {
		ociOpts = append(ociOpts, oci.WithMaxLayers(spec.MaxLayers))
	}
	if spec.Jobs > 0 {
		ociOpts = append(ociOpts, oci.WithJobs(spec.Jobs))
	}
	if h.imageProgress != nil {
		ociOpts = append(ociOpts, oci.WithProgress(h.imageProgress))
	}
	return oci.Build(closure, cfg, ociOpts...)
}

// imageConfig fills in the defaults that make an environment's image run
// its python.
func imageConfig(top string, spec ImageSpec) (oci.Config, error) {
	cfg := oci.Config{
		Cmd: spec.Cmd, User: spec.User, WorkingDir: spec.Workdir, ExposedPorts: spec.Expose,
		System: spec.System, Format: spec.Format,
	}
	if cfg.Format == "" {
		cfg.Format = oci.FormatOCI
	}
	switch {
	case spec.Entrypoint != "":
		cfg.Entrypoint = []string{spec.Entrypoint}
	default:
		if python := filepath.Join(top, "bin", "python"); fileExists(python) {
			cfg.Entrypoint = []string{python}
		}
	}
	cfg.Env = []string{"PATH=" + filepath.Join(top, "bin") + ":/bin:/usr/bin"}
	env := spec.Env
	if spec.NeedsDriver {
		env = append(driverEnv(spec.System), env...)
	}
	seen := map[string]int{}
	for _, kv := range env {
		k, _, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return cfg, fmt.Errorf("--env %q: want K=V", kv)
		}
		if k == "PATH" {
			cfg.Env[0] = kv
			continue
		}
		if i, ok := seen[k]; ok {
			cfg.Env[i] = kv // a later --env replaces the driver's default
			continue
		}
		seen[k] = len(cfg.Env)
		cfg.Env = append(cfg.Env, kv)
	}
	for _, kv := range spec.Labels {
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

// driverEnv is how a container finds the GPU driver: the NVIDIA container
// toolkit mounts the host's driver libraries when NVIDIA_VISIBLE_DEVICES
// names devices, those NVIDIA_DRIVER_CAPABILITIES asks for (compute for
// CUDA, utility for nvidia-smi and NVML), into the image's library
// directory (/usr/lib/<triple> or /usr/lib64); Nix-built libraries look in
// /run/opengl-driver/lib (autoAddDriverRunpath), which NixOS hosts and
// the toolkit's CDI mode can provide, and LD_LIBRARY_PATH adds the
// toolkit's directories after it.
func driverEnv(system string) []string {
	triple := "x86_64-linux-gnu"
	if system == "aarch64-linux" {
		triple = "aarch64-linux-gnu"
	}
	return []string{"NVIDIA_VISIBLE_DEVICES=all", "NVIDIA_DRIVER_CAPABILITIES=compute,utility",
		"LD_LIBRARY_PATH=/run/opengl-driver/lib:/usr/lib/" + triple + ":/usr/lib64"}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// Outputs say where an image goes.
type Outputs struct {
	// Tags are image references; Push uploads to the registry of each.
	Tags []string `json:"tags,omitempty"`
	Push bool     `json:"push,omitempty"`
	// OCILayout is a directory to write an OCI layout into (tagged with
	// the first tag), DockerArchive a tarball docker load accepts.
	OCILayout     string `json:"oci_layout,omitempty"`
	DockerArchive string `json:"docker_archive,omitempty"`
	// Insecure allows plain HTTP to the tags' registries.
	Insecure bool `json:"insecure,omitempty"`
	// Jobs is how many blobs upload at once.
	Jobs int `json:"jobs,omitempty"`
	// Timeout ends an upload request that makes no progress for so long;
	// zero means oci.DefaultIdleTimeout, negative waits for ever.
	Timeout time.Duration `json:"timeout,omitempty"`
}

// Check reports outputs that cannot be written: none at all, or a push or
// archive without a tag.
func (o Outputs) Check() error {
	if !o.Push && o.OCILayout == "" && o.DockerArchive == "" {
		return errors.New("say where the image goes: --push, --oci-layout DIR or --docker-archive FILE")
	}
	if (o.Push || o.DockerArchive != "") && len(o.Tags) == 0 {
		return errors.New("--push and --docker-archive need at least one --tag")
	}
	return nil
}

// Publish writes the image to every output asked for.
func Publish(ctx context.Context, img v1.Image, out Outputs, opts ...Option) error {
	h := makeHooks(opts)
	if err := out.Check(); err != nil {
		return err
	}
	if out.OCILayout != "" {
		tag := ""
		if len(out.Tags) > 0 {
			tag = out.Tags[0]
		}
		if err := oci.WriteLayout(out.OCILayout, img, tag); err != nil {
			return failed(err)
		}
	}
	if out.DockerArchive != "" {
		if err := oci.WriteDockerArchive(out.DockerArchive, img, out.Tags); err != nil {
			return failed(err)
		}
	}
	if out.Push {
		pushOpts := []oci.Option{oci.WithInsecure(out.Insecure), oci.WithIdleTimeout(out.Timeout)}
		if out.Jobs > 0 {
			pushOpts = append(pushOpts, oci.WithJobs(out.Jobs))
		}
		if h.imageProgress != nil {
			pushOpts = append(pushOpts, oci.WithProgress(h.imageProgress))
		}
		if err := oci.Push(ctx, img, out.Tags, pushOpts...); err != nil {
			return failed(err)
		}
	}
	return nil
}

// DefaultLayerCacheDir is the layer cache when none is named: "layers" in
// $MACHNIX_CACHE_DIR when it is set (so one variable moves every cache),
// else the user cache dir's machnix/layers.
func DefaultLayerCacheDir() (string, error) {
	base, err := fetch.DefaultCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(base, "layers"), nil
}
