package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/machnix/machnix/fetch"
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
	// Substituters are binary caches added to Nix's (extra-substituters),
	// TrustedPublicKeys the keys whose signatures on them Nix accepts.
	Substituters      []string `json:"substituters,omitempty"`
	TrustedPublicKeys []string `json:"trusted_public_keys,omitempty"`
	// Caches are binary caches the built closure is pushed to, signed
	// with the secret key in CacheKey. Pushing changes nothing that is
	// built, so neither is part of a build's stamp.
	Caches   []string `json:"caches,omitempty"`
	CacheKey string   `json:"cache_key,omitempty"`
}

// Check refuses options that cannot work, before anything is fetched or
// built: cache and substituter URLs Nix must not be handed, keys that are
// not keys, and caches without a key to sign with.
func (n NixOptions) Check() error {
	for _, u := range n.Substituters {
		if err := nixbuild.CheckSubstituterURL(u); err != nil {
			return err
		}
	}
	for _, k := range n.TrustedPublicKeys {
		if err := nixbuild.CheckPublicKey(k); err != nil {
			return err
		}
	}
	for _, u := range n.Caches {
		if err := nixbuild.CheckCacheURL(u); err != nil {
			return err
		}
	}
	switch {
	case len(n.Caches) > 0 && n.CacheKey == "":
		return fmt.Errorf("--cache needs --cache-key FILE: Nix refuses unsigned paths from a binary cache unless told to trust none (require-sigs); make a key with nix-store --generate-binary-cache-key NAME secret.key public.key")
	case n.CacheKey != "" && len(n.Caches) == 0:
		return fmt.Errorf("--cache-key signs what --cache URL pushes: give --cache too")
	case n.CacheKey != "":
		_, err := nixbuild.CheckSecretKeyFile(n.CacheKey)
		return err
	}
	return nil
}

// Push copies the closure of path to each of n.Caches, signed with
// n.CacheKey, and says how many paths each lacked.
func Push(ctx context.Context, path string, n NixOptions) ([]nixbuild.PushResult, error) {
	var out []nixbuild.PushResult
	for _, c := range n.Caches {
		res, err := nixbuild.Push(ctx, c, n.CacheKey, path)
		if err != nil {
			return out, failed(err)
		}
		out = append(out, res)
	}
	return out, nil
}

// buildOptions are nix's. default.nix is the environment wherever it is
// built, so nothing tells it apart from a shell.
func (n NixOptions) buildOptions() []nixbuild.BuildOption {
	opts := []nixbuild.BuildOption{nixbuild.WithOutLink(n.OutLink), nixbuild.WithNixPath(n.NixPath...),
		nixbuild.WithMaxJobs(n.MaxJobs), nixbuild.WithCores(n.Cores), nixbuild.WithBuilders(n.Builders),
		nixbuild.WithSubstituters(n.Substituters...), nixbuild.WithTrustedPublicKeys(n.TrustedPublicKeys...)}
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
	// Native inputs follow from the files, which their hashes pin: a lock
	// that records them builds what the same lock without them builds.
	bare := *lock
	bare.Packages = append([]resolve.Package(nil), lock.Packages...)
	for i := range bare.Packages {
		bare.Packages[i].Native = nil
	}
	lockData, err := resolve.MarshalLock(&bare)
	if err != nil {
		return "", err
	}
	cfg, err := json.Marshal(s.Config)
	if err != nil {
		return "", err
	}
	ignore := slices.Sorted(slices.Values(s.IgnoreMissing))
	n.ShowTrace, n.Caches, n.CacheKey = false, nil, ""
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
	if err := expr.WriteDir(work); err != nil {
		return "", err
	}
	exprPath := filepath.Join(work, "default.nix")
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
		return "", failed(explainEvalError(err, work, expr, p, n.OutLink, stamp))
	}
	return path, nil
}

// evalError is nix-build's error with the temporary expression's path
// replaced by the kept copy's, and what in the user's input made the lines
// it names.
type evalError struct {
	msg string
	err error
}

func (e *evalError) Error() string { return e.msg }
func (e *evalError) Unwrap() error { return e.err }

// explainEvalError keeps the generated files when nix-build's error is
// about them (the build's folder is removed): when it points into
// default.nix, or comes from the library (its messages start with
// "machnix.", and name the lock entry themselves). It names the lock
// entry, and the machnix.toml override where there is one, that wrote
// the lines of default.nix the error names.
func explainEvalError(err error, work string, expr *Expression, p *Prepared, outLink, stamp string) error {
	exprPath := filepath.Join(work, "default.nix")
	lines := nixbuild.ErrorLines(err.Error(), exprPath)
	if len(lines) == 0 && !strings.Contains(err.Error(), "error: machnix.") {
		return err
	}
	kept := keptExprDir(outLink, stamp)
	if kept == "" || expr.WriteDir(kept) != nil {
		return err
	}
	var b strings.Builder
	b.WriteString(strings.ReplaceAll(err.Error(), work, kept))
	fmt.Fprintf(&b, "\nthe generated expression is kept at %s", filepath.Join(kept, "default.nix"))
	seen := map[nixbuild.Block]bool{}
	for _, l := range lines {
		blk, ok := nixbuild.BlockAt([]byte(expr.Default), l)
		if !ok || seen[blk] {
			continue
		}
		seen[blk] = true
		fmt.Fprintf(&b, "\nline %d was written for %s", l, lockEntry(p, blk))
	}
	return &evalError{msg: b.String(), err: err}
}

// keptExprDir is where a failed expression is kept: beside the out-link,
// else in the cache, named by the build's stamp.
func keptExprDir(outLink, stamp string) string {
	if outLink != "" {
		return outLink + ".failed"
	}
	dir, err := fetch.DefaultCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "failed", stamp[:min(16, len(stamp))])
}

// lockEntry names the lock entry of blk as the lock's checks do, e.g.
// "packages[3] (numpy)", and its machnix.toml override when it has one.
func lockEntry(p *Prepared, blk nixbuild.Block) string {
	pkgs := p.Lock.Packages
	if blk.Section == "build_packages" {
		pkgs = p.Lock.BuildPackages
	}
	name := fmt.Sprintf("%s (%s)", blk.Section, blk.Name)
	for i, pkg := range pkgs {
		if pkg.Name == blk.Name {
			name = fmt.Sprintf("the lock's %s[%d] (%s, %s %s)", blk.Section, i, pkg.Name, pkg.Provider, pkg.Version)
		}
	}
	if cfg := p.Settings.Config; blk.Section == "packages" && cfg != nil {
		if o, ok := cfg.Overrides[blk.Name]; ok && !reflect.DeepEqual(o.Override, nixbuild.Override{}) {
			name += fmt.Sprintf(" with [overrides.%s] of %s: check the attributes it names", blk.Name, cfg.Path)
		}
	}
	return name
}

// AddToStore adds the prepared lock's fetched files to the store as the
// generated expressions name them, for a folder nix-shell or nix-build
// will read later.
func AddToStore(ctx context.Context, p *Prepared) error {
	return failed(nixbuild.AddToStore(ctx, p.fetched()))
}
