package resolve

import (
	"context"
	"fmt"
	"testing"
)

// markedChain is an index of n packages, each with 5 versions, each
// version depending on the next package and, on x86_64 only, on a helper:
// the shape that splits a universal resolution over both systems once.
func markedChain(n int) map[string][]string {
	spec := map[string][]string{}
	for i := range n {
		for v := 1; v <= 5; v++ {
			var deps []string
			if i+1 < n {
				deps = append(deps, fmt.Sprintf("p%d", i+1))
			}
			if i == 0 {
				deps = append(deps, `helper ; platform_machine == "x86_64"`)
			}
			spec[fmt.Sprintf("p%d-%d.0-py3-none-any.whl", i, v)] = deps
		}
	}
	spec["helper-1.0-py3-none-any.whl"] = nil
	return spec
}

// BenchmarkResolveUniversal compares a universal resolution over both
// systems with a single-target one of the same graph (run both; compare
// their ns/op within the run).
func BenchmarkResolveUniversal(b *testing.B) {
	spec := markedChain(200)
	b.Run("single", func(b *testing.B) {
		rules, err := NewRules(bothSystems[0])
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := Resolve(context.Background(), []string{"p0"}, WithRules(rules), WithIndex(idx(spec)), WithTarget(bothSystems[0])); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("universal", func(b *testing.B) {
		for b.Loop() {
			if _, err := ResolveUniversal(context.Background(), []string{"p0"}, WithIndex(idx(spec)), WithUniverse(Universe{Targets: bothSystems})); err != nil {
				b.Fatal(err)
			}
		}
	})
}
