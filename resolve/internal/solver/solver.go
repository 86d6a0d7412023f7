package solver

import (
	"context"
	"encoding/binary"
	"errors"
	"sort"
	"strings"
)

// Root is the name of the virtual package whose dependencies are the user's
// requirements.
const Root = ""

// Dep is one dependency edge: package Name restricted to the versions Match
// accepts (nil accepts all). Text is how the requirement reads to a person
// (e.g. "b>=2"); Origin, for a root requirement, is where the user wrote it
// ("requirements.txt:3") or "". Both appear in explanations.
type Dep struct {
	Name   string
	Text   string
	Origin string
	Match  func(version string) bool
}

// Candidate is one version of a package.
type Candidate struct {
	Version string
	// Late candidates are tried only after every other candidate of the
	// package has been ruled out: pre-releases, unless asked for.
	Late bool
}

// Source answers the solver's questions. Both methods must be deterministic.
type Source interface {
	// Candidates lists the versions of name, newest first: explanations
	// tell consecutive entries as ranges.
	Candidates(ctx context.Context, name string) ([]Candidate, error)
	// Dependencies of name at version. For Root, version is "".
	Dependencies(ctx context.Context, name, version string) ([]Dep, error)
}

// Absence is optionally implemented by a Source that can say why a
// package has no candidates, so that an explanation says so ("is on no
// index", "has no files") rather than only that it has no usable versions.
type Absence interface {
	// WhyNoVersions ends "X depends on name, which ..." for a name whose
	// Candidates were empty; "" when the source cannot tell.
	WhyNoVersions(name string) string
}

// Prefetcher is optionally implemented by a Source that can warm its caches
// for candidates the solver is likely to look at next.
type Prefetcher interface {
	Prefetch(name string, versions []string)
}

// Resolution says which version of a package is tried first.
type Resolution int

const (
	// Highest tries the newest version first.
	Highest Resolution = iota
	// Lowest tries the oldest version first, for every package.
	Lowest
	// LowestDirect tries the oldest first for the root's own requirements
	// and the newest first for everything else.
	LowestDirect
)

// Option adjusts Solve.
type Option func(*config)

type config struct {
	prefer     map[string]string
	resolution Resolution
}

// WithPreferences gives a version per package that is tried before any
// other while it is allowed (a previous lock's pins). A "pkg[extra]" node
// takes pkg's preference.
func WithPreferences(p map[string]string) Option { return func(c *config) { c.prefer = p } }

// WithResolution chooses the order versions are tried in.
func WithResolution(r Resolution) Option { return func(c *config) { c.resolution = r } }

// ErrNoSolution is wrapped by the error Solve returns when the requirements
// cannot all be met; the error's message explains why in sentences.
var ErrNoSolution = errors.New("requirements are unsatisfiable")

// NoSolutionError carries the explanation of an unsatisfiable resolution.
type NoSolutionError struct {
	Explanation string
}

func (e *NoSolutionError) Error() string { return e.Explanation }
func (e *NoSolutionError) Unwrap() error { return ErrNoSolution }

// errInternal reports a broken invariant of the algorithm: a bug, never
// an answer about the requirements.
var errInternal = errors.New("solver: internal error: the partial solution contradicts a learnt fact")

// prefetchBatch is how many further candidates of a package are warmed
// once its first choice has failed.
const prefetchBatch = 8

// Solve picks one version per reachable package. The result maps package
// name to version and, for each package, the names it depends on. Without
// options it tries the newest version of each package first.
func Solve(ctx context.Context, src Source, options ...Option) (map[string]string, map[string][]string, error) {
	s := &solver{ctx: ctx, src: src, pkgs: map[string]*pkg{}, depIncs: map[depKey]*incompat{}, direct: map[string]bool{}}
	for _, o := range options {
		o(&s.cfg)
	}
	s.pf, _ = src.(Prefetcher)
	root := &pkg{name: Root, versions: []string{""}, late: []bool{false}, n: 1, decided: -1, order: []int{0},
		deps: map[int][]Dep{}, added: map[int]bool{}}
	root.full = fullSet(2)
	root.acc = root.full.clone()
	s.pkgs[Root] = root
	s.list = append(s.list, root)
	s.root = root
	// The root is decided at level 0, with the facts its requirements
	// give; backjumping never goes below it.
	deps, err := s.depsOf(root, 0)
	if err != nil {
		return nil, nil, err
	}
	for _, d := range deps {
		s.direct[baseName(d.Name)] = true
	}
	if _, err := s.addDependencies(root, 0, deps); err != nil {
		return nil, nil, err
	}
	s.push(assignment{p: root, term: singleton(root, 0), level: 0, version: 0})
	root.decided = 0
	next := root
	for {
		if err := s.ctx.Err(); err != nil {
			return nil, nil, err
		}
		if err := s.propagate(next); err != nil {
			return nil, nil, err
		}
		p, err := s.decide()
		if err != nil {
			return nil, nil, err
		}
		if p == nil {
			break
		}
		next = p
	}
	pins := map[string]string{}
	out := map[string][]string{}
	for _, p := range s.list[1:] {
		if p.decided < 0 {
			continue
		}
		pins[p.name] = p.versions[p.decided]
		var names []string
		for _, d := range p.deps[p.decided] {
			names = append(names, d.Name)
		}
		sort.Strings(names)
		out[p.name] = names
	}
	return pins, out, nil
}

// baseName is a node's project: "pkg[extra]" belongs to pkg.
func baseName(node string) string {
	if i := strings.IndexByte(node, '['); i >= 0 {
		return node[:i]
	}
	return node
}

type pkg struct {
	name     string
	versions []string // newest first
	late     []bool
	n        int // len(versions); state n is "not installed"
	full     set // every state
	// acc is the intersection of the terms assigned to the package so far.
	acc     set
	assigns []int // indices into the trail
	decided int   // version index, or -1
	order   []int // version indices, first tried first
	incs    []*incompat
	deps    map[int][]Dep // by version index, once fetched
	added   map[int]bool  // versions whose dependencies are incompatibilities
	// absent is why a package without versions has none, as the source
	// says (Absence), or "".
	absent string
}

// singleton is the positive term "p == versions[v]".
func singleton(p *pkg, v int) set {
	s := make(set, len(p.full))
	s.add(v)
	return s
}

// positive reports whether a term over p requires p to be installed.
func positive(p *pkg, s set) bool { return !s.has(p.n) }

type term struct {
	p *pkg
	s set
}

type kind uint8

const (
	// terms[0] depends on dep; terms[1] is "not target in what dep allows".
	kindDependency kind = iota
	// terms[0] depends on dep, which no version of target matches.
	kindUnavailable
	// Derived by conflict resolution from causes.
	kindDerived
)

// incompat is a set of terms that cannot all hold at once.
type incompat struct {
	terms  []term
	kind   kind
	dep    Dep
	target *pkg
	causes [2]*incompat
}

type assignment struct {
	p       *pkg
	term    set
	prev    set // p.acc before this assignment
	level   int
	cause   *incompat // nil for a decision
	version int       // a decision's version index
}

type depKey struct {
	kind         kind
	from, target *pkg
	text, origin string
	allowed      string
}

type solver struct {
	ctx     context.Context
	src     Source
	cfg     config
	pf      Prefetcher
	pkgs    map[string]*pkg
	list    []*pkg // in discovery order, root first
	root    *pkg
	trail   []assignment
	level   int
	depIncs map[depKey]*incompat // for merging the same fact about further versions
	direct  map[string]bool      // projects the root requires
}

func (s *solver) get(name string) (*pkg, error) {
	if p, ok := s.pkgs[name]; ok {
		return p, nil
	}
	cands, err := s.src.Candidates(s.ctx, name)
	if err != nil {
		return nil, err
	}
	p := &pkg{name: name, n: len(cands), decided: -1, deps: map[int][]Dep{}, added: map[int]bool{}}
	for _, c := range cands {
		p.versions = append(p.versions, c.Version)
		p.late = append(p.late, c.Late)
	}
	if a, ok := s.src.(Absence); ok && p.n == 0 {
		p.absent = a.WhyNoVersions(name)
	}
	p.full = fullSet(p.n + 1)
	p.acc = p.full.clone()
	p.order = s.order(p)
	s.pkgs[name] = p
	s.list = append(s.list, p)
	return p, nil
}

// order lists p's versions in the order they are tried: the preferred
// version, then the regular ones, then the late ones, each newest or
// oldest first as the resolution says.
func (s *solver) order(p *pkg) []int {
	lowest := s.cfg.resolution == Lowest || (s.cfg.resolution == LowestDirect && s.direct[baseName(p.name)])
	var early, late []int
	for i := range p.versions {
		if p.late[i] {
			late = append(late, i)
		} else {
			early = append(early, i)
		}
	}
	if lowest {
		for _, l := range [][]int{early, late} {
			for i, j := 0, len(l)-1; i < j; i, j = i+1, j-1 {
				l[i], l[j] = l[j], l[i]
			}
		}
	}
	out := append(early, late...)
	pv, ok := s.cfg.prefer[p.name]
	if !ok {
		pv, ok = s.cfg.prefer[baseName(p.name)]
	}
	if ok {
		for i, v := range out {
			if p.versions[v] == pv {
				copy(out[1:i+1], out[:i])
				out[0] = v
				break
			}
		}
	}
	return out
}

func (s *solver) depsOf(p *pkg, v int) ([]Dep, error) {
	if d, ok := p.deps[v]; ok {
		return d, nil
	}
	if p.deps == nil {
		p.deps = map[int][]Dep{}
	}
	d, err := s.src.Dependencies(s.ctx, p.name, p.versions[v])
	if err != nil {
		return nil, err
	}
	p.deps[v] = d
	return d, nil
}

func (s *solver) push(a assignment) {
	a.prev = a.p.acc
	a.p.acc = a.p.acc.and(a.term)
	a.p.assigns = append(a.p.assigns, len(s.trail))
	s.trail = append(s.trail, a)
}

func (s *solver) backtrack(level int) {
	for len(s.trail) > 0 {
		a := &s.trail[len(s.trail)-1]
		if a.level <= level {
			break
		}
		a.p.acc = a.prev
		a.p.assigns = a.p.assigns[:len(a.p.assigns)-1]
		if a.cause == nil {
			a.p.decided = -1
		}
		s.trail = s.trail[:len(s.trail)-1]
	}
	s.level = level
}

type relation uint8

const (
	satisfied relation = iota
	almostSatisfied
	contradicted
	inconclusive
)

// relate says how the partial solution stands to inc; for an almost
// satisfied one it also returns the one term not yet satisfied.
func relate(inc *incompat) (relation, *term) {
	var open *term
	for i := range inc.terms {
		t := &inc.terms[i]
		if t.p.acc.subsetOf(t.s) {
			continue
		}
		if t.p.acc.disjoint(t.s) {
			return contradicted, nil
		}
		if open != nil {
			return inconclusive, nil
		}
		open = t
	}
	if open == nil {
		return satisfied, nil
	}
	return almostSatisfied, open
}

// propagate derives what the incompatibilities force, starting from the
// package that changed last, until nothing more follows.
func (s *solver) propagate(start *pkg) error {
	changed := []*pkg{start}
	queued := map[*pkg]bool{start: true}
	for len(changed) > 0 {
		p := changed[len(changed)-1]
		changed = changed[:len(changed)-1]
		delete(queued, p)
		// Newer incompatibilities first: they are the learnt ones, which
		// say the most.
	incs:
		for i := len(p.incs) - 1; i >= 0; i-- {
			inc := p.incs[i]
			rel, open := relate(inc)
			switch rel {
			case satisfied:
				cause, err := s.resolveConflict(inc)
				if err != nil {
					return err
				}
				rel, open = relate(cause)
				if rel != almostSatisfied {
					return errInternal
				}
				s.derive(*open, cause)
				for q := range queued {
					delete(queued, q)
				}
				changed = append(changed[:0], open.p)
				queued[open.p] = true
				break incs // go on from the package the conflict settled
			case almostSatisfied:
				s.derive(*open, inc)
				if !queued[open.p] {
					queued[open.p] = true
					changed = append(changed, open.p)
				}
			}
		}
	}
	return nil
}

// derive records that t cannot hold, because of cause.
func (s *solver) derive(t term, cause *incompat) {
	s.push(assignment{p: t.p, term: t.s.not(t.p.full), level: s.level, cause: cause, version: -1})
}

func (s *solver) terminal(inc *incompat) bool {
	return len(inc.terms) == 0 || (len(inc.terms) == 1 && inc.terms[0].p == s.root && positive(s.root, inc.terms[0].s))
}

// satisfierIndex is the trail index of the assignment after which t is
// satisfied, starting from seed and looking only before limit; -1 when
// seed alone satisfies it.
func (s *solver) satisfierIndex(t term, seed set, limit int) int {
	r := seed.clone()
	if r.subsetOf(t.s) {
		return -1
	}
	for _, idx := range t.p.assigns {
		if idx >= limit {
			break
		}
		a := s.trail[idx].term
		for i := range r {
			r[i] &= a[i]
		}
		if r.subsetOf(t.s) {
			return idx
		}
	}
	return -1
}

// resolveConflict derives, from the satisfied incompatibility inc, one
// that is almost satisfied after backjumping, and learns it; or reports
// that the root cannot be satisfied.
func (s *solver) resolveConflict(inc *incompat) (*incompat, error) {
	created := false
	for {
		if s.terminal(inc) {
			return nil, &NoSolutionError{Explanation: s.explain(inc)}
		}
		idx := make([]int, len(inc.terms))
		sat, satTerm := -1, 0
		for i, t := range inc.terms {
			idx[i] = s.satisfierIndex(t, t.p.full, len(s.trail))
			if idx[i] > sat {
				sat, satTerm = idx[i], i
			}
		}
		if sat < 0 {
			return nil, errInternal
		}
		a := s.trail[sat]
		st := inc.terms[satTerm]
		prev := -1
		for i := range inc.terms {
			if i != satTerm && idx[i] > prev {
				prev = idx[i]
			}
		}
		if j := s.satisfierIndex(st, a.term, sat); j > prev {
			prev = j
		}
		prevLevel := 0
		if prev >= 0 {
			prevLevel = s.trail[prev].level
		}
		if a.cause == nil || prevLevel != a.level {
			if created {
				s.learn(inc)
			}
			s.backtrack(prevLevel)
			return inc, nil
		}
		var ts []term
		for _, t := range inc.terms {
			if t.p != a.p {
				ts = append(ts, t)
			}
		}
		for _, t := range a.cause.terms {
			if t.p != a.p {
				ts = append(ts, t)
			}
		}
		// What the satisfier allows beyond the term must be ruled out too.
		if diff := a.term.and(st.s.not(a.p.full)); !diff.empty() {
			ts = append(ts, term{p: a.p, s: diff.not(a.p.full)})
		}
		inc = s.derived(ts, inc, a.cause)
		created = true
	}
}

// derived builds the incompatibility that follows from two others: terms
// on the same package are intersected, terms every state satisfies are
// dropped, and so is the root, which always holds.
func (s *solver) derived(ts []term, a, b *incompat) *incompat {
	var out []term
	for _, t := range ts {
		merged := false
		for i := range out {
			if out[i].p == t.p {
				out[i].s = out[i].s.and(t.s)
				merged = true
				break
			}
		}
		if !merged {
			out = append(out, term{p: t.p, s: t.s})
		}
	}
	kept := out[:0]
	for _, t := range out {
		if t.s.equal(t.p.full) {
			continue
		}
		kept = append(kept, t)
	}
	if len(kept) > 1 {
		noRoot := kept[:0]
		for _, t := range kept {
			if t.p == s.root && positive(s.root, t.s) {
				continue
			}
			noRoot = append(noRoot, t)
		}
		kept = noRoot
	}
	return &incompat{terms: kept, kind: kindDerived, causes: [2]*incompat{a, b}}
}

func (s *solver) learn(inc *incompat) {
	for _, t := range inc.terms {
		t.p.incs = append(t.p.incs, inc)
	}
}

func setKey(x set) string {
	b := make([]byte, 8*len(x))
	for i, w := range x {
		binary.LittleEndian.PutUint64(b[8*i:], w)
	}
	return string(b)
}

// addDependencies turns the dependencies of p at version v into
// incompatibilities and reports whether one of them already clashes with
// the partial solution if v were chosen. A fact already known for other
// versions of p with exactly the same requirement is widened to cover v,
// so that one failure rules out the whole run of versions at once and the
// explanation tells it as a range.
func (s *solver) addDependencies(p *pkg, v int, deps []Dep) (bool, error) {
	p.added[v] = true
	clash := false
	for _, d := range deps {
		q, err := s.get(d.Name)
		if err != nil {
			return false, err
		}
		allowed := make(set, len(q.full))
		for i, qv := range q.versions {
			if d.Match == nil || d.Match(qv) {
				allowed.add(i)
			}
		}
		if q == p && allowed.has(v) {
			continue // a version that needs itself needs nothing more
		}
		k := kindDependency
		if allowed.empty() || q == p {
			k = kindUnavailable
		}
		key := depKey{kind: k, from: p, target: q, text: d.Text, origin: d.Origin, allowed: setKey(allowed)}
		from := singleton(p, v)
		old := s.depIncs[key]
		if old != nil {
			from = old.terms[0].s.or(from)
		}
		inc := &incompat{kind: k, dep: d, target: q, terms: []term{{p: p, s: from}}}
		if k == kindDependency {
			// "not q in allowed": any other version, or not installed.
			inc.terms = append(inc.terms, term{p: q, s: allowed.not(q.full)})
		}
		s.depIncs[key] = inc
		for _, t := range inc.terms {
			if old != nil && replace(t.p.incs, old, inc) {
				continue
			}
			t.p.incs = append(t.p.incs, inc)
		}
		others := true
		for _, t := range inc.terms {
			if t.p != p && !t.p.acc.subsetOf(t.s) {
				others = false
			}
		}
		clash = clash || others
	}
	return clash, nil
}

func replace(list []*incompat, old, inc *incompat) bool {
	for i := len(list) - 1; i >= 0; i-- {
		if list[i] == old {
			list[i] = inc
			return true
		}
	}
	return false
}

// decide picks the undecided required package with the fewest versions
// left (ties: the earliest found) and tries its first allowed version in
// order. It returns nil when every required package is decided.
func (s *solver) decide() (*pkg, error) {
	var best *pkg
	bestN := 0
	for _, p := range s.list {
		if p.decided >= 0 || !positive(p, p.acc) {
			continue
		}
		if n := p.acc.count(); best == nil || n < bestN {
			best, bestN = p, n
		}
	}
	if best == nil {
		return nil, nil
	}
	p := best
	v, pos := -1, 0
	for i, c := range p.order {
		if p.acc.has(c) {
			v, pos = c, i
			break
		}
	}
	if v < 0 {
		return nil, errInternal
	}
	if s.pf != nil && pos > 0 {
		// The first choices have failed: the next ones are likely to be
		// looked at too, so their metadata is fetched while this one is
		// checked.
		var batch []string
		for _, c := range p.order[pos+1:] {
			if p.acc.has(c) {
				batch = append(batch, p.versions[c])
				if len(batch) == prefetchBatch {
					break
				}
			}
		}
		if len(batch) > 0 {
			s.pf.Prefetch(p.name, batch)
		}
	}
	deps, err := s.depsOf(p, v)
	if err != nil {
		return nil, err
	}
	clash := false
	if !p.added[v] {
		if clash, err = s.addDependencies(p, v, deps); err != nil {
			return nil, err
		}
	}
	if !clash {
		s.level++
		s.push(assignment{p: p, term: singleton(p, v), level: s.level, version: v})
		p.decided = v
	}
	return p, nil
}
