package oci

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/machnix/machnix/internal/atomicfile"
)

// Format chooses the media types of the image.
type Format string

const (
	FormatOCI    Format = "oci"    // OCI image-spec media types (the default)
	FormatDocker Format = "docker" // Docker schema 2, for registries or tools that need it
)

// Config is what the image runs and how. It is a plain value so that the CLI
// and tests build it the same way.
type Config struct {
	Entrypoint []string          `json:"entrypoint,omitempty"`
	Cmd        []string          `json:"cmd,omitempty"`
	Env        []string          `json:"env,omitempty"`
	User       string            `json:"user,omitempty"`
	WorkingDir string            `json:"workingDir,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
	// ExposedPorts are "8080/tcp" or "8080" (tcp is implied).
	ExposedPorts []string `json:"exposedPorts,omitempty"`
	// System is the Nix system the closure was built for, e.g.
	// "x86_64-linux"; it sets the image's architecture.
	System string `json:"system"`
	// Created is the image's creation time, and the mtime of every tar entry.
	// Zero means Epoch, or SOURCE_DATE_EPOCH when set.
	Created time.Time `json:"created,omitempty"`
	Format  Format    `json:"format,omitempty"`
}

// ErrBadConfig is wrapped by errors about the image configuration.
var ErrBadConfig = errors.New("bad image config")

// tarFormat names the tar writer's conventions; with the compressor's key it
// is part of every cache key, so a change of either never serves a stale
// layer.
const tarFormat = "tar-pax-v1"

// Build makes an image of a closure: layers planned by popularity (see
// PlanLayers), each a deterministic tar, and a config from cfg. The same
// closure and config give the same manifest digest on any machine.
func Build(c Closure, cfg Config, opts ...Option) (v1.Image, error) {
	b := makeOptions(append([]Option{WithJobs(runtime.GOMAXPROCS(0))}, opts...))
	arch, err := architecture(cfg.System)
	if err != nil {
		return nil, err
	}
	manifestType, configType := types.OCIManifestSchema1, types.OCIConfigJSON
	if cfg.Format == FormatDocker {
		manifestType, configType = types.DockerManifestSchema2, types.DockerConfigJSON
	} else if cfg.Format != "" && cfg.Format != FormatOCI {
		return nil, fmt.Errorf("%w: format %q (want oci or docker)", ErrBadConfig, cfg.Format)
	}
	if err := b.compression.check(cfg.Format); err != nil {
		return nil, err
	}
	created := cfg.Created
	if created.IsZero() {
		if created, err = sourceDateEpoch(); err != nil {
			return nil, err
		}
	}
	plan, err := PlanLayers(c, b.maxLayers)
	if err != nil {
		return nil, err
	}
	cacheDir := b.cacheDir
	if cacheDir == "" {
		tmp, err := os.MkdirTemp("", "machnix-layers-")
		if err != nil {
			return nil, err
		}
		cacheDir = tmp
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return nil, err
	}
	narSize := map[string]int64{}
	for _, p := range c.Paths {
		narSize[p.Path] = p.NarSize
	}
	report := serialize(b.progress)
	layers := make([]*fileLayer, len(plan))
	errs := make([]error, len(plan))
	// Layers are compressed side by side, and each layer's compressor gets
	// the share of the jobs left over, so one huge layer (often the
	// interpreter's) still uses every core.
	sem := make(chan struct{}, max(1, b.jobs))
	perLayer := max(1, b.jobs/max(1, min(b.jobs, len(plan))))
	var wg sync.WaitGroup
	for i, paths := range plan {
		var total int64
		largest := ""
		for _, p := range paths {
			total += narSize[p]
			if largest == "" || narSize[p] > narSize[largest] {
				largest = p
			}
		}
		u := Update{Stage: StageBuild, Layer: i, Layers: len(plan), Total: total, Largest: largest}
		report(u)
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			var unreported int64
			layers[i], errs[i] = b.cachedLayer(cacheDir, paths, created, perLayer, func(n int) {
				u.Done += int64(n)
				if unreported += int64(n); unreported >= progressStep {
					unreported = 0
					report(u)
				}
			})
			if errs[i] == nil {
				u.Finished, u.Digest, u.Reused = true, layers[i].digest.String(), layers[i].reused
				if u.Reused {
					u.Done = u.Total
				}
				report(u)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	img := mutate.MediaType(empty.Image, manifestType)
	img = mutate.ConfigMediaType(img, configType)
	adds := make([]mutate.Addendum, len(layers))
	for i, l := range layers {
		l.mediaType = b.compression.mediaType(cfg.Format)
		adds[i] = mutate.Addendum{Layer: l, History: v1.History{
			Created:   v1.Time{Time: created},
			CreatedBy: "machnix: " + strings.Join(plan[i], " "),
			Comment:   fmt.Sprintf("store paths: %d", len(plan[i])),
		}}
	}
	if img, err = mutate.Append(img, adds...); err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = arch, "linux"
	cf.Created = v1.Time{Time: created}
	cf.Config.Entrypoint, cf.Config.Cmd = cfg.Entrypoint, cfg.Cmd
	cf.Config.Env, cf.Config.User, cf.Config.WorkingDir = cfg.Env, cfg.User, cfg.WorkingDir
	cf.Config.Labels = cfg.Labels
	if len(cfg.ExposedPorts) > 0 {
		cf.Config.ExposedPorts = map[string]struct{}{}
		for _, p := range cfg.ExposedPorts {
			if !strings.Contains(p, "/") {
				p += "/tcp"
			}
			cf.Config.ExposedPorts[p] = struct{}{}
		}
	}
	return mutate.ConfigFile(img, cf)
}

// architecture maps a Nix system to the OCI architecture name.
func architecture(system string) (string, error) {
	switch system {
	case "x86_64-linux", "":
		return "amd64", nil
	case "aarch64-linux":
		return "arm64", nil
	}
	return "", fmt.Errorf("%w: system %q (want x86_64-linux or aarch64-linux)", ErrBadConfig, system)
}

// sourceDateEpoch honours SOURCE_DATE_EPOCH, the reproducible-builds
// convention, and otherwise returns Epoch.
func sourceDateEpoch() (time.Time, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return Epoch, nil
	}
	var secs int64
	if _, err := fmt.Sscan(s, &secs); err != nil || secs < 0 {
		return time.Time{}, fmt.Errorf("%w: SOURCE_DATE_EPOCH=%q is not a number of seconds", ErrBadConfig, s)
	}
	return time.Unix(secs, 0).UTC(), nil
}

// cachedLayer returns the layer of paths from the cache, writing it first
// when absent. Writes go to a temporary file that is renamed into place, so
// a crash or a parallel build never leaves a half-written layer behind.
func (b *options) cachedLayer(dir string, paths []string, mtime time.Time, jobs int, onWrite func(int)) (*fileLayer, error) {
	sorted := append([]string(nil), paths...)
	sort.Strings(sorted)
	h := sha256.New()
	fmt.Fprintf(h, "%s;%s\n%d\n", tarFormat, b.compression.key(), mtime.Unix())
	for _, p := range sorted {
		fmt.Fprintln(h, p)
	}
	key := hex.EncodeToString(h.Sum(nil))
	blob := filepath.Join(dir, key+b.compression.extension())
	meta := filepath.Join(dir, key+".json")
	if raw, err := os.ReadFile(meta); err == nil {
		var d LayerDigests
		if json.Unmarshal(raw, &d) == nil {
			if st, err := os.Stat(blob); err == nil && st.Size() == d.Size {
				l, err := newFileLayer(blob, d, b.compression)
				if l != nil {
					l.reused = true
				}
				return l, err
			}
		}
	}
	tmp, err := os.CreateTemp(dir, key+".*.partial")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	d, err := WriteLayer(tmp, paths, WithMtime(mtime), WithCompression(b.compression), WithJobs(jobs), WithWriteProgress(onWrite))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	if err := os.Rename(tmp.Name(), blob); err != nil {
		return nil, err
	}
	raw, _ := json.Marshal(d)
	if err := atomicfile.Write(meta, raw); err != nil {
		return nil, err
	}
	return newFileLayer(blob, d, b.compression)
}

// fileLayer is a v1.Layer whose compressed bytes sit in a file and whose
// digests were computed while writing it, so nothing is hashed twice.
type fileLayer struct {
	path        string
	digest      v1.Hash
	diffID      v1.Hash
	size        int64
	mediaType   types.MediaType
	compression Compression
	reused      bool // taken from the cache, not written now
}

func newFileLayer(path string, d LayerDigests, c Compression) (*fileLayer, error) {
	digest, err := v1.NewHash(d.Digest)
	if err != nil {
		return nil, err
	}
	diffID, err := v1.NewHash(d.DiffID)
	if err != nil {
		return nil, err
	}
	return &fileLayer{path: path, digest: digest, diffID: diffID, size: d.Size, mediaType: c.mediaType(FormatOCI), compression: c}, nil
}

func (l *fileLayer) Digest() (v1.Hash, error)            { return l.digest, nil }
func (l *fileLayer) DiffID() (v1.Hash, error)            { return l.diffID, nil }
func (l *fileLayer) Size() (int64, error)                { return l.size, nil }
func (l *fileLayer) MediaType() (types.MediaType, error) { return l.mediaType, nil }
func (l *fileLayer) Compressed() (io.ReadCloser, error)  { return os.Open(l.path) }
func (l *fileLayer) Uncompressed() (io.ReadCloser, error) {
	f, err := os.Open(l.path)
	if err != nil {
		return nil, err
	}
	zr, err := l.compression.newReader(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &closeBoth{Reader: zr, closers: []io.Closer{zr, f}}, nil
}
