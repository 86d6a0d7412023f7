package tags

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
)

// ErrInvalidTag is wrapped by errors about malformed tags.
var ErrInvalidTag = errors.New("invalid wheel tag")

// Tag is one (interpreter, ABI, platform) triple of PEP 425.
type Tag struct {
	Interpreter string `json:"interpreter"`
	ABI         string `json:"abi"`
	Platform    string `json:"platform"`
}

// String is the dashed form, e.g. "cp311-cp311-manylinux_2_28_x86_64".
func (t Tag) String() string { return t.Interpreter + "-" + t.ABI + "-" + t.Platform }

// Parse expands a possibly compressed tag set such as
// "py2.py3-none-any" into its tags, in the order written (interpreters,
// then ABIs, then platforms). Components are lower-cased, as packaging
// does, since tags compare case-insensitively.
func Parse(s string) ([]Tag, error) {
	lower := strings.ToLower(s)
	interp, rest, ok1 := strings.Cut(lower, "-")
	abi, platform, ok2 := strings.Cut(rest, "-")
	if !ok1 || !ok2 || strings.Contains(platform, "-") {
		return nil, fmt.Errorf("%w: %q must have exactly three dash-separated parts", ErrInvalidTag, s)
	}
	if !strings.Contains(lower, ".") {
		// One tag, the usual case: no sets to expand.
		if interp == "" || abi == "" || platform == "" {
			return nil, fmt.Errorf("%w: %q has an empty component", ErrInvalidTag, s)
		}
		if !isIdentifier(interp) {
			return nil, fmt.Errorf("%w: %q has an invalid interpreter %q", ErrInvalidTag, s, interp)
		}
		return []Tag{{interp, abi, platform}}, nil
	}
	var sets [3][]string
	for i, p := range [3]string{interp, abi, platform} {
		sets[i] = strings.Split(p, ".")
		for _, c := range sets[i] {
			if c == "" {
				return nil, fmt.Errorf("%w: %q has an empty component", ErrInvalidTag, s)
			}
		}
	}
	for _, interp := range sets[0] {
		if !isIdentifier(interp) {
			return nil, fmt.Errorf("%w: %q has an invalid interpreter %q", ErrInvalidTag, s, interp)
		}
	}
	out := make([]Tag, 0, len(sets[0])*len(sets[1])*len(sets[2]))
	for _, i := range sets[0] {
		for _, a := range sets[1] {
			for _, p := range sets[2] {
				out = append(out, Tag{i, a, p})
			}
		}
	}
	return out, nil
}

// isIdentifier is Python's str.isidentifier for the ASCII range plus
// letters: a letter or "_" first, then letters, digits or "_".
func isIdentifier(s string) bool {
	for i, r := range s {
		if r == '_' || unicode.IsLetter(r) || i > 0 && unicode.IsDigit(r) {
			continue
		}
		return false
	}
	return s != ""
}

// legacyManylinux are the pre-PEP 600 names of three glibc levels.
var legacyManylinux = map[int]string{17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}

// archs maps a Nix system to the wheel platform architecture and the
// oldest glibc minor manylinux defines for it (x86_64 goes back to
// manylinux1's glibc 2.5; aarch64 starts at manylinux2014's 2.17).
var archs = map[string]struct {
	arch     string
	minMinor int
}{
	"x86_64-linux":  {"x86_64", 5},
	"aarch64-linux": {"aarch64", 17},
}

// ErrUnsupportedTarget is wrapped by ForTarget's errors.
var ErrUnsupportedTarget = errors.New("unsupported target")

// Platforms returns the compatible platform tags of a Linux system with
// the given glibc ("2.28"), best first: manylinux_2_M down to the oldest
// manylinux for the architecture, each legacy alias (manylinux2014,
// manylinux2010, manylinux1) right after the manylinux_2_M it names, and
// the bare linux_<arch> last.
func Platforms(system, glibc string) ([]string, error) {
	a, ok := archs[system]
	if !ok {
		return nil, fmt.Errorf("%w: system %q (want x86_64-linux or aarch64-linux)", ErrUnsupportedTarget, system)
	}
	major, minor, err := parseGlibc(glibc)
	if err != nil {
		return nil, err
	}
	var out []string
	if major == 2 {
		for m := minor; m >= a.minMinor; m-- {
			out = append(out, fmt.Sprintf("manylinux_2_%d_%s", m, a.arch))
			if legacy, ok := legacyManylinux[m]; ok {
				out = append(out, legacy+"_"+a.arch)
			}
		}
	}
	return append(out, "linux_"+a.arch), nil
}

func parseGlibc(s string) (major, minor int, err error) {
	maj, min, ok := strings.Cut(s, ".")
	if ok {
		major, err = strconv.Atoi(maj)
		if err == nil {
			minor, err = strconv.Atoi(min)
		}
	}
	if !ok || err != nil || major != 2 || minor < 0 || minor > 1000 {
		return 0, 0, fmt.Errorf("%w: glibc version %q (want 2.N, such as 2.28)", ErrUnsupportedTarget, s)
	}
	return major, minor, nil
}

// parsePython reads "3.11" or "3.11.4" and returns the minor number.
func parsePython(s string) (int, error) {
	parts := strings.Split(s, ".")
	if len(parts) < 2 || len(parts) > 3 || parts[0] != "3" {
		return 0, fmt.Errorf("%w: python version %q (want 3.N such as 3.11)", ErrUnsupportedTarget, s)
	}
	minor, err := strconv.Atoi(parts[1])
	if err != nil || minor < 0 || minor > 99 {
		return 0, fmt.Errorf("%w: python version %q (want 3.N such as 3.11)", ErrUnsupportedTarget, s)
	}
	return minor, nil
}

// ForTarget returns every tag a CPython 3.N interpreter (python "3.N" or
// "3.N.P") on the Nix system with the given glibc accepts, best first,
// in the order of pypa/packaging's sys_tags: cp3N-cp3N, cp3N-abi3 and
// cp3N-none on each platform; abi3 of every older CPython down to 3.2;
// py3N, py3 and older py3x with no ABI on each platform; then the
// platform-independent cp3N-none-any and py*-none-any.
func ForTarget(python, system, glibc string) ([]Tag, error) {
	minor, err := parsePython(python)
	if err != nil {
		return nil, err
	}
	platforms, err := Platforms(system, glibc)
	if err != nil {
		return nil, err
	}
	cp := fmt.Sprintf("cp3%d", minor)
	pys := pyRange(minor)
	// cp3N's three ABIs, abi3 of older CPythons and each py on each
	// platform, then the "any" tags.
	out := make([]Tag, 0, len(platforms)*(3+max(minor-2, 0)+len(pys))+1+len(pys))
	add := func(interp, abi string) {
		for _, p := range platforms {
			out = append(out, Tag{interp, abi, p})
		}
	}
	add(cp, cp)
	abi3 := minor >= 2
	if abi3 {
		add(cp, "abi3")
	}
	add(cp, "none")
	if abi3 {
		for m := minor - 1; m >= 2; m-- {
			add(fmt.Sprintf("cp3%d", m), "abi3")
		}
	}
	for _, py := range pys {
		add(py, "none")
	}
	out = append(out, Tag{cp, "none", "any"})
	for _, py := range pys {
		out = append(out, Tag{py, "none", "any"})
	}
	return out, nil
}

// pyRange is py3N, py3, then py3(N-1) down to py30.
func pyRange(minor int) []string {
	out := []string{fmt.Sprintf("py3%d", minor), "py3"}
	for m := minor - 1; m >= 0; m-- {
		out = append(out, fmt.Sprintf("py3%d", m))
	}
	return out
}

// Ranker orders wheels by their best tag in a target's compatible list.
// It is safe for concurrent use.
type Ranker struct {
	ordered []Tag
	// pos memoises each tag's position, looked up when first asked: a
	// resolution meets a few dozen distinct tags, while indexing the
	// whole list (a thousand tags) up front cost more than every lookup.
	mu  sync.Mutex
	pos map[Tag]int // -1 for an incompatible tag
}

// NewRanker builds a ranker from an ordered compatible list (ForTarget's
// result): the earlier a tag, the better.
func NewRanker(ordered []Tag) *Ranker {
	return &Ranker{ordered: ordered, pos: map[Tag]int{}}
}

// Rank returns the best (lowest) position of any of tags in the ordered
// list; ok is false when none is compatible.
func (r *Ranker) Rank(tags []Tag) (rank int, ok bool) {
	rank = len(r.ordered)
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range tags {
		i, known := r.pos[t]
		if !known {
			i = slices.Index(r.ordered, t)
			r.pos[t] = i
		}
		if i >= 0 && i < rank {
			rank, ok = i, true
		}
	}
	return rank, ok
}

// Len is the number of compatible tags.
func (r *Ranker) Len() int { return len(r.ordered) }
