// Package pipeline is machnix as a library: the stages the commands run,
// as functions that pass values.
//
//	Resolve(ctx, Inputs, *Config)        requirements files → *resolve.Lock
//	Prepare(ctx, *resolve.Lock, Settings) fetch + inspect → *Prepared
//	Generate(*Prepared)                  the checks before Nix → *Expression
//	Build(ctx, *Prepared, NixOptions)    nix-build → store path
//	Image(ctx, []string, ImageSpec)      store paths' closure → v1.Image
//	Publish(ctx, v1.Image, Outputs)      registry, OCI layout, docker archive
//
// Each stage's input and output is a plain value that encodes as JSON, so a
// stage can be run, cached and inspected on its own; nothing is handed
// from one stage to the next through a file. Hooks that watch a stage
// (progress, logs) are functional Options.
//
// Errors keep their packages' sentinels. Those that mean the work itself
// failed (no solution, a download, a missing library, a build, a push)
// also match ErrFailed; the rest are the caller's input.
package pipeline
