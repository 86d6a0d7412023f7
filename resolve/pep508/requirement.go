package pep508

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/machnix/machnix/resolve/pep440"
)

// ErrInvalidRequirement is wrapped by every error ParseRequirement returns.
var ErrInvalidRequirement = errors.New("invalid requirement")

// Requirement is a parsed PEP 508 dependency specifier.
type Requirement struct {
	// Name is the project name as written; Normalized gives the PEP 503
	// form.
	Name string `json:"name"`
	// Extras are PEP 685 normalised, sorted and without duplicates.
	Extras     []string          `json:"extras,omitempty"`
	Specifiers pep440.Specifiers `json:"specifiers,omitempty"`
	// URL is the direct reference after "@", or "".
	URL    string  `json:"url,omitempty"`
	Marker *Marker `json:"marker,omitempty"`
}

// Normalized is the PEP 503 form of the name.
func (r Requirement) Normalized() string { return NormalizeName(r.Name) }

// ParseRequirement parses one dependency specifier with packaging's
// grammar: `name [extras] (specifiers | @ URL) ; marker`, the
// specifiers optionally in parentheses, spaces and tabs allowed between
// parts. A URL must be followed by whitespace before its "; marker".
func ParseRequirement(s string) (Requirement, error) {
	r, err := parseRequirement(s)
	if err != nil {
		return Requirement{}, fmt.Errorf("%w: %w", ErrInvalidRequirement, err)
	}
	return r, nil
}

// MustParseRequirement is ParseRequirement that panics.
func MustParseRequirement(s string) Requirement {
	r, err := ParseRequirement(s)
	if err != nil {
		panic(err)
	}
	return r
}

func parseRequirement(s string) (Requirement, error) {
	p := &parser{s: s}
	var r Requirement
	p.ws()
	name, ok := p.identifier()
	if !ok {
		return r, p.fail("expected a package name at the start of the requirement")
	}
	r.Name = name
	p.ws()
	extras, err := p.extras()
	if err != nil {
		return r, err
	}
	r.Extras = extras
	p.ws()
	if p.peek() == '@' {
		p.pos++
		p.ws()
		start := p.pos
		for p.pos < len(p.s) && p.s[p.pos] != ' ' && p.s[p.pos] != '\t' {
			p.pos++
		}
		if p.pos == start {
			return r, p.fail("expected a URL after @")
		}
		r.URL = p.s[start:p.pos]
		if p.end() {
			return r, nil
		}
		p.ws()
		if p.end() {
			return r, nil
		}
		if p.peek() != ';' {
			return r, p.fail("expected \";\" before the marker (after the URL and whitespace)")
		}
	} else {
		spec, err := p.specifiers()
		if err != nil {
			return r, err
		}
		ss, err := pep440.ParseSpecifiers(spec)
		if err != nil {
			return r, p.fail(err.Error())
		}
		r.Specifiers = ss
		p.ws()
		if p.end() {
			return r, nil
		}
		if p.peek() != ';' {
			if spec != "" {
				return r, p.fail("expected \",\" (between version specifiers), \";\" (before a marker) or the end")
			}
			return r, p.fail("expected a version specifier, \";\" (before a marker) or the end")
		}
	}
	p.pos++ // ';'
	m, err := p.marker()
	if err != nil {
		return r, err
	}
	p.ws()
	if !p.end() {
		return r, p.fail("expected \"and\", \"or\" or the end of the marker")
	}
	r.Marker = &Marker{root: m}
	return r, nil
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// identifier reads a name: it starts and ends with a letter or digit and
// may hold ".", "_" and "-" inside.
func (p *parser) identifier() (string, bool) {
	start := p.pos
	if !isAlnum(p.peek()) {
		return "", false
	}
	end := p.pos
	for i := p.pos; i < len(p.s); i++ {
		c := p.s[i]
		if isAlnum(c) {
			end = i + 1
		} else if c != '.' && c != '_' && c != '-' {
			break
		}
	}
	if end < len(p.s) && p.s[end] >= 0x80 {
		return "", false
	}
	p.pos = end
	return p.s[start:end], true
}

func (p *parser) extras() ([]string, error) {
	if p.peek() != '[' {
		return nil, nil
	}
	open := p.pos
	p.pos++
	p.ws()
	var out []string
	if name, ok := p.identifier(); ok {
		out = append(out, NormalizeExtra(name))
		for {
			p.ws()
			if _, ok := p.peekIdentifier(); ok {
				return nil, p.fail("expected a comma between extra names")
			}
			if p.peek() != ',' {
				break
			}
			p.pos++
			p.ws()
			name, ok := p.identifier()
			if !ok {
				return nil, p.fail("expected an extra name after the comma")
			}
			out = append(out, NormalizeExtra(name))
		}
	}
	p.ws()
	if p.peek() != ']' {
		return nil, p.failf("expected \"]\" to close the \"[\" at column %d", open+1)
	}
	p.pos++
	slices.Sort(out)
	return slices.Compact(out), nil
}

func (p *parser) peekIdentifier() (string, bool) {
	save := p.pos
	s, ok := p.identifier()
	p.pos = save
	return s, ok
}

// specifiers reads the version clauses, optionally in parentheses, and
// returns them joined by commas.
func (p *parser) specifiers() (string, error) {
	paren := p.peek() == '('
	open := p.pos
	if paren {
		p.pos++
		p.ws()
	}
	var parts []string
	for {
		n := pep440.ScanSpecifier(p.s[p.pos:])
		if n == 0 {
			break
		}
		start := p.pos
		p.pos += n
		clause := p.s[start:p.pos]
		if strings.HasPrefix(p.s[p.pos:], ".*") {
			if strings.HasPrefix(clause, "==") || strings.HasPrefix(clause, "!=") {
				return "", p.fail(".* cannot follow a pre-release, post-release, dev or local version")
			}
			return "", p.fail(".* can only be used with == or !=")
		}
		if p.peek() == '+' {
			return "", p.fail("a local version label can only be used with == or !=")
		}
		parts = append(parts, clause)
		p.ws()
		if p.peek() != ',' {
			break
		}
		p.pos++
		p.ws()
	}
	if paren {
		p.ws()
		if p.peek() != ')' {
			return "", p.failf("expected \")\" to close the \"(\" at column %d", open+1)
		}
		p.pos++
	}
	return strings.Join(parts, ","), nil
}

// String prints the requirement in packaging's form:
// name[extras]specifiers, or name[extras] @ URL, then "; marker".
func (r Requirement) String() string {
	var b strings.Builder
	b.WriteString(r.Name)
	if len(r.Extras) > 0 {
		b.WriteByte('[')
		b.WriteString(strings.Join(r.Extras, ","))
		b.WriteByte(']')
	}
	b.WriteString(r.Specifiers.String())
	if r.URL != "" {
		b.WriteString(" @ ")
		b.WriteString(r.URL)
		if r.Marker != nil {
			b.WriteByte(' ')
		}
	}
	if r.Marker != nil {
		b.WriteString("; ")
		b.WriteString(r.Marker.String())
	}
	return b.String()
}
