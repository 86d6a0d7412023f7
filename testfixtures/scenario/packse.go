package scenario

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/machnix/machnix/resolve"
	"github.com/machnix/machnix/resolve/pep508"
	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/pyindex"
)

// packse's defaults (packse/scenario.py): every version requires Python
// >= 3.8, has both a wheel and an sdist, and the environment is 3.8.
const (
	packseRequiresPython = ">=3.8"
	packsePython         = "3.8"
)

type packseFile struct {
	Name            string `toml:"name"`
	Description     string `toml:"description"`
	ResolverOptions struct {
		Python               string   `toml:"python"`
		Prereleases          bool     `toml:"prereleases"`
		NoBuild              []string `toml:"no_build"`
		NoBinary             []string `toml:"no_binary"`
		Universal            bool     `toml:"universal"`
		PythonPlatform       string   `toml:"python_platform"`
		RequiredEnvironments []string `toml:"required_environments"`
		Resolution           string   `toml:"resolution"`
	} `toml:"resolver_options"`
	Environment struct {
		Python           string   `toml:"python"`
		AdditionalPython []string `toml:"additional_python"`
	} `toml:"environment"`
	Expected struct {
		Satisfiable bool              `toml:"satisfiable"`
		Packages    map[string]string `toml:"packages"`
		Explanation string            `toml:"explanation"`
	} `toml:"expected"`
	Root struct {
		Requires       []string `toml:"requires"`
		RequiresPython string   `toml:"requires_python"`
	} `toml:"root"`
	// Testgen holds packse's switches for uv's generated tests.
	Testgen  map[string]any `toml:"testgen"`
	Packages map[string]struct {
		Versions map[string]struct {
			Requires       *[]string           `toml:"requires"`
			RequiresPython *string             `toml:"requires_python"`
			Extras         map[string][]string `toml:"extras"`
			Sdist          *bool               `toml:"sdist"`
			Wheel          *bool               `toml:"wheel"`
			WheelTags      []string            `toml:"wheel_tags"`
			Yanked         bool                `toml:"yanked"`
			Description    string              `toml:"description"`
		} `toml:"versions"`
	} `toml:"packages"`
}

// manylinuxGlibc maps packse's python_platform values to a glibc.
var manylinuxGlibc = map[string]string{
	"x86_64-manylinux2014":  "2.17",
	"x86_64-manylinux_2_17": "2.17",
	"x86_64-manylinux_2_28": "2.28",
}

func loadPackse(path string) (*Case, error) {
	var f packseFile
	md, err := toml.DecodeFile(path, &f)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", path, err)
	}
	if u := md.Undecoded(); len(u) > 0 {
		var keys []string
		for _, k := range u {
			keys = append(keys, k.String())
		}
		return nil, fmt.Errorf("scenario %s: keys the harness does not know: %s", path, strings.Join(keys, ", "))
	}
	ro := f.ResolverOptions
	python := ro.Python
	if python == "" {
		python = f.Environment.Python
	}
	if python == "" {
		python = packsePython
	}
	c := &Case{Name: f.Name, Source: path, Requires: f.Root.Requires, Universal: ro.Universal,
		RequiresPython: f.Root.RequiresPython, Environments: ro.RequiredEnvironments,
		Target:   resolve.Target{Python: python, System: resolve.DefaultSystem, Glibc: resolve.DefaultGlibc},
		Pre:      ro.Prereleases,
		Expected: Expected{Satisfiable: f.Expected.Satisfiable, Explanation: f.Expected.Explanation}}
	if ro.PythonPlatform != "" {
		glibc, ok := manylinuxGlibc[ro.PythonPlatform]
		if !ok {
			c.Unsupported = "python_platform " + ro.PythonPlatform
		}
		c.Target.Glibc = glibc
	}
	c.Resolution = ro.Resolution
	if len(f.Expected.Packages) > 0 {
		c.Expected.Pins = map[string]string{}
		for n, v := range f.Expected.Packages {
			c.Expected.Pins[pep508.NormalizeName(n)] = v
		}
	}
	if missing := unreachablePins(f); len(missing) > 0 {
		c.Unsupported = "expected pins name " + strings.Join(missing, ", ") + ", which nothing the scenario declares requires (its workspace, groups or lock are not in the file)"
	}
	for _, n := range ro.NoBuild {
		c.OnlyBinary = append(c.OnlyBinary, pep508.NormalizeName(n))
	}
	for _, n := range ro.NoBinary {
		c.NoBinary = append(c.NoBinary, pep508.NormalizeName(n))
	}

	names := slices.Sorted(maps.Keys(f.Packages))
	for _, n := range names {
		vs := f.Packages[n].Versions
		vnames := make([]string, 0, len(vs))
		for v := range vs {
			vnames = append(vnames, v)
		}
		sort.Strings(vnames)
		for _, v := range vnames {
			pv := vs[v]
			var requires []string
			if pv.Requires != nil {
				requires = append(requires, *pv.Requires...)
			}
			extras := slices.Sorted(maps.Keys(pv.Extras))
			for _, e := range extras {
				for _, r := range pv.Extras[e] {
					requires = append(requires, withExtraMarker(r, e))
				}
			}
			requiresPython := packseRequiresPython
			if pv.RequiresPython != nil {
				requiresPython = *pv.RequiresPython
			}
			w := testfixtures.Wheel{Name: n, Version: v, Requires: requires, RequiresPython: requiresPython, Extras: extras,
				Files: []testfixtures.File{{Path: moduleName(n) + "/__init__.py", Data: []byte(fmt.Sprintf("__version__ = %q\n", v))}}}
			if pv.Wheel == nil || *pv.Wheel {
				tags := pv.WheelTags
				if len(tags) == 0 {
					tags = []string{"py3-none-any"}
				}
				// packse builds one wheel per tag.
				for _, tag := range tags {
					tw := w
					tw.Tags = []string{tag}
					c.Dists = append(c.Dists, pyindex.Wheel{Wheel: tw, Yanked: pv.Yanked})
				}
			}
			if pv.Sdist == nil || *pv.Sdist {
				c.Dists = append(c.Dists, pyindex.Wheel{Wheel: w, Sdist: true, Yanked: pv.Yanked})
			}
		}
	}
	return c, nil
}

// withExtraMarker adds `extra == "e"` to a requirement, keeping any marker
// it has.
func withExtraMarker(req, extra string) string {
	if base, marker, ok := strings.Cut(req, ";"); ok {
		return fmt.Sprintf("%s ; (%s) and extra == %q", strings.TrimSpace(base), strings.TrimSpace(marker), extra)
	}
	return fmt.Sprintf("%s ; extra == %q", req, extra)
}

func moduleName(project string) string {
	return strings.ReplaceAll(pep508.NormalizeName(project), "-", "_")
}

// unreachablePins lists the expected pins that no requirement of the
// scenario can reach from its root, through any version's requirements or
// extras: an expectation that comes from context the file does not hold.
func unreachablePins(f packseFile) []string {
	reached := map[string]bool{}
	var queue []string
	add := func(req string) {
		r, err := pep508.ParseRequirement(req)
		if err != nil {
			return
		}
		if n := r.Normalized(); !reached[n] {
			reached[n] = true
			queue = append(queue, n)
		}
	}
	for _, r := range f.Root.Requires {
		add(r)
	}
	byName := map[string]string{}
	for n := range f.Packages {
		byName[pep508.NormalizeName(n)] = n
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, v := range f.Packages[byName[n]].Versions {
			if v.Requires != nil {
				for _, r := range *v.Requires {
					add(r)
				}
			}
			for _, rs := range v.Extras {
				for _, r := range rs {
					add(r)
				}
			}
		}
	}
	var out []string
	for n := range f.Expected.Packages {
		if !reached[pep508.NormalizeName(n)] {
			out = append(out, pep508.NormalizeName(n))
		}
	}
	sort.Strings(out)
	return out
}
