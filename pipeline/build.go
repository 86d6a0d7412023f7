package pipeline

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/machnix/machnix/nixbuild"
	"github.com/machnix/machnix/resolve"
)

// NixOptions are passed through to nix-build.
type NixOptions struct {
	// OutLink is the result symlink; "" means none.
	OutLink string `json:"out_link,omitempty"`
	// NixPath entries for -I, e.g. "nixpkgs=/path/to/nixpkgs".
	NixPath []string `json:"nix_path,omitempty"`
	// Args are --arg NAME EXPR pairs, ArgStrs --argstr NAME VALUE pairs,
	// Options --option NAME VALUE pairs.
	Args    [][2]string `json:"args,omitempty"`
	ArgStrs [][2]string `json:"argstrs,omitempty"`
	Options [][2]string `json:"options,omitempty"`
	// ShowTrace passes --show-trace; it changes only what an error shows,
	// so it is no part of a build's stamp.
	ShowTrace bool `json:"show_trace,omitempty"`
	// MaxJobs, Cores and Builders are nix-build's options of those names.
	MaxJobs  string `json:"max_jobs,omitempty"`
	Cores    string `json:"cores,omitempty"`
	Builders string `json:"builders,omitempty"`
}

// buildOptions are nix's. default.nix is the environment wherever it is
// built, so nothing tells it apart from a shell.
func (n NixOptions) buildOptions() []nixbuild.BuildOption {
	opts := []nixbuild.BuildOption{nixbuild.WithOutLink(n.OutLink), nixbuild.WithNixPath(n.NixPath...),
		nixbuild.WithMaxJobs(n.MaxJobs), nixbuild.WithCores(n.Cores), nixbuild.WithBuilders(n.Builders)}
	for _, a := range n.Args {
		opts = append(opts, nixbuild.WithArg(a[0], a[1]))
	}
	for _, a := range n.ArgStrs {
		opts = append(opts, nixbuild.WithArgStr(a[0], a[1]))
	}
	for _, o := range n.Options {
		opts = append(opts, nixbuild.WithOption(o[0], o[1]))
	}
	return append(opts, nixbuild.WithShowTrace(n.ShowTrace))
}

// Stamp identifies a build by everything that decides its result: the
// lock, the config, the sonames ignored and Nix's options. The files the
// lock names are pinned by their hashes, so none of them needs reading.
func Stamp(lock *resolve.Lock, s Settings, n NixOptions) (string, error) {
	lockData, err := resolve.MarshalLock(lock)
	if err != nil {
		return "", err
	}
	cfg, err := json.Marshal(s.Config)
	if err != nil {
		return "", err
	}
	ignore := slices.Sorted(slices.Values(s.IgnoreMissing))
	n.ShowTrace = false
	nix, err := json.Marshal(n)
	if err != nil {
		return "", err
	}
	ign, err := json.Marshal(ignore)
	if err != nil {
		return "", err
	}
	return nixbuild.Stamp(lockData, []string{string(cfg), string(ign), string(nix), "allowUnfree=" + strconv.FormatBool(s.AllowUnfree)}), nil
}

// UpToDate reports whether n's out-link still holds what the same lock,
// settings and options built, and returns that store path: a build that
// would change nothing is answered without fetching, inspecting or
// evaluating anything.
func UpToDate(lock *resolve.Lock, s Settings, n NixOptions) (string, bool) {
	stamp, err := Stamp(lock, s, n)
	if err != nil {
		return "", false
	}
	return nixbuild.UpToDate(n.OutLink, stamp)
}

// Build generates the prepared lock's expression, adds the fetched files
// to the store under the names the expression's fetchurl gives them (so
// Nix downloads nothing twice), and runs nix-build. It returns the
// environment's store path.
func Build(ctx context.Context, p *Prepared, n NixOptions, opts ...Option) (string, error) {
	h := makeHooks(opts)
	expr, err := Generate(p)
	if err != nil {
		return "", err
	}
	if err := nixbuild.AddToStore(ctx, p.fetched()); err != nil {
		return "", failed(err)
	}
	work, err := os.MkdirTemp("", "machnix-build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	exprPath := filepath.Join(work, "default.nix")
	if err := os.WriteFile(exprPath, []byte(expr.Default), 0o644); err != nil {
		return "", err
	}
	stamp, err := Stamp(p.Lock, p.Settings, n)
	if err != nil {
		return "", err
	}
	bopts := append(n.buildOptions(), nixbuild.WithStamp(stamp), nixbuild.WithProgress(h.buildProgress))
	if h.buildLog != nil {
		bopts = append(bopts, nixbuild.WithLog(h.buildLog))
	}
	path, err := nixbuild.Build(ctx, exprPath, bopts...)
	if err != nil {
		return "", failed(err)
	}
	return path, nil
}

// AddToStore adds the prepared lock's fetched files to the store as the
// generated expressions name them, for a folder nix-shell or nix-build
// will read later.
func AddToStore(ctx context.Context, p *Prepared) error {
	return failed(nixbuild.AddToStore(ctx, p.fetched()))
}
