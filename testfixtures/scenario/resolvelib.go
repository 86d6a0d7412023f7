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

type resolvelibCase struct {
	Index      string                     `json:"index"`
	Requested  []string                   `json:"requested"`
	Resolved   map[string]json.RawMessage `json:"resolved"`
	Conflicted []string                   `json:"conflicted"`
	Unvisited  map[string][]string        `json:"unvisited"`
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
	c := &Case{Name: strings.TrimSuffix(filepath.Base(path), ".json"), Source: path, Requires: rc.Requested,
		Target:   resolve.Target{Python: resolvelibPython, System: resolve.DefaultSystem, Glibc: resolve.DefaultGlibc},
		Expected: Expected{Satisfiable: rc.Resolved != nil && len(rc.Conflicted) == 0}}
	if c.Expected.Satisfiable {
		c.Expected.Pins = map[string]string{}
		for name, v := range rc.Resolved {
			var version string
			if json.Unmarshal(v, &version) != nil {
				var obj struct{ Version string }
				if err := json.Unmarshal(v, &obj); err != nil {
					return nil, fmt.Errorf("case %s: resolved %s: %s", path, name, v)
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
