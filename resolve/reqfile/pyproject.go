package reqfile

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/machnix/machnix/resolve/pep508"
)

type pyproject struct {
	Project *struct {
		Name                 string              `toml:"name"`
		Dependencies         []string            `toml:"dependencies"`
		OptionalDependencies map[string][]string `toml:"optional-dependencies"`
		Dynamic              []string            `toml:"dynamic"`
	} `toml:"project"`
}

// ParsePyproject reads [project] dependencies from a pyproject.toml, plus
// the optional-dependencies of the selected extras (compared in their
// PEP 685 normal form). Dependencies the project declares dynamic cannot
// be read without building it, which is an error.
func ParsePyproject(path string, extras []string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Err: err}
	}
	var pp pyproject
	_, err = toml.Decode(string(data), &pp)
	if err != nil {
		return nil, &Error{File: path, Line: tomlErrorLine(err), Err: fmt.Errorf("%w: %v", ErrSyntax, err)}
	}
	if pp.Project == nil {
		return nil, &Error{File: path, Err: fmt.Errorf("%w: no [project] table; machnix reads PEP 621 metadata (use a requirements.txt otherwise)", ErrSyntax)}
	}
	if slices.Contains(pp.Project.Dynamic, "dependencies") {
		return nil, &Error{File: path, Err: fmt.Errorf("%w: [project] dependencies are dynamic, so they are only known from the build backend; name the project directory instead (machnix lock DIR), which asks the backend, or list them in a requirements.txt", ErrUnsupported)}
	}
	lines := newLineFinder(string(data))
	f := &File{Path: path}
	add := func(reqs []string) error {
		for _, r := range reqs {
			n := lines.find(r)
			parsed, err := pep508.ParseRequirement(r)
			if err == nil {
				err = parsed.Marker.Check()
			}
			if err == nil {
				err = checkURLHashes(parsed)
			}
			if err != nil {
				return &Error{File: path, Line: n, Err: err}
			}
			f.Requirements = append(f.Requirements, Entry{Requirement: r, Parsed: parsed, File: path, Line: n})
		}
		return nil
	}
	if err := add(pp.Project.Dependencies); err != nil {
		return nil, err
	}
	byNorm := map[string]string{}
	for k := range pp.Project.OptionalDependencies {
		byNorm[pep508.NormalizeExtra(k)] = k
	}
	for _, x := range extras {
		key, ok := byNorm[pep508.NormalizeExtra(x)]
		if !ok {
			var known []string
			for k := range byNorm {
				known = append(known, k)
			}
			slices.Sort(known)
			return nil, &Error{File: path, Err: fmt.Errorf("%w: no optional-dependencies group %q (the project has: %s)", ErrSyntax, x, strings.Join(known, ", "))}
		}
		if err := add(pp.Project.OptionalDependencies[key]); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func tomlErrorLine(err error) int {
	if pe, ok := err.(toml.ParseError); ok {
		return pe.Position.Line
	}
	return 0
}

// lineFinder locates each requirement string's line in the TOML text.
// Requirements are looked for in order after the previous match, so
// repeated strings and several on one line get the right lines.
type lineFinder struct {
	text string
	pos  int
}

func newLineFinder(text string) *lineFinder { return &lineFinder{text: text} }

func (l *lineFinder) find(s string) int {
	for _, from := range []int{l.pos, 0} {
		for _, quoted := range []string{`"` + s + `"`, `'` + s + `'`} {
			if i := strings.Index(l.text[from:], quoted); i >= 0 {
				at := from + i
				l.pos = at + len(quoted)
				return strings.Count(l.text[:at], "\n") + 1
			}
		}
	}
	return 0
}
