package resolve

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/machnix/machnix/internal/suggest"

	"github.com/machnix/machnix/resolve/tags"

	"github.com/machnix/machnix/resolve/pep508"
)

// ProjectLister is optionally implemented by an Index that can list its
// projects (the PEP 503/691 root page). Resolve asks it only when a
// requirement names a project no index has, to suggest close names.
type ProjectLister interface {
	// ListProjects returns normalised project names.
	ListProjects(ctx context.Context) ([]string, error)
}

// WithOrigins says where each root requirement came from, keyed by the
// requirement's text as given to Resolve, e.g. "requirements.txt:3".
// Messages about a root requirement name its origin.
func WithOrigins(origins map[string]string) Option {
	return func(s *settings) {
		if s.Origins == nil {
			s.Origins = map[string]string{}
		}
		for k, v := range origins {
			s.Origins[k] = v
		}
	}
}

// NotFoundError is a root requirement whose project no index has.
type NotFoundError struct {
	Name        string   // normalised
	Written     string   // the requirement as written, without credentials
	Origin      string   // "requirements.txt:3", or ""
	Suggestions []string // close names the indexes list, best first
	Err         error    // the index's error, which names the indexes asked
}

func (e *NotFoundError) Error() string {
	var b strings.Builder
	if e.Origin != "" {
		b.WriteString(e.Origin + ": ")
	}
	b.WriteString(e.Err.Error())
	switch {
	case len(e.Suggestions) > 0:
		fmt.Fprintf(&b, "; did you mean %s?", strings.Join(e.Suggestions, " or "))
	default:
		if w := requirementName(e.Written); w != "" && w != e.Name {
			fmt.Fprintf(&b, " (%q was looked up as %s, its normalised name)", w, e.Name)
		}
	}
	return b.String()
}

func (e *NotFoundError) Unwrap() []error { return []error{ErrProjectNotFound, ErrNoSolution} }

// requirementName is the name of a requirement as written, before
// normalisation: up to the first character no name has.
func requirementName(text string) string {
	text = strings.TrimSpace(text)
	i := strings.IndexFunc(text, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
	})
	if i < 0 {
		return text
	}
	return text[:i]
}

// maxSuggestions is how many close names a not-found message offers.
const maxSuggestions = 3

// closeNames returns the names within a small edit distance of name
// (transpositions count once), nearest first, then alphabetically.
func closeNames(name string, names []string) []string {
	name = pep508.NormalizeName(name)
	limit := 1
	switch {
	case len(name) > 10:
		limit = 3
	case len(name) > 4:
		limit = 2
	}
	type hit struct {
		name string
		d    int
	}
	var hits []hit
	seen := map[string]bool{}
	for _, n := range names {
		n = pep508.NormalizeName(n)
		if n == name || seen[n] || abs(len(n)-len(name)) > limit {
			continue
		}
		seen[n] = true
		if d := suggest.Within(name, n, limit); d <= limit {
			hits = append(hits, hit{n, d})
		}
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].d != hits[j].d {
			return hits[i].d < hits[j].d
		}
		return hits[i].name < hits[j].name
	})
	var out []string
	for i := 0; i < len(hits) && i < maxSuggestions; i++ {
		out = append(out, hits[i].name)
	}
	return out
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// rootFor is the index in s.roots of the first root requirement on name
// that applies, or -1.
func (s *source) rootFor(name string) int {
	for i, r := range s.roots {
		if r.Name == name && (r.Applies == nil || r.Applies("")) {
			return i
		}
	}
	return -1
}

// withOrigin prefixes an error about root requirement i with its origin.
func (s *source) withOrigin(i int, err error) error {
	if i < 0 || s.rootOrigins[i] == "" {
		return err
	}
	return fmt.Errorf("%s: %w", s.rootOrigins[i], err)
}

// notFound explains root requirement i, whose project no index has,
// suggesting the close names the index lists, if it lists them.
func (s *source) notFound(i int, err error) error {
	r := s.roots[i]
	e := &NotFoundError{Name: r.Name, Written: textWithoutCredentials(r.Text), Origin: s.rootOrigins[i], Err: err}
	if l, ok := s.o.Index.(ProjectLister); ok {
		if names, lerr := l.ListProjects(s.ctx); lerr == nil {
			e.Suggestions = closeNames(r.Name, names)
		}
	}
	return e
}

// noFileFits explains a project the user asked for whose files all carry
// tags the target does not take: "no versions available" would hide that
// the files exist and only the interpreter or platform differs. It
// returns nil when no wheel of the project was ruled out by its tags.
func (s *source) noFileFits(name string, unfit []string) error {
	var shown []string
	wheels := 0
	for _, f := range unfit {
		n, _, _, ts, err := tags.ParseWheelFilename(f)
		if err != nil || pep508.NormalizeName(n) != name {
			continue
		}
		wheels++
		var t []string
		for _, tag := range ts {
			t = append(t, tag.String())
		}
		if len(shown) < 5 {
			shown = append(shown, fmt.Sprintf("%s (%s)", textWithoutCredentials(f), strings.Join(t, ", ")))
		}
	}
	if len(shown) == 0 {
		return nil
	}
	if more := wheels - len(shown); more > 0 {
		shown = append(shown, fmt.Sprintf("and %d more", more))
	}
	tg := s.o.Target
	return fmt.Errorf("%w: %s has files, but none for the target (CPython %s on %s, manylinux up to glibc %s): %s; choose the target with --python, --system or --glibc",
		ErrNoSolution, name, tg.Python, tg.System, tg.Glibc, strings.Join(shown, "; "))
}
