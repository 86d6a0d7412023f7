package nixbuild

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/machnix/machnix/autopatch"
	"github.com/machnix/machnix/resolve"
)

// A file serving two targets is annotated one target at a time. The first
// target of a run records its inspection afresh over what an older lock
// said; a later one that finds the same leaves the file as it is, and one
// that finds otherwise gets its own entry in native_by_target, which goes
// again once they agree.
func TestAnnotateTargetKeepsWhatEachTargetFound(t *testing.T) {
	const k1, k2 = "aarch64-linux/3.11", "x86_64-linux/3.11"
	report := func(inputs ...string) *autopatch.NativeReport {
		return &autopatch.NativeReport{Wheels: []autopatch.WheelReport{{Name: "a", NixInputs: inputs}}}
	}
	lock := &resolve.Lock{Targets: []resolve.Target{{System: "aarch64-linux", Python: "3.11"}, {System: "x86_64-linux", Python: "3.11"}},
		Packages: []resolve.Package{{Name: "a", Version: "1.0", Provider: resolve.ProviderWheel, Targets: []string{k1, k2},
			Files: []resolve.PackageFile{{Filename: "a-1.0-py3-none-any.whl", Provider: resolve.ProviderWheel, Targets: []string{k1, k2},
				Native: &resolve.Native{BuildInputs: []string{"stale"}}}}}}}
	inputs := func(l *resolve.Lock, key string) []string {
		if n := l.Packages[0].Files[0].NativeFor(key); n != nil {
			return n.BuildInputs
		}
		return nil
	}
	steps := []struct {
		key   string
		found []string
		kept  []string
		want  map[string][]string
		split bool // whether the file records a by-target entry
	}{
		{k1, []string{"zlib"}, nil, map[string][]string{k1: {"zlib"}, k2: {"zlib"}}, false},
		{k2, []string{"zstd"}, []string{k1}, map[string][]string{k1: {"zlib"}, k2: {"zstd"}}, true},
		{k2, []string{"zlib"}, []string{k1}, map[string][]string{k1: {"zlib"}, k2: {"zlib"}}, false},
		{k1, []string{"zstd"}, []string{k2}, map[string][]string{k1: {"zstd"}, k2: {"zlib"}}, true},
	}
	for i, s := range steps {
		before, _ := json.Marshal(lock)
		next, err := AnnotateTarget(lock, s.key, report(s.found...), s.kept)
		if err != nil {
			t.Fatal(err)
		}
		for key, want := range s.want {
			if got := inputs(next, key); !slices.Equal(got, want) {
				t.Errorf("step %d: %s has build inputs %v, want %v", i, key, got, want)
			}
		}
		if split := len(next.Packages[0].Files[0].NativeByTarget) > 0; split != s.split {
			t.Errorf("step %d: native_by_target %v, want an entry: %v", i, next.Packages[0].Files[0].NativeByTarget, s.split)
		}
		if after, _ := json.Marshal(lock); string(after) != string(before) {
			t.Fatalf("step %d: the lock annotated was changed in place", i)
		}
		lock = next
	}
}
