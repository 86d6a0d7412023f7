package pipeline

import (
	"io"

	"github.com/machnix/machnix/nixbuild"
	"github.com/machnix/machnix/oci"
)

// Option attaches a hook that watches a stage; none changes what a stage
// produces.
type Option func(*hooks)

type hooks struct {
	fetchProgress func(done, total int)
	buildProgress func(nixbuild.Progress)
	imageProgress func(oci.Update)
	buildLog      io.Writer
	copied        func(int)
}

func makeHooks(opts []Option) hooks {
	var h hooks
	for _, o := range opts {
		o(&h)
	}
	return h
}

// WithFetchProgress is told how many of the lock's files are in the cache,
// of how many, as each arrives.
func WithFetchProgress(f func(done, total int)) Option { return func(h *hooks) { h.fetchProgress = f } }

// WithBuildProgress is told how many derivations nix-build has built, of
// how many, and which are building now.
func WithBuildProgress(f func(nixbuild.Progress)) Option {
	return func(h *hooks) { h.buildProgress = f }
}

// WithBuildLog receives nix-build's log as it runs.
func WithBuildLog(w io.Writer) Option { return func(h *hooks) { h.buildLog = w } }

// WithImageProgress receives an update as each layer is written, taken
// from the cache, uploaded or found in the registry.
func WithImageProgress(f func(oci.Update)) Option { return func(h *hooks) { h.imageProgress = f } }

// WithCopied is told how many store paths Image copied from its spec's
// From store.
func WithCopied(f func(paths int)) Option { return func(h *hooks) { h.copied = f } }
