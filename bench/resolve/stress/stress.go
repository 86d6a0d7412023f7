package stress

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// Release is one version of one project and what it requires (PEP 508).
type Release struct {
	Name     string   `json:"name"`
	Version  string   `json:"version"`
	Requires []string `json:"requires,omitempty"`
}

// Case is one stress case.
type Case struct {
	Name     string
	Releases []Release
	Requires []string
	// Expected holds every pin of the answer; nil when there is none.
	Expected map[string]string
}

// Names lists the cases ByName knows, in the order bench/resolve runs them.
var Names = []string{"missing", "pins", "unsat", "openstack"}

// ByName builds the named case at the sizes.
func ByName(name string) (Case, error) {
	switch name {
	case "missing":
		return Missing(40, 60), nil
	case "pins":
		return Pins(40, 60), nil
	case "unsat":
		return Unsat(150), nil
	case "openstack":
		return Openstack(30, 40), nil
	}
	return Case{}, fmt.Errorf("unknown stress case %q (known: %v)", name, Names)
}

func version(major, minor int) string { return fmt.Sprintf("%d.%d", major, minor) }

// Missing: projects projects with versions releases each, all required by
// the root, each release but the oldest needing a project that has no
// files (and the next project, so that they hang together). The answer is
// every project at its oldest release.
func Missing(projects, versions int) Case {
	c := Case{Name: "missing", Expected: map[string]string{}}
	for p := range projects {
		name := fmt.Sprintf("app%02d", p)
		c.Requires = append(c.Requires, name)
		c.Expected[name] = version(1, 0)
		for v := range versions {
			var req []string
			if v > 0 {
				req = append(req, fmt.Sprintf("nofiles%02d>=1", p))
			}
			if p+1 < projects {
				req = append(req, fmt.Sprintf("app%02d", p+1))
			}
			c.Releases = append(c.Releases, Release{Name: name, Version: version(1, v), Requires: req})
		}
	}
	return c
}

// Pins is Missing with the cause three levels down: every release of
// app_i but the oldest needs mid_i, every mid_i needs low_i, and every
// low_i needs pin==2 while the root pins pin==1. mid_i and low_i have
// twenty releases each, which a resolver without learning tries in every
// combination for every release of app_i.
func Pins(projects, versions int) Case {
	const deep = 20
	c := Case{Name: "pins", Requires: []string{"pin==1.0"}, Expected: map[string]string{"pin": "1.0"}}
	c.Releases = append(c.Releases, Release{Name: "pin", Version: "1.0"}, Release{Name: "pin", Version: "2.0"})
	for p := range projects {
		name, mid, low := fmt.Sprintf("app%02d", p), fmt.Sprintf("mid%02d", p), fmt.Sprintf("low%02d", p)
		c.Requires = append(c.Requires, name)
		c.Expected[name] = version(1, 0)
		for v := range versions {
			var req []string
			if v > 0 {
				req = append(req, mid+">=1.0")
			}
			c.Releases = append(c.Releases, Release{Name: name, Version: version(1, v), Requires: req})
		}
		for v := range deep {
			c.Releases = append(c.Releases,
				Release{Name: mid, Version: version(1, v), Requires: []string{low + ">=1.0"}},
				Release{Name: low, Version: version(1, v), Requires: []string{"pin==2.0"}})
		}
	}
	return c
}

// Unsat is a wide, application-like set with no answer: n libraries with
// twelve releases each, each release needing three later libraries with
// lower bounds that move with the release; the last ten libraries need
// base>=2 in every release, and the root asks for base<2 and for every
// third library but the last thirty. Every library reaches one of the last
// ten, so the failure lies several levels below what the root names.
func Unsat(n int) Case {
	c := Case{Name: "unsat", Requires: []string{"base<2"}}
	for v := 1; v <= 3; v++ {
		c.Releases = append(c.Releases, Release{Name: "base", Version: version(v, 0)})
	}
	name := func(i int) string { return fmt.Sprintf("lib%03d", i) }
	for i := range n {
		for v := 1; v <= 12; v++ {
			var req []string
			for k := 1; k <= 3; k++ {
				if j := i + k*7; j < n {
					req = append(req, fmt.Sprintf("%s>=%d.0,<13", name(j), (v+k)%12+1))
				}
			}
			if i >= n-10 {
				req = append(req, "base>=2")
			}
			c.Releases = append(c.Releases, Release{Name: name(i), Version: version(v, 0), Requires: req})
		}
	}
	for i := 0; i < n-30; i += 3 {
		c.Requires = append(c.Requires, name(i))
	}
	return c
}

// Openstack: clients clients with versions releases each (half in major 1,
// half in major 2) and four shared libraries with the same majors. Major 2
// of everything needs pbr>=2 and the libraries at major 2; major 1 needs
// pbr<2 and major 1 libraries, as openstack's build pins flipped. The
// last client's major 2 needs a project with no files, so it must stay at
// major 1, and with it, through pbr, every client and library. The root
// lists the troublesome client last, as a requirements file does when it
// is sorted by name.
func Openstack(clients, versions int) Case {
	libs := []string{"oslo-utils", "oslo-i18n", "keystoneauth1", "cliff"}
	c := Case{Name: "openstack", Expected: map[string]string{"pbr": "1.9"}}
	for major := 1; major <= 3; major++ {
		for minor := range 10 {
			c.Releases = append(c.Releases, Release{Name: "pbr", Version: version(major, minor)})
		}
	}
	half := versions / 2
	pins := func(major int) []string {
		if major == 1 {
			return []string{"pbr>=1.0,<2.0"}
		}
		return []string{"pbr!=2.1,>=2.0"}
	}
	for i, lib := range libs {
		for v := range versions {
			major := 1 + v/half
			req := pins(major)
			if i+1 < len(libs) {
				req = append(req, fmt.Sprintf("%s>=%d.0,<%d.0", libs[i+1], major, major+1))
			}
			c.Releases = append(c.Releases, Release{Name: lib, Version: version(major, v%half), Requires: req})
		}
		c.Expected[lib] = version(1, half-1)
	}
	for k := range clients {
		name := fmt.Sprintf("python-%02dclient", k)
		c.Requires = append(c.Requires, name)
		c.Expected[name] = version(1, half-1)
		for v := range versions {
			major := 1 + v/half
			req := pins(major)
			for _, lib := range libs[k%2:] {
				req = append(req, fmt.Sprintf("%s>=%d.0", lib, major))
			}
			if major == 2 && k == clients-1 {
				req = append(req, "openstack-nofiles>=1")
			}
			c.Releases = append(c.Releases, Release{Name: name, Version: version(major, v%half), Requires: req})
		}
	}
	return c
}

// Projects lists the case's project names, sorted.
func (c Case) Projects() []string {
	var out []string
	for _, r := range c.Releases {
		if !slices.Contains(out, r.Name) {
			out = append(out, r.Name)
		}
	}
	slices.Sort(out)
	return out
}

// WriteResolvelib writes the case in resolvelib's test format under dir
// (index/NAME.json, the dependency database, and case/NAME.json, the
// request and its expected outcome) and returns the case file's path, so
// that the conformance harness runs it like resolvelib's own cases.
func (c Case) WriteResolvelib(dir string) (string, error) {
	type release struct {
		Dependencies []string `json:"dependencies"`
	}
	index := map[string]map[string]release{}
	for _, r := range c.Releases {
		if index[r.Name] == nil {
			index[r.Name] = map[string]release{}
		}
		index[r.Name][r.Version] = release{Dependencies: append([]string{}, r.Requires...)}
	}
	kase := map[string]any{"index": c.Name, "requested": c.Requires}
	if c.Expected != nil {
		kase["resolved"] = c.Expected
	} else {
		kase["resolved"] = nil
		kase["conflicted"] = c.Projects()
	}
	for sub, v := range map[string]any{"index": index, "case": kase} {
		raw, err := json.MarshalIndent(v, "", " ")
		if err != nil {
			return "", err
		}
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(dir, sub, c.Name+".json"), raw, 0o644); err != nil {
			return "", err
		}
	}
	return filepath.Join(dir, "case", c.Name+".json"), nil
}
