package pipeline

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/machnix/machnix/internal/atomicfile"
	nixlib "github.com/machnix/machnix/nix"
	"github.com/machnix/machnix/nixbuild"
	"github.com/machnix/machnix/resolve"
)

// Expression is the Nix side of a prepared lock: what `machnix gen` writes.
type Expression struct {
	// Default is default.nix: the environment (also under nix-shell), a
	// call of machnix's Nix library, which is written beside it.
	Default string `json:"default.nix"`
	// Shell is shell.nix, and Nixpkgs nixpkgs.nix (the pinned package set).
	Shell   string `json:"shell.nix"`
	Nixpkgs string `json:"nixpkgs.nix"`
	// Lock is machnix.lock as written beside them: the lock with each
	// wheel's native inputs, which the library reads.
	Lock string `json:"machnix.lock"`
	// lock and lockDir are the lock and where it was read, for a copy
	// written elsewhere.
	lock    *resolve.Lock
	lockDir string
}

// Generate checks what must hold before Nix runs (the overrides fit the
// lock, every native library has a provider) and writes the expressions.
// The checks are nixbuild.Generate's own, run once.
func Generate(p *Prepared) (*Expression, error) {
	if p.Lock.Universal() {
		return nil, fmt.Errorf("%w: a universal lock is generated for one of its targets: project it first (resolve.Lock.ForTarget)", nixbuild.ErrCannotGenerate)
	}
	cfg := p.Settings.Config
	unfree := nixbuild.WithAllowUnfree(p.Settings.AllowUnfree || (cfg != nil && cfg.AllowUnfree))
	// Paths in the lock are relative to its directory with symlinks
	// resolved, as they were recorded.
	lockDir, err := realDir(p.Settings.LockDir)
	if err != nil {
		return nil, err
	}
	expr, err := nixbuild.Generate(p.Lock, p.Report, nixbuild.WithIgnoreMissing(p.Settings.IgnoreMissing...),
		nixbuild.WithOverrides(cfg.overrides()), nixbuild.WithBuildSystems(p.BuildSystems), nixbuild.WithTests(cfg != nil && cfg.Tests), unfree)
	if errors.Is(err, nixbuild.ErrBadOverride) {
		return nil, fmt.Errorf("%s: %w", cfg.Path, err)
	}
	if err != nil {
		return nil, failed(err)
	}
	shell, err := nixbuild.Shell(p.Lock, unfree)
	if err != nil {
		return nil, err
	}
	annotated, err := p.annotated()
	if err != nil {
		return nil, err
	}
	if err := resolve.Validate(annotated); err != nil {
		return nil, fmt.Errorf("%w: %v", nixbuild.ErrCannotGenerate, err)
	}
	lock, err := resolve.MarshalLock(annotated)
	if err != nil {
		return nil, err
	}
	return &Expression{Default: string(expr), Shell: string(shell), Nixpkgs: string(nixbuild.NixpkgsFile(p.Lock, unfree)), Lock: string(lock),
		lock: annotated, lockDir: lockDir}, nil
}

// lockFor is the lock as written into dir: a local project's path is
// relative to the lock file, so a copy elsewhere has it rebased.
func (e *Expression) lockFor(dir string) (string, error) {
	abs, err := realDir(dir)
	if err != nil || e.lock == nil || abs == e.lockDir {
		return e.Lock, err
	}
	rebased := *e.lock
	rebased.Packages = slices.Clone(e.lock.Packages)
	changed := false
	for i, p := range rebased.Packages {
		if p.Provider != resolve.ProviderLocal {
			continue
		}
		rel, err := filepath.Rel(abs, filepath.Join(e.lockDir, filepath.FromSlash(p.Path)))
		if err != nil {
			return "", err
		}
		rebased.Packages[i].Path, changed = filepath.ToSlash(rel), true
	}
	if !changed {
		return e.Lock, nil
	}
	data, err := resolve.MarshalLock(&rebased)
	return string(data), err
}

// WriteDir writes the expression's files into dir, each atomically, with
// the library they call (nixbuild.LibraryDir).
func (e *Expression) WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := nixlib.Write(filepath.Join(dir, nixbuild.LibraryDir)); err != nil {
		return err
	}
	lock, err := e.lockFor(dir)
	if err != nil {
		return err
	}
	for name, data := range map[string]string{
		"default.nix": e.Default, "shell.nix": e.Shell, "nixpkgs.nix": e.Nixpkgs, nixbuild.LockFile: lock,
	} {
		if err := atomicfile.Write(filepath.Join(dir, name), []byte(data)); err != nil {
			return err
		}
	}
	return nil
}

// RecordNative writes the lock at path again with each wheel's native
// inputs as the prepared report found them (nixbuild.Annotate), so that
// the lock alone is what Nix needs: machnix's Nix library builds from it
// without machnix. A lock that already records them is left as it is.
func RecordNative(path string, p *Prepared) error {
	annotated, err := p.annotated()
	if err != nil {
		return err
	}
	data, err := resolve.MarshalLock(annotated)
	if err != nil {
		return err
	}
	if old, err := os.ReadFile(path); err == nil && string(old) == string(data) {
		return nil
	}
	return resolve.WriteLock(path, annotated)
}

// annotated is the lock as Nix reads it: the prepared lock with each
// wheel's native inputs, or, for a projection of a universal lock, that
// universal lock with this target's files' native inputs (a universal
// lock Prepare prepared has them all already).
func (p *Prepared) annotated() (*resolve.Lock, error) {
	var annotated *resolve.Lock
	var err error
	switch {
	case p.Lock.Universal():
		annotated = p.Lock
	case p.Universal != nil:
		// One target was inspected: the lock's record of the others stands.
		key := p.Lock.Target.Key()
		var others []string
		for _, t := range p.Universal.Targets {
			if t.Key() != key {
				others = append(others, t.Key())
			}
		}
		annotated, err = nixbuild.AnnotateTarget(p.Universal, key, p.Report, others)
	default:
		annotated, err = nixbuild.Annotate(p.Lock, p.Report)
	}
	if err != nil {
		return nil, failed(err)
	}
	return annotated, nil
}

// KeepNative copies the native inputs previous records onto the packages
// (and a universal lock's files) of lock pinned to the same file (name,
// filename and sha256), for the targets that inspection was for: a pin
// kept while re-resolving keeps what its inspection found. An abi3 file
// inspected for 3.11 says nothing of 3.12, where it may miss libpython,
// so a file of lock gets native inputs only when every target it serves
// was inspected before.
func KeepNative(lock, previous *resolve.Lock) {
	if previous == nil {
		return
	}
	type file struct{ name, filename, sha256 string }
	type inspected struct {
		resolve.PackageFile
		targets []string // the target keys its native inputs hold for
	}
	// Each file as the previous lock records it; a single-target lock's
	// package is a file whose native inputs hold for its one target.
	known := map[file]inspected{}
	for _, p := range previous.Packages {
		if p.Native != nil && !previous.Universal() {
			known[file{p.Name, p.Filename, p.SHA256}] = inspected{resolve.PackageFile{Native: p.Native}, []string{previous.Target.Key()}}
		}
		for _, f := range p.Files {
			if f.Native != nil {
				known[file{p.Name, f.Filename, f.SHA256}] = inspected{f, f.Targets}
			}
		}
	}
	for i, p := range lock.Packages {
		k, ok := known[file{p.Name, p.Filename, p.SHA256}]
		if key := lock.Target.Key(); ok && p.Provider == resolve.ProviderWheel && p.Native == nil && slices.Contains(k.targets, key) {
			lock.Packages[i].Native = k.NativeFor(key)
		}
		for j, f := range p.Files {
			k, ok := known[file{p.Name, f.Filename, f.SHA256}]
			if !ok || f.Provider != resolve.ProviderWheel || f.Native != nil || len(f.Targets) == 0 ||
				slices.ContainsFunc(f.Targets, func(key string) bool { return !slices.Contains(k.targets, key) }) {
				continue
			}
			// Every target of f was inspected: the previous default holds
			// for those it gave no entry of their own.
			lock.Packages[i].Files[j].Native = k.Native
			for _, key := range f.Targets {
				if n, ok := k.NativeByTarget[key]; ok {
					if lock.Packages[i].Files[j].NativeByTarget == nil {
						lock.Packages[i].Files[j].NativeByTarget = map[string]*resolve.Native{}
					}
					lock.Packages[i].Files[j].NativeByTarget[key] = n
				}
			}
		}
	}
}

// realDir is dir absolute with its symlinks resolved, as far as it exists.
func realDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		return real, nil
	}
	return abs, nil
}
