package reqfile

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/machnix/machnix/resolve/pep508"
	"github.com/machnix/machnix/resolve/tags"
)

// ErrSyntax is wrapped by errors about a line that cannot be understood.
var ErrSyntax = errors.New("invalid requirements file line")

// ErrUnsupported is wrapped by errors about pip features machnix does not
// offer (editable installs, VCS requirements without a name, ...).
var ErrUnsupported = errors.New("unsupported in requirements files")

// ErrHashes is wrapped by errors about hash-checking mode.
var ErrHashes = errors.New("hash-checking mode")

// Error names the file and line a problem comes from; it prints as
// "requirements.txt:7: message".
type Error struct {
	File string
	Line int // 0 when the problem is the file as a whole
	Err  error
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return e.File + ": " + e.Err.Error()
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Err.Error())
}

func (e *Error) Unwrap() error { return e.Err }

// File is everything a requirements file (with the files it includes)
// asks for.
type File struct {
	// Path is the top-level file as given.
	Path         string  `json:"path"`
	Requirements []Entry `json:"requirements"`
	Constraints  []Entry `json:"constraints,omitempty"`
	// IndexURL is the last --index-url given ("" for the default);
	// ExtraIndexURLs keep their order; NoIndex is --no-index.
	IndexURL       string   `json:"index_url,omitempty"`
	ExtraIndexURLs []string `json:"extra_index_urls,omitempty"`
	NoIndex        bool     `json:"no_index,omitempty"`
	// FindLinks are URLs, or absolute paths of local directories
	// (relative ones are taken from the file that names them).
	FindLinks []string `json:"find_links,omitempty"`
	// OnlyBinary and NoBinary hold normalised names or ":all:", after
	// pip's rules for combining them.
	OnlyBinary []string `json:"only_binary,omitempty"`
	NoBinary   []string `json:"no_binary,omitempty"`
	Pre        bool     `json:"pre,omitempty"`
	// RequireHashes is hash-checking mode: on when any requirement has a
	// --hash or --require-hashes is given; then every requirement has
	// hashes and an exact pin.
	RequireHashes bool     `json:"require_hashes,omitempty"`
	TrustedHosts  []string `json:"trusted_hosts,omitempty"`
	// Projects are the local project directories named in place of
	// requirements.
	Projects []Project `json:"projects,omitempty"`
}

// Entry is one requirement line.
type Entry struct {
	// Requirement is the PEP 508 text (after ${VAR} expansion; a bare
	// wheel or sdist URL becomes "name @ URL").
	Requirement string             `json:"requirement"`
	Parsed      pep508.Requirement `json:"parsed"`
	// Hashes are "algorithm:hex" from --hash options, lower case.
	Hashes []string `json:"hashes,omitempty"`
	File   string   `json:"file"`
	Line   int      `json:"line"`
}

// Name is the PEP 503 normalised project name.
func (e Entry) Name() string { return e.Parsed.Normalized() }

// RequirementStrings lists the requirements' PEP 508 texts in order.
func (f *File) RequirementStrings() []string {
	out := make([]string, len(f.Requirements))
	for i, e := range f.Requirements {
		out[i] = e.Requirement
	}
	return out
}

// Hashes maps each normalised name to its allowed sha256 digests (hex),
// the form resolve.WithHashes takes.
func (f *File) Hashes() map[string][]string {
	out := map[string][]string{}
	for _, e := range slices.Concat(f.Requirements, f.Constraints) {
		for _, h := range e.Hashes {
			if hex, ok := strings.CutPrefix(h, "sha256:"); ok && !slices.Contains(out[e.Name()], hex) {
				out[e.Name()] = append(out[e.Name()], hex)
			}
		}
	}
	return out
}

// Option configures Parse.
type Option func(*config)

type config struct {
	getenv func(string) string
	ctx    context.Context
}

// WithGetenv replaces os.Getenv for ${VAR} expansion.
func WithGetenv(f func(string) string) Option { return func(c *config) { c.getenv = f } }

// WithContext stops parsing once ctx is done, between files and lines.
func WithContext(ctx context.Context) Option { return func(c *config) { c.ctx = ctx } }

// Parse reads a pip requirements file and every file it includes with -r
// or -c (paths relative to the including file). It follows pip's line
// handling: a trailing backslash continues a line, "#" after whitespace
// or at the start begins a comment, ${NAME} (upper case, digits and _)
// is replaced by a set, non-empty environment variable, and options
// start at the first word beginning with "-".
func Parse(path string, opts ...Option) (*File, error) {
	c := config{getenv: os.Getenv, ctx: context.Background()}
	for _, o := range opts {
		o(&c)
	}
	p := &fileParser{cfg: c, out: &File{Path: path}, fc: newFormatControl(), done: map[includeKey]bool{}}
	if err := p.parse(path, false, nil); err != nil {
		return nil, err
	}
	p.out.OnlyBinary, p.out.NoBinary = p.fc.lists()
	if err := p.checkHashes(); err != nil {
		return nil, err
	}
	return p.out, nil
}

type fileParser struct {
	cfg config
	out *File
	fc  *formatControl
	// done holds the files already read, so a file included from several
	// places is read once: pip would repeat it, but its lines add nothing
	// the second time, and files that each include the next twice would
	// take exponential time.
	done map[includeKey]bool
}

type includeKey struct {
	file       string
	constraint bool
}

type line struct {
	n    int
	text string
	// unset is the first ${VAR} of the line whose variable is unset or
	// empty, kept as written.
	unset string
}

var (
	commentRE = regexp.MustCompile(`(^|\s+)#.*$`)
	envVarRE  = regexp.MustCompile(`\$\{([A-Z0-9_]+)\}`)
)

// logicalLines joins continuations, strips comments and expands
// variables, keeping each logical line's first physical line number.
func (p *fileParser) logicalLines(content string) []line {
	var out []line
	var joined []string
	first := 0
	emit := func(n int, s string) {
		s = strings.TrimSpace(commentRE.ReplaceAllString(s, ""))
		if s == "" {
			return
		}
		unset := ""
		s = envVarRE.ReplaceAllStringFunc(s, func(m string) string {
			if v := p.cfg.getenv(m[2 : len(m)-1]); v != "" {
				return v
			}
			if unset == "" {
				unset = m
			}
			return m
		})
		out = append(out, line{n, s, unset})
	}
	content = strings.TrimPrefix(content, "\ufeff")
	for i, l := range strings.Split(strings.ReplaceAll(content, "\r\n", "\n"), "\n") {
		n := i + 1
		if !strings.HasSuffix(l, `\`) || commentRE.MatchString(l) {
			if commentRE.MatchString(l) {
				// A comment ends a continuation; keep it a comment.
				l = " " + l
			}
			if joined != nil {
				emit(first, strings.Join(append(joined, l), ""))
				joined = nil
			} else {
				emit(n, l)
			}
			continue
		}
		if joined == nil {
			first = n
		}
		joined = append(joined, strings.Trim(l, `\`))
	}
	if joined != nil {
		emit(first, strings.Join(joined, ""))
	}
	return out
}

func (p *fileParser) parse(path string, constraint bool, stack []string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return &Error{File: path, Err: err}
	}
	if slices.Contains(stack, abs) {
		return &Error{File: path, Err: fmt.Errorf("%w: it includes itself (through %s)", ErrSyntax, strings.Join(stack, " -> "))}
	}
	if err := p.cfg.ctx.Err(); err != nil {
		return &Error{File: path, Err: err}
	}
	key := includeKey{abs, constraint}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		key.file = real
	}
	if p.done[key] {
		return nil
	}
	p.done[key] = true
	data, err := os.ReadFile(path)
	if err != nil {
		return &Error{File: path, Err: err}
	}
	stack = append(stack, abs)
	for _, l := range p.logicalLines(string(data)) {
		if err := p.cfg.ctx.Err(); err != nil {
			return &Error{File: path, Line: l.n, Err: err}
		}
		if l.unset != "" {
			// pip keeps the text as written, which then fails far from
			// here (an index that does not answer, a name that does not
			// parse) or, worse, works with the wrong value.
			return &Error{File: path, Line: l.n, Err: fmt.Errorf("%w: %s is not set in the environment (or is empty); export %s before running machnix, or write the value in the file",
				ErrSyntax, l.unset, l.unset[2:len(l.unset)-1])}
		}
		if err := p.parseLine(path, l, constraint, stack); err != nil {
			var e *Error
			if errors.As(err, &e) {
				return err
			}
			return &Error{File: path, Line: l.n, Err: err}
		}
	}
	return nil
}

// splitArgsOptions is pip's break_args_options: words up to the first
// one starting with "-" form the requirement, the rest are options.
func splitArgsOptions(s string) (args, options string) {
	words := strings.Split(s, " ")
	for i, w := range words {
		if strings.HasPrefix(w, "-") {
			return strings.Join(words[:i], " "), strings.Join(words[i:], " ")
		}
	}
	return s, ""
}

type option struct {
	name  string // canonical long name without dashes
	value string
}

// valueOptions take an argument; the map gives each spelling its
// canonical name.
var valueOptions = map[string]string{
	"-r": "requirement", "--requirement": "requirement",
	"-c": "constraint", "--constraint": "constraint",
	"-i": "index-url", "--index-url": "index-url",
	"--extra-index-url": "extra-index-url",
	"-f":                "find-links", "--find-links": "find-links",
	"--no-binary": "no-binary", "--only-binary": "only-binary",
	"--hash": "hash", "--trusted-host": "trusted-host",
	"-e": "editable", "--editable": "editable",
	"--config-settings": "config-settings", "--global-option": "global-option",
	"--use-feature": "use-feature",
}

var flagOptions = map[string]string{
	"--pre": "pre", "--no-index": "no-index", "--require-hashes": "require-hashes",
	"--prefer-binary": "prefer-binary",
}

// splitWords splits options like a POSIX shell: whitespace separates,
// single and double quotes group.
func splitWords(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	in := false
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote, in = c, true
		case c == ' ' || c == '\t':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("%w: unclosed quote in %q", ErrSyntax, s)
	}
	if in {
		out = append(out, cur.String())
	}
	return out, nil
}

func parseOptions(s string) ([]option, error) {
	words, err := splitWords(s)
	if err != nil {
		return nil, err
	}
	var out []option
	for i := 0; i < len(words); i++ {
		w := words[i]
		if name, ok := flagOptions[w]; ok {
			out = append(out, option{name: name})
			continue
		}
		key, val, hasEq := strings.Cut(w, "=")
		if name, ok := valueOptions[key]; ok && strings.HasPrefix(key, "--") && hasEq {
			out = append(out, option{name, val})
			continue
		}
		if name, ok := valueOptions[w]; ok {
			if i+1 >= len(words) {
				return nil, fmt.Errorf("%w: %s needs a value", ErrSyntax, w)
			}
			out = append(out, option{name, words[i+1]})
			i++
			continue
		}
		// Short options may carry their value directly: -rfile.
		if len(w) > 2 && w[0] == '-' && w[1] != '-' {
			if name, ok := valueOptions[w[:2]]; ok {
				out = append(out, option{name, w[2:]})
				continue
			}
		}
		return nil, fmt.Errorf("%w: unknown option %q", ErrSyntax, w)
	}
	return out, nil
}

func (p *fileParser) parseLine(path string, l line, constraint bool, stack []string) error {
	args, optText := splitArgsOptions(l.text)
	opts, err := parseOptions(optText)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	var hashes []string
	for _, o := range opts {
		switch o.name {
		case "requirement", "constraint":
			nested := o.value
			if !filepath.IsAbs(nested) {
				nested = filepath.Join(dir, nested)
			}
			if isURL(o.value) {
				return fmt.Errorf("%w: -r/-c with a URL (%s); download the file and name it by path", ErrUnsupported, o.value)
			}
			if err := p.parse(nested, constraint || o.name == "constraint", stack); err != nil {
				return err
			}
		case "index-url":
			p.out.IndexURL = o.value
		case "extra-index-url":
			if !slices.Contains(p.out.ExtraIndexURLs, o.value) {
				p.out.ExtraIndexURLs = append(p.out.ExtraIndexURLs, o.value)
			}
		case "no-index":
			p.out.NoIndex = true
		case "find-links":
			link := o.value
			if !isURL(link) {
				rel := filepath.Join(dir, link)
				if _, err := os.Stat(rel); err == nil || filepath.IsAbs(link) {
					link = rel
					if filepath.IsAbs(o.value) {
						link = o.value
					}
				}
				if abs, err := filepath.Abs(link); err == nil {
					link = abs
				}
			}
			if !slices.Contains(p.out.FindLinks, link) {
				p.out.FindLinks = append(p.out.FindLinks, link)
			}
		case "no-binary":
			if err := p.fc.add(o.value, false); err != nil {
				return err
			}
		case "only-binary":
			if err := p.fc.add(o.value, true); err != nil {
				return err
			}
		case "pre":
			p.out.Pre = true
		case "require-hashes":
			p.out.RequireHashes = true
		case "trusted-host":
			p.out.TrustedHosts = append(p.out.TrustedHosts, o.value)
		case "hash":
			h, err := parseHash(o.value)
			if err != nil {
				return err
			}
			hashes = append(hashes, h)
		case "editable":
			return fmt.Errorf("%w: editable requirement %q: %s", ErrUnsupported, o.value, EditableHint)
		case "prefer-binary", "use-feature", "config-settings", "global-option":
			// Installer tuning with no effect on what is resolved.
		}
	}
	if args == "" {
		if len(hashes) > 0 {
			return fmt.Errorf("%w: --hash without a requirement on the line", ErrSyntax)
		}
		return nil
	}
	if proj, ok, err := localProject(args, dir); err != nil || ok {
		if err != nil {
			return err
		}
		return p.addProject(proj, path, l.n, constraint, hashes)
	}
	req, err := toPEP508(args, dir)
	if err != nil {
		return err
	}
	parsed, err := pep508.ParseRequirement(req)
	if err != nil {
		return err
	}
	if d, ok := LocalDir(parsed.URL); ok {
		if parsed.Marker != nil || len(parsed.Specifiers) > 0 {
			return fmt.Errorf("%w: %s @ %s: a local project takes no marker or version here", ErrUnsupported, parsed.Name, parsed.URL)
		}
		return p.addProject(Project{Dir: d, Extras: parsed.Extras, Name: parsed.Normalized()}, path, l.n, constraint, hashes)
	}
	if err := parsed.Marker.Check(); err != nil {
		return err
	}
	if err := checkURLHashes(parsed); err != nil {
		return err
	}
	if len(hashes) > 0 {
		p.out.RequireHashes = true
	}
	e := Entry{Requirement: req, Parsed: parsed, Hashes: hashes, File: path, Line: l.n}
	if constraint {
		p.out.Constraints = append(p.out.Constraints, e)
	} else {
		p.out.Requirements = append(p.out.Requirements, e)
	}
	return nil
}

// addProject records a local project line. Its hash is its tree's,
// which the lock records; a --hash cannot name a directory.
func (p *fileParser) addProject(proj Project, path string, n int, constraint bool, hashes []string) error {
	if constraint {
		return fmt.Errorf("%w: the local project %s in a constraints file; name it in a requirements file", ErrUnsupported, proj.Dir)
	}
	if len(hashes) > 0 {
		return fmt.Errorf("%w: --hash on the local project %s: a directory has no file hash; the lock records the hash of its tree", ErrHashes, proj.Dir)
	}
	proj.File, proj.Line = path, n
	p.out.Projects = append(p.out.Projects, proj)
	return nil
}

func isURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && len(u.Scheme) > 1 && (u.Host != "" || u.Scheme == "file")
}

// toPEP508 turns pip's extra forms into a PEP 508 string: a bare URL or
// path of a wheel or sdist becomes "name @ URL" (a relative path is taken
// from the requirements file's directory); a VCS URL with #egg=name
// becomes "name @ URL".
func toPEP508(s, dir string) (string, error) {
	if isURL(s) || isPathLike(s) {
		link := s
		if !isURL(s) {
			p := s
			if !filepath.IsAbs(p) {
				p = filepath.Join(dir, p)
			}
			abs, err := filepath.Abs(p)
			if err != nil {
				return "", err
			}
			link = (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
		}
		u, err := url.Parse(link)
		if err != nil {
			return "", fmt.Errorf("%w: %q is not a valid URL", ErrSyntax, s)
		}
		if egg := eggName(u.Fragment); egg != "" {
			return egg + " @ " + link, nil
		}
		base := filepath.Base(u.Path)
		if name, _, _, _, err := tags.ParseWheelFilename(base); err == nil {
			return name + " @ " + link, nil
		}
		if name, _, err := tags.ParseSdistFilename(base); err == nil {
			return name + " @ " + link, nil
		}
		return "", fmt.Errorf("%w: cannot tell the project name of %q; write it as name @ %s", ErrUnsupported, s, link)
	}
	return s, nil
}

// isPathLike spots a local file named instead of a requirement: one word
// that starts like a path or ends like a distribution file.
func isPathLike(s string) bool {
	if strings.ContainsAny(s, " ;@<>=!~[") {
		return false
	}
	return strings.HasPrefix(s, ".") || strings.HasPrefix(s, "/") ||
		strings.HasSuffix(s, ".whl") || strings.HasSuffix(s, ".tar.gz") || strings.HasSuffix(s, ".zip")
}

func eggName(fragment string) string {
	for part := range strings.SplitSeq(fragment, "&") {
		if v, ok := strings.CutPrefix(part, "egg="); ok && pep508.ValidName(v) {
			return v
		}
	}
	return ""
}

var hashLengths = map[string]int{"sha256": 64, "sha384": 96, "sha512": 128}

func parseHash(s string) (string, error) {
	algo, hex, ok := strings.Cut(s, ":")
	algo, hex = strings.ToLower(algo), strings.ToLower(hex)
	n, known := hashLengths[algo]
	if !ok || !known {
		return "", fmt.Errorf("%w: --hash=%s: want sha256:<hex> (or sha384/sha512)", ErrHashes, s)
	}
	if len(hex) != n || strings.Trim(hex, "0123456789abcdef") != "" {
		return "", fmt.Errorf("%w: --hash=%s: a %s digest is %d hex digits", ErrHashes, s, algo, n)
	}
	return algo + ":" + hex, nil
}

// checkURLHashes checks the digests in a direct URL's fragment
// (#sha256=...), which the lock takes as the file's hash, as strictly as
// --hash: a digest later names a file in the cache.
func checkURLHashes(r pep508.Requirement) error {
	if r.URL == "" {
		return nil
	}
	_, frag, ok := strings.Cut(r.URL, "#")
	if !ok {
		return nil
	}
	q, err := url.ParseQuery(frag)
	if err != nil {
		return fmt.Errorf("%w: %s: the URL's fragment is unreadable: %v", ErrSyntax, r.Name, err)
	}
	for algo, vs := range q {
		n, known := hashLengths[strings.ToLower(algo)]
		if !known {
			continue
		}
		for _, v := range vs {
			if len(v) != n || strings.Trim(strings.ToLower(v), "0123456789abcdef") != "" {
				return fmt.Errorf("%w: %s: the URL's #%s= is not a digest of %d hex digits; copy it again from the index", ErrHashes, r.Name, algo, n)
			}
		}
	}
	return nil
}

// checkHashes enforces hash-checking mode on the requirements: every one
// has a --hash and is pinned with == (or ===) or is a direct URL.
func (p *fileParser) checkHashes() error {
	if !p.out.RequireHashes {
		return nil
	}
	for _, e := range p.out.Requirements {
		if len(e.Hashes) == 0 {
			return &Error{File: e.File, Line: e.Line, Err: fmt.Errorf("%w: %s has no --hash, but other requirements do (or --require-hashes is set); add --hash=sha256:... for every file it may use", ErrHashes, e.Parsed.Name)}
		}
		if e.Parsed.URL != "" {
			continue
		}
		ss := e.Parsed.Specifiers
		pinned := len(ss) == 1 && (ss[0].Op == "===" || ss[0].Op == "==" && !strings.HasSuffix(ss[0].Version, ".*"))
		if !pinned {
			return &Error{File: e.File, Line: e.Line, Err: fmt.Errorf("%w: %s must be pinned with == when hashes are checked (it has %q)", ErrHashes, e.Parsed.Name, ss.String())}
		}
	}
	return nil
}
