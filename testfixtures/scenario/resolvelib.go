package scenario

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/resolve/pep508"
	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/pyindex"
)

// resolvelibPython is the interpreter resolvelib's cases are evaluated for:
// "markers are evaluated for the host Python", and the fixtures' host
// Python is 3.11.
const resolvelibPython = "3.11"

// resolvelibCase is one of resolvelib's test cases. Its files write
// conflicted and unvisited either as a list of names or as a mapping of
// names to specifiers, and a resolved entry either as a version or as an
// object with a version and a marker: every form is read.
type resolvelibCase struct {
	Index      string                     `json:"index"`
	Requested  []string                   `json:"requested"`
	Resolved   map[string]json.RawMessage `json:"resolved"`
	Conflicted json.RawMessage            `json:"conflicted"`
	Unvisited  json.RawMessage            `json:"unvisited"`
}

// names reads a list of names, or the keys of a mapping, or nothing.
func names(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err == nil {
		return list, nil
	}
	var mapping map[string]json.RawMessage
	if err := json.Unmarshal(raw, &mapping); err != nil {
		return nil, fmt.Errorf("%s is neither a list of names nor a mapping of them", raw)
	}
	return slices.Sorted(maps.Keys(mapping)), nil
}

// loadResolvelib reads case/NAME.json and its index/INDEX.json: every
// version becomes a py3-none-any wheel with the listed dependencies.
func loadResolvelib(path string) (*Case, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rc resolvelibCase
	if err := json.Unmarshal(raw, &rc); err != nil {
		return nil, fmt.Errorf("case %s: %w", path, err)
	}
	dists, err := ResolvelibIndex(filepath.Join(filepath.Dir(filepath.Dir(path)), "index", rc.Index+".json"))
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", path, err)
	}
	conflicted, err := names(rc.Conflicted)
	if err != nil {
		return nil, fmt.Errorf("case %s: conflicted: %w", path, err)
	}
	// unvisited names versions a good resolver never needs to look at.
	// machnix's solver prefetches metadata ahead of its choices, so that
	// is not asserted; the field is still read, in either form, so that a
	// malformed case is an error rather than ignored.
	if _, err := names(rc.Unvisited); err != nil {
		return nil, fmt.Errorf("case %s: unvisited: %w", path, err)
	}
	target := resolve.Target{Python: resolvelibPython, System: resolve.DefaultSystem, Glibc: resolve.DefaultGlibc}
	c := &Case{Name: strings.TrimSuffix(filepath.Base(path), ".json"), Source: path, Requires: rc.Requested,
		Target:   target,
		Expected: Expected{Satisfiable: rc.Resolved != nil && len(conflicted) == 0}}
	if c.Expected.Satisfiable {
		c.Expected.Pins = map[string]string{}
		env := pep508.EnvironmentFor(target.Python, target.System)
		for name, v := range rc.Resolved {
			var version string
			if json.Unmarshal(v, &version) != nil {
				var obj struct{ Version, Marker string }
				if err := json.Unmarshal(v, &obj); err != nil {
					return nil, fmt.Errorf("case %s: resolved %s: %s", path, name, v)
				}
				if obj.Marker != "" {
					m, err := pep508.ParseMarker(obj.Marker)
					if err != nil {
						return nil, fmt.Errorf("case %s: resolved %s: marker: %w", path, name, err)
					}
					if !m.Evaluate(env, "") {
						// Resolved only where the marker holds: here the
						// package must not be pinned at all.
						c.Expected.Absent = append(c.Expected.Absent, pep508.NormalizeName(name))
						continue
					}
				}
				version = obj.Version
			}
			c.Expected.Pins[pep508.NormalizeName(name)] = version
		}
	}
	c.Dists = dists
	return c, nil
}

// ResolvelibIndex reads a resolvelib dependency database
// ({name: {version: {"dependencies": [...]}}}) as py3-none-any wheels
// with those dependencies, in name and version order.
func ResolvelibIndex(indexPath string) ([]pyindex.Wheel, error) {
	raw, err := os.ReadFile(indexPath)
	if err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	type release struct {
		Dependencies []string `json:"dependencies"`
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, fmt.Errorf("index %s: %w", indexPath, err)
	}
	var dists []pyindex.Wheel
	for _, name := range slices.Sorted(maps.Keys(top)) {
		var releases map[string]release
		if json.Unmarshal(top[name], &releases) != nil {
			continue // a flag for resolvelib's own tests, such as needs_optimistic
		}
		for _, v := range slices.Sorted(maps.Keys(releases)) {
			deps := releases[v].Dependencies
			extras := map[string]bool{}
			for _, d := range deps {
				if e := extraOf(d); e != "" {
					extras[e] = true
				}
			}
			dists = append(dists, pyindex.Wheel{Wheel: testfixtures.Wheel{Name: name, Version: v, Requires: deps,
				Extras: slices.Sorted(maps.Keys(extras))}})
		}
	}
	return dists, nil
}

// extraOf finds the extra a dependency's marker names, if any.
func extraOf(req string) string {
	_, marker, ok := strings.Cut(req, ";")
	if !ok {
		return ""
	}
	i := strings.Index(marker, "extra")
	if i < 0 {
		return ""
	}
	rest := marker[i+len("extra"):]
	rest = strings.TrimLeft(rest, " =")
	if rest == "" || (rest[0] != '\'' && rest[0] != '"') {
		return ""
	}
	q := rest[0]
	end := strings.IndexByte(rest[1:], q)
	if end < 0 {
		return ""
	}
	return rest[1 : 1+end]
}
