package pep508

import (
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/machnix/machnix/resolve/pep440"
)

// EnvSet is a set of marker environments: what a marker means once it is
// no longer evaluated for one target but reasoned about for many, as a
// universal lock must. It is kept as a union of boxes, each box a
// conjunction of one constraint per variable, so that intersection, union
// and complement are exact and emptiness is decidable.
//
// The normal form treats python_version as a range of
// python_full_version (python_version == "3.10" is 3.10 <= full < 3.11),
// knows that sys_platform, platform_system and os_name move together for
// the platforms it lists (linux, darwin, win32), as do
// implementation_name and platform_python_implementation, and keeps every
// comparison it cannot reason about (ordered string comparisons, "x" in
// variable, === on versions) as an opaque true-or-false atom.
//
// A set that would need more than maxBoxes boxes (markers from a hostile
// index can multiply them: twenty "(a or b) and" groups make a million)
// is replaced by a superset and marked Approximate: every environment it
// should hold is still in it, so a dependency is never dropped, but a
// decision that it always holds may be missed.
//
// The zero value is the empty set.
type EnvSet struct {
	boxes  []box
	approx bool
}

// maxBoxes bounds the boxes of one set.
const maxBoxes = 256

// Approximate reports whether the set is a superset standing in for one
// too large to keep exactly.
func (s EnvSet) Approximate() bool { return s.approx }

// box maps a variable to its constraint; a variable that is absent is
// unconstrained. Opaque atoms use keys starting with "?".
type box map[string]constraint

// constraint is the set of values one variable may take in a box.
type constraint interface {
	and(constraint) constraint
	not() constraint
	empty() bool
	full() bool
	equal(constraint) bool
	write(b *strings.Builder, name string)
}

// AllEnvs is every environment.
func AllEnvs() EnvSet { return EnvSet{boxes: []box{{}}} }

// NoEnvs is the empty set.
func NoEnvs() EnvSet { return EnvSet{} }

// EnvironmentSet is the one environment env describes exactly: every
// variable it holds is pinned to its value, python_version included
// through python_full_version.
func EnvironmentSet(env Environment) EnvSet {
	b := box{}
	for k, v := range env {
		switch k {
		case "python_version":
			continue // implied by python_full_version
		case "python_full_version", "implementation_version":
			if pv, err := pep440.Parse(v); err == nil {
				b[k] = verSet{{lo: bound{v: pv}, hi: bound{v: pv}}}
				continue
			}
		}
		b[k] = strSet{vals: []string{v}}
	}
	return EnvSet{boxes: []box{b}}
}

// Set is the marker's meaning while installing extra ("" for none): the
// extra, extras and dependency_groups variables are evaluated, every other
// comparison becomes a constraint. A nil marker is every environment.
func (m *Marker) Set(extra string) EnvSet {
	if m == nil || m.root == nil {
		return AllEnvs()
	}
	ev := evalEnv{extra: NormalizeExtra(extra)}
	if extra != "" {
		ev.extras = []string{ev.extra}
	}
	return exprSet(m.root, ev)
}

func exprSet(x *expr, ev evalEnv) EnvSet {
	out := NoEnvs()
	group := AllEnvs()
	for i, a := range x.atoms {
		var s EnvSet
		if a.sub != nil {
			s = exprSet(a.sub, ev)
		} else {
			s = comparisonSet(a.cmp, ev)
		}
		group = group.And(s)
		if i == len(x.ors) || x.ors[i] {
			out = out.Or(group)
			group = AllEnvs()
		}
	}
	return out
}

// flipped gives the operator with its sides swapped: "3.8" < python_version
// is python_version > "3.8".
var flipped = map[string]string{"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!=", "===": "==="}

// negatedOps pairs operators whose results are complements for every
// value, so that an opaque atom's complement can still be written.
var negatedOps = map[string]string{"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">", "in": "not in", "not in": "in"}

func constant(ok bool) EnvSet {
	if ok {
		return AllEnvs()
	}
	return NoEnvs()
}

func comparisonSet(c *comparison, ev evalEnv) EnvSet {
	if !c.lhs.isVar && !c.rhs.isVar {
		return constant(ev.compare(c))
	}
	for _, o := range []operand{c.lhs, c.rhs} {
		if o.isVar && (o.text == "extra" || o.text == "extras" || o.text == "dependency_groups") {
			return constant(ev.compare(c))
		}
	}
	if c.lhs.isVar && c.rhs.isVar {
		return opaque(c)
	}
	name, lit, op := c.lhs.text, c.rhs.text, c.op
	if !c.lhs.isVar {
		f, ok := flipped[op]
		if !ok {
			return opaque(c) // "x" in variable: substring tests
		}
		name, lit, op = c.rhs.text, c.lhs.text, f
	}
	switch name {
	case "python_version":
		return single("python_full_version", minorRanges(op, lit))
	case "python_full_version", "implementation_version":
		if vs, ok := versionRange(op, lit); ok {
			return single(name, vs)
		}
		return opaque(c)
	case "platform_release":
		return opaque(c) // compared as versions or strings, by value
	}
	switch op {
	case "==", "===":
		return single(name, strSet{vals: []string{lit}})
	case "!=":
		return single(name, strSet{vals: []string{lit}, neg: true})
	case "in", "not in":
		if len(lit) > 64 {
			return opaque(c)
		}
		return single(name, strSet{vals: substrings(lit), neg: op == "not in"})
	}
	return opaque(c)
}

func single(name string, c constraint) EnvSet {
	if c.empty() {
		return NoEnvs()
	}
	if c.full() {
		return AllEnvs()
	}
	return EnvSet{boxes: []box{{name: c}}}
}

// opaque is an atom the algebra does not look inside: true in some
// environments, false in the others.
func opaque(c *comparison) EnvSet {
	// One of each complementary pair of operators names the atom, so
	// that a comparison and its opposite are known to be complements.
	neg := false
	switch c.op {
	case "!=", "<", "<=", "not in":
		n := *c
		n.op, neg = negatedOps[c.op], true
		c = &n
	}
	var b strings.Builder
	c.write(&b)
	return single("?"+b.String(), strSet{vals: []string{"1"}, neg: neg})
}

// substrings lists every substring of s, the values v for which
// `v in s` holds.
func substrings(s string) []string {
	seen := map[string]bool{"": true}
	for i := range len(s) {
		for j := i + 1; j <= len(s); j++ {
			seen[s[i:j]] = true
		}
	}
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// minorRanges turns a python_version comparison into ranges of full
// versions by evaluating it on every minor release from 2.0 to 3.99 and 4.0, as
// the comparison itself would on that interpreter; each minor that
// matches contributes [X.Y.dev0, X.Y+1.dev0) (its pre-releases have
// python_version X.Y too), the last one reaching to infinity.
func minorRanges(op, lit string) verSet {
	var out verSet
	c := &comparison{lhs: operand{isVar: true, text: "python_version"}, rhs: operand{text: lit}, op: op}
	if sp, err := pep440.ParseSpecifier(op + lit); err == nil {
		c.spec = &sp
	}
	type minor struct{ major, minor int }
	var grid []minor
	for y := range 8 {
		grid = append(grid, minor{2, y})
	}
	for y := range 100 {
		grid = append(grid, minor{3, y})
	}
	grid = append(grid, minor{4, 0})
	for i, g := range grid {
		text := strconv.Itoa(g.major) + "." + strconv.Itoa(g.minor)
		if !(evalEnv{env: Environment{"python_version": text}}).compare(c) {
			continue
		}
		iv := interval{lo: bound{v: pep440.MustParse(text + ".dev0")}, hi: bound{inf: true}}
		if i == 0 {
			iv.lo = bound{inf: true}
		}
		if i+1 < len(grid) {
			n := grid[i+1]
			iv.hi = bound{v: pep440.MustParse(strconv.Itoa(n.major) + "." + strconv.Itoa(n.minor) + ".dev0"), open: true}
		}
		out = out.or(verSet{iv})
	}
	return out
}

// versionRange is the set of versions op lit accepts, as ranges.
func versionRange(op, lit string) (verSet, bool) {
	if op == "===" || op == "in" || op == "not in" {
		return nil, false
	}
	wild := strings.HasSuffix(strings.TrimSpace(lit), ".*")
	v, err := pep440.Parse(strings.TrimSuffix(strings.TrimSpace(lit), ".*"))
	if err != nil {
		return nil, false
	}
	if _, err := pep440.ParseSpecifier(op + lit); err != nil {
		return nil, false
	}
	at := bound{v: v}
	switch {
	case wild && (op == "==" || op == "!="):
		lo := v
		lo.HasDev, lo.Dev = true, 0
		hi := bumpLast(v.Release, v.Epoch)
		s := verSet{{lo: bound{v: lo}, hi: bound{v: hi, open: true}}}
		if op == "!=" {
			return s.not().(verSet), true
		}
		return s, true
	case op == "==":
		return verSet{{lo: at, hi: at}}, true
	case op == "!=":
		return verSet{{lo: at, hi: at}}.not().(verSet), true
	case op == ">=":
		return verSet{{lo: at, hi: bound{inf: true}}}, true
	case op == ">":
		return verSet{{lo: bound{v: v, open: true}, hi: bound{inf: true}}}, true
	case op == "<=":
		return verSet{{lo: bound{inf: true}, hi: at}}, true
	case op == "<":
		return verSet{{lo: bound{inf: true}, hi: bound{v: v, open: true}}}, true
	case op == "~=" && len(v.Release) >= 2:
		hi := bumpLast(v.Release[:len(v.Release)-1], v.Epoch)
		return verSet{{lo: at, hi: bound{v: hi, open: true}}}, true
	}
	return nil, false
}

// bumpLast is the first version after every version starting with
// release: 3.10 gives 3.11.dev0.
func bumpLast(release []int, epoch int) pep440.Version {
	r := slices.Clone(release)
	r[len(r)-1]++
	return pep440.Version{Epoch: epoch, Release: r, HasDev: true}
}

// And is the intersection.
func (s EnvSet) And(t EnvSet) EnvSet {
	if len(s.boxes)*len(t.boxes) > maxBoxes*maxBoxes {
		return s.smaller(t)
	}
	var out []box
	for _, a := range s.boxes {
		for _, b := range t.boxes {
			if c, ok := a.and(b); ok {
				out = append(out, c)
			}
		}
	}
	if len(out) > 4*maxBoxes {
		return s.smaller(t) // before simplify, which is quadratic
	}
	r := EnvSet{boxes: out, approx: s.approx || t.approx}.simplify()
	if len(r.boxes) > maxBoxes {
		return s.smaller(t)
	}
	return r
}

// smaller is the operand with fewer boxes, marked Approximate: a superset
// of the intersection of the two.
func (s EnvSet) smaller(t EnvSet) EnvSet {
	r := s
	if len(t.boxes) < len(s.boxes) {
		r = t
	}
	r.approx = true
	return r
}

// Or is the union.
func (s EnvSet) Or(t EnvSet) EnvSet {
	if len(s.boxes)+len(t.boxes) > 4*maxBoxes {
		return EnvSet{boxes: []box{{}}, approx: true}
	}
	r := EnvSet{boxes: append(slices.Clone(s.boxes), t.boxes...), approx: s.approx || t.approx}.simplify()
	if len(r.boxes) > maxBoxes {
		return EnvSet{boxes: []box{{}}, approx: true}
	}
	return r
}

// Not is the complement: by De Morgan, the intersection over the boxes of
// the union of each constraint's complement.
func (s EnvSet) Not() EnvSet {
	out := AllEnvs()
	if s.approx {
		// The complement of a superset is a subset: give up exactness
		// the safe way, with every environment.
		out.approx = true
		return out
	}
	for _, b := range s.boxes {
		var alt []box
		for _, k := range b.keys() {
			alt = append(alt, box{k: b[k].not()})
		}
		out = out.And(EnvSet{boxes: alt})
		if out.approx {
			return EnvSet{boxes: []box{{}}, approx: true}
		}
		if out.IsEmpty() {
			return out
		}
	}
	return out
}

// IsEmpty reports whether no environment is in the set.
func (s EnvSet) IsEmpty() bool { return len(s.boxes) == 0 }

// IsAll reports whether every environment is in the set.
func (s EnvSet) IsAll() bool { return s.Not().IsEmpty() }

// Disjoint reports whether no environment is in both sets.
func (s EnvSet) Disjoint(t EnvSet) bool { return s.And(t).IsEmpty() }

// Covers reports whether every environment of t is in s.
func (s EnvSet) Covers(t EnvSet) bool { return t.And(s.Not()).IsEmpty() }

// Equal reports whether the two sets hold the same environments.
func (s EnvSet) Equal(t EnvSet) bool { return s.Covers(t) && t.Covers(s) }

func (b box) keys() []string {
	ks := make([]string, 0, len(b))
	for k := range b {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// and intersects two boxes; ok is false when the result is empty.
func (a box) and(b box) (box, bool) {
	out := make(box, len(a)+len(b))
	for k, c := range a {
		out[k] = c
	}
	for k, c := range b {
		if prev, ok := out[k]; ok {
			c = prev.and(c)
		}
		if c.empty() {
			return nil, false
		}
		if c.full() {
			delete(out, k)
			continue
		}
		out[k] = c
	}
	return out, out.consistent()
}

// correlated lists variables that one platform decides together. A box is
// consistent when one row fits all its constraints, or when each variable
// still admits a value no row names (a platform the table does not know).
var correlated = []struct {
	vars []string
	rows [][]string
}{
	{[]string{"sys_platform", "platform_system", "os_name"}, [][]string{
		{"linux", "Linux", "posix"}, {"darwin", "Darwin", "posix"}, {"win32", "Windows", "nt"}}},
	{[]string{"implementation_name", "platform_python_implementation"}, [][]string{
		{"cpython", "CPython"}, {"pypy", "PyPy"}, {"ironpython", "IronPython"}, {"jython", "Jython"}}},
}

func (b box) consistent() bool {
	for _, g := range correlated {
		constrained := false
		for _, v := range g.vars {
			if _, ok := b[v]; ok {
				constrained = true
			}
		}
		if !constrained {
			continue
		}
		fits := false
		for _, row := range g.rows {
			ok := true
			for i, v := range g.vars {
				if c, has := b[v]; has && !c.(strSet).has(row[i]) {
					ok = false
				}
			}
			if ok {
				fits = true
				break
			}
		}
		if fits {
			continue
		}
		// An unknown platform: every variable but os_name (which unknown
		// platforms share with known ones) must allow a value outside
		// the table.
		unknown := true
		for i, v := range g.vars {
			c, has := b[v]
			if !has || v == "os_name" {
				continue
			}
			known := make([]string, len(g.rows))
			for j, row := range g.rows {
				known[j] = row[i]
			}
			if !c.(strSet).hasOther(known) {
				unknown = false
			}
		}
		if !unknown {
			return false
		}
	}
	return true
}

// simplify drops boxes another box contains, so sets stay small.
func (s EnvSet) simplify() EnvSet {
	out := make([]box, 0, len(s.boxes))
	for i, b := range s.boxes {
		dup := false
		for j, c := range s.boxes {
			if i != j && c.contains(b) && (!b.contains(c) || j < i) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, b)
		}
	}
	return EnvSet{boxes: out, approx: s.approx}
}

// contains reports whether every environment of b is in a, judged per
// variable (sufficient, not necessary).
func (a box) contains(b box) bool {
	for k, ca := range a {
		cb, ok := b[k]
		if !ok {
			return false
		}
		if !ca.and(cb).equal(cb) {
			return false
		}
	}
	return true
}

// String writes the set as a PEP 508 marker: "" for every environment,
// and for the empty set a marker no environment satisfies.
func (s EnvSet) String() string {
	if s.IsEmpty() {
		return `python_version < "0"`
	}
	parts := make([]string, 0, len(s.boxes))
	for _, b := range s.boxes {
		parts = append(parts, b.String())
	}
	sort.Strings(parts)
	for _, p := range parts {
		if p == "" {
			return ""
		}
	}
	if len(parts) == 1 {
		return parts[0]
	}
	for i, p := range parts {
		if strings.Contains(p, " and ") || strings.Contains(p, " or ") {
			parts[i] = "(" + p + ")"
		}
	}
	return strings.Join(parts, " or ")
}

func (b box) String() string {
	var parts []string
	for _, k := range b.keys() {
		var sb strings.Builder
		b[k].write(&sb, k)
		if s := sb.String(); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " and ")
}

// Simplified drops from each box the constraints that make no difference
// within universe, so a set over a few targets reads as the variables
// that tell those targets apart.
func (s EnvSet) Simplified(universe EnvSet) EnvSet {
	want := s.And(universe)
	if want.approx || s.approx {
		return want
	}
	out := EnvSet{boxes: make([]box, 0, len(want.boxes))}
	for _, b := range want.boxes {
		nb := maps(b)
		for _, k := range b.keys() {
			trial := maps(nb)
			delete(trial, k)
			cand := EnvSet{boxes: []box{trial}}
			if cand.And(universe).And(s.Not()).IsEmpty() {
				nb = trial
			}
		}
		out.boxes = append(out.boxes, nb)
	}
	return out.simplify()
}

func maps(b box) box {
	out := make(box, len(b))
	for k, v := range b {
		out[k] = v
	}
	return out
}

// strSet is a finite set of values, or with neg its complement.
type strSet struct {
	vals []string // sorted, distinct
	neg  bool
}

func (s strSet) has(v string) bool {
	_, found := slices.BinarySearch(s.vals, v)
	return found != s.neg
}

// hasOther reports whether the set holds a value outside known.
func (s strSet) hasOther(known []string) bool {
	if s.neg {
		return true
	}
	for _, v := range s.vals {
		if !slices.Contains(known, v) {
			return true
		}
	}
	return false
}

func (s strSet) and(o constraint) constraint {
	t := o.(strSet)
	switch {
	case !s.neg && !t.neg:
		return strSet{vals: filter(s.vals, func(v string) bool { return slices.Contains(t.vals, v) })}
	case !s.neg:
		return strSet{vals: filter(s.vals, func(v string) bool { return !slices.Contains(t.vals, v) })}
	case !t.neg:
		return t.and(s)
	}
	u := append(slices.Clone(s.vals), t.vals...)
	sort.Strings(u)
	return strSet{vals: slices.Compact(u), neg: true}
}

func filter(vs []string, keep func(string) bool) []string {
	var out []string
	for _, v := range vs {
		if keep(v) {
			out = append(out, v)
		}
	}
	return out
}

func (s strSet) not() constraint { return strSet{vals: s.vals, neg: !s.neg} }
func (s strSet) empty() bool     { return !s.neg && len(s.vals) == 0 }
func (s strSet) full() bool      { return s.neg && len(s.vals) == 0 }
func (s strSet) equal(o constraint) bool {
	t, ok := o.(strSet)
	return ok && s.neg == t.neg && slices.Equal(s.vals, t.vals)
}

func (s strSet) write(b *strings.Builder, name string) {
	if strings.HasPrefix(name, "?") {
		atom := name[1:]
		if !s.neg {
			b.WriteString(atom)
			return
		}
		// The complement of an opaque comparison: its operator negated.
		// One without a negation (~=, ===) is written as no condition,
		// which admits more environments, never fewer.
		for _, op := range []string{" not in ", " in ", " == ", " != ", " <= ", " >= ", " < ", " > "} {
			if l, r, ok := strings.Cut(atom, op); ok {
				b.WriteString(l + " " + negatedOps[strings.TrimSpace(op)] + " " + r)
				return
			}
		}
		return
	}
	op, join := " == ", " or "
	if s.neg {
		op, join = " != ", " and "
	}
	for i, v := range s.vals {
		if i > 0 {
			b.WriteString(join)
		}
		b.WriteString(name + op)
		operand{text: v}.write(b)
	}
	if len(s.vals) > 1 && !s.neg {
		str := b.String()
		b.Reset()
		b.WriteString("(" + str + ")")
	}
}

// bound is one end of a version interval.
type bound struct {
	v    pep440.Version
	open bool // the interval does not include v
	inf  bool // unbounded on this side
}

type interval struct{ lo, hi bound }

// verSet is a union of disjoint version intervals, in order.
type verSet []interval

func (iv interval) empty() bool {
	if iv.lo.inf || iv.hi.inf {
		return false
	}
	c := iv.lo.v.Compare(iv.hi.v)
	return c > 0 || (c == 0 && (iv.lo.open || iv.hi.open))
}

// lowerLess orders lower bounds: a starts before b.
func lowerLess(a, b bound) bool {
	switch {
	case a.inf || b.inf:
		return a.inf && !b.inf
	}
	c := a.v.Compare(b.v)
	return c < 0 || (c == 0 && !a.open && b.open)
}

// upperLess orders upper bounds: a ends before b.
func upperLess(a, b bound) bool {
	switch {
	case a.inf || b.inf:
		return b.inf && !a.inf
	}
	c := a.v.Compare(b.v)
	return c < 0 || (c == 0 && a.open && !b.open)
}

func (s verSet) and(o constraint) constraint {
	t := o.(verSet)
	var out verSet
	for _, a := range s {
		for _, b := range t {
			iv := interval{lo: a.lo, hi: a.hi}
			if lowerLess(iv.lo, b.lo) {
				iv.lo = b.lo
			}
			if upperLess(b.hi, iv.hi) {
				iv.hi = b.hi
			}
			if !iv.empty() {
				out = append(out, iv)
			}
		}
	}
	return out.normal()
}

func (s verSet) or(t verSet) verSet { return append(slices.Clone(s), t...).normal() }

// normal sorts the intervals and merges those that overlap or touch.
func (s verSet) normal() verSet {
	if len(s) == 0 {
		return nil
	}
	s = slices.Clone(s)
	sort.SliceStable(s, func(i, j int) bool { return lowerLess(s[i].lo, s[j].lo) })
	out := verSet{s[0]}
	for _, iv := range s[1:] {
		last := &out[len(out)-1]
		if touches(last.hi, iv.lo) {
			if upperLess(last.hi, iv.hi) {
				last.hi = iv.hi
			}
			continue
		}
		out = append(out, iv)
	}
	return out
}

// touches reports whether an interval ending at hi and one starting at lo
// leave no gap between them.
func touches(hi, lo bound) bool {
	if hi.inf || lo.inf {
		return true
	}
	c := hi.v.Compare(lo.v)
	return c > 0 || (c == 0 && !(hi.open && lo.open))
}

func (s verSet) not() constraint {
	var out verSet
	lo := bound{inf: true}
	for _, iv := range s {
		if !iv.lo.inf {
			out = append(out, interval{lo: lo, hi: bound{v: iv.lo.v, open: !iv.lo.open}})
		}
		if iv.hi.inf {
			return out.normal()
		}
		lo = bound{v: iv.hi.v, open: !iv.hi.open}
	}
	return append(out, interval{lo: lo, hi: bound{inf: true}}).normal()
}

func (s verSet) empty() bool { return len(s) == 0 }
func (s verSet) full() bool  { return len(s) == 1 && s[0].lo.inf && s[0].hi.inf }
func (s verSet) equal(o constraint) bool {
	t, ok := o.(verSet)
	if !ok || len(s) != len(t) {
		return false
	}
	for i := range s {
		if !sameBound(s[i].lo, t[i].lo) || !sameBound(s[i].hi, t[i].hi) {
			return false
		}
	}
	return true
}

func sameBound(a, b bound) bool {
	return a.inf == b.inf && (a.inf || (a.open == b.open && a.v.Compare(b.v) == 0))
}

func (s verSet) write(b *strings.Builder, name string) {
	var ors []string
	for _, iv := range s {
		var ands []string
		switch {
		case name == "python_full_version" && minorAligned(iv.lo) && minorAligned(iv.hi):
			// A range of whole minor releases reads as python_version.
			if !iv.lo.inf {
				ands = append(ands, `python_version >= "`+minorText(iv.lo.v)+`"`)
			}
			if !iv.hi.inf {
				ands = append(ands, `python_version < "`+minorText(iv.hi.v)+`"`)
			}
		case !iv.lo.inf && !iv.hi.inf && iv.lo.v.Compare(iv.hi.v) == 0:
			ands = append(ands, name+` == "`+iv.lo.v.String()+`"`)
		default:
			if !iv.lo.inf {
				op := " >= "
				if iv.lo.open {
					op = " > "
				}
				ands = append(ands, name+op+`"`+iv.lo.v.String()+`"`)
			}
			if !iv.hi.inf {
				op := " <= "
				if iv.hi.open {
					op = " < "
				}
				ands = append(ands, name+op+`"`+iv.hi.v.String()+`"`)
			}
		}
		ors = append(ors, strings.Join(ands, " and "))
	}
	if len(ors) == 1 {
		b.WriteString(ors[0])
		return
	}
	for i, o := range ors {
		if strings.Contains(o, " and ") {
			ors[i] = "(" + o + ")"
		}
	}
	b.WriteString("(" + strings.Join(ors, " or ") + ")")
}

// minorAligned reports whether a bound falls where a minor release begins
// (X.Y.dev0, excluded above and included below), or is infinite.
func minorAligned(b bound) bool {
	v := b.v
	return b.inf || (len(v.Release) == 2 && v.Epoch == 0 && v.HasDev && v.Dev == 0 &&
		v.Pre == pep440.PreNone && !v.HasPost && v.Local == "")
}

func minorText(v pep440.Version) string {
	return strconv.Itoa(v.Release[0]) + "." + strconv.Itoa(v.Release[1])
}

// Contains reports whether the one environment env is in the set; opaque
// comparisons are evaluated on it as written.
func (s EnvSet) Contains(env Environment) bool {
	for _, b := range s.boxes {
		if b.holds(env) {
			return true
		}
	}
	return false
}

func (b box) holds(env Environment) bool {
	for k, c := range b {
		switch c := c.(type) {
		case strSet:
			if strings.HasPrefix(k, "?") {
				m, err := ParseMarker(k[1:])
				if err != nil || m.Evaluate(env, "") != c.has("1") {
					return false
				}
				continue
			}
			if !c.has(env[k]) {
				return false
			}
		case verSet:
			v, err := pep440.Parse(env[k])
			if err != nil || !c.holds(v) {
				return false
			}
		}
	}
	return true
}

func (s verSet) holds(v pep440.Version) bool {
	return !s.and(verSet{{lo: bound{v: v}, hi: bound{v: v}}}).empty()
}
