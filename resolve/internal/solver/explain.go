package solver

import (
	"fmt"
	"strconv"
	"strings"
)

// explainer turns the derivation graph of the final incompatibility into
// sentences, following the scheme of PubGrub's error reporting: a step
// whose conclusion is used more than once is numbered and later referred
// to by its number, and a chain of steps that each add one fact reads as
// "And because ...".
type explainer struct {
	root    *incompat
	counts  map[*incompat]int // how often each derivation is used
	numbers map[*incompat]int
	lines   []string
	next    int
}

func (s *solver) explain(root *incompat) string {
	e := &explainer{root: root, counts: map[*incompat]int{}, numbers: map[*incompat]int{}, next: 1}
	if root.kind != kindDerived {
		return "Because " + e.external(root) + ", we can conclude that your requirements are unsatisfiable."
	}
	e.count(root)
	e.visit(root, false)
	return strings.Join(e.lines, "\n")
}

func (e *explainer) count(inc *incompat) {
	e.counts[inc]++
	if e.counts[inc] == 1 && inc.kind == kindDerived {
		e.count(inc.causes[0])
		e.count(inc.causes[1])
	}
}

func derived(inc *incompat) bool { return inc.kind == kindDerived }

// singleLine reports whether inc follows from two given facts.
func singleLine(inc *incompat) bool {
	return !derived(inc.causes[0]) && !derived(inc.causes[1])
}

func (e *explainer) collapsible(inc *incompat) bool {
	if e.counts[inc] > 1 {
		return false
	}
	a, b := inc.causes[0], inc.causes[1]
	if derived(a) == derived(b) {
		return false
	}
	complex := a
	if !derived(a) {
		complex = b
	}
	_, numbered := e.numbers[complex]
	return !numbered
}

func (e *explainer) write(inc *incompat, line string, numbered bool) {
	if numbered {
		e.numbers[inc] = e.next
		line += " (" + strconv.Itoa(e.next) + ")"
		e.next++
	}
	e.lines = append(e.lines, line)
}

func (e *explainer) ref(inc *incompat) string {
	if n, ok := e.numbers[inc]; ok {
		return " (" + strconv.Itoa(n) + ")"
	}
	return ""
}

func (e *explainer) and(a, b *incompat) string {
	if rootRequirement(a) && rootRequirement(b) {
		return "you require " + requirement(a) + " and " + requirement(b)
	}
	if s, ok := e.through(a, b); ok {
		return s
	}
	if s, ok := e.through(b, a); ok {
		return s
	}
	first := e.text(a) + e.ref(a)
	if strings.Contains(first, ", which ") {
		first += "," // the clause ends before the next fact
	}
	return first + " and " + e.text(b) + e.ref(b)
}

func (e *explainer) visit(inc *incompat, conclusion bool) {
	numbered := conclusion || e.counts[inc] > 1
	conj := "And because"
	if conclusion || inc == e.root {
		conj = "So, because"
	}
	concl := e.text(inc)
	a, b := inc.causes[0], inc.causes[1]
	switch {
	case derived(a) && derived(b):
		_, na := e.numbers[a]
		_, nb := e.numbers[b]
		switch {
		case na && nb:
			e.write(inc, "Because "+e.and(a, b)+", "+concl+".", numbered)
		case na || nb:
			with, without := a, b
			if nb {
				with, without = b, a
			}
			e.visit(without, false)
			e.write(inc, conj+" "+e.text(with)+e.ref(with)+", "+concl+".", numbered)
		default:
			if singleLine(a) || singleLine(b) {
				first, second := a, b
				if singleLine(a) && !singleLine(b) {
					first, second = b, a
				}
				e.visit(first, false)
				e.visit(second, false)
				e.write(inc, "Thus, "+concl+".", numbered)
			} else {
				e.visit(a, true)
				e.visit(b, false)
				e.write(inc, conj+" "+e.text(a)+e.ref(a)+", "+concl+".", numbered)
			}
		}
	case derived(a) || derived(b):
		d, ext := a, b
		if derived(b) {
			d, ext = b, a
		}
		switch {
		case e.ref(d) != "":
			e.write(inc, "Because "+e.and(ext, d)+", "+concl+".", numbered)
		case e.collapsible(d):
			inner, innerExt := d.causes[0], d.causes[1]
			if !derived(inner) {
				inner, innerExt = innerExt, inner
			}
			e.visit(inner, false)
			e.write(inc, conj+" "+e.and(innerExt, ext)+", "+concl+".", numbered)
		default:
			e.visit(d, false)
			e.write(inc, conj+" "+e.text(ext)+", "+concl+".", numbered)
		}
	default:
		e.write(inc, "Because "+e.and(a, b)+", "+concl+".", numbered)
	}
}

// text states what an incompatibility says, as a fact.
func (e *explainer) text(inc *incompat) string {
	if !derived(inc) {
		return e.external(inc)
	}
	if len(inc.terms) == 0 || (len(inc.terms) == 1 && inc.terms[0].p.name == Root && positive(inc.terms[0].p, inc.terms[0].s)) {
		if inc == e.root {
			return "we can conclude that your requirements are unsatisfiable"
		}
		return "your requirements are unsatisfiable"
	}
	var pos, neg []term
	for _, t := range inc.terms {
		if positive(t.p, t.s) {
			pos = append(pos, t)
		} else {
			neg = append(neg, term{p: t.p, s: t.s.not(t.p.full)}) // what it requires
		}
	}
	switch {
	case len(pos) == 1 && len(neg) == 0:
		t := pos[0]
		if t.s.count() == t.p.n && t.p.n > 1 {
			return "no version of " + oneLine(t.p.name) + " can be used"
		}
		return versions(t.p, t.s, false) + " cannot be used"
	case len(pos) == 0 && len(neg) == 1:
		return versions(neg[0].p, neg[0].s, false) + " is required"
	case len(pos) == 1:
		return versions(pos[0].p, pos[0].s, true) + " depends on " + list(neg, "or")
	case len(neg) == 0:
		return list(pos, "and") + " are incompatible"
	case len(pos) == 0:
		return "one of " + list(neg, "or") + " is required"
	}
	return list(pos, "and") + " together depend on " + list(neg, "or")
}

func list(ts []term, conj string) string {
	var parts []string
	for _, t := range ts {
		parts = append(parts, versions(t.p, t.s, false))
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " " + conj + " " + parts[len(parts)-1]
}

// through joins "a depends on b>=2" and "b>=2 depends on c" into "a
// depends on b>=2, which depends on c" when every version of b the first
// allows is one the second speaks of, so that the relative clause is true.
func (e *explainer) through(first, second *incompat) (string, bool) {
	if first.kind != kindDependency || second.kind != kindDependency || e.ref(first) != "" || e.ref(second) != "" {
		return "", false
	}
	q := first.target
	from := second.terms[0]
	// A root requirement keeps its own clause: "a==1 depends on ..." names
	// the version, where "you require a, which ..." would not.
	if from.p != q || q == first.terms[0].p || first.terms[0].p.name == Root {
		return "", false
	}
	allowed := first.terms[1].s.not(q.full) // the versions first's requirement admits
	if !allowed.subsetOf(from.s) {
		return "", false
	}
	rest := e.text(second)
	i := strings.Index(rest, " depends on ")
	if i < 0 {
		return "", false
	}
	return e.text(first) + ", which" + rest[i:], true
}

// rootRequirement reports whether inc is a plain requirement of the user's.
func rootRequirement(inc *incompat) bool {
	return inc.kind == kindDependency && inc.terms[0].p.name == Root
}

// requirement is a dependency as written, with where the user wrote it.
func requirement(inc *incompat) string {
	if inc.dep.Origin != "" {
		return oneLine(inc.dep.Text) + " (" + oneLine(inc.dep.Origin) + ")"
	}
	return oneLine(inc.dep.Text)
}

// lineBreaks are escaped in every text the source gives: each line of an
// explanation is one derivation step, and a requirement or version must
// not be able to forge one.
var lineBreaks = strings.NewReplacer("\n", `\n`, "\r", `\r`)

func oneLine(s string) string { return lineBreaks.Replace(s) }

// external states a fact the source gave.
func (e *explainer) external(inc *incompat) string {
	from := inc.terms[0]
	subject := "you require "
	if from.p.name != Root {
		subject = versions(from.p, from.s, true) + " depends on "
	}
	req := requirement(inc)
	if inc.kind == kindUnavailable && inc.target != from.p {
		return subject + req + ", which " + noMatch(inc.target, inc.dep.Text)
	}
	return subject + req
}

// noMatch ends "X depends on T, which ...".
func noMatch(q *pkg, text string) string {
	if q.n == 0 {
		if q.absent != "" {
			return oneLine(q.absent)
		}
		return "has no usable versions"
	}
	return fmt.Sprintf("no version of %s matches (%s)", oneLine(q.name), available(q))
}

// maxListed is how many versions a message lists.
const maxListed = 10

// available lists q's versions, newest first.
func available(q *pkg) string {
	vs := q.versions
	more := ""
	if len(vs) > maxListed {
		vs, more = vs[:maxListed], fmt.Sprintf(" and %d more", len(q.versions)-maxListed)
	}
	if len(vs) == 1 {
		return "the only version is " + vs[0]
	}
	return oneLine("the versions are " + strings.Join(vs, ", ") + more)
}

// versions names the versions of p in s as ranges over p's known
// versions, oldest run first: "k>=2,<=5", "k==1 | >=3", or the bare name
// (as a subject "every version of k") when s holds all of several.
func versions(p *pkg, s set, subject bool) string {
	n := 0
	for i := 0; i < p.n; i++ {
		if s.has(i) {
			n++
		}
	}
	switch {
	case p.name == Root:
		return "your requirements"
	case n == p.n && p.n > 1:
		if subject {
			return "every version of " + oneLine(p.name)
		}
		return oneLine(p.name)
	case n == 0:
		return oneLine(p.name) + " (no version)"
	}
	// Runs of consecutive versions; index 0 is the newest.
	var runs []string
	for j := p.n - 1; j >= 0; {
		if !s.has(j) {
			j--
			continue
		}
		i := j
		for i > 0 && s.has(i-1) {
			i--
		}
		lo, hi := p.versions[j], p.versions[i]
		switch {
		case i == j:
			runs = append(runs, "=="+hi)
		case i == 0:
			runs = append(runs, ">="+lo)
		case j == p.n-1:
			runs = append(runs, "<="+hi)
		default:
			runs = append(runs, ">="+lo+",<="+hi)
		}
		j = i - 1
	}
	return oneLine(p.name + strings.Join(runs, " | "))
}
