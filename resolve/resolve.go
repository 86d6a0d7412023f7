package resolve

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/machnix/machnix/resolve/internal/solver"
	"github.com/machnix/machnix/resolve/pep508"
)

// Rules are the packaging standards the resolver applies: PEP 440
// versions and specifiers, PEP 508 requirements and markers evaluated for
// the target, and wheel tag ranking for the target. Packages pep440, pep508
// and tags provide them; the interface keeps the solver testable with a
// minimal double.
type Rules interface {
	// ParseRequirement parses a PEP 508 string.
	ParseRequirement(s string) (Requirement, error)
	// Compare orders two versions like PEP 440 (-1, 0, 1).
	Compare(a, b string) int
	// Matches reports whether version satisfies specifier ("" matches all);
	// pre says whether pre-releases are acceptable.
	Matches(specifier, version string, pre bool) bool
	// IsPrerelease reports whether the version is a pre- or dev release.
	IsPrerelease(version string) bool
	// ParseFilename returns a file's normalised project name, version and
	// kind (wheel or sdist). rank orders the target-compatible wheels of one
	// version (lower is better); ok is false for files the target cannot
	// use (incompatible wheel tags, unknown formats).
	ParseFilename(filename string) (name, version string, kind Provider, rank int, ok bool)
	// PythonMatches reports whether the target Python satisfies a
	// Requires-Python specifier ("" matches).
	PythonMatches(requiresPython string) bool
}

// Requirement is a parsed PEP 508 requirement.
type Requirement struct {
	Name      string   // normalised
	Extras    []string // normalised
	Specifier string   // e.g. ">=1.0,<2"; "" for any
	// Applies evaluates the marker on the target with the given extra
	// ("" when no extra is being installed). Nil means no marker.
	Applies func(extra string) bool
	// Text is the requirement as written, for messages.
	Text string
	// URL is a direct reference (name @ URL), or "".
	URL string
	// Marker is the requirement's marker, or nil; a universal resolution
	// reasons about it for many environments at once.
	Marker *pep508.Marker
}

// Option adjusts Resolve. WithRules and WithIndex are required.
type Option func(*settings)

type settings struct {
	Rules     Rules
	Index     Index
	Providers ProviderPrefs
	Pre       bool
	Previous  *Lock
	Upgrade   []string
	// OnlyBinary and NoBinary hold normalised names, or ":all:".
	OnlyBinary, NoBinary []string
	Target               Target
	Hashes               map[string][]string
	Constraints          []string
	Nixpkgs              NixpkgsCatalog
	// Origins maps a root requirement's text to where it came from.
	Origins map[string]string
	// Universe is what ResolveUniversal resolves for.
	Universe   Universe
	Resolution Resolution
}

// WithRules gives the version, marker and tag rules of the target
// (NewRules).
func WithRules(r Rules) Option { return func(s *settings) { s.Rules = r } }

// WithIndex gives where candidates come from.
func WithIndex(ix Index) Option { return func(s *settings) { s.Index = ix } }

// WithTarget records the target in the lock; the rules decide what fits it.
func WithTarget(t Target) Option { return func(s *settings) { s.Target = t } }

// WithProviders orders the providers per package.
func WithProviders(p ProviderPrefs) Option { return func(s *settings) { s.Providers = p } }

// WithPre allows pre-releases for every package (pip's --pre).
func WithPre(on bool) Option { return func(s *settings) { s.Pre = on } }

// WithPrevious gives an existing lock whose pins are preferred while still
// valid, except for the names given to WithUpgrade.
func WithPrevious(l *Lock) Option { return func(s *settings) { s.Previous = l } }

// WithUpgrade lets these packages' pins move.
func WithUpgrade(names ...string) Option {
	return func(s *settings) { s.Upgrade = append(s.Upgrade, names...) }
}

// WithBinaryRules gives pip's --only-binary and --no-binary: normalised
// names, or ":all:".
func WithBinaryRules(onlyBinary, noBinary []string) Option {
	return func(s *settings) { s.OnlyBinary, s.NoBinary = onlyBinary, noBinary }
}

// WithHashes turns on hash-checking: for a package named here only files
// whose SHA256 (hex, optionally "sha256:"-prefixed) is listed may be
// chosen (pip's --hash).
func WithHashes(h map[string][]string) Option { return func(s *settings) { s.Hashes = h } }

// WithConstraints gives PEP 508 requirements (pip's -c) that restrict a
// package's versions when something requires it, and never add it.
func WithConstraints(c ...string) Option {
	return func(s *settings) { s.Constraints = append(s.Constraints, c...) }
}

// Resolution says which versions are tried first: the newest (the
// default), the oldest, or the oldest of the root requirements only, as
// uv's --resolution does, so that a library's lower bounds can be tested.
type Resolution string

const (
	ResolutionHighest      Resolution = "highest"
	ResolutionLowest       Resolution = "lowest"
	ResolutionLowestDirect Resolution = "lowest-direct"
)

// ErrBadResolution is wrapped when a resolution strategy is unknown.
var ErrBadResolution = errors.New("unknown resolution")

// ParseResolution reads "highest", "lowest" or "lowest-direct"; "" is
// highest.
func ParseResolution(s string) (Resolution, error) {
	switch r := Resolution(s); r {
	case "", ResolutionHighest:
		return ResolutionHighest, nil
	case ResolutionLowest, ResolutionLowestDirect:
		return r, nil
	}
	return "", fmt.Errorf("%w %q: want highest, lowest or lowest-direct", ErrBadResolution, textWithoutCredentials(s))
}

func (r Resolution) solver() solver.Resolution {
	switch r {
	case ResolutionLowest:
		return solver.Lowest
	case ResolutionLowestDirect:
		return solver.LowestDirect
	}
	return solver.Highest
}

// WithResolution chooses the resolution strategy (ParseResolution).
func WithResolution(r Resolution) Option { return func(s *settings) { s.Resolution = r } }

// WithNixpkgs offers the nixpkgs provider's versions. A nixpkgs candidate
// depends on the Python packages it propagates, pinned like any others.
func WithNixpkgs(c NixpkgsCatalog) Option { return func(s *settings) { s.Nixpkgs = c } }

type candidate struct {
	version string
	yanked  bool  // every usable file of this version is yanked
	file    *File // on the project's page, which nothing changes; nil for nixpkgs
	kind    Provider
	nixAttr string
	nixDeps []string // a nixpkgs candidate's propagated Python packages
}

// fileOrZero is the candidate's file, or the zero File for a candidate
// without one.
func (c candidate) fileOrZero() File {
	if c.file == nil {
		return File{}
	}
	return *c.file
}

type source struct {
	o     settings
	ctx   context.Context
	mu    sync.Mutex
	cands map[string][]candidate // by base project name
	// yanked holds the versions whose candidate is yanked, by project;
	// none for most. The solver asks for every candidate of a package
	// whether a requirement admits it.
	yanked map[string]map[string]bool
	meta   map[string]*metaCall // by filename; one request per file
	sem    chan struct{}        // bounds background prefetches
	wg     sync.WaitGroup       // background prefetches, waited for before Resolve returns
	prefer map[string]string    // pins from the previous lock
	// loading holds a channel per project whose page is being fetched,
	// closed when it is done.
	loading map[string]chan struct{}
	roots   []Requirement
	// rootOrigins[i] is where roots[i] came from ("requirements.txt:3"), or "".
	rootOrigins []string
	// constraints by normalised name; only those whose marker applies.
	constraints map[string][]Requirement
	// absent says, by project, why one without candidates has none.
	absent map[string]string
}

// Resolve pins the requirements for opts.Target. An unsatisfiable set
// gives an error wrapping ErrNoSolution whose message explains why.
func Resolve(ctx context.Context, requirements []string, options ...Option) (*Lock, error) {
	var opts settings
	for _, o := range options {
		o(&opts)
	}
	if opts.Rules == nil || opts.Index == nil {
		return nil, errors.New("resolve needs WithRules and WithIndex")
	}
	// Background fetches still running when the solver is done are
	// speculation nobody needs: cancelled, then waited for.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s, err := newSource(ctx, opts, requirements)
	if s != nil {
		defer s.wg.Wait()
	}
	if err != nil {
		return nil, err
	}
	// A previous pin is preferred while it is allowed; a yanked one is
	// not, unless a requirement pins it.
	pins, deps, err := solver.Solve(ctx, s, solver.WithPreferences(s.prefer), solver.WithResolution(opts.Resolution.solver()))
	if err != nil {
		if errors.Is(err, solver.ErrNoSolution) {
			return nil, fmt.Errorf("%w: %s", ErrNoSolution, err.Error())
		}
		return nil, err
	}
	lock := &Lock{Version: LockVersion, Target: opts.Target, Requirements: make([]string, 0, len(requirements))}
	for _, r := range requirements {
		lock.Requirements = append(lock.Requirements, requirementWithoutCredentials(r))
	}
	extras := map[string][]string{}
	for name := range pins {
		if base, extra, ok := splitExtra(name); ok {
			extras[base] = append(extras[base], extra)
		}
	}
	for name, v := range pins {
		if _, _, ok := splitExtra(name); ok {
			continue
		}
		c := s.find(name, v)
		f := c.fileOrZero()
		p := Package{Name: name, Version: v, Provider: c.kind, Filename: f.Filename, URL: urlWithoutCredentials(f.URL),
			SHA256: f.SHA256, Size: f.Size, Index: f.Index, Extras: extras[name], NixAttr: c.nixAttr}
		seen := map[string]bool{}
		collect := func(n string) {
			for _, d := range deps[n] {
				b, _, _ := splitExtra(d)
				if b != name && !seen[b] {
					seen[b] = true
					p.Dependencies = append(p.Dependencies, b)
				}
			}
		}
		collect(name)
		for _, e := range extras[name] {
			collect(name + "[" + e + "]")
		}
		sort.Strings(p.Dependencies)
		sort.Strings(p.Extras)
		lock.Packages = append(lock.Packages, p)
	}
	sort.Slice(lock.Packages, func(i, j int) bool { return lock.Packages[i].Name < lock.Packages[j].Name })
	return lock, nil
}

// newSource reads the root requirements, constraints and preferences
// into a source for one target. The caller waits for s.wg once it is done
// with s, also when an error is returned with it.
func newSource(ctx context.Context, opts settings, requirements []string) (*source, error) {
	s := &source{o: opts, ctx: ctx, cands: map[string][]candidate{}, yanked: map[string]map[string]bool{}, meta: map[string]*metaCall{}, prefer: map[string]string{},
		loading: map[string]chan struct{}{}, sem: make(chan struct{}, 8)}
	for _, r := range requirements {
		req, err := opts.Rules.ParseRequirement(r)
		if err != nil {
			err = fmt.Errorf("%w: %q: %w", ErrBadRequirement, textWithoutCredentials(r), err)
			if o := opts.Origins[r]; o != "" {
				err = fmt.Errorf("%s: %w", o, err)
			}
			return s, err
		}
		s.roots = append(s.roots, req)
		s.rootOrigins = append(s.rootOrigins, opts.Origins[r])
	}
	// A direct URL is the user's own input: one without a usable hash or
	// naming another project's file is refused before resolving starts.
	for i, r := range s.roots {
		if r.URL != "" && (r.Applies == nil || r.Applies("")) {
			if _, err := s.directFile(r.Name, r.URL); err != nil {
				return s, s.withOrigin(i, fmt.Errorf("%w: %w", ErrBadRequirement, err))
			}
		}
	}
	s.constraints = map[string][]Requirement{}
	for _, c := range opts.Constraints {
		req, err := opts.Rules.ParseRequirement(c)
		if err != nil {
			return s, fmt.Errorf("constraint %q: %w", c, err)
		}
		if req.Applies == nil || req.Applies("") {
			s.constraints[req.Name] = append(s.constraints[req.Name], req)
		}
	}
	if opts.Previous != nil {
		up := map[string]bool{}
		for _, u := range opts.Upgrade {
			up[pep508.NormalizeName(u)] = true
		}
		for _, p := range opts.Previous.Packages {
			if !up[p.Name] {
				s.prefer[p.Name] = p.Version
			}
		}
	}
	return s, nil
}

// ErrNoSolution is wrapped when the requirements cannot all be met.
var ErrNoSolution = errors.New("no solution")

// ErrBadRequirement is wrapped when a root requirement itself is wrong: it
// does not parse, or its direct URL has no usable hash.
var ErrBadRequirement = errors.New("bad requirement")

func splitExtra(node string) (base, extra string, ok bool) {
	i := strings.IndexByte(node, '[')
	if i < 0 {
		return node, "", false
	}
	return node[:i], strings.TrimSuffix(node[i+1:], "]"), true
}

func (s *source) find(name, version string) candidate {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.cands[name] {
		if c.version == version {
			return c
		}
	}
	return candidate{}
}

func (s *source) isYanked(name, version string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.yanked[name][version]
}

func (s *source) binaryAllowed(name string) (wheel, sdist bool) {
	wheel, sdist = true, true
	for _, n := range s.o.OnlyBinary {
		if n == ":all:" || n == name {
			sdist = false
		}
	}
	for _, n := range s.o.NoBinary {
		if n == ":all:" || n == name {
			wheel = false
		}
	}
	return
}

func (s *source) load(name string) ([]candidate, error) {
	s.mu.Lock()
	if c, ok := s.cands[name]; ok {
		s.mu.Unlock()
		return c, nil
	}
	// One page request per project, however many goroutines ask.
	if wait, ok := s.loading[name]; ok {
		s.mu.Unlock()
		<-wait
		s.mu.Lock()
		c, ok := s.cands[name]
		s.mu.Unlock()
		if ok {
			return c, nil
		}
		return s.load(name) // the first attempt failed: try for ourselves
	}
	done := make(chan struct{})
	s.loading[name] = done
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.loading, name)
		s.mu.Unlock()
		close(done)
	}()
	var pf *ProjectFiles
	var err, missing error
	if direct := s.directURL(name); direct != "" {
		// A root "name @ URL" is the only source of name: the index is not
		// asked, as pip does.
		f, err := s.directFile(name, direct)
		if err != nil {
			return nil, err
		}
		pf = &ProjectFiles{Name: name, Files: []File{f}}
	} else {
		pf, err = s.o.Index.Project(s.ctx, name)
		if errors.Is(err, ErrProjectNotFound) {
			pf, err, missing = &ProjectFiles{Name: name}, nil, err
		}
		if err != nil {
			return nil, s.withOrigin(s.rootFor(name), fmt.Errorf("project %s: %w", name, err))
		}
	}
	wheelOK, sdistOK := s.binaryAllowed(name)
	order := s.o.Providers.For(name)
	provRank := func(k Provider) int {
		for i, p := range order {
			if p == k {
				return i
			}
		}
		return -1
	}
	// out[byVersion[v]] is version v's best file so far, ranked by
	// ranks[byVersion[v]] (provider, tag).
	out := make([]candidate, 0, len(pf.Files))
	ranks := make([][2]int, 0, len(pf.Files))
	byVersion := make(map[string]int, len(pf.Files))
	hashes, hashChecking := s.o.Hashes[name]
	var unfit []string // files whose name or tags do not fit the target
	var ruledOut filesRuledOut
	for i := range pf.Files {
		f := &pf.Files[i]
		if hashChecking && !containsFold(hashes, f.SHA256) {
			ruledOut.hash++
			continue
		}
		// Requires-Python first: it is memoised, and rules out many old
		// files before their names are parsed.
		if !s.o.Rules.PythonMatches(f.RequiresPython) {
			ruledOut.python++
			continue
		}
		n, v, kind, rank, ok := s.o.Rules.ParseFilename(f.Filename)
		if !ok || n != name {
			unfit = append(unfit, f.Filename)
			continue
		}
		if (kind == ProviderWheel && !wheelOK) || (kind == ProviderSdist && !sdistOK) {
			ruledOut.kind++
			continue
		}
		pr := provRank(kind)
		if pr < 0 {
			ruledOut.kind++
			continue
		}
		nc := candidate{version: v, yanked: f.Yanked, file: f, kind: kind}
		i, seen := byVersion[v]
		if !seen {
			byVersion[v] = len(out)
			out = append(out, nc)
			ranks = append(ranks, [2]int{pr, rank})
			continue
		}
		// A live file always beats a yanked one; then provider order, then
		// tag rank, then filename for determinism.
		b, r := &out[i], &ranks[i]
		if (b.yanked && !f.Yanked) ||
			(b.yanked == f.Yanked && (pr < r[0] || (pr == r[0] && (rank < r[1] || (rank == r[1] && f.Filename < b.file.Filename))))) {
			*b, *r = nc, [2]int{pr, rank}
		}
	}
	if pr := provRank(ProviderNixpkgs); pr >= 0 && s.o.Nixpkgs != nil && !hashChecking {
		offers, err := s.o.Nixpkgs.Packages(s.ctx, name)
		if err != nil {
			return nil, err
		}
		for _, np := range offers {
			nc := candidate{version: np.Version, kind: ProviderNixpkgs, nixAttr: np.Attr, nixDeps: np.Dependencies}
			i, seen := byVersion[np.Version]
			if !seen {
				byVersion[np.Version] = len(out)
				out = append(out, nc)
				ranks = append(ranks, [2]int{pr, 0})
			} else if out[i].yanked || pr < ranks[i][0] {
				out[i], ranks[i] = nc, [2]int{pr, 0}
			}
		}
	}
	if i := s.rootFor(name); len(out) == 0 && missing == nil && i >= 0 {
		if err := s.noFileFits(name, unfit); err != nil {
			return nil, s.withOrigin(i, err)
		}
	}
	if len(out) == 0 && missing != nil {
		// A dependency nobody has only rules out the versions that need
		// it; a requirement of the user's own is a mistake to point at.
		if i := s.rootFor(name); i >= 0 {
			return nil, s.notFound(i, missing)
		}
	}
	if len(out) == 0 {
		ruledOut.tags = len(unfit)
		s.mu.Lock()
		if s.absent == nil {
			s.absent = map[string]string{}
		}
		s.absent[name] = ruledOut.why(missing != nil, len(pf.Files))
		s.mu.Unlock()
	}
	s.sortNewestFirst(out)
	var yanked map[string]bool
	for _, c := range out {
		if c.yanked {
			if yanked == nil {
				yanked = map[string]bool{}
			}
			yanked[c.version] = true
		}
	}
	s.mu.Lock()
	s.cands[name] = out
	s.yanked[name] = yanked
	s.mu.Unlock()
	return out, nil
}

// filesRuledOut counts a project's files that are no candidate, by why.
type filesRuledOut struct{ hash, python, tags, kind int }

// why ends "X depends on P, which ..." for a project P without candidates.
func (r filesRuledOut) why(missing bool, files int) string {
	switch {
	case missing:
		return "is on no index"
	case files == 0:
		return "has no files on the index"
	}
	var parts []string
	for _, c := range []struct {
		n    int
		what string
	}{
		{r.python, "for another Python (Requires-Python)"},
		{r.tags, "for other interpreters or platforms"},
		{r.kind, "of a kind ruled out (--only-binary, --no-binary or the providers)"},
		{r.hash, "not matching the hashes required"},
	} {
		if c.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c.n, c.what))
		}
	}
	noun := "files"
	if files == 1 {
		noun = "file"
	}
	return fmt.Sprintf("has %d %s on the index, none for this target: %s", files, noun, strings.Join(parts, ", "))
}

// WhyNoVersions implements solver.Absence.
func (s *source) WhyNoVersions(node string) string {
	base, _, _ := splitExtra(node)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.absent[base]
}

// sortNewestFirst orders candidates newest first, by version alone: the
// solver tells runs of this order as ranges. Candidates reports which are
// pre-releases, tried last.
func (s *source) sortNewestFirst(out []candidate) {
	less := func(i, j int) bool {
		return s.o.Rules.Compare(out[i].version, out[j].version) > 0
	}
	if r, ok := s.o.Rules.(*standardRules); ok {
		// The same order from versions parsed once, instead of two cache
		// lookups per comparison: large projects have hundreds.
		keys := make([]*versionEntry, len(out))
		for i, c := range out {
			keys[i] = r.versionEntry(c.version)
		}
		less = func(i, j int) bool {
			return compareParsed(keys[i], keys[j], out[i].version, out[j].version) > 0
		}
		sort.Sort(candidateSort{out, keys, less})
		return
	}
	sort.Slice(out, less)
}

// candidateSort sorts candidates and their parsed versions together.
type candidateSort struct {
	c    []candidate
	keys []*versionEntry
	less func(i, j int) bool
}

func (c candidateSort) Len() int           { return len(c.c) }
func (c candidateSort) Less(i, j int) bool { return c.less(i, j) }
func (c candidateSort) Swap(i, j int) {
	c.c[i], c.c[j] = c.c[j], c.c[i]
	c.keys[i], c.keys[j] = c.keys[j], c.keys[i]
}

// Candidates implements solver.Source; "pkg[extra]" shares pkg's versions.
// Without --pre a pre-release is tried only when no final release of the
// package works (uv's order, which the packse scenarios test).
func (s *source) Candidates(ctx context.Context, node string) ([]solver.Candidate, error) {
	base, _, _ := splitExtra(node)
	cs, err := s.load(base)
	if err != nil {
		return nil, err
	}
	vs := make([]solver.Candidate, len(cs))
	for i, c := range cs {
		vs[i] = solver.Candidate{Version: c.version, Late: !s.o.Pre && s.o.Rules.IsPrerelease(c.version)}
	}
	return vs, nil
}

// Prefetch implements solver.Prefetcher: fetch metadata for the next few
// candidates in the background, bounded to a few requests at a time.
func (s *source) Prefetch(node string, versions []string) {
	base, _, _ := splitExtra(node)
	for _, v := range versions {
		c := s.find(base, v)
		if c.file == nil || c.file.Filename == "" || c.kind == ProviderNixpkgs {
			continue
		}
		select {
		case s.sem <- struct{}{}:
		default:
			return // enough requests in flight; the solver will ask itself
		}
		s.wg.Add(1)
		go func(f File) {
			defer func() { <-s.sem; s.wg.Done() }()
			_, _ = s.metadata(f)
		}(*c.file)
	}
}

type metaCall struct {
	done chan struct{}
	m    *Metadata
	err  error
}

// metadata fetches a file's metadata once, however many callers (the solver
// and prefetchers) ask for it at the same time.
func (s *source) metadata(f File) (*Metadata, error) {
	s.mu.Lock()
	c, ok := s.meta[f.Filename]
	if !ok {
		c = &metaCall{done: make(chan struct{})}
		s.meta[f.Filename] = c
	}
	s.mu.Unlock()
	if ok {
		<-c.done
		return c.m, c.err
	}
	c.m, c.err = s.o.Index.Metadata(s.ctx, f)
	if c.err != nil {
		c.err = fmt.Errorf("metadata of %s: %w", f.Filename, c.err)
	}
	close(c.done)
	return c.m, c.err
}

func (s *source) dep(r Requirement) []solver.Dep {
	spec := r.Specifier
	// PEP 592: a yanked file is only eligible for an exact pin, so not for
	// "==1.*" or a pin combined with other clauses. A root requirement
	// that pins a yanked version exactly makes it eligible for every
	// requirement on the package, as uv does: the user chose it.
	_, yankOK := exactPin(spec)
	constraints := s.constraints[r.Name]
	match := func(v string) bool {
		if !yankOK && s.isYanked(r.Name, v) && !s.rootPins(r.Name, v) {
			return false
		}
		// Pre-releases always match what their version satisfies; the
		// candidate order keeps them behind every final release.
		if !s.o.Rules.Matches(spec, v, true) {
			return false
		}
		for _, con := range constraints {
			if !s.o.Rules.Matches(con.Specifier, v, true) {
				return false
			}
		}
		return true
	}
	text := textWithoutCredentials(r.Text)
	if text == "" {
		text = r.Name + spec
	}
	for _, con := range constraints {
		text += " (constrained to " + con.Text + ")"
	}
	out := []solver.Dep{{Name: r.Name, Text: text, Match: match}}
	for _, e := range r.Extras {
		out = append(out, solver.Dep{Name: r.Name + "[" + e + "]", Text: text, Match: match})
	}
	return out
}

// directURL is the URL of a root requirement "name @ URL", or "".
func (s *source) directURL(name string) string {
	for _, r := range s.roots {
		if r.Name == name && r.URL != "" {
			return r.URL
		}
	}
	return ""
}

// directFile describes the file a direct URL names. Its hash comes from the
// URL's #sha256= fragment or a --hash option; a lock must pin every file
// by hash, and machnix does not download while resolving to invent one.
func (s *source) directFile(name, raw string) (File, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse's error quotes the URL, credentials and all.
		return File{}, fmt.Errorf("%s @ %s: not a valid URL", name, textWithoutCredentials(raw))
	}
	var sum string
	if q, err := url.ParseQuery(u.Fragment); err == nil {
		sum = strings.ToLower(q.Get("sha256"))
	}
	if hs := s.o.Hashes[name]; sum == "" && len(hs) == 1 {
		sum = strings.ToLower(strings.TrimPrefix(hs[0], "sha256:"))
	}
	u.Fragment = ""
	filename := path.Base(u.Path)
	if sum == "" {
		return File{}, fmt.Errorf("%s @ %s: a direct URL needs its sha256: append #sha256=<hex> to the URL or give --hash=sha256:<hex>", name, urlWithoutCredentials(u.String()))
	}
	if !IsSHA256Hex(sum) {
		return File{}, fmt.Errorf("%s @ %s: sha256 %q is not 64 hex digits", name, urlWithoutCredentials(u.String()), sum)
	}
	n, _, _, _, ok := s.o.Rules.ParseFilename(filename)
	if !ok || n != name {
		return File{}, fmt.Errorf("%s @ %s: %q is not a wheel or sdist of %s for this target", name, urlWithoutCredentials(u.String()), filename, name)
	}
	return File{Filename: filename, URL: u.String(), SHA256: sum}, nil
}

// rootPins reports whether a root requirement pins name to exactly
// version.
func (s *source) rootPins(name, version string) bool {
	for _, r := range s.roots {
		if pinned, ok := exactPin(r.Specifier); ok && r.Name == name && s.o.Rules.Compare(pinned, version) == 0 {
			return true
		}
	}
	return false
}

// exactPin returns the version of a specifier that is one "==V" (without
// a wildcard) or "===V" clause: PEP 592's exact pins.
func exactPin(spec string) (string, bool) {
	ts := strings.TrimSpace(spec)
	if !strings.HasPrefix(ts, "==") || strings.ContainsAny(ts, "*,") {
		return "", false
	}
	return strings.TrimSpace(strings.TrimLeft(ts, "=")), true
}

// Dependencies implements solver.Source.
func (s *source) Dependencies(ctx context.Context, node, version string) ([]solver.Dep, error) {
	var out []solver.Dep
	if node == solver.Root {
		for i, r := range s.roots {
			if r.Applies == nil || r.Applies("") {
				ds := s.dep(r)
				// Conflicts then say where the user asked for it.
				for j := range ds {
					ds[j].Origin = s.rootOrigins[i]
				}
				out = append(out, ds...)
			}
		}
		return out, nil
	}
	base, extra, isExtra := splitExtra(node)
	c := s.find(base, version)
	if isExtra {
		same := version
		out = append(out, solver.Dep{Name: base, Text: base + "==" + version, Match: func(v string) bool { return v == same }})
	}
	if c.kind == ProviderNixpkgs {
		// Its Python dependencies end up in the environment as well: the
		// lock pins them (any version; the generated expression gives the
		// package the lock's copies), so one version of each is there.
		for _, d := range c.nixDeps {
			r, err := s.o.Rules.ParseRequirement(d)
			if err != nil {
				return nil, fmt.Errorf("%s %s from nixpkgs: dependency %q: %w", base, version, d, err)
			}
			out = append(out, s.dep(r)...)
		}
		return out, nil
	}
	m, err := s.metadata(c.fileOrZero())
	if err != nil {
		return nil, err
	}
	for _, rd := range m.RequiresDist {
		r, err := s.o.Rules.ParseRequirement(rd)
		if err != nil {
			return nil, fmt.Errorf("%s %s: Requires-Dist %q: %w", base, version, rd, err)
		}
		if isExtra {
			// Only the requirements this extra adds.
			if r.Applies == nil || !r.Applies(extra) || r.Applies("") {
				continue
			}
		} else if r.Applies != nil && !r.Applies("") {
			continue
		}
		out = append(out, s.dep(r)...)
	}
	s.prefetchProjects(out)
	return out, nil
}

// prefetchProjects loads the candidate lists of new dependencies in the
// background: the solver reaches them one at a time, and waiting for each
// page in turn would make resolution as slow as the sum of the round trips.
func (s *source) prefetchProjects(deps []solver.Dep) {
	for _, d := range deps {
		name, _, _ := splitExtra(d.Name)
		s.mu.Lock()
		_, known := s.cands[name]
		_, loading := s.loading[name]
		s.mu.Unlock()
		if known || loading {
			continue
		}
		select {
		case s.sem <- struct{}{}:
		default:
			return // enough in flight; the solver loads the rest itself
		}
		s.wg.Add(1)
		go func() {
			defer func() { <-s.sem; s.wg.Done() }()
			// Errors surface when the solver asks. The newest candidate is
			// the usual choice: its dependencies are fetched ahead too,
			// which walks the likely graph in parallel instead of one round
			// trip after another.
			if cands, err := s.load(name); err == nil && len(cands) > 0 {
				_, _ = s.Dependencies(s.ctx, name, s.likelyChoice(name, cands).version)
			}
		}()
	}
}

// likelyChoice is the candidate the solver will probably try first: the
// previous pin, else the newest (oldest, for a lowest resolution) final
// release.
func (s *source) likelyChoice(name string, cands []candidate) candidate {
	if pv, ok := s.prefer[name]; ok {
		for _, c := range cands {
			if c.version == pv {
				return c
			}
		}
	}
	best := cands[0]
	found := false
	for _, c := range cands {
		if !s.o.Pre && s.o.Rules.IsPrerelease(c.version) {
			continue
		}
		if !found || s.o.Resolution == ResolutionLowest {
			best, found = c, true
		}
	}
	return best
}

func containsFold(list []string, s string) bool {
	if s == "" {
		return false
	}
	for _, x := range list {
		if strings.EqualFold(strings.TrimPrefix(x, "sha256:"), s) {
			return true
		}
	}
	return false
}

// urlWithoutCredentials drops the userinfo of a URL: a lock is shared, so
// the credentials of a direct URL are used while resolving and then come
// from netrc when the file is fetched.
func urlWithoutCredentials(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	u.User = nil
	return u.String()
}

// requirementWithoutCredentials is a root requirement as the lock records
// it: the same text, with the userinfo of its direct URL dropped.
func requirementWithoutCredentials(r string) string {
	req, err := pep508.ParseRequirement(r)
	if err != nil || req.URL == "" {
		return r
	}
	return strings.Replace(r, req.URL, urlWithoutCredentials(req.URL), 1)
}

var userinfoInText = regexp.MustCompile(`://[^/?#\s]*@`)

// textWithoutCredentials drops the userinfo of every URL in a text meant
// for messages, parseable or not.
func textWithoutCredentials(s string) string {
	return userinfoInText.ReplaceAllString(s, "://")
}
