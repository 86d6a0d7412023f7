// Package scenario loads packse scenarios into the pyindex model plus the
// expected outcome, for resolver conformance tests.
package scenario

import (
	"fmt"
	"sort"

	"github.com/BurntSushi/toml"
	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/pyindex"
)

// Expected is a scenario's expected outcome and target.
type Expected struct {
	Satisfiable bool              `json:"satisfiable"`
	Pins        map[string]string `json:"pins,omitempty"` // name as written → version
	Explanation string            `json:"explanation,omitempty"`
	Python      string            `json:"python,omitempty"` // target environment
	// RootRequiresPython is the root project's requires-python, if any.
	RootRequiresPython string         `json:"root_requires_python,omitempty"`
	Testgen            map[string]any `json:"testgen,omitempty"`
	Options            map[string]any `json:"resolver_options,omitempty"`
}

// Scenario is one loaded scenario.
type Scenario struct {
	Name     string
	Requires []string // the root requirements
	Wheels   []pyindex.Wheel
	// Sdists lists "name==version" of versions that only have an sdist;
	// pyindex does not serve sdists yet.
	Sdists   []string
	Expected Expected
	// Undecoded lists TOML keys the loader did not understand.
	Undecoded []string
}

type packseFile struct {
	Name            string         `toml:"name"`
	Description     string         `toml:"description"`
	ResolverOptions map[string]any `toml:"resolver_options"`
	Environment     struct {
		Python string `toml:"python"`
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
	// Testgen holds packse's own test-generation switches; kept to report them.
	Testgen  map[string]any `toml:"testgen"`
	Packages map[string]struct {
		Versions map[string]struct {
			Requires       []string            `toml:"requires"`
			RequiresPython string              `toml:"requires_python"`
			Extras         map[string][]string `toml:"extras"`
			Sdist          *bool               `toml:"sdist"`
			Wheel          *bool               `toml:"wheel"`
			WheelTags      []string            `toml:"wheel_tags"`
			Yanked         bool                `toml:"yanked"`
		} `toml:"versions"`
	} `toml:"packages"`
}

// LoadPackse reads a packse scenario TOML file.
func LoadPackse(path string) (*Scenario, error) {
	var f packseFile
	md, err := toml.DecodeFile(path, &f)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", path, err)
	}
	sc := &Scenario{Name: f.Name, Requires: f.Root.Requires, Expected: Expected{
		Satisfiable: f.Expected.Satisfiable, Pins: f.Expected.Packages, Explanation: f.Expected.Explanation,
		Python: f.Environment.Python, Options: f.ResolverOptions,
		RootRequiresPython: f.Root.RequiresPython, Testgen: f.Testgen}}
	for _, k := range md.Undecoded() {
		sc.Undecoded = append(sc.Undecoded, k.String())
	}
	names := make([]string, 0, len(f.Packages))
	for n := range f.Packages {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		vs := f.Packages[n].Versions
		vnames := make([]string, 0, len(vs))
		for v := range vs {
			vnames = append(vnames, v)
		}
		sort.Strings(vnames)
		for _, v := range vnames {
			pv := vs[v]
			requires := append([]string(nil), pv.Requires...)
			var extras []string
			enames := make([]string, 0, len(pv.Extras))
			for e := range pv.Extras {
				enames = append(enames, e)
			}
			sort.Strings(enames)
			for _, e := range enames {
				extras = append(extras, e)
				for _, r := range pv.Extras[e] {
					requires = append(requires, fmt.Sprintf("%s ; extra == %q", r, e))
				}
			}
			if pv.Wheel != nil && !*pv.Wheel {
				if pv.Sdist == nil || *pv.Sdist {
					sc.Sdists = append(sc.Sdists, n+"=="+v)
				}
				continue
			}
			sc.Wheels = append(sc.Wheels, pyindex.Wheel{Wheel: testfixtures.Wheel{Name: n, Version: v,
				Tags: pv.WheelTags, Requires: requires, RequiresPython: pv.RequiresPython, Extras: extras},
				Yanked: pv.Yanked})
		}
	}
	return sc, nil
}
