package pep440

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrInvalidVersion is wrapped by every error Parse returns.
var ErrInvalidVersion = errors.New("invalid PEP 440 version")

// maxNumber bounds every numeric component. pypa/packaging accepts
// arbitrarily large integers; real versions never come near this, and a
// bound keeps comparisons on machine words.
const maxNumber = 1<<62 - 1

// PreKind is the kind of a pre-release, in its normalised spelling.
type PreKind uint8

const (
	PreNone  PreKind = iota
	PreAlpha         // a, alpha
	PreBeta          // b, beta
	PreRC            // rc, c, pre, preview
)

func (k PreKind) String() string {
	switch k {
	case PreAlpha:
		return "a"
	case PreBeta:
		return "b"
	case PreRC:
		return "rc"
	}
	return ""
}

// Version is a parsed PEP 440 version. The zero value is not a valid
// version; use Parse. Two versions are equal when Compare says so, which
// is not the same as == on the struct (1.0 equals 1.0.0); Key gives a
// string that is equal exactly when the versions are.
type Version struct {
	Epoch   int
	Release []int
	Pre     PreKind // PreNone when there is no pre-release segment
	PreN    int
	HasPost bool
	Post    int
	HasDev  bool
	Dev     int
	// Local is the normalised local label without the "+" (lower case,
	// "." separated, numeric segments without leading zeros); "" when
	// there is none.
	Local string

	// text is the input Parse read, trimmed; === compares against it, as
	// packaging compares the candidate's own string.
	text string
}

// MustParse is Parse that panics; for constants in code and tests.
func MustParse(s string) Version {
	v, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return v
}

// Parse reads a version in any spelling PEP 440 accepts: surrounding
// whitespace, a leading "v", any letter case, the alternative pre-release
// names (alpha, beta, c, pre, preview), implicit numbers ("1.0a" is
// 1.0a0), the "-N" post-release form, and "-", "_" or "." as separators.
func Parse(s string) (Version, error) {
	var v Version
	if !v.parse(s) {
		return Version{}, fmt.Errorf("%w: %q", ErrInvalidVersion, s)
	}
	return v, nil
}

// scanner walks a version string; every method either consumes what it
// matched or leaves pos where it was, which gives the same results as
// packaging's regular expression because every later part is optional.
type scanner struct {
	s   string
	pos int
}

func (p *scanner) done() bool { return p.pos >= len(p.s) }

func (p *scanner) peek() byte {
	if p.pos < len(p.s) {
		return p.s[p.pos]
	}
	return 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isSep(c byte) bool   { return c == '-' || c == '_' || c == '.' }

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// number consumes one run of digits. ok is false when there is none or it
// is too large.
func (p *scanner) number() (n int, ok bool) {
	start := p.pos
	for p.pos < len(p.s) && isDigit(p.s[p.pos]) {
		d := int(p.s[p.pos] - '0')
		if n > (maxNumber-d)/10 {
			p.pos = start
			return 0, false
		}
		n = n*10 + d
		p.pos++
	}
	return n, p.pos > start
}

// word consumes w case-insensitively.
func (p *scanner) word(w string) bool {
	if len(p.s)-p.pos < len(w) {
		return false
	}
	for i := 0; i < len(w); i++ {
		if lower(p.s[p.pos+i]) != w[i] {
			return false
		}
	}
	p.pos += len(w)
	return true
}

// preLabels are tried in this order so that the longer spelling wins,
// as in packaging's alternation.
var preLabels = [...]struct {
	word string
	kind PreKind
}{
	{"alpha", PreAlpha}, {"a", PreAlpha}, {"beta", PreBeta}, {"b", PreBeta},
	{"preview", PreRC}, {"pre", PreRC}, {"c", PreRC}, {"rc", PreRC},
}

func trimSpace(s string) string { return strings.TrimSpace(s) }

func (v *Version) parse(s string) bool {
	p := scanner{s: trimSpace(s)}
	if p.done() {
		return false
	}
	v.text = p.s
	if c := lower(p.peek()); c == 'v' {
		p.pos++
	}
	if !p.release(v, true) {
		return false
	}
	p.suffixes(v)
	if p.peek() == '+' {
		p.pos++
		local, ok := p.local()
		if !ok {
			return false
		}
		v.Local = local
	}
	return p.done()
}

// release reads [N!]N(.N)*. With epochOK false an epoch is not tried.
func (p *scanner) release(v *Version, epochOK bool) bool {
	start := p.pos
	n, ok := p.number()
	if !ok {
		return false
	}
	if epochOK && p.peek() == '!' {
		p.pos++
		v.Epoch = n
		if n, ok = p.number(); !ok {
			p.pos = start
			return false
		}
	}
	rel := make([]int, 1, 4)
	rel[0] = n
	for p.peek() == '.' && p.pos+1 < len(p.s) && isDigit(p.s[p.pos+1]) {
		p.pos++
		n, ok := p.number()
		if !ok {
			return false
		}
		rel = append(rel, n)
	}
	v.Release = rel
	return true
}

// suffixes reads the optional pre, post and dev segments.
func (p *scanner) suffixes(v *Version) {
	// pre: [-_.]? label [-_.]? N?
	start := p.pos
	if isSep(p.peek()) {
		p.pos++
	}
	matched := false
	for _, l := range preLabels {
		if p.word(l.word) {
			v.Pre, matched = l.kind, true
			break
		}
	}
	if matched {
		p.optionalNumber(&v.PreN)
	} else {
		p.pos = start
	}

	// post: -N | [-_.]? (post|rev|r) [-_.]? N?
	start = p.pos
	if p.peek() == '-' && p.pos+1 < len(p.s) && isDigit(p.s[p.pos+1]) {
		p.pos++
		if n, ok := p.number(); ok {
			v.HasPost, v.Post = true, n
		} else {
			p.pos = start
		}
	} else {
		if isSep(p.peek()) {
			p.pos++
		}
		if p.word("post") || p.word("rev") || p.word("r") {
			v.HasPost = true
			p.optionalNumber(&v.Post)
		} else {
			p.pos = start
		}
	}

	// dev: [-_.]? dev [-_.]? N?
	start = p.pos
	if isSep(p.peek()) {
		p.pos++
	}
	if p.word("dev") {
		v.HasDev = true
		p.optionalNumber(&v.Dev)
	} else {
		p.pos = start
	}
}

// optionalNumber reads [-_.]? N? into *dst (0 when absent). A separator
// with no number after it is still consumed, as packaging's pattern does
// ("1.0a." is 1.0a0).
func (p *scanner) optionalNumber(dst *int) {
	if isSep(p.peek()) {
		p.pos++
	}
	if isDigit(p.peek()) {
		start := p.pos
		n, ok := p.number()
		if !ok {
			// Too large: leave the digits so the caller fails on them.
			p.pos = start
			return
		}
		*dst = n
	}
}

// local reads [a-z0-9]+([-_.][a-z0-9]+)* and returns its normalised form.
func (p *scanner) local() (string, bool) {
	var b strings.Builder
	for {
		start := p.pos
		for p.pos < len(p.s) && isLocalChar(p.s[p.pos]) {
			p.pos++
		}
		if p.pos == start {
			return "", false
		}
		seg := p.s[start:p.pos]
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		if allDigits(seg) {
			seg = strings.TrimLeft(seg, "0")
			if seg == "" {
				seg = "0"
			}
			b.WriteString(seg)
		} else {
			for i := 0; i < len(seg); i++ {
				b.WriteByte(lower(seg[i]))
			}
		}
		if !isSep(p.peek()) {
			return b.String(), true
		}
		p.pos++
	}
}

func isLocalChar(c byte) bool {
	c = lower(c)
	return isDigit(c) || (c >= 'a' && c <= 'z')
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return len(s) > 0
}

// String returns the normalised form: "1!2.0rc1.post3.dev4+ubuntu.1".
// Trailing zeros in the release are kept (1.0 stays 1.0); use Key for a
// form equal exactly when the versions compare equal.
func (v Version) String() string {
	var b strings.Builder
	b.Grow(16)
	v.write(&b, len(v.Release))
	return b.String()
}

// Key is the normalised form with trailing zero release segments removed
// (1.0.0 and 1 both give "1"), for use as a map key.
func (v Version) Key() string {
	var b strings.Builder
	b.Grow(16)
	v.write(&b, trimmedLen(v.Release))
	return b.String()
}

func (v Version) write(b *strings.Builder, n int) {
	if v.Epoch != 0 {
		b.WriteString(strconv.Itoa(v.Epoch))
		b.WriteByte('!')
	}
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strconv.Itoa(v.Release[i]))
	}
	if v.Pre != PreNone {
		b.WriteString(v.Pre.String())
		b.WriteString(strconv.Itoa(v.PreN))
	}
	if v.HasPost {
		b.WriteString(".post")
		b.WriteString(strconv.Itoa(v.Post))
	}
	if v.HasDev {
		b.WriteString(".dev")
		b.WriteString(strconv.Itoa(v.Dev))
	}
	if v.Local != "" {
		b.WriteByte('+')
		b.WriteString(v.Local)
	}
}

// IsPrerelease reports a pre-release or development release (1.0a1,
// 1.0.dev0, 1.0.post1.dev0).
func (v Version) IsPrerelease() bool { return v.Pre != PreNone || v.HasDev }

// IsPostrelease reports a post-release segment.
func (v Version) IsPostrelease() bool { return v.HasPost }

// IsDevrelease reports a development release segment.
func (v Version) IsDevrelease() bool { return v.HasDev }

// Public is the version without its local label.
func (v Version) Public() Version {
	v.Local, v.text = "", ""
	return v
}

// Base is the epoch and release only (1!2.0rc1.post1+x gives 1!2.0).
func (v Version) Base() Version {
	return Version{Epoch: v.Epoch, Release: v.Release}
}

// IsZero reports the zero Version, which Parse never returns.
func (v Version) IsZero() bool { return len(v.Release) == 0 }

func trimmedLen(r []int) int {
	n := len(r)
	for n > 1 && r[n-1] == 0 {
		n--
	}
	return n
}

// Text is the version as it was written (trimmed), or the normalised
// form for a version that did not come from Parse.
func (v Version) Text() string {
	if v.text != "" {
		return v.text
	}
	return v.String()
}

// Equal reports Compare(w) == 0.
func (v Version) Equal(w Version) bool { return v.Compare(w) == 0 }

// Less reports Compare(w) < 0.
func (v Version) Less(w Version) bool { return v.Compare(w) < 0 }

// Compare orders versions as PEP 440 does: by epoch, release (trailing
// zeros ignored), then dev-only releases before pre-releases before the
// final release, then post-releases, dev segments within each, and local
// labels last (a version without one sorts first). It returns -1, 0 or 1.
func (v Version) Compare(w Version) int {
	if c := v.comparePublic(w); c != 0 {
		return c
	}
	return compareLocal(v.Local, w.Local)
}

// comparePublic is Compare ignoring local labels.
func (v Version) comparePublic(w Version) int {
	if c := cmpInt(v.Epoch, w.Epoch); c != 0 {
		return c
	}
	if c := compareRelease(v.Release, w.Release); c != 0 {
		return c
	}
	return v.compareSuffix(w)
}

// compareSuffix compares the pre, post and dev segments.
func (v Version) compareSuffix(w Version) int {
	if c := cmpInt(v.preRank(), w.preRank()); c != 0 {
		return c
	}
	if v.Pre != PreNone {
		if c := cmpInt(int(v.Pre), int(w.Pre)); c != 0 {
			return c
		}
		if c := cmpInt(v.PreN, w.PreN); c != 0 {
			return c
		}
	}
	// No post-release sorts before any post-release.
	if c := cmpBool(v.HasPost, w.HasPost); c != 0 {
		return c
	}
	if v.HasPost {
		if c := cmpInt(v.Post, w.Post); c != 0 {
			return c
		}
	}
	// No dev segment sorts after any dev segment.
	if c := cmpBool(w.HasDev, v.HasDev); c != 0 {
		return c
	}
	if v.HasDev {
		return cmpInt(v.Dev, w.Dev)
	}
	return 0
}

// preRank places a bare dev release (1.0.dev0) below every pre-release of
// the same release, and the absence of a pre-release above all of them.
func (v Version) preRank() int {
	switch {
	case v.Pre == PreNone && !v.HasPost && v.HasDev:
		return 0
	case v.Pre != PreNone:
		return 1
	default:
		return 2
	}
}

func compareRelease(a, b []int) int {
	n := len(a)
	if len(b) > n {
		n = len(b)
	}
	for i := 0; i < n; i++ {
		x, y := 0, 0
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return cmpInt(x, y)
		}
	}
	return 0
}

// compareLocal orders local labels: none first; then segment by segment,
// numbers above words, numbers numerically, words lexically; a label that
// is a prefix of another sorts first.
func compareLocal(a, b string) int {
	if a == b {
		return 0
	}
	if a == "" {
		return -1
	}
	if b == "" {
		return 1
	}
	for a != "" && b != "" {
		var sa, sb string
		sa, a, _ = strings.Cut(a, ".")
		sb, b, _ = strings.Cut(b, ".")
		da, db := allDigits(sa), allDigits(sb)
		switch {
		case da && db:
			// Normalised numbers have no leading zeros, so length
			// then text orders them without overflow.
			if c := cmpInt(len(sa), len(sb)); c != 0 {
				return c
			}
			if c := strings.Compare(sa, sb); c != 0 {
				return c
			}
		case da:
			return 1
		case db:
			return -1
		default:
			if c := strings.Compare(sa, sb); c != 0 {
				return c
			}
		}
	}
	switch {
	case a == "" && b == "":
		return 0
	case a == "":
		return -1
	default:
		return 1
	}
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// MarshalText writes the normalised form, so a Version in a JSON struct is
// a string.
func (v Version) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalText parses a version.
func (v *Version) UnmarshalText(b []byte) error {
	w, err := Parse(string(b))
	if err != nil {
		return err
	}
	*v = w
	return nil
}

// PlainRelease reports whether s is a release made of numbers of up to
// nine digits, each "0" or without leading zeros, joined by single dots
// ("1.18.1"): a valid PEP 440 version that is its own normal form.
// Most distribution files have one, and need not be parsed to know it.
func PlainRelease(s string) bool {
	digits := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.':
			if digits == 0 {
				return false
			}
			digits = 0
		case c >= '0' && c <= '9':
			if digits == 9 || (digits == 1 && s[i-1] == '0') {
				return false
			}
			digits++
		default:
			return false
		}
	}
	return digits > 0
}
