package options

import (
	"fmt"
	"strings"

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
	return pipeline.Settings{Config: cfg, IgnoreMissing: l.IgnoreMissing, AllowUnfree: l.AllowUnfree, Offline: l.Offline, Timeout: g.NetTimeout(), NixLocate: true}
}

// Nix are nix-build's flags, passed through.
type Nix struct {
	OutLink  string
	NixPath  []string
	Args     []string
	MaxJobs  string
	Cores    string
	Builders string
	Options  []string
}

// AddNixFlags adds them to cmd.
func AddNixFlags(cmd *cobra.Command, n *Nix) {
	f := cmd.Flags()
	f.StringVarP(&n.OutLink, "out-link", "o", "result", "result symlink")
	stringArrayVarP(f, &n.NixPath, "include", "I", nil, "nix search path entry, e.g. nixpkgs=/path (repeatable)")
	stringArrayVar(f, &n.Args, "arg", nil, "NAME=EXPR passed as --arg NAME EXPR (repeatable)")
	f.StringVar(&n.MaxJobs, "max-jobs", "", "nix-build --max-jobs")
	f.StringVar(&n.Cores, "cores", "", "nix-build --cores")
	f.StringVar(&n.Builders, "builders", "", "nix-build --builders (remote builders)")
	stringArrayVar(f, &n.Options, "option", nil, "NAME=VALUE passed as --option NAME VALUE (repeatable)")
}

// NixOptions are the flags as pipeline.Build takes them.
func (n *Nix) NixOptions() (pipeline.NixOptions, error) {
	out := pipeline.NixOptions{OutLink: n.OutLink, NixPath: n.NixPath, MaxJobs: n.MaxJobs, Cores: n.Cores, Builders: n.Builders}
	for _, kv := range n.Args {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return out, fmt.Errorf("--arg %q: want NAME=EXPR", kv)
		}
		out.Args = append(out.Args, [2]string{k, v})
	}
	for _, kv := range n.Options {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return out, fmt.Errorf("--option %q: want NAME=VALUE", kv)
		}
		out.Options = append(out.Options, [2]string{k, v})
	}
	return out, nil
}
