// Command serve builds one of bench/resolve's cases as a local index on
// 127.0.0.1, writes the case's requirements file, prints the index URL on
// stdout and serves until its standard input closes.
//
//	go run ./bench/resolve/serve CASE DIR
//
// CASE is pandas (the real PyPI snapshot of February 2020 from
// ../shared/scenarios/resolvelib, resolving pandas and pandas[test]), chain
// (2,000 packages in chains of 50 whose tails force deep backjumping) or wide (150
// packages with many versions and ranged dependencies, like a real
// application's set), or one of the stress cases of bench/resolve/stress
// (missing, pins, unsat, openstack). A case with a known answer gets
// DIR/expected.json; one without a solution gets DIR/nosolution.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/machnix/machnix/bench/resolve/stress"
	"github.com/machnix/machnix/testfixtures"
	"github.com/machnix/machnix/testfixtures/pyindex"
	"github.com/machnix/machnix/testfixtures/scenario"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: serve pandas|chain|wide|missing|pins|unsat|openstack DIR")
		os.Exit(2)
	}
	dir := os.Args[2]
	var dists []pyindex.Wheel
	var reqs []string
	var expected map[string]string
	var err error
	nosolution := false
	switch os.Args[1] {
	case "pandas":
		dists, reqs, err = pandas()
	case "chain":
		dists, reqs, expected = chain(2000, 25)
	case "wide":
		dists, reqs = wide(150)
	default:
		var c stress.Case
		if c, err = stress.ByName(os.Args[1]); err == nil {
			for _, r := range c.Releases {
				dists = append(dists, wheel(r.Name, r.Version, r.Requires...))
			}
			reqs, expected, nosolution = c.Requires, c.Expected, c.Expected == nil
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(2)
	}
	srv, err := pyindex.New(filepath.Join(dir, "index"), dists)
	if err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
	defer srv.Close()
	srv.Delay.Store(0)
	text := ""
	for _, r := range reqs {
		text += r + "\n"
	}
	if err := os.WriteFile(filepath.Join(dir, "requirements.txt"), []byte(text), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
	if expected != nil {
		raw, _ := json.Marshal(expected)
		if err := os.WriteFile(filepath.Join(dir, "expected.json"), raw, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "serve:", err)
			os.Exit(1)
		}
	}
	if nosolution {
		if err := os.WriteFile(filepath.Join(dir, "nosolution"), nil, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "serve:", err)
			os.Exit(1)
		}
	}
	fmt.Println(srv.URL)
	io.Copy(io.Discard, os.Stdin)
	fmt.Fprintf(os.Stderr, "  the index served %d requests\n", len(srv.Requests()))
}

func wheel(name, version string, requires ...string) pyindex.Wheel {
	return pyindex.Wheel{Wheel: testfixtures.Wheel{Name: name, Version: version, Requires: requires,
		Files: []testfixtures.File{{Path: name + "/__init__.py", Data: []byte("")}}}}
}

// pandas serves the snapshot's every release as a py3-none-any wheel, as
// the conformance harness reads it.
func pandas() ([]pyindex.Wheel, []string, error) {
	path := filepath.Join("..", "shared", "scenarios", "resolvelib", "index", "pypi-2020-02-15-pandas.json")
	dists, err := scenario.ResolvelibIndex(path)
	if err != nil {
		return nil, nil, fmt.Errorf("%s is absent or unreadable: %w", path, err)
	}
	return dists, []string{"pandas", "pandas[test]"}, nil
}

// chain is 2,000 packages in 40 chains of 50 (pip cannot follow one chain
// of 2,000: its requirement bookkeeping recurses once per level), with
// two releases each. In the last tail packages of every fourth chain,
// release 2.0 needs the next package's 2.0, and the chain's last 2.0 needs
// a package that does not exist: every 2.0 of such a tail is rejected one
// after the other, deep backjumping, and the answer pins those tails at
// 1.0 and everything else at 2.0.
func chain(n, tail int) ([]pyindex.Wheel, []string, map[string]string) {
	const length = 50
	name := func(c, i int) string { return fmt.Sprintf("c%02d-p%02d", c, i) }
	var dists []pyindex.Wheel
	var roots []string
	expected := map[string]string{}
	for c := 0; c < n/length; c++ {
		roots = append(roots, name(c, 0))
		coupled := c%4 == 0
		for i := 0; i < length; i++ {
			var next1, next2 []string
			switch {
			case i == length-1 && coupled:
				next2 = []string{"missing-package>=1"}
			case i == length-1:
			case coupled && i >= length-tail:
				next1, next2 = []string{name(c, i+1)}, []string{name(c, i+1) + ">=2.0"}
			default:
				next1, next2 = []string{name(c, i+1)}, []string{name(c, i+1)}
			}
			dists = append(dists, wheel(name(c, i), "1.0", next1...), wheel(name(c, i), "2.0", next2...))
			expected[name(c, i)] = "2.0"
			if coupled && i >= length-tail {
				expected[name(c, i)] = "1.0"
			}
		}
	}
	return dists, roots, expected
}

// wide is n packages with twelve releases each; the root asks for a third
// of them, and every release depends on three later packages with lower
// bounds the newest releases meet, as in a real application's set.
func wide(n int) ([]pyindex.Wheel, []string) {
	name := func(i int) string { return fmt.Sprintf("lib%03d", i) }
	var dists []pyindex.Wheel
	for i := 0; i < n; i++ {
		for v := 1; v <= 12; v++ {
			var deps []string
			for k := 1; k <= 3; k++ {
				j := i + k*7
				if j < n {
					deps = append(deps, fmt.Sprintf("%s>=%d.0,<13", name(j), (v+k)%12+1))
				}
			}
			dists = append(dists, wheel(name(i), fmt.Sprintf("%d.0", v), deps...))
		}
	}
	var reqs []string
	for i := 0; i < n; i += 3 {
		reqs = append(reqs, name(i))
	}
	return dists, reqs
}
