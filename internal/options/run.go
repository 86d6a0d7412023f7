package options

import (
	"context"
	"io"

	"github.com/machnix/machnix/internal/progress"
	"github.com/machnix/machnix/pipeline"
	"github.com/machnix/machnix/resolve"
)

// Prepare fetches and inspects the lock's files, with a bar on w when it is
// a terminal.
func Prepare(ctx context.Context, w io.Writer, s pipeline.Settings, lock *resolve.Lock) (*pipeline.Prepared, error) {
	opts, done := progress.Fetching(w, len(lock.Packages))
	defer done()
	return pipeline.Prepare(ctx, lock, s, opts...)
}

// Prepare reads the lock (or resolves it from -r or project directories),
// fetches and inspects its files, and records their native inputs in it.
func (r *Resolve) Prepare(ctx context.Context, w io.Writer, g *Global, l *Lock) (*pipeline.Prepared, error) {
	lock, cfg, err := r.ReadLockOrResolve(ctx, g, l.Lock)
	if err != nil {
		return nil, err
	}
	p, err := Prepare(ctx, w, l.Settings(g, cfg), lock)
	if err != nil {
		return nil, err
	}
	return p, r.RecordNative(l.Lock, p)
}

// Built is what Build.Run made: the environment, and what it was made
// from. Prepared is nil when the out-link was up to date.
type Built struct {
	Path     string
	Lock     *resolve.Lock
	Settings pipeline.Settings
	Prepared *pipeline.Prepared
	Summary  progress.Summary
}

// Run builds the lock's environment (resolving into it first when asked),
// drawing progress on w. An unchanged lock, config and options with the
// out-link in place answer at once.
func (fl *Build) Run(ctx context.Context, w io.Writer, g *Global) (*Built, error) {
	nix, err := fl.Nix.NixOptions()
	if err != nil {
		return nil, err
	}
	lock, cfg, err := fl.Resolve.ReadLockOrResolve(ctx, g, fl.Lock.Lock)
	if err != nil {
		return nil, err
	}
	b := &Built{Lock: lock, Settings: fl.Lock.Settings(g, cfg),
		Summary: progress.NewSummary(lock, fl.Resolve.Resolving(), fl.Lock.Lock, nix.OutLink)}
	if path, ok := pipeline.UpToDate(lock, b.Settings, nix); ok {
		b.Path, b.Summary.UpToDate = path, true
		b.Summary.Cached, err = pipeline.Push(ctx, b.Path, nix)
		return b, err
	}
	if b.Prepared, err = Prepare(ctx, w, b.Settings, lock); err != nil {
		return nil, err
	}
	if err := fl.Resolve.RecordNative(fl.Lock.Lock, b.Prepared); err != nil {
		return nil, err
	}
	bar := progress.NewNix(w)
	defer bar.End()
	b.Path, err = pipeline.Build(ctx, b.Prepared, nix, pipeline.WithBuildProgress(bar.Update))
	b.Summary.Fetched = b.Prepared.Artifacts
	bar.Fill(&b.Summary)
	if err == nil {
		b.Summary.Cached, err = pipeline.Push(ctx, b.Path, nix)
	}
	return b, err
}

// NeedsDriver reports whether an image of the environment needs the GPU
// driver. An up-to-date build inspected nothing: the lock's native inputs
// answer, and only a lock without them has its files prepared again.
func (b *Built) NeedsDriver(ctx context.Context, w io.Writer) (bool, error) {
	if b.Prepared == nil {
		if needs, known := pipeline.LockNeedsDriver(b.Lock); known {
			return needs, nil
		}
		var err error
		if b.Prepared, err = Prepare(ctx, w, b.Settings, b.Lock); err != nil {
			return false, err
		}
	}
	return b.Prepared.NeedsDriver(), nil
}
