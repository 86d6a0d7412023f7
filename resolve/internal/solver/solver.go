package solver

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Root is the name of the virtual package whose dependencies are the user's
// requirements.
const Root = ""

// Dep is one dependency edge: package Name restricted to the candidate
// versions Match accepts. Text is how the requirement reads to a person
// (e.g. "b>=2"); it appears in explanations.
type Dep struct {
	Name  string
	Text  string
	Match func(version string) bool
}

// Source answers the solver's questions. Both methods must be deterministic.
type Source interface {
	// Candidates lists the versions of name, most preferred first.
	Candidates(ctx context.Context, name string) ([]string, error)
	// Dependencies of name at version. For Root, version is "".
	Dependencies(ctx context.Context, name, version string) ([]Dep, error)
}

// Prefetcher is optionally implemented by a Source that can warm its caches
// for candidates the solver is likely to look at next.
type Prefetcher interface {
	Prefetch(name string, versions []string)
}

// ErrNoSolution is wrapped by the error Solve returns when the requirements
// cannot all be met; the error's message explains why in sentences.
var ErrNoSolution = errors.New("requirements are unsatisfiable")

// NoSolutionError carries the explanation of an unsatisfiable resolution.
type NoSolutionError struct {
	Explanation string
}

func (e *NoSolutionError) Error() string { return e.Explanation }
func (e *NoSolutionError) Unwrap() error { return ErrNoSolution }

// Solve picks one version per reachable package. The result maps package
// name to version and, for each package, the names it depends on.
func Solve(ctx context.Context, src Source) (map[string]string, map[string][]string, error) {
	s := &state{ctx: ctx, src: src, pkgs: map[string]*pkg{}}
	root := &pkg{name: Root, cands: []string{""}, level: -1}
	s.pkgs[Root] = root
	conflict, err := s.decide(root, 0)
	if err != nil {
		return nil, nil, err
	}
	if conflict != nil {
		return nil, nil, &NoSolutionError{Explanation: s.explain()}
	}
	pins := map[string]string{}
	deps := map[string][]string{}
	for _, d := range s.trail {
		if d.name == Root {
			continue
		}
		pins[d.name] = d.cands[d.chosen]
		var names []string
		for _, dep := range d.deps {
			names = append(names, dep.Name)
		}
		sort.Strings(names)
		deps[d.name] = names
	}
	return pins, deps, nil
}

type bitset []uint64

func fullSet(n int) bitset {
	b := make(bitset, (n+63)/64)
	for i := 0; i < n; i++ {
		b[i/64] |= 1 << (i % 64)
	}
	return b
}
func (b bitset) has(i int) bool { return b[i/64]&(1<<(i%64)) != 0 }
func (b bitset) and(o bitset) bitset {
	c := make(bitset, len(b))
	for i := range b {
		c[i] = b[i] & o[i]
	}
	return c
}
func (b bitset) empty() bool {
	for _, w := range b {
		if w != 0 {
			return false
		}
	}
	return true
}

// constraint is a restriction on one package imposed by a decided package.
type constraint struct {
	from    *pkg // the package whose chosen version imposed it
	text    string
	allowed bitset
}

type pkg struct {
	name   string
	cands  []string
	loaded bool
	cons   []constraint
	level  int // position in the trail, -1 when undecided
	chosen int
	deps   []Dep
}

func (p *pkg) allowed() bitset {
	a := fullSet(len(p.cands))
	for _, c := range p.cons {
		a = a.and(c.allowed)
	}
	return a
}

type state struct {
	ctx   context.Context
	src   Source
	pkgs  map[string]*pkg
	trail []*pkg
	order []string // discovery order of undecided packages, for determinism
	// last records the deepest failure, for the explanation.
	last *failure
}

type failure struct {
	pkg     *pkg
	cons    []constraint
	reasons []failedCand
}

// failedCand is why one candidate of a failed package could not be used.
type failedCand struct {
	cand int    // index in the package's cands
	text string // with the candidate written as "\x00"
}

// conflictSet is the set of trail levels responsible for a failure.
type conflictSet map[int]bool

func (s *state) get(name string) (*pkg, error) {
	if p, ok := s.pkgs[name]; ok {
		return p, nil
	}
	cands, err := s.src.Candidates(s.ctx, name)
	if err != nil {
		return nil, err
	}
	p := &pkg{name: name, cands: cands, loaded: true, level: -1}
	s.pkgs[name] = p
	s.order = append(s.order, name)
	return p, nil
}

func (s *state) allow(p *pkg, d Dep) bitset {
	b := make(bitset, (len(p.cands)+63)/64)
	for i, v := range p.cands {
		if d.Match == nil || d.Match(v) {
			b[i/64] |= 1 << (i % 64)
		}
	}
	return b
}

// next picks the undecided package with the fewest remaining candidates;
// ties go to the earliest discovered, which keeps the search deterministic.
func (s *state) next() *pkg {
	var best *pkg
	bestN := -1
	for _, name := range s.order {
		p := s.pkgs[name]
		if p.level >= 0 || len(p.cons) == 0 {
			continue
		}
		n := 0
		a := p.allowed()
		for i := range p.cands {
			if a.has(i) {
				n++
			}
		}
		if best == nil || n < bestN {
			best, bestN = p, n
		}
	}
	return best
}

// decide tries each allowed candidate of p in preference order, then
// recurses. It returns nil on success, or the levels to blame on failure.
func (s *state) decide(p *pkg, level int) (conflictSet, error) {
	if err := s.ctx.Err(); err != nil {
		return nil, err
	}
	blame := conflictSet{}
	for _, c := range p.cons {
		blame[c.from.level] = true
	}
	allowed := p.allowed()
	var reasons []failedCand
	pf, _ := s.src.(Prefetcher)
	tried := false
	for i, v := range p.cands {
		if !allowed.has(i) {
			continue
		}
		// Once the first choice has failed, warm the source for this
		// candidate and the next while this one is checked. Before that,
		// speculation mostly fetched what the first choice made needless.
		if tried && pf != nil && p.name != Root {
			vs := []string{v}
			for j := i + 1; j < len(p.cands); j++ {
				if allowed.has(j) {
					vs = append(vs, p.cands[j])
					break
				}
			}
			pf.Prefetch(p.name, vs)
		}
		tried = true
		deps, err := s.src.Dependencies(s.ctx, p.name, v)
		if err != nil {
			return nil, err
		}
		p.level, p.chosen, p.deps = level, i, deps
		s.trail = append(s.trail, p)
		bad, reason, err := s.apply(p, deps)
		if err != nil {
			return nil, err
		}
		if bad == nil {
			nxt := s.next()
			if nxt == nil {
				return nil, nil
			}
			bad, err = s.decide(nxt, level+1)
			if err != nil {
				return nil, err
			}
			if bad == nil {
				return nil, nil
			}
			reason = ""
		}
		s.undo(p)
		if !bad[level] {
			return bad, nil // backjump: this choice is not to blame
		}
		for l := range bad {
			if l != level {
				blame[l] = true
			}
		}
		if reason != "" {
			// The candidate is replaced by a mark, so that versions that
			// failed for the same reason are told once, as a range.
			who := p.name + "==" + v + " "
			reasons = append(reasons, failedCand{cand: i, text: strings.ReplaceAll(reason, who, "\x00 ")})
		}
	}
	delete(blame, level)
	if s.last == nil || len(reasons) > 0 || len(s.last.reasons) == 0 {
		s.last = &failure{pkg: p, cons: append([]constraint(nil), p.cons...), reasons: reasons}
	}
	return blame, nil
}

// apply adds p's dependencies as constraints. On an immediate clash it
// returns the blamed levels and a sentence saying why.
func (s *state) apply(p *pkg, deps []Dep) (conflictSet, string, error) {
	for _, d := range deps {
		q, err := s.get(d.Name)
		if err != nil {
			return nil, "", err
		}
		c := constraint{from: p, text: d.Text, allowed: s.allow(q, d)}
		q.cons = append(q.cons, c)
		if q.level >= 0 && !c.allowed.has(q.chosen) {
			bad := conflictSet{p.level: true, q.level: true}
			for _, qc := range q.cons {
				bad[qc.from.level] = true
			}
			var others []string
			for _, qc := range q.cons[:len(q.cons)-1] {
				others = append(others, says(qc))
			}
			return bad, fmt.Sprintf("%s depends on %s while %s", who(p), d.Text, strings.Join(others, " and ")), nil
		}
		if q.level < 0 && q.allowed().empty() {
			bad := conflictSet{}
			for _, qc := range q.cons {
				bad[qc.from.level] = true
			}
			return bad, clash(q), nil
		}
	}
	return nil, "", nil
}

func (s *state) undo(p *pkg) {
	for _, d := range p.deps {
		q := s.pkgs[d.Name]
		if q == nil {
			continue // apply stopped before reaching this dependency
		}
		for i := len(q.cons) - 1; i >= 0; i-- {
			if q.cons[i].from == p {
				q.cons = append(q.cons[:i], q.cons[i+1:]...)
				break
			}
		}
	}
	p.level, p.deps = -1, nil
	s.trail = s.trail[:len(s.trail)-1]
}

// says renders a constraint as "x==1 depends on y>=2" or "you require y>=2".
func says(c constraint) string {
	if c.from.name == Root {
		return "you require " + c.text
	}
	return who(c.from) + " depends on " + c.text
}

func who(p *pkg) string {
	if p.name == Root {
		return "you require"
	}
	if p.level >= 0 {
		return p.name + "==" + p.cands[p.chosen]
	}
	return p.name
}

// noMatch says that no candidate of q meets its constraints, which the
// sentence it ends has named with their sources.
func noMatch(q *pkg) string {
	switch {
	case len(q.cands) == 0:
		return fmt.Sprintf("no versions of %s are available", q.name)
	case len(q.cons) == 1:
		return fmt.Sprintf("no version of %s matches %s (%s)", q.name, q.cons[0].text, available(q))
	case len(q.cons) == 2:
		return fmt.Sprintf("no version of %s matches both", q.name)
	}
	return fmt.Sprintf("no version of %s matches all of these", q.name)
}

// clash names every side of q's constraints, who imposed each, and that
// no candidate meets them all.
func clash(q *pkg) string {
	var froms []string
	for _, c := range q.cons {
		froms = append(froms, says(c))
	}
	if len(froms) == 1 {
		return froms[0] + " and " + noMatch(q)
	}
	return strings.Join(froms, " and ") + ", and " + noMatch(q)
}

func (s *state) explain() string {
	f := s.last
	if f == nil {
		return "the requirements are unsatisfiable"
	}
	var b strings.Builder
	if f.pkg.name == Root {
		for _, r := range f.reasons {
			fmt.Fprintf(&b, "Because %s, the requirements are unsatisfiable. ", r.text)
		}
		return strings.TrimSpace(b.String())
	}
	for _, g := range mergeReasons(f.pkg, f.reasons) {
		fmt.Fprintf(&b, "Because %s, %s. ", g.text, g.verdict)
	}
	var froms []string
	for _, c := range f.cons {
		froms = append(froms, says(c))
	}
	if len(f.reasons) == 0 {
		fmt.Fprintf(&b, "Because %s, the requirements are unsatisfiable.", clash(&pkg{name: f.pkg.name, cands: f.pkg.cands, cons: f.cons}))
	} else {
		fmt.Fprintf(&b, "So no version of %s can be used. And because %s, the requirements are unsatisfiable.", f.pkg.name, strings.Join(froms, " and "))
	}
	return b.String()
}

type merged struct{ text, verdict string }

// mergeReasons states once the reasons that consecutive candidates share,
// naming the run as a range ("b>=1.0,<=1.3") when every candidate between
// its ends failed for that same reason, as uv does.
func mergeReasons(p *pkg, rs []failedCand) []merged {
	var out []merged
	for i := 0; i < len(rs); {
		j := i + 1
		for j < len(rs) && rs[j].text == rs[i].text && rs[j].cand == rs[j-1].cand+1 {
			j++
		}
		name, verdict := p.name+"=="+p.cands[rs[i].cand], "that version cannot be used"
		if j-i > 1 {
			// Candidates come most preferred first, which is newest first.
			hi, lo := p.cands[rs[i].cand], p.cands[rs[j-1].cand]
			name, verdict = p.name+">="+lo+",<="+hi, "those versions cannot be used"
		}
		out = append(out, merged{strings.ReplaceAll(rs[i].text, "\x00", name), verdict})
		i = j
	}
	return out
}

// maxListed is how many versions a message lists.
const maxListed = 10

// available lists q's versions, most preferred first.
func available(q *pkg) string {
	vs := q.cands
	more := ""
	if len(vs) > maxListed {
		vs, more = vs[:maxListed], fmt.Sprintf(" and %d more", len(q.cands)-maxListed)
	}
	if len(vs) == 1 {
		return "the only version is " + vs[0]
	}
	return "the versions are " + strings.Join(vs, ", ") + more
}
