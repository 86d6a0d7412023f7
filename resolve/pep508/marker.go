package pep508

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/machnix/machnix/resolve/pep440"
)

// ErrInvalidMarker is wrapped by every error ParseMarker returns.
var ErrInvalidMarker = errors.New("invalid environment marker")

// SyntaxError says where a requirement or marker stops making sense.
type SyntaxError struct {
	Input string
	Pos   int // byte offset into Input
	Msg   string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s at column %d of %q", e.Msg, e.Pos+1, e.Input)
}

// Marker is a parsed PEP 508 environment marker such as
// `python_version >= "3.8" and extra == "test"`.
type Marker struct {
	root *expr
}

// expr is a flat sequence atom (op atom)*, with "and" binding tighter
// than "or" when evaluated.
type expr struct {
	atoms []atom
	ors   []bool // ors[i] joins atoms[i] and atoms[i+1]: true for "or"
}

type atom struct {
	sub *expr       // a parenthesised expression, or
	cmp *comparison // one comparison
}

type comparison struct {
	lhs, rhs operand
	op       string // == != <= >= < > ~= === in "not in"

	// spec is op+rhs parsed once, when the left side is a version
	// variable and the right a literal that forms a valid specifier.
	spec *pep440.Specifier
}

type operand struct {
	isVar bool
	text  string // the variable's canonical name, or the literal value
}

// variables maps every accepted spelling to its canonical name. The
// dotted and python_implementation forms are PEP 345 / setuptools legacy
// that packaging still accepts.
var variables = map[string]string{
	"python_version":                 "python_version",
	"python_full_version":            "python_full_version",
	"os_name":                        "os_name",
	"os.name":                        "os_name",
	"sys_platform":                   "sys_platform",
	"sys.platform":                   "sys_platform",
	"platform_release":               "platform_release",
	"platform_system":                "platform_system",
	"platform_version":               "platform_version",
	"platform.version":               "platform_version",
	"platform_machine":               "platform_machine",
	"platform.machine":               "platform_machine",
	"platform_python_implementation": "platform_python_implementation",
	"platform.python_implementation": "platform_python_implementation",
	"python_implementation":          "platform_python_implementation",
	"implementation_name":            "implementation_name",
	"implementation_version":         "implementation_version",
	"extra":                          "extra",
	"extras":                         "extras",
	"dependency_groups":              "dependency_groups",
}

// versionVariables are compared as PEP 440 versions when both sides parse.
var versionVariables = map[string]bool{
	"python_version": true, "python_full_version": true,
	"implementation_version": true, "platform_release": true,
}

// ParseMarker parses a complete marker expression.
func ParseMarker(s string) (*Marker, error) {
	p := &parser{s: s}
	e, err := p.marker()
	if err == nil {
		p.ws()
		if !p.end() {
			err = p.fail("expected \"and\", \"or\" or the end of the marker")
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidMarker, err)
	}
	return &Marker{root: e}, nil
}

// Check reports a comparison that no environment can evaluate, which
// packaging raises as UndefinedComparison whenever the marker is evaluated:
// ~= with a literal that is no version (on the left) or forms no ~=
// specifier (on the right). Parsing accepts such markers, as packaging's
// parser does; input a user wrote is checked with Check as well, so that
// the requirement is an error rather than one that silently never applies.
func (m *Marker) Check() error {
	if m == nil || m.root == nil {
		return nil
	}
	return m.root.check()
}

func (x *expr) check() error {
	for _, a := range x.atoms {
		var err error
		if a.sub != nil {
			err = a.sub.check()
		} else {
			err = a.cmp.check()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *comparison) check() error {
	if c.op != "~=" {
		return nil
	}
	if !c.rhs.isVar {
		if _, err := pep440.ParseSpecifier(c.op + c.rhs.text); err != nil {
			return fmt.Errorf("%w: ~= compares versions, and %q is not a version it accepts (at least two parts, such as \"3.8\")", ErrInvalidMarker, c.rhs.text)
		}
	}
	if !c.lhs.isVar {
		if _, err := pep440.Parse(c.lhs.text); err != nil {
			return fmt.Errorf("%w: ~= compares versions, and %q is not a version", ErrInvalidMarker, c.lhs.text)
		}
	}
	return nil
}

// MustParseMarker is ParseMarker that panics.
func MustParseMarker(s string) *Marker {
	m, err := ParseMarker(s)
	if err != nil {
		panic(err)
	}
	return m
}

// parser reads requirements and markers with the same tokens as
// packaging's hand-written parser.
type parser struct {
	s   string
	pos int
}

func (p *parser) end() bool { return p.pos >= len(p.s) }

func (p *parser) peek() byte {
	if p.pos < len(p.s) {
		return p.s[p.pos]
	}
	return 0
}

func (p *parser) fail(msg string) error {
	return &SyntaxError{Input: p.s, Pos: p.pos, Msg: msg}
}

// ws skips spaces and tabs; other whitespace (a line break) is an error
// wherever it appears, as in packaging.
func (p *parser) ws() bool {
	start := p.pos
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t') {
		p.pos++
	}
	return p.pos > start
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c >= 0x80
}

// keyword consumes w when it stands as a whole word.
func (p *parser) keyword(w string) bool {
	if !strings.HasPrefix(p.s[p.pos:], w) {
		return false
	}
	if p.pos > 0 && isWordByte(p.s[p.pos-1]) {
		return false
	}
	if n := p.pos + len(w); n < len(p.s) && isWordByte(p.s[n]) {
		return false
	}
	p.pos += len(w)
	return true
}

func (p *parser) marker() (*expr, error) {
	e := &expr{}
	for {
		a, err := p.atom()
		if err != nil {
			return nil, err
		}
		e.atoms = append(e.atoms, a)
		switch {
		case p.keyword("or"):
			e.ors = append(e.ors, true)
		case p.keyword("and"):
			e.ors = append(e.ors, false)
		default:
			return e, nil
		}
	}
}

func (p *parser) atom() (atom, error) {
	p.ws()
	if p.peek() == '(' {
		open := p.pos
		p.pos++
		p.ws()
		sub, err := p.marker()
		if err != nil {
			return atom{}, err
		}
		p.ws()
		if p.peek() != ')' {
			return atom{}, p.failf("expected \")\" to close the \"(\" at column %d", open+1)
		}
		p.pos++
		p.ws()
		return atom{sub: sub}, nil
	}
	c, err := p.comparison()
	if err != nil {
		return atom{}, err
	}
	p.ws()
	return atom{cmp: c}, nil
}

func (p *parser) failf(format string, args ...any) error {
	return p.fail(fmt.Sprintf(format, args...))
}

func (p *parser) comparison() (*comparison, error) {
	lhs, err := p.operand()
	if err != nil {
		return nil, err
	}
	p.ws()
	op, err := p.operator()
	if err != nil {
		return nil, err
	}
	p.ws()
	rhs, err := p.operand()
	if err != nil {
		return nil, err
	}
	c := &comparison{lhs: lhs, rhs: rhs, op: op}
	normalizeExtraLiterals(c)
	if lhs.isVar && versionVariables[lhs.text] && !rhs.isVar {
		if sp, err := pep440.ParseSpecifier(op + rhs.text); err == nil {
			c.spec = &sp
		}
	}
	return c, nil
}

// normalizeExtraLiterals applies PEP 685 to the literal compared with the
// extra variable, and to the literal tested for membership in the extras
// and dependency_groups sets, so that printing and evaluation agree.
func normalizeExtraLiterals(c *comparison) {
	switch {
	case c.lhs.isVar && c.lhs.text == "extra" && !c.rhs.isVar:
		c.rhs.text = NormalizeExtra(c.rhs.text)
	case c.rhs.isVar && c.rhs.text == "extra" && !c.lhs.isVar:
		c.lhs.text = NormalizeExtra(c.lhs.text)
	case c.rhs.isVar && (c.rhs.text == "extras" || c.rhs.text == "dependency_groups") && !c.lhs.isVar:
		c.lhs.text = NormalizeExtra(c.lhs.text)
	}
}

func (p *parser) operand() (operand, error) {
	switch c := p.peek(); {
	case c == '"' || c == '\'':
		end := strings.IndexByte(p.s[p.pos+1:], c)
		if end < 0 {
			return operand{}, p.fail("unterminated quoted string")
		}
		v := p.s[p.pos+1 : p.pos+1+end]
		p.pos += end + 2
		return operand{text: v}, nil
	case isWordByte(c) && (p.pos == 0 || !isWordByte(p.s[p.pos-1])):
		start := p.pos
		for p.pos < len(p.s) && (isWordByte(p.s[p.pos]) || p.s[p.pos] == '.') {
			p.pos++
		}
		if name, ok := variables[p.s[start:p.pos]]; ok {
			return operand{isVar: true, text: name}, nil
		}
		p.pos = start
	}
	return operand{}, p.fail("expected a marker variable (such as python_version) or a quoted string")
}

// markerOps lists the comparison operators longest first.
var markerOps = []string{"===", "==", "~=", "!=", "<=", ">=", "<", ">"}

func (p *parser) operator() (string, error) {
	if p.keyword("in") {
		return "in", nil
	}
	if p.keyword("not") {
		if !p.ws() || !p.keyword("in") {
			return "", p.fail("expected \"in\" after \"not\" and whitespace")
		}
		return "not in", nil
	}
	for _, op := range markerOps {
		if strings.HasPrefix(p.s[p.pos:], op) {
			p.pos += len(op)
			return op, nil
		}
	}
	return "", p.fail("expected a marker operator: one of <=, <, !=, ==, >=, >, ~=, ===, in, not in")
}

// Environment holds the marker variables of one target, keyed by their
// canonical names (python_version, sys_platform, ...). A missing key
// evaluates as the empty string.
type Environment map[string]string

// Evaluate reports whether the marker holds in env while installing the
// given extra ("" when no extra is being installed). The extra is
// compared in its PEP 685 normal form.
func (m *Marker) Evaluate(env Environment, extra string) bool {
	if m == nil || m.root == nil {
		return true
	}
	e := evalEnv{env: env, extra: NormalizeExtra(extra)}
	if extra != "" {
		e.extras = []string{e.extra}
	}
	return e.eval(m.root)
}

// EvaluateExtras reports whether the marker holds when the given extras
// are requested together: for the extra variable, when it holds for at
// least one of them (or for none requested, when the list is empty); the
// PEP 751 extras variable sees the whole set.
func (m *Marker) EvaluateExtras(env Environment, extras []string) bool {
	if m == nil || m.root == nil {
		return true
	}
	norm := make([]string, len(extras))
	for i, x := range extras {
		norm[i] = NormalizeExtra(x)
	}
	if len(norm) == 0 {
		return evalEnv{env: env}.eval(m.root)
	}
	for _, x := range norm {
		if (evalEnv{env: env, extra: x, extras: norm}).eval(m.root) {
			return true
		}
	}
	return false
}

// UsesExtra reports whether the marker mentions the extra or extras
// variable, i.e. whether it can only hold for some requested extras.
func (m *Marker) UsesExtra() bool {
	if m == nil || m.root == nil {
		return false
	}
	return m.root.uses("extra") || m.root.uses("extras")
}

func (e *expr) uses(name string) bool {
	for _, a := range e.atoms {
		if a.sub != nil && a.sub.uses(name) {
			return true
		}
		if c := a.cmp; c != nil && (c.lhs.isVar && c.lhs.text == name || c.rhs.isVar && c.rhs.text == name) {
			return true
		}
	}
	return false
}

type evalEnv struct {
	env    Environment
	extra  string
	extras []string
}

func (e evalEnv) eval(x *expr) bool {
	// Any group of and-joined atoms being true makes the whole true.
	group := true
	for i, a := range x.atoms {
		if group {
			var v bool
			if a.sub != nil {
				v = e.eval(a.sub)
			} else {
				v = e.compare(a.cmp)
			}
			group = group && v
		}
		if i == len(x.ors) || x.ors[i] {
			if group {
				return true
			}
			group = true
		}
	}
	return false
}

func (e evalEnv) lookup(o operand) (string, []string, bool) {
	if !o.isVar {
		return o.text, nil, false
	}
	switch o.text {
	case "extra":
		return e.extra, nil, false
	case "extras":
		return "", e.extras, true
	case "dependency_groups":
		return "", nil, true
	}
	return e.env[o.text], nil, false
}

func (e evalEnv) compare(c *comparison) bool {
	key := ""
	switch {
	case c.lhs.isVar:
		key = c.lhs.text
	case c.rhs.isVar:
		key = c.rhs.text
	}
	lhs, _, lset := e.lookup(c.lhs)
	rhs, rset, isSet := e.lookup(c.rhs)
	if lset {
		// A set-valued variable only works as the right side of in.
		return false
	}
	if isSet {
		in := slices.Contains(rset, NormalizeExtra(lhs))
		switch c.op {
		case "in":
			return in
		case "not in":
			return !in
		}
		return false
	}
	if key == "extra" {
		lhs, rhs = NormalizeExtra(lhs), NormalizeExtra(rhs)
	}
	if versionVariables[key] && c.op != "in" && c.op != "not in" {
		sp, err := pep440.Specifier{}, error(nil)
		if c.spec != nil {
			sp = *c.spec
		} else {
			sp, err = pep440.ParseSpecifier(c.op + rhs)
		}
		if err == nil {
			if v, err := pep440.Parse(lhs); err == nil {
				return sp.Matches(v)
			}
		}
	}
	switch c.op {
	case "in":
		return strings.Contains(rhs, lhs)
	case "not in":
		return !strings.Contains(rhs, lhs)
	case "==", "===":
		return lhs == rhs
	case "!=":
		return lhs != rhs
	case "<":
		return lhs < rhs
	case "<=":
		return lhs <= rhs
	case ">":
		return lhs > rhs
	case ">=":
		return lhs >= rhs
	}
	// ~= has no meaning for strings.
	return false
}

// String prints the marker in packaging's normal form: values in double
// quotes (single when they contain one), one space around operators, and
// parentheses only around nested groups of more than one atom.
func (m *Marker) String() string {
	if m == nil || m.root == nil {
		return ""
	}
	var b strings.Builder
	m.root.write(&b, true)
	return b.String()
}

func (e *expr) write(b *strings.Builder, top bool) {
	if len(e.atoms) == 1 {
		a := e.atoms[0]
		if a.sub != nil {
			a.sub.write(b, top)
		} else {
			a.cmp.write(b)
		}
		return
	}
	if !top {
		b.WriteByte('(')
	}
	for i, a := range e.atoms {
		if i > 0 {
			if e.ors[i-1] {
				b.WriteString(" or ")
			} else {
				b.WriteString(" and ")
			}
		}
		if a.sub != nil {
			a.sub.write(b, false)
		} else {
			a.cmp.write(b)
		}
	}
	if !top {
		b.WriteByte(')')
	}
}

func (c *comparison) write(b *strings.Builder) {
	c.lhs.write(b)
	b.WriteByte(' ')
	b.WriteString(c.op)
	b.WriteByte(' ')
	c.rhs.write(b)
}

func (o operand) write(b *strings.Builder) {
	switch {
	case o.isVar:
		b.WriteString(o.text)
	case strings.Contains(o.text, `"`):
		b.WriteString("'" + o.text + "'")
	default:
		b.WriteString(`"` + o.text + `"`)
	}
}

// MarshalText writes the normal form, so a *Marker in a JSON struct is a
// string.
func (m *Marker) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText parses a marker.
func (m *Marker) UnmarshalText(b []byte) error {
	x, err := ParseMarker(string(b))
	if err != nil {
		return err
	}
	*m = *x
	return nil
}
