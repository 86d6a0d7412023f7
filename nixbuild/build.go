package nixbuild

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
)

// ErrBuildFailed wraps a failed nix-build; the error text carries the failing
// derivation, the last log lines and a diagnosis.
var ErrBuildFailed = errors.New("nix-build failed")

// BuildOptions are passed through to nix-build.
type BuildOptions struct {
	// OutLink is the result symlink (nix-build -o); empty means no out-link.
	OutLink string
	// NixPath entries for -I, e.g. "nixpkgs=/path/to/nixpkgs".
	NixPath []string
	// Args are --arg NAME EXPR pairs.
	Args [][2]string
	// MaxJobs, Cores and Builders are nix-build's options of those names;
	// remote builders are how a build scales beyond one machine.
	MaxJobs, Cores, Builders string
	// Options are --option NAME VALUE pairs, e.g. substituters.
	Options [][2]string
	// Log receives nix-build's log as it runs; nil discards it.
	Log io.Writer
	// Stamp identifies what is being built, for the no-op check; empty means
	// the expression's bytes and the options.
	Stamp string
	// Progress, when set, is told how many derivations are built of how
	// many, and which are building now.
	Progress func(Progress)
}

func (o BuildOptions) args(expr string) []string {
	args := []string{expr}
	if o.OutLink != "" {
		args = append(args, "--out-link", o.OutLink)
	} else {
		args = append(args, "--no-out-link")
	}
	for _, p := range o.NixPath {
		args = append(args, "-I", p)
	}
	for _, a := range o.Args {
		args = append(args, "--arg", a[0], a[1])
	}
	if o.MaxJobs != "" {
		args = append(args, "--max-jobs", o.MaxJobs)
	}
	if o.Cores != "" {
		args = append(args, "--cores", o.Cores)
	}
	if o.Builders != "" {
		args = append(args, "--builders", o.Builders)
	}
	for _, opt := range o.Options {
		args = append(args, "--option", opt[0], opt[1])
	}
	return args
}

// Build runs nix-build on expr and returns the store path. With an OutLink,
// an unchanged expression and options whose last result still exists is a
// no-op: a stamp beside the out-link records what built it.
func Build(ctx context.Context, expr string, o BuildOptions) (string, error) {
	args := o.args(expr)
	stamp := o.Stamp
	if stamp == "" {
		data, err := os.ReadFile(expr)
		if err != nil {
			return "", err
		}
		stamp = Stamp(data, args[1:])
	}
	if path, ok := UpToDate(o.OutLink, stamp); ok {
		return path, nil
	}
	var stdout bytes.Buffer
	tail := newLastLines(25)
	logTo := io.Writer(tail)
	if o.Log != nil {
		logTo = io.MultiWriter(tail, o.Log)
	}
	// The structured log gives progress; it is turned back into text for
	// the tail and Log, so nothing a person would read is lost.
	structured := newJSONLog(logTo, o.Progress)
	cmd := exec.CommandContext(ctx, "nix-build", append(args, "--log-format", "internal-json")...)
	cmd.Stdout, cmd.Stderr = &stdout, structured
	err := cmd.Run()
	structured.flush()
	if err != nil {
		return "", diagnose(tail.all(), err)
	}
	fields := strings.Fields(stdout.String())
	if len(fields) == 0 {
		return "", fmt.Errorf("%w: nix-build printed no store path", ErrBuildFailed)
	}
	path := fields[len(fields)-1]
	if o.OutLink != "" {
		if err := os.WriteFile(o.OutLink+".machnix-stamp", []byte(stamp+"\n"), 0o644); err != nil {
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
	// Debian's nix-bin comes without nix.conf or build users: run by
	// root, Nix asks for a group that nothing created.
	noBuildGroup = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`error: the group '([^']*)' specified in 'build-users-group' does not exist`)
	})
)

// diagnose turns nix-build's last lines into an error that says which
// derivation failed and, where the log shows why, what to do.
func diagnose(lines []string, runErr error) error {
	var b strings.Builder
	drv := ""
	for _, l := range lines {
		if m := failedDrv().FindStringSubmatch(l); m != nil && drv == "" {
			drv = m[1]
		}
	}
	if drv != "" {
		fmt.Fprintf(&b, "building %s failed", drv)
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
	}
	return fmt.Errorf("%w: %s", ErrBuildFailed, strings.TrimRight(b.String(), "\n"))
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

// AddToStore adds verified files to the store as fixed-output paths named
// like the URLs they came from, so that the expression's fetchurl finds them
// valid and Nix downloads nothing again. files maps a URL's base name to the
// local file.
func AddToStore(ctx context.Context, files map[string]string) error {
	dir, err := os.MkdirTemp("", "machnix-add-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	for name, path := range files {
		named := filepath.Join(dir, name)
		if err := os.Link(path, named); err != nil {
			if err := copyFile(path, named); err != nil {
				return err
			}
		}
		if _, err := nixStoreLines(ctx, "--add-fixed", "sha256", named); err != nil {
			return err
		}
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
