package options

import (
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/machnix/machnix/pipeline"
)

// Lock are the flags of every command that works from a lock.
type Lock struct {
	Lock          string
	Offline       bool
	IgnoreMissing []string
	AllowUnfree   bool
}

// AddLockFlags adds them to cmd.
func AddLockFlags(cmd *cobra.Command, l *Lock) {
	f := cmd.Flags()
	f.StringVar(&l.Lock, "lock", "machnix.lock", "lock file")
	f.BoolVar(&l.Offline, "offline", false, "use only files already in the cache")
	stringArrayVar(f, &l.IgnoreMissing, "ignore-missing", nil, "soname allowed to stay unresolved (repeatable)")
	f.BoolVar(&l.AllowUnfree, "allow-unfree", false, "let packages need unfree nixpkgs packages (CUDA's): nixpkgs is imported with config.allowUnfree = true")
}

// Settings are the flags as pipeline.Prepare takes them.
func (l *Lock) Settings(g *Global, cfg *pipeline.Config) pipeline.Settings {
	return pipeline.Settings{Config: cfg, IgnoreMissing: l.IgnoreMissing, AllowUnfree: l.AllowUnfree, Offline: l.Offline, Timeout: g.NetTimeout(), NixLocate: true,
		LockDir: filepath.Dir(l.Lock)}
}

// Nix are nix-build's flags, passed through.
type Nix struct {
	OutLink   string
	NixPath   []string
	Args      []string
	MaxJobs   string
	Cores     string
	Builders  string
	Options   []string
	ArgStrs   []string
	ShowTrace bool
	// Substituters, TrustedPublicKeys, Caches and CacheKey are how a
	// fleet shares what one machine built: see pipeline.NixOptions.
	Substituters      []string
	TrustedPublicKeys []string
	Caches            []string
	CacheKey          string
}

// AddNixFlags adds them to cmd.
func AddNixFlags(cmd *cobra.Command, n *Nix) {
	f := cmd.Flags()
	f.StringVarP(&n.OutLink, "out-link", "o", "result", "result symlink")
	stringArrayVarP(f, &n.NixPath, "include", "I", nil, "nix search path entry, e.g. nixpkgs=/path (repeatable)")
	stringArrayVar(f, &n.Args, "arg", nil, "`NAME EXPR` (or NAME=EXPR) passed as nix-build --arg NAME EXPR (repeatable)")
	stringArrayVar(f, &n.ArgStrs, "argstr", nil, "`NAME VALUE` (or NAME=VALUE) passed as nix-build --argstr NAME VALUE (repeatable)")
	f.StringVar(&n.MaxJobs, "max-jobs", "", "nix-build --max-jobs")
	f.StringVar(&n.Cores, "cores", "", "nix-build --cores")
	f.StringVar(&n.Builders, "builders", "", "nix-build --builders (remote builders)")
	stringArrayVar(f, &n.Options, "option", nil, "`NAME VALUE` (or NAME=VALUE) passed as nix-build --option NAME VALUE (repeatable)")
	f.BoolVar(&n.ShowTrace, "show-trace", false, "pass --show-trace to nix-build: the whole trace of an evaluation error")
	stringArrayVar(f, &n.Substituters, "substituters", nil, "binary cache to substitute from, added to Nix's: file:///DIR, https://HOST, s3://BUCKET, ssh://HOST (repeatable)")
	addTrustedKeysFlag(cmd, &n.TrustedPublicKeys)
	stringArrayVar(f, &n.Caches, "cache", nil, "binary cache to push the built closure to, signed with --cache-key: file:///DIR, https://HOST, s3://BUCKET (repeatable)")
	f.StringVar(&n.CacheKey, "cache-key", "", "secret key file (nix-store --generate-binary-cache-key) that signs what --cache pushes")
}

func addTrustedKeysFlag(cmd *cobra.Command, keys *[]string) {
	stringArrayVar(cmd.Flags(), keys, "trusted-public-keys", nil, "public key NAME:BASE64 whose signatures Nix accepts on binary cache paths, added to Nix's (repeatable)")
}

// NixOptions are the flags as pipeline.Build takes them.
func (n *Nix) NixOptions() (pipeline.NixOptions, error) {
	out := pipeline.NixOptions{OutLink: n.OutLink, NixPath: n.NixPath, MaxJobs: n.MaxJobs, Cores: n.Cores, Builders: n.Builders, ShowTrace: n.ShowTrace,
		Substituters: n.Substituters, TrustedPublicKeys: n.TrustedPublicKeys, Caches: n.Caches, CacheKey: n.CacheKey}
	if err := out.Check(); err != nil {
		return out, err
	}
	var err error
	if out.Args, err = splitPairs("arg", n.Args); err != nil {
		return out, err
	}
	if out.ArgStrs, err = splitPairs("argstr", n.ArgStrs); err != nil {
		return out, err
	}
	out.Options, err = splitPairs("option", n.Options)
	return out, err
}

// Build are build's flags, which docker takes too: a lock, or what to
// resolve into it, and Nix's options.
type Build struct {
	Resolve Resolve
	Lock    Lock
	Nix     Nix
}

// AddBuildFlags adds them to cmd.
func AddBuildFlags(cmd *cobra.Command, b *Build) {
	AddLockFlags(cmd, &b.Lock)
	AddResolveFlags(cmd, &b.Resolve)
	AddNixFlags(cmd, &b.Nix)
}
