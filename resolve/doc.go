// Package resolve turns requirements into a Lock for one target Python and
// platform, or into a universal Lock for several (ResolveUniversal).
//
// It owns requirements.txt and pyproject.toml parsing, PEP 440 versions and
// specifiers, PEP 508 markers, the compatible wheel tags of a target
// (PEP 425/600), providers (wheel, sdist, nixpkgs) with a preference order
// per package, the PubGrub-style solver with readable explanations of
// conflicts, and the Lock type with its file format.
//
// It does no network I/O: package metadata comes through the Index
// interface, which package fetch implements.
package resolve

// Entry points: Resolve(ctx, requirements, opts...) returns a *Lock;
// WriteLock/ReadLock store it, ReadLock checking every field against its
// grammar since a lock may come from anyone; ParseProviderFlags/ProvidersFromMap build
// the per-package provider order; NixInstantiateCatalog lists what a
// nixpkgs offers. ResolveUniversal forks the resolution by marker, solves
// each fork with the same solver, and merges the forks; Lock.ForTarget
// turns a universal lock back into the single-target lock of one of its
// targets, which is what the build stages consume. The standards (versions, markers, tags) reach Resolve
// through the Rules interface so the search itself, in internal/solver,
// stays independent of them.
