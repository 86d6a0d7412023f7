package reqfile

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/machnix/machnix/resolve/pep508"
)

// Project is a local project directory named where a requirement would
// be: ".", "./app[extra]", "../lib", "/abs/dir", or "name @ file:///dir".
// It is read and hashed by resolve/project and locked as a local entry.
type Project struct {
	// Dir is the directory as an absolute path.
	Dir string `json:"dir"`
	// Extras are the requested extras, PEP 685 normalised.
	Extras []string `json:"extras,omitempty"`
	// Name is the name a "name @ file:" requirement gives, normalised,
	// which the project's metadata must match; "" otherwise.
	Name string `json:"name,omitempty"`
	File string `json:"file"`
	Line int    `json:"line"`
}

// EditableHint says what to do instead of an editable install, which a
// Nix store path cannot be.
const EditableHint = "machnix builds a project into the Nix store, which is read-only, so an editable install cannot be made: " +
	"build it non-editable with machnix (machnix build . or a line . in the requirements file; the lock records the project's files " +
	"by hash and machnix build notices a change), or for development enter the environment of its dependencies " +
	"(machnix env DIR ., then nix-shell DIR/shell.nix) and run the project from its directory"

// SplitProjectArg splits a project argument "path[extra,...]" into the
// path and its normalised extras. ok is false when the brackets are
// malformed.
func SplitProjectArg(arg string) (path string, extras []string, ok bool) {
	base, rest, found := strings.Cut(arg, "[")
	if !found {
		return arg, nil, arg != ""
	}
	inner, ok := strings.CutSuffix(rest, "]")
	if !ok || base == "" || strings.ContainsAny(inner, "[]") {
		return "", nil, false
	}
	for x := range strings.SplitSeq(inner, ",") {
		x = strings.TrimSpace(x)
		if !pep508.ValidName(x) {
			return "", nil, false
		}
		extras = append(extras, pep508.NormalizeExtra(x))
	}
	return base, extras, true
}

// localProject recognises a line naming a local project directory: a
// path starting with "." or "/", optionally with extras, that is a
// directory (relative ones taken from the requirements file's directory),
// or a file: URL of one.
func localProject(args, dir string) (Project, bool, error) {
	if isURL(args) {
		d, ok := LocalDir(args)
		return Project{Dir: d}, ok, nil
	}
	if !strings.HasPrefix(args, ".") && !strings.HasPrefix(args, "/") {
		return Project{}, false, nil
	}
	p, extras, ok := SplitProjectArg(args)
	if !ok {
		return Project{}, false, fmt.Errorf("%w: %q: write extras of a project as path[extra1,extra2]", ErrSyntax, args)
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
		return Project{}, false, nil
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return Project{}, false, err
	}
	return Project{Dir: abs, Extras: extras}, true, nil
}

// LocalDir returns the directory a file: URL names, when it names one on
// this machine: a local project rather than an archive.
func LocalDir(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "file" || (u.Host != "" && u.Host != "localhost") || u.Fragment != "" || u.RawQuery != "" {
		return "", false
	}
	p := filepath.FromSlash(u.Path)
	if !filepath.IsAbs(p) {
		return "", false
	}
	if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
		return "", false
	}
	return filepath.Clean(p), true
}
