package oci

import (
	"errors"
	"fmt"
	"sort"
)

// DefaultMaxLayers matches dockerTools' default; HardMaxLayers stays below
// the ~125-127 layer limit registries and overlayfs enforce.
const (
	DefaultMaxLayers = 100
	HardMaxLayers    = 125
)

// ErrBadClosure reports an inconsistent closure (unknown reference, bad limit).
var ErrBadClosure = errors.New("bad closure")

// StorePath is one member of a closure: its path, direct references and NAR size.
type StorePath struct {
	Path       string   `json:"path"`
	References []string `json:"references"`
	NarSize    int64    `json:"narSize"`
}

// Closure is the plain input to layering: every path plus the root (the env).
type Closure struct {
	Root  string      `json:"root"`
	Paths []StorePath `json:"paths"`
}

// PlanLayers groups a closure into at most maxLayers layers. Popularity is the
// number of closure members that reach a path (itself included), so shared
// deep dependencies such as the interpreter and glibc rank first and get
// stable layers of their own; the N-1 most popular paths get one layer each
// and the rest share the last layer, which always holds the root so a change
// to the environment's own path never moves the stable layers.
func PlanLayers(c Closure, maxLayers int) ([][]string, error) {
	if maxLayers < 1 || maxLayers > HardMaxLayers {
		return nil, fmt.Errorf("%w: max layers %d not in 1..%d", ErrBadClosure, maxLayers, HardMaxLayers)
	}
	refs := map[string][]string{}
	for _, p := range c.Paths {
		refs[p.Path] = p.References
	}
	if _, ok := refs[c.Root]; !ok {
		return nil, fmt.Errorf("%w: root %s is not in the closure", ErrBadClosure, c.Root)
	}
	pop := map[string]int{}
	for _, p := range c.Paths {
		seen := map[string]bool{}
		stack := []string{p.Path}
		for len(stack) > 0 {
			cur := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[cur] {
				continue
			}
			seen[cur] = true
			r, ok := refs[cur]
			if !ok {
				return nil, fmt.Errorf("%w: %s references %s, which is not in the closure", ErrBadClosure, p.Path, cur)
			}
			pop[cur]++
			stack = append(stack, r...)
		}
	}
	var others []string
	for p := range refs {
		if p != c.Root {
			others = append(others, p)
		}
	}
	sort.Slice(others, func(i, j int) bool {
		if pop[others[i]] != pop[others[j]] {
			return pop[others[i]] > pop[others[j]]
		}
		return others[i] < others[j]
	})
	var layers [][]string
	n := maxLayers - 1
	if n > len(others) {
		n = len(others)
	}
	for _, p := range others[:n] {
		layers = append(layers, []string{p})
	}
	last := append([]string{}, others[n:]...)
	last = append(last, c.Root)
	sort.Strings(last)
	return append(layers, last), nil
}
