package solver

import (
	"context"
	"strconv"
	"testing"
)

// BenchmarkDeepChain: 2,000 packages in a chain, each with 3 versions; the
// newest of every package needs the next package's newest, which does not
// exist for the last one, so the tail must walk back.
func BenchmarkDeepChain(b *testing.B) {
	pk := map[string]map[int][]string{}
	const n = 2000
	for i := 0; i < n; i++ {
		name := "p" + strconv.Itoa(i)
		next := "p" + strconv.Itoa(i+1)
		pk[name] = map[int][]string{1: nil, 2: nil, 3: nil}
		if i+1 < n {
			pk[name] = map[int][]string{1: {next}, 2: {next}, 3: {next + ">=2"}}
		}
	}
	pk["p"+strconv.Itoa(n-1)] = map[int][]string{1: {"z<2"}, 2: {"z<1"}, 3: {"z<1"}}
	pk["z"] = map[int][]string{1: nil}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Solve(context.Background(), src([]string{"p0"}, pk)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBackjump: many irrelevant versions between the clash and its
// cause; without backjumping this is 100*100 tries.
func BenchmarkBackjump(b *testing.B) {
	a, x := map[int][]string{1: nil}, map[int][]string{}
	for i := 2; i <= 100; i++ {
		a[i] = []string{"c<2"}
	}
	for i := 1; i <= 100; i++ {
		x[i] = nil
	}
	pk := map[string]map[int][]string{"a": a, "x": x, "b": {1: {"c>=2"}}, "c": {1: nil, 2: nil}}
	for b.Loop() {
		if _, _, err := Solve(context.Background(), src([]string{"a", "x", "b"}, pk)); err != nil {
			b.Fatal(err)
		}
	}
}
