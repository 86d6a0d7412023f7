package stress_test

import (
	"context"
	"testing"

	"github.com/machnix/machnix/bench/resolve/stress"
	"github.com/machnix/machnix/testfixtures/scenario"
)

// runResolvelib runs the openstack-like case as a resolvelib case through
// the conformance harness: a local HTTP index with PEP 658 metadata, the
// way the real PyPI snapshot cases run. The old solver gave no answer to
// it within minutes.
func runResolvelib(tb testing.TB, dir string) scenario.Result {
	path, err := stress.Openstack(30, 40).WriteResolvelib(dir)
	if err != nil {
		tb.Fatal(err)
	}
	cases, err := scenario.Load(path)
	if err != nil || len(cases) != 1 {
		tb.Fatal(len(cases), err)
	}
	return scenario.Run(context.Background(), cases[0])
}

func TestOpenstackAsResolvelibCase(t *testing.T) {
	if r := runResolvelib(t, t.TempDir()); r.Status != scenario.Pass {
		t.Fatalf("%s: %s", r.Status, r.Reason)
	}
}

func BenchmarkOpenstackAsResolvelibCase(b *testing.B) {
	dir := b.TempDir()
	for b.Loop() {
		if r := runResolvelib(b, dir); r.Status != scenario.Pass {
			b.Fatalf("%s: %s", r.Status, r.Reason)
		}
	}
}
