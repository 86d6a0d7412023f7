package nixbuild

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/machnix/machnix/fetch"
	"github.com/machnix/machnix/resolve"
)

// ErrBuildFailed wraps a failed nix-build; the error text carries the failing
// derivation, the last log lines and a diagnosis.
var ErrBuildFailed = errors.New("nix-build failed")

// BuildOption adjusts Build: most pass nix-build's own options through.
type BuildOption func(*buildSettings)

type buildSettings struct {
	outLink        string
	nixPath        []string
	args, argStrs  [][2]string
	showTrace      bool
	options        [][2]string
	maxJobs, cores string
	builders       string
	substituters   []string
	trustedKeys    []string
	log            io.Writer
	stamp          string
	progress       func(Progress)
}

// WithOutLink keeps a result symlink (nix-build -o); without it there is
// none.
func WithOutLink(path string) BuildOption { return func(s *buildSettings) { s.outLink = path } }

// WithNixPath adds -I entries, e.g. "nixpkgs=/path/to/nixpkgs".
func WithNixPath(entries ...string) BuildOption {
	return func(s *buildSettings) { s.nixPath = append(s.nixPath, entries...) }
}

// WithArg passes --arg NAME EXPR.
func WithArg(name, expr string) BuildOption {
	return func(s *buildSettings) { s.args = append(s.args, [2]string{name, expr}) }
}

// WithArgStr passes --argstr NAME VALUE: VALUE is a string, never
// evaluated.
func WithArgStr(name, value string) BuildOption {
	return func(s *buildSettings) { s.argStrs = append(s.argStrs, [2]string{name, value}) }
}

// WithShowTrace passes --show-trace: an evaluation error shows its whole
// trace.
func WithShowTrace(on bool) BuildOption { return func(s *buildSettings) { s.showTrace = on } }

// WithOption passes --option NAME VALUE, e.g. substituters.
func WithOption(name, value string) BuildOption {
	return func(s *buildSettings) { s.options = append(s.options, [2]string{name, value}) }
}

// WithMaxJobs, WithCores and WithBuilders pass nix-build's options of those
// names; remote builders are how a build scales beyond one machine.
func WithMaxJobs(n string) BuildOption     { return func(s *buildSettings) { s.maxJobs = n } }
func WithCores(n string) BuildOption       { return func(s *buildSettings) { s.cores = n } }
func WithBuilders(spec string) BuildOption { return func(s *buildSettings) { s.builders = spec } }

// WithSubstituters adds binary caches to the ones Nix is configured with
// (extra-substituters), and WithTrustedPublicKeys keys whose signatures
// Nix accepts on what they serve (extra-trusted-public-keys). A path a
// cache holds, signed by a trusted key, is copied instead of built.
func WithSubstituters(urls ...string) BuildOption {
	return func(s *buildSettings) { s.substituters = append(s.substituters, urls...) }
}
func WithTrustedPublicKeys(keys ...string) BuildOption {
	return func(s *buildSettings) { s.trustedKeys = append(s.trustedKeys, keys...) }
}

// givenCaches are the binary caches this build was given: WithSubstituters'
// and those in a substituters or extra-substituters option.
func (s *buildSettings) givenCaches() []string {
	out := slices.Clone(s.substituters)
	for _, o := range s.options {
		if o[0] == "substituters" || o[0] == "extra-substituters" {
			out = append(out, strings.Fields(o[1])...)
		}
	}
	return out
}

// WithLog receives nix-build's log as it runs; without it the log is kept
// only for the diagnosis of a failure.
func WithLog(w io.Writer) BuildOption { return func(s *buildSettings) { s.log = w } }

// WithStamp identifies what is being built, for the no-op check; without it
// the expression's bytes and the options do.
func WithStamp(stamp string) BuildOption { return func(s *buildSettings) { s.stamp = stamp } }

// WithProgress is told how many derivations are built of how many, and
// which are building now.
func WithProgress(f func(Progress)) BuildOption { return func(s *buildSettings) { s.progress = f } }

func (o *buildSettings) commandArgs(expr string) []string {
	args := []string{expr}
	if o.outLink != "" {
		args = append(args, "--out-link", o.outLink)
	} else {
		args = append(args, "--no-out-link")
	}
	for _, p := range o.nixPath {
		args = append(args, "-I", p)
	}
	for _, a := range o.args {
		args = append(args, "--arg", a[0], a[1])
	}
	for _, a := range o.argStrs {
		args = append(args, "--argstr", a[0], a[1])
	}
	if o.showTrace {
		args = append(args, "--show-trace")
	}
	if o.maxJobs != "" {
		args = append(args, "--max-jobs", o.maxJobs)
	}
	if o.cores != "" {
		args = append(args, "--cores", o.cores)
	}
	if o.builders != "" {
		args = append(args, "--builders", o.builders)
	}
	for _, opt := range o.options {
		args = append(args, "--option", opt[0], opt[1])
	}
	// After --option, so that they add to a substituters or
	// trusted-public-keys given there.
	if len(o.substituters) > 0 {
		args = append(args, "--option", "extra-substituters", strings.Join(o.substituters, " "))
	}
	if len(o.trustedKeys) > 0 {
		args = append(args, "--option", "extra-trusted-public-keys", strings.Join(o.trustedKeys, " "))
	}
	return args
}

// Build runs nix-build on expr and returns the store path. With an out-link,
// an unchanged expression and options whose last result still exists is a
// no-op: a stamp beside the out-link records what built it.
func Build(ctx context.Context, expr string, opts ...BuildOption) (string, error) {
	var o buildSettings
	for _, opt := range opts {
		opt(&o)
	}
	for _, u := range o.substituters {
		if err := CheckSubstituterURL(u); err != nil {
			return "", err
		}
	}
	for _, k := range o.trustedKeys {
		if err := CheckPublicKey(k); err != nil {
			return "", err
		}
	}
	args := o.commandArgs(expr)
	stamp := o.stamp
	if stamp == "" {
		data, err := os.ReadFile(expr)
		if err != nil {
			return "", err
		}
		stamp = Stamp(data, args[1:])
	}
	if path, ok := UpToDate(o.outLink, stamp); ok {
		return path, nil
	}
	var stdout bytes.Buffer
	tail := newLastLines(25)
	logTo := io.Writer(tail)
	if o.log != nil {
		logTo = io.MultiWriter(tail, o.log)
	}
	// The structured log gives progress; it is turned back into text for
	// the tail and the log, so nothing a person would read is lost.
	structured := newJSONLog(logTo, o.progress)
	cmd := exec.CommandContext(ctx, "nix-build", append(args, "--log-format", "internal-json")...)
	cmd.Stdout, cmd.Stderr = &stdout, structured
	err := cmd.Run()
	structured.flush()
	// Explaining a refused cache asks each cache for a narinfo: do it once,
	// and only where the explanation is shown (progress, or the error).
	var unsigned []string
	if len(structured.state.Unsigned) > 0 && (o.progress != nil || err != nil) {
		unsigned = explainUnsigned(ctx, structured.state.Unsigned, o.trustedKeys, o.givenCaches(), err == nil)
	}
	if len(unsigned) > 0 && o.progress != nil {
		final := structured.state
		final.Warnings = unsigned
		o.progress(final)
	}
	if err != nil {
		return "", diagnose(tail.all(), err, structured, unsigned)
	}
	fields := strings.Fields(stdout.String())
	if len(fields) == 0 {
		return "", fmt.Errorf("%w: nix-build printed no store path", ErrBuildFailed)
	}
	path := fields[len(fields)-1]
	if o.outLink != "" {
		if err := os.WriteFile(o.outLink+".machnix-stamp", []byte(stamp+"\n"), 0o644); err != nil {
			return "", err
		}
	}
	return path, nil
}

// Stamp identifies a build by its inputs' bytes and options.
func Stamp(data []byte, options []string) string {
	h := sha256.New()
	h.Write(data)
	for _, a := range options {
		fmt.Fprintf(h, "\x00%s", a)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// UpToDate reports whether outLink still points to a store path that was
// built from stamp, and returns that path.
func UpToDate(outLink, stamp string) (string, bool) {
	if outLink == "" {
		return "", false
	}
	got, err := os.ReadFile(outLink + ".machnix-stamp")
	if err != nil || strings.TrimSpace(string(got)) != stamp {
		return "", false
	}
	target, err := filepath.EvalSymlinks(outLink)
	if err != nil {
		return "", false
	}
	return target, true
}

// Compiled when a build fails, not as every run of machnix starts.
var (
	unsatisfied = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`could not satisfy dependency (\S+) wanted by (\S+)`)
	})
	failedDrv = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`builder for '([^']+\.drv)' failed`) })
	// A build a remote builder ran, and one that could not reach it.
	failedOn     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`build of '([^']+\.drv)' on '([^']+)' failed`) })
	unreachable  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`cannot build on '([^']+)': (?:error: )?(.*)`) })
	hashMismatch = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`hash mismatch importing path '([^']+)'`) })
	noBuildSlot  = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`unable to start any build; (either increase '--max-jobs' or enable remote builds|remote machines may not have all required system features)`)
	})
	// Debian's nix-bin comes without nix.conf or build users: run by
	// root, Nix asks for a group that nothing created.
	noBuildGroup = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`error: the group '([^']*)' specified in 'build-users-group' does not exist`)
	})
)

// diagnose turns nix-build's last lines into an error that says which
// derivation failed and, where the log shows why, what to do; unsigned is
// explainUnsigned's text for the caches Nix refused.
func diagnose(lines []string, runErr error, log *jsonLog, unsigned []string) error {
	state := log.state
	var b strings.Builder
	drv, machine, unreached := "", "", false
	for _, l := range lines {
		if m := failedOn().FindStringSubmatch(l); m != nil && machine == "" {
			drv, machine = m[1], MachineName(m[2])
		}
		if m := failedDrv().FindStringSubmatch(l); m != nil && drv == "" {
			drv = m[1]
		}
	}
	if machine == "" {
		machine = log.machineOf[drv]
	}
	if drv != "" {
		fmt.Fprintf(&b, "building %s failed", drv)
		if machine != "" {
			fmt.Fprintf(&b, " on the remote builder %s", machine)
		}
	} else {
		fmt.Fprintf(&b, "%v", runErr)
	}
	b.WriteString("\nlast log lines:\n")
	for _, l := range lines {
		b.WriteString("  " + l + "\n")
	}
	for _, l := range lines {
		if m := unsatisfied().FindStringSubmatch(l); m != nil {
			fmt.Fprintf(&b, "diagnosis: %s (wanted by %s) is not mapped to a nixpkgs input; add `\"%s\" = \"<nixpkgs attribute>\"` to [sonames] in machnix.toml, or pass --ignore-missing %s if it is loaded only at run time\n",
				m[1], m[2], m[1], m[1])
		}
		// Nix repeats this as warnings; only its one error line matches.
		if m := noBuildGroup().FindStringSubmatch(l); m != nil {
			fmt.Fprintf(&b, "diagnosis: Nix is not set up to build as root: it builds as the members of group %q, which does not exist. Create that group and its build users (the Nix installer does; on Debian, the nix-setup-systemd package), or let root build as itself with `build-users-group =` in /etc/nix/nix.conf\n", m[1])
		}
		if m := unreachable().FindStringSubmatch(l); m != nil {
			unreached = true
			fmt.Fprintf(&b, "diagnosis: Nix could not use the remote builder %s: %s. Nix runs ssh as root (or the daemon's user) with NIX_SSHOPTS; check that `ssh $NIX_SSHOPTS USER@HOST nix-store --version` works from here without a prompt (the key and known host in the builder's line of --builders or NIX_SSHOPTS), and that nix-store (ssh://) or nix-daemon (ssh-ng://) is on the remote PATH\n", MachineName(m[1]), m[2])
		}
		if m := hashMismatch().FindStringSubmatch(l); m != nil {
			fmt.Fprintf(&b, "diagnosis: a substituter served %s with contents that do not match its recorded hash: the machine that pushed it had the path changed after its build (a program run as root writing into the store). Run nix-store --verify-path on it there, repair it with nix-store --repair-path, and push again; machnix --cache verifies what it uploads\n", m[1])
		}
		if machine != "" && strings.Contains(l, "unexpected end-of-file") {
			b.WriteString("diagnosis: the copy of the build's inputs to or its outputs from the builder broke off. Nix refuses to send a path whose contents no longer match the hash its build recorded: nix-store --verify --check-contents finds such paths (repair them with nix-store --repair-path); else look at the builder's own log\n")
		}
		if noBuildSlot().MatchString(l) && len(state.Unsigned) == 0 && !unreached {
			b.WriteString("diagnosis: no machine may build: --max-jobs 0 leaves it to remote builders, and none (--builders) takes this system and its features; give a builder or allow local builds with --max-jobs\n")
		}
	}
	for _, w := range unsigned {
		b.WriteString("diagnosis: " + w + "\n")
	}
	return fmt.Errorf("%w: %s", ErrBuildFailed, strings.TrimRight(b.String(), "\n"))
}

// explainUnsigned says, per substituter, which paths Nix refused for want
// of a trusted signature, which keys signed them (read from the cache's
// narinfo where machnix can), which keys were trusted, and what to do.
// built says whether Nix went on to build them.
//
// Only caches the user gave (given) are asked: a cache's URL in the log
// is text a remote builder may forward, which must not choose what
// machnix reads or whom it asks.
func explainUnsigned(ctx context.Context, unsigned map[string][]string, trustedKeys, given []string, built bool) []string {
	var out []string
	for _, cache := range slices.Sorted(maps.Keys(unsigned)) {
		paths := unsigned[cache]
		var b strings.Builder
		fmt.Fprintf(&b, "the binary cache %s offered %d paths (e.g. %s) that Nix refused: they are signed by none of the keys in trusted-public-keys", fetch.Redact(cache), len(paths), paths[0])
		signers, err := []string(nil), errors.New("not a cache machnix was given")
		if slices.Contains(given, cache) {
			signers, err = CacheSigners(ctx, cache, paths[0])
		}
		switch {
		case err != nil:
		case len(signers) == 0:
			b.WriteString("; the cache's narinfo carries no signature at all, so it was pushed unsigned")
		default:
			fmt.Fprintf(&b, "; the cache signed them with the key %s", quoteAll(signers))
		}
		names := make([]string, len(trustedKeys))
		for i, k := range trustedKeys {
			names[i] = KeyName(k)
		}
		if len(names) > 0 {
			fmt.Fprintf(&b, "; trusted were %s (--trusted-public-keys) and those of Nix's configuration", quoteAll(names))
		} else {
			b.WriteString("; trusted were only those of Nix's configuration (nix show-config: trusted-public-keys)")
		}
		if built {
			b.WriteString(", so Nix built them instead")
		}
		b.WriteString(". Pass --trusted-public-keys NAME:KEY with the public key of the key the cache was pushed with, or push it again with --cache-key and a key this machine trusts")
		out = append(out, b.String())
	}
	return out
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

// lastLines keeps the last max lines written to it.
type lastLines struct {
	lines
	max  int
	kept []string
}

func newLastLines(max int) *lastLines {
	l := &lastLines{max: max}
	l.each = func(s string) {
		l.kept = append(l.kept, s)
		if len(l.kept) > l.max {
			l.kept = append([]string(nil), l.kept[len(l.kept)-l.max:]...)
		}
	}
	return l
}

// all returns the kept lines, the unterminated last one included.
func (l *lastLines) all() []string {
	l.flush()
	return l.kept
}

// A Fetched file is a package's file on disk, verified against the lock's
// sha256.
type Fetched struct {
	Package resolve.Package `json:"package"`
	Path    string          `json:"path"`
}

// AddToStore adds verified files to the store as the fixed-output paths the
// generated fetchurl names them (StoreName), so that Nix finds them valid
// and downloads nothing again. Paths the store already has are left alone:
// their names follow from the hashes, so one query finds them without
// reading the files.
func AddToStore(ctx context.Context, files []Fetched) error {
	if len(files) == 0 {
		return nil
	}
	dir := storeDir()
	byPath := map[string]Fetched{}
	args := []string{"--check-validity", "--print-invalid"}
	for _, f := range files {
		p := fixedOutputPath(dir, StoreName(f.Package), f.Package.SHA256)
		byPath[p] = f
		args = append(args, p)
	}
	invalid, err := nixStoreLines(ctx, args...)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "machnix-add-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	for _, p := range invalid {
		f, ok := byPath[p]
		if !ok {
			return fmt.Errorf("%w: nix-store --check-validity printed %q, which machnix did not ask about", ErrNixStore, p)
		}
		named := filepath.Join(work, StoreName(f.Package))
		if err := os.Link(f.Path, named); err != nil {
			if err := copyFile(f.Path, named); err != nil {
				return err
			}
		}
		added, err := nixStoreLines(ctx, "--add-fixed", "sha256", named)
		if err != nil {
			return err
		}
		if len(added) != 1 || added[0] != p {
			return fmt.Errorf("%w: %s was added as %v, not as %s: its sha256 is not the lock's", ErrNixStore, f.Path, added, p)
		}
		os.Remove(named)
	}
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
