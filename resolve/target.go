package resolve

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/machnix/machnix/resolve/pep440"
	"github.com/machnix/machnix/resolve/pep508"
	"github.com/machnix/machnix/resolve/tags"
)

// DefaultPython is the minor version nixpkgs' python3 points at:
// pkgs/top-level/all-packages.nix sets `python3 = python313;` (checked on
// nixpkgs master in 2025; nixos-25.05 and 25.11 agree).
const DefaultPython = "3.13"

// DefaultSystem is the Nix system assumed when none is given.
const DefaultSystem = "x86_64-linux"

// DefaultGlibc is the newest manylinux_2_M accepted by default. nixpkgs
// builds everything against its own glibc (2.40 in nixos-25.05, newer
// since), and a wheel's manylinux level is the oldest glibc it needs, so
// wheels up to 2.40 run. Pass a lower value to stay portable.
const DefaultGlibc = "2.40"

// SupportedPythons and SupportedSystems list the targets machnix accepts.
var (
	SupportedPythons = []string{"3.10", "3.11", "3.12", "3.13", "3.14"}
	SupportedSystems = []string{"x86_64-linux", "aarch64-linux"}
)

// ErrBadTarget is wrapped by Target.Validate's errors.
var ErrBadTarget = errors.New("unsupported target")

// WithDefaults fills empty fields with DefaultPython, DefaultSystem and
// DefaultGlibc.
func (t Target) WithDefaults() Target {
	if t.Python == "" {
		t.Python = DefaultPython
	}
	if t.System == "" {
		t.System = DefaultSystem
	}
	if t.Glibc == "" {
		t.Glibc = DefaultGlibc
	}
	return t
}

// Validate checks the target against the supported pythons (those nixpkgs
// builds), systems and a glibc of the form 2.N.
func (t Target) Validate() error {
	minor := t.Python
	if parts := strings.Split(t.Python, "."); len(parts) == 3 {
		minor = parts[0] + "." + parts[1]
	}
	if !slices.Contains(SupportedPythons, minor) {
		return fmt.Errorf("%w: python %q; use --python with one of %s", ErrBadTarget, t.Python, strings.Join(SupportedPythons, ", "))
	}
	return t.checkForm()
}

// checkForm checks what resolution itself needs: a CPython 3 version
// ("3.N" or "3.N.M"), a supported system and a glibc of the form 2.N. Any
// such Python can be resolved for, including ones nixpkgs no longer
// builds, as conformance suites ask.
func (t Target) checkForm() error {
	parts := strings.Split(t.Python, ".")
	if len(parts) < 2 || len(parts) > 3 || parts[0] != "3" {
		return fmt.Errorf("%w: python %q is not 3.N or 3.N.M", ErrBadTarget, t.Python)
	}
	for _, p := range parts {
		if _, err := strconv.Atoi(p); err != nil {
			return fmt.Errorf("%w: python %q is not 3.N or 3.N.M", ErrBadTarget, t.Python)
		}
	}
	if !slices.Contains(SupportedSystems, t.System) {
		return fmt.Errorf("%w: system %q; use --system with one of %s", ErrBadTarget, t.System, strings.Join(SupportedSystems, ", "))
	}
	if _, err := tags.Platforms(t.System, t.Glibc); err != nil {
		return fmt.Errorf("%w: %v; use --glibc 2.N", ErrBadTarget, err)
	}
	return nil
}

// Environment is the target's full PEP 508 marker environment.
func (t Target) Environment() pep508.Environment {
	return pep508.EnvironmentFor(t.Python, t.System)
}

// Tags is the target's compatible wheel tags, best first.
func (t Target) Tags() ([]tags.Tag, error) {
	return tags.ForTarget(t.Python, t.System, t.Glibc)
}

// standardRules implements Rules with packages pep440, pep508 and tags.
// Parsed versions and specifiers are cached, since the solver asks about
// the same strings many times and from several goroutines.
type standardRules struct {
	env    pep508.Environment
	python pep440.Version
	ranker *tags.Ranker

	// Plain maps behind a lock: sync.Map boxed every entry and allocated
	// trie nodes besides, for each of the thousands of versions a
	// resolution parses once.
	mu       sync.RWMutex
	versions map[string]*versionEntry
	specs    map[string]*specEntry
	// pythonOK memoises PythonMatches: a project's files repeat a few
	// Requires-Python strings hundreds of times.
	pythonOK sync.Map // string -> bool
}

type versionEntry struct {
	v  pep440.Version
	ok bool
}

type specEntry struct {
	ss pep440.Specifiers
	ok bool
}

// NewRules returns the packaging standards for a target (empty fields
// take the defaults). Any CPython 3 version can be resolved for; the CLI
// restricts targets to what nixpkgs builds with Validate.
func NewRules(t Target) (Rules, error) {
	t = t.WithDefaults()
	if err := t.checkForm(); err != nil {
		return nil, err
	}
	all, err := t.Tags()
	if err != nil {
		return nil, err
	}
	env := t.Environment()
	py, err := pep440.Parse(env["python_full_version"])
	if err != nil {
		return nil, fmt.Errorf("%w: python %q", ErrBadTarget, t.Python)
	}
	return &standardRules{env: env, python: py, ranker: tags.NewRanker(all),
		versions: map[string]*versionEntry{}, specs: map[string]*specEntry{}}, nil
}

func (r *standardRules) version(s string) (pep440.Version, bool) {
	e := r.versionEntry(s)
	return e.v, e.ok
}

func (r *standardRules) versionEntry(s string) *versionEntry {
	r.mu.RLock()
	e := r.versions[s]
	r.mu.RUnlock()
	if e != nil {
		return e
	}
	v, err := pep440.Parse(s)
	e = &versionEntry{v, err == nil}
	r.mu.Lock()
	r.versions[s] = e
	r.mu.Unlock()
	return e
}

func (r *standardRules) specifiers(s string) (pep440.Specifiers, bool) {
	r.mu.RLock()
	e := r.specs[s]
	r.mu.RUnlock()
	if e == nil {
		ss, err := pep440.ParseSpecifiers(s)
		e = &specEntry{ss, err == nil}
		r.mu.Lock()
		r.specs[s] = e
		r.mu.Unlock()
	}
	return e.ss, e.ok
}

// ParseRequirement parses a PEP 508 string; the marker is evaluated on
// the target's environment.
func (r *standardRules) ParseRequirement(s string) (Requirement, error) {
	pr, err := pep508.ParseRequirement(s)
	if err != nil {
		return Requirement{}, err
	}
	req := Requirement{
		Name:      pr.Normalized(),
		Extras:    pr.Extras,
		Specifier: pr.Specifiers.String(),
		Text:      strings.TrimSpace(s),
		URL:       pr.URL,
		Marker:    pr.Marker,
	}
	if m := pr.Marker; m != nil {
		env := r.env
		req.Applies = func(extra string) bool { return m.Evaluate(env, extra) }
	}
	return req, nil
}

// Compare orders versions by PEP 440; a string that is not a version
// sorts below every version, and two such strings compare as text.
func (r *standardRules) Compare(a, b string) int {
	va, oka := r.version(a)
	vb, okb := r.version(b)
	return compareParsed(&versionEntry{va, oka}, &versionEntry{vb, okb}, a, b)
}

// compareParsed is Compare on versions already parsed from a and b.
func compareParsed(va, vb *versionEntry, a, b string) int {
	switch {
	case va.ok && vb.ok:
		return va.v.Compare(vb.v)
	case va.ok:
		return 1
	case vb.ok:
		return -1
	}
	return strings.Compare(a, b)
}

// Matches applies the specifier with PEP 440's pre-release opt-in: a
// pre-release matches only when pre is true or a clause names one. An
// invalid specifier or version matches nothing.
func (r *standardRules) Matches(specifier, version string, pre bool) bool {
	v, ok := r.version(version)
	if !ok {
		return false
	}
	ss, ok := r.specifiers(specifier)
	return ok && ss.Contains(v, pre)
}

func (r *standardRules) IsPrerelease(version string) bool {
	v, ok := r.version(version)
	return ok && v.IsPrerelease()
}

// buildSlots leaves room under each tag rank for the build number, so
// that among wheels with the same best tag the higher build wins.
const buildSlots = 1_000_000

// ParseFilename reads wheel and sdist (.tar.gz, .zip) names. The version
// returned is PEP 440 normalised. A wheel's rank is its best tag's
// position in the target's list, refined by its build number (a higher
// build ranks lower, i.e. better); incompatible wheels give ok false.
func (r *standardRules) ParseFilename(filename string) (name, version string, kind Provider, rank int, ok bool) {
	if strings.HasSuffix(filename, ".whl") {
		n, v, build, ts, err := tags.ParseWheelFilename(filename)
		if err != nil {
			return "", "", "", 0, false
		}
		tagRank, compatible := r.ranker.Rank(ts)
		if !compatible {
			return "", "", "", 0, false
		}
		b := buildSlots - 1 // no build tag sorts below every build
		if build != "" {
			num, _ := splitLeadingInt(build)
			b = buildSlots - 2 - min(num, buildSlots-2)
		}
		return n, r.normalVersion(v), ProviderWheel, tagRank*buildSlots + b, true
	}
	n, v, err := tags.ParseSdistFilename(filename)
	if err != nil {
		return "", "", "", 0, false
	}
	return n, r.normalVersion(v), ProviderSdist, 0, true
}

// normalVersion is the PEP 440 normal form of a valid version.
func (r *standardRules) normalVersion(v string) string {
	if pep440.PlainRelease(v) {
		return v
	}
	pv, _ := r.version(v)
	return pv.String()
}

func splitLeadingInt(s string) (int, string) {
	n, i := 0, 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' && n < buildSlots {
		n = n*10 + int(s[i]-'0')
		i++
	}
	return n, s[i:]
}

// PythonMatches checks Requires-Python against the target's full Python
// version, pre-releases allowed as pip does. An invalid Requires-Python
// is ignored (matches), also as pip does.
func (r *standardRules) PythonMatches(requiresPython string) bool {
	if requiresPython == "" {
		return true
	}
	if ok, found := r.pythonOK.Load(requiresPython); found {
		return ok.(bool)
	}
	ok := r.pythonMatches(requiresPython)
	r.pythonOK.Store(requiresPython, ok)
	return ok
}

func (r *standardRules) pythonMatches(requiresPython string) bool {
	if strings.TrimSpace(requiresPython) == "" {
		return true
	}
	ss, ok := r.specifiers(requiresPython)
	if !ok {
		return true
	}
	// Upper bounds are ignored, as uv does: "<3.12" written when 3.12 was
	// not out yet is a guess, not knowledge, and honouring it only pushes
	// resolution back to old releases (or fails) on a newer interpreter.
	lower := ss[:0:0]
	for _, sp := range ss {
		if sp.Op != "<" && sp.Op != "<=" {
			lower = append(lower, sp)
		}
	}
	return lower.Contains(r.python, true)
}

// PythonMinor is the target's major.minor Python version: 3.11.4 → 3.11.
func (t Target) PythonMinor() string {
	parts := strings.SplitN(t.Python, ".", 3)
	return strings.Join(parts[:min(len(parts), 2)], ".")
}

// PythonAttr is the nixpkgs attribute of the target's interpreter: 3.11 and
// 3.11.4 → python311 (nixpkgs has one attribute per minor version), and
// python3 when no version is set.
func (t Target) PythonAttr() string {
	if t.Python == "" {
		return "python3"
	}
	parts := strings.SplitN(t.Python, ".", 3)
	return "python" + strings.Join(parts[:min(len(parts), 2)], "")
}
