package nixlib_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/machnix/machnix/testfixtures"
)

// The library's breakCycles, which both the generated expression and Nix
// users build with, drops the back edges of a cycle the same way every
// time, whatever order the lock lists its packages in.
func TestBreakCyclesIsDeterministic(t *testing.T) {
	testfixtures.RequireTool(t, "nix-instantiate")
	type pkg struct {
		Name         string   `json:"name"`
		Dependencies []string `json:"dependencies,omitempty"`
	}
	pkgs := []pkg{{"dask", []string{"toolz", "distributed"}}, {"distributed", []string{"dask"}}, {"toolz", nil},
		{"torch", []string{"triton"}}, {"triton", []string{"torch"}}}
	type result struct {
		Kept    map[string][]string `json:"kept"`
		Dropped map[string][]string `json:"dropped"`
	}
	eval := func(pkgs []pkg) result {
		data, err := json.Marshal(pkgs)
		if err != nil {
			t.Fatal(err)
		}
		var r result
		evalJSON(t, fmt.Sprintf("let r = %s.breakCycles (builtins.fromJSON %s); in { inherit (r) kept dropped; }",
			lockedNix(t), nixString(string(data))), &r)
		return r
	}
	got := eval(pkgs)
	if strings.Join(got.Dropped["distributed"], ",") != "dask" || strings.Join(got.Dropped["triton"], ",") != "torch" || len(got.Dropped) != 2 {
		t.Errorf("dropped %v, want distributed→dask and triton→torch", got.Dropped)
	}
	if strings.Join(got.Kept["dask"], ",") != "distributed,toolz" || len(got.Kept["distributed"]) != 0 || strings.Join(got.Kept["torch"], ",") != "triton" {
		t.Errorf("kept %v", got.Kept)
	}
	reversed := slices.Clone(pkgs)
	slices.Reverse(reversed)
	if again := eval(reversed); !reflect.DeepEqual(again, got) {
		t.Errorf("the lock in reverse order breaks other edges: %+v, in order %+v", again, got)
	}
}
