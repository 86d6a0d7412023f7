package project

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/resolve/pep440"
	"github.com/machnix/machnix/resolve/pep508"
)

// ErrNotProject is wrapped when a directory holds no Python project.
var ErrNotProject = errors.New("not a Python project")

// ErrInvalid is wrapped when pyproject.toml or the metadata the backend
// made breaks its grammar.
var ErrInvalid = errors.New("invalid project metadata")

// MaxPyproject caps pyproject.toml: real ones are a few KiB, with long
// tool tables tens; it is parsed whole.
const MaxPyproject = 1 << 20

// maxRequirements caps each list of requirements.
const maxRequirements = 10_000

// Default build system when pyproject.toml has no [build-system]: pip's,
// which runs setup.py through setuptools' legacy backend.
const (
	DefaultBackend = "setuptools.build_meta:__legacy__"
	defaultRequire = "setuptools>=40.8.0"
)

// Metadata is what a lock needs of a local project.
type Metadata struct {
	// Dir is the project's directory, absolute, symlinks resolved.
	Dir string `json:"dir"`
	// Name is PEP 503 normalised.
	Name    string `json:"name"`
	Version string `json:"version"`
	// Dependencies are PEP 508 strings. From a backend's METADATA they
	// are its Requires-Dist, optional ones with their extra markers.
	Dependencies []string `json:"dependencies,omitempty"`
	// Optional are pyproject's optional-dependencies, keyed by PEP 685
	// normalised extra.
	Optional map[string][]string `json:"optional,omitempty"`
	// Extras are the extras the project offers, normalised and sorted.
	Extras         []string `json:"extras,omitempty"`
	RequiresPython string   `json:"requires_python,omitempty"`
	// BuildRequires and Backend are [build-system]'s requires and
	// build-backend (pip's defaults when it is absent); BackendPath its
	// backend-path, relative to Dir.
	BuildRequires []string `json:"build_requires"`
	Backend       string   `json:"backend"`
	BackendPath   []string `json:"backend_path,omitempty"`
	// FromBackend says the metadata came from the backend's
	// prepare_metadata_for_build_wheel, not from pyproject.toml alone.
	FromBackend bool `json:"from_backend,omitempty"`
	// SHA256 is the project's Hash, taken before its metadata was read.
	SHA256 string `json:"sha256"`
}

type pyprojectFile struct {
	Project     *projectTable `toml:"project"`
	BuildSystem *struct {
		Requires    *[]string `toml:"requires"`
		Backend     string    `toml:"build-backend"`
		BackendPath []string  `toml:"backend-path"`
	} `toml:"build-system"`
}

type projectTable struct {
	Name                 string              `toml:"name"`
	Version              *string             `toml:"version"`
	Dependencies         *[]string           `toml:"dependencies"`
	OptionalDependencies map[string][]string `toml:"optional-dependencies"`
	RequiresPython       *string             `toml:"requires-python"`
	Dynamic              []string            `toml:"dynamic"`
}

// Option adjusts Read.
type Option func(*reader)

type reader struct {
	backend  Backend
	cacheDir string
}

// WithCache keeps the METADATA the backend wrote in dir, named by the
// project's hash and backend: an unchanged project's dynamic metadata is
// read from there, without running the backend again. What is read back
// is checked as strictly as what the backend wrote.
func WithCache(dir string) Option { return func(r *reader) { r.cacheDir = dir } }

// WithBackend runs the build backend with b where static metadata is
// missing; the default is HostPython.
func WithBackend(b Backend) Option { return func(r *reader) { r.backend = b } }

// Read reads the project in dir: pyproject.toml's [project] where it is
// static, else the build backend's metadata (see Backend).
func Read(ctx context.Context, dir string, opts ...Option) (*Metadata, error) {
	r := reader{backend: HostPython{}}
	for _, o := range opts {
		o(&r)
	}
	abs, err := Dir(dir)
	if err != nil {
		return nil, err
	}
	// Refuse a directory that is no project before hashing it: a
	// requirement may name a home directory, and hashing reads up to
	// nar's limits of it first.
	if !IsProjectDir(abs) {
		return nil, fmt.Errorf("%w: %s has no %s", ErrNotProject, abs, strings.Join(MarkerFiles, ", "))
	}
	hash, err := Hash(abs)
	if err != nil {
		return nil, err
	}
	m, static, err := readPyproject(abs)
	if err != nil {
		return nil, err
	}
	m.SHA256 = hash
	if static {
		return m, nil
	}
	return r.fromBackend(ctx, m)
}

// Dir resolves a project directory: absolute, without symlinks, and a
// directory.
func Dir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if abs, err = filepath.EvalSymlinks(abs); err != nil {
		return "", fmt.Errorf("%w: %v", ErrNotProject, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNotProject, err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("%w: %s is not a directory", ErrNotProject, dir)
	}
	return abs, nil
}

// readPyproject reads what pyproject.toml says statically; static is
// false when the rest must come from the backend.
func readPyproject(dir string) (m *Metadata, static bool, err error) {
	file := filepath.Join(dir, "pyproject.toml")
	m = &Metadata{Dir: dir, Backend: DefaultBackend, BuildRequires: []string{defaultRequire}}
	data, err := readCapped(file, MaxPyproject)
	if errors.Is(err, os.ErrNotExist) {
		if !exists(filepath.Join(dir, "setup.py")) && !exists(filepath.Join(dir, "setup.cfg")) {
			return nil, false, fmt.Errorf("%w: %s has no pyproject.toml, setup.py or setup.cfg", ErrNotProject, dir)
		}
		return m, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	var pp pyprojectFile
	if _, err := toml.Decode(string(data), &pp); err != nil {
		return nil, false, fmt.Errorf("%w: %s: %v", ErrInvalid, file, err)
	}
	invalid := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s: %s", ErrInvalid, file, field, fmt.Sprintf(format, args...))
	}
	if bs := pp.BuildSystem; bs != nil {
		if bs.Requires == nil {
			// PEP 518: a [build-system] table must list requires.
			return nil, false, invalid("[build-system] requires", "missing; PEP 518 requires it in a [build-system] table")
		}
		reqs, err := checkRequirements(*bs.Requires)
		if err != nil {
			return nil, false, invalid("[build-system] requires", "%v", err)
		}
		m.BuildRequires = reqs
		if bs.Backend != "" {
			if !backendRE.MatchString(bs.Backend) {
				return nil, false, invalid("[build-system] build-backend", "%s is not module:object", quote(bs.Backend))
			}
			m.Backend = bs.Backend
		}
		for _, p := range bs.BackendPath {
			if !insideRelative(p) {
				return nil, false, invalid("[build-system] backend-path", "%s is not a relative path inside the project", quote(p))
			}
		}
		m.BackendPath = bs.BackendPath
	}
	p := pp.Project
	if p == nil {
		// A backend named without a [project] table reads its own
		// tables (poetry-core before 2.0, older flit); its
		// prepare_metadata_for_build_wheel gives the metadata.
		if pp.BuildSystem != nil && pp.BuildSystem.Backend != "" {
			return m, false, nil
		}
		if !exists(filepath.Join(dir, "setup.py")) && !exists(filepath.Join(dir, "setup.cfg")) {
			return nil, false, fmt.Errorf("%w: %s has no [project] table or build-backend, and there is no setup.py or setup.cfg", ErrNotProject, file)
		}
		return m, false, nil
	}
	dynamic := map[string]bool{}
	for _, d := range p.Dynamic {
		if d == "name" {
			return nil, false, invalid("[project] dynamic", "the name may not be dynamic (PEP 621)")
		}
		dynamic[d] = true
	}
	if !pep508.ValidName(p.Name) {
		return nil, false, invalid("[project] name", "%s is not a valid project name", quote(p.Name))
	}
	m.Name = pep508.NormalizeName(p.Name)
	static = true
	for field, given := range map[string]bool{
		"version": p.Version != nil, "dependencies": p.Dependencies != nil,
		"optional-dependencies": p.OptionalDependencies != nil, "requires-python": p.RequiresPython != nil,
	} {
		if given && dynamic[field] {
			return nil, false, invalid("[project] "+field, "given and listed in dynamic; PEP 621 allows one of the two")
		}
		if dynamic[field] {
			static = false
		}
	}
	if p.Version == nil && !dynamic["version"] {
		return nil, false, invalid("[project] version", "missing, and not listed in dynamic")
	}
	if p.Version != nil {
		v, err := pep440.Parse(*p.Version)
		if err != nil || resolve.HasControl(*p.Version) {
			return nil, false, invalid("[project] version", "%s is not a PEP 440 version", quote(*p.Version))
		}
		m.Version = v.String()
	}
	if p.RequiresPython != nil {
		if _, err := pep440.ParseSpecifiers(*p.RequiresPython); err != nil || resolve.HasControl(*p.RequiresPython) {
			return nil, false, invalid("[project] requires-python", "%s is not a PEP 440 specifier", quote(*p.RequiresPython))
		}
		m.RequiresPython = *p.RequiresPython
	}
	if p.Dependencies != nil {
		if m.Dependencies, err = checkRequirements(*p.Dependencies); err != nil {
			return nil, false, invalid("[project] dependencies", "%v", err)
		}
	}
	for extra, reqs := range p.OptionalDependencies {
		if !pep508.ValidName(extra) {
			return nil, false, invalid("[project.optional-dependencies]", "%s is not a valid extra name", quote(extra))
		}
		norm := pep508.NormalizeExtra(extra)
		if m.Optional == nil {
			m.Optional = map[string][]string{}
		}
		if _, dup := m.Optional[norm]; dup {
			return nil, false, invalid("[project.optional-dependencies]", "%s is given twice (PEP 685 compares extras normalised)", quote(extra))
		}
		if m.Optional[norm], err = checkRequirements(reqs); err != nil {
			return nil, false, invalid("[project.optional-dependencies] "+norm, "%v", err)
		}
		m.Extras = append(m.Extras, norm)
	}
	slices.Sort(m.Extras)
	return m, static, nil
}

// backendRE is PEP 517's build-backend: a dotted module path, optionally
// ":" and a dotted object path.
var backendRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*(:[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*)?$`)

// checkRequirements parses each PEP 508 string. A direct URL is allowed
// (the resolver demands its hash, or takes a file: directory as a local
// project); control characters never are.
func checkRequirements(reqs []string) ([]string, error) {
	if len(reqs) > maxRequirements {
		return nil, fmt.Errorf("%d requirements, more than the %d allowed", len(reqs), maxRequirements)
	}
	for _, r := range reqs {
		if resolve.HasControl(r) {
			return nil, fmt.Errorf("%s holds control characters", quote(r))
		}
		req, err := pep508.ParseRequirement(r)
		if err == nil {
			err = req.Marker.Check()
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %v", quote(r), err)
		}
	}
	return slices.Clone(reqs), nil
}

// Requirements are the project's dependencies with the given extras whose
// markers hold in env, without their markers: the root requirements of
// its lock. An extra the project does not offer is an error.
func (m *Metadata) Requirements(extras []string, env pep508.Environment) ([]string, error) {
	for _, x := range extras {
		if !slices.Contains(m.Extras, pep508.NormalizeExtra(x)) {
			return nil, fmt.Errorf("%s offers no extra %s (it has: %s)", m.Name, quote(x), strings.Join(m.Extras, ", "))
		}
	}
	var out []string
	seen := map[string]bool{}
	add := func(r string, extras []string) {
		req := pep508.MustParseRequirement(r)
		if req.Marker != nil && !req.Marker.EvaluateExtras(env, extras) {
			return
		}
		req.Marker = nil
		// The same requirement may come twice and apart (in the
		// dependencies and again in an extra): keep its first place.
		if s := req.String(); !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, r := range m.Dependencies {
		add(r, extras)
	}
	for _, x := range extras {
		for _, r := range m.Optional[pep508.NormalizeExtra(x)] {
			add(r, []string{x})
		}
	}
	return out, nil
}

// insideRelative reports whether p is a relative path that stays inside
// the directory it is relative to.
func insideRelative(p string) bool {
	if p == "" || resolve.HasControl(p) || strings.ContainsRune(p, '\\') || path.IsAbs(p) {
		return false
	}
	c := path.Clean(p)
	return c != ".." && !strings.HasPrefix(c, "../")
}

func readCapped(file string, limit int64) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrInvalid, file, limit)
	}
	return data, nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// quote quotes a value from the project for a message.
func quote(s string) string { return fmt.Sprintf("%q", s) }
