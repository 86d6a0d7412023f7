package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/machnix/machnix/autopatch"
	"github.com/machnix/machnix/fetch"
	"github.com/machnix/machnix/internal/atomicfile"
	"github.com/machnix/machnix/nixbuild"
	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/resolve/pep508"
)

// lockInputs are what every Nix-facing command needs from a lock: the lock,
// its fetched files, and their native report.
type lockInputs struct {
	lock      *resolve.Lock
	artifacts []fetch.Artifact
	report    *autopatch.NativeReport
	// buildSystems are each sdist's [build-system] requires.
	buildSystems map[string][]string
}

// prepareLock reads the lock, fetches (or finds in the cache) its files and
// inspects the wheels.
func prepareLock(ctx context.Context, lockPath string, cfg *config, offline bool, timeout time.Duration) (*lockInputs, error) {
	lock, err := resolve.ReadLock(lockPath)
	if err != nil {
		return nil, err
	}
	arts, err := fetch.Fetch(ctx, lock, fetch.WithOffline(offline), fetch.WithTimeout(timeout))
	if err != nil {
		return nil, problem(err)
	}
	var wheels []string
	buildSystems := map[string][]string{}
	for _, a := range arts {
		if strings.HasSuffix(a.Filename, ".whl") {
			// The cache names blobs by hash; autopatch takes name,
			// version and tags from the wheel's own metadata.
			wheels = append(wheels, a.Path)
			continue
		}
		requires, err := fetch.SdistBuildRequires(ctx, a.Path, a.Filename)
		if err != nil {
			return nil, problem(err)
		}
		buildSystems[a.Name] = requires
	}
	report, err := autopatch.Inspect(ctx, wheels, autopatch.WithSystem(lock.Target.System),
		autopatch.WithSonames(cfg.Sonames), autopatch.WithNixLocate(true))
	if err != nil {
		return nil, err
	}
	return &lockInputs{lock: lock, artifacts: arts, report: report, buildSystems: buildSystems}, nil
}

// missingDiagnosis describes every unprovided library, with the fix, or
// returns "" when nothing is missing (after ignore, and each package's
// [overrides] ignoreMissing).
func missingDiagnosis(report *autopatch.NativeReport, ignore []string, overrides map[string]nixbuild.Override) string {
	skip := map[string]bool{}
	for _, s := range ignore {
		skip[s] = true
	}
	perPackage := map[string][]string{}
	for name, o := range overrides {
		perPackage[pep508.NormalizeName(name)] = o.IgnoreMissing
	}
	var b strings.Builder
	for _, w := range report.Wheels {
		for _, e := range w.ELFs {
			for _, d := range e.Deps {
				if d.Status != autopatch.StatusMissing || skip[d.Soname] || slices.Contains(perPackage[pep508.NormalizeName(w.Name)], d.Soname) {
					continue
				}
				fmt.Fprintf(&b, "  %s %s: %s needs %s, which nothing provides\n", w.Name, w.Version, e.Path, d.Soname)
				fmt.Fprintf(&b, "    fix: add to machnix.toml\n      [sonames]\n      %q = \"<nixpkgs attribute>\"\n", d.Soname)
				fmt.Fprintf(&b, "    or, if it comes at run time, pass --ignore-missing %s or add to machnix.toml\n      [overrides.%s]\n      ignoreMissing = [%q]\n",
					d.Soname, pep508.NormalizeName(w.Name), d.Soname)
			}
		}
	}
	return b.String()
}

type genFlags struct {
	lock          string
	out           string
	offline       bool
	ignoreMissing []string
}

func addGenFlags(cmd *cobra.Command, fl *genFlags) {
	f := cmd.Flags()
	f.StringVar(&fl.lock, "lock", "machnix.lock", "lock file")
	f.BoolVar(&fl.offline, "offline", false, "use only files already in the cache")
	stringArrayVar(f, &fl.ignoreMissing, "ignore-missing", nil, "soname allowed to stay unresolved (repeatable)")
}

// writeNixDir writes what gen and env leave behind: default.nix (the
// environment, or its shell under nix-shell), shell.nix, nixpkgs.nix (the
// pinned package set) and a copy of the lock.
func writeNixDir(dir, lockPath string, lock *resolve.Lock, expr []byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	lockData, err := os.ReadFile(lockPath)
	if err != nil {
		return err
	}
	shell, err := nixbuild.Shell(lock)
	if err != nil {
		return err
	}
	files := map[string][]byte{
		"default.nix":  expr,
		"shell.nix":    shell,
		"nixpkgs.nix":  nixbuild.NixpkgsFile(lock),
		"machnix.lock": lockData,
	}
	for name, data := range files {
		if err := atomicfile.Write(filepath.Join(dir, name), data); err != nil {
			return err
		}
	}
	return nil
}

// generate runs the stages up to the expression and stops before Nix when a
// library is missing.
func generate(cmd *cobra.Command, fl genFlags) (*lockInputs, []byte, error) {
	cfg, err := configFor(cmd)
	if err != nil {
		return nil, nil, err
	}
	in, err := prepareLock(cmd.Context(), fl.lock, cfg, fl.offline, netTimeout(cmd))
	if err != nil {
		return nil, nil, err
	}
	overrides := cfg.nixOverrides()
	if err := nixbuild.CheckOverrides(in.lock, overrides); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", cfg.path, err)
	}
	if d := missingDiagnosis(in.report, fl.ignoreMissing, overrides); d != "" {
		return nil, nil, problem(fmt.Errorf("native libraries are missing; stopping before Nix:\n%s", strings.TrimRight(d, "\n")))
	}
	expr, err := nixbuild.Generate(in.lock, in.report, nixbuild.WithIgnoreMissing(fl.ignoreMissing...), nixbuild.WithOverrides(overrides),
		nixbuild.WithBuildSystems(in.buildSystems))
	if errors.Is(err, nixbuild.ErrBadOverride) {
		return nil, nil, fmt.Errorf("%s: %w", cfg.path, err)
	}
	if err != nil {
		return nil, nil, problem(err)
	}
	return in, expr, nil
}

func newGenCmd() *cobra.Command {
	var fl genFlags
	cmd := &cobra.Command{
		Use:   "gen --lock machnix.lock -o DIR",
		Short: "Write the Nix expression for a lock",
		Long: `gen fetches the lock's files, checks every native library the wheels need, and
writes DIR/default.nix, DIR/shell.nix, DIR/nixpkgs.nix and a copy of the
lock. default.nix takes { pkgs ? <the lock's nixpkgs>, python ? pkgs.pythonXY }
and builds python.withPackages over one buildPythonPackage per wheel (and
python.pkgs.ATTR for packages nixpkgs provides); under nix-shell it is a
shell with that environment on PATH. The nixpkgs is the one the lock is
pinned to (resolve --nixpkgs), else <nixpkgs>.

Exit codes: 0 written; 1 a library is missing or a download failed; 2 bad
usage or a bad lock.`,
		Example: `  machnix gen --lock machnix.lock -o nix/
  nix-build nix/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in, expr, err := generate(cmd, fl)
			if err != nil {
				return err
			}
			if err := writeNixDir(fl.out, fl.lock, in.lock, expr); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), filepath.Join(fl.out, "default.nix"))
			return nil
		},
	}
	addGenFlags(cmd, &fl)
	cmd.Flags().StringVarP(&fl.out, "output", "o", ".", "directory to write default.nix and machnix.lock into")
	return cmd
}

type buildFlags struct {
	genFlags
	resolve  resolveFlags
	outLink  string
	nixPath  []string
	args     []string
	maxJobs  string
	cores    string
	builders string
	options  []string
}

func newBuildCmd() *cobra.Command {
	var fl buildFlags
	cmd := &cobra.Command{
		Use:   "build (-r requirements.txt | --lock machnix.lock) [-o result]",
		Short: "Build a lock's Python environment with nix-build",
		Long: `build runs (resolve →) fetch → diagnose → gen → nix-build and prints the environment's
store path, keeping the out-link (-o, default ./result). A wheel whose native
library nothing provides stops the build before Nix, with the fix. The
wheels machnix fetched are added to the store first, so Nix downloads
nothing twice. An unchanged lock, config and options with the out-link still
in place is an immediate no-op.

Nix options pass through: -I, --arg, --max-jobs, --cores, --builders and
--option NAME=VALUE.

Exit codes: 0 built; 1 a library is missing, a download or the build failed;
2 bad usage or a bad lock.`,
		Example: `  machnix build -r requirements.txt
  machnix build --lock machnix.lock
  machnix build --lock machnix.lock -I nixpkgs=channel:nixos-unstable --max-jobs 8 --builders 'ssh://big x86_64-linux'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, err := buildEnv(cmd, fl)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), path)
			return nil
		},
	}
	addBuildFlags(cmd, &fl)
	return cmd
}

func addBuildFlags(cmd *cobra.Command, fl *buildFlags) {
	addGenFlags(cmd, &fl.genFlags)
	addResolveFlags(cmd, &fl.resolve)
	f := cmd.Flags()
	f.StringVarP(&fl.outLink, "out-link", "o", "result", "result symlink")
	stringArrayVarP(f, &fl.nixPath, "include", "I", nil, "nix search path entry, e.g. nixpkgs=/path (repeatable)")
	stringArrayVar(f, &fl.args, "arg", nil, "NAME=EXPR passed as --arg NAME EXPR (repeatable)")
	f.StringVar(&fl.maxJobs, "max-jobs", "", "nix-build --max-jobs")
	f.StringVar(&fl.cores, "cores", "", "nix-build --cores")
	f.StringVar(&fl.builders, "builders", "", "nix-build --builders (remote builders)")
	stringArrayVar(f, &fl.options, "option", nil, "NAME=VALUE passed as --option NAME VALUE (repeatable)")
}

// buildEnv builds the lock's environment and returns its store path. With
// -r, the requirements are resolved into the lock first (keeping its pins
// where they still fit).
func buildEnv(cmd *cobra.Command, fl buildFlags) (string, error) {
	if len(fl.resolve.requirements) > 0 {
		fl.resolve.out = fl.lock
		if _, err := resolveLock(cmd, fl.resolve); err != nil {
			return "", err
		}
	}
	opts := nixbuild.BuildOptions{OutLink: fl.outLink, NixPath: fl.nixPath, MaxJobs: fl.maxJobs, Cores: fl.cores, Builders: fl.builders,
		// The environment, even when machnix runs inside a nix-shell.
		Args: [][2]string{{"shell", "false"}}}
	for _, kv := range fl.args {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return "", fmt.Errorf("--arg %q: want NAME=EXPR", kv)
		}
		opts.Args = append(opts.Args, [2]string{k, v})
	}
	for _, kv := range fl.options {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return "", fmt.Errorf("--option %q: want NAME=VALUE", kv)
		}
		opts.Options = append(opts.Options, [2]string{k, v})
	}

	// The no-op check comes first, before any fetch or inspection: the
	// lock, the config and the options decide the result.
	stamp, err := inputStamp(cmd, fl, opts)
	if err != nil {
		return "", err
	}
	opts.Stamp = stamp
	if path, ok := nixbuild.UpToDate(fl.outLink, stamp); ok {
		fmt.Fprintln(cmd.ErrOrStderr(), "machnix: up to date")
		return path, nil
	}

	in, expr, err := generate(cmd, fl.genFlags)
	if err != nil {
		return "", err
	}
	if err := addArtifactsToStore(cmd.Context(), in); err != nil {
		return "", err
	}
	work, err := os.MkdirTemp("", "machnix-build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	exprPath := filepath.Join(work, "default.nix")
	if err := os.WriteFile(exprPath, expr, 0o644); err != nil {
		return "", err
	}
	opts.Log = io.Discard
	progress := newNixProgress(cmd.ErrOrStderr())
	opts.Progress = progress.update
	path, err := nixbuild.Build(cmd.Context(), exprPath, opts)
	progress.end()
	if err != nil {
		if errors.Is(err, nixbuild.ErrBuildFailed) {
			return "", problem(err)
		}
		return "", err
	}
	return path, nil
}

// addArtifactsToStore puts the files machnix fetched and verified into the
// store under the names fetchurl gives them, so Nix downloads nothing twice.
func addArtifactsToStore(ctx context.Context, in *lockInputs) error {
	files := map[string]string{}
	byName := map[string]resolve.Package{}
	for _, p := range in.lock.Packages {
		byName[p.Name] = p
	}
	for _, a := range in.artifacts {
		if p, ok := byName[a.Name]; ok && p.URL != "" {
			files[urlBase(p.URL)] = a.Path
		}
	}
	if err := nixbuild.AddToStore(ctx, files); err != nil {
		return problem(err)
	}
	return nil
}

// inputStamp hashes everything that decides a build's result.
func inputStamp(cmd *cobra.Command, fl buildFlags, opts nixbuild.BuildOptions) (string, error) {
	lockData, err := os.ReadFile(fl.lock)
	if err != nil {
		return "", fmt.Errorf("%s: %w", fl.lock, errors.Unwrap(err))
	}
	var parts []string
	if cfgPath, _ := cmd.Flags().GetString("config"); cfgPath != "" || fileExists(defaultConfigFile) {
		if cfgPath == "" {
			cfgPath = defaultConfigFile
		}
		data, err := os.ReadFile(cfgPath)
		if err != nil {
			return "", err
		}
		parts = append(parts, string(data))
	}
	ignore := append([]string(nil), fl.ignoreMissing...)
	sort.Strings(ignore)
	parts = append(parts, strings.Join(ignore, ","), strings.Join(fl.nixPath, "\x01"), fl.maxJobs, fl.cores, fl.builders)
	for _, a := range append(opts.Args, opts.Options...) {
		parts = append(parts, a[0]+"="+a[1])
	}
	return nixbuild.Stamp(lockData, parts), nil
}

func urlBase(u string) string {
	u, _, _ = strings.Cut(u, "#")
	u, _, _ = strings.Cut(u, "?")
	return u[strings.LastIndexByte(u, '/')+1:]
}
