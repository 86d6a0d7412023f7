package pep440

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrInvalidSpecifier is wrapped by every error ParseSpecifier and
// ParseSpecifiers return.
var ErrInvalidSpecifier = errors.New("invalid PEP 440 version specifier")

// Specifier is one clause such as ">=1.0" or "==2.1.*".
type Specifier struct {
	// Op is one of ~= == != <= >= < > ===.
	Op string
	// Version is the text after the operator as written (trimmed), e.g.
	// "1.0.*"; for === it is the arbitrary string.
	Version string

	v        Version // Version parsed, without ".*"; zero for ===
	wildcard bool    // ==X.* or !=X.*
	hasLocal bool    // the version names a local label (== and != only)
	// bound is the precomputed edge some operators compare with: the
	// exclusive upper end for <, ~= and ==X.*, the inclusive lower end for
	// > when V has a post or dev segment.
	bound Version
}

// Specifiers is a comma-separated set of clauses, all of which must hold.
// The empty set matches every version.
type Specifiers []Specifier

// ParseSpecifier parses one clause with packaging's rules: == and != may
// use ".*" after a plain release or name a local label, ~= needs at least
// two release segments, the ordered operators take neither, and ===
// takes any text without whitespace.
func ParseSpecifier(s string) (Specifier, error) {
	sp, ok := parseSpecifier(s)
	if !ok {
		return Specifier{}, fmt.Errorf("%w: %q", ErrInvalidSpecifier, s)
	}
	return sp, nil
}

// ParseSpecifiers parses a comma-separated set; empty clauses are ignored
// (so "" is the empty set), as packaging's SpecifierSet does.
func ParseSpecifiers(s string) (Specifiers, error) {
	var out Specifiers
	for part := range strings.SplitSeq(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		sp, err := ParseSpecifier(part)
		if err != nil {
			return nil, err
		}
		out = append(out, sp)
	}
	return out, nil
}

// MustParseSpecifiers is ParseSpecifiers that panics.
func MustParseSpecifiers(s string) Specifiers {
	ss, err := ParseSpecifiers(s)
	if err != nil {
		panic(err)
	}
	return ss
}

func splitOp(s string) (op, rest string) {
	switch {
	case strings.HasPrefix(s, "==="):
		return "===", s[3:]
	case strings.HasPrefix(s, "~="), strings.HasPrefix(s, "=="), strings.HasPrefix(s, "!="),
		strings.HasPrefix(s, "<="), strings.HasPrefix(s, ">="):
		return s[:2], s[2:]
	case strings.HasPrefix(s, "<"), strings.HasPrefix(s, ">"):
		return s[:1], s[1:]
	}
	return "", s
}

func parseSpecifier(s string) (Specifier, bool) {
	s = trimSpace(s)
	op, rest := splitOp(s)
	if op == "" {
		return Specifier{}, false
	}
	rest = trimSpace(rest)
	sp := Specifier{Op: op, Version: rest}
	if op == "===" {
		// Any run of characters other than whitespace, ";" and ")".
		if strings.ContainsAny(rest, " \t\n\r\f\v;)") {
			return Specifier{}, false
		}
		return sp, true
	}
	text := rest
	if (op == "==" || op == "!=") && strings.HasSuffix(text, ".*") {
		text = text[:len(text)-2]
		sp.wildcard = true
	}
	// The version must be exactly a PEP 440 version, which excludes inner
	// whitespace Parse would trim.
	if text != trimSpace(text) || text == "" {
		return Specifier{}, false
	}
	var v Version
	if sp.wildcard {
		p := scanner{s: text}
		if lower(p.peek()) == 'v' {
			p.pos++
		}
		if !p.release(&v, true) || !p.done() {
			return Specifier{}, false
		}
	} else if !v.parse(text) {
		return Specifier{}, false
	}
	sp.v = v
	sp.hasLocal = v.Local != ""
	switch op {
	case "~=":
		if sp.hasLocal || len(v.Release) < 2 {
			return Specifier{}, false
		}
		sp.bound = nextPrefixDev0(v.Epoch, v.Release[:len(v.Release)-1])
	case "<", ">", "<=", ">=":
		if sp.hasLocal {
			return Specifier{}, false
		}
	}
	switch {
	case sp.wildcard:
		sp.bound = nextPrefixDev0(v.Epoch, v.Release)
	case op == "<":
		if v.IsPrerelease() {
			sp.bound = v
		} else {
			// <V excludes V's own pre-releases: the edge is V.dev0.
			sp.bound = v
			sp.bound.HasDev, sp.bound.Dev = true, 0
		}
	case op == ">" && v.HasDev:
		// Nothing lies strictly between V.devN and V.dev(N+1) but V's
		// local versions, which > excludes.
		sp.bound = v
		sp.bound.Dev = v.Dev + 1
	case op == ">" && v.HasPost:
		sp.bound = v
		sp.bound.Post, sp.bound.HasDev, sp.bound.Dev = v.Post+1, true, 0
	}
	return sp, true
}

// nextPrefixDev0 is the first version after every version starting with
// prefix: 1.2 gives 1.3.dev0.
func nextPrefixDev0(epoch int, prefix []int) Version {
	r := make([]int, len(prefix))
	copy(r, prefix)
	r[len(r)-1]++
	return Version{Epoch: epoch, Release: r, HasDev: true}
}

// String is the clause as written, operator first.
func (s Specifier) String() string { return s.Op + s.Version }

// HasPrerelease reports whether the clause names a pre-release in a way
// that opts in to pre-releases (packaging: every operator but != and
// ==X.*; for === only when its text is a pre-release version).
func (s Specifier) HasPrerelease() bool {
	switch {
	case s.Op == "!=", s.wildcard:
		return false
	case s.Op == "===":
		v, err := Parse(s.Version)
		return err == nil && v.IsPrerelease()
	}
	return s.v.IsPrerelease()
}

// Matches reports whether v satisfies the clause, with no pre-release
// policy applied.
func (s Specifier) Matches(v Version) bool {
	switch s.Op {
	case "===":
		return strings.EqualFold(v.Text(), s.Version)
	case "==":
		return s.equal(v)
	case "!=":
		return !s.equal(v)
	case "<=":
		return v.comparePublic(s.v) <= 0
	case ">=":
		return v.Compare(s.v) >= 0
	case "<":
		return v.Compare(s.bound) < 0
	case ">":
		if s.v.HasDev || s.v.HasPost {
			return v.Compare(s.bound) >= 0
		}
		// Strictly above V but not one of V's post-releases or local
		// versions (same epoch, release and pre-release as V).
		return v.Compare(s.v) > 0 && !(v.Epoch == s.v.Epoch &&
			compareRelease(v.Release, s.v.Release) == 0 &&
			v.Pre == s.v.Pre && v.PreN == s.v.PreN)
	case "~=":
		return v.Compare(s.v) >= 0 && v.Compare(s.bound) < 0
	}
	return false
}

func (s Specifier) equal(v Version) bool {
	switch {
	case s.wildcard:
		// Prefix match on epoch and zero-padded release; pre, post, dev
		// and local segments of v do not matter.
		if v.Epoch != s.v.Epoch {
			return false
		}
		for i, want := range s.v.Release {
			got := 0
			if i < len(v.Release) {
				got = v.Release[i]
			}
			if got != want {
				return false
			}
		}
		return true
	case s.hasLocal:
		return v.Compare(s.v) == 0
	default:
		return v.comparePublic(s.v) == 0
	}
}

// String joins the clauses with commas, sorted and without duplicates as
// packaging prints a SpecifierSet, so equal sets print alike.
func (ss Specifiers) String() string {
	if len(ss) == 0 {
		return ""
	}
	if len(ss) == 1 {
		return ss[0].String()
	}
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = s.String()
	}
	sort.Strings(parts)
	out := parts[:1]
	for _, p := range parts[1:] {
		if p != out[len(out)-1] {
			out = append(out, p)
		}
	}
	return strings.Join(out, ",")
}

// HasPrerelease reports whether any clause names a pre-release, which per
// PEP 440 opts the requirement in to pre-releases.
func (ss Specifiers) HasPrerelease() bool {
	for _, s := range ss {
		if s.HasPrerelease() {
			return true
		}
	}
	return false
}

// Matches reports whether v satisfies every clause, with no pre-release
// policy applied.
func (ss Specifiers) Matches(v Version) bool {
	for i := range ss {
		if !ss[i].Matches(v) {
			return false
		}
	}
	return true
}

// Contains reports whether v satisfies every clause. A pre-release is
// accepted only when prereleases is true or a clause names a pre-release
// (HasPrerelease); this is packaging's SpecifierSet.contains with
// prereleases=None (false here) or True.
func (ss Specifiers) Contains(v Version, prereleases bool) bool {
	if v.IsPrerelease() && !prereleases && !ss.HasPrerelease() {
		return false
	}
	return ss.Matches(v)
}

// Filter keeps the versions of vs that satisfy the set, in order. With
// prereleases nil it follows packaging's default: pre-releases are kept
// when a clause names one, or when no final release satisfies the set;
// true keeps them always and false never.
func (ss Specifiers) Filter(vs []Version, prereleases *bool) []Version {
	mode := 0 // 0: PEP 440 default, 1: keep, -1: drop
	switch {
	case prereleases != nil && *prereleases:
		mode = 1
	case prereleases != nil:
		mode = -1
	case ss.HasPrerelease():
		mode = 1
	}
	var out []Version
	foundFinal := false
	for _, v := range vs {
		if !ss.Matches(v) {
			continue
		}
		pre := v.IsPrerelease()
		if pre && mode == -1 {
			continue
		}
		if !pre {
			foundFinal = true
		}
		out = append(out, v)
	}
	if mode != 0 || !foundFinal {
		return out
	}
	finals := out[:0]
	for _, v := range out {
		if !v.IsPrerelease() {
			finals = append(finals, v)
		}
	}
	return finals
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// ScanSpecifier returns the length of the longest prefix of s that is one
// specifier clause in packaging's grammar (0 when none is), for parsers of
// PEP 508 requirements that must find where a clause ends. The prefix is
// not validated beyond that; pass it to ParseSpecifier.
func ScanSpecifier(s string) int {
	op, rest := splitOp(s)
	if op == "" {
		return 0
	}
	i := len(s) - len(rest)
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if op == "===" {
		for i < len(s) && !isSpace(s[i]) && s[i] != ';' && s[i] != ')' {
			i++
		}
		return i
	}
	p := scanner{s: s, pos: i}
	if lower(p.peek()) == 'v' {
		p.pos++
	}
	var v Version
	if !p.release(&v, true) {
		return 0
	}
	if op == "~=" && len(v.Release) < 2 {
		return 0
	}
	if (op == "==" || op == "!=") && strings.HasPrefix(s[p.pos:], ".*") {
		return p.pos + 2
	}
	p.suffixes(&v)
	if (op == "==" || op == "!=") && p.peek() == '+' {
		save := p.pos
		p.pos++
		if _, ok := p.local(); !ok {
			p.pos = save
		}
	}
	return p.pos
}

// MarshalText writes String(), so a Specifiers in a JSON struct is a
// string.
func (ss Specifiers) MarshalText() ([]byte, error) { return []byte(ss.String()), nil }

// UnmarshalText parses a comma-separated set.
func (ss *Specifiers) UnmarshalText(b []byte) error {
	x, err := ParseSpecifiers(string(b))
	if err != nil {
		return err
	}
	*ss = x
	return nil
}
