package pipeline

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/machnix/machnix/autopatch"
	"github.com/machnix/machnix/fetch"
	"github.com/machnix/machnix/nixbuild"
	"github.com/machnix/machnix/resolve"
)

// Settings are the user's choices that Prepare and the stages after it
// need besides the lock.
type Settings struct {
	Config *Config `json:"config,omitempty"`
	// IgnoreMissing are sonames allowed to stay unresolved in every wheel,
	// for libraries that come at run time.
	IgnoreMissing []string `json:"ignore_missing,omitempty"`
	// Offline uses only files already in the cache.
	Offline bool `json:"offline,omitempty"`
	// AllowUnfree lets packages need unfree nixpkgs packages, as
	// allowUnfree in machnix.toml does (either one suffices).
	AllowUnfree bool `json:"allow_unfree,omitempty"`
	// CacheDir is fetch's cache; "" means fetch.DefaultCacheDir.
	CacheDir string `json:"cache_dir,omitempty"`
	// Timeout ends a download that receives nothing for so long; zero
	// means fetch.DefaultTimeout, negative waits for ever.
	Timeout time.Duration `json:"timeout,omitempty"`
	// Jobs bounds the downloads in flight; zero means fetch's default.
	Jobs int `json:"jobs,omitempty"`
	// LockDir is the directory of the lock file, which its local
	// projects' paths are relative to; "" is the working directory.
	LockDir string `json:"lock_dir,omitempty"`
	// NixLocate lets sonames the table does not know be looked up with
	// nix-locate, marked as guesses.
	NixLocate bool `json:"nix_locate,omitempty"`
}

// Prepared is a lock with its files fetched and verified, each wheel's
// native libraries inspected and each sdist's build system read: all that
// generating the expression needs.
type Prepared struct {
	Lock      *resolve.Lock           `json:"lock"`
	Settings  Settings                `json:"settings"`
	Artifacts []fetch.Artifact        `json:"artifacts"`
	Report    *autopatch.NativeReport `json:"report"`
	// BuildSystems are the [build-system] requires of each sdist whose
	// lock records no build requirements (a lock from before they were),
	// by name.
	BuildSystems map[string][]string `json:"build_systems,omitempty"`
	// BuildArtifacts are the fetched wheels of the lock's build packages.
	BuildArtifacts []fetch.Artifact `json:"build_artifacts,omitempty"`
	// Universal is the universal lock Lock was projected from (Lock's
	// From), nil for a single-target lock: Generate writes it beside the
	// expression, with this target's files' native inputs, so that Nix
	// chooses the target on whichever system evaluates it.
	Universal *resolve.Lock `json:"universal,omitempty"`
}

// Prepare fetches (or finds in the cache) every file of the lock, checking
// each against the lock, and inspects the wheels' native libraries. A
// universal lock is prepared target by target, each file inspected for
// the platform and Python of the targets it serves: the Prepared holds
// the universal lock with every wheel file's native inputs, and every
// target's files, and is for RecordNative (Generate takes one target).
func Prepare(ctx context.Context, lock *resolve.Lock, s Settings, opts ...Option) (*Prepared, error) {
	if lock.Universal() {
		return prepareUniversal(ctx, lock, s, opts...)
	}
	arts, err := Fetch(ctx, lock, s, opts...)
	if err != nil {
		return nil, err
	}
	buildSystems := map[string][]string{}
	recorded := map[string]bool{}
	for _, p := range lock.Packages {
		recorded[p.Name] = len(p.BuildRequires) > 0
	}
	for _, a := range arts {
		if strings.HasSuffix(a.Filename, ".whl") || recorded[a.Name] {
			continue
		}
		requires, err := fetch.SdistBuildRequires(ctx, a.Path, a.Filename)
		if err != nil {
			return nil, failed(err)
		}
		buildSystems[a.Name] = requires
	}
	var buildArts []fetch.Artifact
	if len(lock.BuildPackages) > 0 {
		if buildArts, err = Fetch(ctx, &resolve.Lock{Version: lock.Version, Target: lock.Target, Packages: lock.BuildPackages}, s, opts...); err != nil {
			return nil, err
		}
	}
	report, err := inspectWheels(ctx, arts, lock.Target, s,
		autopatch.WithSonames(s.Config.sonames()), autopatch.WithNixLocate(s.NixLocate))
	if err != nil {
		return nil, err
	}
	return &Prepared{Lock: lock, Settings: s, Artifacts: arts, Report: report, BuildSystems: buildSystems, BuildArtifacts: buildArts, Universal: lock.From}, nil
}

// inspectWheels inspects the wheels among arts for target t, after the
// options given. fetch checked every file against the lock's sha256, so
// the wheels' RECORDs need no second hashing, and an unchanged wheel's
// facts come from the cache under that same hash (the inspect directory
// of s's cache). The cache names blobs by hash; autopatch takes name,
// version and tags from the wheel's own metadata, and reports each by
// its file name.
func inspectWheels(ctx context.Context, arts []fetch.Artifact, t resolve.Target, s Settings, opts ...autopatch.Option) (*autopatch.NativeReport, error) {
	var wheels []string
	digests, names := map[string]string{}, map[string]string{}
	for _, a := range arts {
		if strings.HasSuffix(a.Filename, ".whl") {
			wheels = append(wheels, a.Path)
			digests[a.Path], names[a.Path] = a.SHA256, a.Filename
		}
	}
	cacheDir := s.CacheDir
	if cacheDir == "" {
		var err error
		if cacheDir, err = fetch.DefaultCacheDir(); err != nil {
			return nil, err
		}
	}
	opts = append(slices.Clone(opts), autopatch.WithSystem(t.System), autopatch.WithPython(t.PythonMinor()),
		autopatch.WithDigests(digests), autopatch.WithFileNames(names),
		autopatch.WithFactsCache(autopatch.DirFactsCache(filepath.Join(cacheDir, "inspect"))))
	return autopatch.Inspect(ctx, wheels, opts...)
}

// prepareUniversal prepares each target's projection and records what
// each inspection found on the files of that target.
func prepareUniversal(ctx context.Context, lock *resolve.Lock, s Settings, opts ...Option) (*Prepared, error) {
	out := &Prepared{Lock: lock, Settings: s, Report: &autopatch.NativeReport{}}
	seen := map[string]bool{}
	var done []string // targets inspected so far: what they found stands
	for _, t := range lock.Targets {
		tl, err := lock.ForTarget(t.System, t.Python)
		if err != nil {
			return nil, err
		}
		tp, err := Prepare(ctx, tl, s, opts...)
		if err != nil {
			return nil, fmt.Errorf("target %s: %w", t.Key(), err)
		}
		if out.Lock, err = nixbuild.AnnotateTarget(out.Lock, t.Key(), tp.Report, done); err != nil {
			return nil, failed(err)
		}
		done = append(done, t.Key())
		for _, a := range tp.Artifacts {
			if !seen[a.Path] {
				seen[a.Path] = true
				out.Artifacts = append(out.Artifacts, a)
			}
		}
	}
	return out, nil
}

// Fetch downloads every file of the lock into the cache (or finds it
// there), checking each against the lock's hash and metadata.
func Fetch(ctx context.Context, lock *resolve.Lock, s Settings, opts ...Option) ([]fetch.Artifact, error) {
	h := makeHooks(opts)
	fetchOpts := []fetch.Option{fetch.WithOffline(s.Offline), fetch.WithTimeout(s.Timeout)}
	if s.CacheDir != "" {
		fetchOpts = append(fetchOpts, fetch.WithCacheDir(s.CacheDir))
	}
	if s.Jobs > 0 {
		fetchOpts = append(fetchOpts, fetch.WithJobs(s.Jobs))
	}
	if h.fetchProgress != nil {
		fetchOpts = append(fetchOpts, fetch.WithProgress(h.fetchProgress))
	}
	arts, err := fetch.Fetch(ctx, lock, fetchOpts...)
	if arts == nil {
		arts = []fetch.Artifact{}
	}
	return arts, failed(err)
}

// fetched pairs each artifact with its package, for the store.
func (p *Prepared) fetched() []nixbuild.Fetched {
	byName := map[string]resolve.Package{}
	for _, pkg := range p.Lock.Packages {
		byName[pkg.Name] = pkg
	}
	var out []nixbuild.Fetched
	for _, a := range p.Artifacts {
		if pkg, ok := byName[a.Name]; ok && pkg.URL != "" {
			out = append(out, nixbuild.Fetched{Package: pkg, Path: a.Path})
		}
	}
	built := map[string]resolve.Package{}
	for _, pkg := range p.Lock.BuildPackages {
		built[pkg.Name] = pkg
	}
	for _, a := range p.BuildArtifacts {
		if pkg, ok := built[a.Name]; ok && pkg.URL != "" {
			out = append(out, nixbuild.Fetched{Package: pkg, Path: a.Path})
		}
	}
	return out
}

// NeedsDriver reports whether a wheel of the environment loads the GPU
// driver, which comes from the machine it runs on: its image must say how
// the container runtime provides it.
func (p *Prepared) NeedsDriver() bool {
	for _, w := range p.Report.Wheels {
		if len(w.Driver) > 0 || len(w.LoadsDriver) > 0 {
			return true
		}
	}
	return false
}

// LockNeedsDriver answers NeedsDriver from the native inputs the lock
// records, without fetching anything; known is false when a wheel was never
// inspected, and only Prepare can tell.
func LockNeedsDriver(lock *resolve.Lock) (needs, known bool) {
	for _, p := range lock.Packages {
		if p.Provider != resolve.ProviderWheel {
			continue
		}
		if p.Native == nil {
			return false, false
		}
		needs = needs || p.Native.DriverRunpath
	}
	return needs, true
}
